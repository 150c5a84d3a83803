"""core/permissions.py: one test per question, every role allowed or refused, the kind and
code of each refusal, and the object-level cases (the owner rule, a drill's starter)."""

from types import SimpleNamespace

import pytest

from core import permissions, roles
from core.errors import Conflict, Forbidden
from core.permissions import ROLE, RULE, Answer, May, by_roles
from core.roles import Role

ALL = frozenset(Role)
BARRED = "You owned this agent until 2026-01-02: until 2026-04-02 another approver must decide (separation of duties)."  # noqa: E501
OWNER_BARRED = "You own this agent: another approver must decide (separation of duties)."


def member(*held: Role, user_id: int = 1, organization_id: int = 10, pk: int = 100):
    return SimpleNamespace(
        roles=frozenset(held), user_id=user_id, organization_id=organization_id, pk=pk
    )


# question, the roles that allow it, what a refusal says.
ROLE_QUESTIONS = [
    (permissions.may_manage_members, {Role.ADMIN}, "Only an admin may manage members."),
    (permissions.may_view_audit_log, {Role.ADMIN}, "Only an admin may read the audit log."),
    (
        permissions.may_manage_sso,
        {Role.ADMIN},
        "Only an admin of the organization changes how its members sign in.",
    ),
    (permissions.may_manage_webhooks, {Role.ADMIN}, "Only an admin may manage webhooks."),
    (
        permissions.may_edit_assessment,
        {Role.ASSESSOR},
        "Only an assessor may create, edit or submit assessments.",
    ),
    (permissions.may_register_agent, {Role.ASSESSOR}, "Only an assessor may register agents."),
    (permissions.may_edit_agent, {Role.ASSESSOR}, "Only an assessor may edit agent records."),
    (
        permissions.may_fill_checklist,
        {Role.ASSESSOR},
        "Only an assessor may fill gate checklists.",
    ),
    (
        permissions.may_post_prompt_version,
        {Role.ASSESSOR},
        "Only an assessor may post prompt versions.",
    ),
    (
        permissions.may_review_permissions,
        {Role.APPROVER, Role.ADMIN},
        "Only an approver or admin may revoke or review tool permissions.",
    ),
    (
        permissions.may_record_risk_assessment,
        {Role.APPROVER, Role.ADMIN},
        "Only an approver or admin may record a risk assessment.",
    ),
    (permissions.may_decide_gate, {Role.APPROVER}, "Only an approver may decide gates."),
    (permissions.may_suspend_agent, {Role.OPERATOR}, "Only an operator may suspend an agent."),
    (
        permissions.may_start_drill,
        {Role.OPERATOR},
        "Only an operator may start a kill-switch drill.",
    ),
    (
        permissions.may_resume_agent,
        {Role.APPROVER},
        "Only an approver may resume a suspended agent.",
    ),
    (
        permissions.may_end_drills,
        {Role.OPERATOR, Role.APPROVER},
        "Only the operator who started the drill, or an approver, may end it.",
    ),
    (
        permissions.may_manage_agent_tokens,
        {Role.ADMIN},
        "Only an admin may create agent runtime tokens.",
    ),
    (
        permissions.may_post_metrics,
        {Role.ASSESSOR, Role.OPERATOR, Role.ADMIN},
        "Only an assessor, operator or admin may post metric snapshots.",
    ),
    (
        permissions.may_change_thresholds,
        {Role.ADMIN},
        "Only an admin may change an agent's thresholds.",
    ),
    (permissions.may_advance_horizon, {Role.APPROVER}, "Only an approver may advance a horizon."),
]


@pytest.mark.parametrize(
    ("question", "allowing", "message"),
    ROLE_QUESTIONS,
    ids=[q.__name__ for q, _, _ in ROLE_QUESTIONS],
)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_question_allows_its_roles_and_refuses_the_others_by_role(
    question, allowing, message, role
):
    answer = question(member(role))

    if role in allowing:
        assert answer
        assert answer == Answer(True)
    else:
        assert not answer
        assert (answer.kind, answer.message, answer.code) == (ROLE, message, "")
        assert answer.roles == frozenset(allowing)
        with pytest.raises(Forbidden) as raised:
            answer.require()
        assert raised.value.detail == message


@pytest.mark.parametrize(("question", "allowing", "message"), ROLE_QUESTIONS)
def test_no_role_and_no_membership_are_refused_by_role(question, allowing, message):
    assert question(member()).kind == ROLE
    assert question(None).kind == ROLE


@pytest.mark.parametrize(("question", "allowing", "message"), ROLE_QUESTIONS)
def test_roles_add_up(question, allowing, message):
    assert question(member(*ALL))


# Organization ---------------------------------------------------------------------------------


def test_an_admin_changes_the_settings_of_their_own_organization_only():
    organization = SimpleNamespace(pk=10)
    message = "Only an admin of the organization may change its settings."

    assert permissions.may_change_organization_settings(member(Role.ADMIN), organization)
    elsewhere = permissions.may_change_organization_settings(
        member(Role.ADMIN, organization_id=11), organization
    )
    not_admin = permissions.may_change_organization_settings(member(Role.VIEWER), organization)

    assert (elsewhere.kind, elsewhere.message) == (ROLE, message)
    assert (not_admin.kind, not_admin.message) == (ROLE, message)


