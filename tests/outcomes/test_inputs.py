"""A metric snapshot's one definition (outcomes/inputs.py SnapshotInput,
docs/adr/0009-validate-once.md) and the rule that needs today (outcomes.metrics
.period_end_error), as every caller's snapshot is checked (outcomes.services.snapshot_check):
the form's, each CSV row's and the API's refuse with the same words. No database."""

import math
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.inputs import parse
from outcomes import inputs, metrics
from outcomes import services as ms
from outcomes.inputs import SnapshotInput
from outcomes.metrics import Thresholds
from tests.outcomes.test_metrics import snapshot, valid_snapshots

TODAY = date(2026, 6, 30)  # the day the snapshot is checked on (callers pass today)


def validate(data, today=TODAY) -> tuple[dict, dict]:
    """(clean values, errors), as the service checks a snapshot: SnapshotInput, then today."""
    checked = ms.snapshot_check(data, today=today)
    return (checked.snapshot.model_dump() if checked.snapshot else {}), checked.errors


def errors_of(data) -> dict:
    return validate(data)[1]


def model_errors(data) -> dict:
    """The refusals of SnapshotInput alone, as core.inputs.parse gives them."""
    with pytest.raises(InvalidInput) as error:
        parse(SnapshotInput, data, what="the snapshot's fields")
    return error.value.errors


# --- the definition itself ------------------------------------------------------------------------


def test_the_definition_has_exactly_the_snapshots_fields_and_requires_the_rules_ones():
    fields = SnapshotInput.model_fields

    assert tuple(fields) == metrics.ALL_FIELDS
    assert {name for name, field in fields.items() if field.is_required()} == set(
        metrics.REQUIRED_FIELDS
    )


def test_the_definition_alone_does_not_judge_today():
    # a period far in the future has the right shape: only the service knows today's date
    checked = SnapshotInput.model_validate(
        snapshot(period_start="2100-01-01", period_end="2100-01-31")
    )

    assert checked.period_end == date(2100, 1, 31)


def test_a_rule_across_fields_is_told_with_the_refusals_of_other_fields():
    errors = model_errors(snapshot(tasks=10, tasks_completed=11, cost="x", period_end="2026-02-01"))

    assert errors == {
        "period_end": ["The period ends before it starts."],
        "tasks_completed": ["Cannot exceed tasks (10)."],
        "cost": ["Must be a number."],
    }


def test_a_count_is_not_compared_with_tasks_that_are_refused():
    assert model_errors(snapshot(tasks="many", tasks_completed=5)) == {
        "tasks": ["Must be a whole number."]
    }


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("tasks", 10**12, int),
        ("tasks", 0, int),
        ("cost", 0, float),
        ("cost", 10**12, float),
        ("baseline_error_rate", 0, float),
        ("baseline_error_rate", 1, float),
    ],
)
def test_every_kind_takes_its_bounds_themselves(field, value, kind):
    data = snapshot(**{field: value})
    if field == "tasks":
        data.update(tasks_completed=0, escalations=0, errors=0)

    checked = SnapshotInput.model_validate(data).model_dump()

    assert checked[field] == value
    assert type(checked[field]) is kind


def test_period_days_reads_each_day_apart_from_the_other_fields():
    assert inputs.period_days(snapshot(cost="x", period_start="1999-12-31")) == (
        None,
        date(2026, 3, 31),
    )
    assert inputs.period_days({"period_start": date(2026, 1, 1)}) == (date(2026, 1, 1), None)
    assert inputs.period_days([1]) == (None, None)


def test_a_checked_snapshot_given_to_the_service_is_not_checked_again(monkeypatch):
    checked = SnapshotInput.model_validate(snapshot())
    monkeypatch.setattr(ms, "parse", lambda *a, **k: pytest.fail("checked twice"))

    result = ms.snapshot_check(checked, today=TODAY)

    assert result.snapshot is checked
    assert result.period == (date(2026, 3, 1), date(2026, 3, 31))


def test_a_checked_snapshot_ending_after_today_is_still_refused():
    checked = SnapshotInput.model_validate(
        snapshot(period_start="2026-07-01", period_end="2026-07-31")
    )

    result = ms.snapshot_check(checked, today=TODAY)

    assert result.snapshot is None
    assert list(result.errors) == ["period_end"]


