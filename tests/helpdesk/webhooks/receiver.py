"""A real HTTP receiver for webhook tests: a server on 127.0.0.1 in a thread.

It verifies every request's signature on its own (HMAC-SHA256 over "<timestamp>.<body>" with the
secrets it was told, timestamp within five minutes), records what came, and answers with scripted
status codes (200 when the script is empty), optionally slowly or with a redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool
    valid_with: tuple[str, ...]  # which of the known secrets signed it

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers["X-Helpdesk-Event"]

    @property
    def delivery(self) -> str:
        return self.headers["X-Helpdesk-Delivery"]


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float) -> bool:
    """What a receiver does: recompute the signature and compare in constant time; refuse old ones."""
    timestamp = headers.get("X-Helpdesk-Timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = "v1=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    offered = [part.strip() for part in headers.get("X-Helpdesk-Signature", "").split(",")]
    return any(hmac.compare_digest(expected, part) for part in offered)


class WebhookReceiver:
    """Start with `start()`; `url` is where to subscribe; `received` what arrived, in order."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.received: list[Received] = []
        self.script: deque[int] = deque()
        self.delay_seconds = 0.0
        self.redirect_to = ""
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then 200 again."""
        with self._lock:
            self.script.extend(statuses)

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Wait until `count` requests arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived in {timeout} s")
                self._arrived.wait(remaining)
            return list(self.received)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {key: value for key, value in self.headers.items()}
                now = time.time()
                with receiver._lock:
                    valid_with = tuple(s for s in receiver.secrets if verify(s, headers, body, now=now))
                    status = receiver.script.popleft() if receiver.script else 200
                    receiver.received.append(Received(self.path, headers, body, bool(valid_with), valid_with))
                    receiver._arrived.notify_all()
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                answer = json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    if receiver.redirect_to:
                        self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the sender gave up waiting (a timeout test)

        return Handler
