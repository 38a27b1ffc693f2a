"""X-Forwarded-For is believed only from configured trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import falcon.testing

from imgtree.entrypoints.http.requests import client_ip, rate_limit_client
from tests.support.app import App

PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


def request(peer: str, forwarded: str | None = None) -> falcon.Request:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    env = falcon.testing.create_environ(headers=headers, remote_addr=peer)
    return falcon.Request(env)


def test_untrusted_peer_cannot_spoof() -> None:
    assert client_ip(request("203.0.113.9", "1.2.3.4"), PROXIES) == "203.0.113.9"
    assert client_ip(request("203.0.113.9", "1.2.3.4"), ()) == "203.0.113.9"


def test_trusted_proxy_hands_over_the_client() -> None:
    assert client_ip(request("10.0.0.2", "198.51.100.7"), PROXIES) == "198.51.100.7"


def test_rightmost_untrusted_hop_wins() -> None:
    # The client prepended a fake hop; our proxies appended the real one.
    req = request("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.3")
    assert client_ip(req, PROXIES) == "198.51.100.7"


def test_garbage_header_falls_back_to_peer() -> None:
    assert client_ip(request("10.0.0.2", "not-an-ip"), PROXIES) == "10.0.0.2"


def test_rate_limits_count_ipv6_clients_per_64() -> None:
    """One IPv6 host holds a whole /64: fresh addresses from it must not mean fresh buckets."""
    one = rate_limit_client(request("2001:db8:1:2::1"), ())
    assert (
        one == rate_limit_client(request("2001:db8:1:2:ffff:abcd:1:9"), ()) == "2001:db8:1:2::/64"
    )
    assert rate_limit_client(request("2001:db8:1:3::1"), ()) != one
    assert rate_limit_client(request("::ffff:198.51.100.7"), ()) == "198.51.100.7"
    assert rate_limit_client(request("198.51.100.7"), ()) == "198.51.100.7"
    # Behind a trusted proxy, the forwarded client is the one counted.
    assert rate_limit_client(request("10.0.0.2", "2001:db8::5"), PROXIES) == "2001:db8::/64"


def test_an_ipv6_64_shares_one_upload_bucket(make_app: Callable[..., App]) -> None:
    app = make_app(rate_limit_per_minute=2)
    headers = app.auth()

    def upload(peer: str) -> int:
        return app.client.simulate_post(
            "/api/v1/upload", json={"file_base64": "AAAA"}, headers=headers, remote_addr=peer
        ).status_code

    assert upload("2001:db8:7::1") == 415 and upload("2001:db8:7::2") == 415
    assert upload("2001:db8:7::3") == 429  # the third address of the same /64
    assert upload("2001:db8:8::1") == 415  # another /64 is another client
