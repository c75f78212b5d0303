"""Surveys under /surveys/ (namespace "metrics"): customers' rating pages and leads' follow-ups."""

from __future__ import annotations

from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow-up-done"),
    path("s/<str:token>/", views.survey_page, name="survey"),
    path("s/<str:token>/rate/<int:score>/", views.survey_rate, name="survey-rate"),
]
