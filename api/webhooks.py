"""/api/v1/webhooks: signed outbound webhooks, admins only (docs/api.md "Webhooks",
docs/webhooks.md)."""

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictStr

from core import permissions
from webhooks import rules, selectors, services
from webhooks.models import Delivery, Endpoint

from .auth import MemberToken, tenant_lookup
from .schemas import ERRORS, WRITE_ERRORS, In, PageIn, paginate

router = Router(tags=["webhooks"])

admin = MemberToken(ask=permissions.may_manage_webhooks)

Format = Literal["standard", "slack"]
DeliveryStatus = Literal["pending", "retrying", "succeeded", "failed"]


@tenant_lookup("webhook_id")
def _endpoint(organization, raw):
    return selectors.endpoint_get(organization=organization, pk=raw)


class WebhookIn(In):
    url: StrictStr = Field(description="An https URL (see docs/webhooks.md for the targets).")
    events: list[StrictStr] = Field(
        max_length=len(rules.EVENTS), description="One or more of: " + ", ".join(rules.EVENTS)
    )
    format: Format = Field(
        default="standard",
        description='standard: signed Standard Webhooks JSON; slack: {"text"} for Slack.',
    )


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    format: Format
    active: bool = Field(description="False once the receiver answered 410 Gone.")
    created_by: str | None
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="whsec_…: verifies the signatures; shown only this once.")


class WebhookListOut(Schema):
    items: list[WebhookOut]
    count: int


class DeliveryOut(Schema):
    id: str
    event_type: str
    message_id: str = Field(description="The webhook-id header: the same on every attempt.")
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_response_ms: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime


class DeliveryListOut(Schema):
    items: list[DeliveryOut]
    count: int


class TestQueuedOut(Schema):
    id: str
    message_id: str
    status: DeliveryStatus


def webhook_out(endpoint: Endpoint) -> dict:
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "events": list(endpoint.events or []),
        "format": endpoint.format,
        "active": endpoint.active,
        "created_by": endpoint.created_by.get_username() if endpoint.created_by else None,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: Delivery) -> dict:
    return {
        "id": str(delivery.pk),
        "event_type": delivery.event_type,
        "message_id": delivery.message_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_response_ms": delivery.last_response_ms,
        "last_error": delivery.last_error or None,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
    }


@router.post("/webhooks", response={201: WebhookCreatedOut, **WRITE_ERRORS}, auth=admin)
def webhook_create(request, payload: WebhookIn):
    """Register an endpoint; the answer holds its signing secret, shown only this once."""
    endpoint, secret = services.endpoint_create(
        membership=request.auth, url=payload.url, events=payload.events, format=payload.format
    )
    return Status(201, {**webhook_out(endpoint), "secret": secret})


@router.get("/webhooks", response={200: WebhookListOut, **ERRORS}, auth=admin)
def webhook_list(request, params: Query[PageIn]):
    """The organization's endpoints, newest first, 50 a page (never their secrets)."""
    offset, limit = paginate(params.page)
    items, count = selectors.endpoint_page(
        organization=request.auth.organization, offset=offset, limit=limit
    )
    return {"items": [webhook_out(e) for e in items], "count": count}


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, auth=admin)
def webhook_delete(request, webhook_id: str):
    """Delete an endpoint and its deliveries; nothing more is sent to it."""
    services.endpoint_delete(endpoint=request.tenant_objects["webhook_id"], membership=request.auth)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries", response={200: DeliveryListOut, **ERRORS}, auth=admin
)
def webhook_deliveries(request, webhook_id: str, params: Query[PageIn]):
    """The endpoint's deliveries, newest first, 50 a page: status, attempts, the last status
    code, response time and error, and when the next attempt is due."""
    offset, limit = paginate(params.page)
    items, count = selectors.delivery_page(
        endpoint=request.tenant_objects["webhook_id"], offset=offset, limit=limit
    )
    return {"items": [delivery_out(d) for d in items], "count": count}


@router.post(
    "/webhooks/{webhook_id}/test", response={202: TestQueuedOut, **WRITE_ERRORS}, auth=admin
)
def webhook_test(request, webhook_id: str):
    """Queue a signed `webhook.test` event to the endpoint; watch it in its deliveries."""
    delivery = services.endpoint_test(
        endpoint=request.tenant_objects["webhook_id"], membership=request.auth
    )
    return Status(
        202, {"id": str(delivery.pk), "message_id": delivery.message_id, "status": delivery.status}
    )
