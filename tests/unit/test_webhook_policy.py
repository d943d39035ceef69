"""The webhook SSRF policy (which addresses and URLs are refused) and the signature."""

import ipaddress
import time

import pytest
from django.test import override_settings

from apps.runs.webhooks import WebhookRefused, address_allowed, backoff_s, check_url, sign, verify

REFUSED = [
    "127.0.0.1",  # loopback
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # link-local (cloud metadata)
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",  # unspecified
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "::1",
    "fe80::1",
    "fc00::1",  # unique local
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "2002:a00:1::",  # 6to4 wrapping 10.0.0.1
    "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 wrapping 169.254.169.254
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1 (::/8 is reserved: refused whatever it wraps)
    "64:ff9b:1::5db8:d822",  # NAT64 local-use prefix (RFC 8215)
    "::7f00:1",  # IPv4-compatible 127.0.0.1
]
ALLOWED = [
    "93.184.216.34",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "2002:5db8:d822::",  # 6to4 wrapping a public address
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), allow_private=False, allowed_networks=[])


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), allow_private=False, allowed_networks=[])


def test_allow_private_and_allowed_networks_open_the_policy() -> None:
    internal = ipaddress.ip_address("10.1.2.3")
    assert address_allowed(internal, allow_private=True, allowed_networks=[])
    assert address_allowed(internal, allow_private=False, allowed_networks=[ipaddress.ip_network("10.1.0.0/16")])
    assert not address_allowed(internal, allow_private=False, allowed_networks=[ipaddress.ip_network("10.2.0.0/16")])


@override_settings(WEBHOOK_ALLOW_PRIVATE=False, WEBHOOK_ALLOWED_NETWORKS=[])
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "scheme 'ftp'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("/relative/path", "scheme ''"),
        ("not a url", "scheme ''"),
        ("http://", "with a host"),
        ("http://example.com:99999/", "invalid URL"),
        ("http://127.0.0.1:8000/hook", "127.0.0.1"),
        ("http://localhost/hook", "resolves to"),
        ("http://[::1]/hook", "::1"),
        ("http://[2002:a00:1::]/hook", "2002:a00:1::"),
        ("http://[2002:7f00:1::]:8000/hook", "2002:7f00:1::"),
        ("http://[fec0::1]/hook", "fec0::1"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://no-such-host.invalid/hook", "cannot resolve"),
    ],
)
def test_check_url_refuses_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(WebhookRefused, match=message.replace("[", r"\[").replace("?", r"\?")):
        check_url(url)


@override_settings(WEBHOOK_ALLOW_PRIVATE=False, WEBHOOK_ALLOWED_NETWORKS=[])
def test_check_url_accepts_a_public_ip_literal() -> None:
    assert check_url("https://93.184.216.34:8443/hook?x=1") == [ipaddress.ip_address("93.184.216.34")]


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_check_url_accepts_loopback_when_private_addresses_are_allowed() -> None:
    assert ipaddress.ip_address("127.0.0.1") in check_url("http://127.0.0.1:9/hook")


def test_signature_verifies_and_detects_tampering() -> None:
    body = b'{"run_id": "r", "status": "success"}'
    timestamp = str(int(time.time()))
    signature = sign("s3cret", timestamp, body)
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    assert verify("s3cret", timestamp, body, signature)
    assert not verify("other", timestamp, body, signature)
    assert not verify("s3cret", timestamp, body + b" ", signature)
    assert not verify("s3cret", str(int(timestamp) + 1), body, signature)


def test_signature_of_a_stale_timestamp_is_rejected() -> None:
    body = b"{}"
    old = str(int(time.time()) - 3600)
    assert not verify("s3cret", old, body, sign("s3cret", old, body))


@override_settings(WEBHOOK_BACKOFF_S=0.5, WEBHOOK_BACKOFF_MAX_S=3.0)
def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_s(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
