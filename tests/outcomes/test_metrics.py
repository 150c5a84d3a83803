"""Outcome metrics, alert thresholds and horizon advance as pure rules (outcomes/metrics.py,
docs/rules.md §3 and §4): no database, plain values in and out."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes import metrics
from outcomes.inputs import SnapshotInput
from outcomes.metrics import Thresholds

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
EIGHT_WEEKS = timedelta(weeks=8)
TODAY = date(2026, 6, 30)  # the day the rules are asked on (callers pass today)


def validate(data) -> dict:
    """A snapshot's checked values, as the rules below take them (the shape is checked by
    outcomes.inputs.SnapshotInput: tests/outcomes/test_inputs.py)."""
    return SnapshotInput.model_validate(data).model_dump()


def snapshot(**overrides) -> dict:
    """A healthy, valid snapshot as a client sends it (ISO dates, plain numbers)."""
    data = {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "tasks": 100,
        "tasks_completed": 95,
        "escalations": 5,
        "errors": 2,
        "cost": 190.0,
        "avg_cycle_time_s": 60.0,
        "baseline_cost_per_case": 4.0,
        "baseline_cycle_time_s": 240.0,
        "baseline_error_rate": 0.05,
    }
    data.update(overrides)
    return data


def clean_of(**overrides) -> dict:
    return validate(snapshot(**overrides))


def figures_of(**overrides) -> dict:
    return metrics.derived_figures(clean_of(**overrides))


def breaches_of(thresholds=None, api_calls_limit=None, **overrides) -> dict:
    clean = clean_of(**overrides)
    found = metrics.alert_breaches(
        clean, metrics.derived_figures(clean), thresholds or Thresholds(), api_calls_limit
    )
    return {b.threshold: b for b in found}


# --- derived figures -------------------------------------------------------------------------


def test_derived_figures_follow_the_spec_table_exactly():
    # given tasks 100, completed 95, escalations 5, errors 2, cost 190, cycle 60 s vs 240 s,
    # baseline 4.0 per case and 5 % errors
    figures = figures_of()

    # then
    assert figures == {
        "task_completion_rate": 95 / 100,
        "escalation_frequency": 5 / 100,
        "error_rate": 2 / 100,
        "cost_per_resolved_case": 190 / 95,
        "cycle_time_reduction": (240 - 60) / 240,
        "error_rate_vs_baseline": 2 / 100 - 0.05,
        "cost_reduction": (4.0 - 190 / 95) / 4.0,
    }


def test_derived_figures_are_exactly_the_documented_keys():
    assert set(figures_of()) == {
        "task_completion_rate",
        "escalation_frequency",
        "error_rate",
        "cost_per_resolved_case",
        "cycle_time_reduction",
        "error_rate_vs_baseline",
        "cost_reduction",
    }


@pytest.mark.parametrize(
    ("overrides", "none", "present"),
    [
        (
            {"tasks": 0, "tasks_completed": 0, "escalations": 0, "errors": 0},
            {
                "task_completion_rate",
                "escalation_frequency",
                "error_rate",
                "error_rate_vs_baseline",
                "cost_per_resolved_case",
                "cost_reduction",
            },
            {"cycle_time_reduction"},
        ),
        (
            {"tasks_completed": 0},
            {"cost_per_resolved_case", "cost_reduction"},
            {
                "task_completion_rate",
                "escalation_frequency",
                "error_rate",
                "error_rate_vs_baseline",
                "cycle_time_reduction",
            },
        ),
        ({"baseline_cycle_time_s": 0}, {"cycle_time_reduction"}, {"cost_reduction"}),
        ({"baseline_cost_per_case": 0}, {"cost_reduction"}, {"cost_per_resolved_case"}),
    ],
    ids=["tasks-0", "tasks_completed-0", "baseline_cycle-0", "baseline_cost-0"],
)
def test_a_zero_denominator_gives_none_never_a_crash(overrides, none, present):
    # when
    figures = figures_of(**overrides)

    # then
    assert {k for k, v in figures.items() if v is None} == none
    assert all(figures[k] is not None for k in present)


def test_with_no_tasks_completed_the_rates_are_still_computed():
    figures = figures_of(tasks_completed=0)

    assert figures["task_completion_rate"] == 0.0
    assert figures["error_rate"] == 0.02


@pytest.mark.parametrize(
    ("errors", "baseline", "sign"),
    [(2, 0.05, -1), (5, 0.05, 0), (10, 0.05, 1), (0, 0.0, 0), (100, 0.0, 1)],
)
def test_error_rate_vs_baseline_is_negative_when_better_than_people(errors, baseline, sign):
    figures = figures_of(errors=errors, baseline_error_rate=baseline)

    assert figures["error_rate_vs_baseline"] == pytest.approx(errors / 100 - baseline)
    assert (figures["error_rate_vs_baseline"] > 0) - (figures["error_rate_vs_baseline"] < 0) == (
        sign
    )


def test_cycle_time_reduction_is_negative_when_slower_than_people():
    figures = figures_of(avg_cycle_time_s=300.0, baseline_cycle_time_s=200.0)

    assert figures["cycle_time_reduction"] == pytest.approx(-0.5)


def test_cost_reduction_is_negative_when_dearer_than_people():
    # cost per resolved case 190/95 = 2.0 against a baseline of 1.0
    figures = figures_of(baseline_cost_per_case=1.0)

    assert figures["cost_per_resolved_case"] == 2.0
    assert figures["cost_reduction"] == -1.0


def test_a_free_agent_saves_everything():
    figures = figures_of(cost=0.0, avg_cycle_time_s=0.0)

    assert figures["cost_per_resolved_case"] == 0.0
    assert figures["cost_reduction"] == 1.0
    assert figures["cycle_time_reduction"] == 1.0


# --- period_end_error: a period posted once it has ended -----------------------------------


def test_a_period_ending_today_has_ended():
    assert metrics.period_end_error(TODAY, TODAY) is None
    assert metrics.period_end_error(date(2000, 1, 31), TODAY) is None


def test_a_period_ending_tomorrow_has_not_ended_and_says_today():
    assert metrics.period_end_error(TODAY + timedelta(days=1), TODAY) == (
        "The period ends after today (2026-06-30): post a period once it has ended."
    )


# --- period_overlaps ---------------------------------------------------------------------------

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.mark.parametrize(
    ("period", "overlaps"),
    [
        ((date(2026, 3, 31), date(2026, 4, 30)), True),  # starts on the day March ends
        ((date(2026, 4, 1), date(2026, 4, 30)), False),  # starts the day after
        ((date(2026, 2, 1), date(2026, 3, 1)), True),  # ends on the day March starts
        ((date(2026, 2, 1), date(2026, 2, 28)), False),  # ends the day before
        ((date(2026, 3, 10), date(2026, 3, 12)), True),  # inside
        ((date(2026, 1, 1), date(2026, 12, 31)), True),  # around
        (MARCH, True),  # the same period
    ],
)
def test_a_period_overlapping_a_stored_one_is_named_both_days_inclusive(period, overlaps):
    found = metrics.period_overlaps([period], [MARCH])

    if overlaps:
        assert found == {
            0: "The period overlaps the existing snapshot (2026-03-01 to 2026-03-31): choose "
            "dates outside it (both days count, so start the day after it ends)."
        }
    else:
        assert found == {}


def test_the_stored_period_named_is_the_one_overlapped():
    stored = [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2025, 1, 1), date(2025, 12, 31)),
        MARCH,
    ]

    found = metrics.period_overlaps([(date(2025, 6, 1), date(2025, 6, 30))], stored)

    assert "(2025-01-01 to 2025-12-31)" in found[0]


def test_a_long_stored_period_is_found_behind_later_short_ones():
    stored = [(date(2025, 1, 1), date(2026, 12, 31)), (date(2025, 2, 1), date(2025, 2, 2))]

    found = metrics.period_overlaps([(date(2026, 6, 1), date(2026, 6, 30))], stored)

    assert "(2025-01-01 to 2026-12-31)" in found[0]


def test_new_periods_overlapping_each_other_name_the_earlier_row():
    periods = [
        (date(2026, 2, 1), date(2026, 2, 28)),
        MARCH,
        (date(2026, 3, 31), date(2026, 4, 30)),  # touches row 2
        (date(2026, 5, 1), date(2026, 5, 31)),  # adjacent: fine
    ]

    found = metrics.period_overlaps(periods, [])

    assert found == {
        2: "The period overlaps row 2 of the file (2026-03-01 to 2026-03-31): choose dates "
        "outside it (both days count, so start the day after it ends)."
    }


def test_the_later_of_two_overlapping_rows_is_named_whatever_their_order():
    found = metrics.period_overlaps([(date(2026, 4, 1), date(2026, 4, 30)), MARCH, MARCH], [])

    assert list(found) == [2]
    assert "row 2 of the file" in found[2]


def test_rows_without_dates_are_skipped_and_keep_their_numbers():
    found = metrics.period_overlaps([None, MARCH, None, MARCH], [])

    assert list(found) == [3]
    assert "row 2 of the file" in found[3]


def test_adjacent_periods_never_overlap():
    months = [(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1)) for m in range(1, 12)]

    assert metrics.period_overlaps(months[6:], months[:6]) == {}


# --- alert breaches (defaults) ---------------------------------------------------------------


def test_a_healthy_snapshot_breaches_nothing():
    assert breaches_of() == {}


def _one(breaches: dict, name: str):
    assert set(breaches) == {name}, breaches
    return breaches[name]


@pytest.mark.parametrize(
    ("tasks", "errors", "fires"),
    [
        (10, 1, False),  # 0.10 exactly
        (10_000_000, 1_000_000, False),
        (10_000_000, 1_000_001, True),  # 0.1000001
        (10, 2, True),
    ],
)
def test_error_rate_fires_only_above_ten_percent(tasks, errors, fires):
    breaches = breaches_of(
        tasks=tasks, tasks_completed=tasks, escalations=0, errors=errors, baseline_error_rate=0.5
    )

    if fires:
        breach = _one(breaches, "error_rate")
        assert breach.value == errors / tasks
        assert breach.limit == 0.10
        assert "Error rate" in breach.message
    else:
        assert breaches == {}


@pytest.mark.parametrize(
    ("escalations", "fires"), [(30, False), (31, True), (29, False), (100, True)]
)
def test_escalation_frequency_fires_only_above_thirty_percent(escalations, fires):
    breaches = breaches_of(tasks=100, tasks_completed=100, escalations=escalations, errors=0)

    if fires:
        breach = _one(breaches, "escalation_frequency")
        assert breach.value == escalations / 100
        assert breach.limit == 0.30
    else:
        assert breaches == {}


def test_escalation_frequency_just_above_thirty_percent_fires():
    breaches = breaches_of(
        tasks=10_000_000, tasks_completed=10_000_000, escalations=3_000_001, errors=0
    )

    assert _one(breaches, "escalation_frequency").value == 0.3000001


@pytest.mark.parametrize(("completed", "fires"), [(50, False), (49, True), (51, False), (0, True)])
def test_task_completion_rate_fires_only_below_half(completed, fires):
    breaches = breaches_of(tasks=100, tasks_completed=completed, escalations=0, errors=0)

    if fires:
        breach = _one(breaches, "task_completion_rate")
        assert breach.value == completed / 100
        assert breach.limit == 0.50
        assert "below" in breach.message
    else:
        assert breaches == {}


@pytest.mark.parametrize(("failed", "fires"), [(0, False), (5, False), (6, True), (500, True)])
def test_failed_tool_calls_fire_above_five_percent_of_tasks(failed, fires):
    breaches = breaches_of(failed_tool_calls=failed)

    if fires:
        breach = _one(breaches, "failed_tool_calls")
        assert breach.value == failed / 100
        assert breach.limit == 0.05
    else:
        assert breaches == {}


def test_failed_tool_calls_just_above_five_percent_fire():
    breaches = breaches_of(
        tasks=10_000_000,
        tasks_completed=10_000_000,
        escalations=0,
        errors=0,
        failed_tool_calls=500_001,
    )

    assert _one(breaches, "failed_tool_calls").value == 0.0500001


@pytest.mark.parametrize(("violations", "fires"), [(0, False), (1, True), (7, True)])
def test_any_policy_violation_fires(violations, fires):
    breaches = breaches_of(policy_violations=violations)

    if fires:
        breach = _one(breaches, "policy_violations")
        assert breach.value == violations
        assert breach.limit == 0
    else:
        assert breaches == {}


@pytest.mark.parametrize(
    ("quality", "fires"), [(0.70, False), (0.6999999, True), (0.71, False), (0.0, True), (1, False)]
)
def test_quality_score_fires_below_seventy_percent(quality, fires):
    breaches = breaches_of(quality_score=quality)

    if fires:
        breach = _one(breaches, "quality_score")
        assert breach.value == quality
        assert breach.limit == 0.70
    else:
        assert breaches == {}


@pytest.mark.parametrize(
    ("calls", "limit", "fires"),
    [
        (500, 500, False),
        (500.5, 500, True),
        (501, 500, True),
        (499, 500, False),
        (10**12, None, False),
        (1, 0, True),
    ],
)
def test_calls_per_hour_fire_above_the_agents_limit_only_when_it_has_one(calls, limit, fires):
    breaches = breaches_of(api_calls_limit=limit, calls_per_hour=calls)

    if fires:
        breach = _one(breaches, "calls_per_hour")
        assert breach.value == calls
        assert breach.limit == limit
    else:
        assert breaches == {}


def test_absent_optional_fields_never_fire_even_with_strict_thresholds():
    strict = Thresholds(
        alert_failed_tool_calls_max=0.0, alert_policy_violations_max=0, alert_quality_min=1.0
    )

    assert breaches_of(thresholds=strict, api_calls_limit=0) == {}


def test_with_no_tasks_no_figure_fires():
    # every rate is None: a None figure never fires, whatever the thresholds
    strict = Thresholds(
        alert_error_rate_max=0.0,
        alert_escalation_max=0.0,
        alert_completion_min=1.0,
        alert_failed_tool_calls_max=0.0,
    )
    breaches = breaches_of(
        thresholds=strict,
        tasks=0,
        tasks_completed=0,
        escalations=0,
        errors=0,
        failed_tool_calls=50,
    )

    assert breaches == {}


def test_with_no_tasks_a_policy_violation_still_fires():
    # a count, not a figure: nothing to divide
    breaches = breaches_of(tasks=0, tasks_completed=0, escalations=0, errors=0, policy_violations=1)

    assert set(breaches) == {"policy_violations"}


def test_every_crossed_threshold_is_reported_at_once():
    breaches = breaches_of(
        api_calls_limit=100,
        tasks=100,
        tasks_completed=10,
        escalations=90,
        errors=60,
        failed_tool_calls=50,
        policy_violations=2,
        quality_score=0.1,
        calls_per_hour=1000,
    )

    assert set(breaches) == {
        "error_rate",
        "escalation_frequency",
        "task_completion_rate",
        "failed_tool_calls",
        "policy_violations",
        "quality_score",
        "calls_per_hour",
    }
    assert all(b.message for b in breaches.values())


def test_custom_alert_thresholds_are_used():
    custom = Thresholds(
        alert_error_rate_max=0.01,
        alert_escalation_max=0.04,
        alert_completion_min=0.96,
        alert_failed_tool_calls_max=0.5,
        alert_policy_violations_max=3,
        alert_quality_min=0.2,
    )

    breaches = breaches_of(
        thresholds=custom, failed_tool_calls=40, policy_violations=3, quality_score=0.3
    )

    # 2 % errors > 1 %, 5 % escalations > 4 %, 95 % completion < 96 %; the rest within
    assert set(breaches) == {"error_rate", "escalation_frequency", "task_completion_rate"}
    assert breaches["error_rate"].limit == 0.01


def test_custom_policy_violation_allowance_fires_only_above_it():
    custom = Thresholds(alert_policy_violations_max=3)

    assert set(breaches_of(thresholds=custom, policy_violations=4)) == {"policy_violations"}


def test_breach_messages_name_the_value_and_the_limit():
    breach = _one(
        breaches_of(tasks=100, tasks_completed=100, escalations=0, errors=25), "error_rate"
    )

    assert breach.message == "Error rate 0.25 is above 0.1."


# --- horizons ---------------------------------------------------------------------------------


def test_horizons_run_stabilization_scaling_optimization():
    assert metrics.HORIZONS == ("stabilization", "scaling", "optimization")
    assert metrics.next_horizon("stabilization") == "scaling"
    assert metrics.next_horizon("scaling") == "optimization"
    assert metrics.next_horizon("optimization") is None


def advance(**overrides):
    """advance_reasons with every fact favourable unless overridden."""
    latest = overrides.pop("latest", clean_of())
    facts = {
        "horizon": "stabilization",
        "in_production": True,
        "suspended": False,
        "production_since": T0,
        "now": T0 + EIGHT_WEEKS,
        "latest": latest,
        "figures": metrics.derived_figures(latest) if latest is not None else None,
        "thresholds": Thresholds(),
        "decider_is_owner": False,
    }
    facts.update(overrides)
    return metrics.advance_reasons(**facts)


def codes(reasons) -> list[str]:
    return [r.code for r in reasons]


def test_a_healthy_agent_after_eight_weeks_may_advance():
    assert advance() == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"decider_is_owner": True}, "owner_cannot_decide"),
        ({"in_production": False}, "not_in_production"),
        ({"horizon": None}, "not_in_production"),
        ({"horizon": "optimization"}, "final_horizon"),
        ({"suspended": True}, "suspended"),
        ({"now": T0 + EIGHT_WEEKS - timedelta(seconds=1)}, "stabilization_minimum"),
        ({"latest": None}, "no_snapshot"),
    ],
)
def test_each_reason_alone_refuses_the_advance(overrides, code):
    assert codes(advance(**overrides)) == [code]


def test_every_reason_is_listed_at_once():
    reasons = advance(
        decider_is_owner=True,
        suspended=True,
        now=T0,
        latest=clean_of(tasks_completed=50, escalations=50, errors=50),
    )

    assert codes(reasons) == [
        "owner_cannot_decide",
        "suspended",
        "stabilization_minimum",
        "figure_short",
        "figure_short",
        "figure_short",
    ]


def test_a_snapshot_without_figures_counts_as_no_snapshot():
    assert codes(advance(figures=None)) == ["no_snapshot"]


def test_scaling_may_advance_to_optimization_without_a_minimum():
    assert advance(horizon="scaling", now=T0) == []


def test_scaling_with_no_production_date_may_still_advance():
    assert advance(horizon="scaling", production_since=None) == []


def test_exactly_eight_weeks_after_phase_fours_go_is_enough():
    assert advance(now=T0 + EIGHT_WEEKS) == []


def test_one_second_short_of_eight_weeks_is_refused_with_the_weeks_left():
    (reason,) = advance(now=T0 + EIGHT_WEEKS - timedelta(seconds=1))

    assert reason.code == "stabilization_minimum"
    assert reason.extra == {"weeks_left": 0.1}
    assert "8 weeks" in reason.message


@pytest.mark.parametrize(
    ("elapsed", "weeks_left"),
    [
        (timedelta(0), 8),
        (timedelta(weeks=3), 5),
        (timedelta(weeks=7, days=4), 0.5),
        (timedelta(weeks=7, days=6, hours=23), 0.1),
    ],
)
def test_weeks_left_are_rounded_up_to_a_tenth(elapsed, weeks_left):
    (reason,) = advance(now=T0 + elapsed)

    assert reason.extra["weeks_left"] == weeks_left


@pytest.mark.parametrize(
    ("weeks", "elapsed", "allowed"),
    [
        (12, timedelta(weeks=8), False),
        (12, timedelta(weeks=12), True),
        (2, timedelta(weeks=2), True),
        (2, timedelta(weeks=2) - timedelta(seconds=1), False),
        (0, timedelta(0), True),
    ],
)
def test_a_custom_stabilization_minimum_is_used(weeks, elapsed, allowed):
    reasons = advance(thresholds=Thresholds(stabilization_weeks=weeks), now=T0 + elapsed)

    assert codes(reasons) == ([] if allowed else ["stabilization_minimum"])
    if not allowed:
        assert f"{weeks} weeks" in reasons[0].message


def _short(reasons) -> dict:
    return {r.extra["figure"]: r for r in reasons if r.code in ("figure_short", "figure_missing")}


@pytest.mark.parametrize(("completed", "ok"), [(90, True), (89, False), (100, True)])
def test_completion_rate_must_be_at_least_ninety_percent(completed, ok):
    reasons = advance(latest=clean_of(tasks_completed=completed))

    if ok:
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason.code == "figure_short"
        assert reason.extra == {
            "figure": "task_completion_rate",
            "value": completed / 100,
            "threshold": 0.90,
        }
        assert "below the minimum" in reason.message


def test_completion_rate_a_hair_below_ninety_percent_is_refused():
    latest = clean_of(
        tasks=10_000_000, tasks_completed=8_999_999, escalations=0, errors=0, baseline_error_rate=0
    )

    assert _short(advance(latest=latest))["task_completion_rate"].code == "figure_short"


@pytest.mark.parametrize(("escalations", "ok"), [(10, True), (11, False), (0, True)])
def test_escalation_frequency_must_be_at_most_ten_percent(escalations, ok):
    reasons = advance(latest=clean_of(escalations=escalations))

    if ok:
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason.extra == {
            "figure": "escalation_frequency",
            "value": escalations / 100,
            "threshold": 0.10,
        }
        assert "above the maximum" in reason.message


@pytest.mark.parametrize(
    ("errors", "baseline", "ok"),
    [(5, 0.05, True), (6, 0.05, False), (4, 0.05, True), (0, 0.0, True), (1, 0.0, False)],
)
def test_error_rate_must_be_at_most_the_snapshots_baseline(errors, baseline, ok):
    reasons = advance(latest=clean_of(errors=errors, baseline_error_rate=baseline))

    if ok:
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason.extra == {
            "figure": "error_rate",
            "value": errors / 100,
            "threshold": baseline,
        }


@pytest.mark.parametrize(("errors", "ok"), [(3, True), (4, False), (0, True)])
def test_fixed_error_mode_uses_the_fixed_fraction_not_the_baseline(errors, ok):
    thresholds = Thresholds(advance_error_mode="fixed", advance_error_max=0.03)
    # the baseline (50 %) would let everything through
    reasons = advance(
        thresholds=thresholds, latest=clean_of(errors=errors, baseline_error_rate=0.5)
    )

    if ok:
        assert reasons == []
    else:
        (reason,) = reasons
        assert reason.extra["threshold"] == 0.03


def test_custom_advance_thresholds_are_used():
    thresholds = Thresholds(advance_completion_min=0.96, advance_escalation_max=0.04)

    assert set(_short(advance(thresholds=thresholds))) == {
        "task_completion_rate",
        "escalation_frequency",
    }


def test_none_figures_never_satisfy_an_advance_threshold():
    # no tasks: all three rates are None, even against the loosest thresholds
    loose = Thresholds(
        advance_completion_min=0.0,
        advance_escalation_max=1.0,
        advance_error_mode="fixed",
        advance_error_max=1.0,
    )
    latest = clean_of(tasks=0, tasks_completed=0, escalations=0, errors=0)

    reasons = advance(thresholds=loose, latest=latest)

    assert codes(reasons) == ["figure_missing"] * 3
    assert {r.extra["figure"] for r in reasons} == {
        "task_completion_rate",
        "escalation_frequency",
        "error_rate",
    }
    assert all(r.extra["value"] is None for r in reasons)


def test_a_single_none_figure_refuses_even_when_the_others_pass():
    latest = clean_of()
    figures = {**metrics.derived_figures(latest), "escalation_frequency": None}

    reasons = advance(latest=latest, figures=figures)

    assert codes(reasons) == ["figure_missing"]
    assert reasons[0].extra["figure"] == "escalation_frequency"


# --- hypothesis -------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**12)
numbers = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def valid_snapshots(draw):
    tasks = draw(st.one_of(st.just(0), st.integers(0, 1000), counts))
    within = st.integers(min_value=0, max_value=tasks)
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=TODAY - timedelta(days=400)))
    end = start + timedelta(days=draw(st.integers(0, 400)))
    data = {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "tasks": tasks,
        "tasks_completed": draw(within),
        "escalations": draw(within),
        "errors": draw(within),
        "cost": draw(numbers),
        "avg_cycle_time_s": draw(numbers),
        "baseline_cost_per_case": draw(st.one_of(st.just(0.0), numbers)),
        "baseline_cycle_time_s": draw(st.one_of(st.just(0.0), numbers)),
        "baseline_error_rate": draw(fractions),
    }
    for name, strategy in (
        ("failed_tool_calls", counts),
        ("policy_violations", st.integers(0, 5)),
        ("quality_score", fractions),
        ("calls_per_hour", numbers),
    ):
        if draw(st.booleans()):
            data[name] = draw(strategy)
    return data


RATES = ("task_completion_rate", "escalation_frequency", "error_rate")


@settings(max_examples=120, deadline=None)
@given(data=valid_snapshots())
def test_valid_snapshots_are_accepted_and_their_rates_are_fractions(data):
    clean = validate(data)

    figures = metrics.derived_figures(clean)

    for name in RATES:
        if clean["tasks"] == 0:
            assert figures[name] is None
        else:
            assert 0 <= figures[name] <= 1
    if figures["error_rate"] is not None:
        assert -1 <= figures["error_rate_vs_baseline"] <= 1
    assert (figures["cost_per_resolved_case"] is None) == (clean["tasks_completed"] == 0)
    if figures["cost_per_resolved_case"] is not None:
        assert figures["cost_per_resolved_case"] >= 0
    if figures["cycle_time_reduction"] is not None:
        assert figures["cycle_time_reduction"] <= 1
    if figures["cost_reduction"] is not None:
        assert figures["cost_reduction"] <= 1


@settings(max_examples=120, deadline=None)
@given(
    data=valid_snapshots(),
    limit=st.one_of(st.none(), st.integers(0, 10**6)),
    error_max=fractions,
    escalation_max=fractions,
    completion_min=fractions,
    failed_max=fractions,
    quality_min=fractions,
    violations_max=st.integers(0, 3),
)
def test_breaches_are_real_crossings_and_never_of_a_none_figure(
    data, limit, error_max, escalation_max, completion_min, failed_max, quality_min, violations_max
):
    clean = validate(data)
    figures = metrics.derived_figures(clean)
    thresholds = Thresholds(
        alert_error_rate_max=error_max,
        alert_escalation_max=escalation_max,
        alert_completion_min=completion_min,
        alert_failed_tool_calls_max=failed_max,
        alert_quality_min=quality_min,
        alert_policy_violations_max=violations_max,
    )

    breaches = metrics.alert_breaches(clean, figures, thresholds, limit)

    names = [b.threshold for b in breaches]
    assert len(names) == len(set(names))
    for breach in breaches:
        assert breach.value is not None
        assert breach.limit is not None
        assert breach.message
        if breach.threshold in figures:
            assert figures[breach.threshold] == breach.value
        if breach.threshold in ("task_completion_rate", "quality_score"):
            assert breach.value < breach.limit
        else:
            assert breach.value > breach.limit
    if clean["tasks"] == 0:
        assert not set(names) & {*RATES, "failed_tool_calls"}
    if limit is None:
        assert "calls_per_hour" not in names


@settings(max_examples=80, deadline=None)
@given(
    data=valid_snapshots(),
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(weeks=20)),
    weeks=st.integers(0, 16),
)
def test_an_advance_allowed_always_has_every_rate_within_its_threshold(data, elapsed, weeks):
    clean = validate(data)
    figures = metrics.derived_figures(clean)
    thresholds = Thresholds(stabilization_weeks=weeks)

    reasons = advance(latest=clean, figures=figures, now=T0 + elapsed, thresholds=thresholds)

    if not reasons:
        assert elapsed >= timedelta(weeks=weeks)
        assert figures["task_completion_rate"] >= 0.90
        assert figures["escalation_frequency"] <= 0.10
        assert figures["error_rate"] <= clean["baseline_error_rate"]
    if clean["tasks"] == 0:
        assert codes(reasons).count("figure_missing") == 3
