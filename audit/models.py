from django.conf import settings
from django.db import models
from django.utils import timezone


class ChainHead(models.Model):
    """The head of one hash chain; appending locks this row so two writers never fork it."""

    chain = models.CharField(max_length=40, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} @ {self.seq}"


class AuditEntry(models.Model):
    """One change of state: who, when, what, before and after. Append-only."""

    chain = models.CharField(max_length=40, db_index=True)
    seq = models.PositiveBigIntegerField()
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(
        max_length=16, blank=True, help_text="The audit key whose HMAC the hash is (its id)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_unique_chain_seq")
        ]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit entries are append-only.")

    def content(self) -> dict:
        """What the hash covers (stable field names, ISO time; the key's id once signed)."""
        content = {
            "chain": self.chain,
            "seq": self.seq,
            "organization": self.organization_id,
            "actor": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "before": self.before,
            "after": self.after,
            "created_at": self.created_at.isoformat(),
        }
        if self.key_id:
            content["key"] = self.key_id
        return content


class AuditCheckpoint(models.Model):
    """A copy, for listing, of a checkpoint whose original lives outside the database (in
    the `audit_checkpoints` storage): the chain heads as they were when it was taken. The
    verifier trusts the stored file, never this row."""

    class Reason(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMMAND = "command", "manage.py audit_checkpoint"
        REPORT = "report", "Board report"

    name = models.CharField(max_length=200, unique=True, help_text="The file in the storage.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Set when only this organization's chain was checkpointed (a report).",
    )
    heads = models.JSONField(help_text="[{chain, seq, hash}] as checkpointed.")
    key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} checkpoint {self.created_at:%Y-%m-%d %H:%M}"

    def head_of(self, chain: str) -> dict | None:
        return next((h for h in self.heads if h.get("chain") == chain), None)
