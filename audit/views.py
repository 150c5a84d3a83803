"""The audit log page: the organization's entries, filterable, with the chain's state."""

import json

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.roles import can_view_audit_log
from core.tenancy import member_required

from .checkpoints import latest_pin
from .selectors import audit_actions, audit_entries
from .services import audit_verify, chain_name

AUDIT_PAGE_SIZE = 50
LONG_CHANGE = 160  # characters of before + after JSON shown inline; longer ones fold


def _compact(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@require_GET
@member_required(allow=can_view_audit_log)
def audit_log(request):
    organization = request.membership.organization
    actions = audit_actions(organization=organization)
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    entries = audit_entries(organization=organization, action=action, actor=actor)
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.before_json = _compact(entry.before)
        entry.after_json = _compact(entry.after)
        entry.change_is_long = len(entry.before_json) + len(entry.after_json) > LONG_CHANGE
    chain = chain_name(organization.pk)
    # From the latest checkpoint on, so the page's time stays bounded as the chain grows;
    # the whole chain when asked (?full=1) or when no checkpoint holds it yet.
    full = request.GET.get("full") == "1"
    pin = None if full else latest_pin(chain, organization.pk)
    broken = next(iter(audit_verify(chains=[chain], start={chain: pin} if pin else None)), None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "page": page,
            "actions": actions,
            "action": action,
            "actor": actor,
            "chain": chain,
            "broken": broken,
            "checked_from": pin[0] if pin else None,
        },
    )
