"""Metric dashboards under /metrics/ (namespace "dashboards")."""

from __future__ import annotations

from django.urls import path

from metrics.reporting import views

app_name = "dashboards"

urlpatterns = [
    path("sla/", views.sla_dashboard, name="sla"),
    path("sla/<slug:table>.csv", views.sla_dashboard_csv, name="sla-csv"),
    path("heatmap/", views.heatmap, name="heatmap"),
    path("heatmap.csv", views.heatmap_csv, name="heatmap-csv"),
]
