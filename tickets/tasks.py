"""Celery entry points for tickets; thin wrappers over tickets.services (STYLE.md C9)."""

from __future__ import annotations

import imaplib
import logging

from celery import shared_task
from django.utils import timezone

from tickets import services
from tickets.mail import imap
from tickets.services import outbound_email

logger = logging.getLogger(__name__)


@shared_task(name="tickets.escalate_breached_tickets", soft_time_limit=50, time_limit=60, ignore_result=True)
def escalate_breached_tickets_task() -> int:
    """Escalate tickets whose SLA breached, once per breach however many workers run this."""
    return services.tickets_escalate_breached(now=timezone.now())


# --- E-mail channel (docs/email.md) --------------------------------------------------------------


@shared_task(name="tickets.poll_mailbox", soft_time_limit=50, time_limit=60, ignore_result=True)
def poll_mailbox_task() -> int:
    """Fetch and process new inbound mail; overlapping runs store and process each message once.

    A mailbox that cannot be reached is logged and left to the next beat (30 s later): that is
    the retry, so the task itself never retries.
    """
    try:
        return imap.mailbox_poll(now=timezone.now())
    except (imaplib.IMAP4.error, OSError):
        logger.warning("imap.poll_failed", exc_info=True)
        return 0


@shared_task(name="tickets.send_due_outbound_emails", soft_time_limit=50, time_limit=60, ignore_result=True)
def send_due_outbound_emails_task() -> int:
    """Send queued reply e-mails that are due, each once however many workers run this."""
    return outbound_email.outbound_emails_send_due(now=timezone.now())


# --- Routing and automation (docs/automation.md) ---------------------------------------------------


@shared_task(name="tickets.run_time_rules", soft_time_limit=55, time_limit=60, ignore_result=True)
def run_time_rules_task() -> int:
    """Fire time rules that came due and route tickets waiting for an agent; safe to overlap.

    Each rule fires once per ticket and qualifying period (a unique RuleFiring row claimed in the
    firing's transaction); routing locks the team's row, so overlapping runs cannot double-assign.
    """
    from tickets.automation.rules import rules_run_time
    from tickets.services.routing import tickets_route_waiting

    now = timezone.now()
    fired = rules_run_time(now=now, time_budget_seconds=30.0)
    tickets_route_waiting(now=now, time_budget_seconds=15.0)
    return fired
