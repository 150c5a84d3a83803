"""The audit vocabulary: every state change the rules know, by name (docs/rules.md §6).

An entry's `action` is one of these values; pages and listeners compare against the
members, never against a label or a prefix. The values are the strings stored since the
first wave, so older entries read the same.
"""

from django.db import models


class Action(models.TextChoices):
    ORGANIZATION_CREATED = "organization.created", "Organization created"
    ORGANIZATION_SETTINGS_CHANGED = "organization.settings_changed", "Settings changed"
    MEMBER_INVITED = "member.invited", "Member invited"
    MEMBER_INVITATION_ACCEPTED = "member.invitation_accepted", "Invitation accepted"
    MEMBER_INVITATION_DECLINED = "member.invitation_declined", "Invitation declined"
    MEMBER_ROLES_SET = "member.roles_set", "Member's roles changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    MEMBER_DEACTIVATED = "member.deactivated", "Member deactivated"
    MEMBER_REACTIVATED = "member.reactivated", "Member reactivated"
    USER_PASSWORD_CHANGED = "user.password_changed", "Password changed"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"
    SSO_SIGNED_IN = "sso.signed_in", "Signed in with single sign-on"
    SSO_ROLE_GRANTED = "sso.role_granted", "Role granted by a sign-in mapping"
    SSO_ROLE_REMOVED = "sso.role_removed", "Role removed by a sign-in mapping"
    SSO_MAPPING_CREATED = "sso.mapping_created", "Sign-in mapping created"
    SSO_MAPPING_CHANGED = "sso.mapping_changed", "Sign-in mapping changed"
    SSO_MAPPING_DELETED = "sso.mapping_deleted", "Sign-in mapping deleted"
    SSO_REQUIREMENT_SET = "sso.requirement_set", "Single sign-on requirement changed"

    ASSESSMENT_CREATED = "assessment.created", "Assessment started"
    ASSESSMENT_SCORES_CHANGED = "assessment.scores_changed", "Assessment scores changed"
    ASSESSMENT_SUBMITTED = "assessment.submitted", "Assessment submitted"

    AGENT_CREATED = "agent.created", "Agent registered"
    AGENT_UPDATED = "agent.updated", "Agent changed"
    AGENT_RISK_ASSESSED = "agent.risk_assessed", "Risk assessed"
    AGENT_PERMISSION_REVOKED = "agent.permission_revoked", "Tool permission revoked"
    AGENT_PERMISSION_REVIEWED = "agent.permission_reviewed", "Tool permission reviewed"
    AGENT_TOKEN_CREATED = "agent_token.created", "Runtime token created"

    AGENT_SUSPENDED_MANUAL = "agent.suspended.manual", "Agent suspended"
    AGENT_SUSPENDED_DRILL = "agent.suspended.drill", "Kill-switch drill started"
    AGENT_SUSPENDED_AUTOMATIC = "agent.suspended.automatic", "Agent suspended automatically"
    AGENT_RESUMED = "agent.resumed", "Agent resumed"
    AGENT_DRILL_ENDED = "agent.drill_ended", "Kill-switch drill ended"
    AGENT_DRILL_SUPERSEDED = "agent.drill_superseded", "Drill superseded by a suspension"

    GATE_CHECKLIST_CHANGED = "gate.checklist_changed", "Gate checklist changed"
    GATE_DECIDED = "gate.decided", "Gate decided"
    GATE_NEEDS_REVIEW = "gate.needs_review", "Gate sent to review"
    PROMPT_VERSION_POSTED = "prompt_version.posted", "Prompt version posted"

    METRICS_POSTED = "metrics.posted", "Metric snapshot posted"
    AGENT_THRESHOLDS_CHANGED = "agent.thresholds_changed", "Thresholds changed"
    AGENT_HORIZON_STARTED = "agent.horizon_started", "Horizon started"
    AGENT_HORIZON_ADVANCED = "agent.horizon_advanced", "Horizon advanced"

    REPORT_REQUESTED = "report.requested", "Board report requested"
    REPORT_RETRIED = "report.retried", "Board report retried"
    REPORT_DONE = "report.done", "Board report done"
    REPORT_FAILED = "report.failed", "Board report failed"

    REMINDER_ANNOUNCED = "reminder.announced", "Reminder announced"
    NOTIFICATION_PREFERENCES_CHANGED = "notification.preferences_changed", "Email choices changed"

    WEBHOOK_CREATED = "webhook.created", "Webhook endpoint registered"
    WEBHOOK_DELETED = "webhook.deleted", "Webhook endpoint deleted"
    WEBHOOK_TESTED = "webhook.tested", "Webhook test event sent"
    WEBHOOK_DELIVERY_RESENT = "webhook.delivery_resent", "Webhook delivery sent again"


SUSPENDED = {
    "manual": Action.AGENT_SUSPENDED_MANUAL,
    "drill": Action.AGENT_SUSPENDED_DRILL,
    "automatic": Action.AGENT_SUSPENDED_AUTOMATIC,
}


def suspended(kind: str) -> Action:
    """The action of a suspension of this kind."""
    return SUSPENDED[kind]
