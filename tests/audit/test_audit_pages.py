"""The audit log page: admins read their own organization's hash-chained entries."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
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
    # the page's own reads, plus the navigation's (session, member, and one query for the
    # invitations, the notification badge and the work count of base.html)
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


# --- sentences, links and filters --------------------------------------------------------


def test_entries_read_as_sentences_linked_to_their_objects(admin, approver, org, client_for):
    # given a go recorded on phase 2 of an agent, and a member's roles changed
    audit_record(
        organization=org,
        actor=approver.user,
        action=Action.GATE_DECIDED,
        object_type="agents.Agent",
        object_id="41",
        object_label="Refund triage phase 2",
        before={"phase": 2, "state": "pending"},
        after={"phase": 2, "state": "go", "decision": "go", "unmet_items": []},
    )
    audit_record(
        organization=org,
        actor=admin.user,
        action=Action.MEMBER_ROLES_SET,
        target=Membership.objects.get(pk=approver.pk),
        before={"roles": ["viewer"]},
        after={"roles": ["approver"]},
    )

    # when the admin reads the audit log
    html = client_for(admin).get("/audit/").content.decode()

    # then each entry is a sentence whose object links to its page
    assert 'april recorded a go on phase 2 of <a href="/agents/41/gates/2/">Refund triage</a>' in (
        html
    )
    assert 'ada set the roles of <a href="/members/">' in html
    assert "to approver (were viewer)" in html


def test_filter_by_dates_includes_both_days(admin, org, client_for):
    for day in ("2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"):
        with time_machine.travel(f"{day}T23:59:00+00:00", tick=False):
            _record(org, admin.user, 1, label=f"on {day}")
    client = client_for(admin)

    response = client.get("/audit/", {"date_from": "2026-10-31", "date_to": "2026-11-01"})

    assert response.status_code == 200
    labels = [e.object_label for e in response.context["page"]]
    assert labels == ["on 2026-11-01 0", "on 2026-10-31 0"]
    assert [
        e.object_label for e in client.get("/audit/", {"date_to": "2026-10-30"}).context["page"]
    ] == ["on 2026-10-30 0"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"date_from": "31/10/2026"}, "date_from", "Use an ISO date (YYYY-MM-DD)."),
        ({"date_to": "2026-02-30"}, "date_to", "February 2026 has 28 days"),
        ({"date_from": "2026-11-02", "date_to": "2026-11-01"}, "date_to", "swap them"),
        ({"action": "made.up"}, "action", "Unknown action"),
        ({"actor": "x" * 151}, "actor", "150 characters"),
        ({"object": "\u200b\u200b"}, "object", ""),
        ({"date_to": "9999-12-31"}, None, None),
    ],
)
def test_a_bad_filter_is_a_form_error_not_a_500(admin, org, client_for, query, field, message):
    _record(org, admin.user, 2)

    response = client_for(admin).get("/audit/", query)

    if field is None:  # the largest date is fine
        assert response.status_code == 200
        assert len(response.context["page"]) == 2
        return
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert message in " ".join(errors)
    assert len(response.context["page"]) == 0
    assert "fix the filter above" in response.content.decode()
    assert "Chain intact" in response.content.decode()


def test_filter_by_object_type_and_label(admin, org, client_for):
    _record(org, admin.user, 3, label="Refund triage")
    audit_record(
        organization=org,
        actor=admin.user,
        action=Action.REPORT_REQUESTED,
        object_type="reports.Report",
        object_id="9",
        object_label="Refund triage board pack",
        after={"title": "x", "period_start": "2026-09-01", "period_end": "2026-11-30"},
    )
    client = client_for(admin)

    by_type = client.get("/audit/", {"object_type": "reports.Report"})
    by_label = client.get("/audit/", {"object": "TRIAGE 1"})
    both = client.get("/audit/", {"object_type": "test.Thing", "object": "board"})

    assert [e.object_id for e in by_type.context["page"]] == ["9"]
    assert [e.object_label for e in by_label.context["page"]] == ["Refund triage 1"]
    assert list(both.context["page"]) == []
    assert "No entries match this filter." in both.content.decode()
    choices = dict(by_type.context["form"].fields["object_type"].widget.choices)
    assert choices == {"": "Any object", "reports.Report": "Report", "test.Thing": "Thing"}


def test_the_action_filter_offers_the_labels_of_the_actions_present(admin, org, client_for):
    _record(org, admin.user, 1, action=Action.AGENT_RISK_ASSESSED)

    html = client_for(admin).get("/audit/").content.decode()

    assert '<option value="agent.risk_assessed">Risk assessed</option>' in html
    assert "Report done" not in html


def test_many_entries_of_every_kind_keep_the_page_in_bounded_queries(
    admin, org, client_for, django_assert_max_num_queries
):
    # given 300 entries across every action of the vocabulary, on agents and reports
    for i, action in enumerate(list(Action) * 6):
        audit_record(
            organization=org,
            actor=admin.user if i % 2 else None,
            action=action,
            object_type="agents.Agent" if i % 3 else "reports.Report",
            object_id=str(i),
            object_label=f"object {i}",
            after={"phase": 1 + i % 4, "figures": {"error_rate": 0.1}, "roles": ["admin"]},
        )

    # when the admin opens the page, filtered and not
    client = client_for(admin)
    with django_assert_max_num_queries(12):
        response = client.get("/audit/")
    with django_assert_max_num_queries(12):
        filtered = client.get("/audit/", {"object_type": "agents.Agent", "page": 2})

    # then fifty sentences show, each with its link built without a query
    assert len(response.context["page"]) == 50
    assert all(e.told.text for e in response.context["page"])
    assert len(filtered.context["page"]) == 50
    assert all(e.url.startswith("/agents/") for e in filtered.context["page"] if e.url)


def test_markup_in_an_objects_name_is_escaped_in_its_sentence(admin, org, client_for):
    _record(org, admin.user, 1, label="<b>bold</b>")

    html = client_for(admin).get("/audit/").content.decode()

    assert "<b>bold</b>" not in html
    assert "ada changed the records of &lt;b&gt;bold&lt;/b&gt; 0: n, note" in html
