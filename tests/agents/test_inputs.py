"""The one definition of an agent's records (agents/inputs.py, docs/adr/0009-validate-once.md):
each field refuses at its bound in the words the service always used, every bad field at once,
and the API takes the same definition as its bodies. What needs the database (a member, a
name that is free) is the service's rule: tests/agents/test_services.py."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from agents.inputs import (
    GUARDRAIL_FIELDS,
    AgentCreateInput,
    AgentUpdateInput,
    GuardrailsInput,
)
from agents.models import DecisionBoundary, ToolPermission
from core.errors import InvalidInput
from core.inputs import parse

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
MEMBER = "Name a member of the organization (their username)."
ISO = "Use an ISO date (YYYY-MM-DD)."
LONG_300 = "Keep it to 300 characters or fewer."
UNKNOWN_LIMIT = f"Unknown limit: use {', '.join(GUARDRAIL_FIELDS)}."


def change(data: dict) -> dict:
    """The records an update sends, as the service is given them."""
    return parse(AgentUpdateInput, data, what="an agent's records").records()


def refusal(data: dict, model=AgentUpdateInput) -> dict:
    with pytest.raises(InvalidInput) as error:
        parse(model, data, what="an agent's records")
    return error.value.errors


def test_only_the_records_sent_are_a_change_and_a_null_list_is_none():
    assert change({"purpose": "Refunds", "decision_boundaries": None, "guardrails": None}) == {
        "purpose": "Refunds"
    }


def test_a_null_purpose_or_business_unit_is_empty_text():
    assert change({"purpose": None, "business_unit": None}) == {"purpose": "", "business_unit": ""}


def test_text_is_stripped_and_rows_come_with_every_field():
    assert change(
        {
            "name": "  Claims bot ",
            "owner": " olga ",
            "tool_permissions": [{"tool": " crm ", "access": "read"}],
        }
    ) == {
        "name": "Claims bot",
        "owner": "olga",
        "tool_permissions": [
            {
                "tool": "crm",
                "access": "read",
                "justification": "",
                "last_used": None,
                "last_reviewed": None,
            }
        ],
    }


def test_the_version_is_no_record():
    given = parse(AgentUpdateInput, {"version": 3, "purpose": "x"}, what="records")

    assert given.version == 3
    assert given.records() == {"purpose": "x"}


def test_unknown_fields_are_ignored_as_the_api_always_did():
    assert change({"colour": "red", "purpose": "x"}) == {"purpose": "x"}


# --- name, business unit, owner --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 201, "Keep it to 200 characters or fewer."),
        ("name", "   ", "This field is required."),
        ("name", None, "This field is required."),
        ("name", 3, "Must be text."),
        ("name", "Refund\nbot", "Use a single line without control characters."),
        ("name", "Refund\x00bot", "Remove the NUL character (\\u0000): it cannot be stored."),
        ("name", "\u200b", "This is made only of invisible characters: write some visible text."),
        ("business_unit", "x" * 121, "Keep it to 120 characters or fewer."),
        ("business_unit", ["Claims"], "Must be text."),
        ("business_unit", "Sales\tEMEA", "Use a single line without control characters."),
        ("purpose", 5, "Must be text."),
        ("owner", "", "Name a member of the organization (their username)."),
        ("owner", "  ", "Name a member of the organization (their username)."),
        ("owner", None, "Name a member of the organization (their username)."),
        ("owner", 42, "Name a member of the organization (their username)."),
        ("version", "1", "Must be a whole number."),
        ("version", True, "Must be a whole number."),
    ],
)
def test_each_field_refuses_its_bad_values_in_the_services_words(field, value, message):
    assert refusal({field: value}) == {field: [message]}


@pytest.mark.parametrize(("field", "longest"), [("name", 200), ("business_unit", 120)])
def test_a_name_and_a_business_unit_take_their_longest(field, longest):
    assert change({field: "x" * longest}) == {field: "x" * longest}


def test_registering_needs_a_name_and_an_owner():
    assert refusal({}, AgentCreateInput) == {
        "name": ["This field is required."],
        "owner": ["This field is required."],
    }


def test_a_purpose_has_no_bound_of_its_own():
    assert change({"purpose": "x" * 20_000}) == {"purpose": "x" * 20_000}


# --- the lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["decision_boundaries", "escalation_paths", "tool_permissions"])
def test_a_list_that_is_not_a_list_is_refused(key):
    assert refusal({key: "x"}) == {key: ["Send a list (it replaces the current one)."]}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("decision_boundaries", "Send an object with decision and mode."),
        ("escalation_paths", "Send an object with failure_state and owner."),
        ("tool_permissions", "Send an object with tool, access and justification."),
    ],
)
def test_a_row_that_is_not_an_object_is_refused_in_its_words(key, message):
    assert refusal({key: [5]}) == {f"{key}.0": [message]}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"decision": "x", "mode": "sometimes"}, "mode", "Choose alone or escalate."),
        ({"decision": "  ", "mode": "alone"}, "decision", "This field is required."),
        (
            {"decision": "x" * 301, "mode": "alone"},
            "decision",
            "Keep it to 300 characters or fewer.",
        ),
        ({"mode": "alone"}, "decision", "This field is required."),
    ],
)
def test_a_decision_boundary_refuses_its_bad_fields(row, field, message):
    assert refusal({"decision_boundaries": [row]}) == {f"decision_boundaries.0.{field}": [message]}


def test_the_modes_and_accesses_are_the_models_choices():
    modes = change(
        {"decision_boundaries": [{"decision": "x", "mode": m} for m in ("alone", "escalate")]}
    )
    accesses = change(
        {"tool_permissions": [{"tool": "t", "access": a} for a in ("read", "write", "admin")]}
    )

    assert [r["mode"] for r in modes["decision_boundaries"]] == DecisionBoundary.Mode.values
    assert [r["access"] for r in accesses["tool_permissions"]] == ToolPermission.Access.values


def test_a_decision_and_a_failure_state_take_300_characters_and_a_tool_200():
    records = change(
        {
            "decision_boundaries": [{"decision": "d" * 300, "mode": "alone"}],
            "escalation_paths": [{"failure_state": "f" * 300, "owner": "olga"}],
            "tool_permissions": [{"tool": "t" * 200, "access": "read"}],
        }
    )

    assert records["decision_boundaries"][0]["decision"] == "d" * 300
    assert records["escalation_paths"][0]["failure_state"] == "f" * 300
    assert records["tool_permissions"][0]["tool"] == "t" * 200


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"failure_state": "x", "owner": ""}, "owner", MEMBER),
        ({"failure_state": "", "owner": "olga"}, "failure_state", "This field is required."),
        ({"failure_state": "x" * 301, "owner": "olga"}, "failure_state", LONG_300),
    ],
)  # fmt: skip
def test_an_escalation_path_refuses_its_bad_fields(row, field, message):
    assert refusal({"escalation_paths": [row]}) == {f"escalation_paths.0.{field}": [message]}


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"tool": "db", "access": "root"}, "access", "Choose read, write or admin."),
        ({"tool": "t" * 201, "access": "read"}, "tool", "Keep it to 200 characters or fewer."),
        ({"tool": "db", "access": "read", "justification": 3}, "justification", "Must be text."),
        ({"tool": "db", "access": "read", "last_used": "yesterday"}, "last_used", ISO),
        ({"tool": "db", "access": "read", "last_used": 20260301}, "last_used", ISO),
        ({"tool": "db", "access": "read", "last_reviewed": "2026-02-30"}, "last_reviewed",
         "2026-02-30 is not a real date: February 2026 has 28 days."),
    ],
)  # fmt: skip
def test_a_tool_permission_refuses_its_bad_fields(row, field, message):
    assert refusal({"tool_permissions": [row]}) == {f"tool_permissions.0.{field}": [message]}


@pytest.mark.parametrize("key", ["last_used", "last_reviewed"])
def test_a_tool_permission_date_of_tomorrow_is_refused_and_today_taken(key):
    tools = [
        {"tool": "crm", "access": "read", key: "2026-03-02"},  # today
        {"tool": "db", "access": "read", key: "2026-03-03"},  # tomorrow
    ]

    with time_machine.travel(T0, tick=False):
        errors = refusal({"tool_permissions": tools})
        today = change({"tool_permissions": tools[:1]})

    assert errors == {
        f"tool_permissions.1.{key}": [
            "Cannot be in the future: give a date no later than today (2026-03-02)."
        ]
    }
    assert today["tool_permissions"][0][key] == date(2026, 3, 2)


def test_a_tool_permission_date_may_be_a_date_and_empty_is_none():
    with time_machine.travel(T0, tick=False):
        rows = change(
            {"tool_permissions": [{"tool": "crm", "access": "read", "last_used": date(2026, 3, 1),
                                   "last_reviewed": ""}]}
        )["tool_permissions"]  # fmt: skip

    assert (rows[0]["last_used"], rows[0]["last_reviewed"]) == (date(2026, 3, 1), None)


# --- the guardrails --------------------------------------------------------------------------


def test_only_the_limits_sent_change_and_null_clears_one():
    assert change({"guardrails": {"api_calls_per_hour": 0, "monthly_budget": None}}) == {
        "guardrails": {"api_calls_per_hour": 0, "monthly_budget": None}
    }


@pytest.mark.parametrize("key", [k for k in GUARDRAIL_FIELDS if k != "monthly_budget"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "Must be a whole number from 0 to 2147483647."),
        (2**31, "Must be a whole number from 0 to 2147483647."),
        (1.5, "Must be a whole number."),
        (True, "Must be a whole number."),
        ("100", "Must be a whole number."),
    ],
)
def test_a_limit_is_a_whole_number_that_fits_the_column(key, value, message):
    assert refusal({"guardrails": {key: value}}) == {f"guardrails.{key}": [message]}


def test_a_limit_takes_the_columns_largest():
    assert change({"guardrails": {"tokens_per_session": 2**31 - 1}}) == {
        "guardrails": {"tokens_per_session": 2**31 - 1}
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "Must not be negative."),
        (float("nan"), "Must be a finite number."),
        (float("inf"), "Must be a finite number."),
        (10**12 + 1, "Must be at most 10^12."),
        ("100", "Must be a number."),
        (True, "Must be a number."),
    ],
)
def test_a_monthly_budget_refuses_its_bad_values(value, message):
    assert refusal({"guardrails": {"monthly_budget": value}}) == {
        "guardrails.monthly_budget": [message]
    }


@pytest.mark.parametrize(
    ("value", "kept"),
    [(0, Decimal("0.00")), (1200.5, Decimal("1200.50")), (10**12, Decimal("1000000000000.00"))],
)
def test_a_monthly_budget_is_kept_to_the_cent(value, kept):
    assert change({"guardrails": {"monthly_budget": value}})["guardrails"]["monthly_budget"] == kept


def test_an_unknown_limit_is_refused_by_name_listing_the_limits():
    assert refusal({"guardrails": {"calls": 5, "api_calls_per_hour": 1}}) == {
        "guardrails.calls": [UNKNOWN_LIMIT]
    }


def test_guardrails_that_are_not_an_object_are_refused():
    assert refusal({"guardrails": [1]}) == {"guardrails": ["Send an object of limits."]}


def test_every_bad_field_is_named_at_once():
    errors = refusal(
        {
            "name": "",
            "decision_boundaries": [{"decision": "x", "mode": "never"}],
            "guardrails": {"api_calls_per_hour": -1, "calls": 1},
        }
    )

    assert set(errors) == {
        "name",
        "decision_boundaries.0.mode",
        "guardrails.api_calls_per_hour",
        "guardrails.calls",
    }


# --- the API's bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "model"),
    [
        ("/api/v1/agents", "post", AgentCreateInput),
        ("/api/v1/agents/{agent_id}", "patch", AgentUpdateInput),
    ],
)
def test_the_api_takes_the_same_definition_as_its_bodies(db, path, method, model):
    from api.urls import api

    schema = api.get_openapi_schema()
    body = schema["paths"][path][method]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith(f"/{model.__name__}")
    properties = schema["components"]["schemas"][model.__name__]["properties"]
    assert set(properties) == set(model.model_fields)
    limits = schema["components"]["schemas"][GuardrailsInput.__name__]
    assert limits["additionalProperties"] is False
    assert set(limits["properties"]) == set(GUARDRAIL_FIELDS)
