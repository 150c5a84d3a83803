"""Pages of the agent registry: recording a risk assessment and the organization's tool
permissions to review. Registering and editing an agent are on the agent's pages
(overview/agent_views.py), which also open and review its gates."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import permissions
from core.errors import Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required, url_object

from . import services
from .forms import RiskAssessmentForm
from .models import Agent
from .selectors import agent_get, permissions_to_review


def _agent(request, pk) -> Agent:
    return agent_get(organization=request.membership.organization, pk=pk)


@member_required(allow=by_roles(permissions.may_review_permissions), objects=url_object(agent_get))
def risk_assessment_new(request, pk):
    agent = _agent(request, pk)
    form = RiskAssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.risk_assessment_record(
                agent=agent, membership=request.membership, **form.cleaned_data
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            messages.success(
                request,
                f"Recorded the risk assessment of {record.get_scope_display().lower()} "
                f"“{record.subject}”.",
            )
            return redirect("outcomes:agent", pk=agent.pk)
    return render(
        request,
        "agents/risk_new.html",
        {"agent": agent, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
@member_required
def permission_review_list(request):
    today = timezone.now().date()
    return render(
        request,
        "agents/permissions.html",
        {
            "items": permissions_to_review(
                organization=request.membership.organization, today=today
            ),
            "today": today,
            "can_review": bool(permissions.may_review_permissions(request.membership)),
        },
    )
