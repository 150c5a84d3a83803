"""Notifications: what each member is told in the app (and by email, as they choose), and
which reminders were announced (docs/notifications.md)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .kinds import LABELS, Kind

KIND_CHOICES = [(kind.value, LABELS[kind]) for kind in Kind]


class Notification(models.Model):
    """One thing one member is told: a line of text and a link to its object."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.BooleanField(
        default=False, help_text="Whether it also goes by email (the member's choice for its kind)."
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(email=True, emailed_at__isnull=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A member's choice of whether one kind of notification also comes by email. Without a
    row, the default of notifications.kinds.EMAIL_BY_DEFAULT holds."""

    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    email = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["membership", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "kind"], name="notification_preference_unique_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership}: {self.kind} by email {'on' if self.email else 'off'}"


class ReminderAnnouncement(models.Model):
    """A due item that was announced, with the fingerprint it had then: it is announced
    again only when the fingerprint changes. The row goes when the item is no longer due."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="reminder_announcements"
    )
    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of what the item was when it was announced."
    )
    announced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "key"], name="reminder_unique_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
