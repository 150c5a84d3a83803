"""An agent's pages: registering it, its page (gates, kill switch, tools, prompt versions and
timeline), editing its records, and the actions that re-show the page with their form
(resuming, runtime tokens) or that touch records and gates at once (permission reviews).

Each view reads through the selectors and writes through one service; registering and editing
go through overview/services.py, which opens or reviews the gates in the same transaction.
Another organization's agent is a 404 on every URL.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import active_member_list
from agents.forms import AgentForm, AgentRecordsForms, PermissionReviewForm
from agents.rules import permission_review_reasons
from agents.selectors import business_units
from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.page_cache import cached_page
from core.permissions import by_roles
from core.tenancy import member_required, url_object
from gates import rules
from gates.checklists import phase_definition
from gates.evidence_selectors import evidence_facts_of, item_counts, items_of
from gates.models import Gate
from gates.selectors import agent_get, gate_states, gates_detail
from killswitch import services as killswitch_services
from killswitch.forms import AgentTokenForm, ReasonForm
from killswitch.rules import drill_flag
from killswitch.selectors import drill_list, open_suspension
from telemetry.selectors import telemetry_panel

from . import services
from .selectors import agent_page_get
from .timeline import GUARDRAIL_LABELS, TIMELINE_STEP, agent_timeline, timeline_limit

# Which records each gate's go depends on (agents.services.GOVERNANCE_PHASE, in words).
GOVERNED_BY_GATE = {
    1: "the owner, decision boundaries, escalation paths or tool permissions",
    3: "the guardrail limits",
}


def _organization(request):
    return request.membership.organization


def _agent(request, pk):
    return agent_get(organization=_organization(request), pk=pk)


def _members(request):
    return list(active_member_list(organization=_organization(request)))


@member_required(allow=by_roles(permissions.may_edit_agent))
def agent_new(request):
    organization = _organization(request)
    units = business_units(organization=organization)
    form = AgentForm(request.POST or None, members=_members(request), business_units=units)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_create(membership=request.membership, data=form.service_data())
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        else:
            messages.success(
                request,
                f"Registered “{agent.name}”. Next: record its decision boundaries, escalation "
                "paths, tool permissions and guardrails, then fill phase 1's checklist.",
            )
            return redirect("agents:detail", pk=agent.pk)
    return render(
        request,
        "overview/new.html",
        {"form": form, "business_units": units},
        status=400 if form.errors else 200,
    )


def _gate_summaries(agent, states) -> list[dict]:
    """Each gate with its decisions and how many of its computed items are met (`states`:
    the agent's items, read once for the page)."""
    counts = item_counts(states)
    rows = []
    for gate in gates_detail(agent=agent):
        definition = phase_definition(gate.phase)
        decisions = list(gate.decisions.all())
        rows.append(
            {
                "gate": gate,
                "name": definition.name,
                "met": counts[gate.phase]["met"],
                "of": counts[gate.phase]["of"],
                "attested": counts[gate.phase]["attested"],
                "latest": decisions[0] if decisions else None,
                "decisions": decisions,
            }
        )
    return rows


def _people(facts) -> rules.PeopleFacts:
    """gates.selectors.people_facts, from the evidence the page read already (the same
    owner, active members and escalation owners: two queries fewer)."""
    return rules.PeopleFacts(
        owner=facts.owner,
        owner_active=facts.owner_active,
        inactive_escalation_owners=facts.inactive_escalation_owners,
    )


def _detail_page(
    request,
    agent,
    *,
    resume_form=None,
    token_form=None,
    raw_token=None,
    created_token=None,
    status=200,
):
    member = request.membership
    now = timezone.now()
    suspension = open_suspension(agent=agent) if agent.is_suspended else None
    drills = list(drill_list(agent=agent)[:5])
    last_drill = drills[0] if drills else None
    limit = timeline_limit(request)
    timeline, more = agent_timeline(agent, limit)
    # The agent's evidence, read once: the gates' counts and the people's gaps both use it.
    facts = evidence_facts_of([agent], now=now)[agent.pk]
    gates = _gate_summaries(agent, items_of(facts))
    states = {row["gate"].phase: row["gate"].state for row in gates}
    today = now.date()
    tools = [
        {
            "permission": t,
            "flags": permission_review_reasons(
                last_used=t.last_used,
                last_reviewed=t.last_reviewed,
                created=t.created_at.date(),
                today=today,
            ),
        }
        for t in agent.tool_permissions.all()
    ]
    is_manager = bool(permissions.may_manage_agent_tokens(member))
    response = render(
        request,
        "overview/detail.html",
        {
            "agent": agent,
            "phase": rules.agent_phase(states),
            "gates": gates,
            "suspension": suspension,
            "open_drill": suspension if suspension and suspension.kind == "drill" else None,
            # The template shows the end button by role and starter alone; the barred case
            # is refused, with its reason, when pressed.
            "may_end_this_drill": bool(
                suspension
                and suspension.kind == "drill"
                and permissions.may_end_drill(request.membership, suspension)
            ),
            "drills": drills,
            "last_drill": last_drill,
            "drill_flag": drill_flag(last_drill.started_at if last_drill else None, now),
            "tools": tools,
            "guardrails": [
                (GUARDRAIL_LABELS[key], value) for key, value in agent.guardrails().items()
            ],
            "prompt_versions": list(agent.prompt_versions.select_related("created_by")[:20]),
            "timeline": timeline,
            "timeline_more": more,
            "timeline_next": limit + TIMELINE_STEP,
            "resume_form": resume_form
            or ReasonForm(
                prefix="resume",
                label="Reason for resuming",
                help_text="What was checked or fixed. Recorded with your name.",
            ),
            "token_form": token_form or AgentTokenForm(prefix="token"),
            "tokens": list(agent.tokens.all()) if is_manager else [],
            "raw_token": raw_token,
            "created_token": created_token,
            "can_edit": bool(permissions.may_edit_agent(member)),
            "can_review": bool(permissions.may_review_permissions(member)),
            "can_suspend": bool(permissions.may_suspend_agent(member)),
            "can_resume": bool(permissions.may_resume_agent(member)),
            "can_end_drill": bool(permissions.may_end_drills(member)),
            "can_manage_tokens": is_manager,
            "is_owner": request.user.pk == agent.owner_id,
            "people_gaps": list(rules.people_gaps(_people(facts)).values()),
            "telemetry": telemetry_panel(agent=agent, now=now),
            "otlp_endpoint": request.build_absolute_uri("/api/v1/otlp"),
        },
        status=status,
    )
    if raw_token:
        # The raw token is shown once: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@member_required
@cached_page
def agent_detail(request, pk):
    return _detail_page(request, agent_page_get(organization=_organization(request), pk=pk))


def _edit_page(request, agent, bundle, *, status=200, stale=None, refusal=None):
    states = gate_states(agent)
    return render(
        request,
        "overview/edit.html",
        {
            "agent": agent,
            "bundle": bundle,
            "form": bundle.form,
            "business_units": business_units(organization=_organization(request)),
            "review_warnings": [
                {"phase": phase, "what": what}
                for phase, what in GOVERNED_BY_GATE.items()
                if states.get(phase) == Gate.State.GO
            ],
            "stale": stale,
            "refusal": refusal,
        },
        status=status,
    )


@member_required(allow=by_roles(permissions.may_edit_agent), objects=url_object(agent_get))
def agent_edit(request, pk):
    agent = _agent(request, pk)
    members = _members(request)
    if request.method != "POST":
        return _edit_page(request, agent, AgentRecordsForms(agent=agent, members=members))
    bundle = AgentRecordsForms(request.POST, agent=agent, members=members)
    if bundle.is_valid():
        before = gate_states(agent)
        try:
            updated = services.agent_update(
                agent=agent,
                membership=request.membership,
                data=bundle.service_data(),
                expected_version=bundle.version,
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            bundle.add_service_errors(error.errors)
        except Conflict as conflict:
            if "stale_version" not in conflict.codes:
                # e.g. a new tool in optimization without its risk assessment: keep the input.
                return _edit_page(
                    request,
                    agent,
                    bundle,
                    status=409,
                    refusal={
                        "title": conflict.detail,
                        "reasons": [r.message for r in conflict.reasons],
                    },
                )
            fresh = _agent(request, pk)
            return _edit_page(
                request,
                fresh,
                AgentRecordsForms(agent=fresh, members=members),
                status=409,
                stale=(
                    f"Someone saved {fresh.name} after you opened this page (it is now at "
                    f"version {fresh.version}). Nothing of yours was saved: their records are "
                    "shown below; make your changes again."
                ),
            )
        else:
            review = sorted(
                gate.phase
                for gate in updated.gates.all()
                if gate.state == Gate.State.NEEDS_REVIEW and before.get(gate.phase) == "go"
            )
            messages.success(request, f"Saved the records of “{updated.name}”.")
            for phase in review:
                messages.warning(
                    request,
                    f"Phase {phase} was at go and now needs review: an approver must decide "
                    "it again.",
                )
            return redirect("agents:detail", pk=agent.pk)
    return _edit_page(request, agent, bundle, status=400)


@require_POST
@member_required(allow=by_roles(permissions.may_resume_agent), objects=url_object(agent_get))
def agent_resume(request, pk):
    agent = _agent(request, pk)
    form = ReasonForm(request.POST, prefix="resume", label="Reason for resuming")
    if not form.is_valid():
        return _detail_page(request, agent, resume_form=form, status=400)
    try:
        killswitch_services.agent_resume(
            agent=agent, membership=request.membership, reason=form.cleaned_data["reason"]
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _detail_page(request, agent, resume_form=form, status=400)
    except Conflict as conflict:
        messages.error(request, conflict.text)
    else:
        messages.success(request, f"“{agent.name}” is active again.")
    return redirect("agents:detail", pk=agent.pk)


@require_POST
@member_required(allow=by_roles(permissions.may_manage_agent_tokens), objects=url_object(agent_get))
def agent_token_create(request, pk):
    agent = _agent(request, pk)
    form = AgentTokenForm(request.POST, prefix="token")
    if not form.is_valid():
        return _detail_page(request, agent, token_form=form, status=400)
    try:
        token, raw = killswitch_services.agent_token_create(
            agent=agent, membership=request.membership, name=form.cleaned_data["name"]
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    return _detail_page(request, agent, raw_token=raw, created_token=token)


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=False
    ):
        return value
    return reverse("registry:permissions")


def _permission_confirm(request, agent, permission, form, *, back, status=200):
    """Marking a permission reviewed asks first, with the note the audit log keeps."""
    return render(
        request,
        "overview/permission_review.html",
        {"agent": agent, "permission": permission, "form": form, "back": back},
        status=status,
    )


@member_required(allow=by_roles(permissions.may_review_permissions), objects=url_object(agent_get))
def permission_review(request, pk, permission_id):
    """Revoke a flagged tool permission, or mark it reviewed today with a note after a
    confirm step (a GET shows that step too); each is audited."""
    agent = _agent(request, pk)
    permission = next((p for p in agent.tool_permissions.all() if p.pk == permission_id), None)
    if permission is None:
        raise Http404("No such tool permission.")
    if request.method != "POST":
        back = _safe_next(request, request.GET.get("next", ""))
        form = PermissionReviewForm(initial={"action": "mark_reviewed", "next": back})
        return _permission_confirm(request, agent, permission, form, back=back)
    form = PermissionReviewForm(request.POST)
    valid = form.is_valid()
    back = _safe_next(request, form.cleaned_data.get("next", "") if valid else "")
    if not valid and set(form.errors) != {"note"}:
        messages.error(request, "Choose revoke or mark reviewed: nothing changed.")
        return redirect(back)
    action = form.cleaned_data.get("action", "mark_reviewed")
    if action == "mark_reviewed" and (not valid or form.cleaned_data["confirm"] != "yes"):
        status = 400 if not valid else 200
        return _permission_confirm(request, agent, permission, form, back=back, status=status)
    phase1_was_go = gate_states(agent).get(1) == Gate.State.GO
    try:
        services.tool_permission_review(
            agent=agent,
            membership=request.membership,
            permission_id=permission_id,
            action=action,
            note=form.cleaned_data.get("note"),
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        if "note" in error.errors:
            form.add_service_errors(error.errors)
            return _permission_confirm(request, agent, permission, form, back=back, status=400)
        messages.error(request, "Choose revoke or mark reviewed: nothing changed.")
        return redirect(back)
    what = f"{permission.tool} ({permission.get_access_display().lower()})"
    if action == "revoke":
        messages.success(request, f"Revoked {what} from “{agent.name}”.")
        if phase1_was_go:
            messages.warning(
                request,
                f"Phase 1 of “{agent.name}” was at go: it now needs review until an approver "
                "decides again.",
            )
    else:
        messages.success(request, f"Marked {what} of “{agent.name}” reviewed today.")
    return redirect(back)
