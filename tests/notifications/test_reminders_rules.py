"""What is due (notifications/reminders.py): pure rules over plain facts, at their
boundaries."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifications import reminders
from notifications.kinds import Kind
from notifications.reminders import AgentFact, AssessmentFact, CostFact, PermissionFact

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def assessment(days_old: float, verdict: str = "ready", pk: int = 7) -> AssessmentFact:
    return AssessmentFact(pk, "Q1 review", verdict, 16, NOW - timedelta(days=days_old))


def agent(**overrides) -> AgentFact:
    values = {
        "id": 3,
        "name": "Refund bot",
        "created_at": NOW - timedelta(days=200),
        "last_drill_at": NOW - timedelta(days=10),
        "monthly_budget": None,
    }
    return AgentFact(**(values | overrides))


# --- reassessment -----------------------------------------------------------------------------


def test_no_submitted_assessment_is_no_reminder():
    assert reminders.reassessment_due(None, NOW) is None


@pytest.mark.parametrize(
    ("days_old", "state"),
    [
        (75.9, None),  # more than 14 days before it turns 90
        (76, "due_soon"),  # 14 days before
        (89, "due_soon"),
        (90, "due_soon"),  # 90 days is not yet over 90
        (90.01, "stale"),
        (200, "stale"),
    ],
)
def test_a_ready_assessment_is_due_14_days_before_90_and_stale_after(days_old, state):
    due = reminders.reassessment_due(assessment(days_old), NOW)

    assert (due.data["state"] if due else None) == state


def test_a_not_ready_assessment_is_due_at_once_and_its_fingerprint_names_it():
    due = reminders.reassessment_due(assessment(1, verdict="not_ready"), NOW)

    assert due.kind == Kind.REASSESSMENT_DUE
    assert due.fingerprint == "7:not_ready"
    assert "not ready" in due.text
    assert due.link == ("assessments:detail", (7,))


def test_the_fingerprint_changes_when_due_soon_turns_stale_or_a_new_assessment_comes():
    soon = reminders.reassessment_due(assessment(80), NOW)
    stale = reminders.reassessment_due(assessment(95), NOW)
    newer = reminders.reassessment_due(assessment(80, pk=8), NOW)

    assert len({soon.fingerprint, stale.fingerprint, newer.fingerprint}) == 3
    assert soon.key == stale.key == newer.key == "organization"


# --- drills -----------------------------------------------------------------------------------


def test_a_drill_within_90_days_is_not_due_and_one_older_is():
    assert reminders.drill_overdue(agent(last_drill_at=NOW - timedelta(days=90)), NOW) is None
    due = reminders.drill_overdue(agent(last_drill_at=NOW - timedelta(days=91)), NOW)

    assert due.kind == Kind.DRILL_OVERDUE
    assert "91 days ago" in due.text


def test_an_agent_never_drilled_is_due_once_registered_over_90_days():
    young = agent(last_drill_at=None, created_at=NOW - timedelta(days=30))
    old = agent(last_drill_at=None, created_at=NOW - timedelta(days=91))

    assert reminders.drill_overdue(young, NOW) is None
    assert reminders.drill_overdue(old, NOW).fingerprint == "never"


# --- tool permissions -------------------------------------------------------------------------


def permission(pk, agent_id=3, codes=("unreviewed",), reviewed=None) -> PermissionFact:
    return PermissionFact(pk, agent_id, f"Agent {agent_id}", f"tool-{pk}", codes, None, reviewed)


def test_flagged_permissions_make_one_item_per_agent():
    dues = reminders.permissions_due([permission(1), permission(2), permission(3, agent_id=4)])

    assert [d.key for d in dues] == ["agent:3", "agent:4"]
    assert dues[0].text.startswith("2 tool permissions of Agent 3 to review")
    assert [p["id"] for p in dues[0].data["permissions"]] == [1, 2]


def test_the_permissions_item_changes_with_their_reasons_or_a_review():
    first = reminders.permissions_due([permission(1)])[0].fingerprint

    assert reminders.permissions_due([permission(1)])[0].fingerprint == first
    assert reminders.permissions_due([permission(1, codes=("unused",))])[0].fingerprint != first
    assert (
        reminders.permissions_due([permission(1, reviewed=date(2026, 1, 1))])[0].fingerprint
        != first
    )
    assert reminders.permissions_due([permission(1), permission(2)])[0].fingerprint != first


# --- budgets ----------------------------------------------------------------------------------


def test_a_snapshot_spanning_two_months_counts_in_each_by_its_days():
    # 20 May to 8 June: 20 days, 12 in May and 8 in June; 200 spread as 10 a day.
    spanning = CostFact(3, date(2026, 5, 20), date(2026, 6, 8), 200.0)
    june = CostFact(3, date(2026, 6, 9), date(2026, 6, 14), 60.0)

    assert reminders.month_cost([spanning, june], date(2026, 6, 15)) == pytest.approx(140.0)
    assert reminders.month_cost([spanning, june], date(2026, 5, 31)) == pytest.approx(120.0)
    assert reminders.month_cost([spanning], date(2026, 7, 1)) == 0


def test_a_one_day_snapshot_and_month_ends():
    assert reminders.month_bounds(date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert reminders.month_bounds(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    one_day = CostFact(3, date(2026, 6, 1), date(2026, 6, 1), 5.0)
    assert reminders.month_cost([one_day], date(2026, 6, 30)) == 5.0


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    days=st.integers(min_value=0, max_value=120),
    cost=st.floats(min_value=0, max_value=1e6),
)
def test_the_months_share_a_snapshot_without_losing_any_cost(start, days, cost):
    snapshot = CostFact(1, start, start + timedelta(days=days), cost)
    months = {reminders.month_bounds(start + timedelta(days=d))[0] for d in range(days + 1)}

    total = sum(reminders.month_cost([snapshot], month) for month in months)

    assert total == pytest.approx(cost, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(
    ("spent", "level"),
    [(0, None), (80, None), (80.01, "alert"), (100, "alert"), (100.5, "over")],
)
def test_a_budget_is_due_past_its_alert_fraction_and_changes_past_the_whole(spent, level):
    costs = [CostFact(3, date(2026, 6, 1), date(2026, 6, 10), spent)]

    due = reminders.budget_alert(agent(monthly_budget=100.0), costs, NOW.date(), 0.8)

    assert (due.data["level"] if due else None) == level
    if due:
        assert due.key == "agent:3:2026-06"
        assert due.fingerprint == f"{level}:100.00"


@pytest.mark.parametrize(
    ("alert", "spent", "level"),
    [(0.9, 85, None), (0.9, 90.5, "alert"), (0.5, 60, "alert"), (False, 99, None)],
)
def test_an_agent_with_its_own_budget_alert_uses_it_and_none_when_off(alert, spent, level):
    costs = [CostFact(3, date(2026, 6, 1), date(2026, 6, 10), spent)]

    due = reminders.budget_alert(
        agent(monthly_budget=100.0, budget_alert=alert), costs, NOW.date(), 0.8
    )

    assert (due.data["level"] if due else None) == level
    if due:
        assert due.data["fraction"] == alert


def test_no_budget_no_reminder_and_other_agents_costs_do_not_count():
    costs = [CostFact(9, date(2026, 6, 1), date(2026, 6, 10), 1000.0)]

    assert reminders.budget_alert(agent(monthly_budget=None), costs, NOW.date(), 0.8) is None
    assert reminders.budget_alert(agent(monthly_budget=100.0), costs, NOW.date(), 0.8) is None


def test_due_items_gathers_every_kind():
    dues = reminders.due_items(
        latest_assessment=assessment(95),
        flagged_permissions=[permission(1)],
        agents=[agent(last_drill_at=None, monthly_budget=10.0)],
        costs=[CostFact(3, date(2026, 6, 1), date(2026, 6, 2), 50.0)],
        now=NOW,
    )

    assert [d.kind for d in dues] == [
        Kind.REASSESSMENT_DUE,
        Kind.PERMISSIONS_TO_REVIEW,
        Kind.DRILL_OVERDUE,
        Kind.BUDGET_ALERT,
    ]
