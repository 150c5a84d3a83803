from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from accounts.models import Organization
from accounts.selectors import member_get
from accounts.services import token_create


class Command(BaseCommand):
    help = (
        "Create an API token for a member of an organization; the token is printed on the last "
        "line, once (only its hash is stored)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("organization", help="the organization's slug, e.g. acme")
        parser.add_argument("--name", default="API token", help="what the token is for")

    def handle(self, *args, username, organization, name, **options):
        username = (username or "").strip()
        if not username:
            raise CommandError("The username is empty: give the member's login name.")
        slug = slugify(organization or "")
        if not slug:
            raise CommandError(
                f"The organization slug {organization!r} is empty: give one such as 'acme'."
            )
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with the slug {slug!r}.")
        membership = member_get(organization=org, username=username)
        if membership is None:
            raise CommandError(
                f"{username} is not a member of {org.name} ({org.slug}): add them first with "
                f"`manage.py add_member {username} {org.slug} --roles ...`."
            )
        name = (name or "").strip() or "API token"
        token, raw = token_create(membership=membership, name=name)
        self.stdout.write(
            f"Created API token “{token.name}” ({token.prefix}…) for {username} in {org.name} "
            f"with roles {', '.join(membership.role_names) or 'none'}. "
            "It is shown once; only its hash is stored:"
        )
        self.stdout.write(raw)
