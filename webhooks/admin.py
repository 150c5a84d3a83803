"""Webhook endpoints and deliveries in the admin: read-only (the services are the only writers,
with their audit entries), scoped to the organizations a staff member administers. One action:
send selected deliveries again, as the acting admin member of their organization."""

from django.contrib import admin, messages

from accounts.selectors import admin_memberships_of
from core.admin_scoping import ReadOnlyAdmin, ReadOnlyInline
from core.errors import Conflict, Forbidden

from . import services
from .models import Delivery, Endpoint


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = ["event_type", "status", "attempts", "last_status_code", "created_at"]
    ordering = ["-created_at"]
    max_num = 0


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "organization", "format", "active", "created_by", "created_at"]
    list_filter = ["format", "active", "organization"]
    search_fields = ["url"]
    list_select_related = ["organization", "created_by"]
    exclude = ["secret"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    organization_path = "endpoint__organization"
    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_response_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "endpoint__organization"]
    search_fields = ["message_id", "endpoint__url", "event_type"]
    list_select_related = ["endpoint", "endpoint__organization"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description="Send the selected deliveries again")
    def send_again(self, request, queryset):
        memberships = admin_memberships_of(user=request.user)
        sent, skipped = 0, []
        for delivery in queryset.select_related("endpoint"):
            membership = memberships.get(delivery.endpoint.organization_id)
            if membership is None:
                skipped.append(f"{delivery.message_id}: you are not an admin of its organization")
                continue
            try:
                services.delivery_resend(delivery=delivery, membership=membership)
            except (Conflict, Forbidden) as error:
                skipped.append(f"{delivery.message_id}: {getattr(error, 'text', error)}")
            else:
                sent += 1
        if sent:
            self.message_user(request, f"{sent} delivery(ies) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(request, "Not sent: " + "; ".join(skipped), messages.WARNING)
