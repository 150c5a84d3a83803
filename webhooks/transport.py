"""One HTTP POST of a delivery, to an address checked when it connects
(docs/adr/0006-webhook-delivery.md).

The host is resolved here, every address it resolves to is checked against the target rules
(`rules.connect_problem`), and the connection goes to the checked address itself: urllib3's
connection pool is opened on the IP, while the TLS handshake (SNI) and the certificate check use
the URL's host name and the `Host` header names it. No second lookup happens between the check
and the connection, so a name that changes its answer (DNS rebinding) cannot slip past. Nothing
is retried or redirected here: the schedule retries, and a 3xx is a failure.
"""

import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from . import rules

USER_AGENT = "Readiness-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    elapsed_ms: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order, without duplicates."""
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


def _pool(scheme: str, address: str, port: int, host: str, ca_bundle: str | None):
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_bundle or None,
            server_hostname=host,
            assert_hostname=host,
        )
    return urllib3.HTTPConnectionPool(address, port, maxsize=1, retries=False)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_loopback: bool,
    allowed_networks: Sequence[rules.IPNetwork],
    connect_timeout: float,
    total_timeout: float,
    ca_bundle: str | None = None,
    resolver: Callable[[str, int], list[str]] | None = None,
) -> Outcome:
    """POST `body` to `url`; never raises for what the network or the receiver does."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = (resolver or resolve)(host, port)
    except (OSError, UnicodeError) as exc:
        return Outcome(None, None, f"Could not resolve {host}: {exc}"[:500])
    problem = rules.connect_problem(
        parts.scheme,
        host,
        addresses,
        allow_loopback=allow_loopback,
        allowed_networks=allowed_networks,
    )
    if problem:
        return Outcome(None, None, f"Refused before connecting: {problem}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent_headers = {
        **headers,
        "Host": parts.netloc,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    started = time.monotonic()
    error = ""
    for address in addresses:
        remaining = total_timeout - (time.monotonic() - started)
        if remaining <= 0:
            break
        pool = _pool(parts.scheme, address, port, host, ca_bundle)
        try:
            response = pool.urlopen(
                "POST",
                target,
                body=body,
                headers=sent_headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=min(connect_timeout, remaining), read=remaining),
            )
            response.close()
        except (ConnectTimeoutError, NewConnectionError) as exc:
            error = f"Could not connect to {address}: {_reason(exc)}"
            continue  # the next address, if there is one
        except ReadTimeoutError:
            return Outcome(None, _ms(started), f"No answer within {total_timeout:g} s.")
        except HTTPError as exc:
            return Outcome(None, _ms(started), f"{type(exc).__name__}: {_reason(exc)}"[:500])
        finally:
            pool.close()
        status = response.status
        return Outcome(status, _ms(started), "" if 200 <= status < 300 else f"HTTP {status}")
    return Outcome(None, _ms(started), (error or "No time left to connect.")[:500])


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300]
