"""What the SSO room hears from the audit trail: a member removed by hand (the members page,
`member_set_roles` with no role) is not added back by a sign-in mapping."""

import logging

from audit.actions import Action
from audit.signals import entry_recorded

from .services import sso_exclusion_record

log = logging.getLogger(__name__)


def member_removed_by_hand(sender, entry, **kwargs) -> None:
    if entry.action != Action.MEMBER_REMOVED or entry.organization_id is None:
        return
    username = (entry.before or {}).get("member") or entry.object_label
    try:
        sso_exclusion_record(organization_id=entry.organization_id, username=username)
    except Exception:  # a listener must not raise (audit.signals)
        log.exception("could not record the SSO exclusion of %s", username)


entry_recorded.connect(member_removed_by_hand, dispatch_uid="sso.member_removed_by_hand")
