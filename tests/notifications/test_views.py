"""The notification pages: the list (paginated, each links to its object, empty state, a
fixed number of queries), marking read, the unread count in the navigation, the email
preferences, tenancy, and the read-only admin pages."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEntry
from notifications.kinds import Kind
from notifications.models import Notification, NotificationPreference
from tests.factories import MembershipFactory, UserFactory
from tests.factories_notifications import (
    NotificationFactory,
    NotificationPreferenceFactory,
    ReminderAnnouncementFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/notifications/"


@pytest.fixture
def mine(operator):
    return NotificationFactory(
        recipient=operator, text="Refund bot was suspended by ada: odd", url="/agents/7/"
    )


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_my_notifications_each_linking_to_its_object(
    operator, approver, client_for, mine
):
    NotificationFactory(recipient=approver, text="Someone else's")

    page = client_for(operator).get(LIST)

    body = page.content.decode()
    assert page.status_code == 200
    assert "Refund bot was suspended by ada: odd" in body
    assert f'href="/notifications/{mine.pk}/open/"' in body
    assert "Someone else&#x27;s" not in body
    assert "Mark all read" in body


def test_the_list_says_so_when_there_is_nothing(operator, client_for):
    body = client_for(operator).get(LIST).content.decode()

    assert "No notifications yet." in body
    assert "Mark all read" not in body


def test_the_list_pages_in_a_fixed_number_of_queries(
    operator, client_for, django_assert_max_num_queries
):
    client = client_for(operator)
    client.get(LIST)  # warm the session and the caches
    NotificationFactory.create_batch(3, recipient=operator)
    with django_assert_max_num_queries(30) as few:
        client.get(LIST)
    NotificationFactory.create_batch(60, recipient=operator)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LIST)
    second = client.get(LIST + "?page=3")

    assert len(page.context["notifications"]) == 25
    assert page.context["page"].paginator.count == 63
    assert len(second.context["notifications"]) == 13


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(operator, client_for, mine):
    response = client_for(operator).get(f"/notifications/{mine.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == "/agents/7/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_notification_pointing_off_site_is_not_followed(operator, client_for):
    odd = NotificationFactory(recipient=operator, url="https://evil.example/")

    response = client_for(operator).get(f"/notifications/{odd.pk}/open/")

    assert response["Location"] == LIST


def test_marking_one_read_and_all_read(operator, client_for, mine):
    other = NotificationFactory(recipient=operator)
    client = client_for(operator)

    one = client.post(f"/notifications/{mine.pk}/read/", {"next": LIST + "?page=1"})
    mine.refresh_from_db()
    other.refresh_from_db()
    assert one["Location"] == LIST + "?page=1"
    assert mine.read_at is not None
    assert other.read_at is None

    all_ = client.post("/notifications/read-all/", follow=True)
    assert "Marked 1 notification read." in all_.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    again = client.post("/notifications/read-all/", follow=True)
    assert "Nothing was unread" in again.content.decode()


def test_marking_read_takes_a_post(operator, client_for, mine):
    client = client_for(operator)

    one = client.get(f"/notifications/{mine.pk}/read/")
    every = client.get("/notifications/read-all/")

    # a button's address opened directly goes back to the list, and nothing is marked read
    assert one["Location"] == every["Location"] == LIST
    assert not Notification.objects.filter(read_at__isnull=False).exists()


# --- tenancy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/notifications/{pk}/open/", "/notifications/{pk}/read/"])
def test_another_organizations_or_members_notification_is_a_404(
    path, operator, approver, other_assessor, client_for
):
    theirs = NotificationFactory(recipient=other_assessor)
    colleagues = NotificationFactory(recipient=approver)
    client = client_for(operator)
    method = client.get if path.endswith("open/") else client.post

    assert method(path.format(pk=theirs.pk)).status_code == 404
    assert method(path.format(pk=colleagues.pk)).status_code == 404
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_the_same_user_sees_only_the_notifications_of_the_organization_they_act_in(
    operator, other_org, client_for
):
    elsewhere = MembershipFactory(user=operator.user, organization=other_org)
    NotificationFactory(recipient=elsewhere, text="In Globex")
    NotificationFactory(recipient=operator, text="In Acme")

    body = client_for(operator).get(LIST).content.decode()

    assert "In Acme" in body
    assert "In Globex" not in body


def test_the_pages_need_a_signed_in_member(client, mine):
    assert client.get(LIST).status_code == 302
    assert client.get("/notifications/preferences/").status_code == 302
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 302


# --- the navigation's count ---------------------------------------------------------------------


def test_the_navigation_counts_my_unread_notifications(operator, client_for, mine):
    NotificationFactory(recipient=operator)
    NotificationFactory(recipient=operator, read_at=mine.created_at)

    body = client_for(operator).get("/").content.decode()

    assert 'id="nav-notifications"' in body
    assert '2<span class="visually-hidden"> unread</span>' in body


# --- preferences --------------------------------------------------------------------------------


def test_the_preferences_page_lists_every_kind_with_its_current_choice(operator, client_for):
    NotificationPreferenceFactory(membership=operator, kind=Kind.AGENT_SUSPENDED, email=False)

    page = client_for(operator).get("/notifications/preferences/")

    form = page.context["form"]
    assert page.status_code == 200
    assert set(form.fields) == {kind.value for kind in Kind}
    assert form["agent_suspended"].initial is False
    assert form["threshold_breached"].initial is False
    assert form["gate_waiting"].initial is True
    assert form["report_done"].initial is False


def test_saving_preferences_keeps_the_ticked_kinds_and_audits_once(operator, client_for):
    ticked = {"report_done": "on", "gate_waiting": "on"}

    response = client_for(operator).post("/notifications/preferences/", ticked, follow=True)

    assert "Saved" in response.content.decode()
    chosen = dict(
        NotificationPreference.objects.filter(membership=operator).values_list("kind", "email")
    )
    # changed from the defaults: reports on; suspensions, waiting gates and reminders off
    assert chosen["report_done"] is True
    assert chosen["agent_suspended"] is False
    assert chosen["drill_overdue"] is False
    assert "gate_waiting" not in chosen  # on by default, still on: no row
    assert "threshold_breached" not in chosen  # off by default, still off: no row
    assert AuditEntry.objects.filter(action=Action.NOTIFICATION_PREFERENCES_CHANGED).count() == 1


# --- admin ----------------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["notification", "notificationpreference", "reminderannouncement"]
)
def test_the_admin_lists_and_shows_each_model_read_only(superuser_client, operator, model):
    row = {
        "notification": lambda: NotificationFactory(recipient=operator),
        "notificationpreference": lambda: NotificationPreferenceFactory(membership=operator),
        "reminderannouncement": lambda: ReminderAnnouncementFactory(
            organization=operator.organization
        ),
    }[model]()

    listing = superuser_client.get(reverse(f"admin:notifications_{model}_changelist"))
    change = superuser_client.get(reverse(f"admin:notifications_{model}_change", args=[row.pk]))
    add = superuser_client.get(reverse(f"admin:notifications_{model}_add"))

    assert listing.status_code == 200
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert add.status_code == 403


def test_staff_see_only_the_notifications_of_organizations_they_admin(
    admin, operator, other_assessor
):
    staff = admin.user
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_notification", "view_notificationpreference"])
    )
    NotificationFactory(recipient=operator)
    NotificationFactory(recipient=other_assessor)
    NotificationPreferenceFactory(membership=other_assessor)
    client = Client()
    client.force_login(staff)

    notifications = client.get(reverse("admin:notifications_notification_changelist"))
    preferences = client.get(reverse("admin:notifications_notificationpreference_changelist"))

    assert {n.organization_id for n in notifications.context["cl"].queryset} == {
        operator.organization_id
    }
    assert list(preferences.context["cl"].queryset) == []
