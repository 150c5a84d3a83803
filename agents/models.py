from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import hash_token
from readiness.append_only import AppendOnly


class Agent(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    class Horizon(models.TextChoices):
        STABILIZATION = "stabilization", "Stabilization"
        SCALING = "scaling", "Scaling"
        OPTIMIZATION = "optimization", "Optimization"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="agents"
    )
    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    business_unit = models.CharField(max_length=120, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_agents"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.ACTIVE)
    horizon = models.CharField(max_length=20, choices=Horizon.choices, blank=True)
    current_prompt = models.ForeignKey(
        "PromptVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Guardrail limits (SPEC §2); empty means no limit set.
    api_calls_per_hour = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_session = models.PositiveIntegerField(null=True, blank=True)
    sequential_actions_before_confirmation = models.PositiveIntegerField(null=True, blank=True)
    monthly_budget = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Counts saves; stale saves fail.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="agent_unique_name"),
            models.CheckConstraint(
                condition=Q(monthly_budget__isnull=True) | Q(monthly_budget__gte=0),
                name="agent_budget_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.state == self.State.SUSPENDED

    def guardrails(self) -> dict:
        return {
            "api_calls_per_hour": self.api_calls_per_hour,
            "tokens_per_session": self.tokens_per_session,
            "sequential_actions_before_confirmation": self.sequential_actions_before_confirmation,
            "monthly_budget": float(self.monthly_budget)
            if self.monthly_budget is not None
            else None,
        }


class DecisionBoundary(models.Model):
    class Mode(models.TextChoices):
        ALONE = "alone", "Decides alone"
        ESCALATE = "escalate", "Escalates"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="decision_boundaries")
    decision = models.CharField(max_length=300)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agent", "position", "id"]

    def __str__(self) -> str:
        return f"{self.decision} ({self.mode})"


class EscalationPath(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="escalation_paths")
    failure_state = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agent", "position", "id"]

    def __str__(self) -> str:
        return f"{self.failure_state} → {self.owner}"


class ToolPermission(models.Model):
    class Access(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        ADMIN = "admin", "Admin"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tool_permissions")
    tool = models.CharField(max_length=200)
    access = models.CharField(max_length=10, choices=Access.choices)
    justification = models.TextField(blank=True)
    last_used = models.DateField(null=True, blank=True)
    last_reviewed = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["agent", "position", "id"]

    def __str__(self) -> str:
        return f"{self.tool} ({self.access})"


class PromptVersion(models.Model):
    """A prompt version posted by CI, with the deployment gate's answer (SPEC §2)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="prompt_versions")
    tag = models.CharField(max_length=100)
    regression_passed = models.BooleanField()
    adversarial_passed = models.BooleanField()
    delta = models.FloatField()
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
        import secrets

        raw = "rdy_agent_" + secrets.token_urlsafe(32)
        return raw, hash_token(raw), raw[:16]


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


class AgentThresholds(models.Model):
    """Per-agent advance and alert thresholds (SPEC §3–4); admins change them. The defaults
    are agents.metrics.Thresholds'."""

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
    stabilization_weeks = models.PositiveSmallIntegerField(default=8)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    FRACTIONS = THRESHOLD_FRACTIONS

    class Meta:
        verbose_name_plural = "agent thresholds"
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": 0}) & Q(**{f"{name}__lte": 1})
                | Q(**{f"{name}__isnull": True}),
                name=f"thresholds_{name}_fraction",
            )
            for name in THRESHOLD_FRACTIONS
        ]

    def __str__(self) -> str:
        return f"Thresholds of {self.agent}"


class MetricSnapshot(models.Model):
    """One period's outcome metrics for an agent, against the human baseline (SPEC §3)."""

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
        from .metrics import ALL_FIELDS

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


class RiskAssessment(models.Model):
    """In optimization, a new tool or decision scope needs a recorded risk assessment first."""

    class Scope(models.TextChoices):
        TOOL = "tool", "New tool permission"
        DECISION = "decision", "New decision scope"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="risk_assessments")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    subject = models.CharField(max_length=300, help_text="The tool or the decision it covers.")
    assessment = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Risk assessment: {self.subject}"
