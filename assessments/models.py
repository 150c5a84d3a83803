from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import scoring


class Framework(models.Model):
    """A versioned readiness framework (data, not code); assessments are pinned to one."""

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="framework_unique_version"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="framework_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @cached_property
    def ordered_dimensions(self) -> list["Dimension"]:
        return sorted(self.dimensions.all(), key=lambda d: d.position)

    @cached_property
    def shape(self) -> scoring.FrameworkShape:
        return scoring.FrameworkShape(
            tuple(
                scoring.DimensionShape(
                    dim.key,
                    dim.name,
                    tuple(c.key for c in dim.ordered_criteria),
                )
                for dim in self.ordered_dimensions
            )
        )

    @cached_property
    def criteria_by_key(self) -> dict[str, "Criterion"]:
        return {c.key: c for dim in self.ordered_dimensions for c in dim.criteria.all()}

    @cached_property
    def criteria_by_id(self) -> dict[int, "Criterion"]:
        return {c.pk: c for c in self.criteria_by_key.values()}


class Dimension(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="dimensions")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="dimension_unique_key"),
            models.UniqueConstraint(
                fields=["framework", "position"], name="dimension_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ordered_criteria(self) -> list["Criterion"]:
        return sorted(self.criteria.all(), key=lambda c: c.position)


class Criterion(models.Model):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField()
    level_1 = models.TextField("level 1")
    level_3 = models.TextField("level 3")
    level_5 = models.TextField("level 5")

    class Meta:
        ordering = ["dimension", "position"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["dimension", "key"], name="criterion_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def levels(self) -> dict[str, str]:
        return {"1": self.level_1, "3": self.level_3, "5": self.level_5}


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="assessments"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Counts saves; stale saves fail.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Frozen at submission (the scores of a submitted assessment never change); drafts compute.
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="assessment_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "status", "-submitted_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def score_map(self) -> dict[str, int]:
        """Criterion key to score; uses prefetched scores when present."""
        by_id = self.framework.criteria_by_id
        return {by_id[s.criterion_id].key: s.value for s in self.scores.all()}

    @cached_property
    def result(self) -> scoring.Result | None:
        return scoring.assessment_result(self.framework.shape, self.score_map)


class Score(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="score_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=scoring.MIN_SCORE) & Q(value__lte=scoring.MAX_SCORE),
                name="score_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.value}"
