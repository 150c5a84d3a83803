"""The kill switch: suspensions (by hand, automatic, drills) and the runtime tokens with which an
agent reads its own run status (docs/rules.md §4)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import hash_token
from agents.models import Agent


class Suspension(models.Model):
    """One stop of an agent: by an operator, by an alert threshold, or a drill."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        AUTOMATIC = "automatic", "Automatic (threshold)"
        DRILL = "drill", "Drill"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField()
    details = models.JSONField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    runtime_seen_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent"], condition=Q(ended_at__isnull=True), name="one_open_suspension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} suspension of {self.agent}"

    @property
    def time_to_stop_s(self) -> float | None:
        if self.runtime_seen_at is None:
            return None
        return max(0.0, (self.runtime_seen_at - self.started_at).total_seconds())


class AgentToken(models.Model):
    """A runtime token: reads its own agent's run status and nothing else."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, default="Runtime token")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=20, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        raw = "rdy_agent_" + secrets.token_urlsafe(32)
        return raw, hash_token(raw), raw[:16]