def test_the_api_takes_the_same_definition_as_its_body(db):
    from api.urls import api

    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/v1/agents/{agent_id}/metrics"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/SnapshotInput")
    component = schema["components"]["schemas"]["SnapshotInput"]
    assert set(component["properties"]) == set(metrics.ALL_FIELDS)
    assert set(component["required"]) == set(metrics.REQUIRED_FIELDS)
    assert component["properties"]["tasks"]["maximum"] == inputs.MAX_NUMBER


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", metrics.REQUIRED_FIELDS)
def test_every_required_field_missing_is_named(field):
    data = snapshot()
    del data[field]

    assert errors_of(data) == {field: ["This field is required."]}


@pytest.mark.parametrize("field", metrics.REQUIRED_FIELDS)
def test_a_required_field_sent_as_null_is_named(field):
    assert errors_of(snapshot(**{field: None})) == {field: ["This field is required."]}


def test_an_empty_body_names_every_required_field():
    assert set(errors_of({})) == set(metrics.REQUIRED_FIELDS)


@pytest.mark.parametrize("body", [None, [], [snapshot()], "tasks=3", 42, ("tasks", 3)])
def test_a_body_that_is_not_an_object_is_refused_whole(body):
    clean, errors = validate(body)

    assert clean == {}
    assert list(errors) == ["__all__"]


NUMERIC_FIELDS = (
    *metrics.COUNT_FIELDS,
    *metrics.NUMBER_FIELDS,
    *metrics.FRACTION_FIELDS,
    *metrics.OPTIONAL_FIELDS,
)
NOT_A_NUMBER = [
    pytest.param("5", id="string"),
    pytest.param("", id="empty-string"),
    pytest.param("0.5", id="numeric-string"),
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="inf"),
    pytest.param(-math.inf, id="-inf"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param([1], id="list"),
    pytest.param({"value": 1}, id="object"),
]


@pytest.mark.parametrize("value", NOT_A_NUMBER)
@pytest.mark.parametrize("field", NUMERIC_FIELDS)
def test_a_value_that_is_not_a_number_is_refused_naming_the_field(field, value):
    errors = errors_of(snapshot(**{field: value}))

    assert field in errors
    assert set(errors) <= {field, "tasks_completed", "escalations", "errors"}


@pytest.mark.parametrize("field", [*metrics.COUNT_FIELDS, *metrics.OPTIONAL_COUNT_FIELDS])
@pytest.mark.parametrize("value", [3.0, 0.0, 2.5])
def test_a_count_must_be_a_whole_number_not_a_float(field, value):
    errors = errors_of(snapshot(**{field: value}))

    assert errors[field] == ["Must be a whole number."]


@pytest.mark.parametrize(
    "field",
    [
        *metrics.COUNT_FIELDS,
        *metrics.NUMBER_FIELDS,
        *metrics.OPTIONAL_COUNT_FIELDS,
        *metrics.OPTIONAL_NUMBER_FIELDS,
    ],
)
def test_anything_above_ten_to_the_twelve_is_refused(field):
    errors = errors_of(snapshot(**{field: 10**12 + 1}))

    assert errors[field] == ["Must be at most 10^12."]


@pytest.mark.parametrize("field", metrics.NUMBER_FIELDS)
def test_a_float_just_above_ten_to_the_twelve_is_refused(field):
    assert errors_of(snapshot(**{field: 1e12 + 0.5})) == {field: ["Must be at most 10^12."]}


@pytest.mark.parametrize(
    "field", [*metrics.NUMBER_FIELDS, *metrics.OPTIONAL_NUMBER_FIELDS, "failed_tool_calls"]
)
def test_ten_to_the_twelve_itself_is_accepted(field):
    clean, errors = validate(snapshot(**{field: 10**12}))

    assert errors == {}
    assert clean[field] == 10**12


def test_ten_to_the_twelve_tasks_is_accepted():
    clean, errors = validate(
        snapshot(tasks=10**12, tasks_completed=10**12, escalations=10**12, errors=10**12)
    )

    assert errors == {}
    assert clean["tasks"] == 10**12


def test_a_huge_integer_is_refused_not_overflowed():
    errors = errors_of(snapshot(cost=10**400, tasks=10**400))

    assert errors["cost"] == ["Must be at most 10^12."]
    assert errors["tasks"] == ["Must be at most 10^12."]


@pytest.mark.parametrize(
    "field", [*metrics.COUNT_FIELDS, *metrics.NUMBER_FIELDS, *metrics.OPTIONAL_FIELDS]
)
@pytest.mark.parametrize("value", [-1, -0.5, -1e-9])
def test_a_negative_number_is_refused(field, value):
    errors = errors_of(snapshot(**{field: value}))

    assert field in errors
    if field in metrics.COUNT_FIELDS + metrics.OPTIONAL_COUNT_FIELDS and value != -1:
        assert errors[field] == ["Must be a whole number."]
    else:
        assert errors[field] == ["Must not be negative."]


