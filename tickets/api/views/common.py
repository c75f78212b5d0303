"""OpenAPI pieces shared by the ticket API views: id routes, Idempotency-Key and error answers."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

ID_LOOKUP = r"[0-9]+"
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Retrying with the same key returns the first answer and writes nothing new.",
)
ERRORS = {
    400: OpenApiResponse(description="Invalid input; field names map to messages."),
    403: OpenApiResponse(description="Your role may not do this."),
    404: OpenApiResponse(description="No such ticket, or not visible to you."),
}
