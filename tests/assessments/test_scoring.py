"""The scoring rules of docs/rules.md §1, exactly: floor-mean dimensions, total, verdict, reasons,
and the way to ready (fewest points, then fewest criteria, then earliest, then earlier raised
higher).

No database: the framework shape is built straight from the versioned JSON file. The brute-force
references below are written independently of `scoring.py` (they enumerate raise vectors instead
of reasoning about dimension levels) so that they can catch its mistakes.
"""

import itertools
import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import assessments
from assessments.scoring import (
    Change,
    DimensionShape,
    FrameworkShape,
    assessment_result,
    dimension_score,
    missing_criteria,
    verdict_for,
)

FRAMEWORK_FILE = Path(assessments.__file__).parent / "frameworks" / "default-v1.json"


def _shape_from_file(path: Path) -> FrameworkShape:
    data = json.loads(path.read_text())
    return FrameworkShape(
        tuple(
            DimensionShape(dim["key"], dim["name"], tuple(c["key"] for c in dim["criteria"]))
            for dim in data["dimensions"]
        )
    )


SHAPE = _shape_from_file(FRAMEWORK_FILE)
KEYS = SHAPE.criterion_keys
DIMENSIONS = [dim.key for dim in SHAPE.dimensions]
NAMES = {dim.key: dim.name for dim in SHAPE.dimensions}
VERDICT_ORDER = {"blocked": 0, "not_ready": 1, "ready": 2}

twelve_scores = st.lists(st.integers(1, 5), min_size=12, max_size=12)


def scores(*values: int) -> dict[str, int]:
    """Twelve values in framework order, or four (one per dimension, repeated thrice)."""
    if len(values) == 4:
        values = tuple(v for v in values for _ in range(3))
    assert len(values) == 12
    return dict(zip(KEYS, values, strict=True))


def result_of(*values: int):
    result = assessment_result(SHAPE, scores(*values))
    assert result is not None
    return result


def changes(*triples: tuple[str, int, int]) -> tuple[Change, ...]:
    return tuple(Change(key, before, after) for key, before, after in triples)


def applied(values: list[int], to_ready) -> dict[str, int]:
    raised = dict(zip(KEYS, values, strict=True))
    for change in to_ready:
        raised[change.criterion] = change.to_score
    return raised


# --- independent references ---------------------------------------------------------------


def _is_ready(values: list[int] | tuple[int, ...]) -> bool:
    """docs/rules.md §1 from scratch: floor of the mean per dimension; ready iff all >= 3 and
    their sum >= 14."""
    levels = [math.floor(sum(values[i : i + 3]) / 3) for i in range(0, 12, 3)]
    return min(levels) >= 3 and sum(levels) >= 14


def reference_min_points(values: list[int]) -> int:
    """The fewest points that make `values` ready, by exhaustive search per dimension.

    For each dimension, every raise vector of its three criteria (each score up to 5) is tried
    and the cheapest way to reach each dimension level is kept; then every combination of
    levels across the four dimensions is tried. The dimensions are independent, so this
    covers every raise vector of the twelve criteria.
    """
    cheapest_per_dimension = []
    for i in range(0, 12, 3):
        triple = values[i : i + 3]
        cheapest: dict[int, int] = {}
        for raise_ in itertools.product(*(range(6 - v) for v in triple)):
            level = math.floor((sum(triple) + sum(raise_)) / 3)
            cheapest[level] = min(cheapest.get(level, 99), sum(raise_))
        cheapest_per_dimension.append(cheapest)
    return min(
        sum(cheapest[level] for cheapest, level in zip(cheapest_per_dimension, levels, strict=True))
        for levels in itertools.product(*(c.keys() for c in cheapest_per_dimension))
        if min(levels) >= 3 and sum(levels) >= 14
    )


def _raise_vectors(values: list[int], points: int, start: int = 0):
    """Every way to add exactly `points` to values[start:], each score at most 5."""
    if start == len(values):
        if points == 0:
            yield ()
        return
    for r in range(min(points, 5 - values[start]) + 1):
        for rest in _raise_vectors(values, points - r, start + 1):
            yield (r, *rest)


