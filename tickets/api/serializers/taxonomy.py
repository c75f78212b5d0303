"""Serializers for the ticket taxonomy: categories, tags and product areas."""

from __future__ import annotations

from rest_framework import serializers

from helpdesk.api.serializers import ModelIdField, StrictInputSerializer
from tickets.models import Category


class CategoryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    path = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)


class CategoryCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    parent = ModelIdField(queryset=Category.objects.all(), required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class CategoryUpdateInputSerializer(CategoryCreateInputSerializer):
    name = serializers.CharField(max_length=100, required=False)


class TagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)


class TagCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class TagUpdateInputSerializer(TagCreateInputSerializer):
    name = serializers.CharField(max_length=60, required=False, help_text="Tags cannot be renamed.")


class ProductAreaOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)


class ProductAreaCreateInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    is_active = serializers.BooleanField(required=False)


class ProductAreaUpdateInputSerializer(ProductAreaCreateInputSerializer):
    name = serializers.CharField(max_length=100, required=False)
