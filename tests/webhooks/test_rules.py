"""The pure rules of webhooks: signing (checked with the `standardwebhooks` package), the retry
schedule, and the targets a delivery may reach."""

import base64
import itertools
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks import rules


def test_a_secret_is_whsec_and_32_random_bytes_in_base64():
    secret = rules.secret_generate()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert secret != rules.secret_generate()


def test_the_signature_is_the_one_standardwebhooks_computes():
    # given the example of the Standard Webhooks libraries' own tests
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    stamp = 1614265330
    mine = rules.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", stamp, body)
    theirs = Webhook(secret).sign(
        "msg_p5jXN8AQM9LWM0D4loKWxJek", datetime.fromtimestamp(stamp, tz=UTC), body.decode()
    )
    assert mine == theirs == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@given(data=st.dictionaries(st.text(max_size=10), st.text(max_size=30) | st.integers(), max_size=5))
def test_standardwebhooks_verifies_every_payload_we_sign(data):
    secret = rules.secret_generate()
    message_id = rules.message_id_generate()
    body = rules.body_bytes(rules.standard_payload("agent.suspended", datetime.now(UTC), data))
    headers = rules.signed_headers(secret, message_id, int(time.time()), body)
    verified = Webhook(secret).verify(body, headers)
    assert verified["data"] == data


def test_another_secret_or_a_changed_body_does_not_verify():
    secret = rules.secret_generate()
    body = rules.body_bytes({"type": "x", "timestamp": "t", "data": {}})
    headers = rules.signed_headers(secret, rules.message_id_generate(), int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.secret_generate()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_a_message_id_never_holds_a_full_stop():
    assert "." not in rules.message_id_generate()
    with pytest.raises(ValueError, match="full stop"):
        rules.signature(rules.secret_generate(), "msg.1", 1614265330, b"{}")


def test_the_payload_is_type_timestamp_data():
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert rules.standard_payload("gate.decided", at, {"phase": 4}) == {
        "type": "gate.decided",
        "timestamp": "2026-03-01T09:30:00Z",
        "data": {"phase": 4},
    }


# --------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    ("elapsed", "wait"),
    [
        (0, 30),
        (30, 120),
        (150, 600),
        (750, 1800),
        (2550, 3600),
        (6150, 7200),
        (13350, 14400),
        (27750, 28800),
        (56550, 28800),
        (85350, 28800),
        (200, 550),  # a late attempt waits for the next point of the schedule
        (86399, 27751),
        (86400, None),
    ],
)
def test_the_retry_schedule(elapsed, wait):
    assert rules.retry_delay(elapsed) == wait


def test_the_schedule_spans_at_least_24_hours_and_grows():
    offsets = rules.retry_schedule()
    assert offsets[:4] == [0, 30, 150, 750]
    assert offsets[-1] >= 24 * 3600
    assert offsets[-2] < 24 * 3600
    gaps = [b - a for a, b in itertools.pairwise(offsets)]
    assert gaps == sorted(gaps)


@given(st.floats(min_value=0, max_value=0.999))
def test_jitter_adds_at_most_a_tenth(jitter):
    assert 30 <= rules.retry_delay(0, jitter=jitter) <= 33


# --------------------------------------------------------------------------- targets

OPEN = {"allow_loopback": False, "allowed_networks": []}


@pytest.mark.parametrize(
    ("address", "word"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "not a public address"),
    ],
)
def test_addresses_that_are_refused(address, word):
    assert word in rules.address_problem(address, **OPEN)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_fine(address):
    assert rules.address_problem(address, **OPEN) is None


def test_loopback_with_the_setting_and_private_networks_within_the_allowed_cidrs():
    nets = rules.networks_parse(["10.20.0.0/16", " fd00::/8 ", ""])
    assert rules.address_problem("127.0.0.1", allow_loopback=True, allowed_networks=[]) is None
    assert rules.address_problem("10.20.3.4", allow_loopback=False, allowed_networks=nets) is None
    assert rules.address_problem("fd00::9", allow_loopback=False, allowed_networks=nets) is None
    assert "private" in rules.address_problem(
        "10.21.0.1", allow_loopback=False, allowed_networks=nets
    )


def test_a_bad_cidr_is_named():
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not a network"):
        rules.networks_parse(["10.0.0.0/33"])


@pytest.mark.parametrize(
    ("url", "loopback", "problem"),
    [
        ("https://hooks.example.com/in", False, None),
        ("https://hooks.example.com:8443/in?x=1", False, None),
        ("http://hooks.example.com/in", False, "must use https"),
        ("ftp://hooks.example.com/in", False, "full URL"),
        ("not a url", False, "spaces"),
        ("hooks.example.com/in", False, "full URL"),
        ("https://", False, "full URL"),
        ("", False, "Give the endpoint's URL"),
        ("https://user:pw@hooks.example.com/", False, "credentials"),
        ("https://hooks.example.com:99999/", False, "not a valid URL"),
        ("https://[::1/", False, "not a valid URL"),
        ("https://127.0.0.1/in", False, "Loopback targets are not allowed"),
        ("http://localhost:8000/in", False, "Loopback targets are not allowed"),
        ("http://localhost:8000/in", True, None),
        ("http://127.0.0.1:8000/in", True, None),
        ("http://[::1]:8000/in", True, None),
        ("https://10.1.2.3/in", True, "private address"),
        ("https://169.254.169.254/latest", True, "link-local"),
        ("https://example.com/" + "a" * 2000, False, "2000 characters"),
    ],
)
def test_urls(url, loopback, problem):
    found = rules.url_problem(url, allow_loopback=loopback, allowed_networks=[])
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_at_connect_every_address_must_pass_and_http_reaches_loopback_only():
    check = rules.connect_problem
    kw = {"allow_loopback": True, "allowed_networks": rules.networks_parse(["10.0.0.0/8"])}
    assert check("https", "h", ["93.184.215.14"], **kw) is None
    assert "10.0.0.1" not in (check("https", "h", ["10.0.0.1"], **kw) or "")
    assert "192.168.0.1" in check("https", "h", ["93.184.215.14", "192.168.0.1"], **kw)
    assert "plain http" in check("http", "h", ["10.0.0.1"], **kw)
    assert check("http", "h", ["127.0.0.1", "::1"], **kw) is None
    assert "no address" in check("https", "h", [], **kw)


def test_slack_text_names_the_agent_and_what_happened():
    text = rules.slack_text(
        "agent.suspended",
        {"agent_name": "Invoice triage", "kind": "manual", "reason": "Loops", "by": "otto"},
    )
    assert text == ":octagonal_sign: Invoice triage was suspended (manual) by otto: Loops"
    assert "Board report" in rules.slack_text("report.done", {"title": "Q1", "pages": 9})
