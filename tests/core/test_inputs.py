"""The one definition of an input (core/inputs.py, docs/adr/0009-validate-once.md): its field
kinds refuse in the rules' words, every bad field at once, and the API and a service read the
same definition (outcomes.inputs.ThresholdsChange is the slice that uses it)."""

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import InvalidInput
from core.inputs import Fraction, Switch, errors_of, parse
from outcomes.inputs import ThresholdsChange


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: Fraction = None  # type: ignore[assignment]
    on: Switch = None  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.0000001, "Must be a fraction from 0 to 1."),
        (-0.1, "Must not be negative."),
        ("0.5", "Must be a number."),
        (True, "Must be a number."),
        (None, "Must be a number."),
        (float("nan"), "Must be a finite number."),
    ],
)
def test_a_fraction_refuses_in_the_rules_words(value, message):
    with pytest.raises(InvalidInput) as error:
        parse(Sample, {"rate": value}, what="a sample")

    assert error.value.errors == {"rate": [message]}


@pytest.mark.parametrize("value", [0, 0.0, 1, 0.25])
def test_a_fraction_takes_0_to_1_as_a_float(value):
    assert parse(Sample, {"rate": value}, what="a sample").rate == float(value)


def test_every_bad_field_is_named_at_once_and_an_unknown_one_lists_the_known():
    with pytest.raises(InvalidInput) as error:
        parse(Sample, {"rate": 2, "on": "yes", "colour": "red"}, what="a sample")

    assert error.value.errors == {
        "rate": ["Must be a fraction from 0 to 1."],
        "on": ["Must be true or false."],
        "colour": ["Unknown field: use rate, on."],
    }


def test_what_is_not_an_object_is_refused_as_a_whole():
    with pytest.raises(InvalidInput) as error:
        parse(Sample, [1, 2], what="a sample")

    assert error.value.errors == {"__all__": ["Send an object of a sample."]}


def test_only_the_fields_sent_are_a_change():
    change = parse(
        ThresholdsChange,
        {"alert_error_rate_max": 0.2, "advance_error_max": None, "budget_alert_percent": None},
        what="thresholds",
    )

    assert change.changes() == {
        "alert_error_rate_max": 0.2,
        "advance_error_max": None,  # null means something here: no fixed rate
        "budget_alert_percent": None,  # and here: no budget alert
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("stabilization_weeks", 1001, "Must be a whole number from 0 to 1000."),
        ("alert_policy_violations_max", 2.5, "Must be a whole number from 0 to 1000."),
        (
            "budget_alert_percent",
            0,
            "Must be a whole percentage from 1 to 100, or null for no alert.",
        ),
        ("advance_error_mode", "median", "Choose baseline or fixed."),
        ("stabilization_reason", 5, "Must be text."),
        ("stabilization_reason", "x" * 1001, "Keep it to 1000 characters or fewer."),
        ("auto_suspend", None, "Must be true or false."),
    ],
)
def test_each_kind_of_threshold_refuses_its_bad_values(field, value, message):
    with pytest.raises(InvalidInput) as error:
        parse(ThresholdsChange, {field: value}, what="thresholds")

    assert error.value.errors == {field: [message]}


def test_the_api_takes_the_same_definition_as_its_body(db):
    from api.urls import api

    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/v1/agents/{agent_id}/thresholds"]["patch"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ThresholdsChange")
    properties = schema["components"]["schemas"]["ThresholdsChange"]["properties"]
    assert set(properties) == set(ThresholdsChange.model_fields)


def test_errors_of_names_nested_fields_by_dotted_path():
    class Outer(BaseModel):
        inner: Sample

    with pytest.raises(ValidationError) as error:
        Outer.model_validate({"inner": {"rate": 3}})

    assert errors_of(error.value, Outer) == {"inner.rate": ["Must be a fraction from 0 to 1."]}
