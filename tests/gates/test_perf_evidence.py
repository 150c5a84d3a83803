"""The cheaper paths of the evidence reads (issue 20): agents read as tuples, records taken
from a prefetch, the states kept per facts. Each gives exactly what the plain read gives, and
the kept states follow every write, since a write changes the facts they are kept under."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Agent, DecisionBoundary
from gates import evidence
from gates.evidence_selectors import (
    EvidenceAgent,
    counts_of,
    evidence_agents,
    evidence_facts_of,
    item_counts,
    item_counts_of,
    items_of,
)
from killswitch.models import AgentToken
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(refund_bot, operator):
    """The Refund bot with the evidence of every item."""
    return provide_evidence(refund_bot)


def full(agent):
    return Agent.objects.select_related("owner", "organization").get(pk=agent.pk)


def test_agents_read_as_tuples_have_the_facts_of_the_full_rows(ready, refund_bot, agent):
    now = timezone.now()
    rows = evidence_agents([ready.pk, agent.pk])
    assert all(isinstance(row, EvidenceAgent) for row in rows)
    assert evidence_facts_of(rows, now=now) == evidence_facts_of(
        [full(ready), full(agent)], now=now
    )


def test_prefetched_records_give_the_facts_read_and_save_their_queries(ready):
    now = timezone.now()
    read = evidence_facts_of([full(ready)], now=now)
    prefetched = (
        Agent.objects.select_related("owner", "organization")
        .prefetch_related("decision_boundaries", "escalation_paths__owner", "tool_permissions")
        .get(pk=ready.pk)
    )
    with CaptureQueriesContext(connection) as queries:
        facts = evidence_facts_of([prefetched], now=now)
    assert facts == read
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("agents_decisionboundary", "agents_escalationpath", "agents_toolpermission"):
        assert f'FROM "{table}"' not in sql
    # the currency came with the loaded organization
    assert 'FROM "accounts_organization"' not in sql


def test_paths_prefetched_without_their_owners_are_read_again(ready):
    now = timezone.now()
    agent = (
        Agent.objects.select_related("owner", "organization")
        .prefetch_related("decision_boundaries", "escalation_paths", "tool_permissions")
        .get(pk=ready.pk)
    )
    with CaptureQueriesContext(connection) as queries:
        facts = evidence_facts_of([agent], now=now)
    assert facts == evidence_facts_of([full(ready)], now=now)
    assert any('FROM "agents_escalationpath"' in q["sql"] for q in queries.captured_queries)


def test_kept_states_equal_the_rules_and_differ_with_the_facts(ready):
    facts = evidence_facts_of([full(ready)])[ready.pk]
    assert items_of(facts) == evidence.items(facts)
    assert items_of(facts) == evidence.items(facts)  # asked again: the kept states
    assert counts_of(facts) == item_counts(evidence.items(facts))
    gone = dataclasses.replace(facts, owner_active=False, alerts_on={"error_rate": False})
    assert items_of(gone) == evidence.items(gone)
    assert not items_of(gone)["owner_assigned"].met
    assert not items_of(gone)["alert_thresholds"].met
    assert counts_of(gone)[1]["met"] == counts_of(facts)[1]["met"] - 1


def test_the_kept_states_cannot_be_changed_by_a_caller(ready):
    facts = evidence_facts_of([full(ready)])[ready.pk]
    items_of(facts).clear()
    counts_of(facts)[1]["met"] = -1
    assert items_of(facts) == evidence.items(facts)
    assert counts_of(facts) == item_counts(evidence.items(facts))


def test_facts_that_cannot_be_hashed_are_computed_each_time(ready):
    facts = evidence_facts_of([full(ready)])[ready.pk]
    odd = dataclasses.replace(facts, unpermitted_tools_seen=["search"])  # a list
    assert items_of(odd) == evidence.items(odd)
    assert counts_of(odd) == item_counts(evidence.items(odd))


def test_the_counts_follow_a_write_of_their_inputs(ready):
    before = item_counts_of([full(ready)])[ready.pk]
    assert before[1]["met"] == before[1]["of"]
    AgentToken.objects.filter(agent=ready).update(revoked_at=timezone.now())
    after = item_counts_of([full(ready)])[ready.pk]
    assert after[1]["met"] == before[1]["met"] - 1
    DecisionBoundary.objects.filter(agent=ready).delete()
    assert item_counts_of([full(ready)])[ready.pk][1]["met"] == before[1]["met"] - 2


def test_the_evidence_reads_join_nothing_for_an_order(ready):
    """The models' default orders joined the organizations (members) and the agents (paths,
    permissions, attestations, tools seen) only to sort by their names."""
    row = evidence_agents([ready.pk])
    with CaptureQueriesContext(connection) as queries:
        evidence_facts_of(row)
    for query in queries.captured_queries:
        assert 'JOIN "accounts_organization"' not in query["sql"], query["sql"]
        assert 'JOIN "agents_agent"' not in query["sql"], query["sql"]
