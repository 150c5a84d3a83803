"""Outcome metrics: per-period snapshots against the human baseline, each agent's advance and
alert thresholds, and the horizon decisions of its rollout (docs/rules.md §3–4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agents.models import Agent
from core.append_only import AppendOnly

from .metrics import ALL_FIELDS

THRESHOLD_FRACTIONS = (
    "advance_completion_min",
    "advance_escalation_max",
    "advance_error_max",
    "alert_error_rate_max",
    "alert_escalation_max",
    "alert_completion_min",
    "alert_failed_tool_calls_max",
    "alert_quality_min",
)
# The on/off switches an admin may turn off (each unmeets the phase-4 item that reads it).
THRESHOLD_SWITCHES = (
    "alert_error_rate_on",
    "alert_escalation_on",
    "alert_completion_on",
    "alert_quality_on",
    "auto_suspend",
)


class AgentThresholds(models.Model):
    """Per-agent advance and alert thresholds (docs/rules.md §3–4); admins change them. The defaults
    are outcomes.metrics.Thresholds'."""

    class ErrorMode(models.TextChoices):
        BASELINE = "baseline", "The snapshot's human baseline"
        FIXED = "fixed", "A fixed fraction"

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="thresholds")
    advance_completion_min = models.FloatField(default=0.90)
    advance_escalation_max = models.FloatField(default=0.10)
    advance_error_mode = models.CharField(
        max_length=10, choices=ErrorMode.choices, default=ErrorMode.BASELINE
    )
    advance_error_max = models.FloatField(null=True, blank=True)
    alert_error_rate_max = models.FloatField(default=0.10)
    alert_escalation_max = models.FloatField(default=0.30)
    alert_completion_min = models.FloatField(default=0.50)
    alert_failed_tool_calls_max = models.FloatField(default=0.05)
    alert_policy_violations_max = models.PositiveIntegerField(default=0)
    alert_quality_min = models.FloatField(default=0.70)
    alert_unregistered_tool_use = models.BooleanField(
        default=True, help_text="Suspend when the runtime uses a tool it holds no permission for."
    )
    # An admin may switch an alert off; phase 4's alert_thresholds item is then unmet.
    alert_error_rate_on = models.BooleanField(default=True, help_text="Alert on the error rate.")
    alert_escalation_on = models.BooleanField(
        default=True, help_text="Alert on the escalation rate."
    )
    alert_completion_on = models.BooleanField(
        default=True, help_text="Alert on the task completion rate."
    )
    alert_quality_on = models.BooleanField(
        default=True, help_text="Alert on the output quality score (phase 4's quality threshold)."
    )
    auto_suspend = models.BooleanField(
        default=True,
        help_text="A crossed alert threshold suspends the agent at once. Switching it off is "
        "an admin's audited action and unmeets phase 4's auto_suspend item.",
    )
    budget_alert_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=80,
        help_text="Warn when the month's spend reaches this share of the monthly budget "
        "(1-100); empty switches the budget alert off.",
    )
    stabilization_weeks = models.PositiveSmallIntegerField(default=8)
    # Why a minimum below STABILIZATION_USUAL_WEEKS was chosen (required then, else "").
    stabilization_reason = models.TextField(max_length=1000, blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    FRACTIONS = THRESHOLD_FRACTIONS
    # A stabilization minimum below this many weeks is short: it needs a written reason and is
    # flagged on the gate board and in the board pack.
    STABILIZATION_USUAL_WEEKS = 8

    class Meta:
        verbose_name_plural = "agent thresholds"
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0}) & Q(**{f"{name}__lte": 1})
                | Q(**{f"{name}__isnull": True}),
                name=f"thresholds_{name}_fraction",
            )
            for name in THRESHOLD_FRACTIONS
        ] + [
            models.CheckConstraint(
                condition=Q(budget_alert_percent__gte=1, budget_alert_percent__lte=100)
                | Q(budget_alert_percent__isnull=True),
                name="thresholds_budget_alert_percent",
            )
        ]

    def __str__(self) -> str:
        return f"Thresholds of {self.agent}"

    @property
    def stabilization_short(self) -> bool:
        return self.stabilization_weeks < self.STABILIZATION_USUAL_WEEKS


class MetricSnapshot(models.Model):
    """One period's outcome metrics for an agent, against the human baseline (docs/rules.md §3)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="snapshots")
    period_start = models.DateField()
    period_end = models.DateField()
    tasks = models.PositiveBigIntegerField()
    tasks_completed = models.PositiveBigIntegerField()
    escalations = models.PositiveBigIntegerField()
    errors = models.PositiveBigIntegerField()
    cost = models.FloatField()
    avg_cycle_time_s = models.FloatField()
    baseline_cost_per_case = models.FloatField()
    baseline_cycle_time_s = models.FloatField()
    baseline_error_rate = models.FloatField()
    failed_tool_calls = models.PositiveBigIntegerField(null=True, blank=True)
    policy_violations = models.PositiveBigIntegerField(null=True, blank=True)
    quality_score = models.FloatField(null=True, blank=True)
    calls_per_hour = models.FloatField(null=True, blank=True)
    breaches = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_end", "-id"]
        indexes = [models.Index(fields=["agent", "-period_end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="snapshot_period_order"
            ),
            models.CheckConstraint(
                condition=Q(tasks_completed__lte=models.F("tasks"))
                & Q(escalations__lte=models.F("tasks"))
                & Q(errors__lte=models.F("tasks")),
                name="snapshot_counts_within_tasks",
            ),
            models.CheckConstraint(
                condition=Q(cost__gte=0)
                & Q(avg_cycle_time_s__gte=0)
                & Q(baseline_cost_per_case__gte=0)
                & Q(baseline_cycle_time_s__gte=0)
                & Q(baseline_error_rate__gte=0)
                & Q(baseline_error_rate__lte=1),
                name="snapshot_numbers_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.period_start}–{self.period_end}"

    def values(self) -> dict:
        return {name: getattr(self, name) for name in ALL_FIELDS}


class HorizonDecision(AppendOnly, models.Model):
    """An approver's advance from one rollout horizon to the next. Append-only."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="horizon_decisions")
    from_horizon = models.CharField(max_length=20, choices=Agent.Horizon.choices)
    to_horizon = models.CharField(max_length=20, choices=Agent.Horizon.choices)
    rationale = models.TextField()
    figures = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    append_only_message = "Horizon decisions are append-only."

    def __str__(self) -> str:
        return f"{self.agent}: {self.from_horizon} → {self.to_horizon}"