def test_a_negative_cost_is_refused():
    assert errors_of(snapshot(cost=-0.01)) == {"cost": ["Must not be negative."]}


def test_a_negative_baseline_error_rate_is_refused():
    assert errors_of(snapshot(baseline_error_rate=-0.01)) == {
        "baseline_error_rate": ["Must not be negative."]
    }


@pytest.mark.parametrize("field", ["baseline_error_rate", "quality_score"])
@pytest.mark.parametrize("value", [1.0000001, 2, 50.0])
def test_a_fraction_above_one_is_refused(field, value):
    assert errors_of(snapshot(**{field: value})) == {field: ["Must be a fraction from 0 to 1."]}


@pytest.mark.parametrize("field", ["baseline_error_rate", "quality_score"])
@pytest.mark.parametrize("value", [0, 0.0, 1, 1.0])
def test_a_fraction_at_its_edges_is_accepted(field, value):
    clean, errors = validate(snapshot(**{field: value}))

    assert errors == {}
    assert clean[field] == float(value)


@pytest.mark.parametrize("field", ["tasks_completed", "escalations", "errors"])
def test_a_count_above_tasks_is_refused_naming_it(field):
    assert errors_of(snapshot(tasks=100, **{field: 101})) == {field: ["Cannot exceed tasks (100)."]}


def test_every_count_above_tasks_is_named_at_once():
    errors = errors_of(snapshot(tasks=1, tasks_completed=2, escalations=3, errors=4))

    assert set(errors) == {"tasks_completed", "escalations", "errors"}


def test_counts_equal_to_tasks_are_accepted():
    clean, errors = validate(snapshot(tasks=7, tasks_completed=7, escalations=7, errors=7))

    assert errors == {}
    assert clean["tasks"] == 7


def test_all_zero_counts_are_accepted():
    _, errors = validate(snapshot(tasks=0, tasks_completed=0, escalations=0, errors=0))

    assert errors == {}


def test_failed_tool_calls_may_exceed_tasks():
    # a task may make several tool calls
    _, errors = validate(snapshot(failed_tool_calls=300))

    assert errors == {}


def test_a_negative_count_is_refused():
    assert errors_of(snapshot(tasks_completed=-1)) == {"tasks_completed": ["Must not be negative."]}


def test_a_period_ending_before_it_starts_is_refused():
    assert errors_of(snapshot(period_start="2026-03-02", period_end="2026-03-01")) == {
        "period_end": ["The period ends before it starts."]
    }


def test_a_one_day_period_is_accepted():
    clean, errors = validate(snapshot(period_start="2026-03-02", period_end="2026-03-02"))

    assert errors == {}
    assert clean["period_start"] == clean["period_end"] == date(2026, 3, 2)


def test_date_objects_are_accepted():
    clean, errors = validate(snapshot(period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)))

    assert errors == {}
    assert clean["period_end"] == date(2026, 1, 31)


@pytest.mark.parametrize(
    "value",
    [
        "01/03/2026",
        "March 2026",
        "2026-03-01T10:00:00",
        "",
        20260301,
        datetime(2026, 3, 1, tzinfo=UTC),
        True,
    ],
)
@pytest.mark.parametrize("field", ["period_start", "period_end"])
def test_a_period_that_is_not_an_iso_date_is_refused(field, value):
    errors = errors_of(snapshot(**{field: value}))

    assert errors == {field: ["Use an ISO date (YYYY-MM-DD)."]}


@pytest.mark.parametrize("field", ["period_start", "period_end"])
def test_a_period_date_that_does_not_exist_is_not_a_real_date(field):
    errors = errors_of(snapshot(**{field: "2026-02-30"}))

    assert errors == {field: ["2026-02-30 is not a real date: February 2026 has 28 days."]}


def test_every_bad_field_is_named_at_once():
    errors = errors_of(
        snapshot(
            tasks=-1,
            cost="a lot",
            avg_cycle_time_s=math.nan,
            baseline_error_rate=2,
            quality_score=True,
            period_start="yesterday",
        )
    )

    assert set(errors) == {
        "tasks",
        "cost",
        "avg_cycle_time_s",
        "baseline_error_rate",
        "quality_score",
        "period_start",
    }


# --- periods that would distort the rules (the model, and today's rule) ---------------------------


