"""Signing in and out through Django auth, with django-axes throttling failures."""

import pytest
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def member(admin):
    return admin


def test_sign_in_with_the_right_password_lands_home(member):
    client = Client()

    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    assert client.session["_auth_user_id"] == str(member.user.pk)


def test_a_wrong_password_shows_the_form_again(member):
    client = Client()

    response = client.post("/login/", {"username": "ada", "password": "nope"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_five_failures_lock_out_even_the_right_password(member):
    # given five failed sign-ins for one username from one address
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "ada", "password": "wrong"})

    # when the right password is tried
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    # then axes refuses with its lockout page (django-axes 8 answers 429 Too Many Requests)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username(member):
    # given another user locked out from the same address
    UserFactory(username="mallory")
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "mallory", "password": "wrong"})

    # when ada signs in from that address
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})

    # then ada is not locked out
    assert response.status_code == 302


def test_sign_out_is_a_post(member, client_for):
    client = client_for(member)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_attempt_before_the_last_warns(member):
    client = Client()
    for _ in range(3):
        client.post("/login/", {"username": "ada", "password": "wrong"})

    fourth = client.post("/login/", {"username": "ada", "password": "wrong"})

    # then the fourth failure (one before the lockout) says what the next one does
    assert "One more failed attempt pauses signing in as ada" in fourth.content.decode()
    assert "15 minutes" in fourth.content.decode()


def test_the_lockout_says_how_long_and_when_it_ends_and_retrying_does_not_extend_it(member):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    client = Client()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            client.post("/login/", {"username": "ada", "password": "wrong"})
        locked = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "for 15 minutes" in page
    assert f"{(start + timezone.timedelta(minutes=15)):%H:%M} UTC" in page

    # when the right password is tried again 10 minutes in, then once the 15 minutes are over
    with time_machine.travel(start + timezone.timedelta(minutes=10), tick=False):
        assert client.post("/login/", {"username": "ada", "password": PASSWORD}).status_code == 429
    with time_machine.travel(start + timezone.timedelta(minutes=16), tick=False):
        signed_in = client.post("/login/", {"username": "ada", "password": PASSWORD})

    # then the retry did not extend the pause: 16 minutes after it began, the sign-in works
    assert signed_in.status_code == 302
