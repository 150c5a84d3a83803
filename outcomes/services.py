"""Writes of outcome metrics, thresholds and horizons (docs/rules.md §3–4). Rules live in
outcomes/metrics.py; these fetch the facts, call them, change rows in one transaction and write
the audit entry. A snapshot that crosses an alert threshold suspends the agent through
killswitch.services; a change of alert thresholds sends phase 4 to review through
gates.services."""

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import NamedTuple, cast

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from agents.models import Agent
from agents.selectors import separation_reason
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput
from core.inputs import parse
from gates import rules
from gates.models import Gate, GateDecision
from gates.services import gate_review, gates_recheck
from killswitch.services import agent_suspend_automatic, automatic_suspension_email

from . import csv_rows, inputs, metrics, selectors
from .inputs import SnapshotInput, ThresholdsChange
from .models import THRESHOLD_SWITCHES, AgentThresholds, HorizonDecision, MetricSnapshot

ALERT_FIELDS = (
    "alert_error_rate_max",
    "alert_escalation_max",
    "alert_completion_min",
    "alert_failed_tool_calls_max",
    "alert_policy_violations_max",
    "alert_quality_min",
    "alert_unregistered_tool_use",
    *THRESHOLD_SWITCHES,
)


THRESHOLD_FIELDS = (
    "advance_completion_min",
    "advance_escalation_max",
    "advance_error_mode",
    "advance_error_max",
    *ALERT_FIELDS,
    "budget_alert_percent",
    "stabilization_weeks",
)


REASON = "stabilization_reason"


def thresholds_of(agent: Agent) -> metrics.Thresholds:
    row = AgentThresholds.objects.filter(agent=agent).first()
    if row is None:
        return metrics.Thresholds()
    return metrics.Thresholds(**{name: getattr(row, name) for name in THRESHOLD_FIELDS})


def _check_metric_role(membership: Membership) -> None:
    permissions.may_post_metrics(membership).require()


def _save_snapshot(agent: Agent, clean: dict, membership: Membership) -> dict:
    """Save one validated snapshot, check the alert thresholds, suspend on a breach."""
    figures = metrics.derived_figures(clean)
    thresholds = thresholds_of(agent)
    breaches = metrics.alert_breaches(clean, figures, thresholds, agent.api_calls_per_hour)
    snapshot = MetricSnapshot.objects.create(
        agent=agent,
        created_by=membership.user,
        breaches=[asdict(b) for b in breaches],
        **clean,
    )
    audit_record(
        organization=agent.organization,
        actor=membership.user,
        action=Action.METRICS_POSTED,
        target=agent,
        after={
            "snapshot": snapshot.pk,
            "period": [clean["period_start"].isoformat(), clean["period_end"].isoformat()],
            "figures": figures,
            "breaches": [b.threshold for b in breaches],
        },
    )
    suspended = False
    if breaches and thresholds.auto_suspend:
        suspension = agent_suspend_automatic(
            agent=agent,
            # The same sentence as the operators' email: fractions as percentages.
            reason="Alert threshold crossed: " + " ".join(_in_words(b) for b in breaches),
            details={"snapshot": snapshot.pk, "breaches": [asdict(b) for b in breaches]},
        )
        suspended = suspension is not None
        if suspended:
            transaction.on_commit(
                lambda: automatic_suspension_email(
                    agent=agent, sentences=[_in_words(b) for b in breaches]
                )
            )
    return {"snapshot": snapshot, "figures": figures, "breaches": breaches, "suspended": suspended}


class Checked(NamedTuple):
    """A snapshot as checked: the model (None while anything is refused), the period's days
    where they were read (for the overlap rule), and every refusal by field."""

    snapshot: SnapshotInput | None
    period: metrics.Period | None
    errors: dict[str, list[str]]


def _shape(data: object) -> tuple[SnapshotInput | None, dict[str, list[str]]]:
    """`data` checked by outcomes.inputs.SnapshotInput: the model, or every refusal."""
    if isinstance(data, SnapshotInput):
        return data, {}
    if not isinstance(data, Mapping):
        return None, {"__all__": ["Send an object with the snapshot's fields."]}
    try:
        return parse(SnapshotInput, dict(data), what="the snapshot's fields"), {}
    except InvalidInput as error:
        return None, dict(error.errors)


def snapshot_check(data: object, *, today: date) -> Checked:
    """One snapshot checked as every caller's is: its shape (SnapshotInput, the one definition),
    then the rule that needs today, on the period's end even while another field is refused,
    so that every refusal comes at once. The overlap with stored periods is the caller's."""
    snapshot, errors = _shape(data)
    start, end = (
        (snapshot.period_start, snapshot.period_end)
        if snapshot is not None
        else inputs.period_days(data)
    )
    if end is not None and "period_end" not in errors:
        late = metrics.period_end_error(end, today)
        if late:
            errors["period_end"] = [late]
    refused = bool({"period_start", "period_end"} & set(errors))
    period = (start, end) if start is not None and end is not None and not refused else None
    return Checked(None if errors else snapshot, period, errors)


