"""Runtime telemetry folded from OpenTelemetry traces (docs/telemetry.md): per-agent hourly
figures and per-tool hourly counts, kept for months; the span ids seen and the running counts
of conversations and runs, kept for 48 hours only (to count a retried span once and to follow
a conversation or a run across exports). No row per span is kept."""

from django.db import models
from django.utils import timezone

from agents.models import Agent


class TelemetryHour(models.Model):
    """What one agent's spans that ended in one UTC hour added up to."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="telemetry_hours")
    hour = models.DateTimeField(help_text="The start of the UTC hour.")
    model_calls = models.PositiveBigIntegerField(default=0)
    runs = models.PositiveBigIntegerField(default=0)
    tool_calls = models.PositiveBigIntegerField(default=0)
    failed_tool_calls = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    max_conversation_tokens = models.PositiveBigIntegerField(
        default=0, help_text="The largest token count of one conversation active in this hour."
    )
    max_run_tool_calls = models.PositiveBigIntegerField(
        default=0, help_text="The most tool calls of one run active in this hour."
    )
    score_count = models.PositiveBigIntegerField(default=0)
    score_sum = models.FloatField(default=0.0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["agent", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "hour"], name="telemetry_hour_unique")
        ]
        indexes = [models.Index(fields=["hour"], name="telemetry_hour_hour")]

    def __str__(self) -> str:
        return f"{self.agent} {self.hour:%Y-%m-%d %H}:00"

    @property
    def score_mean(self) -> float | None:
        return self.score_sum / self.score_count if self.score_count else None


class TelemetryToolHour(models.Model):
    """One tool's calls (and failed calls) by one agent in one UTC hour."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="telemetry_tools")
    hour = models.DateTimeField()
    tool = models.CharField(max_length=200)
    calls = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["agent", "hour", "tool"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "hour", "tool"], name="telemetry_tool_hour_unique"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="telemetry_tool_hour_hour")]

    def __str__(self) -> str:
        return f"{self.agent} {self.tool} {self.hour:%Y-%m-%d %H}:00"


class SeenSpan(models.Model):
    """A span already counted (trace id and span id in hex), so a retried export counts once."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=48)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "key"], name="telemetry_seen_span_unique")
        ]
        indexes = [models.Index(fields=["seen_at"], name="telemetry_seen_span_at")]

    def __str__(self) -> str:
        return self.key


class RunningCount(models.Model):
    """A conversation's tokens so far, or a run's tool calls so far."""

    class Kind(models.TextChoices):
        CONVERSATION = "conversation", "Conversation tokens"
        RUN = "run", "Run tool calls"

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=200)
    value = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "kind", "key"], name="telemetry_running_count_unique"
            )
        ]
        indexes = [models.Index(fields=["updated_at"], name="telemetry_running_count_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.value}"
