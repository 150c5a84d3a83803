import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact
from django.utils import timezone

from core.currencies import DEFAULT_CURRENCY, is_currency
from core.roles import Role


def validate_currency(value) -> None:
    """An active ISO 4217 code in capitals (core.currencies), e.g. "EUR"."""
    if not is_currency(value):
        raise ValidationError(
            "Use an active ISO 4217 currency code in capitals, e.g. USD, EUR or GBP.",
            code="currency",
        )


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    currency = models.CharField(
        max_length=3,
        default=DEFAULT_CURRENCY,
        validators=[validate_currency],
        help_text="The ISO 4217 code of the currency costs and budgets are kept in: every page "
        "and the board report show money in it.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Three capitals, as ISO 4217 writes them (the list itself is checked by the form).
            models.CheckConstraint(
                condition=Q(Exact(Length("currency"), 3)) & Q(currency=Upper("currency")),
                name="organization_currency_iso_4217",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in one organization, with any of the five roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    is_admin = models.BooleanField("admin", default=False)
    is_assessor = models.BooleanField("assessor", default=False)
    is_approver = models.BooleanField("approver", default=False)
    is_operator = models.BooleanField("operator", default=False)
    is_viewer = models.BooleanField("viewer", default=False)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="A deactivated member is kept for history but has no access: no pages, no "
        "API tokens, and no say in gates.",
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for role in Role if getattr(self, f"is_{role.value}"))

    def set_roles(self, roles: set[Role]) -> None:
        for role in Role:
            setattr(self, f"is_{role.value}", role in roles)

    @property
    def role_names(self) -> list[str]:
        return [role.value for role in Role if role in self.roles]


# bandit B105 is a false positive here: a public token prefix, not a secret.
TOKEN_PREFIX = "rdy_"  # nosec B105


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for one member in one organization. Only its hash is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, default="API token")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw token, its hash, display prefix)."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return raw, hash_token(raw), raw[:10]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Invitation(models.Model):
    """An admin's invitation to join an organization, by email. Nobody joins another
    organization without saying yes: the invited person accepts or declines it after signing
    in, or creates an account from the link. Only the token's hash is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    roles = models.JSONField(default=list, help_text="Role names granted on acceptance.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.declined_at is None
            and self.expires_at > timezone.now()
        )

    @staticmethod
    def generate() -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        return raw, hash_token(raw)