def test_an_admin_sets_anyones_roles_but_never_drops_their_own_admin_role():
    admin = member(Role.ADMIN, pk=1)
    other = SimpleNamespace(pk=2)

    assert permissions.may_set_roles(admin, other, {Role.VIEWER})
    assert permissions.may_set_roles(admin, admin, {Role.ADMIN, Role.VIEWER})
    own = permissions.may_set_roles(admin, admin, {Role.VIEWER})
    assert (own.kind, own.code) == (RULE, "own_admin_role")
    assert own.message.startswith("You cannot remove your own admin role")
    assert permissions.may_set_roles(member(Role.APPROVER), other, {Role.VIEWER}).kind == ROLE


def test_only_a_superuser_edits_the_sign_in_mappings():
    assert permissions.may_edit_sign_in_mappings(SimpleNamespace(is_superuser=True))
    for user in (SimpleNamespace(is_superuser=False), None):
        answer = permissions.may_edit_sign_in_mappings(user)
        assert answer.kind == ROLE
        assert answer.message == (
            "Only a superuser edits the sign-in mappings: one provider serves all."
        )


def test_a_webhook_refusal_names_the_action_refused():
    answer = permissions.may_manage_webhooks(member(Role.VIEWER), "send test events")
    assert answer.message == "Only an admin may send test events."


@pytest.mark.parametrize("role", list(Role))
def test_every_member_requests_reports_but_no_one_outside_an_organization(role):
    assert permissions.may_request_report(member(role))
    assert permissions.may_request_report(None).kind == ROLE


# The owner rule (separation of duties) --------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "detail"),
    [
        (permissions.may_decide_gate, "You may not decide on this agent."),
        (permissions.may_advance_horizon, "You may not advance this horizon."),
    ],
)
def test_an_approver_barred_from_the_agent_is_refused_by_the_owner_rule(question, detail):
    agent = SimpleNamespace(owner_id=2)
    approver = member(Role.APPROVER)

    assert question(approver, agent, barred=None)
    answer = question(approver, agent, barred=BARRED)

    assert (answer.kind, answer.code, answer.message) == (RULE, "owner_cannot_decide", BARRED)
    assert answer.reason.as_dict() == {"code": "owner_cannot_decide", "message": BARRED}
    with pytest.raises(Conflict) as raised:
        answer.require()
    assert (raised.value.detail, raised.value.codes) == (detail, {"owner_cannot_decide"})


def test_the_role_is_asked_before_the_owner_rule():
    answer = permissions.may_decide_gate(member(Role.ASSESSOR), barred=BARRED)
    assert answer.kind == ROLE
    assert answer.reason is None


def test_the_owner_of_an_agent_is_told_another_approver_must_resume_it():
    owner = member(Role.APPROVER, user_id=2)
    agent = SimpleNamespace(owner_id=2)

    answer = permissions.may_resume_agent(owner, agent, barred=OWNER_BARRED)

    assert (answer.kind, answer.code) == (RULE, "owner_cannot_decide")
    assert answer.message == (
        "You own this agent: another approver must resume it (separation of duties)."
    )
    assert answer.error().detail == "You own this agent."


def test_a_former_owner_is_told_until_when_they_may_not_resume_it():
    answer = permissions.may_resume_agent(
        member(Role.APPROVER), SimpleNamespace(owner_id=2), barred=BARRED
    )
    assert (answer.code, answer.message) == ("owner_cannot_decide", BARRED)
    assert answer.error().detail == "You may not resume this agent yet."
    assert permissions.may_resume_agent(member(Role.APPROVER), SimpleNamespace(owner_id=2))


# Drills ---------------------------------------------------------------------------------------


def test_the_operator_who_started_a_drill_ends_it_even_when_barred():
    drill = SimpleNamespace(started_by_id=1)
    assert permissions.may_end_drill(member(Role.OPERATOR, user_id=1), drill, barred=BARRED)


def test_another_operator_may_not_end_a_drill_they_did_not_start():
    answer = permissions.may_end_drill(
        member(Role.OPERATOR, user_id=1), SimpleNamespace(started_by_id=3)
    )
    assert answer.kind == ROLE
    assert answer.message == (
        "Only the operator who started this drill, or an approver, may end it."
    )


def test_an_approver_ends_any_drill_unless_barred_from_the_agent():
    drill = SimpleNamespace(started_by_id=3)
    approver = member(Role.APPROVER, user_id=1)

    assert permissions.may_end_drill(approver, drill)
    answer = permissions.may_end_drill(approver, drill, barred=OWNER_BARRED)

    assert (answer.kind, answer.code) == (RULE, "owner_cannot_decide")
    assert (
        answer.message == "You own this agent: another approver must end it (separation of duties)."
    )
    assert answer.error().detail == "You may not end this drill."


# The answer, and the role-set forms kept for older callers ------------------------------------


def test_an_allowed_answer_raises_nothing_and_has_no_error():
    assert permissions.ALLOWED.require() is None
    assert permissions.ALLOWED.error() is None
    assert permissions.ALLOWED.reason is None


def test_by_roles_turns_a_question_into_a_role_set_predicate_for_the_tenancy_guard():
    allow = by_roles(permissions.may_review_permissions)

    assert allow(frozenset({Role.ADMIN}))
    assert not allow(frozenset({Role.VIEWER}))
    assert roles.roles_allowing(allow) == [Role.ADMIN, Role.APPROVER]


def test_may_answers_a_template_once_per_question():
    asked = []

    class Counting(SimpleNamespace):
        @property
        def roles(self):
            asked.append(1)
            return frozenset({Role.ADMIN})

    may = May(Counting(user_id=1), SimpleNamespace(is_superuser=False))

    assert may.manage_members
    assert may.manage_members
    assert not may.decide_gate
    assert not may.edit_sign_in_mappings
    assert len(asked) == 2
    with pytest.raises(AttributeError):
        _ = may.fly
