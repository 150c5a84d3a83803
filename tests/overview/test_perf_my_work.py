"""My work reads gates, checklist items and escalation paths as plain values: hundreds of
agents must not become thousands of model instances on every request (docs/performance.md),
and the gates it lists stay exactly those the gate services would let go."""

from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from agents.models import EscalationPath
from gates.models import ChecklistItem, Gate
from tests.factories import AssessmentFactory
from tests.overview.test_my_work import _bulk_agents, gate_pairs, work_of


def test_my_work_builds_no_gate_item_or_path_instances(org, assessor, make_member, client_for):
    # Given 12 agents with gates, items and a waiting phase 2, and an approver
    approver = make_member(org, "approver", username="fast-approver")
    _bulk_agents(org, assessor.user, approver.user, 12)
    built = []

    def count(sender, **kwargs):
        built.append(sender.__name__)

    for model in (Gate, ChecklistItem, EscalationPath):
        post_init.connect(count, sender=model, weak=False)
    try:
        # When the approver opens My work
        work = work_of(client_for(approver))
    finally:
        for model in (Gate, ChecklistItem, EscalationPath):
            post_init.disconnect(count, sender=model)

    # Then the waiting gates are listed from plain values, no such model built
    assert len(work.gates) == 12  # every agent's phase 2
    assert built == []


def test_my_work_lists_a_gate_only_once_the_phase_before_is_at_go(
    org, assessor, make_member, client_for
):
    # Given agents whose phase 2 is all met (waiting) and phase 3 all met too, but phase 2
    # not yet at go
    approver = make_member(org, "approver", username="order-approver")
    _bulk_agents(org, assessor.user, approver.user, 2)
    ChecklistItem.objects.filter(gate__phase=3).update(met=True)

    # When the approver opens My work, then only phase 2 waits: phase 3 needs phase 2 at go
    pairs = gate_pairs(work_of(client_for(approver)))
    assert {phase for _, phase in pairs} == {2}


def test_my_work_reads_the_latest_verdict_without_scores_or_framework(
    org, assessor, make_member, client_for
):
    # Given a submitted assessment and an approver (who judges phase 4 by its verdict)
    AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)
    approver = make_member(org, "approver", "admin", username="verdict-approver")
    _bulk_agents(org, assessor.user, approver.user, 3)

    # When the approver opens My work
    with CaptureQueriesContext(connection) as captured:
        work = work_of(client_for(approver))

    # Then the reassessment section knows the verdict, read without the scores or framework
    assert work.looks_at_reassessment
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert 'FROM "assessments_score"' not in read
    assert 'FROM "assessments_dimension"' not in read
