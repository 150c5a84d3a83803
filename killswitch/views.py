"""The kill switch on the pages: the confirm steps of a suspension and of a drill, and ending
a drill (docs/rules.md §4). Resuming and runtime tokens re-show the agent's page with their form, so
they live beside it in overview/agent_views.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agents.selectors import agent_get
from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required, url_object

from . import services
from .forms import ReasonForm
from .selectors import drill_get


def _organization(request):
    return request.membership.organization


def _agent(request, pk):
    return agent_get(organization=_organization(request), pk=pk)


@member_required(allow=by_roles(permissions.may_suspend_agent), objects=url_object(agent_get))
def agent_suspend(request, pk):
    """The confirm step of the kill switch: a required reason, then the agent stops at once."""
    agent = _agent(request, pk)
    if request.method != "POST" and agent.is_suspended:
        messages.info(request, f"“{agent.name}” is already suspended: nothing changed.")
        return redirect("agents:detail", pk=agent.pk)
    form = ReasonForm(
        request.POST or None,
        label="Reason for suspending",
        help_text="What you saw, in a sentence. It is recorded with your name and the time, "
        "and shown to whoever resumes the agent.",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_suspend(
                agent=agent, membership=request.membership, reason=form.cleaned_data["reason"]
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Conflict as conflict:
            if "already_suspended" in conflict.codes:
                messages.info(request, f"“{agent.name}” is already suspended: nothing changed.")
            else:
                messages.error(request, conflict.text)
            return redirect("agents:detail", pk=agent.pk)
        else:
            messages.success(
                request,
                f"“{agent.name}” is suspended. Its runtime stops at its next status read; only "
                "an approver can resume it.",
            )
            return redirect("agents:detail", pk=agent.pk)
    return render(
        request,
        "killswitch/suspend.html",
        {"agent": agent, "form": form},
        status=400 if form.errors else 200,
    )


@member_required(allow=by_roles(permissions.may_start_drill), objects=url_object(agent_get))
def drill_start(request, pk):
    """A drill really suspends the agent: a GET, or a POST without `confirm`, shows what will
    happen first (the agent page's button lands here); the confirm page's button starts it."""
    agent = _agent(request, pk)
    if agent.is_suspended and request.method != "POST":
        messages.info(request, f"“{agent.name}” is already suspended: no drill can start now.")
        return redirect("agents:detail", pk=agent.pk)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        return render(request, "killswitch/drill_start.html", {"agent": agent})
    try:
        services.drill_start(agent=agent, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, "No drill started: " + conflict.text)
    else:
        messages.success(
            request,
            f"Drill started: “{agent.name}” is really suspended now. Once its runtime has "
            "stopped, end the drill to restore it; the time to stop is recorded.",
        )
    return redirect("agents:detail", pk=agent.pk)


@require_POST
@member_required(allow=by_roles(permissions.may_end_drills), objects=url_object(agent_get))
def drill_end(request, pk, drill_id):
    agent = _agent(request, pk)
    drill = drill_get(agent=agent, pk=drill_id)
    try:
        ended = services.drill_end(agent=agent, drill=drill, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, conflict.text)
    else:
        ttl = ended.time_to_stop_s
        messages.success(
            request,
            f"Drill ended: “{agent.name}” is active again. "
            + (
                f"Time to stop: {ttl:.1f} s."
                if ttl is not None
                else "Its runtime never read the suspension, so no time to stop was recorded."
            ),
        )
    return redirect("agents:detail", pk=agent.pk)
