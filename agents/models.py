"""The agent registry: each agent, its decision boundaries, escalation paths, tool permissions
and the risk assessments that new scopes need in optimization (docs/rules.md §2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


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
        "gates.PromptVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Guardrail limits (docs/rules.md §2); empty means no limit set.
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


class OwnerChange(models.Model):
    """A change of an agent's owner (naming the owner at registration is not one). For 90 days
    neither the previous owner nor who made the change decides the agent's gates, horizon
    advances or resumes (docs/rules.md, separation of duties)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="owner_changes")
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["agent", "-changed_at"])]

    def __str__(self) -> str:
        return f"{self.agent}: {self.previous_owner} → {self.new_owner}"
