"""Webhook endpoints and their deliveries (docs/webhooks.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Endpoint(models.Model):
    """Where an organization wants its events: a URL, the events, the format and the secret
    that signs every delivery (shown once, when the endpoint is created)."""

    class Format(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks (signed JSON)"
        SLACK = "slack", "Slack incoming webhook"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types this endpoint receives.")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.STANDARD)
    # Kept so that deliveries can be signed; never shown again after creation.
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(
        default=True, help_text="Off once the receiver answered 410 Gone: nothing more is sent."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    def receives(self, event: str) -> bool:
        return event in (self.events or [])


class Delivery(models.Model):
    """One event sent to one endpoint, with its attempts so far."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=50)
    message_id = models.CharField(max_length=50, unique=True)
    payload = models.JSONField(help_text="The body sent, as stored (signed anew each attempt).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    schedule_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The retry schedule counts from here (a resend restarts it).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint} ({self.status})"
