"""The organization switcher: a user in several organizations chooses where to act."""

import pytest

from accounts.middleware import SESSION_KEY


@pytest.fixture
def two_org_member(org, other_org, make_member):
    """One user, admin+assessor in Acme and viewer in Globex."""
    in_acme = make_member(org, "admin", "assessor", username="dual")
    in_globex = make_member(other_org, "viewer")
    in_globex.user = in_acme.user
    in_globex.save()
    return in_acme, in_globex


def test_switcher_lists_every_organization_of_the_user_with_roles(two_org_member, client_for):
    # given a user in two organizations, acting in Acme
    in_acme, in_globex = two_org_member
    client = client_for(in_acme)

    # when they open the switcher
    response = client.get("/organizations/switch/")

    # then both organizations are listed, each with its roles, and a button for the other one
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Robotics" in html
    assert "Globex" in html
    assert "Assessor" in html
    assert "Viewer" in html
    assert f'name="membership" value="{in_globex.pk}"' in html


def test_switching_sets_the_session_and_redirects_home(two_org_member, client_for):
    # given a user acting in Acme
    in_acme, in_globex = two_org_member
    client = client_for(in_acme)

    # when they switch to Globex
    response = client.post("/organizations/switch/", {"membership": in_globex.pk})

    # then the session acts in Globex from now on, and they land home with a message
    assert response.status_code == 302
    assert response.url == "/"
    assert client.session[SESSION_KEY] == in_globex.pk
    page = client.get("/organizations/switch/")
    assert page.context["membership"] == in_globex
    messages = [str(m) for m in page.context["messages"]]
    assert messages == ["You are now working in Globex."]


def test_switching_to_another_users_membership_is_404(admin, other_assessor, client_for):
    # given an Acme admin and a membership of someone else in Globex
    client = client_for(admin)

    # when the admin posts that membership's id
    response = client.post("/organizations/switch/", {"membership": other_assessor.pk})

    # then it is a 404 and the session still acts in Acme
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == admin.pk


@pytest.mark.parametrize("value", ["", "abc", "999999"])
def test_switching_to_nonsense_is_404(admin, client_for, value):
    client = client_for(admin)

    response = client.post("/organizations/switch/", {"membership": value})

    assert response.status_code == 404


def test_switcher_needs_sign_in(db, client):
    response = client.get("/organizations/switch/")

    assert response.status_code == 302
    assert response.url.startswith("/login/")
