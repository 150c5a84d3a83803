from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import audit_verify_checkpoints, audit_verify_organizations
from audit.models import AuditEntry
from audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every entry's signature and link, every chain's head, that "
        "every organization has its chain, and that every checkpoint is still on its chain. "
        "Exit non-zero naming what was altered, removed or rewritten."
    )

    def handle(self, *args, **options):
        messages = []
        for name, entry, why in audit_verify():
            where = f"entry #{entry.seq} (id {entry.pk}, {entry.action})" if entry else "its end"
            messages.append(f"Chain {name} is broken at {where}: {why}.")
        messages += [f"Chain {name}: {why}." for name, why in audit_verify_organizations()]
        messages += [
            f"Checkpoint check, {where}: {why}." for where, why in audit_verify_checkpoints()
        ]
        chains = AuditEntry.objects.values("chain").distinct().count()
        if messages:
            for message in messages:
                self.stderr.write(message)
            raise CommandError(
                f"The audit trail failed verification ({len(messages)} problem(s)). "
                f"First: {messages[0]}"
            )
        total = AuditEntry.objects.count()
        self.stdout.write(
            f"OK: {chains} chain(s), {total} entries, every signature intact, "
            "every checkpoint on its chain."
        )
