from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEntry
from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify every audit hash chain; exit non-zero naming the first broken entry."

    def handle(self, *args, **options):
        failures = audit_verify()
        chains = AuditEntry.objects.values("chain").distinct().count()
        if failures:
            for name, entry, why in failures:
                where = f"entry #{entry.seq} (id {entry.pk}, {entry.action})" if entry else "its end"
                self.stderr.write(f"Chain {name} is broken at {where}: {why}.")
            raise CommandError(f"{len(failures)} of {chains} audit chain(s) failed verification.")
        total = AuditEntry.objects.count()
        self.stdout.write(f"OK: {chains} chain(s), {total} entries, every hash intact.")
