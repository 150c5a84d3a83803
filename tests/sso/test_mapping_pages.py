"""The superusers' mapping pages and the admin: every change through the services, audited;
anyone else gets a 403; bad input a 400 naming the field."""

import pytest
from django.test import Client

from audit.actions import Action
from audit.models import AuditEntry
from sso import services
from sso.models import GroupMapping, OrganizationSso, SsoExclusion, SsoGrant, SsoIdentity
from tests.factories import OrganizationFactory, UserFactory
from tests.factories_sso import GroupMappingFactory


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(root):
    client = Client()
    client.force_login(root)
    return client


def test_a_superuser_adds_a_mapping(root_client, org):
    response = root_client.post(
        "/sso/mappings/",
        {"claim_value": "readiness-approvers", "organization": org.pk, "roles": ["approver"]},
    )

    assert response.status_code == 302
    mapping = GroupMapping.objects.get()
    assert (mapping.claim_value, mapping.organization, mapping.roles) == (
        "readiness-approvers",
        org,
        ["approver"],
    )
    entry = AuditEntry.objects.get(action=Action.SSO_MAPPING_CREATED)
    assert entry.organization == org
    assert entry.actor.username == "root"
    assert entry.after["roles"] == ["approver"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"claim_value": "", "roles": ["viewer"]}, "claim_value"),
        ({"claim_value": "   ", "roles": ["viewer"]}, "claim_value"),
        ({"claim_value": "g", "roles": []}, "roles"),
        ({"claim_value": "g", "roles": ["owner"]}, "roles"),
        ({"claim_value": "g", "roles": ["viewer"], "organization": "999999"}, "organization"),
        ({"claim_value": "g", "roles": ["viewer"], "organization": "x"}, "organization"),
        ({"claim_value": "g" * 201, "roles": ["viewer"]}, "claim_value"),
        ({"claim_value": "\u200b\u200b", "roles": ["viewer"]}, "claim_value"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(root_client, org, data, field):
    response = root_client.post("/sso/mappings/", {"organization": org.pk, **data})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not GroupMapping.objects.exists()


def test_a_second_mapping_of_the_same_value_in_an_organization_is_refused(root_client, org):
    GroupMappingFactory(claim_value="eng", organization=org)

    response = root_client.post(
        "/sso/mappings/", {"claim_value": "eng", "organization": org.pk, "roles": ["viewer"]}
    )

    assert response.status_code == 400
    assert "already has a mapping" in str(response.context["form"].errors["claim_value"])


def test_the_same_value_may_map_in_two_organizations(root_client, org, other_org):
    GroupMappingFactory(claim_value="eng", organization=org)

    response = root_client.post(
        "/sso/mappings/", {"claim_value": "eng", "organization": other_org.pk, "roles": ["viewer"]}
    )

    assert response.status_code == 302
    assert GroupMapping.objects.count() == 2


def test_a_superuser_changes_a_mapping(root_client, org):
    mapping = GroupMappingFactory(claim_value="eng", organization=org, roles=["viewer"])

    response = root_client.post(
        f"/sso/mappings/{mapping.pk}/",
        {"claim_value": "engineering", "roles": ["viewer", "assessor"]},
    )

    assert response.status_code == 302
    mapping.refresh_from_db()
    assert mapping.claim_value == "engineering"
    assert mapping.roles == ["assessor", "viewer"]
    assert mapping.organization == org
    entry = AuditEntry.objects.get(action=Action.SSO_MAPPING_CHANGED)
    assert entry.before["claim_value"] == "eng"
    assert entry.after["keys_changed"] == ["claim_value", "roles"]


def test_the_organization_of_a_mapping_stays(root_client, org, other_org):
    mapping = GroupMappingFactory(claim_value="eng", organization=org)

    root_client.post(
        f"/sso/mappings/{mapping.pk}/",
        {"claim_value": "eng", "organization": other_org.pk, "roles": ["viewer"]},
    )

    mapping.refresh_from_db()
    assert mapping.organization == org


def test_a_superuser_deletes_a_mapping(root_client, org):
    mapping = GroupMappingFactory(claim_value="eng", organization=org)

    response = root_client.post(f"/sso/mappings/{mapping.pk}/delete/")

    assert response.status_code == 302
    assert not GroupMapping.objects.exists()
    entry = AuditEntry.objects.get(action=Action.SSO_MAPPING_DELETED)
    assert entry.before["claim_value"] == "eng"


def test_an_unknown_mapping_is_a_404(root_client):
    assert root_client.get("/sso/mappings/999999/").status_code == 404
    assert root_client.post("/sso/mappings/999999/delete/").status_code == 404


def test_deleting_needs_a_post(root_client, org):
    mapping = GroupMappingFactory(organization=org)

    response = root_client.get(f"/sso/mappings/{mapping.pk}/delete/")

    assert response.status_code in {302, 405}
    assert GroupMapping.objects.exists()


def test_an_organization_admin_is_not_a_superuser(client_for, admin, org):
    mapping = GroupMappingFactory(organization=org)
    client = client_for(admin)

    assert client.get("/sso/mappings/").status_code == 403
    assert (
        client.post(
            "/sso/mappings/", {"claim_value": "x", "organization": org.pk, "roles": ["admin"]}
        ).status_code
        == 403
    )
    assert client.post(f"/sso/mappings/{mapping.pk}/", {"claim_value": "y"}).status_code == 403
    assert client.post(f"/sso/mappings/{mapping.pk}/delete/").status_code == 403
    assert GroupMapping.objects.count() == 1


def test_the_services_refuse_anyone_but_a_superuser(admin, org):
    with pytest.raises(services.Forbidden):
        services.mapping_create(by=admin.user, claim_value="x", organization=org, roles=["viewer"])


def test_the_mapping_list_takes_a_fixed_number_of_queries(
    root_client, django_assert_max_num_queries
):
    for n in range(30):
        GroupMappingFactory(claim_value=f"g{n}", organization=OrganizationFactory())

    with django_assert_max_num_queries(8):
        response = root_client.get("/sso/mappings/")

    assert response.status_code == 200
    assert response.content.count(b"<code>g") == 30


MODELS = ["groupmapping", "ssoidentity", "ssogrant", "ssoexclusion", "organizationsso"]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_an_admin_changelist(root_client, model):
    assert root_client.get(f"/admin/sso/{model}/").status_code == 200


def test_a_mapping_added_in_the_admin_is_audited(root_client, org):
    response = root_client.post(
        "/admin/sso/groupmapping/add/",
        {"claim_value": "ops", "organization": org.pk, "roles": ["operator"]},
    )

    assert response.status_code == 302
    assert GroupMapping.objects.get().roles == ["operator"]
    assert AuditEntry.objects.filter(action=Action.SSO_MAPPING_CREATED).count() == 1


def test_the_admin_refuses_a_duplicate_mapping(root_client, org):
    GroupMappingFactory(claim_value="ops", organization=org)

    response = root_client.post(
        "/admin/sso/groupmapping/add/",
        {"claim_value": "ops", "organization": org.pk, "roles": ["operator"]},
    )

    assert response.status_code == 200
    assert b"already has a mapping" in response.content
    assert GroupMapping.objects.count() == 1


def test_staff_who_are_not_superusers_see_no_mapping_admin(client, admin, org):
    admin.user.is_staff = True
    admin.user.save()
    client.force_login(admin.user)

    assert client.get("/admin/sso/groupmapping/").status_code == 403


def test_staff_see_only_their_organizations_rows(client, admin, org, other_org, make_member):
    admin.user.is_staff = True
    admin.user.save()
    OrganizationSso.objects.create(organization=org, require_sso=True)
    OrganizationSso.objects.create(organization=other_org, require_sso=True)
    theirs = make_member(other_org, "viewer", username="globex-person")
    SsoExclusion.objects.create(organization=other_org, user=theirs.user)
    SsoGrant.objects.create(membership=theirs, role="viewer")
    SsoIdentity.objects.create(user=theirs.user, issuer="https://id.example", subject="gp")
    client.force_login(admin.user)

    for model in ["organizationsso", "ssoexclusion", "ssogrant", "ssoidentity"]:
        response = client.get(f"/admin/sso/{model}/")
        assert response.status_code in {200, 403}
        assert b"Globex" not in response.content
        assert b"globex-person" not in response.content
