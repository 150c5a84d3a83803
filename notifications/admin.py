"""Notifications, email preferences and announced reminders in the admin: read-only (the
room's services are their only writers), scoped to the organizations a staff member
administers."""

from django.contrib import admin

from core.admin_scoping import ReadOnlyAdmin

from .models import Notification, NotificationPreference, ReminderAnnouncement


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "text",
        "kind",
        "recipient",
        "organization",
        "created_at",
        "read_at",
        "emailed_at",
    ]
    list_filter = ["kind", "organization", "created_at"]
    search_fields = ["text", "recipient__user__username"]
    list_select_related = ["organization", "recipient__user", "recipient__organization"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    organization_path = "membership__organization"
    list_display = ["membership", "kind", "email", "updated_at"]
    list_filter = ["kind", "email", "membership__organization"]
    search_fields = ["membership__user__username"]
    list_select_related = ["membership__user", "membership__organization"]


@admin.register(ReminderAnnouncement)
class ReminderAnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["kind", "key", "organization", "announced_at", "fingerprint"]
    list_filter = ["kind", "organization"]
    search_fields = ["key"]
    list_select_related = ["organization"]
    date_hierarchy = "announced_at"
