"""Forms of the staff authoring pages. They parse and validate input only; kb.services decides and writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.text import slugify

from helpdesk.models import User
from kb.models import Article, ArticleState, Category, Visibility
from kb.services import REVIEW_REMINDER_LEAD
from tickets.models import Category as TicketCategory
from tickets.models import Tag

REVIEW_FILTERS = [("", "Any review date"), ("due", "Due for review (stale)"), ("soon", "Due within 7 days")]


@dataclass(frozen=True)
class CategoryNode:
    """A category in tree order: its depth (1 to 3) and its path for labels ("Billing › Invoices")."""

    category: Category
    depth: int
    label: str


def category_tree(categories: Iterable[Category]) -> list[CategoryNode]:
    """Return `categories` depth-first (siblings in the given order), each labelled with its path."""
    children: dict[int | None, list[Category]] = defaultdict(list)
    for category in categories:
        children[category.parent_id].append(category)
    nodes: list[CategoryNode] = []

    def walk(parent_id: int | None, depth: int, prefix: str) -> None:
        for category in children.get(parent_id, []):
            label = f"{prefix} › {category.name}" if prefix else category.name
            nodes.append(CategoryNode(category, depth, label))
            walk(category.pk, depth + 1, label)

    walk(None, 1, "")
    return nodes


class CategoryChoiceField(forms.ChoiceField):
    """A select of categories in tree order, cleaned to a Category (or None)."""

    def __init__(self, *args: Any, empty_label: str = "—", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_label = empty_label
        self.by_id: dict[str, Category] = {}

    def set_nodes(self, nodes: Sequence[CategoryNode]) -> None:
        self.by_id = {str(node.category.pk): node.category for node in nodes}
        self.choices = [("", self.empty_label), *((str(node.category.pk), node.label) for node in nodes)]

    def clean(self, value: Any) -> Category | None:
        value = super().clean(value)
        return self.by_id.get(value) if value else None


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.full_name or obj.email


class ArticleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Title contains")
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *ArticleState.choices])
    visibility = forms.ChoiceField(required=False, choices=[("", "Public or internal"), *Visibility.choices])
    category = CategoryChoiceField(required=False, empty_label="Any category")
    owner = forms.ChoiceField(required=False, choices=[("", "Anyone"), ("me", "Me")], label="Owner")
    review = forms.ChoiceField(required=False, choices=REVIEW_FILTERS, label="Review")

    def __init__(self, *args: Any, categories: Sequence[CategoryNode], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        self.fields["category"].set_nodes(categories)  # type: ignore[attr-defined]

    def filter_queryset(self, articles: QuerySet[Article], *, user: User, now: datetime) -> QuerySet[Article]:
        """Narrow `articles` to the cleaned filters; "due" is published with its review date passed."""
        data = self.cleaned_data
        if data.get("q"):
            articles = articles.filter(title__icontains=data["q"])
        if data.get("state"):
            articles = articles.filter(state=data["state"])
        if data.get("visibility"):
            articles = articles.filter(visibility=data["visibility"])
        if category := data.get("category"):
            articles = articles.filter(
                Q(category=category) | Q(category__parent=category) | Q(category__parent__parent=category)
            )
        if data.get("owner") == "me":
            articles = articles.filter(owner=user)
        if data.get("review") == "due":
            articles = articles.filter(state=ArticleState.PUBLISHED, review_due_at__lte=now)
        elif data.get("review") == "soon":
            soon = now + REVIEW_REMINDER_LEAD
            articles = articles.filter(
                state=ArticleState.PUBLISHED, review_due_at__gt=now, review_due_at__lte=soon
            )
        return articles


class ArticleForm(forms.Form):
    """The editor. `owner` and `revision` (the revision the form was loaded from) exist only when editing."""

    title = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=200,
        required=False,
        label="Address",
        help_text="The last part of /help/articles/…/. Leave empty to keep it (or, for a new article, "
        "to make one from the title).",
    )
    summary = forms.CharField(
        max_length=400,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or two sentences shown under the title and in search results.",
    )
    keywords = forms.CharField(
        max_length=400,
        required=False,
        help_text="Words customers search for that the text does not contain: phrasings, misspellings.",
    )
    body = forms.CharField(
        strip=False,
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 24, "class": "kb-editor__body", "spellcheck": "true"}),
        help_text="Markdown: ## headings, - lists, **bold**, [links](/help/). Headings build the table of contents.",
    )
    category = CategoryChoiceField(required=False, empty_label="— none —")
    tags = forms.CharField(required=False, max_length=600, help_text="Comma-separated tag names.")
    ticket_categories = forms.ModelMultipleChoiceField(
        queryset=TicketCategory.objects.none(),
        required=False,
        label="Answers tickets about",
        help_text="The ticket categories this article answers: the self-service report counts them as "
        "covered. Ctrl/⌘-click to pick several.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    visibility = forms.ChoiceField(choices=Visibility.choices)
    is_featured = forms.BooleanField(required=False, label="Featured on the help-centre home")
    owner = OwnerChoiceField(queryset=User.objects.none(), empty_label=None)
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        categories: Sequence[CategoryNode],
        tags: QuerySet[Tag],
        ticket_categories: QuerySet[TicketCategory],
        owners: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].set_nodes(categories)  # type: ignore[attr-defined]
        self.fields["ticket_categories"].queryset = ticket_categories  # type: ignore[attr-defined]
        self.tag_queryset = tags
        if owners is None:
            del self.fields["owner"]
            del self.fields["revision"]
        else:
            self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the article a title.")
        return title

    def clean_body(self) -> str:
        # Browsers send textarea lines with CRLF; store Markdown with plain newlines.
        return self.cleaned_data["body"].replace("\r\n", "\n")

    def clean_tags(self) -> list[Tag]:
        raw = self.cleaned_data.get("tags") or ""
        names = sorted({name.strip().lower() for name in raw.replace(" ", ",").split(",") if name.strip()})
        known = {tag.name: tag for tag in self.tag_queryset.filter(name__in=names)}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise forms.ValidationError([f"There is no tag “{name}”." for name in unknown])
        return [known[name] for name in names]


class ArticleTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ArticleState.choices)


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=120, required=False, label="Address", help_text="Leave empty to make one from the name."
    )
    parent = CategoryChoiceField(
        required=False, empty_label="— top level —", help_text="Categories nest at most three levels deep."
    )
    description = forms.CharField(max_length=300, required=False)
    position = forms.IntegerField(min_value=0, required=False, initial=0, help_text="Lower comes first.")

    def __init__(
        self, *args: Any, parents: Sequence[CategoryNode], category_id: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.category_id = category_id
        self.fields["parent"].set_nodes([node for node in parents if node.category.pk != category_id])  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the category a name.")
        return name

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "name" in cleaned and not cleaned.get("slug"):
            cleaned["slug"] = slugify(cleaned["name"])[:120]
            if not cleaned["slug"]:
                self.add_error("slug", "Choose an address: letters, numbers and hyphens.")
        slug = cleaned.get("slug")
        if slug and Category.objects.filter(slug=slug).exclude(pk=self.category_id).exists():
            self.add_error("slug" if self.data.get("slug") else "name", f"The address “{slug}” is taken.")
        return cleaned
