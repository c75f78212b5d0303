"""Knowledge-base API input and output serializers (STYLE.md C8: no create()/update() here)."""

from __future__ import annotations

from rest_framework import serializers

from kb.models import Article, ArticleState, Category, Visibility
from tickets.models import Tag


class ArticleOutputSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id", "slug", "title", "summary", "body", "body_html", "state", "visibility", "category",
            "tags", "url", "is_featured", "review_due_at", "created_at", "updated_at", "published_at",
            "view_count", "helpful_yes", "helpful_no",
        ]  # fmt: skip
        read_only_fields = fields


class ArticleCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, default="")
    summary = serializers.CharField(max_length=400, required=False, default="", allow_blank=True)
    keywords = serializers.CharField(max_length=400, required=False, default="", allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, default=None)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    is_featured = serializers.BooleanField(default=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    tags = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Tag.objects.filter(is_active=True),
        many=True,
        required=False,
        default=list,
    )


class ArticleUpdateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    slug = serializers.SlugField(max_length=200, required=False)
    summary = serializers.CharField(max_length=400, required=False, allow_blank=True)
    keywords = serializers.CharField(max_length=400, required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    is_featured = serializers.BooleanField(required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = serializers.SlugRelatedField(
        slug_field="name", queryset=Tag.objects.filter(is_active=True), many=True, required=False
    )


class ArticleTransitionInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ArticleState.choices)


class SearchHitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="article.pk")
    slug = serializers.CharField(source="article.slug")
    title = serializers.CharField(source="article.title")
    url = serializers.CharField(source="article.get_absolute_url")
    title_html = serializers.CharField()
    snippet_html = serializers.CharField()


class SearchOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    did_you_mean = serializers.CharField()
    search_id = serializers.IntegerField(allow_null=True)
    results = SearchHitOutputSerializer(many=True, source="hits")
