from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from accounts.models import Organization
from accounts.selectors import member_get
from accounts.services import member_set_roles, organization_get_or_create
from core.roles import Role, parse_roles

ROLE_NAMES = ",".join(role.value for role in Role)


class Command(BaseCommand):
    help = (
        "Add a user to an organization with exactly the given roles, creating the organization "
        "and the user when missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("organization", help="the organization's slug, e.g. acme")
        parser.add_argument("--roles", required=True, help=f"comma-separated, any of: {ROLE_NAMES}")
        parser.add_argument("--password", help="set this password (also for an existing user)")
        parser.add_argument("--email", default="", help="e-mail of a user created now")
        parser.add_argument(
            "--org-name", default=None, help="name of an organization created now (else: slug)"
        )

    def handle(self, *args, username, organization, roles, password, email, org_name, **options):
        username = (username or "").strip()
        if not username:
            raise CommandError("The username is empty: give the user's login name.")
        user_model = get_user_model()
        try:
            for validator in user_model._meta.get_field(user_model.USERNAME_FIELD).validators:
                validator(username)
            if email:
                validate_email(email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        slug = slugify(organization or "")
        if not slug:
            raise CommandError(
                f"The organization slug {organization!r} is empty: give one such as 'acme'."
            )
        try:
            wanted = parse_roles(roles or "")
        except ValueError as error:
            raise CommandError(f"--roles: {error}.") from None

        with transaction.atomic():
            org_existed = Organization.objects.filter(slug=slug).exists()
            user_existed = user_model.objects.filter(username=username).exists()
            org = organization_get_or_create(slug=slug, name=org_name)
            existing = member_get(organization=org, username=username)
            before = existing.role_names if existing else None
            membership = member_set_roles(
                organization=org, username=username, roles=wanted, password=password, email=email
            )

        if not org_existed:
            self.stdout.write(f"Created organization {org.name} ({org.slug}).")
        if not user_existed:
            self.stdout.write(
                f"Created user {username}"
                + ("." if password else " without a password (set one with --password).")
            )
        elif password:
            self.stdout.write(f"Set the password of {username}.")
        roles_text = ", ".join(membership.role_names)
        if before is None:
            self.stdout.write(f"Added {username} to {org.name} as {roles_text}.")
        elif before != membership.role_names:
            was = ", ".join(before) or "no role"
            self.stdout.write(f"Changed {username}'s roles in {org.name}: {was} -> {roles_text}.")
        else:
            self.stdout.write(
                f"{username} already had exactly these roles in {org.name}: {roles_text}."
            )
