"""Serving an attachment to someone allowed to see it, the same way for the API and the portal."""

from __future__ import annotations

from django.http import FileResponse, Http404

from helpdesk.models import User
from tickets import selectors
from tickets.models import Attachment


def attachment_response(user: User, attachment_id: int) -> FileResponse:
    """Stream the attachment as a download; Http404 when `user` may not see it or the file is gone.

    Always a download (never rendered inline) with nosniff, and never cached by shared caches.
    """
    try:
        attachment = selectors.attachment_get_visible(user, attachment_id)
    except Attachment.DoesNotExist as error:
        raise Http404("No such attachment.") from error
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file is missing.") from error
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
