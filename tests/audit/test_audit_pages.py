"""The audit log page: admins read their own organization's hash-chained entries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record


def _record(org, actor, n, action=Action.AGENT_UPDATED, label="thing"):
    for i in range(n):
        audit_record(
            organization=org,
            actor=actor,
            action=action,
            object_type="test.Thing",
            object_id=str(i),
            object_label=f"{label} {i}",
            before={"n": i},
            after={"n": i + 1, "note": "<script>alert(1)</script>"},
        )


def test_admin_sees_own_entries_newest_first_and_not_other_organizations(
    admin, other_assessor, org, other_org, client_for
):
    # given entries in Acme and in Globex
    _record(org, admin.user, 3, label="acme-thing")
    _record(other_org, other_assessor.user, 2, action=Action.REPORT_DONE, label="GLOBEX-SECRET")

    # when Acme's admin opens the audit log
    response = client_for(admin).get("/audit/")

    # then only Acme's entries are there, newest first, with seq and short hash
    assert response.status_code == 200
    html = response.content.decode()
    assert "GLOBEX-SECRET" not in html
    assert "report.done" not in html
    entries = list(response.context["page"])
    assert [e.object_label for e in entries] == ["acme-thing 2", "acme-thing 1", "acme-thing 0"]
    assert all(e.organization_id == org.pk for e in entries)
    assert f"#{entries[0].seq}" in html
    assert entries[0].hash[:10] in html


def test_before_and_after_are_compact_escaped_json(admin, org, client_for):
    _record(org, admin.user, 1)

    html = client_for(admin).get("/audit/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "{&quot;n&quot;:0}" in html


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_non_admins_get_403(org, make_member, client_for, role):
    member = make_member(org, role)

    response = client_for(member).get("/audit/")

    assert response.status_code == 403


def test_filter_by_action_and_actor(admin, assessor, org, client_for):
    _record(org, admin.user, 2, action=Action.AGENT_CREATED, label="by-ada")
    _record(org, assessor.user, 2, action=Action.AGENT_RISK_ASSESSED, label="by-sam")
    client = client_for(admin)

    by_action = client.get("/audit/", {"action": "agent.risk_assessed"})
    by_actor = client.get("/audit/", {"actor": "AD"})

    assert {e.action for e in by_action.context["page"]} == {"agent.risk_assessed"}
    assert {e.actor_label for e in by_actor.context["page"]} == {"ada"}
    assert by_action.context["actions"] == ["agent.created", "agent.risk_assessed"]


def test_pages_of_fifty(admin, org, client_for):
    _record(org, admin.user, 60)
    client = client_for(admin)

    first = client.get("/audit/")
    second = client.get("/audit/", {"page": 2})

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert "page=2" in first.content.decode()


def test_query_count_does_not_grow_with_entries(admin, org, client_for):
    # given a page with 1 entry and then with 100
    client = client_for(admin)
    _record(org, admin.user, 1)
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    _record(org, admin.user, 99)

    # when the page is loaded again
    with CaptureQueriesContext(connection) as many:
        response = client.get("/audit/")

    # then the same number of queries ran
    assert len(response.context["page"]) == 50
    assert len(many) == len(few)
    assert len(many) <= 12


def test_chain_indicator_shows_intact_then_broken(admin, org, other_org, client_for):
    # given an intact chain
    _record(org, admin.user, 3)
    client = client_for(admin)
    assert "Chain intact" in client.get("/audit/").content.decode()

    # when an entry is altered behind the model's back
    entry = AuditEntry.objects.filter(organization=org).order_by("seq")[1]
    AuditEntry.objects.filter(pk=entry.pk).update(after={"forged": True})

    # then the page says the chain is broken at that entry
    html = client.get("/audit/").content.decode()
    assert "Chain broken at #2" in html


def test_another_organizations_broken_chain_does_not_flag_ours(
    admin, other_assessor, org, other_org, client_for
):
    _record(org, admin.user, 1)
    _record(other_org, other_assessor.user, 1)
    AuditEntry.objects.filter(organization=other_org).update(action="forged")

    html = client_for(admin).get("/audit/").content.decode()

    assert "Chain intact" in html


def test_the_audit_page_checks_only_its_own_organizations_chain(
    admin, other_assessor, client_for, django_assert_max_num_queries
):
    # given another organization with a long chain, one of whose entries is tampered with
    from accounts.services import token_create

    for i in range(30):
        token_create(membership=other_assessor, name=f"t{i}")
    AuditEntry.objects.filter(organization=other_assessor.organization).update(actor_label="forged")

    # when an admin of the first organization opens the audit page
    with django_assert_max_num_queries(35):
        response = client_for(admin).get("/audit/")

    # then it answers in a bounded number of queries and its own chain is intact
    assert response.status_code == 200
    assert response.context["broken"] is None


def test_audit_verify_checks_the_chains_it_is_given(admin, other_assessor):
    from accounts.services import token_create
    from audit.services import audit_verify, chain_name

    token_create(membership=other_assessor, name="t")
    AuditEntry.objects.filter(organization=other_assessor.organization).update(actor_label="forged")

    assert audit_verify(chains=[chain_name(admin.organization_id)]) == []
    assert [f[0] for f in audit_verify()] == [chain_name(other_assessor.organization_id)]
