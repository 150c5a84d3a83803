"""The webhooks pages (admins): register an endpoint and see its secret once, delete one, send
a test event, and each endpoint's deliveries with "send again" (docs/webhooks.md)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import permissions
from core.errors import Conflict, Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required, url_object

from . import rules, selectors, services
from .forms import EndpointForm
from .selectors import delivery_get, endpoint_get

PAGE_SIZE = 25
SECRET_SESSION_KEY = "webhooks:new_secret"  # nosec B105 -- a session key name


def _endpoint(request, pk):
    return endpoint_get(organization=request.membership.organization, pk=pk)


@member_required(allow=by_roles(permissions.may_manage_webhooks))
def endpoint_list(request):
    """GET: the organization's endpoints and the form. POST: register one; the page then shows
    its secret once (kept in the session only until it is shown)."""
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                membership=request.membership,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                format=form.cleaned_data["format"],
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        except InvalidInput as error:
            form.add_service_errors(error.errors)
        except Conflict as conflict:
            form.add_error(None, conflict.text)
        else:
            request.session[SECRET_SESSION_KEY] = {"id": endpoint.pk, "secret": secret}
            messages.success(request, f"Webhook registered: {endpoint.url}.")
            return redirect("webhooks:list")
    new = request.session.pop(SECRET_SESSION_KEY, None) if request.method == "GET" else None
    endpoints = selectors.endpoint_summaries(organization=request.membership.organization)
    return render(
        request,
        "webhooks/list.html",
        {"form": form, "endpoints": endpoints, "new": new, "events": rules.EVENTS},
        status=400 if form.errors else 200,
    )


@require_POST
@member_required(allow=by_roles(permissions.may_manage_webhooks), objects=url_object(endpoint_get))
def endpoint_delete(request, pk):
    endpoint = _endpoint(request, pk)
    try:
        services.endpoint_delete(endpoint=endpoint, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    messages.success(request, f"Webhook deleted: {endpoint.url}. Nothing more is sent to it.")
    return redirect("webhooks:list")


@require_POST
@member_required(allow=by_roles(permissions.may_manage_webhooks), objects=url_object(endpoint_get))
def endpoint_test(request, pk):
    endpoint = _endpoint(request, pk)
    try:
        services.endpoint_test(endpoint=endpoint, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, conflict.text)
        return redirect("webhooks:list")
    messages.success(
        request, "Test event queued: its delivery is listed below within a few seconds."
    )
    return redirect("webhooks:deliveries", pk=endpoint.pk)


@member_required(allow=by_roles(permissions.may_manage_webhooks), objects=url_object(endpoint_get))
def delivery_list(request, pk):
    endpoint = _endpoint(request, pk)
    deliveries = selectors.delivery_list(endpoint=endpoint).order_by("-created_at", "-id")
    paginator = Paginator(deliveries, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/deliveries.html",
        {"endpoint": endpoint, "page": page, "deliveries": list(page)},
    )


@require_POST
@member_required(allow=by_roles(permissions.may_manage_webhooks), objects=url_object(endpoint_get))
def delivery_resend(request, pk, delivery_id):
    endpoint = _endpoint(request, pk)
    delivery = delivery_get(endpoint=endpoint, pk=delivery_id)
    try:
        services.delivery_resend(delivery=delivery, membership=request.membership)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except Conflict as conflict:
        messages.error(request, conflict.text)
    else:
        messages.success(request, f"Delivery {delivery.message_id} is being sent again.")
    return redirect("webhooks:deliveries", pk=endpoint.pk)
