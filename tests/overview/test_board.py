"""The gate board: every agent as a row, its four gates as columns, filters, sorting, flags,
summary counts, and a number of queries that does not grow with the number of agents."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Agent
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from gates.models import ChecklistItem, Gate, GateDecision
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from overview import services as overview_services
from tests.helpers import go, make_agent, send_to_review


def names(response) -> list[str]:
    return [row["agent"].name for row in response.context["rows"]]


@pytest.fixture
def fleet(assessor, approver, operator, make_member, org):
    """Three agents: one at phase 2 (phase 1 go), one suspended, one with a no-go."""
    carol = make_member(org, "viewer", username="carol")
    alpha = make_agent(assessor, name="Alpha", business_unit="Finance")
    go(alpha, 1, assessor, approver)
    bravo = make_agent(assessor, name="Bravo", business_unit="Support", owner="carol")
    killswitch_services.agent_suspend(agent=bravo, membership=operator, reason="Odd replies")
    charlie = make_agent(assessor, name="Charlie", business_unit="Finance", owner="april")
    # april owns Charlie, so another approver decides
    gates_services.gate_decide(
        agent=charlie,
        phase=1,
        membership=make_member(org, "approver", username="zed"),
        decision="no_go",
        rationale="Not yet",
    )
    return {"alpha": alpha, "bravo": bravo, "charlie": charlie, "carol": carol}


def test_board_shows_every_agent_with_its_gate_states(viewer, fleet, client_for):
    response = client_for(viewer).get("/agents/board/")

    assert response.status_code == 200
    assert names(response) == ["Alpha", "Bravo", "Charlie"]
    rows = {row["agent"].name: row for row in response.context["rows"]}
    assert [c["state"] for c in rows["Alpha"]["cells"]] == ["go", "pending", "pending", "pending"]
    assert rows["Alpha"]["cells"][0]["decided_by"] == "april"
    assert rows["Alpha"]["phase"] == 2
    assert rows["Charlie"]["cells"][0]["state"] == "no_go"
    html = response.content.decode()
    assert "Suspended" in html
    assert "No-go" in html
    assert '<span class="visually-hidden">Kill switch </span>Never drilled' in html
    # each cell links to its gate
    assert f'href="/agents/{fleet["alpha"].pk}/gates/1/"' in html
    assert f'href="/agents/{fleet["charlie"].pk}/gates/4/"' in html


def test_summary_counts_phases_suspended_and_review(viewer, assessor, fleet, client_for):
    send_to_review(fleet["alpha"], 1, assessor)  # phase 1 of Alpha now needs review

    summary = client_for(viewer).get("/agents/board/").context["summary"]

    per_phase = {p["phase"]: p["count"] for p in summary["per_phase"]}
    assert per_phase == {1: 3, 2: 0, 3: 0, 4: 0, "production": 0}
    assert summary["total"] == 3
    assert summary["suspended"] == 1
    assert summary["needs_review"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("business_unit=Finance", ["Alpha", "Charlie"]),
        ("owner=carol", ["Bravo"]),
        ("owner=april", ["Charlie"]),
        ("state=go", ["Alpha"]),
        ("state=no_go", ["Charlie"]),
        ("suspended=yes", ["Bravo"]),
        ("suspended=no", ["Alpha", "Charlie"]),
        ("business_unit=Finance&state=pending&suspended=no", ["Alpha", "Charlie"]),
        ("owner=nobody", ["Alpha", "Bravo", "Charlie"]),  # an unknown value is ignored
    ],
)
def test_filters(viewer, fleet, client_for, query, expected):
    response = client_for(viewer).get(f"/agents/board/?{query}")

    assert response.status_code == 200
    assert names(response) == expected


def test_filtered_board_keeps_the_organization_wide_summary(viewer, fleet, client_for):
    response = client_for(viewer).get("/agents/board/?suspended=yes")

    assert names(response) == ["Bravo"]
    assert response.context["summary"]["total"] == 3
    assert "Clear filters" in response.content.decode()


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", ["Alpha", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alpha"]),
        ("business_unit", ["Alpha", "Charlie", "Bravo"]),
        ("owner", ["Charlie", "Bravo", "Alpha"]),  # april, carol, sam
        ("-phase", ["Alpha", "Bravo", "Charlie"]),
    ],
)
def test_sorting(viewer, fleet, client_for, order, expected):
    response = client_for(viewer).get(f"/agents/board/?order={order}")

    assert names(response) == expected


def test_sort_links_keep_the_filters(viewer, fleet, client_for):
    html = client_for(viewer).get("/agents/board/?business_unit=Finance").content.decode()

    assert "?business_unit=Finance&amp;order=-name" in html
    assert "business_unit=Finance&amp;order=owner" in html


def test_operators_get_a_suspend_button_per_active_agent(operator, viewer, fleet, client_for):
    html = client_for(operator).get("/agents/board/").content.decode()
    assert f'href="/agents/{fleet["alpha"].pk}/suspend/"' in html
    assert f'href="/agents/{fleet["bravo"].pk}/suspend/"' not in html  # already suspended

    viewer_html = client_for(viewer).get("/agents/board/").content.decode()
    assert "/suspend/" not in viewer_html


def test_production_agent_is_flagged_when_a_reassessment_is_due(
    viewer, assessor, approver, client_for
):
    # given an agent with all four gates at go and no readiness assessment on file
    agent = make_agent(assessor, name="Prod bot")
    Gate.objects.filter(agent=agent).update(state="go")

    response = client_for(viewer).get("/agents/board/")

    row = response.context["rows"][0]
    assert row["in_production"]
    assert row["reassessment_due"]
    assert "Reassessment due" in response.content.decode()


def test_drill_flags(viewer, operator, assessor, client_for):
    fresh = make_agent(assessor, name="Fresh")
    old = make_agent(assessor, name="Old")
    never = make_agent(assessor, name="Never")
    Suspension.objects.create(
        agent=fresh, kind="drill", reason="Drill", ended_at=timezone.now(), started_by=operator.user
    )
    Suspension.objects.create(
        agent=old,
        kind="drill",
        reason="Drill",
        started_at=timezone.now() - timezone.timedelta(days=91),
        ended_at=timezone.now() - timezone.timedelta(days=91),
        started_by=operator.user,
    )

    rows = {
        r["agent"].name: r["drill_flag"]
        for r in client_for(viewer).get("/agents/board/").context["rows"]
    }

    assert rows == {"Fresh": "ok", never.name: "never", "Old": "overdue"}


def test_empty_board_invites_an_assessor_to_register(assessor, viewer, client_for):
    html = client_for(assessor).get("/agents/board/").content.decode()
    assert "No agents registered yet" in html
    assert "Register the first agent" in html

    viewer_html = client_for(viewer).get("/agents/board/").content.decode()
    assert "An assessor of Acme Robotics can register one." in viewer_html


def test_agents_index_redirects_to_the_board(viewer, client_for):
    response = client_for(viewer).get("/agents/")

    assert response.status_code == 302
    assert response["Location"] == "/agents/board/"


def test_board_never_shows_another_organizations_agents(viewer, other_assessor, fleet, client_for):
    make_agent(other_assessor, name="GLOBEX-SECRET")

    response = client_for(viewer).get("/agents/board/")

    assert "GLOBEX-SECRET" not in response.content.decode()
    assert names(response) == ["Alpha", "Bravo", "Charlie"]


def _bulk_agents(org, owner, approver, count):
    """Agents with their gates and checklist items, created in bulk (not 4 x count services),
    with a decision on phase 1 and a drill on every other agent."""
    agents = Agent.objects.bulk_create(
        Agent(
            organization=org,
            name=f"Agent {i:03}",
            business_unit=("Finance", "Support", "Ops")[i % 3],
            owner=owner,
            created_by=owner,
        )
        for i in range(count)
    )
    gates = Gate.objects.bulk_create(
        Gate(agent=agent, phase=phase, state="go" if phase == 1 else "pending")
        for agent in agents
        for phase in PHASES
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(gate=gate, key=key)
        for gate in gates
        for key in phase_definition(gate.phase).keys
    )
    GateDecision.objects.bulk_create(
        GateDecision(gate=gate, decision="go", rationale="ok", decided_by=approver)
        for gate in gates
        if gate.phase == 1
    )
    Suspension.objects.bulk_create(
        Suspension(
            agent=agent,
            kind="drill",
            reason="Drill",
            started_by=owner,
            ended_at=timezone.now(),
        )
        for agent in agents[::2]
    )
    return agents


def test_board_query_count_does_not_grow_with_agents(
    org, assessor, approver, viewer, client_for, django_assert_max_num_queries
):
    client = client_for(viewer)
    _bulk_agents(org, assessor.user, approver.user, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agents/board/?order=phase").status_code == 200

    Agent.objects.all().delete()
    _bulk_agents(org, assessor.user, approver.user, 200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agents/board/?order=phase")

    assert len(response.context["rows"]) == 200
    # and filtered (the summary reads the whole organization once more): still constant
    with django_assert_max_num_queries(len(few.captured_queries) + 3):
        response = client.get("/agents/board/?business_unit=Finance&state=go")
    assert len(response.context["rows"]) == 67


def test_board_urls_match_the_url_conf(db):
    from django.urls import reverse

    from overview.views import _AGENTS_PREFIX

    assert reverse("agents:detail", args=[7]) == f"{_AGENTS_PREFIX}7/"
    assert reverse("gates:gate", args=[7, 3]) == f"{_AGENTS_PREFIX}7/gates/3/"
    assert reverse("killswitch:suspend", args=[7]) == f"{_AGENTS_PREFIX}7/suspend/"


def test_board_shows_each_agents_latest_figures(org, assessor, viewer, client_for, make_member):
    from outcomes import services as outcome_services

    make_member(org, "assessor", username="olive")
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Figures bot", "owner": "olive"}
    )
    base = {
        "tasks": 200, "tasks_completed": 180, "escalations": 12, "errors": 4, "cost": 90.0,
        "avg_cycle_time_s": 60, "baseline_cost_per_case": 3.0, "baseline_cycle_time_s": 600,
        "baseline_error_rate": 0.05,
    }  # fmt: skip
    outcome_services.metric_snapshot_post(
        agent=agent, membership=assessor,
        data={**base, "period_start": "2026-02-01", "period_end": "2026-02-28"},
    )  # fmt: skip
    outcome_services.metric_snapshot_post(
        agent=agent, membership=assessor,
        data={**base, "period_start": "2026-01-01", "period_end": "2026-01-31", "errors": 0},
    )  # fmt: skip
    page = client_for(viewer).get("/agents/board/").content.decode()
    assert "90% done" in page
    assert "6% esc." in page
    assert "2% err." in page  # the latest period (February), not the last posted


def test_each_cell_says_how_many_items_are_met_and_whether_any_is_attested(
    viewer, fleet, client_for, make_member, org
):
    attester = make_member(org, "assessor", username="ines")
    gates_services.checklist_update(
        agent=fleet["alpha"],
        phase=4,
        membership=attester,
        changes={"tracing": {"met": True, "evidence": "https://traces.example/alpha"}},
    )

    response = client_for(viewer).get("/agents/board/")

    rows = {row["agent"].name: row for row in response.context["rows"]}
    alpha = rows["Alpha"]["cells"]
    assert [c["items"]["met"] for c in alpha] == [5, 0, 0, 3]  # phase 4: defaults and tracing
    assert [c["items"]["of"] for c in alpha] == [5, 5, 4, 4]
    assert [c["items"]["attested"] for c in alpha] == [False, False, False, True]
    assert not any(c["items"]["attested"] for c in rows["Bravo"]["cells"])
    html = response.content.decode()
    assert "3/4 met" in html
    assert "Phase 4 of Alpha: Pending, 3 of 4 items met, some attested rather than observed" in html
