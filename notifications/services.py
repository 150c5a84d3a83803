"""Writes of the notifications room: telling members (in the app, and by email through the
worker), marking notifications read, email preferences, the email digests and announcing
the reminders (docs/notifications.md).

Notifications are told from the audit trail (notifications/events.py) and from the reminders;
none is ever sent inside a request. Creating one, reading one and emailing it are a member's
own inbox, not the organization's record, so they write no audit entry; a change of email
preferences and each announced reminder do.
"""

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization
from audit.actions import Action
from audit.services import audit_record
from core.errors import InvalidInput
from core.mail import email_send_on_commit

from . import kinds, reminders, selectors
from .models import Notification, NotificationPreference, ReminderAnnouncement
from .signals import reminder_due

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """A path of this site as a link for an email or a webhook (NOTIFICATIONS_SITE_URL)."""
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + path if path else ""


def notifications_create(
    *,
    organization: Organization,
    told: dict[int, kinds.Kind],
    memberships: dict[int, Membership],
    text: str,
    url: str,
    object_type: str = "",
    object_id: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Tell each member in `told` (membership id → kind) once: in the app always, and by email
    when their choice for the kind (or its default) says so and they have an address. One
    query per kind for the choices, one to write."""
    if not told:
        return []
    now = now or timezone.now()
    choices: dict[int, dict[str, bool]] = {}
    for kind in set(told.values()):
        members = [m for m, k in told.items() if k == kind]
        for member_id, email in selectors.email_choices(membership_ids=members, kind=kind).items():
            choices.setdefault(member_id, {})[kind] = email
    rows = [
        Notification(
            organization=organization,
            recipient_id=member_id,
            kind=kind,
            text=text[:500],
            url=url[:300],
            object_type=object_type[:100],
            object_id=str(object_id)[:64],
            created_at=now,
            email=kinds.email_wanted(kind, choices.get(member_id, {}))
            and bool(memberships[member_id].user.email),
        )
        for member_id, kind in told.items()
    ]
    return Notification.objects.bulk_create(rows)


def notification_read(*, notification: Notification, membership: Membership) -> Notification:
    """Mark one of the member's own notifications read (reading it twice changes nothing)."""
    if notification.recipient_id != membership.pk:
        raise InvalidInput({"notification": ["This notification is not yours."]})
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_read_all(*, membership: Membership) -> int:
    """Mark every unread notification of the member read; answers how many."""
    return Notification.objects.filter(recipient=membership, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preferences_set(*, membership: Membership, email: dict) -> list[str]:
    """Set which kinds also come by email (`email`: kind → true or false; kinds left out keep
    their setting). Answers the kinds that changed; notifications of a kind turned off that
    wait for the digest are not emailed."""
    if not isinstance(email, dict):
        raise InvalidInput({"email": ["Send an object of kind to true or false."]})
    known = {kind.value for kind in kinds.Kind}
    errors = {}
    for kind, value in email.items():
        if kind not in known:
            errors[str(kind)] = [f"Unknown kind: use {', '.join(sorted(known))}."]
        elif not isinstance(value, bool):
            errors[kind] = ["Must be true or false."]
    if errors:
        raise InvalidInput(errors)
    current = selectors.preferences_of(membership=membership)
    changed = sorted(kind for kind, value in email.items() if current[kind] != value)
    if not changed:
        return []
    now = timezone.now()
    for kind in changed:
        NotificationPreference.objects.update_or_create(
            membership=membership, kind=kind, defaults={"email": email[kind], "updated_at": now}
        )
    turned_off = [kind for kind in changed if not email[kind]]
    if turned_off:
        Notification.objects.filter(
            recipient=membership, kind__in=turned_off, email=True, emailed_at__isnull=True
        ).update(email=False)
    audit_record(
        organization=membership.organization,
        actor=membership.user,
        action=Action.NOTIFICATION_PREFERENCES_CHANGED,
        target=membership,
        before={"email": {kind: current[kind] for kind in changed}},
        after={"email": {kind: email[kind] for kind in changed}, "changed": changed},
    )
    return changed


# --------------------------------------------------------------------------- email digests


def digest_wait() -> timedelta:
    return timedelta(minutes=settings.NOTIFICATIONS_DIGEST_MINUTES)


def digests_send(*, now: datetime | None = None) -> int:
    """Email every member whose oldest notification waiting for email has waited the digest
    time: everything waiting goes in one message. Answers how many messages were queued."""
    now = now or timezone.now()
    queued = 0
    for recipient_id, oldest in selectors.digest_pending():
        if kinds.digest_due(oldest, now, digest_wait()) and digest_send(
            recipient_id=recipient_id, now=now
        ):
            queued += 1
    return queued


@transaction.atomic
def digest_send(*, recipient_id: int, now: datetime) -> bool:
    """One member's digest: the waiting notifications are marked emailed in the transaction
    that queues the message (core.mail, on commit), so a second run sends nothing again."""
    waiting = Notification.objects.filter(
        recipient_id=recipient_id, email=True, emailed_at__isnull=True, created_at__lte=now
    )
    ids = list(waiting.values_list("pk", flat=True))
    if not ids or not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(
        emailed_at=now
    ):
        return False
    rows = list(
        Notification.objects.filter(pk__in=ids, emailed_at=now)
        .select_related("recipient__user", "organization")
        .order_by("created_at", "id")
    )
    if not rows:
        return False
    membership = rows[0].recipient
    address = membership.user.email
    if not address or not membership.is_active:
        Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
            email=False, emailed_at=None
        )
        return False
    organization = rows[0].organization.name
    lines = []
    for notification in rows:
        lines.append(f"- {notification.created_at:%d %b %H:%M} UTC: {notification.text}")
        if notification.url:
            lines.append(f"  {absolute_url(notification.url)}")
    email_send_on_commit(
        recipients=[address],
        subject=kinds.digest_subject(len(rows), organization),
        body=(
            f"Hello {membership.user.get_username()},\n\n"
            f"What happened in {organization} on Readiness:\n\n"
            + "\n".join(lines)
            + "\n\nChoose which notifications also come by email: "
            + absolute_url(reverse("notifications:preferences"))
            + "\n"
        ),
    )
    return True


# --------------------------------------------------------------------------- reminders


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def reminders_announce(
    *, organization: Organization, now: datetime | None = None
) -> list[reminders.Due]:
    """Announce the organization's due reminders that are new or changed since they were last
    announced: notify the members of each, write one audit entry each and, after commit,
    send `reminder_due` once each. An item no longer due is forgotten, so it is announced
    again if it falls due again. Answers the items announced."""
    now = now or timezone.now()
    facts = selectors.reminder_facts(organization=organization, now=now)
    dues = reminders.due_items(
        **facts, now=now, budget_fraction=settings.NOTIFICATIONS_BUDGET_ALERT_FRACTION
    )
    known = {
        (row.kind, row.key): row
        for row in ReminderAnnouncement.objects.select_for_update().filter(
            organization=organization
        )
    }
    audience = None
    announced = []
    for due in dues:
        fingerprint = _fingerprint(due.fingerprint)
        row = known.get((due.kind, due.key))
        if row is not None and row.fingerprint == fingerprint:
            continue
        before = {"kind": row.kind, "key": row.key, "fingerprint": row.fingerprint} if row else None
        if row is None:
            ReminderAnnouncement.objects.create(
                organization=organization,
                kind=due.kind,
                key=due.key,
                fingerprint=fingerprint,
                announced_at=now,
            )
        else:
            ReminderAnnouncement.objects.filter(pk=row.pk).update(
                fingerprint=fingerprint, announced_at=now
            )
        if audience is None:
            audience = selectors.audience_of(organization=organization)
        path = reverse(due.link[0], args=due.link[1])
        notifications_create(
            organization=organization,
            told=kinds.recipients([due.kind], [member for _, member in audience]),
            memberships={m.pk: m for m, _ in audience},
            text=due.text,
            url=path,
            object_type=due.object_type,
            object_id=due.object_id,
            now=now,
        )
        audit_record(
            organization=organization,
            action=Action.REMINDER_ANNOUNCED,
            object_type=due.object_type,
            object_id=due.object_id,
            object_label=due.text[:300],
            before=before,
            after={"kind": due.kind.value, "key": due.key, "fingerprint": fingerprint, **due.data},
        )
        _send_on_commit(organization, due, absolute_url(path))
        announced.append(due)
    due_keys = {(due.kind.value, due.key) for due in dues}
    resolved = [row.pk for item, row in known.items() if item not in due_keys]
    if resolved:
        ReminderAnnouncement.objects.filter(pk__in=resolved).delete()
    return announced


def _send_on_commit(organization: Organization, due: reminders.Due, url: str) -> None:
    def send() -> None:
        # Every listener hears it even if another fails; a failure is the listener's, logged.
        answers = reminder_due.send_robust(
            sender=None,
            organization=organization,
            kind=due.kind.value,
            key=due.key,
            text=due.text,
            url=url,
            data=due.data,
        )
        for receiver, answer in answers:
            if isinstance(answer, Exception):
                logger.error(
                    "reminder_due listener %r failed on %s %s: %r",
                    receiver,
                    due.kind,
                    due.key,
                    answer,
                )

    transaction.on_commit(send)


def reminders_announce_all(*, now: datetime | None = None) -> int:
    """Announce the reminders of every organization (the scheduled task); one organization
    that fails is logged and the others go on. Answers how many items were announced."""
    now = now or timezone.now()
    count = 0
    for organization in Organization.objects.order_by("pk"):
        try:
            count += len(reminders_announce(organization=organization, now=now))
        except Exception:
            logger.exception("Reminders of organization %s could not be announced", organization.pk)
    return count
