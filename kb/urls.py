"""The public help centre under /help/ (namespace "kb")."""

from __future__ import annotations

from django.urls import include, path

from kb.views import assist, reports
from kb.views import help_centre as views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_results, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("manage/", include("kb.authoring_urls")),
    path("manage/reports/", reports.self_service, name="manage_reports"),
    path("manage/insert/", assist.insert_picker, name="manage_insert_picker"),
    path("manage/insert/record/", assist.insert_record, name="manage_insert_record"),
]
