"""The agent forms decode their widgets and hand the values to the services, which check them
with agents/inputs.py (docs/adr/0009-validate-once.md): the forms restate no bound, the
service's refusal comes back beside the field, and the browser is told the bounds as a hint."""

import pytest

from accounts.selectors import active_member_list
from agents.forms import AgentForm, AgentRecordsForms
from agents.inputs import LIMIT_MAX, NAME_MAX
from core.errors import InvalidInput
from overview import services as overview_services

pytestmark = pytest.mark.django_db


def _formset(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def edit_data(agent, *, boundaries=(), **fields) -> dict:
    return {
        "version": agent.version,
        "name": agent.name,
        "purpose": agent.purpose,
        "business_unit": agent.business_unit,
        "owner": agent.owner.username,
        "api_calls_per_hour": "",
        "tokens_per_session": "",
        "sequential_actions_before_confirmation": "",
        "monthly_budget": "",
        **fields,
        **_formset("boundaries", list(boundaries)),
        **_formset("escalations", []),
        **_formset("tools", []),
    }


def submitted(agent, assessor, data: dict) -> AgentRecordsForms:
    """The edit page's forms, valid as forms, after the service refused what they hold."""
    members = list(active_member_list(organization=agent.organization))
    bundle = AgentRecordsForms(data, agent=agent, members=members)
    assert bundle.is_valid(), bundle.form.errors
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_update(
            agent=agent,
            membership=assessor,
            data=bundle.service_data(),
            expected_version=bundle.version,
        )
    bundle.add_service_errors(error.value.errors)
    return bundle


def test_a_too_long_name_is_the_services_refusal_beside_the_name(refund_bot, assessor):
    bundle = submitted(refund_bot, assessor, edit_data(refund_bot, name="x" * (NAME_MAX + 1)))

    assert bundle.form.errors["name"] == ["Keep it to 200 characters or fewer."]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("api_calls_per_hour", str(LIMIT_MAX + 1), "Must be a whole number from 0 to 2147483647."),
        ("tokens_per_session", "-1", "Must be a whole number from 0 to 2147483647."),
        ("monthly_budget", "-5", "Must not be negative."),
        ("monthly_budget", "1000000000001", "Must be at most 10^12."),
    ],
)
def test_a_guardrail_out_of_bounds_is_the_services_refusal_beside_it(
    refund_bot, assessor, field, value, message
):
    bundle = submitted(refund_bot, assessor, edit_data(refund_bot, **{field: value}))

    assert bundle.form.errors[field] == [message]


def test_a_too_long_decision_is_refused_beside_its_row(refund_bot, assessor):
    rows = [
        {"decision": "Refund small amounts", "mode": "alone"},
        {"decision": "x" * 301, "mode": "escalate"},
    ]

    bundle = submitted(refund_bot, assessor, edit_data(refund_bot, boundaries=rows))

    assert bundle.boundaries.forms[1].errors["decision"] == ["Keep it to 300 characters or fewer."]
    assert not bundle.boundaries.forms[0].errors


def test_the_browser_is_told_the_bounds(refund_bot, assessor):
    members = list(active_member_list(organization=refund_bot.organization))
    bundle = AgentRecordsForms(agent=refund_bot, members=members)
    registering = AgentForm(members=members)

    assert f'maxlength="{NAME_MAX}"' in str(registering["name"])
    assert 'maxlength="120"' in str(bundle.form["business_unit"])
    assert f'max="{LIMIT_MAX}"' in str(bundle.form["api_calls_per_hour"])
    assert 'min="0"' in str(bundle.form["monthly_budget"])
    assert 'maxlength="300"' in str(bundle.boundaries.forms[0]["decision"])
    assert 'maxlength="200"' in str(bundle.tools.forms[0]["tool"])


def test_tool_permission_dates_are_handed_over_as_dates_and_saved(refund_bot, assessor):
    members = list(active_member_list(organization=refund_bot.organization))
    data = edit_data(refund_bot) | _formset(
        "tools",
        [{"tool": "crm", "access": "read", "last_used": "2026-01-10", "last_reviewed": ""}],
    )
    bundle = AgentRecordsForms(data, agent=refund_bot, members=members)
    assert bundle.is_valid()

    updated = overview_services.agent_update(
        agent=refund_bot, membership=assessor, data=bundle.service_data()
    )

    tool = updated.tool_permissions.get()
    assert (tool.last_used.isoformat(), tool.last_reviewed) == ("2026-01-10", None)
