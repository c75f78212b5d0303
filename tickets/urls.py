"""URLs of the agent workspace under /tickets/."""

from __future__ import annotations

from tickets.views import queues, ticket_page

app_name = "tickets"

urlpatterns = [*queues.urlpatterns, *ticket_page.urlpatterns]
