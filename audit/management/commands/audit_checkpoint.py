from django.core.management.base import BaseCommand

from audit.checkpoints import audit_checkpoint
from audit.models import AuditCheckpoint


class Command(BaseCommand):
    help = (
        "Checkpoint every audit chain's head, as it is now, outside the database (the "
        "audit_checkpoints storage), so that verify_audit_log can tell if entries are removed."
    )

    def handle(self, *args, **options):
        checkpoint = audit_checkpoint(reason=AuditCheckpoint.Reason.COMMAND)
        entries = sum(h["seq"] for h in checkpoint.heads)
        self.stdout.write(
            f"Checkpointed {len(checkpoint.heads)} chain(s), {entries} entries, "
            f"as {checkpoint.name}."
        )
