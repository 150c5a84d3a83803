"""Joining another organization needs consent: an admin invites by email; the invited person
accepts or declines after signing in, or creates an account from the link. The admin's page
answers the same whether the address has an account or not."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, Membership
from audit.models import AuditEntry
from core.roles import Role
from core.tasks import send_email


@pytest.fixture
def queued(monkeypatch, django_capture_on_commit_callbacks):
    """Emails queued for the worker (nothing is sent in a request)."""
    sent = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: sent.append(kwargs))
    return sent


def _link(mail) -> str:
    line = next(line for line in mail["body"].splitlines() if "/invitations/join/" in line)
    return "/" + line.split("/", 3)[3]


def test_the_answer_is_the_same_whether_the_address_has_an_account(
    admin, other_assessor, client_for, queued, django_capture_on_commit_callbacks
):
    other_assessor.user.email = "gus@example.com"
    other_assessor.user.save()
    client = client_for(admin)

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(
            "/members/invite/", {"invite-email": "gus@example.com", "invite-roles": ["viewer"]}
        )
        unknown = client.post(
            "/members/invite/", {"invite-email": "new@example.com", "invite-roles": ["viewer"]}
        )

    assert known.status_code == unknown.status_code == 302
    assert [m["recipients"] for m in queued] == [["gus@example.com"], ["new@example.com"]]
    assert not Membership.objects.filter(
        organization=admin.organization, user=other_assessor.user
    ).exists()
    assert AuditEntry.objects.filter(action="member.invited").count() == 2


def test_an_invited_user_sees_it_after_signing_in_and_accepts(
    admin, other_assessor, client_for, queued, django_capture_on_commit_callbacks
):
    other_assessor.user.email = "gus@example.com"
    other_assessor.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            "/members/invite/",
            {"invite-email": "GUS@example.com", "invite-roles": ["approver", "viewer"]},
        )
    gus = client_for(other_assessor)

    # then a banner on every page leads to the invitation
    assert "You are invited to join" in gus.get("/").content.decode()
    invitation = Invitation.objects.get()
    response = gus.post(f"/invitations/{invitation.pk}/", {"answer": "accept"})

    assert response.status_code == 302
    joined = Membership.objects.get(organization=admin.organization, user=other_assessor.user)
    assert joined.roles == {Role.APPROVER, Role.VIEWER}
    assert "You are invited" not in gus.get("/").content.decode()
    assert AuditEntry.objects.filter(action="member.invitation_accepted").exists()


def test_a_declined_invitation_joins_nothing_and_closes(
    admin, other_assessor, client_for, queued, django_capture_on_commit_callbacks
):
    other_assessor.user.email = "gus@example.com"
    other_assessor.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            "/members/invite/", {"invite-email": "gus@example.com", "invite-roles": ["viewer"]}
        )
    invitation = Invitation.objects.get()

    client_for(other_assessor).post(f"/invitations/{invitation.pk}/", {"answer": "decline"})

    invitation.refresh_from_db()
    assert invitation.declined_at is not None
    assert not Membership.objects.filter(
        organization=admin.organization, user=other_assessor.user
    ).exists()
    assert client_for(other_assessor).get(_link(queued[0])).status_code == 404


def test_someone_else_cannot_answer_an_invitation_by_its_number(
    admin, other_assessor, viewer, client_for, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            "/members/invite/", {"invite-email": "gus@example.com", "invite-roles": ["admin"]}
        )
    invitation = Invitation.objects.get()

    response = client_for(viewer).post(f"/invitations/{invitation.pk}/", {"answer": "accept"})

    assert response.status_code == 404
    assert Invitation.objects.get().accepted_at is None


def test_without_an_account_the_link_creates_one_and_joins(
    admin, client_for, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            "/members/invite/", {"invite-email": "nina@example.com", "invite-roles": ["assessor"]}
        )
    link = _link(queued[0])
    client = Client()
    assert client.get(link).status_code == 200

    response = client.post(
        link,
        {
            "username": "nina",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )

    assert response.status_code == 302
    member = Membership.objects.get(organization=admin.organization, user__username="nina")
    assert member.roles == {Role.ASSESSOR}
    assert member.user.email == "nina@example.com"
    assert client.get("/").status_code == 200  # signed in, acting in the organization
    assert Client().get(link).status_code == 404  # the link works once


def test_only_admins_invite(viewer, client_for, queued):
    response = client_for(viewer).post(
        "/members/invite/", {"invite-email": "x@example.com", "invite-roles": ["viewer"]}
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_invitation_needs_an_email_and_a_role(admin, client_for, queued):
    response = client_for(admin).post("/members/invite/", {"invite-email": "nope"})

    assert response.status_code == 400
    form = response.context["invite_form"]
    assert "email" in form.errors
    assert "roles" in form.errors


def test_invitations_are_in_the_admin_without_their_token(admin, client_for, queued):
    from django.urls import reverse

    from tests.factories import UserFactory

    client_for(admin).post(
        "/members/invite/", {"invite-email": "x@example.com", "invite-roles": ["viewer"]}
    )
    root = Client()
    root.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    invitation = Invitation.objects.get()

    listing = root.get(reverse("admin:accounts_invitation_changelist"))
    page = root.get(reverse("admin:accounts_invitation_change", args=[invitation.pk]))

    assert listing.status_code == page.status_code == 200
    assert "x@example.com" in listing.content.decode()
    assert invitation.key_hash not in page.content.decode()


def test_an_invitation_does_not_bring_back_a_deactivated_member(admin, viewer, queued):
    from accounts.services import invitation_create, invitation_respond, member_set_active
    from core.errors import Conflict

    viewer.user.email = "vic@example.com"
    viewer.user.save()
    member_set_active(membership=viewer, active=False, by=admin.user)
    invitation = invitation_create(
        membership=admin, email="vic@example.com", roles={Role.ADMIN}, link_for=str
    )

    with pytest.raises(Conflict) as refused:
        invitation_respond(invitation=invitation, user=viewer.user, accept=True)

    assert refused.value.codes == {"member_deactivated"}
    viewer.refresh_from_db()
    assert not viewer.is_active
    assert viewer.roles == {Role.VIEWER}


def test_answering_a_closed_invitation_says_so_instead_of_failing(
    admin, other_assessor, client_for, queued, django_capture_on_commit_callbacks
):
    other_assessor.user.email = "gus@example.com"
    other_assessor.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin).post(
            "/members/invite/", {"invite-email": "gus@example.com", "invite-roles": ["viewer"]}
        )
    gus = client_for(other_assessor)
    link = _link(queued[0])
    page = gus.get(link)  # the link page, opened before...
    assert page.status_code == 200
    Invitation.objects.update(declined_at=timezone.now())  # ...it was declined elsewhere

    response = gus.post(link, {"answer": "accept"}, follow=True)

    assert response.status_code == 404
    assert not Membership.objects.filter(
        organization=admin.organization, user=other_assessor.user
    ).exists()
