"""Email digests and preferences (notifications.services): email only for the kinds a member
chose, several notifications within the wait grouped into one message, sent by the worker
and never twice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from audit.actions import Action
from audit.models import AuditEntry
from core.errors import InvalidInput
from core.tasks import send_email
from killswitch import services as killswitch_services
from notifications import services
from notifications.kinds import Kind
from notifications.models import Notification, NotificationPreference
from notifications.selectors import preferences_of
from notifications.tasks import send_digests
from tests.factories_notifications import NotificationFactory, NotificationPreferenceFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker_sends_email(monkeypatch):
    """A queued email is sent at once, as a worker would (the test broker only keeps it)."""
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: send_email.apply(kwargs=kwargs))


@pytest.fixture
def send(django_capture_on_commit_callbacks, worker_sends_email):
    """Run the digest task and commit what it queued."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return services.digests_send()

    return run


def notify(membership, kind=Kind.AGENT_SUSPENDED, text="Refund bot was suspended", **fields):
    wanted = fields.pop("email", True)
    return NotificationFactory(recipient=membership, kind=kind, text=text, email=wanted, **fields)


# --- digests ----------------------------------------------------------------------------------


def test_several_notifications_within_ten_minutes_come_in_one_digest(clock, operator, send):
    notify(operator, text="Refund bot was suspended by ada: odd refunds", url="/agents/1/")
    clock.shift(4 * MINUTE)
    notify(operator, kind=Kind.THRESHOLD_BREACHED, text="Quote bot crossed its thresholds")

    # before the first has waited ten minutes: nothing is sent
    clock.shift(5 * MINUTE)
    assert send() == 0
    assert mail.outbox == []

    # once it has: one message with both, and both are marked emailed
    clock.shift(MINUTE)
    assert send() == 1
    (message,) = mail.outbox
    assert message.to == ["otto@example.com"]
    assert message.subject == "[Readiness] 2 notifications in Acme Robotics"
    assert "Refund bot was suspended by ada: odd refunds" in message.body
    assert "http://localhost:8000/agents/1/" in message.body
    assert "Quote bot crossed its thresholds" in message.body
    assert "http://localhost:8000/notifications/preferences/" in message.body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_digest_is_sent_once_however_often_the_task_runs(clock, operator, send):
    notify(operator)
    clock.shift(10 * MINUTE)

    assert send() == 1
    assert send() == 0
    send_digests.apply()

    assert len(mail.outbox) == 1


def test_a_notification_after_a_digest_waits_for_the_next(clock, operator, send):
    notify(operator)
    clock.shift(10 * MINUTE)
    send()
    notify(operator, text="Second")
    clock.shift(9 * MINUTE)
    assert send() == 0

    clock.shift(MINUTE)
    assert send() == 1
    assert mail.outbox[1].subject == "[Readiness] 1 notification in Acme Robotics"
    assert "Second" in mail.outbox[1].body


def test_each_member_gets_their_own_digest_and_in_app_only_ones_are_never_emailed(
    clock, operator, approver, viewer, send
):
    notify(operator)
    notify(approver)
    notify(viewer, kind=Kind.REPORT_DONE, email=False)
    clock.shift(10 * MINUTE)

    assert send() == 2

    assert sorted(m.to[0] for m in mail.outbox) == ["april@example.com", "otto@example.com"]
    assert Notification.objects.get(recipient=viewer).emailed_at is None


def test_a_deactivated_member_is_not_emailed(clock, operator, send):
    notify(operator)
    operator.is_active = False
    operator.save()
    clock.shift(10 * MINUTE)

    assert send() == 0
    assert mail.outbox == []


def test_the_digest_waits_as_long_as_the_setting_says(clock, operator, send, settings):
    settings.NOTIFICATIONS_DIGEST_MINUTES = 2
    notify(operator)
    clock.shift(2 * MINUTE)

    assert send() == 1


# --- preferences honoured ---------------------------------------------------------------------


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def test_email_comes_only_for_the_kinds_chosen(
    clock, refund_bot, approver, operator, owner, commit, send
):
    # given april turned suspensions off by email, olga (the owner) keeps the default (on)
    services.preferences_set(membership=approver, email={"agent_suspended": False})

    # when otto suspends the agent and ten minutes pass
    commit(killswitch_services.agent_suspend, agent=refund_bot, membership=operator, reason="Odd")
    clock.shift(10 * MINUTE)
    send()

    # then both see it in the app, and only olga is emailed
    assert Notification.objects.filter(kind=Kind.AGENT_SUSPENDED).count() == 2
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]


def test_a_kind_turned_on_comes_by_email(clock, viewer, send):
    services.preferences_set(membership=viewer, email={"report_done": True})

    services.notifications_create(
        organization=viewer.organization,
        told={viewer.pk: Kind.REPORT_DONE},
        memberships={viewer.pk: viewer},
        text="Your board report “May” is done: download it.",
        url="/reports/1/",
    )
    clock.shift(10 * MINUTE)

    assert send() == 1
    assert "“May” is done" in mail.outbox[0].body


def test_turning_a_kind_off_stops_what_waits_for_the_digest(clock, operator, send):
    notify(operator)

    services.preferences_set(membership=operator, email={"agent_suspended": False})
    clock.shift(10 * MINUTE)

    assert send() == 0


def test_a_member_without_an_address_is_told_in_the_app_only(clock, operator, send):
    operator.user.email = ""
    operator.user.save()

    (notification,) = services.notifications_create(
        organization=operator.organization,
        told={operator.pk: Kind.AGENT_SUSPENDED},
        memberships={operator.pk: operator},
        text="Refund bot was suspended",
        url="",
    )

    assert notification.email is False


def test_preferences_start_at_the_defaults_and_a_change_is_audited(operator):
    assert preferences_of(membership=operator)["agent_suspended"] is True
    assert preferences_of(membership=operator)["report_done"] is False

    changed = services.preferences_set(
        membership=operator, email={"agent_suspended": False, "report_done": True}
    )

    assert changed == ["agent_suspended", "report_done"]
    (entry,) = AuditEntry.objects.filter(action=Action.NOTIFICATION_PREFERENCES_CHANGED)
    assert entry.before == {"email": {"agent_suspended": True, "report_done": False}}
    assert entry.after["email"] == {"agent_suspended": False, "report_done": True}
    assert services.preferences_set(membership=operator, email={"report_done": True}) == []
    assert AuditEntry.objects.filter(action=Action.NOTIFICATION_PREFERENCES_CHANGED).count() == 1


@pytest.mark.parametrize(
    ("email", "field"),
    [({"no_such_kind": True}, "no_such_kind"), ({"report_done": "yes"}, "report_done")],
)
def test_a_bad_preference_is_refused_and_nothing_changes(operator, email, field):
    with pytest.raises(InvalidInput) as error:
        services.preferences_set(membership=operator, email=email)

    assert field in error.value.errors
    assert not NotificationPreference.objects.exists()


def test_a_preference_row_is_the_members_own(operator, approver):
    NotificationPreferenceFactory(membership=approver, kind=Kind.REPORT_DONE, email=True)

    assert preferences_of(membership=approver)["report_done"] is True
    assert preferences_of(membership=operator)["report_done"] is False
