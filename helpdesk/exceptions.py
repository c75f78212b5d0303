"""Domain errors raised by services; the API maps them to HTTP in one handler."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A request the domain refuses. `field_errors` maps a field name to its messages."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = {key: list(value) for key, value in (field_errors or {}).items()}


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, current: str, target: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"A ticket cannot move from '{current}' to '{target}'. Allowed from '{current}': {allowed_text}.",
            field_errors={"status": [f"'{current}' → '{target}' is not an allowed transition."]},
        )
        self.current = current
        self.target = target


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"
