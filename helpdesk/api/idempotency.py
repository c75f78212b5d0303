"""`Idempotency-Key` for POST: a retried request returns the first answer and writes nothing new.

The key row is inserted with ON CONFLICT DO NOTHING inside the same transaction as the write.
A concurrent retry blocks on that insert until the first request commits, then finds the row
and replays its answer; if the first request failed and rolled back, the retry proceeds as new.
Only successful (2xx) answers are kept: a refused request may be corrected and retried.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from helpdesk.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(user_id: int, key: str, request: Request, fingerprint: str) -> int | None:
    """Insert the key's row; return its id, or None when the key was already taken."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {IdempotencyKey._meta.db_table} "  # noqa: S608 - table name is ours
            "(user_id, key, method, path, request_fingerprint, created_at) "
            "VALUES (%s, %s, %s, %s, %s, now()) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
            [user_id, key, request.method, request.path[:500], fingerprint],
        )
        row = cursor.fetchone()
        return None if row is None else int(row[0])


def _store_answer(claim_id: int, response: Response) -> None:
    """Keep the answer on the claimed row (one statement by id; no ORM query to compile)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdempotencyKey._meta.db_table} "  # noqa: S608 - table name is ours
            "SET response_status = %s, response_body = %s::jsonb WHERE id = %s",
            [response.status_code, json.dumps(response.data, default=str), claim_id],
        )


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Make a POST view method honour the Idempotency-Key header."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return Response(
                {"detail": f"{HEADER} must be 1-{MAX_KEY_LENGTH} characters.", HEADER: ["Invalid length."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            claim_id = _claim(request.user.pk, key, request, fingerprint)
            if claim_id is None:
                stored = IdempotencyKey.objects.get(user_id=request.user.pk, key=key)
                if stored.request_fingerprint != fingerprint:
                    return Response(
                        {"detail": f"This {HEADER} was already used for a different request."},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
                replay = Response(stored.response_body, status=stored.response_status or status.HTTP_200_OK)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = view_method(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            _store_answer(claim_id, response)
            return response

    return wrapper
