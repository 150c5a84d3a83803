"""Signed outbound webhooks: endpoints an admin registers, and deliveries a worker makes of
the events the audit trail and the reminders announce (docs/webhooks.md)."""
