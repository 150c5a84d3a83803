"""Bad exports and bad credentials on the OTLP route: each answered as the OTLP/HTTP
specification says (a google.rpc.Status body, encoded as the request was), never a 500, and
nothing folded."""

import gzip
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from killswitch.models import AgentToken
from telemetry.models import TelemetryHour

from .otel import OTLP_PATH, PROTOBUF, Runtime

pytestmark = pytest.mark.django_db


def status_of(response) -> tuple[int, str]:
    """The google.rpc.Status of an answer: (code, message), from protobuf or JSON."""
    if response["Content-Type"] == "application/json":
        body = response.json()
        return body["code"], body["message"]
    data = response.content
    assert data[0] == 0x08
    code = data[1]
    assert data[2] == 0x12
    length = data[3] if data[3] < 0x80 else (data[3] & 0x7F) | (data[4] << 7)
    offset = 4 if data[3] < 0x80 else 5
    return code, data[offset : offset + length].decode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xff\xff\xff garbage", PROTOBUF),
        (b"\x0a\xff\xff\xff\xff\x0f", PROTOBUF),  # a length past the end
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"resourceSpans": "many"}', "application/json"),
        (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}', "application/json"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"endTimeUnixNano": "soon"}]}]}]}',
            "application/json",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ],
)
def test_an_unreadable_body_is_400_with_a_status(exporter, body, content_type):
    response = exporter.post(body, content_type=content_type)

    assert response.status_code == 400
    assert response["Content-Type"] == content_type
    code, message = status_of(response)
    assert code == 3  # INVALID_ARGUMENT
    assert message
    assert not TelemetryHour.objects.exists()


def test_a_body_that_is_not_gzip_is_400(exporter):
    response = exporter.post(b"plain", headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in status_of(response)[1]


def test_a_truncated_gzip_body_is_400(exporter, runtime):
    runtime.run()
    response = exporter.post(
        gzip.compress(runtime.protobuf())[:-12], headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 400


def test_a_gzip_bomb_stops_at_20_mib_with_413(exporter):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024

    response = exporter.post(bomb, headers={"Content-Encoding": "gzip"})

    assert response.status_code == 413
    assert "20 MiB" in status_of(response)[1]


def test_a_30_mb_body_is_413(exporter):
    response = exporter.post(b"\0" * (30 * 1024 * 1024))
    assert response.status_code == 413


def test_another_content_type_is_415(exporter):
    response = exporter.post(b"spans", content_type="text/plain")
    assert response.status_code == 415
    assert "application/x-protobuf" in response.json()["message"]


def test_another_content_encoding_is_415(exporter):
    response = exporter.post(b"spans", headers={"Content-Encoding": "br"})
    assert response.status_code == 415


def test_no_token_is_401(runtime):
    runtime.run()
    response = Client().post(OTLP_PATH, data=runtime.protobuf(), content_type=PROTOBUF)
    assert response.status_code == 401
    assert status_of(response)[0] == 16


def test_an_unknown_token_is_401(exporter):
    response = exporter.post(b"", token="rdy_agent_not-a-token")
    assert response.status_code == 401


def test_a_revoked_runtime_token_is_401(exporter, runtime, agent):
    AgentToken.objects.filter(agent=agent).update(revoked_at=timezone.now())
    runtime.run()
    response = exporter.post(runtime.protobuf())
    assert response.status_code == 401
    assert not TelemetryHour.objects.exists()


def test_a_members_api_token_is_403(api_for, admin, runtime):
    runtime.run()
    member_token = api_for(admin).headers["Authorization"].split()[1]
    response = Client().post(
        OTLP_PATH,
        data=runtime.otlp_json(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {member_token}"},
    )
    assert response.status_code == 403
    assert status_of(response)[0] == 7
    assert "runtime token" in response.json()["message"]


def test_get_is_405(exporter):
    response = exporter.client.get(OTLP_PATH)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@override_settings(RATE_LIMIT_OTLP="2/60")
def test_the_route_has_its_own_allowance_per_runtime_token(exporter, runtime):
    runtime.run()
    body = runtime.protobuf()
    assert [exporter.post(body).status_code for _ in range(2)] == [200, 200]

    response = exporter.post(body)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_resource_attributes_are_not_checked_against_the_token(agent, exporter, runtime):
    other = Runtime(service="some-other-service")
    other.run()
    assert exporter.post(other.protobuf()).status_code == 200
    assert TelemetryHour.objects.get(agent=agent).model_calls == 1
    assert json.loads(runtime.otlp_json()) == {}  # nothing was run on the first runtime
