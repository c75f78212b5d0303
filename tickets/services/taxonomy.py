"""Managing categories, tags and product areas (admins only, enforced by the API)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from helpdesk.exceptions import DomainError
from tickets.models import Category, ProductArea, Tag


def _slug(name: str) -> str:
    slug = slugify(name)
    if not slug:
        raise DomainError("Invalid name.", field_errors={"name": ["Use letters or digits."]})
    return slug


@transaction.atomic
def category_create(*, name: str, parent: Category | None = None, is_active: bool = True) -> Category:
    """Create a category; sub-categories only one level deep."""
    if parent is not None and parent.parent_id is not None:
        raise DomainError(
            "Too deep.", field_errors={"parent": ["Categories have two levels; pick a top category."]}
        )
    try:
        with transaction.atomic():
            return Category.objects.create(
                name=name.strip(), slug=_slug(name), parent=parent, is_active=is_active
            )
    except IntegrityError as error:
        raise DomainError(
            "Name taken.", field_errors={"name": ["A category with this name exists here."]}
        ) from error


@transaction.atomic
def category_update(*, category_id: int, **fields: Any) -> Category:
    """Rename, move or retire a category."""
    category = Category.objects.select_for_update().get(pk=category_id)
    if "parent" in fields:
        parent = fields["parent"]
        if parent is not None and (parent.parent_id is not None or parent.pk == category.pk):
            raise DomainError(
                "Too deep.", field_errors={"parent": ["Pick a top category other than this one."]}
            )
        if parent is not None and category.children.exists():
            raise DomainError(
                "Has children.", field_errors={"parent": ["A category with sub-categories stays on top."]}
            )
        category.parent = parent
    if "name" in fields:
        category.name, category.slug = fields["name"].strip(), _slug(fields["name"])
    if "is_active" in fields:
        category.is_active = fields["is_active"]
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as error:
        raise DomainError(
            "Name taken.", field_errors={"name": ["A category with this name exists here."]}
        ) from error
    return category


@transaction.atomic
def tag_create(*, name: str, description: str = "", is_active: bool = True) -> Tag:
    """Add a tag to the vocabulary (stored as a slug: 'Feature Request' becomes 'feature-request')."""
    try:
        with transaction.atomic():
            return Tag.objects.create(name=_slug(name), description=description, is_active=is_active)
    except IntegrityError as error:
        raise DomainError("Tag exists.", field_errors={"name": ["This tag exists."]}) from error


@transaction.atomic
def tag_update(*, tag_id: int, **fields: Any) -> Tag:
    """Describe or retire a tag. Tags are not renamed: history refers to them by name."""
    tag = Tag.objects.select_for_update().get(pk=tag_id)
    if "name" in fields and _slug(fields["name"]) != tag.name:
        raise DomainError(
            "Rename refused.", field_errors={"name": ["Tags cannot be renamed; retire it and add a new one."]}
        )
    for key in ("description", "is_active"):
        if key in fields:
            setattr(tag, key, fields[key])
    tag.save()
    return tag


@transaction.atomic
def product_area_create(*, name: str, is_active: bool = True) -> ProductArea:
    """Add a product area."""
    try:
        with transaction.atomic():
            return ProductArea.objects.create(name=name.strip(), slug=_slug(name), is_active=is_active)
    except IntegrityError as error:
        raise DomainError("Name taken.", field_errors={"name": ["This product area exists."]}) from error


@transaction.atomic
def product_area_update(*, product_area_id: int, **fields: Any) -> ProductArea:
    """Rename or retire a product area."""
    area = ProductArea.objects.select_for_update().get(pk=product_area_id)
    if "name" in fields:
        area.name, area.slug = fields["name"].strip(), _slug(fields["name"])
    if "is_active" in fields:
        area.is_active = fields["is_active"]
    try:
        with transaction.atomic():
            area.save()
    except IntegrityError as error:
        raise DomainError("Name taken.", field_errors={"name": ["This product area exists."]}) from error
    return area
