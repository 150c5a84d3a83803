"""Readiness scoring (docs/rules.md §1) as pure functions: no Django, no database.

The framework arrives as a `FrameworkShape` (plain values), the scores as a mapping of
criterion key to an integer 1..5. The same `assessment_result` serves the pages, the API
and the board report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

MIN_SCORE = 1
MAX_SCORE = 5
CRITERIA_PER_DIMENSION = 3
DIMENSION_MINIMUM = 3  # any dimension below this blocks production (fixed: it is the method)
TOTAL_MINIMUM = 14  # a total below this is not production-ready (fixed: it is the method)

Verdict = Literal["ready", "not_ready", "blocked"]


@dataclass(frozen=True)
class DimensionShape:
    key: str
    name: str
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class FrameworkShape:
    dimensions: tuple[DimensionShape, ...]

    @property
    def criterion_keys(self) -> tuple[str, ...]:
        return tuple(key for dim in self.dimensions for key in dim.criteria)

    @property
    def max_total(self) -> int:
        return MAX_SCORE * len(self.dimensions)


@dataclass(frozen=True)
class Reason:
    code: Literal["dimension_below_3", "total_below_14"]
    dimension: str | None
    message: str


@dataclass(frozen=True)
class Change:
    criterion: str
    from_score: int
    to_score: int


@dataclass(frozen=True)
class Result:
    dimension_scores: dict[str, int]
    total: int
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    to_ready: tuple[Change, ...] = field(default=())

    @property
    def blockers(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.code == "dimension_below_3")


def dimension_score(criterion_scores: list[int] | tuple[int, ...]) -> int:
    """The mean of the criterion scores, rounded down (3, 3, 2 gives 2; 5, 5, 4 gives 4)."""
    return sum(criterion_scores) // len(criterion_scores)


def verdict_for(dimension_scores: Mapping[str, int]) -> Verdict:
    if any(score < DIMENSION_MINIMUM for score in dimension_scores.values()):
        return "blocked"
    if sum(dimension_scores.values()) < TOTAL_MINIMUM:
        return "not_ready"
    return "ready"


def reasons_for(shape: FrameworkShape, dimension_scores: Mapping[str, int]) -> tuple[Reason, ...]:
    reasons = [
        Reason(
            "dimension_below_3",
            dim.key,
            f"{dim.name} scores {dimension_scores[dim.key]}, below the minimum of "
            f"{DIMENSION_MINIMUM} that every dimension needs: this blocks production "
            "whatever the total.",
        )
        for dim in shape.dimensions
        if dimension_scores[dim.key] < DIMENSION_MINIMUM
    ]
    total = sum(dimension_scores.values())
    if total < TOTAL_MINIMUM:
        reasons.append(
            Reason(
                "total_below_14",
                None,
                f"The total is {total}/{shape.max_total}, below the {TOTAL_MINIMUM} needed "
                "to be production-ready.",
            )
        )
    return tuple(reasons)


def missing_criteria(shape: FrameworkShape, scores: Mapping[str, int]) -> list[str]:
    return [key for key in shape.criterion_keys if key not in scores]


def assessment_result(shape: FrameworkShape, scores: Mapping[str, int]) -> Result | None:
    """The full result of a complete set of scores; None while any criterion is unscored."""
    if missing_criteria(shape, scores):
        return None
    dims = {
        dim.key: dimension_score([scores[key] for key in dim.criteria]) for dim in shape.dimensions
    }
    verdict = verdict_for(dims)
    return Result(
        dimension_scores=dims,
        total=sum(dims.values()),
        verdict=verdict,
        reasons=reasons_for(shape, dims),
        to_ready=() if verdict == "ready" else way_to_ready(shape, scores),
    )


def _best_raise(current: tuple[int, ...], offset: int, points: int) -> tuple[tuple[int, int], ...]:
    """The best way to add exactly `points` to one dimension's scores, as (position, new score).

    Best means fewest criteria changed, then the earliest positions, then the earlier
    criterion raised higher. No score goes above the maximum.
    """
    ranges = [range(MAX_SCORE - value + 1) for value in current]
    best_key: tuple | None = None
    best: tuple[tuple[int, int], ...] = ()
    for raise_ in product(*ranges):
        if sum(raise_) != points:
            continue
        changed = tuple((offset + j, current[j] + r) for j, r in enumerate(raise_) if r)
        key = (len(changed), tuple(p for p, _ in changed), tuple(-v for _, v in changed))
        if best_key is None or key < best_key:
            best_key, best = key, changed
    return best


def way_to_ready(shape: FrameworkShape, scores: Mapping[str, int]) -> tuple[Change, ...]:
    """The smallest set of score increases that makes the verdict `ready` (docs/rules.md §1).

    Order of preference: fewest points added; then fewest criteria changed; then the changed
    criteria earliest in the framework (positions sorted, compared lexicographically); then
    the set that raises the earlier criterion higher.

    A dimension's floor-mean reaches level d exactly when its n criteria sum to n·d or more,
    so the cheapest way to a level costs max(0, n·d − sum) points; any point beyond that is
    waste. So: enumerate the target level of each dimension (at least 3, at least its current
    level, total at least 14), keep the targets of least cost, and for each take every
    dimension's best spread of its points. Dimensions occupy consecutive positions and the
    fewest-changes rule fixes each dimension's count, so the best spread per dimension gives
    the best set for that target; the targets are then compared by the same order.
    """
    dims = shape.dimensions
    keys = shape.criterion_keys
    currents = [tuple(scores[key] for key in dim.criteria) for dim in dims]
    offsets = [sum(len(d.criteria) for d in dims[:i]) for i in range(len(dims))]

    def cost(i: int, target: int) -> int:
        return max(0, len(currents[i]) * target - sum(currents[i]))

    options = [range(max(dimension_score(c), DIMENSION_MINIMUM), MAX_SCORE + 1) for c in currents]
    best_key: tuple | None = None
    best: tuple[tuple[int, int], ...] = ()
    for target in product(*options):
        if sum(target) < TOTAL_MINIMUM:
            continue
        points = sum(cost(i, d) for i, d in enumerate(target))
        changed = tuple(
            change
            for i, d in enumerate(target)
            for change in _best_raise(currents[i], offsets[i], cost(i, d))
        )
        key = (points, len(changed), tuple(p for p, _ in changed), tuple(-v for _, v in changed))
        if best_key is None or key < best_key:
            best_key, best = key, changed
    return tuple(Change(keys[p], scores[keys[p]], v) for p, v in best)
