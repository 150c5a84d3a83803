"""The operator commands: add_member, create_api_token, seed_demo, verify_audit_log."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import ApiToken, Membership, Organization
from assessments.models import Assessment
from audit.models import AuditEntry
from core.roles import Role
from gates.models import GateDecision

User = get_user_model()


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        Assessment.objects.count(),
        ApiToken.objects.count(),
    )


# add_member -----------------------------------------------------------------------------------


def test_add_member_creates_organization_user_and_roles(db):
    out, _ = run("add_member", "bob", "acme", "--roles", "admin,assessor", "--password", "pw-1234")

    membership = Membership.objects.get(user__username="bob", organization__slug="acme")
    assert membership.roles == {Role.ADMIN, Role.ASSESSOR}
    assert membership.user.check_password("pw-1234")
    assert "Created organization" in out
    assert "Created user bob" in out
    assert "admin, assessor" in out
    assert AuditEntry.objects.filter(action="member.roles_set").count() == 1


def test_add_member_sets_exactly_the_given_roles(db):
    run("add_member", "bob", "acme", "--roles", "admin,assessor")

    out, _ = run("add_member", "bob", "acme", "--roles", "viewer")

    membership = Membership.objects.get(user__username="bob")
    assert membership.roles == {Role.VIEWER}
    assert "admin, assessor -> viewer" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bob", "acme", "--roles", "admin,wizard"], "unknown role wizard"),
        (["bob", "acme", "--roles", ""], "no role given"),
        (["", "acme", "--roles", "admin"], "username is empty"),
        (["   ", "acme", "--roles", "admin"], "username is empty"),
        (["bob", "", "--roles", "admin"], "slug"),
        (["bob", "!!!", "--roles", "admin"], "slug"),
        (["bob", "acme", "--roles", "admin", "--email", "not-an-email"], "email"),
    ],
)
def test_add_member_bad_input_is_a_clear_error_and_changes_nothing(db, args, message):
    before = counts()
    entries = AuditEntry.objects.count()

    with pytest.raises(CommandError, match=message):
        run("add_member", *args)

    assert counts() == before
    assert AuditEntry.objects.count() == entries


# create_api_token -----------------------------------------------------------------------------


def test_create_api_token_prints_a_token_on_its_last_line(db):
    run("add_member", "bob", "acme", "--roles", "assessor")

    out, _ = run("create_api_token", "bob", "acme", "--name", "CI")

    raw = out.strip().splitlines()[-1]
    token = ApiToken.objects.get(key_hash=hashlib.sha256(raw.encode()).hexdigest())
    assert token.name == "CI"
    assert token.membership.user.username == "bob"
    assert token.membership.organization.slug == "acme"
    assert raw.startswith(token.prefix)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bob", "globex"], "not a member of Globex"),
        (["nobody", "acme"], "not a member of"),
        (["bob", "nowhere"], "No organization with the slug 'nowhere'"),
        (["", "acme"], "username is empty"),
    ],
)
def test_create_api_token_refuses_non_members(db, args, message):
    run("add_member", "bob", "acme", "--roles", "assessor")
    Organization.objects.create(name="Globex", slug="globex")

    with pytest.raises(CommandError, match=message):
        run("create_api_token", *args)

    assert not ApiToken.objects.exists()


# seed_demo ------------------------------------------------------------------------------------


def test_seed_demo_is_idempotent_prints_logins_and_keeps_the_chain_intact(db):
    # given the demo seeded once
    first, _ = run("seed_demo")
    after_first = counts()
    entries = AuditEntry.objects.count()

    # when it runs again
    second, _ = run("seed_demo")

    # then nothing changed, the same logins are printed and the audit log verifies
    assert counts() == after_first
    assert AuditEntry.objects.count() == entries
    logins = first[first.index("Demo logins (organization Demo Co):") :]
    assert second.endswith(logins)
    for username in ("admin", "assessor", "approver", "operator", "viewer", "cto"):
        assert f"demo-{username}" in logins
    out, _ = run("verify_audit_log")
    assert out.startswith("OK")


def test_seed_demo_builds_members_per_role_and_an_improving_trend(db):
    run("seed_demo")

    demo = Organization.objects.get(slug="demo")
    assert demo.name == "Demo Co"
    for role in Role:
        membership = Membership.objects.get(organization=demo, user__username=role.value)
        assert membership.roles == {role}
        assert membership.user.check_password(f"demo-{role.value}")
    cto = Membership.objects.get(organization=demo, user__username="cto")
    assert cto.roles == set(Role)
    assert Membership.objects.filter(organization__slug="globex", user__username="cto").exists()

    submitted = list(
        Assessment.objects.filter(organization=demo, status="submitted").order_by("submitted_at")
    )
    assert len(submitted) == 3
    baseline, pre_production, latest = submitted
    now = timezone.now()
    assert baseline.verdict in {"not_ready", "blocked"}
    assert pre_production.verdict == latest.verdict == "ready"
    first_go = GateDecision.objects.filter(gate__phase=4).order_by("decided_at").first()
    assert baseline.submitted_at < pre_production.submitted_at < first_go.decided_at
    assert first_go.decided_at - pre_production.submitted_at < timedelta(days=90)
    assert abs((now - latest.submitted_at) - timedelta(days=10)) < timedelta(days=1)
    assert Assessment.objects.filter(organization=demo, status="draft").count() == 1
    assert AuditEntry.objects.filter(organization=demo, action="assessment.submitted").count() == 3


# verify_audit_log -----------------------------------------------------------------------------


def test_verify_audit_log_names_a_tampered_entry(db):
    # given a seeded, intact log
    run("add_member", "bob", "acme", "--roles", "admin")
    run("add_member", "bob", "acme", "--roles", "viewer")
    entry = AuditEntry.objects.filter(action="member.roles_set").order_by("seq").last()

    # when an entry's `after` is changed behind the model's back
    AuditEntry.objects.filter(pk=entry.pk).update(after={"roles": ["admin"]})

    # then the command fails and names that entry's sequence number
    err = StringIO()
    with pytest.raises(CommandError, match="failed verification"):
        call_command("verify_audit_log", stdout=StringIO(), stderr=err)
    assert f"entry #{entry.seq}" in err.getvalue()
    assert "altered" in err.getvalue()
