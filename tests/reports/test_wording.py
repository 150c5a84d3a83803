"""The board pack's words for codes, thresholds and risks, and the summary's pure rules."""

import pytest

from core.formatting import NBSP
from outcomes import metrics
from reports import rules, wording


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


@pytest.mark.parametrize(
    ("label", "code", "expected"),
    [
        (wording.verdict_label, "not_ready", "Not ready"),
        (wording.verdict_label, "blocked", "Blocked"),
        (wording.verdict_label, None, "No verdict"),
        (wording.gate_state_label, "no_go", "No-go"),
        (wording.gate_state_label, "needs_review", "Needs review"),
        (wording.gate_state_label, "some_new_state", "Some new state"),  # never a raw code
        (wording.phase_label, "production", "In production"),
        (wording.phase_label, 3, "Phase 3"),
        (wording.horizon_label, "stabilization", "Stabilization"),
        (wording.horizon_label, None, "–"),
        (wording.event_label, "suspension_automatic", "Suspended automatically"),
        (wording.event_label, "resume", "Resumed"),
        (wording.drill_label, "never", "Never drilled"),
    ],
)
def test_codes_are_said_in_words(label, code, expected):
    assert label(code) == expected


def test_a_breach_reads_in_percentages_with_the_limit_as_the_pages_write_it():
    breach = {"threshold": "error_rate", "value": 0.14038, "limit": 0.1, "message": "0.1404"}
    assert plain(wording.breach_text(breach)) == ("Error rate 14.0 % above its alert limit of 10 %")
    low = {"threshold": "task_completion_rate", "value": 0.42, "limit": 0.5}
    assert plain(wording.breach_text(low)) == (
        "Task completion rate 42.0 % below its alert limit of 50 %"
    )


def test_a_risk_against_people_names_both_figures_and_the_multiple():
    risk = {"figure": "error_rate", "value": 0.14, "limit": 0.035, "against": "baseline"}
    assert plain(wording.risk_text(risk)) == (
        "Error rate 14.0 % against people's 3.5 %: 4 times people's error rate"
    )
    cost = {"figure": "cost_per_resolved_case", "value": 7.8, "limit": 6.5, "against": "baseline"}
    assert plain(wording.risk_text(cost, "EUR")) == (
        "Cost per case €7.80 against people's €6.50: 20 % higher cost per case than people"
    )


def test_a_risk_against_a_threshold_says_which_threshold():
    alert = {"figure": "error_rate", "value": 0.14, "limit": 0.1, "against": "alert"}
    assert "alert limit of 10 %" in plain(wording.risk_text(alert))
    advance = {"figure": "task_completion_rate", "value": 0.85, "limit": 0.9, "against": "advance"}
    assert plain(wording.risk_text(advance)) == (
        "Task completion rate 85.0 % is below its advance threshold of 90 %"
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (("not_ready", 12), ("ready", 15), "better"),
        (("ready", 15), ("blocked", 16), "worse"),  # the verdict decides, not the total
        (("ready", 15), ("ready", 14), "worse"),
        (("ready", 15), ("ready", 15), "same"),
        (("blocked", 10), ("blocked", 12), "better"),
        ((None, None), ("ready", 15), None),
    ],
)
def test_the_verdict_change(before, after, expected):
    assert (
        rules.verdict_change(
            before_verdict=before[0], before_total=before[1], verdict=after[0], total=after[1]
        )
        == expected
    )


def test_the_verdict_change_in_a_sentence():
    change = {
        "direction": "worse",
        "before": {"verdict": "ready", "total": 15},
        "after": {"verdict": "not_ready", "total": 12},
    }
    assert wording.verdict_change_text(change) == (
        "Worse since the previous pack: ready at 15/20 then, not ready at 12/20 now."
    )
    assert wording.verdict_change_text(None).startswith("First board pack")


def risks(**figures):
    base = {
        "task_completion_rate": 0.95,
        "escalation_frequency": 0.04,
        "error_rate": 0.01,
        "cost_per_resolved_case": 1.2,
    }
    return rules.outcome_risks(
        figures={**base, **figures},
        baseline={"error_rate": 0.035, "cost_per_case": 6.5, "cycle_time_s": 1800},
        avg_cycle_time_s=figures.pop("cycle", 200),
        thresholds=vars(metrics.Thresholds()),
    )


def test_an_agent_better_than_people_and_its_thresholds_has_no_risk():
    assert risks() == []


def test_an_error_rate_above_people_comes_first_then_the_alert_limit():
    found = risks(error_rate=0.14)
    assert [(r["figure"], r["against"]) for r in found] == [
        ("error_rate", "baseline"),
        ("error_rate", "alert"),
    ]
    assert found[0]["limit"] == 0.035


def test_a_figure_past_its_alert_limit_is_not_also_listed_against_its_advance_threshold():
    assert [r["against"] for r in risks(task_completion_rate=0.4)] == ["alert"]
    assert [r["against"] for r in risks(task_completion_rate=0.85)] == ["advance"]


def test_missing_figures_are_no_risk():
    assert risks(error_rate=None, cost_per_resolved_case=None, task_completion_rate=None) == []


def test_dearer_and_slower_than_people_are_risks():
    found = risks(cost_per_resolved_case=7.0, cycle=2400)
    assert {r["figure"] for r in found} == {"cost_per_resolved_case", "avg_cycle_time_s"}
