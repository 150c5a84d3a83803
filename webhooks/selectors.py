"""Reads of webhooks, always within one organization (another's endpoint is a 404)."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Organization

from .models import Delivery, Endpoint


def endpoint_list(*, organization: Organization) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(organization=organization).select_related("created_by")


def endpoint_summaries(*, organization: Organization) -> list[Endpoint]:
    """The endpoints with their delivery counts (`delivered`, `failing`): one query."""
    return list(
        endpoint_list(organization=organization).annotate(
            delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SUCCEEDED)),
            failing=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[Delivery.Status.RETRYING, Delivery.Status.FAILED]),
            ),
        )
    )


def endpoint_page(
    *, organization: Organization, offset: int, limit: int
) -> tuple[list[Endpoint], int]:
    qs = endpoint_list(organization=organization).order_by("-created_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def endpoint_get(*, organization: Organization, pk) -> Endpoint:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such webhook.") from None
    endpoint = endpoint_list(organization=organization).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook.")
    return endpoint


def endpoints_active(*, organization_id: int) -> list[Endpoint]:
    """The organization's active endpoints (one query). Which events each receives is a JSON
    list, matched in Python (`Endpoint.receives`) so that every database backend answers the
    same."""
    return list(Endpoint.objects.filter(organization_id=organization_id, active=True))


def delivery_list(*, endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint).defer("payload")


def delivery_page(*, endpoint: Endpoint, offset: int, limit: int) -> tuple[list[Delivery], int]:
    qs = delivery_list(endpoint=endpoint).order_by("-created_at", "-id")
    return list(qs[offset : offset + limit]), qs.count()


def delivery_get(*, endpoint: Endpoint, pk) -> Delivery:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such delivery.") from None
    delivery = Delivery.objects.filter(endpoint=endpoint, pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def deliveries_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due (for the sweeper), oldest first."""
    return list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
            next_attempt_at__lte=now,
            endpoint__active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
