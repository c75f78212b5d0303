"""API v1 routes for metrics: /api/v1/metrics/<summary|series|breakdown|heatmap|live|targets>/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from metrics.api import views

router = SimpleRouter()
router.register("metrics", views.MetricsViewSet, basename="metrics")

urlpatterns = router.urls
