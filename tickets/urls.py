"""URLs of the agent workspace under /tickets/."""

from __future__ import annotations

from tickets.views import automation, macros, queues, ticket_page

app_name = "tickets"

urlpatterns = [*queues.urlpatterns, *ticket_page.urlpatterns, *automation.urlpatterns, *macros.urlpatterns]
