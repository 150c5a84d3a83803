"""The way to ready in words (docs/rules.md §1). Pure: no Django.

Two kinds of number meet here and the words keep them apart. A criterion score is what a
person chooses, 1 to 5; raising it adds criterion points. A dimension's score is the mean of
its criteria rounded down, and the total adds the dimension scores. So the smallest change
reads: "Raise Ownership 2 → 3 and Escalation paths 2 → 4: Governance goes from 2 to 3, the
total from 13 to 14."
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .scoring import Change, FrameworkShape, assessment_result


@dataclass(frozen=True)
class CriterionRaise:
    key: str
    name: str
    from_score: int
    to_score: int

    @property
    def points(self) -> int:
        return self.to_score - self.from_score

    @property
    def words(self) -> str:
        return f"{self.name} {self.from_score} → {self.to_score}"


@dataclass(frozen=True)
class DimensionLift:
    key: str
    name: str
    from_score: int
    to_score: int
    raises: tuple[CriterionRaise, ...]

    @property
    def words(self) -> str:
        """ "Raise A 2 → 3 and B 2 → 4: Governance goes from 2 to 3"."""
        change = (
            f"{self.name} goes from {self.from_score} to {self.to_score}"
            if self.to_score != self.from_score
            else f"{self.name} stays at {self.from_score}"
        )
        return f"Raise {join_words([r.words for r in self.raises])}: {change}"


@dataclass(frozen=True)
class WayToReady:
    lifts: tuple[DimensionLift, ...]
    total_from: int
    total_to: int
    max_total: int
    verdict_after: str

    @property
    def raises(self) -> tuple[CriterionRaise, ...]:
        return tuple(r for lift in self.lifts for r in lift.raises)

    @property
    def points(self) -> int:
        """Criterion points added in all (not dimension points)."""
        return sum(r.points for r in self.raises)

    @property
    def sentence(self) -> str:
        """The whole change in one or a few sentences, the total last."""
        if len(self.lifts) == 1:
            return f"{self.lifts[0].words}, the total from {self.total_from} to {self.total_to}."
        lifts = " ".join(f"{lift.words}." for lift in self.lifts)
        return f"{lifts} The total goes from {self.total_from} to {self.total_to}."


def join_words(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def way_to_ready_words(
    shape: FrameworkShape,
    criterion_names: Mapping[str, str],
    scores: Mapping[str, int],
    changes: Sequence[Change],
) -> WayToReady | None:
    """The changes (scoring.way_to_ready's, applied to `scores`) grouped by the dimension
    they lift, in framework order, with the dimension scores and totals before and after.
    None when there is no change to make or the scores are incomplete."""
    before = assessment_result(shape, scores)
    if before is None or not changes:
        return None
    after_scores = {**scores, **{c.criterion: c.to_score for c in changes}}
    after = assessment_result(shape, after_scores)
    if after is None:  # pragma: no cover - the changes only raise scored criteria
        return None
    by_key = {c.criterion: c for c in changes}
    lifts = tuple(
        DimensionLift(
            key=dim.key,
            name=dim.name,
            from_score=before.dimension_scores[dim.key],
            to_score=after.dimension_scores[dim.key],
            raises=tuple(
                CriterionRaise(
                    key=key,
                    name=criterion_names.get(key, key),
                    from_score=by_key[key].from_score,
                    to_score=by_key[key].to_score,
                )
                for key in dim.criteria
                if key in by_key
            ),
        )
        for dim in shape.dimensions
        if any(key in by_key for key in dim.criteria)
    )
    return WayToReady(
        lifts=lifts,
        total_from=before.total,
        total_to=after.total,
        max_total=shape.max_total,
        verdict_after=after.verdict,
    )
