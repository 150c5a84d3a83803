"""The audit log in sentences: one entry's plain fields in, the sentence a person reads and
the page its object lives on out ("ada recorded a go on phase 2 of Refund triage"). Pure:
no Django (the view reverses the link; docs/rules.md §6).

One small function per action (`TOLD`); figures are written as the pages write them
(core.formatting: fractions as percentages, thousands separators, one date format). An
action with no words here (an older or unknown value) still reads as a sentence, from its
label or its code said as words, and so does an entry whose values are not the shape its
action writes today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.formatting import count, decimal, percent

from .figures import (
    RECORD_WORDS,
    THRESHOLD_WORDS,
    as_list,
    as_map,
    changes,
    day,
    figures_text,
    measurable,
    names,
    number,
    quoted,
    size,
    threshold_value,
    words,
)

SYSTEM = "The system"


@dataclass(frozen=True)
class Entry:
    """What an audit entry holds, as plain values."""

    action: str
    actor: str = ""
    by_system: bool = False  # no user acted (the worker, a threshold, a command)
    object_type: str = ""
    object_id: str = ""
    object_label: str = ""
    before: Any = None
    after: Any = None
    label: str = ""  # the action's label, for the fallback
    currency: str | None = None  # the organization's, for money


@dataclass(frozen=True)
class Link:
    """A URL name and its arguments, reversed by the view."""

    name: str
    args: tuple = ()


@dataclass(frozen=True)
class Told:
    """A sentence in three parts, so the page can link the object's words."""

    lead: str
    subject: str = ""
    tail: str = ""
    link: Link | None = None
    known: bool = True  # False when the action had no words of its own

    @property
    def text(self) -> str:
        return f"{self.lead}{self.subject}{self.tail}"


def _phase(e: Entry) -> Any:
    return as_map(e.after).get("phase", as_map(e.before).get("phase"))


def _and(tail: str, text: str) -> str:
    return f"{tail}: {text}" if text else tail


# --- one function per action: (lead, tail) around the object's words ------------------------

Said = tuple[str, str]


def _org_settings(e: Entry, who: str) -> Said:
    was = as_map(e.before).get("currency")
    now = as_map(e.after).get("currency")
    return f"{who} set the currency of ", f" to {now}" + (f" (was {was})" if was else "")


def _invited(e: Entry, who: str) -> Said:
    return f"{who} invited ", f" as {names(as_map(e.after).get('roles'))}"


def _accepted(e: Entry, who: str) -> Said:
    roles = names(as_map(e.after).get("roles"))
    return f"{who} accepted the invitation for ", f" and joined as {roles}"


def _roles_set(e: Entry, who: str) -> Said:
    via = " in the admin" if as_map(e.after).get("via") == "admin" else ""
    was = names(as_map(e.before).get("roles"))
    return (
        f"{who} set the roles of ",
        f" to {names(as_map(e.after).get('roles'))} (were {was}){via}",
    )


def _removed(e: Entry, who: str) -> Said:
    return f"{who} removed ", f" ({names(as_map(e.before).get('roles'))}) from the organization"


