"""Admin building blocks shared by every app's admin.py (STYLE.md C4).

ServiceModelAdmin saves add and change forms through domain services; ReadOnlyModelAdmin and
ReadOnlyInline show rows only services write; EstimatedCountPaginator keeps big lists fast.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from helpdesk.exceptions import DomainError


class _TrialRollback(Exception):
    """Raised inside a savepoint to undo a service call made only to validate a form."""


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's DomainError on the form: per field where the form has it, else on top."""
    if not error.field_errors:
        form.add_error(None, error.message)
    for field, field_messages in error.field_errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose add and change forms save through domain services.

    Subclasses implement `service_create` and `service_update`. So that a DomainError shows on the
    form (nothing typed is lost) rather than as a server error, the service first runs while the
    form validates, inside a savepoint that is always rolled back; `save_model` then runs it for
    real. Many-to-many fields and related rows are the service's job too, so neither `form.save_m2m()`
    nor inline formsets are saved: use only ReadOnlyInline here.
    """

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def service_update(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def _run_service(
        self, request: HttpRequest, obj: models.Model | None, data: dict[str, Any]
    ) -> models.Model:
        if obj is None or obj.pk is None:
            return self.service_create(request, data)
        return self.service_update(request, obj, data)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form_class = super().get_form(request, obj, change=change, **kwargs)

        def run_service(data: dict[str, Any]) -> models.Model:
            return self._run_service(request, obj, data)

        class ServiceValidatedForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                cleaned = super().clean()
                if not self.errors:
                    try:
                        with transaction.atomic():
                            run_service(dict(cleaned))
                            raise _TrialRollback
                    except _TrialRollback:
                        pass
                    except DomainError as error:
                        add_domain_error(self, error)
                return cleaned

        ServiceValidatedForm.__name__ = form_class.__name__
        return ServiceValidatedForm

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        saved = self._run_service(request, obj if change else None, dict(form.cleaned_data))
        # The admin keeps using `obj` for its log entry and redirect; give it the saved row's values.
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # The service wrote the row and its relations; inlines here only display (ReadOnlyInline),
        # so nothing of theirs is saved, and the change message records no inline changes.
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class EstimatedCountPaginator(Paginator):
    """Use PostgreSQL's row estimate for an unfiltered big table: COUNT(*) over millions of rows is slow.

    Filtered lists (search, list filters) are counted exactly. The estimate only moves the last page
    number, which is an acceptable price on an admin list.
    """

    exact_below = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where:
            estimate = _table_row_estimate(queryset.model._meta.db_table, queryset.db)
            if estimate >= self.exact_below:
                return estimate
        return super().count


def _table_row_estimate(table: str, using: str) -> int:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else -1


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows written only by services or the system: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
