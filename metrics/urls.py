"""Surveys under /surveys/ (namespace "metrics"): customers' rating pages and leads' follow-ups."""

from __future__ import annotations

from django.urls import path

from metrics import views, views_capacity, views_voc

app_name = "metrics"

urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path("follow-ups.csv", views.follow_up_csv, name="follow-ups-csv"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow-up-done"),
    path("s/<str:token>/", views.survey_page, name="survey"),
    path("s/<str:token>/rate/<int:score>/", views.survey_rate, name="survey-rate"),
    # Capacity planner and weekly voice-of-customer reports (team leads, managers, admins).
    path("capacity/", views_capacity.capacity_planner, name="capacity"),
    path("capacity.csv", views_capacity.capacity_csv, name="capacity-csv"),
    path("voice-of-customer/", views_voc.report_list, name="voc-list"),
    path("voice-of-customer.csv", views_voc.report_list_csv, name="voc-list-csv"),
    path("voice-of-customer/<str:week_start>/", views_voc.report_detail, name="voc-report"),
    path("voice-of-customer/<str:week_start>/<str:section>.csv", views_voc.report_csv, name="voc-csv"),
]