def _api_token(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    member = after.get("member")
    return (
        f"{who} created the API token ",
        f" ({after.get('prefix', '')}…)" + (f" for {member}" if member else ""),
    )


def _sso_signed_in(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    new = ", a new account" if after.get("user_created") else ""
    granted = as_list(after.get("granted"))
    return (
        f"{who} signed in with single sign-on as ",
        f"{new}" + (f"; roles granted: {len(granted)}" if granted else ""),
    )


def _role(e: Entry) -> str:
    role = words(as_map(e.after).get("role"))
    return f"the role {role}" if role else "a role"


def _sso_granted(e: Entry, who: str) -> Said:
    return f"A sign-in mapping granted {_role(e)} to ", ""


def _sso_removed(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    left = ", who left the organization" if after.get("member_left") else ""
    return f"A sign-in mapping took {_role(e)} from ", left


def _mapping(verb: str) -> Callable[[Entry, str], Said]:
    def tell(e: Entry, who: str) -> Said:
        state = as_map(e.after) or as_map(e.before)
        return (
            f"{who} {verb} the sign-in mapping ",
            f" (claim value {quoted(state.get('claim_value'))}, roles {names(state.get('roles'))})",
        )

    return tell


def _sso_required(e: Entry, who: str) -> Said:
    if as_map(e.after).get("require_sso"):
        return f"{who} required single sign-on for ", ""
    return f"{who} stopped requiring single sign-on for ", ""


def _assessment_created(e: Entry, who: str) -> Said:
    copied = as_map(e.after).get("copied_from")
    return f"{who} started the assessment ", (f", copied from #{copied}" if copied else "")


SCORES_SHOWN = 4


def _scores_changed(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    n = len(after)
    shown = {k: after[k] for k in list(after)[:SCORES_SHOWN]}
    more = f"; and {count(n - len(shown))} more" if n > len(shown) else ""
    text = changes(e.before, shown, lambda _k, v: number(v), {})
    return f"{who} changed {count(n)} score{'' if n == 1 else 's'} of ", _and("", text) + more


def _submitted(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    verdict = words(after.get("verdict")).capitalize() or "no verdict"
    return f"{who} submitted the assessment ", f": total {number(after.get('total'))}, {verdict}"


def _agent_created(e: Entry, who: str) -> Said:
    owner = as_map(e.after).get("owner")
    return f"{who} registered the agent ", (f", owned by {owner}" if owner else "")


def _agent_updated(e: Entry, who: str) -> Said:
    keys = [RECORD_WORDS.get(k, words(k)) for k in as_map(e.after)]
    return f"{who} changed the records of ", _and("", ", ".join(keys))


def _risk(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    return (
        f"{who} recorded a risk assessment of the {words(after.get('scope')) or 'scope'} "
        f"{quoted(after.get('subject'))} for ",
        "",
    )


def _permission_revoked(e: Entry, who: str) -> Said:
    tool = as_map(e.before).get("tool")
    return f"{who} revoked the tool permission {quoted(tool)} of ", ""


def _permission_reviewed(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    return (
        f"{who} marked the tool permission {quoted(after.get('tool'))} of ",
        " reviewed" + (f": {after['note']}" if after.get("note") else ""),
    )


def _agent_token(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    return (
        f"{who} created the runtime token {quoted(after.get('name'))} "
        f"({after.get('prefix', '')}…) for ",
        "",
    )


def _reason(e: Entry) -> str:
    reason = as_map(e.after).get("reason")
    return f": {reason}" if reason else ""


def _suspended_automatic(e: Entry, who: str) -> Said:
    return f"{who} suspended ", " automatically" + _reason(e)


def _stop_time(e: Entry) -> str:
    seconds = as_map(e.after).get("time_to_stop_s")
    if measurable(seconds):
        return f"; the runtime stopped in {decimal(seconds, 1)} s"
    return "; the runtime never read the suspension"


def _drill_ended(e: Entry, who: str) -> Said:
    return f"{who} ended the kill-switch drill on ", _stop_time(e)


def _checklist(e: Entry, who: str) -> Said:
    old, new = as_map(as_map(e.before).get("items")), as_map(as_map(e.after).get("items"))
    parts = []
    for key, item in new.items():
        was = as_map(old.get(key))
        met = as_map(item).get("met")
        if met != was.get("met"):
            parts.append(f"{words(key)} {'met' if met else 'not met'}")
        else:
            parts.append(f"{words(key)} evidence changed")
    return f"{who} changed the phase {_phase(e)} checklist of ", _and("", "; ".join(parts))


def _decided(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    word = "a go" if after.get("decision") == "go" else "a no-go"
    unmet = as_list(after.get("unmet_items"))
    tail = f" with {count(len(unmet))} item{'' if len(unmet) == 1 else 's'} unmet" if unmet else ""
    return f"{who} recorded {word} on phase {_phase(e)} of ", tail


def _needs_review(e: Entry, who: str) -> Said:
    why = as_map(e.after).get("why")
    shown = f" ({words(why)})" if isinstance(why, str) and why else ""
    return f"{who} sent phase {_phase(e)} of ", " to review" + shown


def _prompt(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    delta = after.get("delta")
    shown = f", delta {percent(delta, 1)}" if measurable(delta) else ""
    if after.get("ship"):
        verdict = f": it may ship{shown}"
    else:
        verdict = f": it may not ship ({names(after.get('reasons'), 'no reason given')}){shown}"
    return f"{who} posted prompt version {quoted(after.get('tag'))} of ", verdict


METRIC_KEYS = ("task_completion_rate", "escalation_frequency", "error_rate")


def _metrics(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    period = as_list(after.get("period"))
    when = f" for {day(period[0])} to {day(period[1])}" if len(period) == 2 else ""
    shown = figures_text(after.get("figures"), e.currency, METRIC_KEYS)
    breaches = as_list(after.get("breaches"))
    crossed = f"; crossed {names(breaches)}" if breaches else ""
    return f"{who} posted a metric snapshot of ", when + _and("", shown) + crossed


def _thresholds(e: Entry, who: str) -> Said:
    text = changes(e.before, e.after, threshold_value, THRESHOLD_WORDS)
    return f"{who} changed the thresholds of ", _and("", text)


def _horizon_started(e: Entry, who: str) -> Said:
    return f"{who}'s go on phase 4 put ", " in production: stabilization started"


def _horizon_advanced(e: Entry, who: str) -> Said:
    old, new = words(as_map(e.before).get("horizon")), words(as_map(e.after).get("horizon"))
    return f"{who} advanced ", f" from {old or '–'} to {new or '–'}"


def _report_requested(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    start, end = after.get("period_start"), after.get("period_end")
    return f"{who} requested the board report ", f" for {day(start)} to {day(end)}"


def _report_done(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    pages = after.get("pages")
    shown = f"{number(pages)} page{'' if pages == 1 else 's'}, " if pages is not None else ""
    return f"{who} finished the board report ", f": {shown}{size(after.get('size'))}"


def _report_failed(e: Entry, who: str) -> Said:
    error = as_map(e.after).get("error")
    return "The board report ", " failed" + (f": {error}" if error else "")


def _preferences(e: Entry, who: str) -> Said:
    email = as_map(as_map(e.after).get("email"))
    on = [words(k) for k, v in email.items() if v]
    off = [words(k) for k, v in email.items() if not v]
    parts = ([f"on for {', '.join(on)}"] if on else []) + (
        [f"off for {', '.join(off)}"] if off else []
    )
    return f"{who} changed their email choices", _and("", "; ".join(parts))


def _webhook_created(e: Entry, who: str) -> Said:
    after = as_map(e.after)
    return f"{who} registered the webhook endpoint ", f" for {names(after.get('events'))}"


def _webhook_deleted(e: Entry, who: str) -> Said:
    deliveries = as_map(e.before).get("deliveries")
    tail = f" and its {number(deliveries)} deliveries" if deliveries else ""
    return f"{who} deleted the webhook endpoint ", tail


def _webhook_resent(e: Entry, who: str) -> Said:
    delivery = as_map(e.after).get("delivery")
    return f"{who} sent delivery #{delivery} again to ", ""


TOLD: dict[str, Callable[[Entry, str], Said]] = {
    "organization.created": lambda e, who: (f"{who} created the organization ", ""),
    "organization.settings_changed": _org_settings,
    "member.invited": _invited,
    "member.invitation_accepted": _accepted,
    "member.invitation_declined": lambda e, who: (f"{who} declined the invitation for ", ""),
    "member.roles_set": _roles_set,
    "member.removed": _removed,
    "member.deactivated": lambda e, who: (f"{who} deactivated ", ""),
    "member.reactivated": lambda e, who: (f"{who} reactivated ", ""),
    "user.password_changed": lambda e, who: (f"{who} changed their password", ""),
    "api_token.created": _api_token,
    "api_token.revoked": lambda e, who: (f"{who} revoked the API token ", ""),
    "sso.signed_in": _sso_signed_in,
    "sso.role_granted": _sso_granted,
    "sso.role_removed": _sso_removed,
    "sso.mapping_created": _mapping("created"),
    "sso.mapping_changed": _mapping("changed"),
    "sso.mapping_deleted": _mapping("deleted"),
    "sso.requirement_set": _sso_required,
    "assessment.created": _assessment_created,
    "assessment.scores_changed": _scores_changed,
    "assessment.submitted": _submitted,
    "agent.created": _agent_created,
    "agent.updated": _agent_updated,
    "agent.risk_assessed": _risk,
    "agent.permission_revoked": _permission_revoked,
    "agent.permission_reviewed": _permission_reviewed,
    "agent_token.created": _agent_token,
    "agent.suspended.manual": lambda e, who: (f"{who} suspended ", _reason(e)),
    "agent.suspended.drill": lambda e, who: (f"{who} started a kill-switch drill on ", _reason(e)),
    "agent.suspended.automatic": _suspended_automatic,
    "agent.resumed": lambda e, who: (f"{who} resumed ", _reason(e)),
    "agent.drill_ended": _drill_ended,
    "agent.drill_superseded": lambda e, who: (
        f"{who} ended the kill-switch drill on ",
        ", superseded by an automatic suspension",
    ),
    "gate.checklist_changed": _checklist,
    "gate.decided": _decided,
    "gate.needs_review": _needs_review,
    "prompt_version.posted": _prompt,
    "metrics.posted": _metrics,
    "agent.thresholds_changed": _thresholds,
    "agent.horizon_started": _horizon_started,
    "agent.horizon_advanced": _horizon_advanced,
    "report.requested": _report_requested,
    "report.retried": lambda e, who: (f"{who} retried the board report ", ""),
    "report.done": _report_done,
    "report.failed": _report_failed,
    "reminder.announced": lambda e, who: (f"{who} sent a reminder: ", ""),
    "notification.preferences_changed": _preferences,
    "webhook.created": _webhook_created,
    "webhook.deleted": _webhook_deleted,
    "webhook.tested": lambda e, who: (f"{who} sent a test event to ", ""),
    "webhook.delivery_resent": _webhook_resent,
}


# --- the object's words and its page ---------------------------------------------------------

NO_SUBJECT = {"user.password_changed", "notification.preferences_changed"}
PHASED = {"gate.checklist_changed", "gate.decided", "gate.needs_review"}
DETAIL_PAGES = {
    "agents.Agent": "agents:detail",
    "assessments.Assessment": "assessments:detail",
    "reports.Report": "reports:detail",
    "webhooks.Endpoint": "webhooks:deliveries",
    "sso.GroupMapping": "sso:mapping_edit",
}
LIST_PAGES = {
    "accounts.Membership": "members",
    "accounts.Invitation": "members",
    "accounts.Organization": "organization_settings",
    "sso.Policy": "sso:require",
}
GONE = {
    ("webhook.deleted", "webhooks.Endpoint"): "webhooks:list",
    ("sso.mapping_deleted", "sso.GroupMapping"): "sso:mappings",
}


def subject(e: Entry) -> str:
    """The object's words: its label, without the " phase N" the gate entries add."""
    label = e.object_label or (f"{words(e.object_type)} {e.object_id}".strip())
    phase = _phase(e)
    suffix = f" phase {phase}"
    if e.action in PHASED and label.endswith(suffix):
        label = label.removesuffix(suffix)
    return label


def link(e: Entry) -> Link | None:
    """The page of the entry's object, from its type and id (a gate's page for a gate's
    entry); the list it was on when the object is gone; None when it has no page."""
    if (e.action, e.object_type) in GONE:
        return Link(GONE[e.action, e.object_type])
    if e.object_type in LIST_PAGES:
        return Link(LIST_PAGES[e.object_type])
    if e.object_type not in DETAIL_PAGES or not e.object_id.isdigit():
        return None
    pk = int(e.object_id)
    phase = _phase(e)
    if e.object_type == "agents.Agent" and e.action in PHASED and phase in (1, 2, 3, 4):
        return Link("gates:gate", (pk, phase))
    return Link(DETAIL_PAGES[e.object_type], (pk,))


def _fallback(e: Entry, who: str) -> Told:
    what = e.label or words(e.action.replace(".", " ")).capitalize() or "an unnamed action"
    words_of = subject(e)
    lead = f"{who} recorded: {what}" + (" on " if words_of else "")
    return Told(lead, words_of, "", link(e), known=False)


def tell(e: Entry) -> Told:
    """The entry as a sentence, with its object's page."""
    who = SYSTEM if e.by_system else (e.actor or "Someone")
    say = TOLD.get(e.action)
    if say is None:
        return _fallback(e, who)
    try:
        lead, tail = say(e, who)
    except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
        return _fallback(e, who)
    if e.action in NO_SUBJECT:
        return Told(lead, "", tail, None)
    return Told(lead, subject(e), tail, link(e))
