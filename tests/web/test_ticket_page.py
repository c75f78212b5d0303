"""The agent's ticket page: panels, composer, side panel, escalation, merge/link, preview, presence."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from helpdesk.models import Organization, User
from sla.models import ClockState, SlaClock
from tests.factories import AgentFactory, TeamFactory
from tickets import services
from tickets.models import (
    CannedResponse,
    LinkKind,
    MessageVisibility,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketLink,
    TicketMessage,
    TicketStatus,
)
from tickets.ticket_page import PRESENCE_TTL_SECONDS, presence_list

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_presence() -> None:
    cache.clear()


@pytest.fixture
def ticket(customer: User, organization: Organization) -> Ticket:
    organization.is_vip = True
    organization.segment = "high_touch"
    organization.notes = "Renewal in March; prefers email."
    organization.save()
    return services.ticket_create(requester=customer, subject="Cannot log in", description="Since **today**.")


@pytest.fixture
def agent_client(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/tickets/{ticket.pk}/{action + '/' if action else ''}"


def _first_response(ticket: Ticket) -> SlaClock:
    return SlaClock.objects.get(ticket=ticket, metric="first_response", period=1)


def test_agent_sees_customer_conversation_side_and_sla_panels(
    agent_client: Client, ticket: Ticket, customer: User
) -> None:
    # given: the customer has an older open ticket
    older = services.ticket_create(requester=customer, subject="Invoice question")

    # when
    response = agent_client.get(_url(ticket))

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cannot log in" in html
    assert customer.get_full_name() in html
    assert "Acme" in html
    assert "VIP" in html
    assert "High-touch" in html
    assert "Enterprise" in html
    assert "Renewal in March; prefers email." in html
    assert f"/tickets/{older.pk}/" in html
    assert "<strong>today</strong>" in html
    assert 'id="sla-panel"' in html
    assert "First response" in html
    assert 'data-shortcut="r"' in html
    assert 'data-shortcut="a"' in html
    assert 'data-shortcut="e"' in html


@pytest.mark.parametrize(
    ("_case", "user_fixture", "expected_status"),
    [
        ("the requester (a customer) is refused like a stranger", "customer", 404),
        ("a customer of another organization is refused", "outsider", 404),
        ("an agent may open it", "agent", 200),
    ],
)
def test_only_agents_may_open_the_ticket_page(
    request: pytest.FixtureRequest, ticket: Ticket, _case: str, user_fixture: str, expected_status: int
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(_url(ticket))

    assert response.status_code == expected_status


def test_customer_cannot_post_a_reply_through_the_page(customer: User, ticket: Ticket) -> None:
    # given
    client = Client()
    client.force_login(customer)

    # when
    response = client.post(_url(ticket, "reply"), {"visibility": "public", "body": "hi"})

    # then
    assert response.status_code == 404
    assert ticket.messages.count() == 0


def test_public_reply_fulfils_first_response_and_the_page_shows_it(
    agent_client: Client, ticket: Ticket
) -> None:
    # given
    assert _first_response(ticket).state == ClockState.RUNNING

    # when
    response = agent_client.post(_url(ticket, "reply"), {"visibility": "public", "body": "We are on it."})

    # then
    assert response.status_code == 302
    message = TicketMessage.objects.get(ticket=ticket)
    assert (message.visibility, message.body) == (MessageVisibility.PUBLIC, "We are on it.")
    assert _first_response(ticket).state == ClockState.FULFILLED
    page = agent_client.get(response["Location"]).content.decode()
    assert 'data-metric="first_response"' in page
    first_response_block = page.split('data-metric="first_response"')[1].split("</li>")[0]
    assert "Fulfilled" in first_response_block


def test_internal_note_is_marked_internal_and_does_not_answer_the_customer(
    agent_client: Client, ticket: Ticket
) -> None:
    # when
    agent_client.post(_url(ticket, "reply"), {"visibility": "internal", "body": "Check the SSO logs."})

    # then
    message = TicketMessage.objects.get(ticket=ticket)
    assert message.visibility == MessageVisibility.INTERNAL
    assert _first_response(ticket).state == ClockState.RUNNING
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    page = agent_client.get(_url(ticket)).content.decode()
    article = page.split(f'id="message-{message.pk}"')[1].split("</article>")[0]
    assert "msg--internal" in page.split(f'id="message-{message.pk}"')[1][:60]
    assert "Internal note" in article
    assert "Public reply" not in article


def test_send_and_set_status_sends_the_reply_and_moves_the_ticket(
    agent_client: Client, ticket: Ticket
) -> None:
    # when
    response = agent_client.post(
        _url(ticket, "reply"),
        {"visibility": "public", "body": "Can you try again?", "then_status": "pending"},
    )

    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert ticket.messages.count() == 1


def test_composer_error_keeps_what_was_typed(agent_client: Client, ticket: Ticket) -> None:
    # when: an empty body, with a CC typed
    response = agent_client.post(
        _url(ticket, "reply"), {"visibility": "internal", "body": "   ", "cc": "ops@acme.test"}
    )

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write something before sending." in html
    assert 'value="ops@acme.test"' in html
    assert (
        'value="internal" checked' in html
        or 'checked value="internal"' in html
        or ('value="internal"' in html and "composer--internal" in html)
    )
    assert ticket.messages.count() == 0


def test_service_refusal_shows_inline_and_keeps_the_body(agent_client: Client, ticket: Ticket) -> None:
    # when: a bad CC address is refused by message_create
    response = agent_client.post(
        _url(ticket, "reply"), {"visibility": "public", "body": "Draft I worked on", "cc": "not-an-email"}
    )

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not an email address" in html
    assert "Draft I worked on</textarea>" in html
    assert ticket.messages.count() == 0


def test_refused_status_move_sends_nothing(agent_client: Client, ticket: Ticket, agent: User) -> None:
    # given: a closed-able move that the workflow forbids (pending → on hold is allowed; use resolved → pending)
    services.ticket_change_status(ticket_id=ticket.pk, to=TicketStatus.RESOLVED, actor=agent)

    # when: "Send and set On hold" on a resolved ticket (resolved → on hold is not allowed)
    response = agent_client.post(
        _url(ticket, "reply"), {"visibility": "public", "body": "Keep this text", "then_status": "on_hold"}
    )

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not an allowed transition" in html
    assert "Keep this text</textarea>" in html
    assert ticket.messages.count() == 0


def test_side_panel_change_records_an_event(agent_client: Client, ticket: Ticket, agent: User) -> None:
    # given
    form = {
        "status": ticket.status,
        "priority": "p1",
        "severity": ticket.severity,
        "support_tier": ticket.support_tier,
    }

    # when
    response = agent_client.post(_url(ticket, "fields"), form)

    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "p1"
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.FIELD_CHANGED).get()
    assert (event.data, event.actor_id) == ({"field": "priority", "from": "p3", "to": "p1"}, agent.pk)
    history = agent_client.get(_url(ticket, "history")).content.decode()
    line = history.split("<strong>Priority</strong>")[1].split("</li>")[0]
    assert "P3 Medium" in line
    assert "P1 Critical" in line
    assert f"by {agent.get_full_name()}" in line


def test_side_panel_refusal_is_shown_on_the_field(agent_client: Client, ticket: Ticket) -> None:
    # when: new → engineering is not an allowed transition
    response = agent_client.post(
        _url(ticket, "fields"),
        {"status": "engineering", "priority": "p2", "severity": ticket.severity, "support_tier": "l1"},
    )

    # then
    assert response.status_code == 400
    assert "is not an allowed transition" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (TicketStatus.NEW, "p3")


def test_assign_to_me(agent_client: Client, ticket: Ticket, agent: User) -> None:
    response = agent_client.post(_url(ticket, "assign-to-me"))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status) == (agent.pk, TicketStatus.ASSIGNED)


HANDOFF = {
    "escalate-issue_summary": "SSO login loops for all Acme users.",
    "escalate-troubleshooting_done": "Cleared cookies, reproduced in two browsers.",
    "escalate-environment": "Chrome 131, Okta SAML",
    "escalate-why_escalating": "Needs IdP config access.",
    "escalate-customer_expectation": "Fix before Monday.",
    "escalate-next_steps": "Check the SAML assertion audience.",
}


def test_escalate_with_handoff_raises_tier_and_leaves_the_note(agent_client: Client, ticket: Ticket) -> None:
    # when
    response = agent_client.post(_url(ticket, "escalate"), HANDOFF)

    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.support_tier, ticket.status) == ("l2", TicketStatus.ESCALATED)
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ESCALATED)
    assert event.data["handoff"]["issue_summary"] == "SSO login loops for all Acme users."
    note = TicketMessage.objects.get(ticket=ticket)
    assert note.visibility == MessageVisibility.INTERNAL
    assert "Troubleshooting completed" in note.body
    assert "Needs IdP config access." in note.body


def test_escalate_without_summary_keeps_the_dialog_open_with_the_input(
    agent_client: Client, ticket: Ticket
) -> None:
    response = agent_client.post(_url(ticket, "escalate"), {**HANDOFF, "escalate-issue_summary": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="escalate-dialog"' in html
    assert "data-open-on-load" in html.split('id="escalate-dialog"')[1][:200]
    assert "Cleared cookies, reproduced in two browsers." in html
    ticket.refresh_from_db()
    assert ticket.support_tier == "l1"


def test_deescalate_lowers_tier_and_moves_to_another_team(agent_client: Client, ticket: Ticket) -> None:
    # given
    agent_client.post(_url(ticket, "escalate"), HANDOFF)
    first_line = TeamFactory(name="First line")

    # when
    response = agent_client.post(
        _url(ticket, "deescalate"),
        {
            "deescalate-issue_summary": "Config fixed, customer to confirm.",
            "deescalate-to_team": first_line.pk,
        },
    )

    # then
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.support_tier, ticket.team_id) == ("l1", first_line.pk)
    assert ticket.status == TicketStatus.TRIAGED
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.DE_ESCALATED).count() == 1


def test_merge_into_another_ticket(agent_client: Client, ticket: Ticket, customer: User) -> None:
    # given
    original = services.ticket_create(requester=customer, subject="Login broken (first report)")

    # when
    response = agent_client.post(_url(ticket, "merge"), {"merge-original": original.pk})

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{original.pk}/"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.merged_into_id) == (TicketStatus.CLOSED, original.pk)


def test_merge_into_itself_is_refused_with_the_error_shown(agent_client: Client, ticket: Ticket) -> None:
    # when
    response = agent_client.post(_url(ticket, "merge"), {"merge-original": ticket.pk})

    # then
    assert response.status_code == 400
    html = response.content.decode()
    assert "Pick a different ticket." in html
    assert "data-open-on-load" in html.split('id="merge-dialog"')[1][:200]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.merged_into_id) == (TicketStatus.NEW, None)


def test_dialog_forms_load_on_demand(agent_client: Client, ticket: Ticket) -> None:
    # when: the escalate dialog opens and asks for its form
    response = agent_client.get(_url(ticket, "escalate"))

    # then: the handoff template with every field, labelled
    html = response.content.decode()
    assert response.status_code == 200
    for label in (
        "Issue summary",
        "Troubleshooting completed",
        "Environment",
        "Why escalating",
        "What the customer expects",
        "Suggested next steps",
        "Target tier",
        "Target team",
    ):
        assert f">\n    {label}" in html or label in html


def test_merge_lookup_shows_the_target_subject(agent_client: Client, ticket: Ticket, customer: User) -> None:
    original = services.ticket_create(requester=customer, subject="Login broken (first report)")

    response = agent_client.get(_url(ticket, "lookup"), {"merge-original": str(original.pk)})

    assert "Login broken (first report)" in response.content.decode()


def test_link_through_the_page_and_refused_self_link(
    agent_client: Client, ticket: Ticket, customer: User
) -> None:
    # given
    incident = services.ticket_create(requester=customer, subject="SSO outage")

    # when
    ok = agent_client.post(
        _url(ticket, "link"), {"link-kind": LinkKind.RELATED, "link-to_ticket": incident.pk}
    )
    refused = agent_client.post(
        _url(ticket, "link"), {"link-kind": LinkKind.RELATED, "link-to_ticket": ticket.pk}
    )

    # then
    assert ok.status_code == 302
    assert TicketLink.objects.filter(kind=LinkKind.RELATED).count() == 1
    assert refused.status_code == 400
    assert "Pick a different ticket." in refused.content.decode()
    page = agent_client.get(_url(ticket)).content.decode()
    assert f"#{incident.pk} SSO outage" in page


def test_preview_renders_markdown_and_strips_scripts(agent_client: Client, ticket: Ticket) -> None:
    response = agent_client.post(
        _url(ticket, "preview"), {"body": "**bold** <script>alert(1)</script><img src=x onerror=alert(2)>"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "onerror" not in html


def test_preview_requires_csrf(agent: User, ticket: Ticket) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)

    response = client.post(_url(ticket, "preview"), {"body": "hi"})

    assert response.status_code == 403


def test_presence_shows_other_agents_viewing_then_replying_and_expires(
    agent_client: Client, ticket: Ticket, agent: User
) -> None:
    # given: a second agent on the same ticket
    ana = AgentFactory(full_name="Ana Lopez")
    ana_client = Client()
    ana_client.force_login(ana)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        # when: Ana opens the ticket, then the first agent's heartbeat arrives
        ana_client.post(_url(ticket, "presence"), {"mode": "viewing"})
        seen = agent_client.post(_url(ticket, "presence"), {"mode": "viewing"}).content.decode()
        # then
        assert "Ana Lopez</strong> is viewing" in seen
        # and Ana does not see herself, only the first agent
        ana_sees = ana_client.post(_url(ticket, "presence"), {"mode": "replying"}).content.decode()
        assert agent.get_full_name() in ana_sees
        assert "Ana Lopez" not in ana_sees
        assert (
            "Ana Lopez</strong> is replying"
            in agent_client.post(_url(ticket, "presence"), {"mode": "viewing"}).content.decode()
        )

    # when: Ana's heartbeats stop for longer than the TTL
    with time_machine.travel(start + timedelta(seconds=PRESENCE_TTL_SECONDS + 1), tick=False):
        later = agent_client.post(_url(ticket, "presence"), {"mode": "viewing"}).content.decode()
    # then
    assert "Ana Lopez" not in later


def test_leaving_clears_presence_at_once(agent_client: Client, ticket: Ticket, agent: User) -> None:
    # given
    ana = AgentFactory(full_name="Ana Lopez")
    ana_client = Client()
    ana_client.force_login(ana)
    ana_client.post(_url(ticket, "presence"), {"mode": "replying"})
    assert [
        p.name for p in presence_list(ticket_id=ticket.pk, now=timezone.now(), exclude_user_id=agent.pk)
    ] == ["Ana Lopez"]

    # when: her page sends the pagehide beacon
    response = ana_client.post(_url(ticket, "presence"), {"mode": "left"})

    # then
    assert response.status_code == 204
    assert presence_list(ticket_id=ticket.pk, now=timezone.now(), exclude_user_id=agent.pk) == []


def test_canned_responses_are_offered_to_the_agent(
    agent_client: Client, ticket: Ticket, other_agent: User
) -> None:
    CannedResponse.objects.create(title="Password reset steps", body="1. Go to **Settings**")
    CannedResponse.objects.create(title="Someone else's", body="private", owner=other_agent)

    html = agent_client.get(_url(ticket)).content.decode()

    assert "Password reset steps" in html
    assert "Someone else&#x27;s" not in html
    assert "Someone else's" not in html


def test_page_query_count_does_not_grow_with_50_messages(
    agent_client: Client, ticket: Ticket, customer: User, agent: User, django_assert_max_num_queries
) -> None:
    # given: 50 messages, half internal, some with attachments, and field changes
    for number in range(50):
        author = customer if number % 2 == 0 else agent
        visibility = "internal" if author == agent and number % 4 == 1 else "public"
        services.message_create(
            ticket_id=ticket.pk,
            author=author,
            body=f"Message {number}",
            visibility=visibility,
            attachments=[services.UploadedFile("log.txt", "text/plain", b"x")] if number % 10 == 0 else (),
        )
    services.ticket_update(ticket_id=ticket.pk, actor=agent, changes={"priority": "p2", "assignee": agent})

    # when / then
    with django_assert_max_num_queries(30):
        response = agent_client.get(_url(ticket))
    assert response.status_code == 200
    assert response.content.decode().count('class="msg msg--') == 51


def test_a_long_timeline_draws_only_its_latest_segments() -> None:
    # given: a clock open for weeks, alternating open and closed hours
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from sla.clock import SegmentKind, TimelineSegment
    from tickets.ticket_page import TIMELINE_SHOWN, _segments

    start = datetime(2026, 1, 5, tzinfo=UTC)
    kinds = [SegmentKind.RUNNING, SegmentKind.OUTSIDE_BUSINESS_HOURS]
    timeline = [
        TimelineSegment(kinds[index % 2], start + timedelta(hours=index), start + timedelta(hours=index + 1))
        for index in range(100)
    ]

    # when
    rows = _segments(SimpleNamespace(timeline=timeline))  # type: ignore[arg-type]

    # then: the last TIMELINE_SHOWN, their widths filling the bar
    assert len(rows) == TIMELINE_SHOWN
    assert rows[-1].end == timeline[-1].end
    assert rows[0].start == timeline[100 - TIMELINE_SHOWN].start
    assert round(sum(row.width for row in rows)) == 100


def test_a_closed_ticket_offers_no_composer_escalation_or_merge(
    agent_client: Client, ticket: Ticket, agent: User
) -> None:
    # given
    services.ticket_change_status(ticket_id=ticket.pk, to="resolved", actor=agent)
    services.ticket_change_status(ticket_id=ticket.pk, to="closed", actor=agent)

    # when
    body = agent_client.get(_url(ticket)).content.decode()

    # then: the page says why instead of offering actions the services would refuse
    assert "This ticket is closed" in body
    assert 'data-open-dialog="escalate-dialog"' not in body
    assert 'data-open-dialog="merge-dialog"' not in body
    assert 'name="then_status"' not in body


def test_next_and_previous_walk_the_queue_the_ticket_was_opened_from(
    agent_client: Client, customer: User, agent: User
) -> None:
    # given: unassigned P1, P2 and P4 tickets and a P3 one assigned to the agent ("All open" is
    # ordered by SLA due instant: P1, P2, P3, P4)
    urgent = services.ticket_create(requester=customer, subject="Urgent", priority="p1")
    middle = services.ticket_create(requester=customer, subject="Middle", priority="p2")
    calm = services.ticket_create(requester=customer, subject="Calm", priority="p4")
    mine = services.ticket_create(requester=customer, subject="Mine", priority="p3", assignee=agent)

    # when: the agent opens the middle one from "All open"
    body = agent_client.get(_url(middle) + "?from=open").content.decode()

    # then: previous and next are its neighbours in that queue, and keep the queue
    assert f'href="/tickets/{urgent.pk}/?from=open"' in body
    assert f'href="/tickets/{mine.pk}/?from=open"' in body
    assert f'href="/tickets/{calm.pk}/?from=open"' not in body
    assert "Next ticket in All open" in body
    # and without a queue, "My open tickets" is walked: the middle one is not in it
    plain = agent_client.get(_url(middle)).content.decode()
    assert f'href="/tickets/{mine.pk}/?from=mine"' in plain
