"""The pure rules of outbound webhooks (docs/webhooks.md): the events, the Standard Webhooks
signature, the retry schedule and which addresses a delivery may reach. No Django here.

Signing follows the Standard Webhooks specification: the secret is `whsec_` and the base64 of
random bytes; the signed content is `{message id}.{unix timestamp}.{body}`; the signature
header is `v1,` and the base64 of its HMAC-SHA256 with the decoded secret.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from core.roles import Role

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

EVENTS: dict[str, str] = {
    "agent.suspended": "An agent was suspended (by hand, automatically or for a drill)",
    "agent.resumed": "A suspended agent was resumed (or its drill ended)",
    "gate.decided": "A phase gate was decided (go or no-go)",
    "gate.needs_review": "A phase gate at go was sent to review",
    "threshold.breached": "A metric snapshot crossed an alert threshold and suspended the agent",
    "report.done": "A board report finished rendering",
    "reminder.due": "A reminder fell due (reassessment, permission review, drill, budget)",
}
TEST_EVENT = "webhook.test"
FORMATS = ("standard", "slack")

SECRET_PREFIX = "whsec_"  # nosec B105 -- a prefix, not a secret
SECRET_BYTES = 32
MAX_URL_LENGTH = 2000
MAX_ENDPOINTS = 20

# Seconds after the start of a delivery's schedule at which it is tried: at once, then with
# growing gaps (30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then every 8 h). A failure at or
# after RETRY_WINDOW_S gives up, so the attempts span at least 24 hours.
RETRY_GAPS_S = (30, 120, 600, 1800, 3600, 7200, 14400, 28800)
RETRY_WINDOW_S = 24 * 3600
RETRY_JITTER = 0.1


def can_manage_webhooks(roles: Iterable[Role]) -> bool:
    """Register, delete and test endpoints, read deliveries and send them again: admins."""
    return Role.ADMIN in set(roles)


# --------------------------------------------------------------------------- signing


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def message_id_generate() -> str:
    """A message id with no full stop in it (the spec's requirement): msg_ and 24 hex bytes."""
    return "msg_" + secrets.token_hex(12)


def secret_key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("A webhook secret starts with whsec_.")
    key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    if not key:
        raise ValueError("A webhook secret may not be empty.")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: v1,<base64 HMAC-SHA256 of "id.timestamp.body">."""
    if "." in message_id:
        raise ValueError("A message id may not hold a full stop.")
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def body_bytes(payload: Any) -> bytes:
    """The exact bytes sent and signed: compact JSON, keys in the order given, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def standard_payload(event: str, occurred_at: datetime, data: dict) -> dict:
    stamp = occurred_at.isoformat().replace("+00:00", "Z")
    return {"type": event, "timestamp": stamp, "data": data}


def slack_text(event: str, data: dict) -> str:
    """One line for a Slack incoming webhook."""
    agent = data.get("agent_name")
    by = data.get("by") or "system"
    if event == "agent.suspended":
        return f":octagonal_sign: {agent} was suspended ({data.get('kind')}) by {by}: " + str(
            data.get("reason", "")
        )
    if event == "threshold.breached":
        limits = ", ".join(str(b.get("threshold")) for b in data.get("breaches", []))
        return f":warning: {agent} breached its alert thresholds ({limits}) and was suspended."
    if event == "agent.resumed":
        return f":white_check_mark: {agent} was resumed by {by}: {data.get('reason', '')}"
    if event == "gate.decided":
        return f"Gate {data.get('phase')} of {agent}: {data.get('decision')} by {by}."
    if event == "gate.needs_review":
        return f"Gate {data.get('phase')} of {agent} needs review: {data.get('why', '')}"
    if event == "report.done":
        return f"Board report “{data.get('title')}” is ready ({data.get('pages')} pages)."
    if event == "reminder.due":
        return f":bell: {data.get('text', 'A reminder is due.')}"
    return f"Readiness test event from {by}: this endpoint receives Readiness webhooks."


# --------------------------------------------------------------------------- retries


def retry_delay(elapsed_s: float, jitter: float = 0.0) -> int | None:
    """Seconds until the next attempt after one that failed `elapsed_s` seconds into the
    delivery's schedule, or None to give up. `jitter` in [0, 1) spreads retries up to 10%."""
    if elapsed_s >= RETRY_WINDOW_S:
        return None
    offset = 0
    for gap in (*RETRY_GAPS_S, *([RETRY_GAPS_S[-1]] * 4)):
        offset += gap
        if offset > elapsed_s:
            wait = offset - elapsed_s
            return max(1, round(wait + wait * RETRY_JITTER * jitter))
    return RETRY_GAPS_S[-1]  # pragma: no cover - the window ends before the offsets do


def retry_schedule() -> list[int]:
    """The offsets (seconds from the first attempt) of every attempt of a receiver that always
    fails and answers at once."""
    offsets, elapsed = [0], 0.0
    while (wait := retry_delay(elapsed)) is not None:
        elapsed += wait
        offsets.append(int(elapsed))
    return offsets


# --------------------------------------------------------------------------- targets


def networks_parse(values: Sequence[str]) -> list[IPNetwork]:
    """WEBHOOK_ALLOWED_NETWORKS: CIDRs such as 10.20.0.0/16; ValueError naming a bad one."""
    networks = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a network in CIDR notation.") from exc
    return networks


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_problem(
    address: IPAddress | str, *, allow_loopback: bool, allowed_networks: Sequence[IPNetwork]
) -> str | None:
    """Why a delivery may not connect to this address, or None when it may."""
    ip = _plain(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if any(ip.version == net.version and ip in net for net in allowed_networks):
        return None
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address."
    if ip.is_unspecified:
        return f"{ip} is the unspecified address."
    if ip.is_link_local:
        return f"{ip} is a link-local address."
    if ip.is_multicast:
        return f"{ip} is a multicast address."
    if ip.is_reserved:
        return f"{ip} is a reserved address."
    if ip.is_private:
        return f"{ip} is a private address outside WEBHOOK_ALLOWED_NETWORKS."
    if not ip.is_global:
        return f"{ip} is not a public address."
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    literal = _literal(host)
    if literal is not None:
        return _plain(literal).is_loopback
    return host == "localhost" or host.endswith(".localhost")


def url_problem(
    url: str, *, allow_loopback: bool, allowed_networks: Sequence[IPNetwork]
) -> str | None:
    """Why this URL cannot be an endpoint, or None. A host name is checked again, address by
    address, each time a delivery connects (`address_problem`)."""
    if not isinstance(url, str) or not url.strip():
        return "Give the endpoint's URL."
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        return f"Keep the URL to {MAX_URL_LENGTH} characters or fewer."
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "A URL may not hold spaces or control characters."
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError for a port that is not 0-65535
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https") or not host or not parts.netloc:
        return "Give a full URL, such as https://hooks.example.com/readiness."
    if parts.username is not None or parts.password is not None:
        return "Leave credentials out of the URL; verify deliveries with the signing secret."
    loopback = host_is_loopback(host)
    if loopback and not allow_loopback:
        return "Loopback targets are not allowed here (WEBHOOK_ALLOW_LOOPBACK is off)."
    if parts.scheme != "https" and not loopback:
        return "The URL must use https."
    literal = _literal(host)
    if literal is not None:
        problem = address_problem(
            literal, allow_loopback=allow_loopback, allowed_networks=allowed_networks
        )
        if problem:
            return f"Deliveries cannot go there: {problem}"
    return None


def connect_problem(
    scheme: str,
    host: str,
    addresses: Sequence[str],
    *,
    allow_loopback: bool,
    allowed_networks: Sequence[IPNetwork],
) -> str | None:
    """At connect time: why the resolved addresses of `host` may not be reached, or None.
    Every address must pass (a name that also resolves to a private address is refused), and
    plain http only ever reaches loopback addresses."""
    if not addresses:
        return f"{host} resolves to no address."
    for address in addresses:
        problem = address_problem(
            address, allow_loopback=allow_loopback, allowed_networks=allowed_networks
        )
        if problem:
            return f"{host} resolves to {problem}"
        if scheme != "https" and not _plain(ipaddress.ip_address(address)).is_loopback:
            return f"{host} resolves to {address}: plain http only reaches loopback targets."
    return None
