"""Every "may this member do this" question, one function per question (docs/architecture.md,
"Permissions").

Each function reads only what it is given: the member's `roles` and `user_id`, the ids and
attributes of the object it is asked about, and facts a caller fetched (`barred`: why
separation of duties bars the member from the agent, from `agents.selectors.separation_reason`).
It makes no query, so a page can ask it as often as it likes.

Each answers an `Answer`: truthy when allowed, else refused with a `kind`:

- "role": no role the member holds allows it (403 `Forbidden`); the message names the role
  the action needs.
- "rule": the roles allow it, a rule of the object does not (409 `Conflict` with the rule's
  `code`, e.g. `owner_cannot_decide`).

Services end a question with `.require()`, which raises the matching error; pages and
templates test the answer's truth. `member` is a membership (`accounts.Membership`) or None
for someone acting in no organization (then every question is refused by role).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import Conflict, ConflictReason, Forbidden
from .roles import Role

ROLE = "role"
RULE = "rule"

OWNER_CANNOT_DECIDE = "owner_cannot_decide"
OWNER_DEFAULT = "You own this agent: another approver must decide (separation of duties)."


@dataclass(frozen=True)
class Answer:
    """Allowed, or refused by role (403) or by a rule (409 with `code`).

    `detail` is the headline of a rule's 409 (the Conflict's detail); `message` is the
    sentence that says why, and for a role refusal the whole 403 text."""

    allowed: bool
    kind: str = ""
    message: str = ""
    code: str = ""
    detail: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def reason(self) -> ConflictReason | None:
        """A rule refusal as a reason, for services that list it with other reasons."""
        return ConflictReason(self.code, self.message) if self.kind == RULE else None

    def error(self) -> Forbidden | Conflict | None:
        """The error a service raises for this refusal (None when allowed)."""
        if self.allowed:
            return None
        if self.kind == RULE:
            return Conflict(self.detail or self.message, [ConflictReason(self.code, self.message)])
        return Forbidden(self.message) if self.message else Forbidden()

    def require(self) -> None:
        """Raise `Forbidden` (role) or `Conflict` (rule) unless allowed."""
        error = self.error()
        if error is not None:
            raise error


ALLOWED = Answer(True)


@dataclass(frozen=True)
class RolesOnly:
    """A member known only by roles: what the tenancy guard and `role_needed_message`, which
    pass role sets, ask the questions with (`by_roles`)."""

    roles: frozenset[Role]
    user_id: int | None = None
    organization_id: int | None = None


def roles_only(roles: Iterable[Role]) -> RolesOnly:
    return RolesOnly(frozenset(roles))


def by_roles(question):
    """A role-set predicate (`allow(roles) -> bool`) for guards that pass roles only
    (`core.tenancy.member_required(allow=...)`, `core.roles.roles_allowing`)."""

    def allow(roles) -> bool:
        return bool(question(roles_only(roles)))

    allow.__name__ = question.__name__
    allow.__doc__ = question.__doc__
    return allow


def _roles(member) -> frozenset[Role]:
    return frozenset(member.roles) if member is not None else frozenset()


def _role(member, needed: Iterable[Role], message: str) -> Answer:
    """Allowed when the member holds one of `needed`; else a role refusal saying `message`."""
    needed = frozenset(needed)
    if needed & _roles(member):
        return ALLOWED
    return Answer(False, ROLE, message, roles=needed)


def _rule(code: str, message: str, detail: str = "") -> Answer:
    return Answer(False, RULE, message, code=code, detail=detail)


def _owner_barred(barred: str | None, detail: str) -> Answer:
    """The owner rule (docs/rules.md, separation of duties), given why the member is barred."""
    if barred is None:
        return ALLOWED
    return _rule(OWNER_CANNOT_DECIDE, barred or OWNER_DEFAULT, detail)


# Organization ---------------------------------------------------------------------------------


def may_manage_members(member) -> Answer:
    """Add, invite, change the roles of and deactivate members: admins."""
    return _role(member, {Role.ADMIN}, "Only an admin may manage members.")


def may_set_roles(member, target, roles: Iterable[Role]) -> Answer:
    """An admin sets a member's roles, but never drops their own admin role (the organization
    could be left without one): a rule (`own_admin_role`)."""
    answer = may_manage_members(member)
    if answer and target.pk == member.pk and Role.ADMIN not in set(roles):
        return _rule(
            "own_admin_role",
            "You cannot remove your own admin role: the organization could be left without "
            "an admin. Ask another admin to do it.",
            "You may not change your own roles so.",
        )
    return answer


def may_change_organization_settings(member, organization) -> Answer:
    """An admin of this very organization (an admin elsewhere is refused as by role)."""
    message = "Only an admin of the organization may change its settings."
    answer = _role(member, {Role.ADMIN}, message)
    if answer and member.organization_id != organization.pk:
        return Answer(False, ROLE, message, roles=frozenset({Role.ADMIN}))
    return answer


def may_view_audit_log(member) -> Answer:
    return _role(member, {Role.ADMIN}, "Only an admin may read the audit log.")


def may_manage_sso(member) -> Answer:
    """Require single sign-on of the organization's members, or lift it: admins."""
    return _role(
        member, {Role.ADMIN}, "Only an admin of the organization changes how its members sign in."
    )


