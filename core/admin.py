from django.contrib import admin

from .models import WorkerHeartbeat, WorkerProbe


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker", "last_ran_at", "beats"]
    readonly_fields = ["worker", "last_ran_at", "beats"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkerProbe)
class WorkerProbeAdmin(admin.ModelAdmin):
    """The health check's probes (manage.py worker_probe); kept an hour."""

    list_display = ["token", "worker", "ran_at"]
    readonly_fields = ["token", "worker", "ran_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
