"""The scores' one definition (assessments/inputs.py ScoresChange, docs/adr/0009): each score a
whole number from 1 to 5 in the words the service always used, the version a whole number;
with the framework's criteria (the stored rule) an unknown key is named with every bad score,
all at once. The service checks what it is given with it, and the step's form puts its
refusals beside the criterion."""

import pytest
from pydantic import ValidationError

from assessments import services
from assessments.forms import StepScoresForm
from assessments.inputs import AssessmentCreate, ScoresChange, unknown_criteria
from core.errors import InvalidInput
from core.inputs import errors_of
from tests.conftest import CRITERIA
from tests.factories import AssessmentFactory

KNOWN = tuple(CRITERIA)
USE = f"use one of {', '.join(KNOWN)}."


def refused(data, criteria=KNOWN) -> dict[str, list[str]]:
    context = {"criteria": criteria} if criteria is not None else None
    with pytest.raises(ValidationError) as error:
        ScoresChange.model_validate(data, context=context)
    return errors_of(error.value, ScoresChange)


@pytest.mark.parametrize("value", [1, 5, 3])
def test_a_score_from_1_to_5_is_taken(value):
    given = ScoresChange.model_validate(
        {"scores": {"ownership": value}}, context={"criteria": KNOWN}
    )

    assert given.scores == {"ownership": value}
    assert given.version is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "0 is out of range: a score is from 1 to 5."),
        (6, "6 is out of range: a score is from 1 to 5."),
        (3.0, "A score must be a whole number from 1 to 5."),
        ("3", "A score must be a whole number from 1 to 5."),
        (True, "A score must be a whole number from 1 to 5."),
        (None, "A score must be a whole number from 1 to 5."),
    ],
)
def test_a_bad_score_is_refused_in_the_services_words(value, message):
    assert refused({"scores": {"ownership": value}}) == {"scores.ownership": [message]}


@pytest.mark.parametrize("scores", [[1, 2], "scores", None])
def test_scores_that_are_not_an_object_are_refused(scores):
    assert refused({"scores": scores}) == {
        "scores": ["Send an object of criterion key to a score from 1 to 5."]
    }


def test_scores_are_required():
    assert refused({"version": 1}) == {"scores": ["This field is required."]}


@pytest.mark.parametrize("version", [-1, "2", 2.0, True, 2**31])
def test_a_version_is_a_whole_number(version):
    assert refused({"scores": {}, "version": version}) == {"version": ["Must be a whole number."]}


def test_an_unknown_criterion_is_named_with_every_bad_score_in_the_order_sent():
    errors = refused({"scores": {"ownership": 9, "nonsense": "x", "tracing": "x"}})

    assert errors == {
        "scores.ownership": ["9 is out of range: a score is from 1 to 5."],
        "scores.nonsense": [f"Unknown criterion 'nonsense': {USE}"],
        "scores.tracing": ["A score must be a whole number from 1 to 5."],
    }
    assert list(errors) == ["scores.ownership", "scores.nonsense", "scores.tracing"]


def test_without_the_criteria_only_the_shape_is_checked():
    given = ScoresChange.model_validate({"scores": {"nonsense": 3}})

    assert given.scores == {"nonsense": 3}
    assert unknown_criteria(given.scores, KNOWN) == {
        "scores.nonsense": [f"Unknown criterion 'nonsense': {USE}"]
    }


@pytest.mark.django_db
def test_the_service_checks_what_it_is_given_with_the_framework(assessor, framework):
    draft = AssessmentFactory(organization=assessor.organization, created_by=assessor.user)

    with pytest.raises(InvalidInput) as error:
        services.assessment_set_scores(
            assessment=draft,
            membership=assessor,
            scores={"ownership": 0, "nonsense": 3},
            expected_version="1",
        )

    assert error.value.errors == {
        "scores.ownership": ["0 is out of range: a score is from 1 to 5."],
        "scores.nonsense": [f"Unknown criterion 'nonsense': {USE}"],
        "version": ["Must be a whole number."],
    }
    assert draft.scores.count() == 0


@pytest.mark.django_db
def test_a_change_checked_without_the_criteria_still_meets_the_frameworks_rule(assessor, framework):
    draft = AssessmentFactory(organization=assessor.organization, created_by=assessor.user)
    change = ScoresChange.model_validate({"scores": {"ownership": 4, "nonsense": 3}})

    with pytest.raises(InvalidInput) as error:
        services.assessment_set_scores(assessment=draft, membership=assessor, scores=change)

    assert list(error.value.errors) == ["scores.nonsense"]
    assert draft.scores.count() == 0


@pytest.mark.django_db
def test_the_step_form_puts_a_refused_score_beside_its_criterion(framework):
    dimension = framework.ordered_dimensions[0]
    form = StepScoresForm({"version": "1", "ownership": "4"}, dimension=dimension)
    assert form.is_valid()

    form.add_service_errors(
        {"scores.ownership": ["Refused."], "scores.tracing": ["Elsewhere."], "version": ["Old."]}
    )

    assert form.errors["ownership"] == ["Refused."]
    assert form.errors["version"] == ["Old."]
    assert form.non_field_errors() == ["Elsewhere."]


# --- a new assessment: AssessmentCreate ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "title", "This field is required."),
        ({"title": "   "}, "title", "Give the assessment a title."),
        ({"title": None}, "title", "Give the assessment a title."),
        ({"title": 7}, "title", "Must be text."),
        ({"title": "x" * 201}, "title", "Keep the title to 200 characters or fewer."),
        ({"title": "\u200b\u200b"}, "title", None),
        ({"title": "Q3", "copy_from_last": "yes"}, "copy_from_last", "Must be true or false."),
    ],
)
def test_a_new_assessment_is_refused_in_the_services_words(data, field, message):
    with pytest.raises(ValidationError) as refused:
        AssessmentCreate.model_validate(data)
    errors = errors_of(refused.value, AssessmentCreate)
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]


def test_a_title_of_200_characters_is_kept_stripped():
    given = AssessmentCreate.model_validate({"title": f"  {'x' * 200}  "})
    assert given.title == "x" * 200
    assert given.copy_from_last is False


@pytest.mark.django_db
def test_the_service_checks_a_callers_title_with_the_same_definition(assessor, framework):
    with pytest.raises(InvalidInput) as refused:
        services.assessment_create(membership=assessor, title="x" * 201)
    assert refused.value.errors == {"title": ["Keep the title to 200 characters or fewer."]}


@pytest.mark.django_db
def test_the_form_states_no_bound_and_shows_the_services_refusal(assessor, client_for, framework):
    response = client_for(assessor).post(
        "/assessments/new/", {"title": "x" * 201, "start": "blank"}
    )
    assert response.status_code == 400
    assert "Keep the title to 200 characters or fewer." in response.content.decode()
    assert 'maxlength="200"' in response.content.decode()  # told to the browser, a hint