def may_edit_sign_in_mappings(user) -> Answer:
    """The group-to-role mappings serve every organization (one provider): superusers only. It
    asks of the user, not a membership, since no organization owns the mappings."""
    if user is not None and getattr(user, "is_superuser", False):
        return ALLOWED
    return Answer(
        False, ROLE, "Only a superuser edits the sign-in mappings: one provider serves all."
    )


def may_manage_webhooks(member, doing: str = "manage webhooks") -> Answer:
    """Register, delete and test endpoints, read deliveries and send them again: admins.
    `doing` names the action in the refusal ("register webhooks")."""
    return _role(member, {Role.ADMIN}, f"Only an admin may {doing}.")


def may_request_report(member) -> Answer:
    """Any member of the organization requests (and retries) board reports."""
    if member is None:
        return Answer(False, ROLE, "Act in an organization to request its board report.")
    return ALLOWED


# Assessments ----------------------------------------------------------------------------------


def may_edit_assessment(member) -> Answer:
    """Create, score and submit assessments: assessors."""
    return _role(
        member, {Role.ASSESSOR}, "Only an assessor may create, edit or submit assessments."
    )


# Agents and gates -----------------------------------------------------------------------------


def may_register_agent(member) -> Answer:
    return _role(member, {Role.ASSESSOR}, "Only an assessor may register agents.")


def may_edit_agent(member, agent=None) -> Answer:
    """Edit an agent's records (boundaries, escalation paths, tool permissions, guardrails)."""
    return _role(member, {Role.ASSESSOR}, "Only an assessor may edit agent records.")


def may_fill_checklist(member, agent=None) -> Answer:
    return _role(member, {Role.ASSESSOR}, "Only an assessor may fill gate checklists.")


def may_attest(member, agent) -> Answer:
    """Attest tracing or the quality threshold (docs/rules.md §2): an assessor who does not
    own the agent; its owner is refused by rule, 409 `owner_cannot_attest`."""
    answer = _role(member, {Role.ASSESSOR}, "Only an assessor may fill gate checklists.")
    if answer and agent is not None and agent.owner_id == member.user_id:
        return _rule(
            "owner_cannot_attest",
            "The agent's owner may not attest its evidence: ask another assessor.",
            "You own this agent.",
        )
    return answer


def may_post_prompt_version(member, agent=None) -> Answer:
    return _role(member, {Role.ASSESSOR}, "Only an assessor may post prompt versions.")


def may_review_permissions(member, agent=None) -> Answer:
    """Revoke a tool permission or mark it reviewed."""
    return _role(
        member,
        {Role.APPROVER, Role.ADMIN},
        "Only an approver or admin may revoke or review tool permissions.",
    )


def may_record_risk_assessment(member, agent=None) -> Answer:
    return _role(
        member,
        {Role.APPROVER, Role.ADMIN},
        "Only an approver or admin may record a risk assessment.",
    )


def may_decide_gate(member, agent=None, *, barred: str | None = None) -> Answer:
    """An approver decides gates, unless separation of duties bars them from the agent
    (`barred`, the reason `agents.selectors.separation_reason` gives): 409
    `owner_cannot_decide`."""
    answer = _role(member, {Role.APPROVER}, "Only an approver may decide gates.")
    return answer and _owner_barred(barred, "You may not decide on this agent.")


# Kill switch ----------------------------------------------------------------------------------


def may_suspend_agent(member, agent=None) -> Answer:
    return _role(member, {Role.OPERATOR}, "Only an operator may suspend an agent.")


def may_start_drill(member, agent=None) -> Answer:
    return _role(member, {Role.OPERATOR}, "Only an operator may start a kill-switch drill.")


