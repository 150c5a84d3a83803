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


def test_a_forgotten_password_is_reset_by_a_link_sent_through_the_worker(
    viewer, monkeypatch, django_capture_on_commit_callbacks
):
    from core.tasks import send_email

    queued = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: queued.append(kwargs))
    viewer.user.email = "vic@example.com"
    _with_password(viewer)
    client = Client()
    assert "/password-reset/" in client.get("/login/").content.decode()

    # when they ask for a reset, for their address and for an unknown one
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/password-reset/", {"email": "vic@example.com"})
        unknown = client.post("/password-reset/", {"email": "nobody@example.com"})

    # then both answers are the same, and one email is queued (none sent in the request)
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/password-reset/sent/"
    assert [q["recipients"] for q in queued] == [["vic@example.com"]]
    link = next(line for line in queued[0]["body"].splitlines() if "/password-reset/" in line)
    path = "/" + link.split("/", 3)[3]

    # and the link lets them choose a new password once
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"new_password1": "a-fresh-long-passphrase", "new_password2": "a-fresh-long-passphrase"},
    )
    assert done["Location"] == "/password-reset/done/"
    viewer.user.refresh_from_db()
    assert viewer.user.check_password("a-fresh-long-passphrase")
    assert "no longer works" in client.get(path, follow=True).content.decode()
