"""The four gate pages of an agent: the checklist, the go / no-go decision with the reasons a go
would be refused, and the decisions so far (docs/rules.md §2); and a prompt version recorded in
the browser, for teams without CI, with the deployment gate's answer.

Each view reads through the selectors or writes through one service of gates/services.py; the
services decide (roles, separation of duties, rules, stale versions) and their errors become
messages and field errors here. Another organization's agent is a 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required, url_object

from . import services
from .checklists import phase_definition, phases, short_name
from .evidence import ATTESTABLE
from .forms import AttestationForm, DecisionForm, PromptVersionForm
from .models import Gate
from .selectors import agent_facts_and_items, agent_get, gate_detail


def _organization(request):
    return request.membership.organization


def _agent(request, pk):
    return agent_get(organization=_organization(request), pk=pk)


SOURCES = {
    "derived": "computed from the records",
    "observed": "observed in telemetry",
    "attested": "attested, not observed",
}


def _item_rows(definition, states, items, attestation_form):
    """Per item: its computed state, and for an attestable one not observed, the attestation
    on record and the form to give or withdraw it."""
    rows = []
    for item in definition.items:
        state = states[item.key]
        record = items.get(item.key)
        attestable = item.key in ATTESTABLE and state.source != "observed"
        form = None
        if attestable:
            bound = attestation_form is not None and attestation_form.data.get("key") == item.key
            form = (
                attestation_form
                if bound
                else AttestationForm(initial={"key": item.key, "action": "attest"})
            )
        rows.append(
            {
                "item": item,
                "state": state,
                "source": SOURCES[state.source],
                "attestable": attestable,
                "attested": bool(record and record.met),
                "record": record,
                "form": form,
            }
        )
    return rows


def _gate_page(
    request,
    agent,
    gate,
    *,
    attestation_form=None,
    decision_form=None,
    refusal=None,
    status=200,
):
    member = request.membership
    definition = phase_definition(gate.phase)
    items = {item.key: item for item in gate.items.all()}
    can_fill = bool(permissions.may_fill_checklist(member, agent))
    can_decide = bool(permissions.may_decide_gate(member, agent))
    facts, states = agent_facts_and_items(agent=agent)
    reasons = services.gate_go_reasons(
        agent=agent, phase=gate.phase, membership=request.membership, facts=facts, states=states
    )
    if not can_decide:
        reasons = [r for r in reasons if r.code != "owner_cannot_decide"]
    owner_blocked = any(r.code == "owner_cannot_decide" for r in reasons)
    decision_form = decision_form or DecisionForm(
        initial={"version": gate.version}, go_blocked=bool(reasons)
    )
    rows = _item_rows(definition, states, items, attestation_form)
    return render(
        request,
        "gates/gate.html",
        {
            "agent": agent,
            "gate": gate,
            "definition": definition,
            "tabs": [
                {
                    "phase": g.phase,
                    "name": phases()[g.phase].name,
                    "short": short_name(phases()[g.phase].name),
                    "state": g.state,
                }
                for g in agent.gates.all()
            ],
            "rows": rows,
            "met": sum(1 for row in rows if row["state"].met),
            "of": len(rows),
            "decision_form": decision_form,
            "decisions": list(gate.decisions.all()),
            "go_reasons": reasons,
            "owner_blocked": owner_blocked,
            "attest": permissions.may_attest(member, agent),
            "refusal": refusal,
            "can_fill": can_fill,
            "can_decide": can_decide,
        },
        status=status,
    )


@require_GET
@member_required
def gate_page(request, pk, phase):
    agent = _agent(request, pk)
    return _gate_page(request, agent, gate_detail(agent=agent, phase=phase))


@require_POST
@member_required(allow=by_roles(permissions.may_fill_checklist), objects=url_object(agent_get))
def gate_checklist(request, pk, phase):
    """Attest an attestable item, or withdraw its attestation (every other item is computed)."""
    agent = _agent(request, pk)
    gate = gate_detail(agent=agent, phase=phase)
    form = AttestationForm(request.POST)
    if form.is_valid():
        try:
            services.checklist_update(
                agent=agent, phase=phase, membership=request.membership, changes=form.changes()
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Conflict as conflict:
            form.add_error("evidence", conflict.reasons_text)
        else:
            label = phase_definition(phase).label(form.cleaned_data["key"])
            if form.cleaned_data["action"] == "withdraw":
                messages.success(request, f"Attestation of “{label}” withdrawn.")
            else:
                messages.success(
                    request, f"“{label}” attested: it counts for a go until telemetry shows it."
                )
            fresh = gate_detail(agent=agent, phase=phase)
            if gate.state == Gate.State.GO and fresh.state != Gate.State.GO:
                messages.warning(
                    request,
                    f"Phase {phase} was at go: it now needs review until an approver decides "
                    "again.",
                )
            return redirect("gates:gate", pk=agent.pk, phase=phase)
    return _gate_page(request, agent, gate, attestation_form=form, status=400)


@require_POST
@member_required(allow=by_roles(permissions.may_decide_gate), objects=url_object(agent_get))
def gate_decision(request, pk, phase):
    agent = _agent(request, pk)
    gate = gate_detail(agent=agent, phase=phase)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _gate_page(request, agent, gate, decision_form=form, status=400)
    try:
        record = services.gate_decide(
            agent=agent,
            phase=phase,
            membership=request.membership,
            decision=form.cleaned_data["decision"],
            rationale=form.cleaned_data["rationale"],
            expected_version=form.cleaned_data["version"],
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _gate_page(request, agent, gate, decision_form=form, status=400)
    except Conflict as conflict:
        fresh = gate_detail(agent=agent, phase=phase)
        if "gate_changed" in conflict.codes:
            # Keep the rationale, but on the version now there: they decide again knowingly.
            kept = DecisionForm(
                initial={"version": fresh.version, "rationale": form.cleaned_data["rationale"]}
            )
            return _gate_page(
                request,
                _agent(request, pk),
                fresh,
                decision_form=kept,
                refusal={
                    "title": "The gate changed while you were deciding: nothing was recorded.",
                    "reasons": [
                        "Another decision or change reached this gate first. Review its state "
                        "and history below, then decide again."
                    ],
                },
                status=409,
            )
        return _gate_page(
            request,
            agent,
            fresh,
            decision_form=DecisionForm(
                initial={"version": fresh.version, "rationale": form.cleaned_data["rationale"]},
                go_blocked=True,
            ),
            refusal={"title": conflict.detail, "reasons": [r.message for r in conflict.reasons]},
            status=409,
        )
    word = "Go" if record.decision == "go" else "No-go"
    text = f"{word} recorded on phase {phase} of “{agent.name}”."
    if record.unmet_items:
        text += " Unmet items recorded with it: " + "; ".join(
            u["label"] for u in record.unmet_items
        )
    messages.success(request, text)
    return redirect("gates:gate", pk=agent.pk, phase=phase)


def _prompt_version_page(request, agent, form, *, status=200):
    return render(
        request,
        "gates/prompt_version_form.html",
        {"agent": agent, "form": form, "current": agent.current_prompt},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required(allow=by_roles(permissions.may_post_prompt_version), objects=url_object(agent_get))
def prompt_version_new(request, pk):
    """The API's prompt-version post as a form (same service, same data shape): an assessor
    records a version, and the next page says whether it may ship and why."""
    agent = _agent(request, pk)
    if request.method != "POST":
        return _prompt_version_page(request, agent, PromptVersionForm())
    form = PromptVersionForm(request.POST, request.FILES)
    if not form.is_valid():
        return _prompt_version_page(request, agent, form, status=400)
    try:
        version = services.prompt_version_post(
            agent=agent, membership=request.membership, data=form.service_data()
        )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return _prompt_version_page(request, agent, form, status=400)
    except Conflict as conflict:
        for reason in conflict.reasons:
            form.add_error("tag" if reason.code == "duplicate_tag" else None, reason.message)
        return _prompt_version_page(request, agent, form, status=409)
    return redirect("gates:prompt_version", pk=agent.pk, version=version.pk)


@require_GET
@member_required
def prompt_version_page(request, pk, version):
    """One prompt version and the deployment gate's answer: may it ship, and why not."""
    agent = _agent(request, pk)
    found = agent.prompt_versions.select_related("created_by").filter(pk=version).first()
    if found is None:
        raise Http404("No such prompt version for this agent.")
    return render(
        request,
        "gates/prompt_version.html",
        {
            "agent": agent,
            "version": found,
            "current": agent.current_prompt_id == found.pk,
            "delta": f"{found.delta:.6g}",
            "tolerance": f"{found.tolerance:.6g}",
            "can_edit": bool(permissions.may_post_prompt_version(request.membership, agent)),
        },
    )
