"""Writes of webhooks: registering, deleting and testing endpoints (an admin, each with its
audit entry), creating deliveries for an event, and the worker's attempts (docs/webhooks.md).

An attempt is claimed first (a conditional update that moves `next_attempt_at` past a lease),
then sent with no transaction open, then recorded: two messages for the same delivery never
send it twice at once, and a worker lost mid-send leaves it to the sweeper once the lease ends.
"""

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Membership
from audit.actions import Action
from audit.services import audit_record
from core import permissions
from core.errors import Conflict, ConflictReason, InvalidInput

from . import rules, transport
from .models import Delivery, Endpoint
from .selectors import deliveries_due

logger = logging.getLogger(__name__)

# How long a claimed attempt holds its delivery: longer than any send (timeouts) can take.
CLAIM_LEASE = timedelta(minutes=2)
# A countdown may fire a little early on another clock.
EARLY_SLACK = timedelta(seconds=2)


def _require_admin(membership: Membership, what: str) -> None:
    permissions.may_manage_webhooks(membership, what).require()


def allowed_networks() -> list[rules.IPNetwork]:
    return rules.networks_parse(settings.WEBHOOK_ALLOWED_NETWORKS)


def url_check(url: str) -> str | None:
    return rules.url_problem(
        url,
        allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK,
        allowed_networks=allowed_networks(),
    )


def _clean(url: str, events: Sequence[str], format_: str) -> tuple[str, list[str], str]:
    errors: dict[str, list[str]] = {}
    problem = url_check(url)
    if problem:
        errors["url"] = [problem]
    if not isinstance(events, list | tuple) or not events:
        errors["events"] = ["Choose at least one event: " + ", ".join(rules.EVENTS) + "."]
    else:
        unknown = [e for e in events if not isinstance(e, str) or e not in rules.EVENTS]
        if unknown:
            errors["events"] = [
                f"Unknown event {', '.join(map(str, unknown))}: choose from "
                + ", ".join(rules.EVENTS)
                + "."
            ]
    if format_ not in rules.FORMATS:
        errors["format"] = ["Choose standard or slack."]
    if errors:
        raise InvalidInput(errors)
    chosen = [e for e in rules.EVENTS if e in set(events)]
    return url.strip(), chosen, format_


@transaction.atomic
def endpoint_create(
    *, membership: Membership, url: str, events: Sequence[str], format: str = "standard"
) -> tuple[Endpoint, str]:
    """Register an endpoint; answers it and its signing secret (shown to the admin only now)."""
    _require_admin(membership, "register webhooks")
    url, events, format_ = _clean(url, events, format)
    organization = membership.organization
    if Endpoint.objects.filter(organization=organization).count() >= rules.MAX_ENDPOINTS:
        raise Conflict(
            "Too many webhooks.",
            [
                ConflictReason(
                    "too_many_endpoints",
                    f"An organization may register {rules.MAX_ENDPOINTS} endpoints; "
                    "delete one first.",
                )
            ],
        )
    secret = rules.secret_generate()
    endpoint = Endpoint.objects.create(
        organization=organization,
        url=url,
        events=events,
        format=format_,
        secret=secret,
        created_by=membership.user,
    )
    audit_record(
        organization=organization,
        actor=membership.user,
        action=Action.WEBHOOK_CREATED,
        target=endpoint,
        after={"id": endpoint.pk, "url": url, "events": events, "format": format_},
    )
    return endpoint, secret


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, membership: Membership) -> None:
    """Delete an endpoint and its deliveries; a queued attempt then finds nothing to send."""
    _require_admin(membership, "delete webhooks")
    before = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": endpoint.events,
        "format": endpoint.format,
        "deliveries": endpoint.deliveries.count(),
    }
    audit_record(
        organization=endpoint.organization,
        actor=membership.user,
        action=Action.WEBHOOK_DELETED,
        target=endpoint,
        before=before,
    )
    endpoint.delete()


@transaction.atomic
def endpoint_test(*, endpoint: Endpoint, membership: Membership) -> Delivery:
    """Queue a `webhook.test` event to this endpoint, whatever events it receives."""
    _require_admin(membership, "send test events")
    if not endpoint.active:
        raise Conflict(
            "The webhook is disabled.",
            [ConflictReason("inactive", "Its receiver answered 410 Gone; register it again.")],
        )
    data = {
        "endpoint_id": str(endpoint.pk),
        "by": membership.user.get_username(),
        "message": "A test event from Readiness: this endpoint receives its webhooks.",
    }
    (delivery,) = _deliveries_create([endpoint], rules.TEST_EVENT, timezone.now(), data)
    audit_record(
        organization=endpoint.organization,
        actor=membership.user,
        action=Action.WEBHOOK_TESTED,
        target=endpoint,
        after={"id": endpoint.pk, "delivery": delivery.pk, "message_id": delivery.message_id},
    )
    return delivery


