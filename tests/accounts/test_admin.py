"""The Django admin: every model registered; audit read-only; staff scoped to their orgs."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.services import token_create
from assessments.models import Assessment
from assessments.services import assessment_create, assessment_set_scores, assessment_submit
from audit.actions import Action
from audit.models import AuditEntry, ChainHead
from audit.services import audit_record
from tests.conftest import scores_of
from tests.factories import UserFactory

MODELS = [
    "accounts.organization",
    "accounts.membership",
    "accounts.apitoken",
    "audit.auditentry",
    "audit.chainhead",
    "assessments.framework",
    "assessments.dimension",
    "assessments.criterion",
    "assessments.assessment",
    "assessments.score",
]


@pytest.fixture
def superuser_client(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def submitted(assessor, framework):
    assessment = assessment_create(membership=assessor, title="Q1")
    assessment_set_scores(assessment=assessment, membership=assessor, scores=scores_of(3, 3, 4, 4))
    return assessment_submit(assessment=assessment, membership=assessor)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_changelist(superuser_client, submitted, admin, model):
    token_create(membership=admin)
    app, name = model.split(".")

    response = superuser_client.get(reverse(f"admin:{app}_{name}_changelist"))

    assert response.status_code == 200


def test_audit_entries_are_read_only(superuser_client, admin, org):
    entry = audit_record(organization=org, actor=admin.user, action=Action.MEMBER_ROLES_SET)
    url = reverse("admin:audit_auditentry_change", args=[entry.pk])

    page = superuser_client.get(url)
    add = superuser_client.get(reverse("admin:audit_auditentry_add"))
    delete = superuser_client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    change = superuser_client.post(url, {"action": "forged"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    entry.refresh_from_db()
    assert entry.action == Action.MEMBER_ROLES_SET


def test_submitted_assessment_is_read_only(superuser_client, submitted):
    url = reverse("admin:assessments_assessment_change", args=[submitted.pk])

    page = superuser_client.get(url)
    post = superuser_client.post(url, {"title": "changed"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
    submitted.refresh_from_db()
    assert submitted.title == "Q1"


def test_api_token_admin_shows_no_raw_token_and_cannot_add(superuser_client, admin):
    token, raw = token_create(membership=admin)

    page = superuser_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    add = superuser_client.get(reverse("admin:accounts_apitoken_add"))

    assert raw not in page.content.decode()
    assert token.key_hash in page.content.decode()
    assert add.status_code == 403


def test_revoke_action_revokes_and_audits(superuser_client, admin):
    token, _ = token_create(membership=admin)

    superuser_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked").exists()


def test_membership_role_change_in_admin_is_audited(superuser_client, assessor):
    url = reverse("admin:accounts_membership_change", args=[assessor.pk])

    response = superuser_client.post(
        url,
        {
            "user": assessor.user.pk,
            "organization": assessor.organization.pk,
            "is_assessor": "on",
            "is_viewer": "on",
        },
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="member.roles_set")
    assert entry.before == {"roles": ["assessor"]}
    assert entry.after == {"roles": ["assessor", "viewer"], "via": "admin"}


def test_staff_non_superuser_sees_only_organizations_they_admin(
    admin, assessor, other_assessor, org, other_org, framework
):
    # given a staff user who is admin of Acme only, with view permissions
    staff = admin.user
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_assessment",
                "view_membership",
                "view_apitoken",
                "view_auditentry",
            ]
        )
    )
    acme_draft = assessment_create(membership=assessor, title="Acme draft")
    globex_draft = assessment_create(membership=other_assessor, title="Globex draft")
    token_create(membership=admin, name="acme-token")
    token_create(membership=other_assessor, name="globex-token")
    client = Client()
    client.force_login(staff)

    # when they browse the admin's lists
    pages = {
        name: client.get(reverse(f"admin:{name}_changelist")).context["cl"].queryset
        for name in (
            "assessments_assessment",
            "accounts_membership",
            "accounts_apitoken",
            "audit_auditentry",
        )
    }

    # then only Acme's rows are there
    assert set(pages["assessments_assessment"]) == {Assessment.objects.get(pk=acme_draft.pk)}
    assert globex_draft.pk not in {a.pk for a in pages["assessments_assessment"]}
    assert {m.organization_id for m in pages["accounts_membership"]} == {org.pk}
    assert {t.name for t in pages["accounts_apitoken"]} == {"acme-token"}
    assert {e.organization_id for e in pages["audit_auditentry"]} == {org.pk}


def test_every_change_page_renders(superuser_client, submitted, admin):
    # given one object of every model (the framework is pinned by a submitted assessment)
    token, _ = token_create(membership=admin)
    framework = submitted.framework
    dimension = framework.ordered_dimensions[0]
    objects = {
        "accounts.organization": admin.organization,
        "accounts.membership": admin,
        "accounts.apitoken": token,
        "audit.auditentry": AuditEntry.objects.first(),
        "audit.chainhead": ChainHead.objects.first(),
        "assessments.framework": framework,
        "assessments.dimension": dimension,
        "assessments.criterion": dimension.ordered_criteria[0],
        "assessments.assessment": submitted,
        "assessments.score": submitted.scores.first(),
    }

    for model, obj in objects.items():
        app, name = model.split(".")
        response = superuser_client.get(reverse(f"admin:{app}_{name}_change", args=[obj.pk]))
        assert response.status_code == 200, model


def test_a_pinned_framework_is_read_only(superuser_client, submitted):
    url = reverse("admin:assessments_framework_change", args=[submitted.framework.pk])

    response = superuser_client.post(url, {"name": "renamed", "version": 1})

    assert response.status_code == 403


def _staff_admin_of(admin, *codenames):
    staff = admin.user
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def test_staff_filters_name_no_other_organization(admin, assessor, other_assessor, other_org):
    # given assessments in two organizations and a staff user who administers only one
    assessment_create(membership=assessor, title="Acme draft")
    assessment_create(membership=other_assessor, title="Globex draft")
    client = _staff_admin_of(admin, "view_assessment", "view_auditentry", "view_membership")

    # when they open the lists with an organization filter
    for name in ("assessments_assessment", "audit_auditentry", "accounts_membership"):
        html = client.get(reverse(f"admin:{name}_changelist")).content.decode()

        # then the other organization's name appears nowhere, filters included
        assert other_org.name not in html, name


def test_only_superusers_change_the_shared_framework(admin, framework):
    client = _staff_admin_of(
        admin, "view_framework", "change_framework", "add_framework", "delete_framework"
    )
    url = reverse("admin:assessments_framework_change", args=[framework.pk])

    page = client.get(url)
    changed = client.post(url, {"name": "Renamed by staff", "version": framework.version})
    added = client.get(reverse("admin:assessments_framework_add"))

    assert page.status_code == 200  # staff may look
    assert changed.status_code == 403
    assert added.status_code == 403
    framework.refresh_from_db()
    assert framework.name != "Renamed by staff"