def test_a_period_ending_today_is_accepted():
    clean, errors = validate(snapshot(period_start="2026-06-01", period_end="2026-06-30"))

    assert errors == {}
    assert clean["period_end"] == TODAY


def test_a_period_ending_tomorrow_is_refused_naming_period_end():
    errors = errors_of(snapshot(period_start="2026-06-01", period_end="2026-07-01"))

    assert errors == {
        "period_end": ["The period ends after today (2026-06-30): post a period once it has ended."]
    }


def test_the_end_is_judged_against_the_today_given():
    data = snapshot(period_start="2026-06-01", period_end="2026-07-01")

    assert validate(data, today=date(2026, 7, 1))[1] == {}
    assert list(validate(data, today=date(2026, 6, 30))[1]) == ["period_end"]


def test_a_period_starting_after_today_is_refused_on_its_end():
    errors = errors_of(snapshot(period_start="2026-07-01", period_end="2026-07-31"))

    assert list(errors) == ["period_end"]


def test_a_period_starting_on_1_january_2000_is_accepted():
    clean, errors = validate(snapshot(period_start="2000-01-01", period_end="2000-01-31"))

    assert errors == {}
    assert clean["period_start"] == inputs.EARLIEST_PERIOD_START == date(2000, 1, 1)


def test_a_period_starting_on_31_december_1999_is_refused_naming_period_start():
    errors = errors_of(snapshot(period_start="1999-12-31", period_end="2000-01-31"))

    assert errors == {
        "period_start": ["The period starts before 2000-01-01: check the year of the first day."]
    }


def test_a_period_too_early_and_ending_tomorrow_names_both_dates():
    errors = errors_of(snapshot(period_start="1999-12-31", period_end="2026-07-01"))

    assert set(errors) == {"period_start", "period_end"}


def test_a_reversed_period_is_told_so_rather_than_about_today():
    errors = errors_of(snapshot(period_start="2026-08-01", period_end="2026-07-01"))

    assert errors == {"period_end": ["The period ends before it starts."]}


# --- clean values ---------------------------------------------------------------------------------


def test_optional_fields_absent_are_none():
    clean, errors = validate(snapshot())

    assert errors == {}
    assert {name: clean[name] for name in metrics.OPTIONAL_FIELDS} == dict.fromkeys(
        metrics.OPTIONAL_FIELDS
    )


def test_optional_fields_sent_as_null_are_none():
    clean, errors = validate(snapshot(**dict.fromkeys(metrics.OPTIONAL_FIELDS)))

    assert errors == {}
    assert all(clean[name] is None for name in metrics.OPTIONAL_FIELDS)


def test_clean_values_are_typed():
    clean, errors = validate(
        snapshot(
            cost=190,
            failed_tool_calls=3,
            policy_violations=0,
            quality_score=1,
            calls_per_hour=120,
        )
    )

    assert errors == {}
    assert clean["period_start"] == date(2026, 3, 1)
    assert isinstance(clean["tasks"], int)
    assert isinstance(clean["failed_tool_calls"], int)
    assert isinstance(clean["policy_violations"], int)
    for name in ("cost", "avg_cycle_time_s", "baseline_error_rate", "quality_score"):
        assert isinstance(clean[name], float)
    assert clean["calls_per_hour"] == 120.0
    assert set(clean) == set(metrics.ALL_FIELDS)


def test_unknown_fields_are_not_carried_into_the_clean_values():
    clean, errors = validate(snapshot(surprise=1))

    assert errors == {}
    assert "surprise" not in clean


# --- hypothesis -----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(data=valid_snapshots(), field=st.sampled_from(["tasks_completed", "escalations", "errors"]))
def test_a_count_above_tasks_is_always_refused(data, field):
    if data["tasks"] >= 10**12:
        data["tasks"] = 10**12 - 1
    data[field] = data["tasks"] + 1

    _, errors = validate(data)

    assert field in errors


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.dates().map(date.isoformat),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=4,
)


@settings(max_examples=80, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(metrics.ALL_FIELDS) | st.text(max_size=8), json_values, max_size=14
    )
)
def test_any_json_body_is_answered_with_named_errors_never_a_crash(data):
    clean, errors = validate(data)

    assert set(errors) <= set(metrics.ALL_FIELDS)
    if not errors:
        figures = metrics.derived_figures(clean)
        metrics.alert_breaches(clean, figures, Thresholds(), 100)
    for messages in errors.values():
        assert messages
        assert all(isinstance(m, str) and m for m in messages)
