"""Knowledge-base authoring for staff, mounted at /help/manage/ inside the "kb" namespace."""

from __future__ import annotations

from django.urls import path

from kb.views import authoring as views

urlpatterns = [
    path("", views.article_list, name="manage_article_list"),
    path("articles/new/", views.article_new, name="manage_article_new"),
    path("articles/preview/", views.article_preview, name="manage_article_preview"),
    path("articles/<int:article_id>/", views.article_edit, name="manage_article_edit"),
    path("articles/<int:article_id>/state/", views.article_transition, name="manage_article_transition"),
    path("articles/<int:article_id>/reviewed/", views.article_reviewed, name="manage_article_mark_reviewed"),
    path("articles/<int:article_id>/history/", views.article_history, name="manage_article_history"),
    path("articles/<int:article_id>/history/<int:number>/", views.article_diff, name="manage_article_diff"),
    path(
        "articles/<int:article_id>/history/<int:number>/restore/",
        views.article_restore,
        name="manage_article_restore",
    ),
    path("from-ticket/<int:ticket_id>/", views.article_from_ticket, name="manage_article_from_ticket"),
    path("categories/", views.category_list, name="manage_category_list"),
    path("categories/<int:category_id>/", views.category_edit, name="manage_category_edit"),
]
