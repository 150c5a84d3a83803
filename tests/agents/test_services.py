"""Registering an agent and editing its records through the services (docs/rules.md §2).

Every service is role-checked (a refused call changes nothing), every write is audited, and the
audit chain still verifies after each test.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from agents import rules as agents_rules
from agents.inputs import AgentUpdateInput
from agents.models import Agent, ToolPermission
from audit.models import AuditEntry
from core.errors import Conflict, Forbidden, InvalidInput
from core.roles import Role
from gates import selectors as gates_selectors
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from gates.models import Gate
from killswitch import services as killswitch_services
from overview import services as overview_services
from tests.factories import AgentFactory, PromptPayloadFactory, SuspensionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audit_chain_verifies")]

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def agent(refund_bot):
    return refund_bot


def fresh(agent: Agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def states(agent: Agent) -> dict[int, str]:
    return dict(Gate.objects.filter(agent=agent).values_list("phase", "state"))


def gate(agent: Agent, phase: int) -> Gate:
    return Gate.objects.get(agent=agent, phase=phase)


def codes(error: Conflict) -> list[str]:
    return [r.code for r in error.reasons]


def no_go(agent, phase, membership, **kwargs):
    return gates_services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision="no_go",
        rationale="Not yet.",
        **kwargs,
    )


# --- agent_create ----------------------------------------------------------------------------


def test_registering_an_agent_creates_its_four_gates_with_their_checklists(agent, assessor):
    # then
    agent = fresh(agent)
    assert agent.state == "active"
    assert agent.horizon == ""
    assert agent.version == 1
    assert agent.current_prompt is None
    assert agent.owner.username == "olga"
    assert agent.created_by == assessor.user
    assert states(agent) == dict.fromkeys(PHASES, "pending")
    for phase in PHASES:
        items = list(gate(agent, phase).items.order_by("id"))
        assert [i.key for i in items] == list(phase_definition(phase).keys)
        assert not any(i.met for i in items)
    read = gates_selectors.agent_get(organization=agent.organization, pk=agent.pk)
    assert gates_selectors.agent_phase(read) == 1


def test_registering_an_agent_writes_one_audit_entry_with_its_records(agent):
    entry = AuditEntry.objects.get()

    assert entry.action == "agent.created"
    assert entry.actor_label == "sam"
    assert entry.object_id == str(agent.pk)
    assert entry.after["name"] == "Refund bot"
    assert entry.after["owner"] == "olga"


def test_registering_an_agent_with_its_records_stores_them(assessor, owner, operator):
    # when
    agent = overview_services.agent_create(
        membership=assessor,
        data={
            "name": "Claims bot",
            "owner": "olga",
            "decision_boundaries": [
                {"decision": "Refund under 50 EUR", "mode": "alone"},
                {"decision": "Refund above 50 EUR", "mode": "escalate"},
            ],
            "escalation_paths": [{"failure_state": "Tool timeout", "owner": "otto"}],
            "tool_permissions": [
                {
                    "tool": "payments",
                    "access": "write",
                    "justification": "Issues refunds",
                    "last_used": "2026-05-01",
                    "last_reviewed": None,
                }
            ],
            "guardrails": {"api_calls_per_hour": 500, "monthly_budget": 1200.5},
        },
    )

    # then
    agent = fresh(agent)
    assert [(b.decision, b.mode) for b in agent.decision_boundaries.all()] == [
        ("Refund under 50 EUR", "alone"),
        ("Refund above 50 EUR", "escalate"),
    ]
    assert [(p.failure_state, p.owner.username) for p in agent.escalation_paths.all()] == [
        ("Tool timeout", "otto")
    ]
    permission = agent.tool_permissions.get()
    assert (permission.tool, permission.access, permission.last_used) == (
        "payments",
        "write",
        date(2026, 5, 1),
    )
    assert permission.last_reviewed is None
    assert agent.api_calls_per_hour == 500
    assert agent.guardrails()["monthly_budget"] == 1200.5


# What is not a username at all ("", None, 42) is the input's refusal: tests/agents/test_inputs.py.
@pytest.mark.parametrize("owner_name", ["gus", "nobody", " nobody "])
def test_the_owner_must_be_a_member_of_the_organization(
    assessor, other_assessor, owner_name, world
):
    # given "gus" exists, but in another organization
    before = world()

    # when
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(
            membership=assessor, data={"name": "Bot", "owner": owner_name}
        )

    # then the error names the owner field, and nothing was created
    assert list(error.value.errors) == ["owner"]
    assert world() == before


def test_a_deactivated_member_may_own_no_agent_nor_escalation_path(assessor, owner, world):
    # given olga, deactivated in the organization
    owner.is_active = False
    owner.save()
    before = world()

    # when
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(
            membership=assessor,
            data={
                "name": "Bot",
                "owner": "olga",
                "escalation_paths": [{"failure_state": "Tool down", "owner": "olga"}],
            },
        )

    # then both are named, in the rule's words, and nothing was created
    message = "'olga' is deactivated in this organization: name an active member."
    assert error.value.errors == {"owner": [message], "escalation_paths.0.owner": [message]}
    assert world() == before


def test_a_refusal_of_shape_comes_before_the_rules_that_read_the_database(assessor):
    # an unknown owner would be refused too, once the input has its shape
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(membership=assessor, data={"name": "", "owner": "nobody"})

    assert error.value.errors == {"name": ["This field is required."]}


def test_the_apis_checked_input_is_taken_as_it_is(agent, assessor):
    # given the body as the API checked it (agents.inputs.AgentUpdateInput)
    checked = AgentUpdateInput.model_validate({"purpose": "All refunds", "version": 1})

    overview_services.agent_update(
        agent=agent, membership=assessor, data=checked, expected_version=checked.version
    )

    assert fresh(agent).purpose == "All refunds"


def test_an_agent_needs_a_name_and_an_owner(assessor):
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(membership=assessor, data={})

    assert set(error.value.errors) == {"name", "owner"}
    assert Agent.objects.count() == 0


def test_a_blank_name_is_refused(assessor, owner):
    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(membership=assessor, data={"name": "   ", "owner": "olga"})

    assert list(error.value.errors) == ["name"]


def test_a_duplicate_name_in_the_organization_is_refused_and_nothing_changes(
    agent, assessor, world
):
    before = world()

    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(
            membership=assessor, data={"name": " Refund bot ", "owner": "olga"}
        )

    assert list(error.value.errors) == ["name"]
    assert world() == before


def test_the_same_name_is_fine_in_another_organization(agent, other_assessor):
    other = overview_services.agent_create(
        membership=other_assessor, data={"name": "Refund bot", "owner": "gus"}
    )

    assert other.organization != agent.organization


def test_renaming_to_another_agents_name_is_refused(agent, assessor):
    AgentFactory.register(assessor, owner="olga", name="Quote bot")

    with pytest.raises(InvalidInput) as error:
        overview_services.agent_update(agent=agent, membership=assessor, data={"name": "Quote bot"})

    assert list(error.value.errors) == ["name"]
    assert fresh(agent).name == "Refund bot"


# --- roles: every service refuses every other role, and changes nothing ---------------------


def _create(agent, m):
    return overview_services.agent_create(
        membership=m, data={"name": "Another bot", "owner": "olga"}
    )


def _update(agent, m):
    return overview_services.agent_update(
        agent=agent, membership=m, data={"purpose": "Something else"}
    )


def _checklist(agent, m):
    return gates_services.checklist_update(
        agent=agent,
        phase=4,
        membership=m,
        changes={"tracing": {"met": True, "evidence": "https://traces.example"}},
    )


def _prompt(agent, m):
    return gates_services.prompt_version_post(
        agent=agent, membership=m, data=PromptPayloadFactory(tag="v1")
    )


def _decide(agent, m):
    return no_go(agent, 1, m)


def _resume(agent, m):
    return killswitch_services.agent_resume(agent=agent, membership=m, reason="False alarm")


def _suspend(agent, m):
    return killswitch_services.agent_suspend(agent=agent, membership=m, reason="Odd refunds")


def _drill(agent, m):
    return killswitch_services.drill_start(agent=agent, membership=m)


def _token(agent, m):
    return killswitch_services.agent_token_create(agent=agent, membership=m, name="Runtime")


SERVICES = {
    "agent_create": (Role.ASSESSOR, _create),
    "agent_update": (Role.ASSESSOR, _update),
    "checklist_update": (Role.ASSESSOR, _checklist),
    "prompt_version_post": (Role.ASSESSOR, _prompt),
    "gate_decide": (Role.APPROVER, _decide),
    "agent_resume": (Role.APPROVER, _resume),
    "agent_suspend": (Role.OPERATOR, _suspend),
    "drill_start": (Role.OPERATOR, _drill),
    "agent_token_create": (Role.ADMIN, _token),
}
REFUSED = [
    (name, role) for name, (required, _) in SERVICES.items() for role in Role if role != required
]


@pytest.fixture
def prepared(agent, operator):
    """The agent, suspended when the service under test is resume."""

    def prepare(name):
        if name == "agent_resume":
            SuspensionFactory(agent=agent, started_by=operator.user, reason="Test")
        return agent

    return prepare


@pytest.mark.parametrize(("name", "role"), REFUSED)
def test_a_role_the_spec_does_not_name_is_forbidden_and_changes_nothing(
    name, role, org, make_member, prepared, world
):
    # given a member holding only that role
    agent = prepared(name)
    member = make_member(org, role.value, username=f"only-{role.value}")
    before = world()

    # when / then
    with pytest.raises(Forbidden):
        SERVICES[name][1](agent, member)
    assert world() == before


@pytest.mark.parametrize("name", SERVICES)
def test_every_role_but_the_required_one_is_still_forbidden(
    name, org, make_member, prepared, world
):
    # roles add up; none includes another
    agent = prepared(name)
    required = SERVICES[name][0]
    member = make_member(
        org, *(r.value for r in Role if r != required), username=f"all-but-{required.value}"
    )
    before = world()

    with pytest.raises(Forbidden):
        SERVICES[name][1](agent, member)
    assert world() == before


@pytest.mark.parametrize("name", SERVICES)
def test_the_required_role_alone_is_allowed(name, org, make_member, prepared):
    agent = prepared(name)
    required = SERVICES[name][0]
    member = make_member(org, required.value, username=f"just-{required.value}")
    count = AuditEntry.objects.count()

    SERVICES[name][1](agent, member)

    assert AuditEntry.objects.count() > count


# --- agent_update ------------------------------------------------------------------------------


def test_an_update_with_a_stale_version_is_a_conflict_and_saves_nothing(agent, assessor, world):
    # given someone saved after we opened version 1
    overview_services.agent_update(agent=agent, membership=assessor, data={"purpose": "First"})
    before = world()

    # when
    with pytest.raises(Conflict) as error:
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"name": "Mine"}, expected_version=1
        )

    # then
    assert codes(error.value) == ["stale_version"]
    assert error.value.reasons[0].extra == {"current_version": 2}
    assert world() == before
    assert fresh(agent).name == "Refund bot"


def test_an_update_on_the_current_version_saves_and_counts_the_version(agent, assessor):
    updated = overview_services.agent_update(
        agent=agent, membership=assessor, data={"purpose": "All refunds"}, expected_version=1
    )

    assert updated.version == 2
    assert fresh(agent).purpose == "All refunds"
    entry = AuditEntry.objects.order_by("id").last()
    assert entry.action == "agent.updated"
    assert entry.before == {"purpose": "Refunds under 50 EUR"}
    assert entry.after == {"purpose": "All refunds"}


def test_an_update_that_changes_nothing_writes_no_audit_entry(agent, assessor):
    count = AuditEntry.objects.count()

    overview_services.agent_update(
        agent=agent, membership=assessor, data={"purpose": "Refunds under 50 EUR"}
    )

    assert AuditEntry.objects.count() == count


def test_lists_are_replaced_whole(agent, assessor):
    overview_services.agent_update(
        agent=agent,
        membership=assessor,
        data={
            "decision_boundaries": [
                {"decision": "a", "mode": "alone"},
                {"decision": "b", "mode": "escalate"},
            ]
        },
    )
    overview_services.agent_update(
        agent=agent,
        membership=assessor,
        data={"decision_boundaries": [{"decision": "c", "mode": "escalate"}]},
    )

    assert list(fresh(agent).decision_boundaries.values_list("decision", flat=True)) == ["c"]


# Every kind of bad value, with its words, is the input's: tests/agents/test_inputs.py. Here,
# that the service checks what it is given with it, and saves nothing.
@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"decision_boundaries": [{"decision": "x", "mode": "sometimes"}]},
            "decision_boundaries.0.mode",
        ),
        ({"decision_boundaries": "x"}, "decision_boundaries"),
        (
            {"escalation_paths": [{"failure_state": "x", "owner": "gus"}]},
            "escalation_paths.0.owner",
        ),
        ({"tool_permissions": [{"tool": "db", "access": "root"}]}, "tool_permissions.0.access"),
        ({"guardrails": {"monthly_budget": float("nan")}}, "guardrails.monthly_budget"),
        ({"guardrails": {"calls": 5}}, "guardrails.calls"),
        ({"owner": "gus"}, "owner"),
    ],
)
def test_bad_records_are_refused_naming_the_field_and_nothing_is_saved(
    agent, assessor, other_assessor, data, field, world
):
    before = world()

    with pytest.raises(InvalidInput) as error:
        overview_services.agent_update(agent=agent, membership=assessor, data=data)

    assert field in error.value.errors
    assert world() == before


def test_tool_permission_dates_of_today_are_saved(agent, assessor):
    tools = [{"tool": "crm", "access": "read", "last_used": "2026-03-02",
              "last_reviewed": date(2026, 3, 2)}]  # fmt: skip

    with time_machine.travel(T0, tick=False):
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"tool_permissions": tools}
        )

    permission = ToolPermission.objects.get(agent=agent)
    assert (permission.last_used, permission.last_reviewed) == (date(2026, 3, 2), date(2026, 3, 2))


def test_future_tool_permission_dates_are_refused_when_registering(assessor, owner):
    tools = [{"tool": "crm", "access": "read", "last_used": "2099-01-01",
              "last_reviewed": "2099-01-01"}]  # fmt: skip

    with pytest.raises(InvalidInput) as error:
        overview_services.agent_create(
            membership=assessor, data={"name": "Time traveller", "owner": "olga",
                                       "tool_permissions": tools},
        )  # fmt: skip

    assert set(error.value.errors) == {
        "tool_permissions.0.last_used",
        "tool_permissions.0.last_reviewed",
    }
    assert not Agent.objects.filter(name="Time traveller").exists()


@pytest.mark.parametrize("budget", [10**12, 999999999999.999])
def test_the_largest_accepted_monthly_budget_can_be_read_back(assessor, owner, org, budget):
    # given non_negative_number_error accepts it
    assert agents_rules.non_negative_number_error(budget) is None

    # when an agent is registered with it (it is accepted and committed) ...
    try:
        overview_services.agent_create(
            membership=assessor,
            data={"name": "Big spender", "owner": "olga", "guardrails": {"monthly_budget": budget}},
        )
    except InvalidInput:
        return  # a 400 would be a fine answer too

    # ... then the organization's agent list can still be read
    agents = gates_selectors.agent_list(organization=org)
    assert agents[0].guardrails()["monthly_budget"] <= 10**12


def test_resending_unchanged_tool_permissions_keeps_when_they_were_granted(assessor, owner):
    with time_machine.travel(T0, tick=False) as clock:
        # given a permission granted at T0, never used nor reviewed
        permissions = [{"tool": "crm", "access": "read", "justification": "Look-ups"}]
        agent = AgentFactory.register(
            assessor, owner=owner, name="CRM bot", tool_permissions=permissions
        )
        today = (T0 + timedelta(days=100)).date()
        clock.move_to(T0 + timedelta(days=100))

        # when an edit form sends the same list back
        overview_services.agent_update(
            agent=agent, membership=assessor, data={"tool_permissions": permissions}
        )

    # then it is still flagged: granted 100 days ago, never used, never reviewed
    permission = ToolPermission.objects.get(agent=agent)
    reasons = agents_rules.permission_review_reasons(
        last_used=None, last_reviewed=None, created=permission.created_at.date(), today=today
    )
    assert [r.code for r in reasons] == ["unused", "unreviewed"]
