"""The cache-backed counter of core.ratelimit, the client address rule (also django-axes's)
and the middleware that puts Retry-After on a refused API answer."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.helpers import get_client_ip_address
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core import ratelimit

# A window start for 60 s and 3600 s windows alike.
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ratelimit_cache(settings):
    """Counts in this process's memory (never a shared Redis), fresh for each test."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches[ratelimit.CACHE_ALIAS].clear()
    yield
    caches[ratelimit.CACHE_ALIAS].clear()


def test_the_hits_up_to_the_limit_pass_then_retry_after_counts_down_to_the_window_end():
    with time_machine.travel(T0, tick=False):
        verdicts = [ratelimit.hit("t", "k", "3/60") for _ in range(3)]
    with time_machine.travel(T0 + timedelta(seconds=45), tick=False):
        over = ratelimit.hit("t", "k", "3/60")

    assert [v.allowed for v in verdicts] == [True, True, True]
    assert [v.remaining for v in verdicts] == [2, 1, 0]
    assert not over.allowed
    assert over.retry_after == 15


def test_the_count_starts_again_in_the_next_window():
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        for _ in range(3):
            ratelimit.hit("t", "k", "3/60")
        assert not ratelimit.hit("t", "k", "3/60").allowed
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        assert ratelimit.hit("t", "k", "3/60").allowed


def test_keys_and_scopes_count_apart():
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            ratelimit.hit("t", "k", "3/60")
        assert not ratelimit.hit("t", "k", "3/60").allowed
        assert ratelimit.hit("t", "other", "3/60").allowed
        assert ratelimit.hit("u", "k", "3/60").allowed


def test_limit_raises_past_the_limit_with_the_seconds_to_wait():
    with time_machine.travel(T0 + timedelta(seconds=10), tick=False):
        ratelimit.limit("t", "k", "1/60", detail="Slow down.")
        with pytest.raises(ratelimit.RateLimited) as raised:
            ratelimit.limit("t", "k", "1/60", detail="Slow down.")

    assert raised.value.detail == "Slow down."
    assert raised.value.retry_after == 50


@pytest.mark.parametrize("rate", ["", "0", None])
def test_a_limit_switched_off_counts_nothing(rate):
    for _ in range(50):
        assert ratelimit.hit("t", "k", rate) is None
        ratelimit.limit("t", "k", rate, detail="")


def test_a_malformed_rate_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="hits/seconds"):
        ratelimit.hit("t", "k", "lots")


def test_reset_forgets_the_current_window():
    with time_machine.travel(T0, tick=False):
        ratelimit.hit("t", "k", "1/60")
        ratelimit.reset("t", "k", "1/60")
        assert ratelimit.hit("t", "k", "1/60").allowed


def _request(**meta):
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", **meta)


def test_without_a_trusted_header_the_address_is_remote_addr_whatever_headers_say(settings):
    settings.CLIENT_IP_HEADER = ""
    request = _request(HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert ratelimit.client_ip(request) == "10.0.0.9"
    assert get_client_ip_address(request) == "10.0.0.9"


def test_with_a_trusted_header_its_first_address_is_the_client(settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    request = _request(HTTP_X_FORWARDED_FOR=" 203.0.113.7 , 10.0.0.1")

    assert ratelimit.client_ip(request) == "203.0.113.7"
    assert get_client_ip_address(request) == "203.0.113.7"


def test_only_the_configured_header_is_trusted(settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    request = _request(HTTP_X_FORWARDED_FOR="203.0.113.7", HTTP_X_REAL_IP="2001:db8::1")

    assert ratelimit.client_ip(request) == "2001:db8::1"


@pytest.mark.parametrize("value", [None, "", "not-an-address", "unknown, 203.0.113.7"])
def test_a_missing_or_malformed_trusted_header_falls_back_to_remote_addr(settings, value):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    meta = {} if value is None else {"HTTP_X_FORWARDED_FOR": value}

    assert ratelimit.client_ip(_request(**meta)) == "10.0.0.9"


def test_wait_words():
    assert ratelimit.wait_words(1) == "in 1 second"
    assert ratelimit.wait_words(42) == "in 42 seconds"
    assert ratelimit.wait_words(3599) == "in 60 minutes"
