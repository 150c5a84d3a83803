"""The audit log page: the organization's entries told as sentences, filterable, with the
chain's state; and the same entries, filtered, as a streamed CSV file."""

import csv
import json

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import permissions
from core.permissions import by_roles
from core.tenancy import member_required

from .actions import Action
from .checkpoints import latest_pin
from .figures import spreadsheet_safe
from .forms import AuditFilterForm
from .selectors import audit_entries, audit_vocabulary
from .sentences import Entry, Told, tell
from .services import audit_verify, chain_name

AUDIT_PAGE_SIZE = 50
LONG_CHANGE = 160  # characters of before + after JSON shown inline; longer ones fold
EXPORT_CHUNK = 2000  # rows read from the database at a time by the CSV export
EXPORT_COLUMNS = ["time", "actor", "action", "sentence", "object", "before", "after", "seq", "hash"]


def _compact(value) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _told(entry, currency: str | None) -> Told:
    label = Action(entry.action).label if entry.action in Action.values else ""
    return tell(
        Entry(
            action=entry.action,
            actor=entry.actor_label,
            by_system=entry.actor_id is None,
            object_type=entry.object_type,
            object_id=entry.object_id,
            object_label=entry.object_label,
            before=entry.before,
            after=entry.after,
            label=label,
            currency=currency,
        )
    )


def _url(told: Told) -> str | None:
    """The object's page, from the ids the entry holds (no query)."""
    if told.link is None:
        return None
    try:
        return reverse(told.link.name, args=told.link.args)
    except NoReverseMatch:
        return None


def _filter_form(request, actions: list[str], object_types: list[str]) -> AuditFilterForm:
    return AuditFilterForm(request.GET, actions=actions, object_types=object_types)


def _filtered(form: AuditFilterForm, organization):
    data = form.cleaned_data
    return audit_entries(
        organization=organization,
        action=data["action"],
        actor=data["actor"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        object_type=data["object_type"],
        object_text=data["object"],
    )


@require_GET
@member_required(allow=by_roles(permissions.may_view_audit_log))
def audit_log(request):
    organization = request.membership.organization
    currency = getattr(organization, "currency", None)
    actions, object_types = audit_vocabulary(organization=organization)
    form = _filter_form(request, actions, object_types)
    valid = form.is_valid()
    entries = (
        _filtered(form, organization) if valid else audit_entries(organization=organization).none()
    )
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.told = _told(entry, currency)
        entry.url = _url(entry.told)
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
            "form": form,
            "actions": actions,
            "action": form.data.get("action", ""),
            "actor": form.data.get("actor", ""),
            "chain": chain,
            "broken": broken,
            "checked_from": pin[0] if pin else None,
        },
        status=200 if valid else 400,
    )


class _Echo:
    """A file-like object whose write answers what was written, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_row(entry, currency: str | None) -> list[str]:
    told = _told(entry, currency)
    obj = entry.object_label
    if entry.object_type:
        where = f"{entry.object_type} {entry.object_id}"
        obj = f"{obj} ({where})" if obj else where
    cells = [
        entry.created_at.isoformat(),
        entry.actor_label,
        entry.action,
        told.text,
        obj,
        _compact(entry.before),
        _compact(entry.after),
        str(entry.seq),
        entry.hash,
    ]
    return [spreadsheet_safe(cell) for cell in cells]


def _csv_lines(entries, currency: str | None):
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for entry in entries.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(_csv_row(entry, currency))


@require_GET
@member_required(allow=by_roles(permissions.may_view_audit_log))
def audit_export(request):
    """The filtered entries as CSV, streamed a chunk of rows at a time."""
    organization = request.membership.organization
    form = _filter_form(request, *audit_vocabulary(organization=organization))
    if not form.is_valid():
        problems = [
            f"{form.fields[k].label if k in form.fields else k}: {' '.join(v)}"
            for k, v in form.errors.items()
        ]
        return HttpResponse(
            "The export was not made; fix the filter:\n" + "\n".join(problems) + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    entries = _filtered(form, organization)
    response = StreamingHttpResponse(
        _csv_lines(entries, getattr(organization, "currency", None)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="audit-log-{organization.slug}-{stamp}.csv"'
    )
    return response