def may_resume_agent(member, agent=None, *, barred: str | None = None) -> Answer:
    """An approver resumes a suspended agent, unless barred from it by separation of duties
    (409 `owner_cannot_decide`; the owner is told another approver must resume it)."""
    answer = _role(member, {Role.APPROVER}, "Only an approver may resume a suspended agent.")
    if not answer or barred is None:
        return answer
    if agent is not None and member.user_id == agent.owner_id:
        return _rule(
            OWNER_CANNOT_DECIDE,
            "You own this agent: another approver must resume it (separation of duties).",
            "You own this agent.",
        )
    return _rule(OWNER_CANNOT_DECIDE, barred, "You may not resume this agent yet.")


DRILL_ENDERS = "Only the operator who started the drill, or an approver, may end it."


def may_end_drills(member) -> Answer:
    """Whether the member's roles end any drill at all (operators end their own, approvers
    any): the guard of the page and the API route; the drill itself asks `may_end_drill`."""
    return _role(member, {Role.OPERATOR, Role.APPROVER}, DRILL_ENDERS)


def may_end_drill(member, drill, *, barred: str | None = None) -> Answer:
    """The member who started this drill, or an approver, ends it; ending it resumes the agent,
    so an approver barred from the agent (`barred`) may not, unless they started it."""
    if member is not None and member.user_id == drill.started_by_id:
        return ALLOWED
    if Role.APPROVER not in _roles(member):
        return Answer(
            False,
            ROLE,
            "Only the operator who started this drill, or an approver, may end it.",
            roles=frozenset({Role.APPROVER}),
        )
    if barred is None:
        return ALLOWED
    return _rule(
        OWNER_CANNOT_DECIDE, barred.replace("decide", "end it"), "You may not end this drill."
    )


def may_manage_agent_tokens(member, agent=None) -> Answer:
    """Create and revoke an agent's runtime tokens: admins."""
    return _role(member, {Role.ADMIN}, "Only an admin may create agent runtime tokens.")


# Outcomes -------------------------------------------------------------------------------------


def may_post_metrics(member, agent=None) -> Answer:
    """Post metric snapshots, in a form, by CSV upload or through the API."""
    return _role(
        member,
        {Role.ASSESSOR, Role.OPERATOR, Role.ADMIN},
        "Only an assessor, operator or admin may post metric snapshots.",
    )


def may_change_thresholds(member, agent=None) -> Answer:
    return _role(member, {Role.ADMIN}, "Only an admin may change an agent's thresholds.")


def may_advance_horizon(member, agent=None, *, barred: str | None = None) -> Answer:
    """An approver advances a stabilization horizon, unless barred from the agent."""
    answer = _role(member, {Role.APPROVER}, "Only an approver may advance a horizon.")
    return answer and _owner_barred(barred, "You may not advance this horizon.")


class May:
    """The questions a template asks of the signed-in member, answered when first read:
    `{% if may.manage_members %}`. Object-level questions (may end this drill) are asked in
    the view and passed in, since a template has no object to ask about."""

    QUESTIONS = {
        "manage_members": may_manage_members,
        "view_audit_log": may_view_audit_log,
        "manage_webhooks": may_manage_webhooks,
        "manage_sso": may_manage_sso,
        "edit_assessment": may_edit_assessment,
        "register_agent": may_register_agent,
        "edit_agent": may_edit_agent,
        "fill_checklist": may_fill_checklist,
        "review_permissions": may_review_permissions,
        "record_risk_assessment": may_record_risk_assessment,
        "decide_gate": may_decide_gate,
        "suspend_agent": may_suspend_agent,
        "start_drill": may_start_drill,
        "resume_agent": may_resume_agent,
        "end_drills": may_end_drills,
        "manage_agent_tokens": may_manage_agent_tokens,
        "post_metrics": may_post_metrics,
        "change_thresholds": may_change_thresholds,
        "advance_horizon": may_advance_horizon,
        "request_report": may_request_report,
    }

    def __init__(self, member, user=None):
        self._member = member
        self._user = user
        self._answers: dict[str, Answer] = {}

    def __getattr__(self, name: str) -> Answer:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "edit_sign_in_mappings":
            return may_edit_sign_in_mappings(self._user)
        question = self.QUESTIONS.get(name)
        if question is None:
            raise AttributeError(f"No permission question named {name!r}.")
        if name not in self._answers:
            self._answers[name] = question(self._member)
        return self._answers[name]
