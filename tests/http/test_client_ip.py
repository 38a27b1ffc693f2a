"""X-Forwarded-For is believed only from configured trusted proxies."""

from __future__ import annotations

import ipaddress

import falcon.testing

from imgtree.entrypoints.http.requests import client_ip

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
