"""Admin for organizations, memberships and API tokens.

The admin is global for superusers. Staff who are not superusers only see the rows of the
organizations where they are an admin member (`OrganizationScopedAdmin`).
"""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count

from audit.actions import Action
from audit.services import audit_record
from core.admin_scoping import OrganizationScopedAdmin
from core.errors import Conflict

from .models import ApiToken, Invitation, Membership, Organization
from .selectors import membership_roles_stored
from .services import member_set_active, token_revoke


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    organization_path = "pk"
    list_display = ["name", "slug", "currency", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("memberships"))

    @admin.display(description="members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    list_display = [
        "user",
        "organization",
        "is_admin",
        "is_assessor",
        "is_approver",
        "is_operator",
        "is_viewer",
        "is_active",
        "created_at",
    ]
    list_filter = [
        "organization",
        "is_active",
        "is_admin",
        "is_assessor",
        "is_approver",
        "is_operator",
        "is_viewer",
    ]
    search_fields = ["user__username", "user__email", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["organization"]
    raw_id_fields = ["user"]
    # Deactivating goes through the service (audited, dated): the action below or the members page.
    readonly_fields = ["is_active", "deactivated_at", "created_at"]
    actions = ["deactivate", "reactivate"]

    def _set_active(self, request, queryset, active: bool) -> None:
        done, refused = 0, []
        for membership in queryset.select_related("user", "organization"):
            try:
                member_set_active(membership=membership, active=active, by=request.user)
                done += 1
            except Conflict as conflict:
                refused.append(conflict.reasons_text)
        if done:
            self.message_user(request, f"{'Reactivated' if active else 'Deactivated'} {done}.")
        for message in refused:
            self.message_user(request, message, level=messages.ERROR)

    @admin.action(description="Deactivate: keep for history, no access")
    def deactivate(self, request, queryset):
        self._set_active(request, queryset, active=False)

    @admin.action(description="Reactivate")
    def reactivate(self, request, queryset):
        self._set_active(request, queryset, active=True)

    def save_model(self, request, obj, form, change):
        """Save, and record a role change in the audit trail as the members page does."""
        before = []
        if change:
            before = membership_roles_stored(pk=obj.pk)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if before != obj.role_names:
                audit_record(
                    organization=obj.organization,
                    actor=request.user,
                    action=Action.MEMBER_ROLES_SET,
                    target=obj,
                    before={"roles": before},
                    after={"roles": obj.role_names, "via": "admin"},
                )


@admin.register(ApiToken)
class ApiTokenAdmin(OrganizationScopedAdmin):
    """Tokens are created on the profile page or by `create_api_token` (the raw value is shown
    once, there); here they can be renamed and revoked. Only the hash is stored."""

    organization_path = "membership__organization"
    list_display = [
        "name",
        "prefix",
        "member",
        "organization",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["membership__organization", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = [
        "name",
        "prefix",
        "membership__user__username",
        "membership__organization__name",
    ]
    list_select_related = ["membership__user", "membership__organization"]
    fields = [
        "name",
        "membership",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = [
        "membership",
        "prefix",
        "key_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="member", ordering="membership__user__username")
    def member(self, obj):
        return obj.membership.user

    @admin.display(description="organization", ordering="membership__organization__name")
    def organization(self, obj):
        return obj.membership.organization

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related(
            "membership__organization"
        ):
            token_revoke(token=token, by=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)


@admin.register(Invitation)
class InvitationAdmin(OrganizationScopedAdmin):
    """Invitations to join an organization; read-only (they are sent from the members page)."""

    list_display = ["email", "organization", "roles", "invited_by", "created_at", "state"]
    list_filter = ["organization"]
    search_fields = ["email", "organization__name"]
    readonly_fields = [
        "organization",
        "email",
        "roles",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "declined_at",
    ]
    exclude = ["key_hash"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="state")
    def state(self, obj):
        if obj.accepted_at:
            return "accepted"
        if obj.declined_at:
            return "declined"
        return "open" if obj.is_open else "expired"
