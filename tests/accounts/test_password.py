"""Every member changes their own password on the profile page (Django's own view and form);
the change is audited and signs out their other sessions."""

from django.test import Client

from audit.models import AuditEntry


def _with_password(membership, password="old-passphrase-123"):
    membership.user.set_password(password)
    membership.user.save()
    return membership


def test_a_member_changes_their_password(viewer, client_for):
    _with_password(viewer)
    client = client_for(viewer)
    other_session = client_for(viewer)

    response = client.post(
        "/profile/password/",
        {
            "old_password": "old-passphrase-123",
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/profile/password/done/"
    viewer.user.refresh_from_db()
    assert viewer.user.check_password("a-new-long-passphrase")
    assert client.get("/profile/").status_code == 200  # this session stays signed in
    assert other_session.get("/profile/").status_code == 302  # the others are signed out
    entry = AuditEntry.objects.get(action="user.password_changed")
    assert entry.actor == viewer.user


def test_a_wrong_old_password_changes_nothing_and_says_so(viewer, client_for):
    _with_password(viewer)

    response = client_for(viewer).post(
        "/profile/password/",
        {
            "old_password": "wrong",
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    viewer.user.refresh_from_db()
    assert viewer.user.check_password("old-passphrase-123")
    assert not AuditEntry.objects.filter(action="user.password_changed").exists()


def test_the_profile_links_to_it_and_strangers_are_sent_to_sign_in(viewer, client_for):
    _with_password(viewer)

    assert "/profile/password/" in client_for(viewer).get("/profile/").content.decode()
    assert Client().get("/profile/password/")["Location"].startswith("/login/")
