"""The profile page: organizations and roles, and the member's API tokens."""

import hashlib

from accounts.models import ApiToken
from accounts.services import token_create
from audit.models import AuditEntry


def test_profile_shows_organizations_roles_and_how_to_use_a_token(admin, client_for):
    client = client_for(admin)

    response = client.get("/profile/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Robotics" in html
    assert "Admin" in html
    assert "Authorization: Bearer" in html
    assert "/api/v1/assessments" in html


def test_creating_a_token_shows_the_raw_value_once_and_stores_only_its_hash(viewer, client_for):
    # given any member (a viewer) on their profile
    client = client_for(viewer)

    # when they create a token
    response = client.post("/profile/tokens/", {"name": "CI pipeline"})

    # then the raw token is on that response, and only its SHA-256 is stored
    assert response.status_code == 200
    raw = response.context["raw_token"]
    assert raw.startswith("rdy_")
    assert raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(membership=viewer)
    assert token.name == "CI pipeline"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.prefix, token.key_hash}
    assert AuditEntry.objects.filter(action="api_token.created", object_id=str(token.pk)).exists()

    # and a later visit lists the token by its prefix but never shows the raw value again
    later = client.get("/profile/").content.decode()
    assert raw not in later
    assert token.prefix in later
    assert "CI pipeline" in later


def test_a_token_needs_a_name(viewer, client_for):
    client = client_for(viewer)

    response = client.post("/profile/tokens/", {"name": ""})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_tokens_of_another_organization_are_not_listed(admin, other_assessor, client_for):
    token_create(membership=other_assessor, name="Globex exporter")

    html = client_for(admin).get("/profile/").content.decode()

    assert "Globex exporter" not in html


def test_revoking_a_token_marks_it_revoked_and_audits(viewer, client_for):
    # given a member with an active token
    token, _ = token_create(membership=viewer, name="old laptop")
    client = client_for(viewer)

    # when they revoke it (the confirm page's button)
    response = client.post(f"/profile/tokens/{token.pk}/revoke/", {"confirm": "yes"})

    # then it is revoked, recorded in the audit log, and the profile says so
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert entry.actor == viewer.user
    assert entry.after == {"active": False}
    assert "revoked" in client.get("/profile/").content.decode()


def test_revoking_someone_elses_token_is_404_and_changes_nothing(
    admin, viewer, other_assessor, client_for
):
    mine_not, _ = token_create(membership=viewer)
    foreign, _ = token_create(membership=other_assessor)
    client = client_for(admin)

    for token in (mine_not, foreign):
        response = client.post(f"/profile/tokens/{token.pk}/revoke/")
        assert response.status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None


def test_a_get_of_revoke_asks_and_changes_nothing(viewer, client_for):
    token, _ = token_create(membership=viewer)

    response = client_for(viewer).get(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 200
    assert "Revoke the token" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
