"""The audit trail in the admin: readable and searchable, never writable."""

from django.contrib import admin

from core.admin_scoping import OrganizationScopedAdmin

from .models import AuditCheckpoint, AuditEntry, ChainHead


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin, OrganizationScopedAdmin):
    list_display = [
        "created_at",
        "organization",
        "actor_label",
        "action",
        "object_label",
        "chain",
        "seq",
        "short_hash",
    ]
    list_filter = ["action", "organization", "chain"]
    search_fields = ["actor_label", "action", "object_label", "object_type", "object_id"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    @admin.display(description="hash")
    def short_hash(self, obj):
        return obj.hash[:10]


@admin.register(ChainHead)
class ChainHeadAdmin(ReadOnlyAdmin):
    list_display = ["chain", "seq", "hash"]
    search_fields = ["chain"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.none()


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    """Checkpoints cover every organization's chain: superusers only."""

    list_display = ["created_at", "reason", "organization", "chains", "key_id", "name"]
    list_filter = ["reason"]
    search_fields = ["name"]
    date_hierarchy = "created_at"

    @admin.display(description="chains")
    def chains(self, obj):
        return len(obj.heads)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("organization")
        if request.user.is_superuser:
            return queryset
        return queryset.none()
