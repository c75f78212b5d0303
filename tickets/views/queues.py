"""The agent's queues: built-in and saved views of tickets, most urgent SLA first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/queue.html", {})


urlpatterns = [
    path("", queue, name="queue"),
]