@transaction.atomic
def delivery_resend(*, delivery: Delivery, membership: Membership) -> Delivery:
    """Send a delivery again now, with the same message id, restarting its retry schedule."""
    _require_admin(membership, "send deliveries again")
    endpoint = delivery.endpoint
    if not endpoint.active:
        raise Conflict(
            "The webhook is disabled.",
            [ConflictReason("inactive", "Its receiver answered 410 Gone; register it again.")],
        )
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    before = {"status": locked.status, "attempts": locked.attempts}
    now = timezone.now()
    Delivery.objects.filter(pk=locked.pk).update(
        status=Delivery.Status.PENDING, next_attempt_at=now, schedule_started_at=now
    )
    audit_record(
        organization=endpoint.organization,
        actor=membership.user,
        action=Action.WEBHOOK_DELIVERY_RESENT,
        target=endpoint,
        before={"delivery": locked.pk, **before},
        after={"delivery": locked.pk, "status": Delivery.Status.PENDING},
    )
    _enqueue([locked.pk])
    locked.refresh_from_db()
    return locked


def deliveries_create(
    *, endpoints: list[Endpoint], event: str, occurred_at: datetime, data: dict
) -> list[Delivery]:
    """One delivery per endpoint (of `selectors.endpoints_active`) that receives `event`, each
    queued for the worker once this commits: one insert whatever the number of endpoints."""
    listening = [e for e in endpoints if e.active and e.receives(event)]
    if not listening:
        return []
    with transaction.atomic():
        return _deliveries_create(listening, event, occurred_at, data)


def _deliveries_create(
    endpoints: list[Endpoint], event: str, occurred_at: datetime, data: dict
) -> list[Delivery]:
    now = timezone.now()
    payload = rules.standard_payload(event, occurred_at, data)
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            endpoint=endpoint,
            event_type=event,
            message_id=rules.message_id_generate(),
            payload=payload,
            next_attempt_at=now,
            schedule_started_at=now,
        )
        for endpoint in endpoints
    )
    if any(d.pk is None for d in deliveries):  # a backend that returns no ids
        ids = Delivery.objects.filter(message_id__in=[d.message_id for d in deliveries])
        by_message = dict(ids.values_list("message_id", "pk"))
        for d in deliveries:
            d.pk = by_message[d.message_id]
    _enqueue([d.pk for d in deliveries])
    return deliveries


def _enqueue(ids: list[int], countdown: int | None = None) -> None:
    from .tasks import deliver

    def send() -> None:
        for pk in ids:
            try:
                deliver.apply_async((pk,), countdown=countdown)
            except Exception:  # a broker that is down: the sweeper sends it later
                logger.exception("Could not queue webhook delivery %s; the sweeper will", pk)

    transaction.on_commit(send)


def _request(endpoint: Endpoint, delivery: Delivery, now: datetime) -> tuple[bytes, dict]:
    if endpoint.format == Endpoint.Format.SLACK:
        body = rules.body_bytes(
            {"text": rules.slack_text(delivery.event_type, delivery.payload.get("data", {}))}
        )
    else:
        body = rules.body_bytes(delivery.payload)
    headers = rules.signed_headers(endpoint.secret, delivery.message_id, int(now.timestamp()), body)
    return body, headers


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """The worker's attempt: claim the delivery if it is due, send it, record what happened,
    and schedule the next attempt on failure (or give up once the schedule is over). Running
    twice, or for a delivery done, deleted or not yet due, does nothing."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id,
        status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
        next_attempt_at__lte=now + EARLY_SLACK,
        endpoint__active=True,
    ).update(next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body, headers = _request(endpoint, delivery, now)
    outcome = transport.post(
        endpoint.url,
        body,
        headers,
        allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK,
        allowed_networks=allowed_networks(),
        connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS,
        total_timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        ca_bundle=settings.WEBHOOK_CA_BUNDLE or None,
    )
    return _record(delivery, outcome)


@transaction.atomic
def _record(delivery: Delivery, outcome: transport.Outcome) -> Delivery:
    now = timezone.now()
    fields: dict[str, object] = {
        "last_status_code": outcome.status_code,
        "last_response_ms": outcome.elapsed_ms,
        "last_error": outcome.error,
    }
    if outcome.ok:
        fields.update(status=Delivery.Status.SUCCEEDED, next_attempt_at=None)
    elif outcome.status_code == 410:
        # The receiver asks for nothing more (Standard Webhooks): disable the endpoint.
        fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
        Endpoint.objects.filter(pk=delivery.endpoint_id).update(active=False)
    else:
        started = delivery.schedule_started_at or delivery.created_at
        wait = rules.retry_delay((now - started).total_seconds(), jitter=random.random())  # nosec B311
        if wait is None:
            fields.update(status=Delivery.Status.FAILED, next_attempt_at=None)
        else:
            fields.update(
                status=Delivery.Status.RETRYING, next_attempt_at=now + timedelta(seconds=wait)
            )
            _enqueue([delivery.pk], countdown=wait)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    delivery.refresh_from_db()
    return delivery


def deliveries_sweep() -> int:
    """Queue every delivery whose next attempt is due (a countdown message lost in a restart,
    a broker that was down, a worker lost mid-send); answers how many."""
    ids = deliveries_due(now=timezone.now())
    if ids:
        with transaction.atomic():
            _enqueue(ids)
    return len(ids)
