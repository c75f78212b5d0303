"""The public help centre under /help/ (namespace "kb")."""

from __future__ import annotations

from django.urls import path

from kb.views import help_centre as views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_results, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
]
