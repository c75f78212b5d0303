"""API v1 routes for SLA calendars, policies, re-apply jobs and a ticket's SLA."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from sla.api import views

router = SimpleRouter()
router.register("sla/calendars", views.CalendarViewSet, basename="sla-calendar")
router.register("sla/policies", views.PolicyViewSet, basename="sla-policy")
router.register("sla/reapply-jobs", views.ReapplyJobViewSet, basename="sla-reapply-job")

urlpatterns = [
    path("tickets/<int:ticket_pk>/sla/", views.TicketSlaView.as_view(), name="ticket-sla"),
    *router.urls,
]
