"""/api/v1/webhooks against docs/api.md "Webhooks": admins only, the secret once, bad input
named, and a test event that a real receiver verifies."""

import pytest

from audit.models import AuditEntry
from tests.factories_webhooks import DeliveryFactory
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

EVENTS = ["agent.suspended", "gate.decided"]


@pytest.fixture
def api(admin, api_for):
    return api_for(admin)


def create(api, **body):
    return api.post("/api/v1/webhooks", {"url": "https://hooks.acme.example/in", **body})


def test_post_answers_201_with_the_secret_once(api, org):
    response = create(api, events=EVENTS)
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == "https://hooks.acme.example/in"
    assert body["events"] == EVENTS
    assert body["format"] == "standard"
    assert body["active"] is True
    assert body["created_by"] == "ada"
    # the list never shows it again, nor does the audit trail
    listed = api.get("/api/v1/webhooks").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == body["id"]
    assert "secret" not in listed["items"][0]
    entry = AuditEntry.objects.get(action="webhook.created")
    assert entry.after == {
        "id": int(body["id"]),
        "url": "https://hooks.acme.example/in",
        "events": EVENTS,
        "format": "standard",
    }
    assert body["secret"] not in str(entry.after)


def test_the_slack_format(api):
    response = create(api, events=["report.done"], format="slack")
    assert response.status_code == 201
    assert response.json()["format"] == "slack"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "not a url", "events": EVENTS}, "url", "spaces"),
        ({"url": "hooks.example.com", "events": EVENTS}, "url", "full URL"),
        ({"url": "http://hooks.example.com/in", "events": EVENTS}, "url", "https"),
        ({"url": "https://10.0.0.8/in", "events": EVENTS}, "url", "private"),
        ({"url": "https://169.254.169.254/", "events": EVENTS}, "url", "link-local"),
        ({"url": 42, "events": EVENTS}, "url", "string"),
        ({"events": EVENTS}, "url", "required"),
        ({"url": "https://h.example/in", "events": ["agent.deleted"]}, "events", "Unknown"),
        ({"url": "https://h.example/in", "events": []}, "events", "at least one"),
        ({"url": "https://h.example/in", "events": "agent.suspended"}, "events", "list"),
        ({"url": "https://h.example/in"}, "events", "required"),
        ({"url": "https://h.example/in", "events": EVENTS, "format": "xml"}, "format", ""),
    ],
)
def test_bad_input_is_400_naming_the_field(api, body, field, words):
    response = api.post("/api/v1/webhooks", body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors
    assert words in " ".join(errors[field])
    assert Endpoint.objects.count() == 0


def test_loopback_is_400_without_the_setting(api, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = create(api, url="http://127.0.0.1:9000/in", events=EVENTS)
    assert response.status_code == 400
    assert "Loopback" in response.json()["errors"]["url"][0]


def test_a_private_network_is_fine_within_the_allowed_cidrs(api, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert create(api, url="https://10.0.0.8/in", events=EVENTS).status_code == 201


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver", "operator"])
def test_every_route_is_for_admins_only(org, make_member, api_for, admin, role):
    api = api_for(make_member(org, role, username=f"not-admin-{role}"))
    webhook = create(api_for(admin), events=EVENTS).json()["id"]
    for method, path, body in [
        ("post", "/api/v1/webhooks", {"url": "https://h.example/x", "events": EVENTS}),
        ("get", "/api/v1/webhooks", None),
        ("delete", f"/api/v1/webhooks/{webhook}", None),
        ("get", f"/api/v1/webhooks/{webhook}/deliveries", None),
        ("post", f"/api/v1/webhooks/{webhook}/test", None),
    ]:
        response = getattr(api, method)(path, body) if body else getattr(api, method)(path)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"detail": "Only an admin may manage webhooks."}


def test_delete_answers_204_and_the_endpoint_is_gone(api):
    webhook = create(api, events=EVENTS).json()["id"]
    response = api.delete(f"/api/v1/webhooks/{webhook}")
    assert response.status_code == 204
    assert response.content == b""
    assert Endpoint.objects.count() == 0
    assert api.delete(f"/api/v1/webhooks/{webhook}").status_code == 404
    assert AuditEntry.objects.get(action="webhook.deleted").before["url"] == (
        "https://hooks.acme.example/in"
    )


def test_a_test_event_is_202_and_the_receiver_verifies_it(
    api, receiver, run_queued, django_capture_on_commit_callbacks
):
    gateway = receiver()
    created = create(api, url=gateway.url, events=EVENTS).json()
    gateway.secret = created["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/webhooks/{created['id']}/test")
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] == "pending"
    run_queued()
    (payload,) = gateway.verified()
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == created["id"]
    assert gateway.received[0].headers["webhook-id"] == queued["message_id"]
    deliveries = api.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()
    assert deliveries["count"] == 1
    (item,) = deliveries["items"]
    assert item["id"] == queued["id"]
    assert item["status"] == "succeeded"
    assert item["attempts"] == 1
    assert item["last_status_code"] == 200
    assert isinstance(item["last_response_ms"], int)
    assert item["last_error"] is None


def test_the_lists_take_a_fixed_number_of_queries(api, org, admin, django_assert_max_num_queries):
    for n in range(12):
        create(api, url=f"https://hooks{n}.acme.example/in", events=EVENTS)
    endpoint = Endpoint.objects.first()
    DeliveryFactory.create_batch(30, endpoint=endpoint, status=Delivery.Status.RETRYING)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/webhooks").json()
    assert listed["count"] == 12
    with django_assert_max_num_queries(8):
        deliveries = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries").json()
    assert deliveries["count"] == 30
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries?page=0").status_code == 400
