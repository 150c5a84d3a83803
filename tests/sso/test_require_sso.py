"""An organization that requires single sign-on: its members' password sign-in is refused
with a message pointing at the button; the admins' setting page, audited."""

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.services import member_set_active
from audit.actions import Action
from audit.models import AuditEntry
from sso.models import OrganizationSso
from tests.factories import MembershipFactory, UserFactory
from tests.factories_sso import OrganizationSsoFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sam(assessor):
    assessor.user.set_password(PASSWORD)
    assessor.user.save()
    return assessor


def password_sign_in(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_a_member_of_an_organization_requiring_sso_is_refused(client, sso_configured, sam, org):
    OrganizationSsoFactory(organization=org, require_sso=True)

    response = password_sign_in(client, "sam")

    assert response.status_code == 403
    assert "Acme Robotics requires single sign-on" in response.content.decode()
    assert "Sign in with Acme ID" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_wrong_password_says_only_that_it_is_wrong(client, sso_configured, sam, org):
    OrganizationSsoFactory(organization=org, require_sso=True)

    response = password_sign_in(client, "sam", "wrong")

    assert response.status_code == 200
    assert b"requires single sign-on" not in response.content


def test_password_sign_in_works_where_sso_is_not_required(client, sso_configured, sam, org):
    OrganizationSsoFactory(organization=org, require_sso=False)

    response = password_sign_in(client, "sam")

    assert response.status_code == 302
    assert SESSION_KEY in client.session


def test_the_requirement_needs_sso_configured(client, settings, sam, org):
    # given SSO switched off on the server, a requirement would lock everybody out
    settings.OIDC_ISSUER = ""
    OrganizationSsoFactory(organization=org, require_sso=True)

    response = password_sign_in(client, "sam")

    assert response.status_code == 302


def test_any_organization_requiring_sso_is_enough(client, sso_configured, sam, other_org):
    # given sam is also a viewer of Globex, which requires SSO (Acme does not)
    MembershipFactory(user=sam.user, organization=other_org, is_viewer=True)
    OrganizationSsoFactory(organization=other_org, require_sso=True)

    response = password_sign_in(client, "sam")

    assert response.status_code == 403
    assert b"Globex requires single sign-on" in response.content


def test_a_deactivated_membership_does_not_count(client, sso_configured, sam, org, admin):
    OrganizationSsoFactory(organization=org, require_sso=True)
    member_set_active(membership=sam, active=False, by=admin.user)

    response = password_sign_in(client, "sam")

    assert response.status_code == 302


def test_a_superuser_may_still_use_a_password(client, sso_configured, sam, org):
    sam.user.is_superuser = True
    sam.user.save()
    OrganizationSsoFactory(organization=org, require_sso=True)

    response = password_sign_in(client, "sam")

    assert response.status_code == 302


def test_the_sign_in_page_shows_the_button_when_sso_is_configured(client, sso_configured):
    response = client.get("/login/?next=/reports/")

    content = response.content.decode()
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert "Sign in with Acme ID" in content
    assert 'href="/sso/login/?next=/reports/"' in content


def test_the_sign_in_page_has_no_button_without_sso(client, settings, db):
    settings.OIDC_ISSUER = ""

    response = client.get("/login/")

    assert b"sso-button" not in response.content


def test_an_admin_requires_sso(client_for, admin, org):
    client = client_for(admin)

    response = client.post("/sso/require/", {"require_sso": "on"})

    assert response.status_code == 302
    assert OrganizationSso.objects.get(organization=org).require_sso
    entry = AuditEntry.objects.get(action=Action.SSO_REQUIREMENT_SET)
    assert entry.organization == org
    assert entry.before == {"require_sso": False}
    assert entry.after == {"require_sso": True}
    page = client.get("/sso/require/")
    assert b"required" in page.content


def test_lifting_it_is_audited_and_saving_twice_records_once(client_for, admin, org):
    client = client_for(admin)
    client.post("/sso/require/", {"require_sso": "on"})
    client.post("/sso/require/", {"require_sso": "on"})
    client.post("/sso/require/", {})

    assert not OrganizationSso.objects.get(organization=org).require_sso
    entries = AuditEntry.objects.filter(action=Action.SSO_REQUIREMENT_SET).order_by("pk")
    assert [e.after["require_sso"] for e in entries] == [True, False]


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_only_an_admin_changes_the_requirement(client_for, make_member, org, role):
    client = client_for(make_member(org, role, username=f"m-{role}"))

    assert client.get("/sso/require/").status_code == 403
    assert client.post("/sso/require/", {"require_sso": "on"}).status_code == 403
    assert not OrganizationSso.objects.exists()


def test_the_requirement_is_the_admins_own_organization(client_for, other_assessor, org):
    client = client_for(other_assessor)

    client.post("/sso/require/", {"require_sso": "on"})

    assert not OrganizationSso.objects.filter(organization=org).exists()
    assert OrganizationSso.objects.get().organization == other_assessor.organization


def test_signed_out_is_sent_to_sign_in(client, db):
    response = client.get("/sso/require/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_in_no_organization_is_not_refused(client, sso_configured):
    user = UserFactory(username="loner")
    user.set_password(PASSWORD)
    user.save()

    assert password_sign_in(client, "loner").status_code == 302


def test_the_members_page_links_to_the_setting(client_for, admin):
    response = client_for(admin).get("/members/")

    assert b'href="/sso/require/"' in response.content


def test_the_no_role_page_sends_a_member_home(client_for, viewer):
    response = client_for(viewer).get("/sso/no-role/")

    assert response.status_code == 302
    assert response["Location"] == "/"
