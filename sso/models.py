"""Single sign-on: who a provider's subject is here, the mappings from a groups claim to an
organization's roles, which roles a mapping granted, and who was removed by hand
(docs/sso.md)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Membership, Organization
from core.roles import Role

ROLE_CHOICES = [(role.value, role.value) for role in Role]


class SsoIdentity(models.Model):
    """The provider's (issuer, subject) of a user: the only way an SSO sign-in finds an
    account. Never matched by a typed username or an email address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SSO identity"
        verbose_name_plural = "SSO identities"
        ordering = ["issuer", "subject"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class GroupMapping(models.Model):
    """A value of the groups claim that gives roles in one organization. Edited by
    superusers, since one provider serves every organization."""

    claim_value = models.CharField(
        max_length=200, help_text="A value of the groups claim, exactly as the provider sends it."
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_mappings"
    )
    roles = models.JSONField(default=list, help_text="Role names this value gives.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["claim_value", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim_value", "organization"], name="sso_mapping_unique_value_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim_value} → {self.organization}"


class SsoGrant(models.Model):
    """A role of a membership that a mapping granted (so a sign-in may take it back); a role
    without one was granted by hand and is kept."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="sso_grants")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    mapping = models.ForeignKey(
        GroupMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="grants"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SSO grant"
        ordering = ["membership", "role"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="sso_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} of {self.membership}"


class SsoExclusion(models.Model):
    """A user removed from an organization by hand: sign-ins do not add them back."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sso_exclusions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_exclusions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SSO exclusion"
        ordering = ["organization__name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="sso_exclusion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} out of {self.organization}"


class OrganizationSso(models.Model):
    """An organization's sign-in policy: with `require_sso`, its members cannot sign in with
    a password."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sso_policy"
    )
    require_sso = models.BooleanField(
        "require single sign-on",
        default=False,
        help_text="Members of this organization sign in with the identity provider only.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "organization sign-in policy"
        verbose_name_plural = "organization sign-in policies"

    def __str__(self) -> str:
        return f"{self.organization}: {'SSO required' if self.require_sso else 'password allowed'}"
