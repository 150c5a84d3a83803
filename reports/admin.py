"""Board reports in the admin: to look at, never to add or edit.

A report is a frozen snapshot with a recorded SHA-256 (docs/rules.md §5): it is requested through
the pages or the API (audited), rendered by the worker, and every field is read-only here.
"""

import json

from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from core.admin_scoping import OrganizationScopedAdmin

from .models import Report


@admin.register(Report)
class ReportAdmin(OrganizationScopedAdmin):
    list_display = [
        "title",
        "organization",
        "status",
        "progress",
        "requested_by",
        "requested_at",
        "size_display",
        "sha256",
    ]
    list_filter = ["status", "organization", "requested_at"]
    search_fields = ["title", "sha256", "requested_by__username"]
    list_select_related = ["organization", "requested_by"]
    date_hierarchy = "requested_at"
    fieldsets = [
        (None, {"fields": ["title", "organization", "period_start", "period_end"]}),
        ("Request", {"fields": ["requested_by", "requested_at", "previous"]}),
        (
            "Rendering",
            {
                "fields": [
                    "status",
                    "progress",
                    "stage",
                    "error",
                    "attempts",
                    "queued_at",
                    "started_at",
                    "finished_at",
                ]
            },
        ),
        ("PDF", {"fields": ["file", "size_display", "pages", "sha256"]}),
        ("Snapshot", {"fields": ["snapshot_pretty"]}),
    ]
    readonly_fields = [
        "title",
        "organization",
        "period_start",
        "period_end",
        "requested_by",
        "requested_at",
        "previous",
        "status",
        "progress",
        "stage",
        "error",
        "attempts",
        "queued_at",
        "started_at",
        "finished_at",
        "file",
        "size_display",
        "pages",
        "sha256",
        "snapshot_pretty",
    ]

    def get_queryset(self, request):
        # The snapshot can be large: loaded only when one report is opened.
        return super().get_queryset(request).defer("snapshot")

    def has_add_permission(self, request):
        return False

    @admin.display(description="size", ordering="size")
    def size_display(self, obj):
        return filesizeformat(obj.size) if obj.size is not None else "—"

    @admin.display(description="snapshot (frozen at request)")
    def snapshot_pretty(self, obj):
        text = json.dumps(obj.snapshot, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 40rem; overflow: auto">{}</pre>', text
        )
