"""Admin pages of single sign-on. Mappings are edited by superusers (through the services,
so each change is audited); the rest is read-only and, for staff who are not superusers,
scoped to the organizations they administer."""

from django import forms
from django.contrib import admin

from core.admin_scoping import ReadOnlyAdmin
from core.errors import InvalidInput

from . import services
from .forms import ROLE_FIELD_CHOICES
from .models import GroupMapping, OrganizationSso, SsoExclusion, SsoGrant, SsoIdentity


class GroupMappingAdminForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=ROLE_FIELD_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = GroupMapping
        fields = ["claim_value", "organization", "roles"]

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or getattr(self.instance, "organization", None)
        try:
            services._mapping_input(
                cleaned.get("claim_value"),
                organization,
                cleaned.get("roles"),
                pk=self.instance.pk,
            )
        except InvalidInput as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin):
    form = GroupMappingAdminForm
    list_display = ["claim_value", "organization", "roles", "updated_at"]
    list_filter = ["organization"]
    search_fields = ["claim_value", "organization__name"]
    list_select_related = ["organization"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def get_readonly_fields(self, request, obj=None):
        return ["organization"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.mapping_update(
                by=request.user, mapping=obj, claim_value=data["claim_value"], roles=data["roles"]
            )
        else:
            saved = services.mapping_create(
                by=request.user,
                claim_value=data["claim_value"],
                organization=data["organization"],
                roles=data["roles"],
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.mapping_delete(by=request.user, mapping=obj)

    def delete_queryset(self, request, queryset):
        for mapping in queryset.select_related("organization"):
            services.mapping_delete(by=request.user, mapping=mapping)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(ReadOnlyAdmin):
    organization_path = "user__memberships__organization"
    list_display = ["user", "issuer", "subject", "created_at", "last_sign_in_at"]
    search_fields = ["user__username", "subject"]
    list_select_related = ["user"]


@admin.register(SsoGrant)
class SsoGrantAdmin(ReadOnlyAdmin):
    organization_path = "membership__organization"
    list_display = ["membership", "role", "mapping", "granted_at"]
    list_filter = ["role"]
    list_select_related = ["membership__user", "membership__organization", "mapping"]


@admin.register(SsoExclusion)
class SsoExclusionAdmin(ReadOnlyAdmin):
    list_display = ["user", "organization", "created_at"]
    list_select_related = ["user", "organization"]

    def has_delete_permission(self, request, obj=None):
        # Deleting one lets the mappings add the person back at their next sign-in.
        return request.user.is_superuser


@admin.register(OrganizationSso)
class OrganizationSsoAdmin(ReadOnlyAdmin):
    list_display = ["organization", "require_sso", "updated_at"]
    list_filter = ["require_sso"]
    list_select_related = ["organization"]
