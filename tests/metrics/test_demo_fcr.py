"""`manage.py seed_demo` gives the dashboards a first-contact resolution rate to show.

FCR counts a resolved ticket with exactly one public agent reply, never reopened or escalated
(docs/metrics.md). The demo planner (helpdesk/demo/planner.py) once wrote two agent replies on
every resolution ("Thanks, looking into it." or a question, then the solution), so the demo's FCR
read 0 %; now a first reply solves some tickets that need no escalation.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from metrics.reporting import periods, selectors
from metrics.reporting.models import TicketFact


@pytest.mark.django_db
def test_the_demo_resolves_some_tickets_on_first_contact() -> None:
    # given
    call_command("seed_demo", tickets=120, seed=2, stdout=StringIO())
    resolved = TicketFact.objects.filter(is_excluded=False, resolved_at__isnull=False)
    # when
    first_contact = list(
        resolved.filter(is_fcr=True).values_list("agent_replies", "reopen_count", "is_escalated")
    )
    now = timezone.now()
    fcr = selectors.summary(window=periods.window_for("6m", today=now.date()), now=now).figures["fcr_rate"]
    # then: some, each with one reply and no reopen or escalation, and not every resolution
    assert first_contact
    assert set(first_contact) == {(1, 0, False)}
    assert fcr.value is not None
    assert 20 <= fcr.value <= 90
    assert fcr.sample == resolved.count()
