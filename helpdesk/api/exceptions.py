"""One place that turns domain and database errors into HTTP answers (STYLE.md C8)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from helpdesk.exceptions import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map DomainError to its status with field errors; missing rows to 404; bad values to 400."""
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        body.update(exc.field_errors)
        return Response(body, status=exc.status_code)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404("Not found.")
    if isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(messages, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DataError):
        # A value the database cannot hold (out of range, bad encoding) is the client's input.
        logger.info("api.data_error", extra={"error": str(exc)[:200]})
        return Response(
            {"detail": "A value is out of range or malformed."}, status=status.HTTP_400_BAD_REQUEST
        )
    return drf_exception_handler(exc, context)
