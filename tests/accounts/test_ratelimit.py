"""Sign-in attempts are limited per client address and username (RATE_LIMIT_SIGNIN, 10 a
minute by default): past it the page says when to retry, with 429 and Retry-After. A success
resets the count. The address is REMOTE_ADDR unless a trusted proxy header is configured."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.cache import caches
from django.test import Client

from core import ratelimit
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
# The start of a minute.
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def ratelimit_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    caches[ratelimit.CACHE_ALIAS].clear()
    yield
    caches[ratelimit.CACHE_ALIAS].clear()


@pytest.fixture
def member(admin):
    return admin  # the user "ada", whose password is PASSWORD


def sign_in(client, username="ada", password="wrong", **headers):
    return client.post(
        "/login/", {"username": username, "password": password}, headers=headers or None
    )


def test_the_eleventh_attempt_in_a_minute_is_refused_with_429_and_retry_after(member, settings):
    # given the default limit, and axes's lockout out of the way
    assert settings.RATE_LIMIT_SIGNIN == "10/60"
    settings.AXES_FAILURE_LIMIT = 100
    client = Client()
    with time_machine.travel(T0 + timedelta(seconds=20), tick=False):
        tries = [sign_in(client) for _ in range(10)]
        refused = sign_in(client, password=PASSWORD)

    assert [r.status_code for r in tries] == [200] * 10
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    page = refused.content.decode()
    assert "Too many sign-in attempts for this username from this address" in page
    assert "Try again in 40 seconds." in page
    assert 'name="username"' in page  # the form is there again
    assert "_auth_user_id" not in client.session


def test_the_limit_lifts_in_the_next_window(member, settings):
    settings.RATE_LIMIT_SIGNIN = "3/60"
    client = Client()
    with time_machine.travel(T0 + timedelta(seconds=50), tick=False):
        for _ in range(3):
            sign_in(client)
        assert sign_in(client, password=PASSWORD).status_code == 429
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        signed_in = sign_in(client, password=PASSWORD)

    assert signed_in.status_code == 302


def test_another_username_or_another_address_counts_apart(member, settings):
    settings.RATE_LIMIT_SIGNIN = "3/60"
    UserFactory(username="mallory")
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            sign_in(Client())
        assert sign_in(Client()).status_code == 429

        # another username from the same address, the same username from another address
        assert sign_in(Client(), username="mallory").status_code == 200
        elsewhere = sign_in(Client(REMOTE_ADDR="192.0.2.44"), password=PASSWORD)

    assert elsewhere.status_code == 302


def test_the_username_counts_whatever_its_case(member, settings):
    settings.RATE_LIMIT_SIGNIN = "3/60"
    with time_machine.travel(T0, tick=False):
        for name in ("ada", "ADA", " Ada "):
            sign_in(Client(), username=name)
        assert sign_in(Client(), username="aDa").status_code == 429


def test_a_successful_sign_in_resets_the_count(member, settings):
    settings.RATE_LIMIT_SIGNIN = "3/60"
    with time_machine.travel(T0, tick=False):
        sign_in(Client())
        sign_in(Client())
        assert sign_in(Client(), password=PASSWORD).status_code == 302
        sign_in(Client())
        sign_in(Client())

        assert sign_in(Client(), password=PASSWORD).status_code == 302


def test_a_forwarded_header_is_ignored_unless_configured(member, settings):
    # given no trusted header: every attempt comes from REMOTE_ADDR whatever it claims
    settings.RATE_LIMIT_SIGNIN = "3/60"
    settings.CLIENT_IP_HEADER = ""
    with time_machine.travel(T0, tick=False):
        for n in range(3):
            sign_in(Client(), **{"X-Forwarded-For": f"203.0.113.{n}"})
        refused = sign_in(Client(), password=PASSWORD, **{"X-Forwarded-For": "203.0.113.99"})

    assert refused.status_code == 429


def test_behind_a_trusted_proxy_the_client_is_the_first_address_of_its_header(member, settings):
    settings.RATE_LIMIT_SIGNIN = "3/60"
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            sign_in(proxy, **{"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})
        refused = sign_in(proxy, password=PASSWORD, **{"X-Forwarded-For": "203.0.113.7"})
        other_client = sign_in(proxy, password=PASSWORD, **{"X-Forwarded-For": "203.0.113.8"})

    assert refused.status_code == 429
    assert other_client.status_code == 302
    # django-axes records the same address
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_the_sign_in_page_itself_is_never_limited(member, settings):
    settings.RATE_LIMIT_SIGNIN = "1/60"
    client = Client()
    with time_machine.travel(T0, tick=False):
        sign_in(client)
        assert sign_in(client).status_code == 429
        assert all(client.get("/login/").status_code == 200 for _ in range(20))


def test_switched_off_nothing_is_limited(member, settings):
    settings.RATE_LIMIT_SIGNIN = "0"
    settings.AXES_FAILURE_LIMIT = 100
    client = Client()
    with time_machine.travel(T0, tick=False):
        assert all(sign_in(client).status_code == 200 for _ in range(30))
