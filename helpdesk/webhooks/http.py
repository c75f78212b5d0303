"""Where webhooks may go, and one POST to such a place. No Django imports: callers pass the policy in.

Only http(s) URLs without credentials. Unless private targets are allowed (development, tests),
every address a host name resolves to must be a public unicast address: no loopback, private,
link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast or reserved ranges,
also when written as IPv4-mapped IPv6. The POST connects to the address that was checked, not to
a second lookup, so a DNS answer that changes between check and connect (rebinding) cannot
redirect it. Redirects are not followed: a 3xx answer is a failed attempt like any other.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

RESPONSE_BODY_LIMIT = 1024  # bytes of the answer kept in the attempt log


class TargetRefused(ValueError):
    """A URL or an address webhooks may not be sent to; the message says why, for people."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


@dataclass(frozen=True, slots=True)
class HttpResult:
    """One attempt's outcome: an HTTP status, or `error` when no answer came."""

    status_code: int | None
    body: str
    error: str
    duration_ms: int


def target_parse(url: str) -> Target:
    """Return the parts of a webhook URL; raise TargetRefused for anything but plain http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise TargetRefused("This is not a valid URL.") from error
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Leave credentials out of the URL; verify the signature instead.")
    if parts.fragment:
        raise TargetRefused("Leave the #fragment out of the URL.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def address_is_public(address: str) -> bool:
    """Return whether an IP address is public unicast (IPv4-mapped IPv6 judged as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def addresses_resolve(target: Target, *, allow_private: bool) -> list[tuple[Any, ...]]:
    """Return the socket addresses to try for `target`, every one of them allowed.

    Raises TargetRefused when the host does not resolve, or when any address it resolves to is
    not public and private targets are not allowed (one bad answer refuses the host: a name
    pointing at both a public and an internal address is an attack, not a mistake).
    """
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"The host {target.host!r} does not resolve.") from error
    if not infos:
        raise TargetRefused(f"The host {target.host!r} does not resolve.")
    if not allow_private:
        for *_, sockaddr in infos:
            if not address_is_public(str(sockaddr[0])):
                raise TargetRefused(
                    f"The host {target.host!r} resolves to a private or reserved address ({sockaddr[0]}); "
                    "webhooks only go to public addresses."
                )
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


def target_check(url: str, *, allow_private: bool) -> Target:
    """Return the parsed target after checking it resolves to allowed addresses; raise TargetRefused."""
    target = target_parse(url)
    addresses_resolve(target, allow_private=allow_private)
    return target


def _connection(
    target: Target, family: int, sockaddr: tuple[Any, ...], timeout: float
) -> http.client.HTTPConnection:
    """A connection that talks to `target.host` (Host header, TLS name check) at a fixed address."""
    if target.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def connect_pinned(address: Any, timeout: Any = None, source_address: Any = None) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError:
            sock.close()
            raise
        return sock

    connection._create_connection = connect_pinned  # type: ignore[attr-defined]
    return connection


def _read_start(response: http.client.HTTPResponse, budget: float) -> str:
    """Return the first RESPONSE_BODY_LIMIT bytes of the answer's body as text, within `budget` s.

    The status is what counts; a body that is slow, cut off or malformed is kept as far as it came.
    """
    deadline = time.monotonic() + budget
    chunks: list[bytes] = []
    kept = 0
    try:
        while kept < RESPONSE_BODY_LIMIT and time.monotonic() < deadline:
            chunk = response.read1(RESPONSE_BODY_LIMIT - kept)
            if not chunk:
                break
            chunks.append(chunk)
            kept += len(chunk)
    except (OSError, http.client.HTTPException):
        pass
    return b"".join(chunks).decode("utf-8", errors="replace")


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    connect_timeout: float,
    read_timeout: float,
    allow_private: bool,
) -> HttpResult:
    """POST `body` to `url` once and return what happened; never raises for network trouble.

    Connects within `connect_timeout` seconds to the first address that answers; the answer must
    start within `read_timeout` seconds and the kept part of its body arrive within the same
    budget again. Keeps at most RESPONSE_BODY_LIMIT bytes of the answer.
    """
    started = time.monotonic()

    def finished(status_code: int | None, text: str = "", error: str = "") -> HttpResult:
        return HttpResult(status_code, text, error[:200], int((time.monotonic() - started) * 1000))

    try:
        target = target_parse(url)
        addresses = addresses_resolve(target, allow_private=allow_private)
    except TargetRefused as refused:
        return finished(None, error=f"refused: {refused}")
    last_error = "no address to connect to"
    for family, sockaddr in addresses:
        connection = _connection(target, family, sockaddr, connect_timeout)
        try:
            connection.connect()
        except (OSError, ssl.SSLError) as error:
            connection.close()
            last_error = f"connect failed: {type(error).__name__}: {error}"
            continue
        try:
            assert connection.sock is not None
            connection.sock.settimeout(read_timeout)
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            return finished(response.status, _read_start(response, read_timeout))
        except TimeoutError:
            return finished(None, error=f"timed out after {read_timeout:g} s waiting for the answer")
        except (OSError, http.client.HTTPException, ssl.SSLError) as error:
            return finished(None, error=f"{type(error).__name__}: {error}")
        finally:
            connection.close()
    return finished(None, error=last_error)
