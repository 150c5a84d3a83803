"""Signals that let a lower room tell the higher ones that something they read has changed,
without importing them (docs/adr/0008-evidence-from-higher-rooms.md).

`evidence_changed` is sent inside the changing transaction by a service below the gates whose
write changes what a checklist item reads: a runtime token issued or revoked (killswitch), a
member deactivated or their roles changed (accounts). Arguments: `organization`, and `agents`
(ids or objects; omit for every agent of the organization), `actor`. The gates recheck the
gates at go of those agents in the same transaction.
"""

from django.dispatch import Signal

evidence_changed = Signal()
