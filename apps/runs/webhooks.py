"""Webhooks: POST a finished run, with its final values, to the URL it was created with.

1. A run reaches a terminal status (`hooks.run_finished`; apps.runs.webhook_outbox
   subscribes). The payload is built right there, while the run and its thread
   still exist (a stateless run's thread and a rolled-back run are deleted
   moments later), and the delivery task is enqueued on commit.
2. The task checks the URL again: DNS may answer differently now than at
   request time (rebinding). It connects to the very address it checked,
   signs the body when WEBHOOK_SECRET is set, and POSTs it.
3. Connection errors, timeouts, 5xx and 429 are retried with exponential
   backoff, up to WEBHOOK_MAX_ATTEMPTS deliveries; any other answer is final.
"""

import datetime
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from django.conf import settings

from apps.graphs.config import WebhookPolicy, get_config

logger = logging.getLogger(__name__)

MAX_URL_LENGTH = 65536  # the spec's maxLength for `webhook`
ALLOWED_SCHEMES = ("http", "https")
SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
ID_HEADER = "X-Webhook-Id"
USER_AGENT = "agentplatform-webhooks/1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookRefused(ValueError):
    """The URL is malformed, of another scheme, or points at an address the policy refuses."""


# ---------------------------------------------------------------- address policy


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address wraps (IPv4-mapped, 6to4, Teredo server and client).

    NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) forms need no unwrapping:
    they lie in ::/8, which is reserved, so they are refused whatever they wrap.
    """
    wrapped = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    return [inner for inner in wrapped if inner is not None]


def _is_public(address: IPAddress) -> bool:
    # is_global alone would let multicast through; the rest spell out what is refused.
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def address_allowed(address: IPAddress, *, allow_private: bool, allowed_networks: list) -> bool:
    """Public unicast addresses only, unless private ones are allowed or the address is allow-listed.

    An IPv6 address wrapping an IPv4 one (e.g. 6to4 2002:7f00:1:: is 127.0.0.1) is
    judged by what it wraps: the relay or translator delivers there.
    """
    if allow_private or any(address in network for network in allowed_networks):
        return True
    if isinstance(address, ipaddress.IPv6Address) and (wrapped := embedded_ipv4(address)):
        return all(_is_public(inner) for inner in wrapped)
    return _is_public(address)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(f"cannot resolve host {host!r}") from exc
    # Drop an IPv6 zone ("fe80::1%eth0") before parsing.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def policy_refusal(policy: WebhookPolicy, scheme: str, host: str, port: int) -> str | None:
    """Why langgraph.json's `webhooks.url` refuses this URL, or None."""
    if policy.require_https and scheme != "https":
        return "must be an https URL (webhooks.url.require_https in langgraph.json)"
    host = host.lower().rstrip(".")
    if policy.allowed_domains and not any(
        host.endswith(domain[1:]) if domain.startswith("*.") else host == domain for domain in policy.allowed_domains
    ):
        return f"host {host!r} is not in webhooks.url.allowed_domains of langgraph.json"
    if policy.allowed_ports and port not in policy.allowed_ports:
        return f"port {port} is not in webhooks.url.allowed_ports of langgraph.json"
    return None


def check_url(url: str) -> list[IPAddress]:
    """Validate a webhook URL and return the addresses it may be delivered to.

    Raises WebhookRefused: not an absolute http(s) URL, unresolvable, or any of
    its addresses refused (one bad address refuses all: which one a client
    connects to is not ours to choose).
    """
    policy = get_config().webhooks
    max_length = min(MAX_URL_LENGTH, policy.max_url_length or MAX_URL_LENGTH)
    if len(url) > max_length:
        raise WebhookRefused(f"must be at most {max_length} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookRefused(f"invalid URL ({exc})") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise WebhookRefused(f"must be an absolute http or https URL, got scheme {parts.scheme!r}")
    if not parts.hostname:
        raise WebhookRefused("must be an absolute http or https URL with a host")
    refusal = policy_refusal(policy, parts.scheme, parts.hostname, port)
    if refusal:
        raise WebhookRefused(refusal)
    addresses = resolve(parts.hostname, port)
    for address in addresses:
        if not address_allowed(
            address,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
            allowed_networks=settings.WEBHOOK_ALLOWED_NETWORKS,
        ):
            raise WebhookRefused(
                f"host {parts.hostname!r} resolves to {address}, a loopback, private, link-local or reserved "
                "address (allow it with WEBHOOK_ALLOW_PRIVATE or WEBHOOK_ALLOWED_NETWORKS)"
            )
    return addresses


# ---------------------------------------------------------------- signature


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 of `<timestamp>.<body>` under the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance_s: float = 300.0) -> bool:
    """What a receiver does (and what the tests do): recompute, compare in constant time, reject stale."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


# ---------------------------------------------------------------- delivery (worker side)


@dataclass(frozen=True)
class Delivery:
    delivered: bool
    retryable: bool = False
    detail: str = ""


def backoff_s(attempt: int) -> float:
    """Delay before the retry that follows delivery `attempt` (1-based)."""
    return min(settings.WEBHOOK_BACKOFF_S * 2 ** (attempt - 1), settings.WEBHOOK_BACKOFF_MAX_S)


def deliver(url: str, payload: dict[str, Any], attempt: int = 1) -> Delivery:
    """POST the payload once. Never raises: the result says whether a retry may help."""
    run_id = payload.get("run_id")
    try:
        addresses = check_url(url)
    except WebhookRefused as exc:
        logger.warning("webhook of run %s refused at delivery: %s", run_id, exc)
        return Delivery(False, detail=str(exc))
    try:
        extra_headers = get_config().webhooks.resolved_headers()
    except ValueError as exc:  # a retry would not fix the environment
        logger.error("webhook of run %s: webhooks.headers in langgraph.json: %s", run_id, exc)
        return Delivery(False, detail=str(exc))
    body = orjson.dumps({**payload, "webhook_sent_at": datetime.datetime.now(datetime.UTC).isoformat()})
    try:
        response = _post_pinned(url, addresses[0], body, run_id, extra_headers)
    except httpx.HTTPError as exc:
        logger.warning("webhook of run %s, attempt %d: %s: %s", run_id, attempt, type(exc).__name__, exc)
        return Delivery(False, retryable=True, detail=type(exc).__name__)
    if response.is_success:
        return Delivery(True, detail=str(response.status_code))
    retryable = response.status_code >= 500 or response.status_code == 429
    logger.warning("webhook of run %s, attempt %d: HTTP %d", run_id, attempt, response.status_code)
    return Delivery(False, retryable=retryable, detail=str(response.status_code))


def _post_pinned(url: str, address: IPAddress, body: bytes, run_id: Any, extra: dict[str, str]) -> httpx.Response:
    """Connect to the address that passed the check, not to a fresh DNS answer; TLS still
    verifies the certificate against the URL's host name (SNI)."""
    target = httpx.URL(url)
    headers = {
        **extra,  # langgraph.json's webhooks.headers
        "Host": target.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: str(run_id),
    }
    if settings.WEBHOOK_SECRET:
        timestamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = timestamp
        headers[SIGNATURE_HEADER] = sign(settings.WEBHOOK_SECRET, timestamp, body)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    # Redirects are not followed: the next hop would skip the address check.
    with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_S, follow_redirects=False) as client:
        request = client.build_request(
            "POST", target.copy_with(host=str(address)), content=body, headers=headers, extensions=extensions
        )
        return client.send(request)
