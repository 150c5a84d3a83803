"""The audit log's CSV export: admins only, the organization's filtered entries, streamed,
and safe to open in a spreadsheet."""

import csv
import io
from unittest import mock

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from audit.actions import Action
from audit.models import AuditEntry
from audit.services import audit_record
from audit.views import EXPORT_COLUMNS
from tests.factories import UserFactory


def _csv(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def _record(org, actor, action=Action.AGENT_UPDATED, label="Refund triage", **values):
    return audit_record(
        organization=org,
        actor=actor,
        action=action,
        object_type="agents.Agent",
        object_id="7",
        object_label=label,
        before=values.get("before"),
        after=values.get("after", {"name": "Refund triage"}),
    )


def test_an_admin_downloads_the_organizations_entries_as_csv(
    admin, other_assessor, org, other_org, client_for
):
    # given a go on phase 2 in Acme and an entry in Globex
    entry = _record(
        org,
        admin.user,
        Action.GATE_DECIDED,
        label="Refund triage phase 2",
        before={"phase": 2, "state": "pending"},
        after={"phase": 2, "state": "go", "decision": "go", "unmet_items": []},
    )
    _record(other_org, other_assessor.user, label="GLOBEX-SECRET")

    # when Acme's admin downloads the export
    response = client_for(admin).get("/audit/export.csv")

    # then it is a CSV attachment of Acme's entry alone, in the columns promised
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-acme')
    header, *rows = _csv(response)
    assert header == EXPORT_COLUMNS
    assert header == [
        "time",
        "actor",
        "action",
        "sentence",
        "object",
        "before",
        "after",
        "seq",
        "hash",
    ]
    org_created = [r for r in rows if r[2] == "organization.created"]
    decided = [r for r in rows if r[2] == "gate.decided"]
    assert len(decided) == 1
    assert decided[0] == [
        entry.created_at.isoformat(),
        "ada",
        "gate.decided",
        "ada recorded a go on phase 2 of Refund triage",
        "Refund triage phase 2 (agents.Agent 7)",
        '{"phase":2,"state":"pending"}',
        '{"decision":"go","phase":2,"state":"go","unmet_items":[]}',
        str(entry.seq),
        entry.hash,
    ]
    assert "GLOBEX-SECRET" not in str(rows)
    assert len(rows) == AuditEntry.objects.filter(organization=org).count()
    assert all(r[0] for r in org_created)


def test_the_export_follows_the_pages_filters(admin, assessor, org, client_for):
    _record(org, admin.user, Action.AGENT_CREATED, after={"owner": "ada"})
    _record(org, assessor.user, Action.AGENT_RISK_ASSESSED, after={"scope": "tool"})

    rows = _csv(client_for(admin).get("/audit/export.csv", {"action": "agent.risk_assessed"}))

    assert [r[2] for r in rows[1:]] == ["agent.risk_assessed"]
    assert rows[1][1] == assessor.user.username


def test_the_page_links_to_the_export_with_its_filters(admin, org, client_for):
    _record(org, admin.user)

    html = client_for(admin).get("/audit/", {"actor": "ada", "page": "1"}).content.decode()

    assert 'href="/audit/export.csv?actor=ada"' in html


def test_a_bad_filter_answers_400_in_words(admin, org, client_for):
    response = client_for(admin).get("/audit/export.csv", {"date_from": "yesterday"})

    assert response.status_code == 400
    assert "From: Use an ISO date (YYYY-MM-DD)." in response.content.decode()


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_non_admins_get_403(org, make_member, client_for, role):
    response = client_for(make_member(org, role)).get("/audit/export.csv")

    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/audit/export.csv")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil","x")', "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]
)
def test_cells_that_would_run_as_formulas_are_prefixed_with_an_apostrophe(
    admin, org, client_for, text
):
    # given an object label and a username that a spreadsheet would run
    user = UserFactory(username=f"{text.strip()}user"[:150] if text[0] in "+-@" else "ada2")
    _record(org, user, label=text)

    rows = _csv(client_for(admin).get("/audit/export.csv", {"action": "agent.updated"}))

    (row,) = rows[1:]
    obj = row[EXPORT_COLUMNS.index("object")]
    assert obj == f"'{text} (agents.Agent 7)"
    if text[0] in "+-@":
        assert row[EXPORT_COLUMNS.index("actor")] == f"'{user.username}"
        assert row[EXPORT_COLUMNS.index("sentence")].startswith(f"'{user.username} ")
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_ten_thousand_entries_stream_through_an_iterator_in_a_few_queries(admin, org, client_for):
    # given 10,000 entries (written directly: the export does not verify the chain)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                chain=f"org:{org.pk}",
                seq=1000 + i,
                organization=org,
                actor=admin.user,
                actor_label="ada",
                action=Action.METRICS_POSTED,
                object_type="agents.Agent",
                object_id="7",
                object_label="Refund triage",
                after={"figures": {"error_rate": 0.0125}, "breaches": []},
                prev_hash="0" * 64,
                hash=f"{i:064x}",
            )
            for i in range(10_000)
        ],
        batch_size=1000,
    )
    client = client_for(admin)
    real_iterator = QuerySet.iterator

    # when the export is downloaded
    with (
        mock.patch.object(QuerySet, "iterator", autospec=True, side_effect=real_iterator) as it,
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get("/audit/export.csv", {"action": "metrics.posted"})
        assert queries.captured_queries, "the page's own reads ran"
        before_streaming = len(queries)
        rows = _csv(response)

    # then the rows were read through QuerySet.iterator in chunks, not loaded at once
    assert len(rows) == 10_001
    it.assert_called_once()
    assert it.call_args.kwargs["chunk_size"] <= 2000
    assert len(queries) - before_streaming <= 2
    assert rows[1][3] == "ada posted a metric snapshot of Refund triage: error rate 1.3\u00a0%"
