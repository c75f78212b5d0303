"""Django admin for the e-mail channel (registered by tickets.admin).

Inbound messages are listed with their outcome; the ones that failed (or were never processed)
can be retried, and any one can be downloaded as received. Queued replies are read-only; the
failed and bounced ones (with the bounces reported for them) are listed under "Needs attention"
and can be sent again. Blocked senders and template overrides are edited through their services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from helpdesk.admin_base import EstimatedCountPaginator, ReadOnlyInline, ReadOnlyModelAdmin, ServiceModelAdmin
from tickets.mail.models import (
    INBOUND_PENDING_STATUSES,
    OUTBOUND_RESENDABLE_STATUSES,
    BlockedSender,
    EmailTemplate,
    InboundEmail,
    OutboundBounce,
    OutboundEmail,
)
from tickets.services import inbound_email, outbound_email


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyModelAdmin):
    list_display = ("received_at", "status", "from_address", "subject", "ticket", "attempts", "source")
    list_filter = ("status",)
    search_fields = ("from_address", "subject", "email_message_id")
    raw_id_fields = ("ticket", "message")
    readonly_fields = (
        "email_message_id",
        "download",
        "raw_size",
        "raw_sha256",
        "source",
        "from_address",
        "subject",
        "cc",
        "status",
        "error",
        "attempts",
        "ticket",
        "message",
        "received_at",
        "processed_at",
    )
    exclude = ("raw",)
    actions = ("retry",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:inbound_id>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="tickets_inboundemail_raw",
            ),
            *super().get_urls(),
        ]

    def raw_view(self, request: HttpRequest, inbound_id: int) -> HttpResponse:
        row = get_object_or_404(InboundEmail, pk=inbound_id)
        # Served as a download, never rendered: the message may be hostile.
        return FileResponse(
            row.raw.open("rb"),
            as_attachment=True,
            filename=f"inbound-{row.pk}.eml",
            content_type="application/octet-stream",
        )

    @admin.display(description="Original message")
    def download(self, obj: InboundEmail) -> str:
        url = reverse("admin:tickets_inboundemail_raw", args=[obj.pk])
        return format_html('<a href="{}">Download .eml ({} bytes)</a>', url, obj.raw_size)

    @admin.action(description="Retry processing the selected messages (failed or unprocessed)")
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        outcomes: dict[str, int] = {}
        for inbound_id in queryset.filter(status__in=INBOUND_PENDING_STATUSES).values_list("pk", flat=True):
            row = inbound_email.inbound_email_process(inbound_id=inbound_id)
            outcomes[row.get_status_display()] = outcomes.get(row.get_status_display(), 0) + 1
        if not outcomes:
            self.message_user(
                request, "None of the selected messages is waiting: nothing to retry.", messages.WARNING
            )
            return
        summary = ", ".join(f"{count} {status.lower()}" for status, count in sorted(outcomes.items()))
        self.message_user(request, f"Retried: {summary}.", messages.INFO)


class DeliveryProblemFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("problem", "Needs attention (failed or bounced)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> QuerySet[OutboundEmail]:
        if self.value() == "problem":
            return queryset.filter(status__in=OUTBOUND_RESENDABLE_STATUSES)
        return queryset


class OutboundBounceInline(ReadOnlyInline):
    model = OutboundBounce
    fk_name = "outbound"
    fields = ("created_at", "recipient", "status", "diagnostic", "inbound", "note")
    readonly_fields = fields
    show_change_link = False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyModelAdmin):
    list_display = (
        "created_at",
        "status",
        "ticket",
        "subject",
        "recipients",
        "attempts",
        "sent_at",
        "problem",
    )
    list_filter = (DeliveryProblemFilter, "status")
    search_fields = ("email_message_id", "subject")
    raw_id_fields = ("ticket", "message", "resent_by")
    inlines = (OutboundBounceInline,)
    actions = ("resend",)
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    @admin.display(description="To / Cc")
    def recipients(self, obj: OutboundEmail) -> str:
        return ", ".join([*obj.to, *obj.cc])

    @admin.display(description="Error")
    def problem(self, obj: OutboundEmail) -> str:
        return obj.last_error[:120]

    @admin.action(description="Resend the selected e-mails (failed or bounced)")
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        queued = sum(
            outbound_email.outbound_email_resend(outbound_id=outbound_id, actor=request.user)  # type: ignore[arg-type]
            for outbound_id in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - queued
        if queued:
            self.message_user(
                request, f"Queued again: {queued} e-mail(s), sent within seconds.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"Left alone: {skipped} e-mail(s) neither failed nor bounced (already queued, or sent).",
                messages.WARNING,
            )


@admin.register(BlockedSender)
class BlockedSenderAdmin(ServiceModelAdmin):
    list_display = ("pattern", "note", "created_by", "created_at")
    search_fields = ("pattern", "note")
    fields = ("pattern", "note")

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> BlockedSender:
        return inbound_email.blocked_sender_create(
            pattern=data["pattern"],
            note=data.get("note", ""),
            actor=request.user,  # type: ignore[arg-type]
        )

    def service_update(self, request: HttpRequest, obj: BlockedSender, data: dict[str, Any]) -> BlockedSender:
        return inbound_email.blocked_sender_update(
            blocked_sender_id=obj.pk, pattern=data["pattern"], note=data.get("note", "")
        )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ServiceModelAdmin):
    list_display = ("name", "is_active", "updated_at")
    fields = ("name", "body", "is_active")

    def service_create(self, request: HttpRequest, data: dict[str, Any]) -> EmailTemplate:
        return outbound_email.email_template_save(
            name=data["name"], body=data["body"], is_active=data.get("is_active", True)
        )

    def service_update(self, request: HttpRequest, obj: EmailTemplate, data: dict[str, Any]) -> EmailTemplate:
        return outbound_email.email_template_save(
            name=data["name"], body=data["body"], is_active=data.get("is_active", True), template_id=obj.pk
        )