@transaction.atomic
def metric_snapshot_post(
    *, agent: Agent, membership: Membership, data: SnapshotInput | object
) -> dict:
    """Save one period's metrics. `data` is a SnapshotInput the API already checked, or
    anything else to check with it here; the period must have ended and overlap none of the
    agent's."""
    _check_metric_role(membership)
    checked = snapshot_check(data, today=timezone.now().date())
    if checked.snapshot is None:
        raise InvalidInput(checked.errors)
    # The agent's row stays locked until commit, so two posts of one period cannot both land.
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    overlaps = metrics.period_overlaps([checked.period], selectors.snapshot_periods(agent=locked))
    if overlaps:
        raise InvalidInput({"period_start": [overlaps[0]]})
    return _save_snapshot(locked, checked.snapshot.model_dump(), membership)


def _in_words(breach: metrics.Breach) -> str:
    """A breach for people: fractions as percentages."""
    label = breach.threshold.replace("_", " ").capitalize()
    if breach.threshold in ("policy_violations", "calls_per_hour"):
        value, limit = f"{breach.value:g}", f"{breach.limit:g}"
    else:
        value, limit = f"{breach.value:.1%}", f"{breach.limit:.1%}"
    side = "below" if breach.value < breach.limit else "above"
    return f"{label} {value} is {side} the alert limit of {limit}."


def parse_csv(text: str) -> list[dict]:
    """Rows of a metrics CSV as dicts of typed values (outcomes.csv_rows: commas or
    semicolons, rates as fractions or with a % sign); a cell that does not parse stays a
    string so validation names it."""
    return csv_rows.parse_rows(text)


def _row_overlaps(checked: Sequence[Checked], existing: Sequence[metrics.Period]) -> dict[int, str]:
    """Rows (numbered from 1) whose period overlaps a stored snapshot or another row; a row
    whose period is itself refused (missing, reversed, after today, before 2000) is skipped."""
    periods = [row.period for row in checked]
    return {i + 1: m for i, m in metrics.period_overlaps(periods, existing).items()}


def csv_preview(
    rows: list[dict], *, today: date, existing: Sequence[metrics.Period] = ()
) -> list[dict]:
    """Per row: its values, the checked values, the derived figures and the errors (nothing
    saved). `existing` are the agent's stored periods (selectors.snapshot_periods), which no
    row may overlap."""
    checked = [snapshot_check(row, today=today) for row in rows]
    overlaps = _row_overlaps(checked, existing)
    preview = []
    for index, row in enumerate(rows, start=1):
        snapshot, _, errors = checked[index - 1]
        if index in overlaps and "period_start" not in errors:
            errors, snapshot = {**errors, "period_start": [overlaps[index]]}, None
        clean = snapshot.model_dump() if snapshot is not None else None
        preview.append(
            {
                "row": index,
                "values": row,
                "clean": clean,
                "errors": errors,
                "figures": None if clean is None else metrics.derived_figures(clean),
            }
        )
    return preview


@transaction.atomic
def metric_snapshots_import(
    *, agent: Agent, membership: Membership, rows: list[dict]
) -> list[dict]:
    """Save every row or none: any bad row refuses the whole file."""
    _check_metric_role(membership)
    today = timezone.now().date()
    checked = [snapshot_check(row, today=today) for row in rows]
    errors = {
        f"rows.{index}.{field}": messages
        for index, row in enumerate(checked, start=1)
        for field, messages in row.errors.items()
    }
    if errors:
        raise InvalidInput(errors)
    # Checked under the agent's lock, so a concurrent post of the same period cannot land too.
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    overlaps = _row_overlaps(checked, selectors.snapshot_periods(agent=locked))
    if overlaps:
        raise InvalidInput({f"rows.{i}.period_start": [m] for i, m in sorted(overlaps.items())})
    snapshots = [row.snapshot for row in checked if row.snapshot is not None]  # every row
    return [_save_snapshot(locked, snapshot.model_dump(), membership) for snapshot in snapshots]


