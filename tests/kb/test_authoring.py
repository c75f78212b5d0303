"""The staff authoring pages under /help/manage/: who may use them, and that every write goes
through the services with refusals shown on the page (never a 500)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.models import User
from kb import services
from kb.models import REVIEW_INTERVAL, Article, ArticleState, Category, Visibility
from tests.factories import AgentFactory, TagFactory
from tickets import services as ticket_services
from tickets.models import MessageVisibility, Tag, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

MANAGE = "/help/manage/"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent_web(agent: User) -> Client:
    return client_for(agent)


@pytest.fixture
def draft(agent: User) -> Article:
    return services.article_create(
        actor=agent, title="Export invoices", summary="Get a PDF.", body="## Quick Answer\nClick Export.\n"
    )


@pytest.fixture
def published(agent: User) -> Article:
    article = services.article_create(actor=agent, title="Reset your password", body="Use the link.\n")
    return services.article_publish(article_id=article.pk, actor=agent)


def edit_url(article: Article) -> str:
    return f"{MANAGE}articles/{article.pk}/"


def form_data(article: Article, **overrides: object) -> dict[str, object]:
    """The editor form as the page renders it for `article` (latest revision included)."""
    latest = article.revisions.order_by("-number").first()
    data: dict[str, object] = {
        "title": article.title,
        "slug": article.slug,
        "summary": article.summary,
        "keywords": article.keywords,
        "body": article.body,
        "category": article.category_id or "",
        "tags": ", ".join(article.tags.values_list("name", flat=True)),
        "visibility": article.visibility,
        "owner": article.owner_id,
        "revision": latest.number if latest else 0,
        "action": "save",
    }
    data.update(overrides)
    return data


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "who", "expected_status"),
    [
        ("anonymous visitors are sent to sign in", None, 302),
        ("customers get the same 404 as a missing page", "customer", 404),
        ("agents may author", "agent", 200),
        ("managers may author", "manager", 200),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "",
        "articles/new/",
        "articles/{id}/",
        "articles/{id}/history/",
        "articles/{id}/history/1/",
        "categories/",
    ],
)
def test_authoring_pages_are_for_staff_only(
    request: pytest.FixtureRequest,
    draft: Article,
    _case: str,
    who: str | None,
    expected_status: int,
    path: str,
) -> None:
    # given
    client = Client() if who is None else client_for(request.getfixturevalue(who))
    # when
    response = client.get(MANAGE + path.format(id=draft.pk))
    # then
    assert response.status_code == expected_status
    if who is None:
        assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("articles/{id}/", {"title": "Hacked"}),
        ("articles/{id}/state/", {"to": "published"}),
        ("articles/{id}/reviewed/", {}),
        ("articles/{id}/history/1/restore/", {}),
        ("categories/", {"name": "Hacked"}),
    ],
)
def test_customer_cannot_write(customer: User, draft: Article, path: str, data: dict[str, str]) -> None:
    # when
    response = client_for(customer).post(MANAGE + path.format(id=draft.pk), data)
    # then
    assert response.status_code == 404
    draft.refresh_from_db()
    assert (draft.title, draft.state, draft.revisions.count()) == ("Export invoices", ArticleState.DRAFT, 1)
    assert not Category.objects.exists()


def test_navigation_links_knowledge_base_for_staff_only(agent_web: Client, customer: User) -> None:
    assert b'href="/help/manage/"' in agent_web.get("/help/").content
    assert b'href="/help/manage/"' not in client_for(customer).get("/help/").content


# --- the list -------------------------------------------------------------------------------------------


def test_list_shows_columns_and_flags_stale_articles(agent_web: Client, agent: User) -> None:
    # given: one article published 200 days ago (review overdue) and a fresh draft
    old = services.article_create(actor=agent, title="Old guide", body="x")
    services.article_publish(article_id=old.pk, actor=agent, now=timezone.now() - timedelta(days=200))
    Article.objects.filter(pk=old.pk).update(view_count=42, helpful_yes=3, helpful_no=1)
    services.article_create(actor=agent, title="New draft", body="x")
    # when
    response = agent_web.get(MANAGE)
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Old guide" in body
    assert "New draft" in body
    assert "Stale" in body
    assert ">42<" in body
    assert ">75%<" in body


@pytest.mark.parametrize(
    ("_case", "params", "expected_titles"),
    [
        ("stale: published with the review date passed", {"review": "due"}, ["Old guide"]),
        ("mine", {"owner": "me"}, ["Mine"]),
        ("state", {"state": "draft"}, ["Mine", "Theirs"]),
        ("visibility", {"visibility": "internal"}, ["Theirs"]),
        ("title search", {"q": "GUIDE"}, ["Old guide"]),
    ],
)
def test_list_filters(
    agent_web: Client, agent: User, other_agent: User, _case: str, params: dict, expected_titles: list
) -> None:
    # given
    old = services.article_create(actor=agent, title="Old guide", body="x")
    services.article_publish(article_id=old.pk, actor=agent, now=timezone.now() - timedelta(days=200))
    Article.objects.filter(pk=old.pk).update(owner=other_agent)
    services.article_create(actor=agent, title="Mine", body="x")
    services.article_create(actor=other_agent, title="Theirs", body="x", visibility=Visibility.INTERNAL)
    # when
    response = agent_web.get(MANAGE, params)
    # then
    assert response.status_code == 200
    assert sorted(row.article.title for row in response.context["rows"]) == expected_titles


def test_list_filters_by_category_including_subcategories(agent_web: Client, agent: User) -> None:
    # given
    billing = services.category_create(name="Billing")
    invoices = services.category_create(name="Invoices", parent=billing)
    services.article_create(actor=agent, title="In child", body="x", category=invoices)
    services.article_create(actor=agent, title="Elsewhere", body="x")
    # when
    response = agent_web.get(MANAGE, {"category": billing.pk})
    # then
    assert [row.article.title for row in response.context["rows"]] == ["In child"]


def test_list_bad_filter_is_a_400_with_the_message(agent_web: Client) -> None:
    response = agent_web.get(MANAGE, {"state": "nonsense"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_list_query_count_does_not_grow_with_articles(
    agent_web: Client, agent: User, django_assert_max_num_queries
) -> None:
    # given
    category = services.category_create(name="Billing")
    for number in range(30):
        services.article_create(actor=agent, title=f"Article {number}", body="x", category=category)
    # then: session, user, categories, count, page
    with django_assert_max_num_queries(7):
        response = agent_web.get(MANAGE)
    assert len(response.context["rows"]) == 30


# --- creating and editing ----------------------------------------------------------------------------------


def test_new_article_form_starts_from_the_template(agent_web: Client) -> None:
    response = agent_web.get(f"{MANAGE}articles/new/")
    assert response.status_code == 200
    assert response.context["form"]["body"].value() == services.article_template_body()
    assert "## Still Need Help?" in response.content.decode()


def test_create_a_draft_with_category_and_tags(agent_web: Client, agent: User) -> None:
    # given
    category = services.category_create(name="Billing")
    TagFactory(name="invoices")
    # when
    response = agent_web.post(
        f"{MANAGE}articles/new/",
        {
            "title": "Export invoices",
            "summary": "Get a PDF.",
            "body": "## Quick Answer\r\nClick Export.",
            "category": category.pk,
            "tags": "invoices",
            "visibility": "internal",
            "action": "save",
        },
    )
    # then
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(article)
    assert (article.state, article.owner, article.category, article.visibility) == (
        ArticleState.DRAFT,
        agent,
        category,
        Visibility.INTERNAL,
    )
    assert article.body == "## Quick Answer\nClick Export."
    assert list(article.tags.values_list("name", flat=True)) == ["invoices"]


@pytest.mark.parametrize(
    ("_case", "overrides", "field", "message"),
    [
        ("title is required", {"title": "  "}, "title", "This field is required."),
        ("unknown tag", {"tags": "nope"}, "tags", "There is no tag “nope”."),
        ("bad address", {"slug": "not a slug!"}, "slug", "Enter a valid “slug”"),
        ("unknown visibility", {"visibility": "secret"}, "visibility", "Select a valid choice."),
    ],
)
def test_create_with_invalid_input_is_a_400_that_keeps_the_text(
    agent_web: Client, _case: str, overrides: dict, field: str, message: str
) -> None:
    # given
    data = {
        "title": "Export",
        "body": "My careful text",
        "visibility": "public",
        "action": "save",
        **overrides,
    }
    # when
    response = agent_web.post(f"{MANAGE}articles/new/", data)
    # then
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert "My careful text" in response.content.decode()
    assert not Article.objects.exists()


def test_create_with_a_taken_address_shows_the_services_refusal(agent_web: Client, draft: Article) -> None:
    data = {"title": "Other", "slug": draft.slug, "body": "x", "visibility": "public", "action": "save"}
    response = agent_web.post(f"{MANAGE}articles/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == ["Already used."]
    assert Article.objects.count() == 1


def test_edit_saves_a_new_revision(agent_web: Client, draft: Article, other_agent: User) -> None:
    # given
    TagFactory(name="pdf")
    # when
    response = agent_web.post(
        edit_url(draft), form_data(draft, title="Export invoices as PDF", tags="pdf", owner=other_agent.pk)
    )
    # then
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.owner, draft.revisions.count()) == ("Export invoices as PDF", other_agent, 2)
    assert list(draft.tags.values_list("name", flat=True)) == ["pdf"]


def test_saving_an_unchanged_form_writes_no_revision(agent_web: Client, draft: Article) -> None:
    response = agent_web.post(edit_url(draft), form_data(draft), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert draft.revisions.count() == 1


def test_edit_refuses_a_form_older_than_the_latest_revision(
    agent_web: Client, draft: Article, other_agent: User
) -> None:
    # given: the editor loaded revision 1, then a colleague saved revision 2
    stale_form = form_data(draft, body="My edit")
    services.article_update(article_id=draft.pk, actor=other_agent, body="Colleague's edit")
    # when
    response = agent_web.post(edit_url(draft), stale_form)
    # then: a clear conflict, the typed text kept, the colleague's text untouched
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this article (revision 2)" in body
    assert "My edit" in body
    draft.refresh_from_db()
    assert (draft.body, draft.revisions.count()) == ("Colleague's edit", 2)


def test_owner_must_be_staff(agent_web: Client, draft: Article, customer: User) -> None:
    response = agent_web.post(edit_url(draft), form_data(draft, owner=customer.pk))
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    draft.refresh_from_db()
    assert draft.owner_id != customer.pk


def test_preview_renders_sanitized_markdown_and_saves_nothing(agent_web: Client, draft: Article) -> None:
    # when: the htmx pane, then the no-JavaScript button
    fragment = agent_web.post(f"{MANAGE}articles/preview/", {"body": "## Steps\n<script>alert(1)</script>"})
    page = agent_web.post(edit_url(draft), form_data(draft, body="**Bold** move", action="preview"))
    # then
    assert fragment.status_code == 200
    assert '<h2 id="steps">Steps</h2>' in fragment.content.decode()
    assert "<script>" not in fragment.content.decode()
    assert page.status_code == 200
    assert "<strong>Bold</strong>" in page.content.decode()
    assert "**Bold** move" in page.content.decode()
    draft.refresh_from_db()
    assert (draft.body, draft.revisions.count()) == ("## Quick Answer\nClick Export.\n", 1)


# --- workflow and review ----------------------------------------------------------------------------------


def test_editor_offers_only_allowed_transitions(agent_web: Client, published: Article) -> None:
    response = agent_web.get(edit_url(published))
    assert [state for state, _label in response.context["transitions"]] == ["draft", "archived"]


def test_publish_button_publishes_and_sets_the_review_date(agent_web: Client, draft: Article) -> None:
    # when
    response = agent_web.post(f"{edit_url(draft)}state/", {"to": "published"})
    # then
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == ArticleState.PUBLISHED
    assert draft.review_due_at is not None


@pytest.mark.parametrize(("_case", "target"), [("not allowed", "in_review"), ("unknown", "gone")])
def test_refused_transition_is_a_400_and_changes_nothing(
    agent_web: Client, published: Article, _case: str, target: str
) -> None:
    response = agent_web.post(f"{edit_url(published)}state/", {"to": target})
    assert response.status_code == 400
    assert response.context["errors"]
    published.refresh_from_db()
    assert published.state == ArticleState.PUBLISHED


def test_mark_reviewed_moves_the_review_date_six_months_out(agent_web: Client, agent: User) -> None:
    # given: an article whose review is overdue
    article = services.article_create(actor=agent, title="Old", body="x")
    services.article_publish(article_id=article.pk, actor=agent, now=timezone.now() - timedelta(days=200))
    before = timezone.now()
    # when
    response = agent_web.post(f"{edit_url(article)}reviewed/")
    # then
    assert response.status_code == 302
    article.refresh_from_db()
    assert before + REVIEW_INTERVAL <= article.review_due_at <= timezone.now() + REVIEW_INTERVAL
    assert article.revisions.count() == 1


def test_mark_reviewed_refuses_a_draft(agent_web: Client, draft: Article) -> None:
    response = agent_web.post(f"{edit_url(draft)}reviewed/")
    assert response.status_code == 400
    assert "Only published articles are reviewed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.review_due_at is None


# --- history, diff, restore --------------------------------------------------------------------------------


@pytest.fixture
def three_revisions(draft: Article, agent: User) -> Article:
    services.article_update(article_id=draft.pk, actor=agent, body="## Quick Answer\nClick <b>Export</b>.\n")
    services.article_update(article_id=draft.pk, actor=agent, title="Export invoices (PDF)")
    return draft


def test_history_lists_every_revision_newest_first(agent_web: Client, three_revisions: Article) -> None:
    response = agent_web.get(f"{edit_url(three_revisions)}history/")
    assert [revision.number for revision in response.context["revisions"]] == [3, 2, 1]


def test_diff_against_the_previous_revision_is_escaped(agent_web: Client, three_revisions: Article) -> None:
    # when
    response = agent_web.get(f"{edit_url(three_revisions)}history/2/")
    # then
    body = response.content.decode()
    [diff] = response.context["diffs"]
    assert (diff.label, diff.added, diff.removed) == ("Body", 1, 1)
    assert [(line.kind, line.text) for line in diff.lines if line.kind != "same"] == [
        ("removed", "Click Export."),
        ("added", "Click <b>Export</b>."),
    ]
    assert "Click &lt;b&gt;Export&lt;/b&gt;." in body
    assert "Click <b>Export</b>." not in body


@pytest.mark.parametrize(
    ("_case", "query", "expected_labels"),
    [
        ("first revision against nothing", "", ["Title", "Summary", "Body"]),
        ("against the current text", "?against=current", ["Title", "Body"]),
        ("against another revision", "?against=3", ["Title", "Body"]),
    ],
)
def test_diff_choices(
    agent_web: Client, three_revisions: Article, _case: str, query: str, expected_labels: list
) -> None:
    response = agent_web.get(f"{edit_url(three_revisions)}history/1/{query}")
    assert response.status_code == 200
    assert [diff.label for diff in response.context["diffs"]] == expected_labels


def test_diff_of_a_missing_revision_is_404(agent_web: Client, draft: Article) -> None:
    assert agent_web.get(f"{edit_url(draft)}history/9/").status_code == 404


def test_restore_asks_first_then_restores_as_a_new_revision(
    agent_web: Client, three_revisions: Article
) -> None:
    url = f"{edit_url(three_revisions)}history/1/restore/"
    # when: the confirmation page
    confirm = agent_web.get(url)
    # then: it explains and changes nothing
    assert confirm.status_code == 200
    assert "Restore revision 1" in confirm.content.decode()
    assert three_revisions.revisions.count() == 3
    # when: confirmed
    response = agent_web.post(url)
    # then
    assert response.status_code == 302
    three_revisions.refresh_from_db()
    assert (three_revisions.title, three_revisions.body) == (
        "Export invoices",
        "## Quick Answer\nClick Export.\n",
    )
    assert three_revisions.revisions.count() == 4


# --- drafts from tickets -----------------------------------------------------------------------------------


@pytest.fixture
def resolved_ticket(customer: User, agent: User) -> Ticket:
    tag, retired = TagFactory(name="printing"), TagFactory(name="old-tag")
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Printer prints blank pages",
        description="Every page comes out blank.\nSince Monday.",
        tags=[tag, retired],
    )
    Tag.objects.filter(pk=retired.pk).update(is_active=False)
    ticket_services.message_create(
        ticket_id=ticket.pk,
        author=agent,
        body="SECRET: customer is on a trial",
        visibility=MessageVisibility.INTERNAL,
    )
    ticket_services.message_create(ticket_id=ticket.pk, author=agent, body="Replace the toner cartridge.")
    ticket_services.message_create(ticket_id=ticket.pk, author=customer, body="Thanks, that worked!")
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.RESOLVED)
    return ticket


def test_a_resolved_ticket_becomes_a_draft(agent_web: Client, agent: User, resolved_ticket: Ticket) -> None:
    # when
    response = agent_web.post(f"{MANAGE}from-ticket/{resolved_ticket.pk}/")
    # then
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(article)
    assert (article.title, article.state, article.owner, article.category) == (
        "Printer prints blank pages",
        ArticleState.DRAFT,
        agent,
        None,
    )
    assert "> Every page comes out blank.\n> Since Monday." in article.body
    assert "## Quick Answer\nReplace the toner cartridge.\n\n## Before You Start" in article.body
    assert "## Still Need Help?" in article.body
    assert "SECRET" not in article.body
    assert "Thanks, that worked" not in article.body
    assert list(article.tags.values_list("name", flat=True)) == ["printing"]


def test_turning_a_ticket_into_an_article_twice_opens_the_same_draft(
    agent_web: Client, resolved_ticket: Ticket
) -> None:
    # when: a double click, then a later visit after the draft was archived
    first = agent_web.post(f"{MANAGE}from-ticket/{resolved_ticket.pk}/")
    second = agent_web.post(f"{MANAGE}from-ticket/{resolved_ticket.pk}/")
    # then
    article = Article.objects.get()
    assert first["Location"] == second["Location"] == edit_url(article)
    assert article.source_ticket == resolved_ticket
    # and once archived, a new draft may be started
    Article.objects.filter(pk=article.pk).update(state=ArticleState.ARCHIVED)
    agent_web.post(f"{MANAGE}from-ticket/{resolved_ticket.pk}/")
    assert Article.objects.filter(source_ticket=resolved_ticket).count() == 2


def test_an_open_ticket_cannot_become_an_article(agent_web: Client, resolved_ticket: Ticket) -> None:
    Ticket.objects.filter(pk=resolved_ticket.pk).update(status=TicketStatus.IN_PROGRESS)
    response = agent_web.post(f"{MANAGE}from-ticket/{resolved_ticket.pk}/")
    assert response.status_code == 400
    assert "Only a resolved or closed ticket can become an article." in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("_case", "who", "method", "ticket_id", "expected_status"),
    [
        ("customer, even the requester", "customer", "post", None, 404),
        ("missing ticket", "agent", "post", 999_999, 404),
        ("GET is not allowed", "agent", "get", None, 405),
    ],
)
def test_from_ticket_refusals(
    request: pytest.FixtureRequest,
    resolved_ticket: Ticket,
    _case: str,
    who: str,
    method: str,
    ticket_id: int | None,
    expected_status: int,
) -> None:
    client = client_for(request.getfixturevalue(who))
    response = getattr(client, method)(f"{MANAGE}from-ticket/{ticket_id or resolved_ticket.pk}/")
    assert response.status_code == expected_status
    assert not Article.objects.exists()


# --- categories ---------------------------------------------------------------------------------------------


def test_create_and_rename_a_category(agent_web: Client) -> None:
    # when
    created = agent_web.post(f"{MANAGE}categories/", {"name": "Billing & Invoices", "position": "2"})
    category = Category.objects.get()
    renamed = agent_web.post(
        f"{MANAGE}categories/{category.pk}/", {"name": "Billing", "slug": "billing", "position": "1"}
    )
    # then
    assert (created.status_code, renamed.status_code) == (302, 302)
    category.refresh_from_db()
    assert (category.name, category.slug, category.position, category.parent) == (
        "Billing",
        "billing",
        1,
        None,
    )


def test_a_fourth_level_is_a_form_error(agent_web: Client) -> None:
    # given
    top = services.category_create(name="One")
    middle = services.category_create(name="Two", parent=top)
    bottom = services.category_create(name="Three", parent=middle)
    # when
    response = agent_web.post(f"{MANAGE}categories/", {"name": "Four", "parent": bottom.pk})
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["parent"] == ["Too deep."]
    assert Category.objects.count() == 3


def test_moving_a_category_under_its_child_is_refused(agent_web: Client) -> None:
    top = services.category_create(name="One")
    child = services.category_create(name="Two", parent=top)
    response = agent_web.post(
        f"{MANAGE}categories/{top.pk}/", {"name": "One", "slug": "one", "parent": child.pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["parent"] == ["Cycle."]
    top.refresh_from_db()
    assert top.parent is None


def test_a_taken_category_address_is_a_form_error(agent_web: Client) -> None:
    services.category_create(name="Billing")
    response = agent_web.post(f"{MANAGE}categories/", {"name": "Billing"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["The address “billing” is taken."]
    assert Category.objects.count() == 1


def test_category_page_shows_the_tree_with_counts(agent_web: Client, agent: User) -> None:
    top = services.category_create(name="Billing")
    child = services.category_create(name="Invoices", parent=top)
    services.article_create(actor=agent, title="A", body="x", category=child)
    response = agent_web.get(f"{MANAGE}categories/")
    assert [(node.label, count) for node, count in response.context["rows"]] == [
        ("Billing", 0),
        ("Billing › Invoices", 1),
    ]


def test_agent_factory_owner_choices_hide_customers(
    agent_web: Client, draft: Article, customer: User
) -> None:
    AgentFactory(email="inactive@helpdesk.test", is_active=False)
    owners = response_owners(agent_web, draft)
    assert customer.email not in owners
    assert "inactive@helpdesk.test" not in owners


def response_owners(client: Client, article: Article) -> list[str]:
    form = client.get(edit_url(article)).context["form"]
    return [user.email for user in form.fields["owner"].queryset]
