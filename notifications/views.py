"""The notification pages: a member's own notifications (each links to its object), marking
them read, and which kinds also come by email. Every page is the member's own: another
member's or another organization's notification is a 404."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import InvalidInput
from core.tenancy import member_required

from . import services
from .forms import PreferencesForm
from .kinds import EMAIL_BY_DEFAULT, LABELS
from .selectors import notification_get, notification_page, preferences_of

PAGE_SIZE = 25


class _NotificationPages:
    """The member's notifications as a lazy sequence for Paginator: one selector call (the
    rows and the count) per page."""

    def __init__(self, membership):
        self.membership = membership
        self._count = None

    def count(self) -> int:
        if self._count is None:
            _, self._count = notification_page(membership=self.membership, offset=0, limit=0)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("page through notifications with a slice")
        start = index.start or 0
        items, self._count = notification_page(
            membership=self.membership, offset=start, limit=index.stop - start
        )
        return items


@member_required
def notification_list(request):
    paginator = Paginator(_NotificationPages(request.membership), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    notifications = list(page)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "notifications": notifications,
            "any_unread": any(n.read_at is None for n in notifications),
        },
    )


def _safe_target(request, url: str, fallback: str = "notifications:list"):
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(url)
    return redirect(fallback)


@member_required
def notification_open(request, pk):
    """Follow a notification to its object, marking it read on the way."""
    notification = notification_get(membership=request.membership, pk=pk)
    services.notification_read(notification=notification, membership=request.membership)
    return _safe_target(request, notification.url)


@require_POST
@member_required
def notification_read(request, pk):
    notification = notification_get(membership=request.membership, pk=pk)
    services.notification_read(notification=notification, membership=request.membership)
    return _safe_target(request, request.POST.get("next", ""))


@require_POST
@member_required
def notification_read_all(request):
    count = services.notifications_read_all(membership=request.membership)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    else:
        messages.info(request, "Nothing was unread: nothing changed.")
    return redirect("notifications:list")


@member_required
def preferences(request):
    """Every notification shows in the app; here each member chooses which also come by
    email (in a digest, at most every few minutes)."""
    current = preferences_of(membership=request.membership)
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.preferences_set(
                membership=request.membership, email=form.email_choices()
            )
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        else:
            if changed:
                messages.success(request, "Saved: your email choices are changed.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("notifications:preferences")
    rows = [
        {"field": form[kind], "label": LABELS[kind], "default": kind in EMAIL_BY_DEFAULT}
        for kind in LABELS
    ]
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "rows": rows, "digest_minutes": settings.NOTIFICATIONS_DIGEST_MINUTES},
        status=400 if form.errors else 200,
    )
