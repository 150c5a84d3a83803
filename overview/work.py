"""My work: what waits for the signed-in member according to their roles (docs/my-work.md).
A read-only page; each item links to the page where the member acts on it."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core import permissions
from core.page_cache import cached_page
from core.tenancy import member_required

from .work_selectors import my_work

# Rows shown per section: the heading counts them all, the rest is on the board's pages.
SHOWN = 50


@require_GET
@member_required
@cached_page
def work_page(request):
    work = my_work(membership=request.membership, now=timezone.now())
    return render(
        request,
        "overview/work.html",
        {
            "work": work,
            "count": work.count,
            "limit": SHOWN,
            "shown": f":{SHOWN}",
            "can_edit_assessment": bool(permissions.may_edit_assessment(request.membership)),
        },
    )