def reference_best(values: list[int], points: int) -> tuple[Change, ...]:
    """Among every raise vector adding exactly `points` that reaches ready, the the rules' best:
    fewest criteria, then earliest positions (sorted, lexicographic), then the earlier
    criterion raised higher."""
    best_key, best = None, None
    for raise_ in _raise_vectors(values, points):
        raised = [v + r for v, r in zip(values, raise_, strict=True)]
        if not _is_ready(raised):
            continue
        positions = tuple(p for p, r in enumerate(raise_) if r)
        key = (len(positions), positions, tuple(-raise_[p] for p in positions))
        if best_key is None or key < best_key:
            best_key = key
            best = tuple(Change(KEYS[p], values[p], raised[p]) for p in positions)
    assert best is not None
    return best


# --- the framework shape ----------------------------------------------------------------


def test_default_framework_has_four_dimensions_of_three_criteria_in_spec_order():
    assert DIMENSIONS == ["governance", "infrastructure", "observability", "data_quality"]
    assert KEYS == (
        "ownership",
        "decision_boundaries",
        "least_privilege",
        "prompt_lifecycle",
        "guardrails",
        "human_override",
        "tracing",
        "alerting",
        "outcome_metrics",
        "data_monitoring",
        "drift_detection",
        "test_data",
    )
    assert SHAPE.max_total == 20


# --- dimension score: the mean rounded down ---------------------------------------------


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ((3, 3, 2), 2),  # rules example: 2.67 rounds down
        ((5, 5, 4), 4),  # rules example: 4.67 rounds down
        ((1, 1, 1), 1),
        ((5, 5, 5), 5),
        ((2, 3, 3), 2),
        ((3, 3, 4), 3),
        ((3, 4, 4), 3),  # 3.67
        ((4, 4, 4), 4),
        ((1, 5, 5), 3),  # 3.67
        ((1, 1, 5), 2),  # 2.33
        ((2, 2, 5), 3),  # exactly 3
        ((1, 3, 5), 3),
        ((4, 5, 5), 4),  # 4.67
        ((2, 2, 3), 2),
        ((1, 2, 2), 1),  # 1.67
    ],
)
def test_dimension_score_is_the_mean_rounded_down(criteria, expected):
    # Given three criterion scores, when the dimension is scored, then it is floor(mean)
    assert dimension_score(criteria) == expected
    assert dimension_score(list(criteria)) == expected


def test_dimension_score_is_floor_of_mean_for_every_possible_triple():
    for triple in itertools.product(range(1, 6), repeat=3):
        assert dimension_score(triple) == math.floor(sum(triple) / 3), triple


def test_result_dimension_scores_use_floor_mean_per_dimension():
    # Given four dimensions whose means are 2.67, 4.67, 3.0 and 3.67
    result = result_of(3, 3, 2, 5, 5, 4, 2, 2, 5, 1, 5, 5)
    # Then each dimension is rounded down, and the total is their sum
    assert result.dimension_scores == {
        "governance": 2,
        "infrastructure": 4,
        "observability": 3,
        "data_quality": 3,
    }
    assert result.total == 12


# --- verdicts and reasons ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("dimensions", "total", "verdict", "reason_codes"),
    [
        ((3, 3, 4, 4), 14, "ready", []),
        ((3, 3, 3, 4), 13, "not_ready", [("total_below_14", None)]),
        ((5, 5, 5, 2), 17, "blocked", [("dimension_below_3", "data_quality")]),
        (
            (2, 2, 2, 2),
            8,
            "blocked",
            [
                ("dimension_below_3", "governance"),
                ("dimension_below_3", "infrastructure"),
                ("dimension_below_3", "observability"),
                ("dimension_below_3", "data_quality"),
                ("total_below_14", None),
            ],
        ),
    ],
    ids=["3344-ready", "3334-not-ready", "5552-blocked", "2222-blocked-both-reasons"],
)
def test_spec_verdict_examples(dimensions, total, verdict, reason_codes):
    # Given every criterion of each dimension at that dimension's value
    result = result_of(*dimensions)
    # Then total, verdict and every reason that fired are as in docs/rules.md §1
    assert result.total == total
    assert result.verdict == verdict
    assert [(r.code, r.dimension) for r in result.reasons] == reason_codes


def test_ready_result_has_no_reasons_and_no_way_to_ready():
    result = result_of(3, 3, 4, 4)
    assert result.reasons == ()
    assert result.blockers == ()
    assert result.to_ready == ()


