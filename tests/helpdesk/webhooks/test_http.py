"""Where webhooks may go (SSRF rules) and how one POST behaves against real sockets."""

from __future__ import annotations

import socket

import pytest

from helpdesk.webhooks import http
from tests.helpdesk.webhooks.receiver import WebhookReceiver


@pytest.mark.parametrize(
    ("_case", "address", "public"),
    [
        ("public IPv4", "93.184.216.34", True),
        ("public IPv6", "2606:4700:4700::1111", True),
        ("loopback", "127.0.0.1", False),
        ("private 10/8", "10.1.2.3", False),
        ("private 192.168/16", "192.168.0.10", False),
        ("cloud metadata (link-local)", "169.254.169.254", False),
        ("carrier-grade NAT", "100.64.0.1", False),
        ("unspecified", "0.0.0.0", False),  # noqa: S104 - the address under test
        ("IPv6 loopback", "::1", False),
        ("IPv6 unique local", "fd00::1", False),
        ("IPv4-mapped loopback", "::ffff:127.0.0.1", False),
        ("multicast", "224.0.0.1", False),
    ],
)
def test_only_public_unicast_addresses_are_public(_case: str, address: str, public: bool) -> None:
    assert http.address_is_public(address) is public


@pytest.mark.parametrize(
    ("_case", "url", "message"),
    [
        ("ftp", "ftp://example.com/hook", "Only http:// and https://"),
        ("no scheme", "example.com/hook", "Only http:// and https://"),
        ("no host", "https:///hook", "no host"),
        ("credentials", "https://user:pw@example.com/hook", "credentials"),
        ("bad port", "https://example.com:99999/hook", "not a valid URL"),
        ("fragment", "https://example.com/hook#x", "fragment"),
    ],
)
def test_malformed_urls_are_refused(_case: str, url: str, message: str) -> None:
    with pytest.raises(http.TargetRefused, match=message):
        http.target_parse(url)


def test_url_parts_keep_the_query() -> None:
    assert http.target_parse("https://hooks.example.com/in?team=7") == http.Target(
        "https", "hooks.example.com", 443, "/in?team=7"
    )


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook"])
def test_private_hosts_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(http.TargetRefused, match="private or reserved address"):
        http.target_check(url, allow_private=False)

    assert http.target_check(url, allow_private=True).path == "/hook"


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(http.TargetRefused, match="does not resolve"):
        http.target_check("https://no-such-host.invalid/hook", allow_private=False)


def test_post_reports_a_refused_connection_as_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there

    result = http.post(
        f"http://127.0.0.1:{port}/hook", b"{}", {}, connect_timeout=1, read_timeout=1, allow_private=True
    )

    assert result.status_code is None
    assert result.error.startswith("connect failed: ConnectionRefusedError")


def test_post_returns_the_status_and_the_answer(receiver: WebhookReceiver) -> None:
    result = http.post(receiver.url, b"{}", {}, connect_timeout=1, read_timeout=2, allow_private=True)

    assert (result.status_code, result.body, result.error) == (200, '{"status": 200}', "")
    assert len(receiver.received) == 1
