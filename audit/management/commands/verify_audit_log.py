from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEntry
from audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify every audit hash chain; exit non-zero naming the first broken entry."

    def handle(self, *args, **options):
        failures = audit_verify()
        chains = AuditEntry.objects.values("chain").distinct().count()
        if failures:
            messages = []
            for name, entry, why in failures:
                where = (
                    f"entry #{entry.seq} (id {entry.pk}, {entry.action})" if entry else "its end"
                )
                messages.append(f"Chain {name} is broken at {where}: {why}.")
                self.stderr.write(messages[-1])
            raise CommandError(
                f"{len(failures)} of {chains} audit chain(s) failed verification. "
                f"First: {messages[0]}"
            )
        total = AuditEntry.objects.count()
        self.stdout.write(f"OK: {chains} chain(s), {total} entries, every hash intact.")
