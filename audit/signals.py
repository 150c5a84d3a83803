"""What the audit trail tells the rooms above it.

`entry_recorded(sender=AuditEntry, entry=...)` is sent once the transaction that wrote the
entry has committed, so a listener never acts on a change that was rolled back. Listeners
compare `entry.action` with `audit.actions.Action` members and read `entry.before` and
`entry.after`; they must not raise (a failure there is theirs, not the change's).
"""

from django.dispatch import Signal

entry_recorded = Signal()