def test_dimension_reason_names_the_dimension_its_score_and_the_threshold_3():
    # Given data quality at 2 and the rest at 5
    result = result_of(5, 5, 5, 2)
    # Then the one blocker names the dimension (by its human name), its score and the threshold
    (reason,) = result.reasons
    assert result.blockers == (reason,)
    assert reason.code == "dimension_below_3"
    assert reason.dimension == "data_quality"
    assert "Data quality controls" in reason.message
    assert "2" in reason.message
    assert "3" in reason.message


def test_total_reason_names_the_total_and_the_threshold_14():
    result = result_of(3, 3, 3, 4)
    (reason,) = result.reasons
    assert reason.code == "total_below_14"
    assert reason.dimension is None
    assert "13" in reason.message
    assert "14" in reason.message
    assert result.blockers == ()


def test_every_blocking_dimension_is_named_in_its_own_reason():
    result = result_of(2, 2, 2, 2)
    for reason, key in zip(result.blockers, DIMENSIONS, strict=True):
        assert reason.dimension == key
        assert NAMES[key] in reason.message
        assert "3" in reason.message
    assert len(result.blockers) == 4
    assert "8" in result.reasons[-1].message
    assert "14" in result.reasons[-1].message


def test_dimension_at_exactly_3_does_not_block():
    # Given every dimension exactly at the threshold but one at 5, total 14
    result = result_of(3, 3, 3, 5)
    assert result.total == 14
    assert result.verdict == "ready"
    assert result.reasons == ()


def test_dimension_at_2_blocks_even_when_the_total_is_20_minus_3():
    # Given three dimensions at 5 and governance at 2 (mean 2.67: rounding down matters)
    result = result_of(3, 3, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5)
    assert result.dimension_scores["governance"] == 2
    assert result.total == 17
    assert result.verdict == "blocked"
    assert [(r.code, r.dimension) for r in result.reasons] == [("dimension_below_3", "governance")]


def test_total_exactly_14_is_ready_and_13_is_not():
    assert result_of(4, 4, 3, 3).verdict == "ready"
    assert result_of(3, 3, 3, 5).verdict == "ready"
    assert result_of(4, 3, 3, 3).verdict == "not_ready"
    assert result_of(3, 3, 3, 3).verdict == "not_ready"


def test_blocked_wins_over_not_ready_when_both_fire():
    # Given one dimension at 2 and a total of 11
    result = result_of(2, 3, 3, 3)
    assert result.total == 11
    assert result.verdict == "blocked"
    assert [r.code for r in result.reasons] == ["dimension_below_3", "total_below_14"]


@pytest.mark.parametrize(
    ("dimension_scores", "verdict"),
    [
        ({"a": 3, "b": 3, "c": 4, "d": 4}, "ready"),
        ({"a": 3, "b": 3, "c": 3, "d": 4}, "not_ready"),
        ({"a": 5, "b": 5, "c": 5, "d": 2}, "blocked"),
        ({"a": 2, "b": 2, "c": 2, "d": 2}, "blocked"),
        ({"a": 5, "b": 5, "c": 5, "d": 5}, "ready"),
        ({"a": 1, "b": 1, "c": 1, "d": 1}, "blocked"),
    ],
)
def test_verdict_for_dimension_scores(dimension_scores, verdict):
    assert verdict_for(dimension_scores) == verdict


# --- incomplete assessments -------------------------------------------------------------


@pytest.mark.parametrize("missing", KEYS)
def test_result_is_none_while_any_criterion_is_unscored(missing):
    # Given a complete set of scores with one criterion removed
    partial = scores(5, 5, 5, 5)
    del partial[missing]
    # Then there is no result, and the missing criterion is named
    assert assessment_result(SHAPE, partial) is None
    assert missing_criteria(SHAPE, partial) == [missing]


def test_result_is_none_with_no_scores_and_every_criterion_is_missing():
    assert assessment_result(SHAPE, {}) is None
    assert missing_criteria(SHAPE, {}) == list(KEYS)


def test_complete_scores_have_nothing_missing():
    assert missing_criteria(SHAPE, scores(1, 1, 1, 1)) == []


# --- the way to ready: worked examples --------------------------------------------------


