"""Phase gates: each agent's four gates, their checklist items, the signed decisions, and the
prompt versions that CI posts through the deployment gate (docs/rules.md §2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agents.models import Agent
from core.append_only import AppendOnly

from .promptfoo import suite_from_json, summary


class PromptVersion(models.Model):
    """A prompt version posted by CI, with the deployment gate's answer (docs/rules.md §2)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="prompt_versions")

    class DeltaSource(models.TextChoices):
        GIVEN = "given", "given by CI"
        COMPUTED = "computed", "computed against the current version's results"
        FIRST_VERSION = "first_version", "first version: 0"
        NO_PREVIOUS_RESULTS = "no_previous_results", "the current version stored no results: 0"

    tag = models.CharField(max_length=100)
    regression_passed = models.BooleanField()
    adversarial_passed = models.BooleanField()
    # A suite sent as promptfoo's results stores {passed, failed, errors, outcomes: {key:
    # pass | fail | error}} (gates/promptfoo.py); one sent as a boolean stores null.
    regression_results = models.JSONField(null=True, blank=True)
    adversarial_results = models.JSONField(null=True, blank=True)
    pass_rate_threshold = models.FloatField(null=True, blank=True)
    delta = models.FloatField()
    delta_source = models.CharField(
        max_length=30, choices=DeltaSource.choices, default=DeltaSource.GIVEN
    )
    delta_against = models.CharField(max_length=100, blank=True)
    tolerance = models.FloatField()
    rollback_target = models.CharField(max_length=100, blank=True)
    ship = models.BooleanField()
    reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "tag"], name="prompt_unique_tag"),
            models.CheckConstraint(
                condition=Q(delta__gte=0) & Q(tolerance__gte=0), name="prompt_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.tag

    @property
    def regression_counts(self) -> str:
        """ "48/48 passed" for a suite sent as results; "" for one sent as a boolean."""
        suite = suite_from_json(self.regression_results)
        return summary(suite) if suite else ""

    @property
    def adversarial_counts(self) -> str:
        suite = suite_from_json(self.adversarial_results)
        return summary(suite) if suite else ""


class Gate(models.Model):
    """One of an agent's four phase gates; its state follows the decisions and changes."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        GO = "go", "Go"
        NO_GO = "no_go", "No-go"
        NEEDS_REVIEW = "needs_review", "Needs review"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="gates")
    phase = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    review_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["agent", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "phase"], name="gate_unique_phase"),
            models.CheckConstraint(
                condition=Q(phase__gte=1) & Q(phase__lte=4), name="gate_phase_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} phase {self.phase}: {self.state}"


class ChecklistItem(models.Model):
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(max_length=60)
    met = models.BooleanField(default=False)
    evidence = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["gate", "id"]
        constraints = [models.UniqueConstraint(fields=["gate", "key"], name="item_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}: {'met' if self.met else 'not met'}"


class GateDecision(AppendOnly, models.Model):
    """A signed go / no-go. Append-only: a later decision supersedes, nothing is edited."""

    class Decision(models.TextChoices):
        GO = "go", "Go"
        NO_GO = "no_go", "No-go"

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    rationale = models.TextField()
    unmet_items = models.JSONField(default=list, blank=True)
    # The computed items as the decider saw them: [{key, met, source, evidence}].
    evidence = models.JSONField(default=list, blank=True)
    readiness = models.JSONField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    append_only_message = "Gate decisions are append-only."

    def __str__(self) -> str:
        return f"{self.decision} by {self.decided_by} on {self.decided_at:%Y-%m-%d}"