@transaction.atomic
def thresholds_update(
    *, agent: Agent, membership: Membership, data: ThresholdsChange | object
) -> AgentThresholds:
    """Change the thresholds sent. `data` is a ThresholdsChange the API already checked, or
    anything else to check with it here (outcomes/inputs.py: one definition, checked once);
    what needs the stored row (a fixed error mode needs its rate, a short stabilization its
    reason) is checked against it."""
    permissions.may_change_thresholds(membership, agent).require()
    change = (
        data
        if isinstance(data, ThresholdsChange)
        else parse(ThresholdsChange, data, what="thresholds")
    )
    clean = change.changes()
    errors: dict = {}
    row, _ = AgentThresholds.objects.select_for_update().get_or_create(agent=agent)
    mode = clean.get("advance_error_mode", row.advance_error_mode)
    fixed = clean.get("advance_error_max", row.advance_error_max)
    if mode == "fixed" and fixed is None:
        errors["advance_error_max"] = ["Give the fixed error-rate fraction (0 to 1)."]
    reason = _stabilization_reason(row, change, clean, errors)
    if errors:
        raise InvalidInput(errors)
    fields = (*THRESHOLD_FIELDS, REASON)
    before = {name: getattr(row, name) for name in fields}
    for key, value in {**clean, REASON: reason}.items():
        setattr(row, key, value)
    after = {name: getattr(row, name) for name in fields}
    changed = [name for name in fields if before[name] != after[name]]
    if "stabilization_weeks" in changed and row.stabilization_short and REASON not in changed:
        changed.append(REASON)  # a new short minimum is recorded with its reason
    if changed:
        row.updated_by = membership.user
        row.updated_at = timezone.now()
        row.save()
        audit_record(
            organization=agent.organization,
            actor=membership.user,
            action=Action.AGENT_THRESHOLDS_CHANGED,
            target=agent,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        gates_recheck(agents=[agent], actor=membership.user)
        alerts = [name for name in changed if name in ALERT_FIELDS]
        if alerts:
            gate_review(agent, 4, membership.user, "alert thresholds changed: " + ", ".join(alerts))
    return row


def _stabilization_reason(
    row: AgentThresholds, change: ThresholdsChange, clean: dict, errors: dict
) -> str:
    """The reason to store with the stabilization minimum (docs/short-stabilization.md):
    required when the change sets a minimum below STABILIZATION_USUAL_WEEKS (a new value, or
    the same one while none is recorded), refused with a usual minimum, which stores none."""
    weeks = clean.get("stabilization_weeks", row.stabilization_weeks)
    usual = AgentThresholds.STABILIZATION_USUAL_WEEKS
    sent = REASON in change.model_fields_set
    reason = change.stabilization_reason if sent else ""
    if weeks >= usual:
        if reason:
            errors[REASON] = [
                f"Only a stabilization minimum below {usual} weeks takes a reason; "
                f"this one is {weeks}."
            ]
        return ""
    if not reason and (
        sent
        or weeks != row.stabilization_weeks
        or ("stabilization_weeks" in clean and not row.stabilization_reason)
    ):
        errors[REASON] = [
            f"Required for a stabilization minimum below {usual} weeks: say why {weeks} "
            "weeks in production are enough for this agent."
        ]
    return reason or row.stabilization_reason


def production_since(agent: Agent) -> datetime | None:
    """When phase 4 went to go for the current run in production: the first go on phase 4
    after its last no-go."""
    decisions = GateDecision.objects.filter(gate__agent=agent, gate__phase=4).order_by(
        "decided_at", "id"
    )
    since = None
    for decision in decisions:
        if decision.decision == "no_go":
            since = None
        elif since is None:
            since = decision.decided_at
    return since


def latest_snapshot(agent: Agent) -> MetricSnapshot | None:
    return MetricSnapshot.objects.filter(agent=agent).order_by("-period_end", "-id").first()


def horizon_advance_reasons(
    *, agent: Agent, membership: Membership, now: datetime | None = None
) -> list[metrics.Reason]:
    now = now or timezone.now()
    # Gate.State's values are exactly rules.GateState's; the stubs type the column as str.
    states = {g.phase: cast(rules.GateState, g.state) for g in Gate.objects.filter(agent=agent)}
    latest = latest_snapshot(agent)
    values = latest.values() if latest else None
    barred = separation_reason(agent=agent, user_id=membership.user_id, now=now)
    return metrics.advance_reasons(
        horizon=agent.horizon or None,
        in_production=rules.in_production(states),
        suspended=agent.is_suspended,
        production_since=production_since(agent),
        now=now,
        latest=values,
        figures=metrics.derived_figures(values) if values else None,
        thresholds=thresholds_of(agent),
        decider_is_owner=barred is not None,
        owner_message=barred,
    )


@transaction.atomic
def horizon_advance(*, agent: Agent, membership: Membership, rationale: str) -> HorizonDecision:
    permissions.may_advance_horizon(membership, agent).require()
    if not isinstance(rationale, str) or not rationale.strip():
        raise InvalidInput({"rationale": ["Write the rationale for this advance."]})
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    reasons = horizon_advance_reasons(agent=locked, membership=membership)
    if reasons:
        raise Conflict(
            "The horizon cannot advance yet.",
            [ConflictReason(r.code, r.message, dict(r.extra)) for r in reasons],
        )
    target = metrics.next_horizon(locked.horizon)
    latest = latest_snapshot(locked)
    decision = HorizonDecision.objects.create(
        agent=locked,
        from_horizon=locked.horizon,
        # No reason left means a next horizon and a latest snapshot (metrics.advance_reasons).
        to_horizon=target,  # type: ignore[misc]
        rationale=rationale.strip(),
        figures=metrics.derived_figures(latest.values()),  # type: ignore[union-attr]
        decided_by=membership.user,
    )
    Agent.objects.filter(pk=locked.pk).update(horizon=target, updated_at=timezone.now())
    audit_record(
        organization=locked.organization,
        actor=membership.user,
        action=Action.AGENT_HORIZON_ADVANCED,
        target=locked,
        before={"horizon": locked.horizon},
        after={"horizon": target, "rationale": decision.rationale, "figures": decision.figures},
    )
    return decision
