"""The smallest change in words a CTO reads right (issue 17, assessments.wording): criterion
scores raised (points a person chooses) are told apart from the dimension scores they lift and
from the total."""

import pytest
from django.utils.html import escape

from assessments import scoring
from assessments.scoring import DimensionShape, FrameworkShape
from assessments.wording import join_words, way_to_ready_words
from tests.conftest import scores_of
from tests.factories import AssessmentFactory

SHAPE = FrameworkShape(
    dimensions=(
        DimensionShape("governance", "Governance", ("own", "esc", "priv")),
        DimensionShape("infrastructure", "Infrastructure", ("prompt", "guard", "override")),
        DimensionShape("observability", "Observability", ("trace", "alert", "outcome")),
        DimensionShape("data", "Data quality", ("monitor", "drift", "test")),
    )
)
NAMES = {
    "own": "Ownership",
    "esc": "Escalation paths",
    "priv": "Least privilege",
    "prompt": "Prompt lifecycle",
    "guard": "Guardrails",
    "override": "Human override",
    "trace": "Tracing",
    "alert": "Alerting",
    "outcome": "Outcome metrics",
    "monitor": "Data monitoring",
    "drift": "Drift detection",
    "test": "Test data",
}


def scores(*values: int) -> dict[str, int]:
    return dict(zip(SHAPE.criterion_keys, values, strict=True))


def words(values: dict[str, int]):
    result = scoring.assessment_result(SHAPE, values)
    return way_to_ready_words(SHAPE, NAMES, values, result.to_ready)


def test_one_dimension_below_three_reads_criterion_then_dimension_then_total():
    # Given governance at 2 (2, 2, 3) and a total of 13
    way = words(scores(2, 2, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3))

    # Then the sentence names the criterion raised, the dimension it lifts and the total
    assert way.sentence == (
        "Raise Ownership 2 → 4: Governance goes from 2 to 3, the total from 13 to 14."
    )
    assert way.points == 2
    assert way.verdict_after == "ready"


def test_two_dimensions_each_get_their_sentence_and_the_total_comes_last():
    way = words(scores(2, 2, 2, 4, 4, 4, 4, 4, 4, 2, 2, 2))

    assert way.sentence == (
        "Raise Ownership 2 → 5: Governance goes from 2 to 3. "
        "Raise Data monitoring 2 → 5: Data quality goes from 2 to 3. "
        "The total goes from 12 to 14."
    )
    assert [lift.key for lift in way.lifts] == ["governance", "data"]


def test_criterion_points_are_not_dimension_points():
    # Given every dimension at 3 (total 12): ready needs two more dimension points
    way = words(scores(3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3))

    # Then one dimension rises by 2, which takes 6 criterion points across its 3 criteria
    (lift,) = way.lifts
    assert (lift.from_score, lift.to_score) == (3, 5)
    assert way.points == 6
    assert len(way.raises) == 3
    assert way.sentence == (
        "Raise Ownership 3 → 5, Escalation paths 3 → 5 and Least privilege 3 → 5: "
        "Governance goes from 3 to 5, the total from 12 to 14."
    )


def test_a_ready_result_has_no_words():
    values = scores(3, 3, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3)

    assert way_to_ready_words(SHAPE, NAMES, values, ()) is None


def test_incomplete_scores_have_no_words():
    values = scores(2, 2, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3)
    del values["test"]

    change = scoring.Change("own", 2, 4)
    assert way_to_ready_words(SHAPE, NAMES, values, (change,)) is None


@pytest.mark.parametrize(
    ("items", "joined"),
    [([], ""), (["A"], "A"), (["A", "B"], "A and B"), (["A", "B", "C"], "A, B and C")],
)
def test_lists_are_joined_as_a_sentence(items, joined):
    assert join_words(items) == joined


def test_the_result_page_reads_the_same(assessor, client_for, framework):
    # Given governance at 2 (2, 2, 3) and a total of 13, as in the first case above
    values = scores_of(2, 2, 3, 4, 4, 4, 4, 4, 4, 3, 3, 3)
    assessment = AssessmentFactory(
        organization=assessor.organization, created_by=assessor.user, scores=values
    )
    ownership = escape(framework.criteria_by_key["ownership"].name)

    page = client_for(assessor).get(f"/assessments/{assessment.pk}/").content.decode()

    to_ready = page.split('class="to-ready')[1].split("</ul>")[0]
    assert f'#criterion-ownership">{ownership}</a> 2 → 4:' in to_ready
    assert "<strong>Governance maturity</strong> goes from 2 to 3." in to_ready
    assert "The total goes from 13 to 14 (of 20)" in page
    assert "2 criterion points across 1 criterion" in page
