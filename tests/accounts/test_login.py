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
