"""Deliveries end to end: an event in a service, a delivery row, the worker's attempt to a real
receiver on the loopback that verifies it with `standardwebhooks`, and the retries."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from killswitch import services as killswitch_services
from webhooks import rules, services, transport
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def register(admin, receiver, events=("agent.suspended",), format="standard", **kw):
    r = receiver(**kw)
    endpoint, secret = services.endpoint_create(
        membership=admin, url=r.url, events=list(events), format=format
    )
    r.secret = secret
    return endpoint, r


def test_a_suspension_reaches_the_gateway_verified_with_what_it_needs(
    admin, operator, agent, receiver, run_queued, django_capture_on_commit_callbacks
):
    # given an endpoint for agent.suspended
    endpoint, gateway = register(admin, receiver)
    # when an operator suspends the agent, and the worker runs what was queued
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(
            agent=agent, membership=operator, reason="Loops on refunds"
        )
    run_queued()
    # then the receiver verified one agent.suspended carrying what a gateway needs
    (payload,) = gateway.verified()
    assert payload["type"] == "agent.suspended"
    data = payload["data"]
    assert data["agent_id"] == str(agent.pk)
    assert data["agent_name"] == agent.name
    assert data["reason"] == "Loops on refunds"
    assert data["kind"] == "manual"
    assert data["by"] == "otto"
    assert data["at"].endswith("Z")
    assert payload["timestamp"] == data["at"]
    headers = gateway.received[0].headers
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert headers["webhook-id"] == delivery.message_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 30
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)
    assert delivery.last_response_ms is not None
    assert delivery.next_attempt_at is None


def test_an_endpoint_not_listening_for_the_event_gets_nothing(
    admin, operator, agent, receiver, queued, django_capture_on_commit_callbacks
):
    register(admin, receiver, events=["gate.decided"])
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Stop")
    assert Delivery.objects.count() == 0
    assert queued == []


def test_a_500_is_retried_on_the_schedule_and_recorded(admin, receiver, queued, run_queued):
    endpoint, failing = register(admin, receiver, status=500)
    services.endpoint_test(endpoint=endpoint, membership=admin)
    # (the test delivery is queued on commit, which the test transaction never reaches)
    delivery = Delivery.objects.get(endpoint=endpoint)
    before = timezone.now()
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        1,
        500,
        "HTTP 500",
    )
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 29 <= wait <= 34  # 30 s, plus up to 10 % jitter
    assert len(failing.received) == 1


def test_the_retry_is_queued_with_its_countdown_and_runs_when_due(
    admin, receiver, queued, django_capture_on_commit_callbacks
):
    endpoint, flaky = register(admin, receiver, status=500)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    assert queued == [(delivery.pk, None)]
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_attempt(delivery_id=delivery.pk)
    assert queued[1][0] == delivery.pk
    assert 30 <= queued[1][1] <= 33
    # a message that arrives early (a duplicate) sends nothing
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert len(flaky.received) == 1
    # once due, the receiver is well again: succeeded on the second attempt, same message id
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    flaky.status = 204
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 204)
    ids = {r.headers["webhook-id"] for r in flaky.received}
    assert ids == {delivery.message_id}
    assert len(flaky.verified()) == 2


def test_a_receiver_that_times_out_is_retried(admin, receiver, queued, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    endpoint, _ = register(admin, receiver, delay=3)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    started = time.monotonic()
    services.delivery_attempt(delivery_id=delivery.pk)
    assert time.monotonic() - started < 2.5  # it did not wait for the receiver's answer
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_status_code is None
    assert delivery.last_error == "No answer within 0.5 s."
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()


def test_it_gives_up_after_the_schedule_of_at_least_24_hours(admin, receiver, queued):
    endpoint, _ = register(admin, receiver, status=503)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    day_ago = timezone.now() - timedelta(hours=24, seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(schedule_started_at=day_ago, attempts=10)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 11, None)
    assert queued == []  # no retry queued
    assert rules.retry_schedule()[-1] >= 24 * 3600


def test_sending_again_by_hand_restarts_the_schedule(admin, receiver, queued):
    endpoint, down = register(admin, receiver, status=503)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=11, next_attempt_at=None
    )
    services.delivery_resend(delivery=delivery, membership=admin)
    down.status = 200
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 12)
    assert len(down.verified()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_does_not_delay_another_endpoints_delivery(
    admin, operator, agent, receiver, queued, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    slow_endpoint, slow = register(admin, receiver, delay=2)
    fast_endpoint, fast = register(admin, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Stop now")
    # two deliveries, two tasks: each attempt is its own worker job
    assert len(queued) == 2
    by_endpoint = {d.endpoint_id: d.pk for d in Delivery.objects.all()}
    slow_done = threading.Event()

    def run_slow():
        try:
            services.delivery_attempt(delivery_id=by_endpoint[slow_endpoint.pk])
        finally:
            slow_done.set()
            connection.close()

    thread = threading.Thread(target=run_slow)
    started = time.monotonic()
    thread.start()
    while not slow.received and time.monotonic() - started < 2:
        time.sleep(0.01)  # the slow receiver is now holding its request
    services.delivery_attempt(delivery_id=by_endpoint[fast_endpoint.pk])
    fast_elapsed = time.monotonic() - started
    assert not slow_done.is_set()
    assert fast_elapsed < 1.5
    thread.join(10)
    assert [p["type"] for p in fast.verified()] == ["agent.suspended"]
    assert Delivery.objects.get(endpoint=fast_endpoint).status == "succeeded"


def test_the_slack_format_posts_text(
    admin, operator, agent, receiver, run_queued, django_capture_on_commit_callbacks
):
    _, slack = register(admin, receiver, format="slack")
    with django_capture_on_commit_callbacks(execute=True):
        killswitch_services.agent_suspend(agent=agent, membership=operator, reason="Odd refunds")
    run_queued()
    (body,) = slack.json()
    assert set(body) == {"text"}
    assert agent.name in body["text"]
    assert "Odd refunds" in body["text"]
    assert "otto" in body["text"]
    assert len(slack.verified()) == 1  # signed all the same


def test_410_gone_disables_the_endpoint(admin, receiver, queued):
    endpoint, _ = register(admin, receiver, status=410)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == "failed"
    assert not endpoint.active
    assert queued == []


def test_a_deleted_endpoint_leaves_its_queued_attempt_nothing_to_do(admin, receiver, queued):
    endpoint, r = register(admin, receiver)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    services.endpoint_delete(endpoint=endpoint, membership=admin)
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert r.received == []


def test_the_sweeper_requeues_what_is_due(
    admin, receiver, queued, django_capture_on_commit_callbacks
):
    endpoint, _ = register(admin, receiver)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    later = services.endpoint_test(endpoint=endpoint, membership=admin)
    Delivery.objects.filter(pk=later.pk).update(
        status="retrying", next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_sweep() == 1
    assert queued == [(delivery.pk, None)]


# --------------------------------------------------------------------------- targets at connect


def _no_connection(*args, **kwargs):
    raise AssertionError("a refused address must not be connected to")


def test_a_name_resolving_to_a_private_address_is_refused_at_connect(
    admin, queued, monkeypatch, settings
):
    endpoint, _ = services.endpoint_create(
        membership=admin, url="https://hooks.example.test/in", events=["agent.suspended"]
    )
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["93.184.215.14", "10.1.2.3"])
    monkeypatch.setattr(transport, "_pool", _no_connection)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert delivery.last_error == (
        "Refused before connecting: hooks.example.test resolves to 10.1.2.3 is a private "
        "address outside WEBHOOK_ALLOWED_NETWORKS."
    )


def test_an_allowed_network_is_reached_at_the_checked_address_with_the_name_for_tls(
    admin, queued, monkeypatch, settings
):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    endpoint, _ = services.endpoint_create(
        membership=admin, url="https://hooks.example.test:8443/in?x=1", events=["gate.decided"]
    )
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["10.1.2.3"])
    opened = []

    class FakeResponse:
        status = 202

        def close(self):
            pass

    class FakePool:
        def __init__(self, scheme, address, port, host, ca_bundle):
            opened.append((scheme, address, port, host))

        def urlopen(self, method, target, headers, **kwargs):
            opened.append((method, target, headers["Host"]))
            return FakeResponse()

        def close(self):
            pass

    monkeypatch.setattr(transport, "_pool", FakePool)
    services.delivery_attempt(delivery_id=delivery.pk)
    assert opened == [
        ("https", "10.1.2.3", 8443, "hooks.example.test"),
        ("POST", "/in?x=1", "hooks.example.test:8443"),
    ]
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_loopback_is_refused_at_connect_once_the_setting_is_off(admin, receiver, queued, settings):
    endpoint, r = register(admin, receiver)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert "127.0.0.1 is a loopback address" in delivery.last_error
    assert r.received == []


def test_an_unresolvable_host_is_recorded_and_retried(admin, queued, monkeypatch):
    endpoint, _ = services.endpoint_create(
        membership=admin, url="https://nowhere.invalid/in", events=["agent.suspended"]
    )
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)

    def fail(host, port):
        raise OSError("Name or service not known")

    monkeypatch.setattr(transport, "resolve", fail)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert delivery.last_error == "Could not resolve nowhere.invalid: Name or service not known"


def test_a_refused_connection_is_recorded(admin, queued, receiver):
    endpoint, r = register(admin, receiver)
    r.server.shutdown()
    r.server.server_close()
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert delivery.last_error.startswith("Could not connect to 127.0.0.1")


def test_an_endpoint_is_stored_with_the_events_in_a_fixed_order(admin):
    endpoint, secret = services.endpoint_create(
        membership=admin,
        url="https://hooks.example.com/x",
        events=["report.done", "agent.suspended", "report.done"],
    )
    assert endpoint.events == ["agent.suspended", "report.done"]
    assert Endpoint.objects.get().secret == secret


def test_https_goes_to_the_checked_address_with_the_hosts_name_for_tls(
    admin, receiver, certificate, queued, monkeypatch, settings
):
    # given an https receiver whose certificate names hooks.example.test, on the loopback
    gateway = receiver(tls=certificate)
    settings.WEBHOOK_CA_BUNDLE = certificate[0]
    url = f"https://hooks.example.test:{gateway.port}/in"
    endpoint, secret = services.endpoint_create(
        membership=admin, url=url, events=["agent.suspended"]
    )
    gateway.secret = secret
    looked_up = []

    def resolve(host, port):
        looked_up.append((host, port))
        return ["127.0.0.1"]

    monkeypatch.setattr(transport, "resolve", resolve)
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    # when the worker delivers it
    services.delivery_attempt(delivery_id=delivery.pk)
    # then it connected to the address it checked, and TLS verified the name in the URL
    delivery.refresh_from_db()
    assert delivery.status == "succeeded", delivery.last_error
    assert looked_up == [("hooks.example.test", gateway.port)]
    (payload,) = gateway.verified()
    assert payload["type"] == "webhook.test"
    assert gateway.received[0].headers["Host"] == f"hooks.example.test:{gateway.port}"


def test_a_certificate_for_another_name_fails_the_delivery(
    admin, receiver, certificate, queued, monkeypatch, settings
):
    gateway = receiver(tls=certificate)
    settings.WEBHOOK_CA_BUNDLE = certificate[0]
    endpoint, _ = services.endpoint_create(
        membership=admin,
        url=f"https://other.example.test:{gateway.port}/in",
        events=["gate.decided"],
    )
    monkeypatch.setattr(transport, "resolve", lambda host, port: ["127.0.0.1"])
    delivery = services.endpoint_test(endpoint=endpoint, membership=admin)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert "SSLError" in delivery.last_error
    assert "other.example.test" in delivery.last_error
    assert gateway.received == []
