"""The webhooks pages (admins) and the admin site: the secret shown once, delete, test, the
deliveries list with "send again", tenancy and query counts."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import UserFactory
from tests.factories_webhooks import DeliveryFactory, EndpointFactory
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

LIST = reverse("webhooks:list")


@pytest.fixture
def page(admin, client_for):
    return client_for(admin)


def add(page, **data):
    form = {"url": "https://hooks.acme.example/in", "events": ["agent.suspended"]}
    form.update(data)
    form.setdefault("format", "standard")
    return page.post(LIST, form)


def test_adding_a_webhook_shows_its_secret_once(page):
    response = add(page)
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    shown = page.get(LIST)
    assert shown.status_code == 200
    assert endpoint.secret in shown.content.decode()
    assert 'data-copy-target="#secret-value"' in shown.content.decode()
    again = page.get(LIST).content.decode()
    assert endpoint.secret not in again
    assert "https://hooks.acme.example/in" in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "http://hooks.acme.example/in"}, "The URL must use https."),
        ({"url": "not a url"}, "A URL may not hold spaces or control characters."),
        ({"url": ""}, "Give the endpoint&#x27;s URL."),
        ({"events": []}, "Choose at least one event."),
        ({"events": ["agent.deleted"]}, "Select a valid choice."),
        ({"url": "https://192.168.1.10/in"}, "private address"),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(page, data, message):
    response = add(page, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Endpoint.objects.count() == 0


def test_deleting_a_webhook(page, admin):
    endpoint, _ = services.endpoint_create(
        membership=admin, url="https://hooks.acme.example/in", events=["gate.decided"]
    )
    response = page.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert response.status_code == 302
    assert Endpoint.objects.count() == 0
    assert AuditEntry.objects.filter(action="webhook.deleted").count() == 1
    assert page.post(reverse("webhooks:delete", args=[endpoint.pk])).status_code == 404


def test_sending_a_test_event_lists_its_delivery(page, admin, queued):
    endpoint, _ = services.endpoint_create(
        membership=admin, url="https://hooks.acme.example/in", events=["gate.decided"]
    )
    response = page.post(reverse("webhooks:test", args=[endpoint.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("webhooks:deliveries", args=[endpoint.pk])
    listed = page.get(response["Location"]).content.decode()
    delivery = Delivery.objects.get()
    assert delivery.event_type == "webhook.test"
    assert delivery.message_id in listed
    assert "Not tried yet" in listed


def test_send_again_from_the_deliveries_page(page, admin, queued, org):
    endpoint = EndpointFactory(organization=org)
    delivery = DeliveryFactory(
        endpoint=endpoint, status="failed", attempts=11, last_status_code=500, next_attempt_at=None
    )
    listed = page.get(reverse("webhooks:deliveries", args=[endpoint.pk])).content.decode()
    assert "Send again" in listed
    assert "HTTP 500" in listed
    response = page.post(reverse("webhooks:resend", args=[endpoint.pk, delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert AuditEntry.objects.filter(action="webhook.delivery_resent").count() == 1


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver", "operator"])
def test_the_pages_are_for_admins(org, make_member, client_for, role):
    endpoint = EndpointFactory(organization=org)
    client = client_for(make_member(org, role, username=f"no-{role}"))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("webhooks:deliveries", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:delete", args=[endpoint.pk])).status_code == 403
    assert Endpoint.objects.count() == 1


def test_another_organizations_webhook_is_404(page, other_org):
    theirs = EndpointFactory(organization=other_org)
    delivery = DeliveryFactory(endpoint=theirs, status="failed")
    for name, args in [
        ("webhooks:deliveries", [theirs.pk]),
        ("webhooks:delete", [theirs.pk]),
        ("webhooks:test", [theirs.pk]),
        ("webhooks:resend", [theirs.pk, delivery.pk]),
    ]:
        method = page.get if name == "webhooks:deliveries" else page.post
        assert method(reverse(name, args=args)).status_code == 404, name
    assert Endpoint.objects.filter(pk=theirs.pk).exists()
    assert theirs.url not in page.get(LIST).content.decode()


def test_the_nav_links_admins_to_the_page(page, client_for, viewer):
    assert LIST in page.get(reverse("home")).content.decode()
    assert LIST not in client_for(viewer).get(reverse("home")).content.decode()


def test_the_list_pages_take_a_fixed_number_of_queries(page, org, django_assert_max_num_queries):
    endpoints = EndpointFactory.create_batch(10, organization=org)
    DeliveryFactory.create_batch(40, endpoint=endpoints[0], status="succeeded")
    with django_assert_max_num_queries(12):
        assert page.get(LIST).status_code == 200
    with django_assert_max_num_queries(12):
        response = page.get(reverse("webhooks:deliveries", args=[endpoints[0].pk]))
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()


# --------------------------------------------------------------------------- the admin site


@pytest.fixture
def superuser_client(db):
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_endpoints_without_their_secret(superuser_client, org):
    endpoint = EndpointFactory(organization=org)
    DeliveryFactory(endpoint=endpoint)
    listing = superuser_client.get(reverse("admin:webhooks_endpoint_changelist"))
    assert listing.status_code == 200
    detail = superuser_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert detail.status_code == 200
    assert endpoint.secret not in detail.content.decode()
    assert superuser_client.get(reverse("admin:webhooks_delivery_changelist")).status_code == 200


def test_the_admin_action_sends_again_as_the_admin_member(client_for, admin, org, queued):
    admin.user.is_staff = True
    admin.user.save()
    admin.user.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    staff = client_for(admin)
    endpoint = EndpointFactory(organization=org)
    delivery = DeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None)
    response = staff.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    assert response.status_code in (200, 302)
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert AuditEntry.objects.get(action="webhook.delivery_resent").actor == admin.user
