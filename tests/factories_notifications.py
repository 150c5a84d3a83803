"""factory_boy factories of the notifications room, one per model."""

import factory
from django.utils import timezone

from notifications.kinds import Kind
from notifications.models import Notification, NotificationPreference, ReminderAnnouncement

from .factories import MembershipFactory, OrganizationFactory


class NotificationFactory(factory.django.DjangoModelFactory):
    """An unread notification of a new member, about an agent's suspension, not for email."""

    class Meta:
        model = Notification

    recipient = factory.SubFactory(MembershipFactory)
    organization = factory.SelfAttribute("recipient.organization")
    kind = Kind.AGENT_SUSPENDED
    text = factory.Sequence(lambda n: f"Agent {n} was suspended by otto: odd refunds")
    url = "/agents/"
    object_type = "agents.Agent"
    object_id = factory.Sequence(str)
    created_at = factory.LazyFunction(timezone.now)


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    membership = factory.SubFactory(MembershipFactory)
    kind = Kind.REPORT_DONE
    email = True


class ReminderAnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderAnnouncement

    organization = factory.SubFactory(OrganizationFactory)
    kind = Kind.DRILL_OVERDUE
    key = factory.Sequence(lambda n: f"agent:{n}")
    fingerprint = "0" * 64
