"""API v1 routes for the knowledge base."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from kb.api import views

router = SimpleRouter()
router.register("kb/articles", views.ArticleViewSet, basename="kb-article")

urlpatterns = [
    path("kb/search/", views.ArticleSearchView.as_view(), name="kb-search"),
    path(
        "kb/articles/<slug:slug>/transition/",
        views.ArticleViewSet.as_view({"post": "transition"}),
        name="kb-article-transition",
    ),
    *router.urls,
]
