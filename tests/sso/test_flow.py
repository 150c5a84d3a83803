"""The whole sign-in through a real OpenID Connect provider (oidc-provider on the loopback):
Django's test client on our side, the provider's own endpoints over HTTP on the other."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from accounts.models import Membership
from accounts.services import member_remove, member_set_roles
from audit.actions import Action
from audit.models import AuditEntry
from core.roles import Role
from sso.models import SsoExclusion, SsoGrant, SsoIdentity
from sso.oidc import SsoBackend
from tests.factories import UserFactory
from tests.factories_sso import GroupMappingFactory

from .provider import sign_in

ALICE = {
    "email": "alice@acme.example",
    "preferred_username": "alice",
    "groups": ["readiness-assessors"],
}


@pytest.fixture
def alice(sso_on):
    sso_on.set_users({"00u-alice": dict(ALICE)})
    return sso_on


@pytest.fixture
def assessors(org):
    return GroupMappingFactory(
        claim_value="readiness-assessors", organization=org, roles=["assessor"]
    )


def signed_in(client):
    return SESSION_KEY in client.session


def membership_of(username, org):
    return Membership.objects.filter(user__username=username, organization=org).first()


def test_first_sign_in_creates_the_user_with_the_mapped_role(client, alice, assessors, org):
    # given a mapping of the provider's group to the assessor role
    # when alice signs in through the provider for the first time
    response = sign_in(client, "00u-alice")

    # then she is signed in as a new user found by the provider's subject, with the role
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in(client)
    identity = SsoIdentity.objects.get(subject="00u-alice")
    assert identity.issuer == alice.issuer
    assert identity.user.username == "alice"
    assert identity.user.email == "alice@acme.example"
    assert not identity.user.has_usable_password()
    membership = membership_of("alice", org)
    assert membership.roles == {Role.ASSESSOR}
    assert set(SsoGrant.objects.values_list("role", flat=True)) == {"assessor"}
    granted = AuditEntry.objects.get(action=Action.SSO_ROLE_GRANTED)
    assert granted.organization == org
    assert granted.after["role"] == "assessor"
    assert granted.before == {"membership_id": membership.pk, "roles": []}
    signed = AuditEntry.objects.get(action=Action.SSO_SIGNED_IN)
    assert signed.after["user_created"] is True
    assert signed.after["granted"] == ["acme:assessor"]
    assert client.get("/").status_code == 200


def test_the_authorization_request_carries_state_nonce_and_a_pkce_challenge(client, alice):
    response = client.get("/sso/login/")

    location = response["Location"]
    assert location.startswith(f"{alice.issuer}/auth?")
    for part in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256"):
        assert part in location


def test_a_second_sign_in_finds_the_same_user(client, alice, assessors):
    sign_in(client, "00u-alice")
    client.logout()

    sign_in(client, "00u-alice")

    assert get_user_model().objects.filter(username__startswith="alice").count() == 1
    entries = AuditEntry.objects.filter(action=Action.SSO_SIGNED_IN)
    assert [e.after["user_created"] for e in entries.order_by("pk")] == [True, False]
    assert AuditEntry.objects.filter(action=Action.SSO_ROLE_GRANTED).count() == 1


def test_a_typed_username_is_never_linked_silently(client, alice, assessors):
    # given a password account that happens to be called alice, with her email
    existing = UserFactory(username="alice", email="alice@acme.example")

    sign_in(client, "00u-alice")

    # then the SSO user is another account
    identity = SsoIdentity.objects.get(subject="00u-alice")
    assert identity.user != existing
    assert identity.user.username == "alice-2"
    assert not Membership.objects.filter(user=existing).exists()


def test_a_group_removed_at_the_provider_loses_its_role(client, alice, assessors, org):
    GroupMappingFactory(claim_value="readiness-viewers", organization=org, roles=["viewer"])
    alice.set_groups("00u-alice", ["readiness-assessors", "readiness-viewers"])
    sign_in(client, "00u-alice")
    assert membership_of("alice", org).roles == {Role.ASSESSOR, Role.VIEWER}
    client.logout()

    # when the provider drops her from the assessors
    alice.set_groups("00u-alice", ["readiness-viewers"])
    sign_in(client, "00u-alice")

    # then the assessor role is gone, the viewer role stays
    assert membership_of("alice", org).roles == {Role.VIEWER}
    removed = AuditEntry.objects.get(action=Action.SSO_ROLE_REMOVED)
    assert removed.after["role"] == "assessor"
    assert removed.before["roles"] == ["assessor", "viewer"]
    assert set(SsoGrant.objects.values_list("role", flat=True)) == {"viewer"}


def test_losing_every_mapped_role_leaves_the_organization(client, alice, assessors, org):
    sign_in(client, "00u-alice")
    client.logout()
    alice.set_groups("00u-alice", [])

    response = sign_in(client, "00u-alice")

    assert membership_of("alice", org) is None
    assert response["Location"] == "/sso/no-role/"
    # a departure by the mapping is no removal by hand: the group brings her back
    assert not SsoExclusion.objects.exists()


def test_a_role_granted_by_hand_is_kept(client, alice, assessors, org):
    sign_in(client, "00u-alice")
    membership = membership_of("alice", org)
    member_set_roles(organization=org, username="alice", roles={Role.ASSESSOR, Role.OPERATOR})
    client.logout()
    alice.set_groups("00u-alice", [])

    sign_in(client, "00u-alice")

    membership.refresh_from_db()
    assert membership.roles == {Role.OPERATOR}


def test_a_role_held_by_hand_before_the_mapping_stays_when_the_group_goes(
    client, alice, assessors, org
):
    user = UserFactory(username="al")
    SsoIdentity.objects.create(user=user, issuer=alice.issuer, subject="00u-alice")
    member_set_roles(organization=org, username="al", roles={Role.ASSESSOR})
    sign_in(client, "00u-alice")
    assert not SsoGrant.objects.exists()
    client.logout()
    alice.set_groups("00u-alice", [])

    sign_in(client, "00u-alice")

    assert membership_of("al", org).roles == {Role.ASSESSOR}


def test_a_member_removed_by_hand_is_not_added_back(
    client, alice, assessors, org, admin, django_capture_on_commit_callbacks
):
    sign_in(client, "00u-alice")
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        member_remove(membership=membership_of("alice", org), by=admin.user)
    assert SsoExclusion.objects.filter(user__username="alice", organization=org).exists()

    response = sign_in(client, "00u-alice")

    assert membership_of("alice", org) is None
    assert response["Location"] == "/sso/no-role/"


def test_a_deactivated_member_is_left_as_they_are(client, alice, assessors, org):
    sign_in(client, "00u-alice")
    membership = membership_of("alice", org)
    membership.is_active = False
    membership.save()
    client.logout()
    alice.set_groups("00u-alice", [])

    sign_in(client, "00u-alice")

    membership.refresh_from_db()
    assert membership.roles == {Role.ASSESSOR}
    assert not membership.is_active


def test_no_mapping_gives_no_role_and_says_whom_to_ask(client, alice, org):
    UserFactory(username="root", email="root@acme.example", is_superuser=True)

    response = sign_in(client, "00u-alice")

    assert response["Location"] == "/sso/no-role/"
    assert not Membership.objects.filter(user__username="alice").exists()
    page = client.get("/sso/no-role/")
    assert page.status_code == 200
    assert b"no role yet" in page.content
    assert b"root@acme.example" in page.content


def test_the_next_page_is_kept(client, alice, assessors):
    response = sign_in(client, "00u-alice", next_url="/reports/")

    assert response["Location"] == "/reports/"


def _tampered(monkeypatch, change):
    real = SsoBackend.get_token

    def get_token(self, payload):
        answer = real(self, payload)
        answer["id_token"] = change(answer["id_token"])
        return answer

    monkeypatch.setattr(SsoBackend, "get_token", get_token)


def _flip_signature_byte(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return ".".join([head, body, signature[:10] + flipped + signature[11:]])


def test_a_tampered_id_token_is_refused(client, alice, assessors, monkeypatch):
    _tampered(monkeypatch, _flip_signature_byte)

    response = sign_in(client, "00u-alice")

    assert response.status_code == 400
    assert b"signature does not verify" in response.content
    assert not signed_in(client)
    assert not SsoIdentity.objects.exists()


def test_a_token_with_a_changed_claim_is_refused(client, alice, assessors, monkeypatch):
    def change_subject(token):
        head, body, signature = token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claims["sub"] = "someone-else"
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return ".".join([head, body, signature])

    _tampered(monkeypatch, change_subject)

    response = sign_in(client, "00u-alice")

    assert response.status_code == 400
    assert not signed_in(client)


def test_an_expired_id_token_is_refused(client, alice, assessors):
    def two_hours_later(client, url):
        traveller.start()

    traveller = time_machine.travel(timezone.now() + timedelta(hours=2), tick=True)
    try:
        response = sign_in(client, "00u-alice", before_callback=two_hours_later)
    finally:
        traveller.stop()

    assert response.status_code == 400
    assert b"expired" in response.content
    assert not signed_in(client)


def test_a_wrong_nonce_is_refused(client, alice, assessors):
    def wrong_nonce(client, url):
        session = client.session
        for entry in session["oidc_states"].values():
            entry["nonce"] = "not-the-nonce-of-this-sign-in"
        session.save()

    response = sign_in(client, "00u-alice", before_callback=wrong_nonce)

    assert response.status_code == 400
    assert b"nonce" in response.content
    assert not signed_in(client)


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(client, alice, assessors):
    def wrong_verifier(client, url):
        session = client.session
        for entry in session["oidc_states"].values():
            entry["code_verifier"] = "x" * 64
        session.save()

    response = sign_in(client, "00u-alice", before_callback=wrong_verifier)

    assert response.status_code == 502
    assert not signed_in(client)


def test_a_callback_used_twice_is_refused(client, alice, assessors):
    seen = {}

    def keep(client, url):
        seen["url"] = url

    sign_in(client, "00u-alice", before_callback=keep)
    client.logout()

    path = seen["url"].split("testserver", 1)[1]
    response = client.get(path)

    assert response.status_code == 400
    assert not signed_in(client)


def test_a_state_from_elsewhere_is_refused(client, alice, assessors):
    def other_state(client, url):
        return url.replace("state=", "state=forged")

    response = sign_in(client, "00u-alice", before_callback=other_state)

    assert response.status_code == 400
    assert not signed_in(client)


def test_an_error_from_the_provider_is_shown(client, alice):
    client.get("/sso/login/")

    response = client.get("/sso/callback/?error=access_denied&error_description=No+way")

    assert response.status_code == 400
    assert b"No way" in response.content
    assert not signed_in(client)


def test_an_unreachable_provider_is_a_clear_page(client, sso_configured):
    response = client.get("/sso/login/")

    assert response.status_code == 502
    assert b"cannot be reached" in response.content


def test_sso_pages_are_404_when_not_configured(client, settings):
    settings.OIDC_ISSUER = ""

    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=x&state=y").status_code == 404


def test_a_disabled_account_is_refused_and_nothing_changes(client, alice, assessors, org):
    sign_in(client, "00u-alice")
    client.logout()
    user = get_user_model().objects.get(username="alice")
    user.is_active = False
    user.save()
    alice.set_groups("00u-alice", [])

    response = sign_in(client, "00u-alice")

    assert response.status_code == 403
    assert b"disabled" in response.content
    assert not signed_in(client)
    assert membership_of("alice", org).roles == {Role.ASSESSOR}
    assert AuditEntry.objects.filter(action=Action.SSO_SIGNED_IN).count() == 1


@pytest.fixture
def real_id_token(client, alice, assessors, monkeypatch):
    """An ID token the provider really issued, and its nonce."""
    seen = {}
    real = SsoBackend.get_token

    def get_token(self, payload):
        answer = real(self, payload)
        seen["token"] = answer["id_token"]
        return answer

    monkeypatch.setattr(SsoBackend, "get_token", get_token)
    sign_in(client, "00u-alice")
    monkeypatch.setattr(SsoBackend, "get_token", real)
    token = seen["token"]
    return token, jwt.decode(token, options={"verify_signature": False})["nonce"]


def test_the_real_token_verifies(real_id_token):
    token, nonce = real_id_token

    assert SsoBackend().verify_token(token, nonce=nonce)["sub"] == "00u-alice"


def test_a_token_for_another_client_is_refused(real_id_token, settings):
    token, nonce = real_id_token
    settings.OIDC_RP_CLIENT_ID = "another-client"

    with pytest.raises(SuspiciousOperation, match="another client"):
        SsoBackend().verify_token(token, nonce=nonce)


def test_a_token_from_another_issuer_is_refused(real_id_token, monkeypatch):
    token, nonce = real_id_token
    monkeypatch.setattr(
        "sso.oidc.provider_configuration", lambda: {"issuer": "https://elsewhere.example"}
    )

    with pytest.raises(SuspiciousOperation, match="another issuer"):
        SsoBackend().verify_token(token, nonce=nonce)


def test_an_unsigned_token_is_refused(real_id_token):
    token, nonce = real_id_token
    head = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    unsigned = ".".join([head, token.split(".")[1], ""])

    with pytest.raises(SuspiciousOperation, match="signed with"):
        SsoBackend().verify_token(unsigned, nonce=nonce)
