"""Frameworks (data, pinned by the assessments that use them), assessments and their scores."""

from django.contrib import admin

from core.admin_scoping import OrganizationScopedAdmin

from .models import Assessment, Criterion, Dimension, Framework, Score
from .selectors import framework_in_use


def _framework_in_use(framework) -> bool:
    return framework is not None and framework_in_use(framework=framework)


class FrameworkPinnedMixin:
    """The framework is shared by every organization: only superusers change it, and a version
    that assessments are pinned to is read-only (edit a new version). Staff may look."""

    def _framework_of(self, obj):
        return obj

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        if not request.user.is_superuser:
            return False
        if obj is not None and _framework_in_use(self._framework_of(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not request.user.is_superuser:
            return False
        if obj is not None and _framework_in_use(self._framework_of(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


class DimensionInline(FrameworkPinnedMixin, admin.TabularInline):
    model = Dimension
    extra = 0
    fields = ["position", "key", "name"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        if _framework_in_use(obj):
            return False
        return super().has_add_permission(request, obj)


class CriterionInline(admin.StackedInline):
    model = Criterion
    extra = 0
    fields = [("position", "key"), "name", "level_1", "level_3", "level_5"]

    def _locked(self, obj):
        return obj is not None and _framework_in_use(obj.framework)

    def _may_edit(self, request, obj) -> bool:
        return request.user.is_superuser and not self._locked(obj)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_delete_permission(request, obj)


@admin.register(Framework)
class FrameworkAdmin(FrameworkPinnedMixin, admin.ModelAdmin):
    list_display = ["name", "version", "is_default", "created_at"]
    list_filter = ["is_default", "name"]
    search_fields = ["name"]
    inlines = [DimensionInline]


@admin.register(Dimension)
class DimensionAdmin(FrameworkPinnedMixin, admin.ModelAdmin):
    list_display = ["name", "key", "position", "framework"]
    list_filter = ["framework"]
    search_fields = ["name", "key"]
    list_select_related = ["framework"]
    inlines = [CriterionInline]

    def _framework_of(self, obj):
        return obj.framework


@admin.register(Criterion)
class CriterionAdmin(FrameworkPinnedMixin, admin.ModelAdmin):
    list_display = ["name", "key", "position", "dimension", "framework"]
    list_filter = ["dimension__framework", "dimension__key"]
    search_fields = ["name", "key", "level_1", "level_3", "level_5"]
    list_select_related = ["dimension__framework"]

    def _framework_of(self, obj):
        return obj.dimension.framework

    @admin.display(description="framework", ordering="dimension__framework")
    def framework(self, obj):
        return obj.dimension.framework


def _submitted(assessment) -> bool:
    return assessment is not None and assessment.status == Assessment.Status.SUBMITTED


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = ["criterion", "value"]
    raw_id_fields = ["criterion"]

    def has_add_permission(self, request, obj=None):
        return not _submitted(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _submitted(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _submitted(obj) and super().has_delete_permission(request, obj)


@admin.register(Assessment)
class AssessmentAdmin(OrganizationScopedAdmin):
    """A submitted assessment is read-only here as everywhere (docs/rules.md §1)."""

    list_display = [
        "title",
        "organization",
        "status",
        "verdict",
        "total",
        "framework",
        "created_by",
        "created_at",
        "submitted_at",
    ]
    list_filter = ["status", "verdict", "organization", "framework"]
    search_fields = ["title", "organization__name", "created_by__username"]
    list_select_related = ["organization", "framework", "created_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["created_by", "submitted_by"]
    readonly_fields = [
        "version",
        "status",
        "submitted_by",
        "submitted_at",
        "total",
        "verdict",
        "created_at",
        "updated_at",
    ]
    inlines = [ScoreInline]

    def has_change_permission(self, request, obj=None):
        return not _submitted(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _submitted(obj) and super().has_delete_permission(request, obj)


@admin.register(Score)
class ScoreAdmin(OrganizationScopedAdmin):
    organization_path = "assessment__organization"
    list_display = ["assessment", "criterion", "value", "organization"]
    list_filter = ["value", "assessment__organization", "criterion__dimension__key"]
    search_fields = ["assessment__title", "criterion__key", "criterion__name"]
    list_select_related = ["assessment__organization", "criterion"]
    raw_id_fields = ["assessment", "criterion"]

    @admin.display(description="organization", ordering="assessment__organization__name")
    def organization(self, obj):
        return obj.assessment.organization

    def has_change_permission(self, request, obj=None):
        return not (obj and _submitted(obj.assessment)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj and _submitted(obj.assessment)) and super().has_delete_permission(
            request, obj
        )