def test_way_to_ready_spec_example_all_threes_and_data_quality_fours():
    # Given 3,3,3 | 3,3,3 | 3,3,3 | 4,4,4 (total 13)
    result = result_of(3, 3, 3, 4)
    # Then three points are needed (one dimension level), in two criteria (a criterion rises
    # by 2 at most from 3), the earliest two, the earlier one raised higher
    assert result.to_ready == changes(("ownership", 3, 5), ("decision_boundaries", 3, 4))


def test_way_to_ready_spec_example_one_point_lifts_governance_to_5():
    # Given dimensions 4,3,3,3 (total 13) where governance's criteria are 5,5,4
    result = result_of(5, 5, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3)
    assert result.dimension_scores["governance"] == 4
    assert result.total == 13
    # Then raising that 4 to 5 is the single change
    assert result.to_ready == changes(("least_privilege", 4, 5))


def test_way_to_ready_is_empty_when_ready():
    assert result_of(3, 3, 4, 4).to_ready == ()
    assert result_of(5, 5, 5, 5).to_ready == ()


def test_way_to_ready_from_all_ones():
    # Given every criterion at 1: each dimension sums to 3 and needs 6 points to reach 3
    # (24 points), then two more dimension levels at 3 points each: 30 points whatever the
    # split (one dimension to 5, or two dimensions to 4).
    # Fewest criteria: a dimension from sum 3 to 9 needs 2 criteria (+4, +2); to 12 or 15 needs
    # 3. One dimension to 5 gives 3+2+2+2 = 9 changes; two to 4 give 3+3+2+2 = 10.
    # Earliest positions: governance taking all three positions (0,1,2,3,4,6,7,9,10) beats
    # any other dimension doing so (0,1,3,...). Earlier raised higher: 1→5 then 1→3.
    result = result_of(1, 1, 1, 1)
    assert result.verdict == "blocked"
    assert result.to_ready == changes(
        ("ownership", 1, 5),
        ("decision_boundaries", 1, 5),
        ("least_privilege", 1, 5),
        ("prompt_lifecycle", 1, 5),
        ("guardrails", 1, 3),
        ("tracing", 1, 5),
        ("alerting", 1, 3),
        ("data_monitoring", 1, 5),
        ("drift_detection", 1, 3),
    )
    assert sum(c.to_score - c.from_score for c in result.to_ready) == 30


def test_way_to_ready_when_blocked_with_a_high_total():
    # Given 5,5,5 | 5,5,5 | 5,5,5 | 3,3,2: total 17 but data quality sums to 8 (level 2)
    result = result_of(5, 5, 5, 5, 5, 5, 5, 5, 5, 3, 3, 2)
    assert result.verdict == "blocked"
    # Then one point (sum 9) is enough; one criterion; the earliest position of data quality
    # that can rise is data_monitoring (position 9), not test_data (position 11)
    assert result.to_ready == changes(("data_monitoring", 3, 4))


def test_way_to_ready_prefers_fewer_criteria_over_an_earlier_dimension():
    # Given governance 4,4,4 and the others 3,3,3 (total 13): every option costs 3 points, but
    # governance 4→5 needs all three criteria (+1 each) while a 3,3,3 dimension to 4 needs two
    # (+2, +1); the earliest such dimension is infrastructure
    result = result_of(4, 3, 3, 3)
    assert result.to_ready == changes(("prompt_lifecycle", 3, 5), ("guardrails", 3, 4))


def test_way_to_ready_prefers_two_big_raises_over_three_small_ones_at_equal_points():
    # Given governance 3,3,5 (sum 11, level 3) and the others 3,3,3 (total 12): two levels are
    # needed. Governance to 4 (1 point) plus another dimension to 4 (3 points, 2 criteria) is
    # 4 points in 3 criteria; governance to 5 (4 points: +2, +2) is 4 points in 2 criteria.
    result = result_of(3, 3, 5, 3, 3, 3, 3, 3, 3, 3, 3, 3)
    assert result.to_ready == changes(("ownership", 3, 5), ("decision_boundaries", 3, 5))


def test_way_to_ready_skips_a_criterion_already_at_5():
    # Given governance 5,2,1 (sum 8, level 2) and the rest at 5: one point in governance, and
    # ownership cannot rise, so decision_boundaries is the earliest that can
    result = result_of(5, 2, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5)
    assert result.to_ready == changes(("decision_boundaries", 2, 3))


