from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.selectors import member_get
from accounts.services import member_remove, member_set_active
from core.errors import Conflict


class Command(BaseCommand):
    help = (
        "Remove a member from an organization (their sessions and API tokens stop working there "
        "at once), or with --deactivate keep them for history without access."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("organization", help="the organization's slug, e.g. acme")
        parser.add_argument(
            "--deactivate",
            action="store_true",
            help="keep the membership for history, with no access (undo with --reactivate)",
        )
        parser.add_argument("--reactivate", action="store_true", help="undo a --deactivate")

    def handle(self, *args, username, organization, deactivate, reactivate, **options):
        if deactivate and reactivate:
            raise CommandError("Choose --deactivate or --reactivate, not both.")
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with the slug {organization!r}.")
        membership = member_get(organization=org, username=(username or "").strip())
        if membership is None:
            raise CommandError(f"{username!r} is not a member of {org.name}.")
        try:
            if deactivate or reactivate:
                member_set_active(membership=membership, active=reactivate)
            else:
                member_remove(membership=membership)
        except Conflict as conflict:
            raise CommandError(conflict.reasons_text) from None
        if reactivate:
            self.stdout.write(f"{username} is active again in {org.name}.")
        elif deactivate:
            self.stdout.write(f"Deactivated {username} in {org.name}: no access; kept for history.")
        else:
            self.stdout.write(
                f"Removed {username} from {org.name}: their sessions and API tokens there "
                "stopped working."
            )
