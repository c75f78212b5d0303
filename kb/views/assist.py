"""Knowledge-assisted replies: find a help-centre article from the ticket composer and link it.

The picker offers public, published articles only (a customer cannot open an internal one); the
link is absolute, because replies are also e-mailed. Inserting records an `ArticleInsertion`, which
the self-service report counts once the reply carrying the link is sent.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from kb import search, selectors, services
from kb.models import Article
from kb.views.access import agent_required
from tickets.models import Ticket
from tickets.selectors import ticket_list_visible_to


class InsertForm(forms.Form):
    article = forms.IntegerField(min_value=1)
    ticket = forms.IntegerField(min_value=1)


def _visible_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return ticket_list_visible_to(request.user).select_related(None).only("pk").get(pk=ticket_id)
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket.") from error


def _markdown_link(request: HttpRequest, article: Article) -> str:
    title = article.title.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"[{title}]({request.build_absolute_uri(article.get_absolute_url())})"


@agent_required
@require_GET
def insert_picker(request: HttpRequest) -> HttpResponse:
    """htmx fragment: public articles matching `q`, each with an "Insert link" button."""
    ticket_id = request.GET.get("ticket", "")
    if not ticket_id.isdigit():
        return HttpResponse("A ticket is required.", status=400)
    ticket = _visible_ticket(request, int(ticket_id))
    query = request.GET.get("q", "").strip()
    hits = []
    if query:
        # Searched as a customer would: public, published articles only, which they can open.
        hits = search.article_search(query, user=None, limit=8).hits
    return render(
        request,
        "kb/_insert_results.html",
        {
            "ticket": ticket,
            "query": query,
            "hits": [(hit, _markdown_link(request, hit.article)) for hit in hits],
        },
    )


@agent_required
@require_POST
def insert_record(request: HttpRequest) -> HttpResponse:
    """Record that the agent inserted the article's link into a reply on the ticket (204)."""
    form = InsertForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_json(), status=400, content_type="application/json")
    ticket = _visible_ticket(request, form.cleaned_data["ticket"])
    try:
        article = selectors.article_list_published_for(None).get(pk=form.cleaned_data["article"])
    except Article.DoesNotExist as error:
        raise Http404("No such article.") from error
    services.article_insertion_record(article_id=article.pk, ticket_id=ticket.pk, agent=request.user)
    return HttpResponse(status=204)