def test_way_to_ready_raises_several_blocked_dimensions_at_once():
    # Given 5,5,5 | 2,2,2 | 5,5,5 | 3,3,2: infrastructure needs 3 points, which one criterion
    # can take (2 → 5), and data quality 1 point; the total is then 16
    result = result_of(5, 5, 5, 2, 2, 2, 5, 5, 5, 3, 3, 2)
    assert result.to_ready == changes(("prompt_lifecycle", 2, 5), ("data_monitoring", 3, 4))


@pytest.mark.parametrize(
    "values",
    [
        (1, 1, 1, 1),
        (3, 3, 3, 4),
        (2, 2, 2, 2),
        (5, 5, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3),
        (3, 3, 5, 3, 3, 3, 3, 3, 3, 3, 3, 3),
        (1, 5, 5, 1, 5, 5, 1, 5, 5, 1, 5, 5),
        (5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1),
    ],
)
def test_way_to_ready_costs_the_reference_minimum_of_points(values):
    twelve = list(scores(*values).values())
    result = assessment_result(SHAPE, scores(*values))
    points = sum(c.to_score - c.from_score for c in result.to_ready)
    assert points == reference_min_points(twelve)
    assert assessment_result(SHAPE, applied(twelve, result.to_ready)).verdict == "ready"


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(values=twelve_scores)
def test_applying_the_way_to_ready_makes_the_verdict_ready(values):
    result = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    after = assessment_result(SHAPE, applied(values, result.to_ready))
    assert after.verdict == "ready"
    assert after.to_ready == ()


@settings(max_examples=300, deadline=None)
@given(values=twelve_scores)
def test_every_change_on_the_way_to_ready_raises_a_distinct_criterion_within_the_scale(values):
    result = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    positions = [KEYS.index(c.criterion) for c in result.to_ready]
    assert positions == sorted(set(positions))  # distinct, in framework order
    for change, position in zip(result.to_ready, positions, strict=True):
        assert change.from_score == values[position]
        assert change.from_score < change.to_score <= 5
    assert (result.to_ready == ()) == (result.verdict == "ready")


@settings(max_examples=300, deadline=None)
@given(values=twelve_scores)
def test_way_to_ready_adds_the_fewest_points_possible(values):
    result = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    points = sum(c.to_score - c.from_score for c in result.to_ready)
    assert points == reference_min_points(values)


@settings(max_examples=200, deadline=None)
@given(values=twelve_scores, data=st.data())
def test_raising_one_criterion_never_worsens_the_verdict_or_lowers_the_total(values, data):
    position = data.draw(st.sampled_from([p for p, v in enumerate(values) if v < 5] or [None]))
    assume(position is not None)
    by = data.draw(st.integers(1, 5 - values[position]))
    before = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    raised = list(values)
    raised[position] += by
    after = assessment_result(SHAPE, dict(zip(KEYS, raised, strict=True)))
    assert VERDICT_ORDER[after.verdict] >= VERDICT_ORDER[before.verdict]
    assert after.total >= before.total
    for key in DIMENSIONS:
        assert after.dimension_scores[key] >= before.dimension_scores[key]


@settings(max_examples=300, deadline=None)
@given(values=twelve_scores)
def test_verdict_and_reasons_follow_the_two_thresholds(values):
    result = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    dims = result.dimension_scores
    assert result.total == sum(dims.values())
    assert 4 <= result.total <= 20
    assert (result.verdict == "ready") == (result.total >= 14 and min(dims.values()) >= 3)
    assert (result.verdict == "blocked") == (min(dims.values()) < 3)
    assert [r.dimension for r in result.blockers] == [k for k in DIMENSIONS if dims[k] < 3]
    for reason in result.blockers:
        assert NAMES[reason.dimension] in reason.message
    total_reasons = [r for r in result.reasons if r.code == "total_below_14"]
    assert len(total_reasons) == (1 if result.total < 14 else 0)
    assert len(result.reasons) == len(result.blockers) + len(total_reasons)
    assert _is_ready(values) == (result.verdict == "ready")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(values=twelve_scores)
def test_way_to_ready_breaks_ties_as_the_spec_says(values):
    # Only where the reference can enumerate every minimal raise vector quickly
    minimum = reference_min_points(values)
    assume(1 <= minimum <= 6)
    result = assessment_result(SHAPE, dict(zip(KEYS, values, strict=True)))
    assert result.to_ready == reference_best(values, minimum)
