"""Admin pages scoped to the organizations a staff member administers.

Superusers see every row. Staff who are not superusers see only the rows of the organizations
where they are an admin member. The organization model is looked up by its label, so every app
can use this without importing accounts (docs/architecture.md).
"""

from django.apps import apps
from django.contrib import admin


def admin_organizations(user):
    """The organizations a staff user administers (as an admin member)."""
    organization = apps.get_model("accounts", "Organization")
    return organization.objects.filter(memberships__user=user, memberships__is_admin=True)


class OrganizationScopedAdmin(admin.ModelAdmin):
    """Limit a non-superuser's rows and organization choices to the organizations they admin."""

    organization_path = "organization"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{f"{self.organization_path}__in": admin_organizations(request.user)}
        ).distinct()

    def get_list_filter(self, request):
        """A staff member's filters by organization list only the organizations they see, never
        another organization's name."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (f, admin.RelatedOnlyFieldListFilter)
            if isinstance(f, str) and f.split("__")[-1] == "organization"
            else f
            for f in filters
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = admin_organizations(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyMixin:
    """View only: no add, change or delete (the rooms' services are the only writers)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class ReadOnlyAdmin(ReadOnlyMixin, OrganizationScopedAdmin):
    pass
