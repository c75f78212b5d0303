"""The ticket page: conversation, composer, side panel, SLA panel, escalation."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from tickets.selectors import ticket_list_visible_to


@login_required
def detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(ticket_list_visible_to(request.user), pk=ticket_id)  # type: ignore[arg-type]
    return render(request, "tickets/ticket.html", {"ticket": ticket})


urlpatterns = [
    path("<int:ticket_id>/", detail, name="detail"),
]
