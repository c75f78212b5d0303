"""{{ placeholders }} in macro and rule texts, filled from a fixed list of values. Pure.

Not Django templates: a text can only name one of PLACEHOLDERS (no attribute access, filters,
tags or loops), so a macro author cannot reach anything the list does not offer. Unknown names
are refused when the text is saved; at send time an unknown or empty value becomes "".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS: Mapping[str, str] = {
    "ticket.id": "Ticket number",
    "ticket.subject": "Ticket subject",
    "ticket.status": "Ticket status (label)",
    "ticket.priority": "Ticket priority (label)",
    "ticket.url": "Link to the ticket for the customer (portal)",
    "requester.name": "Requester's full name",
    "requester.first_name": "Requester's first name",
    "requester.email": "Requester's e-mail",
    "organization.name": "Requester's organization",
    "team.name": "Ticket's team",
    "assignee.name": "Assignee's full name",
    "assignee.first_name": "Assignee's first name",
    "agent.name": "The agent applying the macro (the assignee for rules)",
    "agent.first_name": "First name of the agent applying the macro",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")


def unknown_placeholders(text: str) -> list[str]:
    """Return the placeholder names in `text` that are not offered, in order of appearance."""
    return list(dict.fromkeys(name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS))


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each {{ name }} with its value; unknown names and missing values become ""."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), "") or ""), text)
