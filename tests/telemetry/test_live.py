"""The real OpenTelemetry Python SDK and its OTLP/HTTP protobuf exporter against a running
server (pytest-django's live_server), configured the way a runtime is: the endpoint
`https://<host>/api/v1/otlp` and the header `Authorization=Bearer <token>`; and OTLP/JSON
with hex ids, posted with requests."""

import gzip
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from agents.models import ToolPermission
from killswitch.models import AgentToken, Suspension
from telemetry.models import TelemetryHour, TelemetryToolHour

from .otel import OTLP_PATH, Runtime

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sdk_exporter(live_server, runtime_token, monkeypatch):
    """The SDK's exporter set up from the two environment variables of docs/telemetry.md."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"{live_server.url}/api/v1/otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer {runtime_token}")

    def make(**kwargs):
        return OTLPSpanExporter(timeout=10, **kwargs)

    return make


def test_the_sdk_exporter_sends_spans_that_are_folded_before_its_answer(agent, sdk_exporter):
    exporter = sdk_exporter(compression=Compression.Gzip)
    runtime = Runtime()
    runtime.run(model_calls=2, tools=[("crm", False), ("Search", True)])

    assert exporter.export(runtime.spans()) == SpanExportResult.SUCCESS

    hour = TelemetryHour.objects.get(agent=agent)
    assert (hour.model_calls, hour.runs, hour.tool_calls, hour.failed_tool_calls) == (2, 1, 2, 1)
    assert ToolPermission.objects.get(agent=agent, tool="crm").last_used is not None


def test_a_retry_by_the_sdk_exporter_is_counted_once(agent, sdk_exporter):
    exporter = sdk_exporter()
    runtime = Runtime()
    runtime.run(tools=[("crm", False)] * 3)

    assert exporter.export(runtime.spans()) == SpanExportResult.SUCCESS
    assert exporter.export(runtime.spans()) == SpanExportResult.SUCCESS

    hour = TelemetryHour.objects.get(agent=agent)
    assert (hour.tool_calls, hour.max_run_tool_calls) == (3, 3)
    assert TelemetryToolHour.objects.get(agent=agent, tool="crm").calls == 3


def test_spans_from_a_processor_in_a_running_program_suspend_on_an_unregistered_tool(
    agent, sdk_exporter
):
    runtime = Runtime(sdk_exporter())  # SimpleSpanProcessor: each span exported as it ends
    runtime.run(tools=[("crm", False), ("delete_ledger", False)])
    runtime.provider.force_flush()

    suspension = Suspension.objects.get(agent=agent, ended_at__isnull=True)
    assert "delete_ledger" in suspension.reason
    assert TelemetryHour.objects.get(agent=agent).tool_calls == 2


def test_otlp_json_with_hex_ids_over_http(agent, live_server, runtime_token):
    runtime = Runtime()
    runtime.run(model_calls=3, tools=[])
    response = requests.post(
        live_server.url + OTLP_PATH,
        data=gzip.compress(runtime.otlp_json().encode()),
        headers={
            "Authorization": f"Bearer {runtime_token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert TelemetryHour.objects.get(agent=agent).model_calls == 3


def test_the_sdk_exporter_with_a_revoked_token_fails(agent, sdk_exporter, live_server):
    AgentToken.objects.filter(agent=agent).update(revoked_at=timezone.now())
    runtime = Runtime()
    runtime.run()
    assert sdk_exporter().export(runtime.spans()) == SpanExportResult.FAILURE
    assert not TelemetryHour.objects.exists()


def test_the_same_export_sent_at_once_from_several_threads_counts_once(
    agent, live_server, runtime_token
):
    runtime = Runtime()
    runtime.run(model_calls=2, tools=[("crm", False)] * 2)
    body = runtime.protobuf()

    def send(_):
        return requests.post(
            live_server.url + OTLP_PATH,
            data=body,
            headers={
                "Authorization": f"Bearer {runtime_token}",
                "Content-Type": "application/x-protobuf",
            },
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(send, range(6)))

    assert statuses == [200] * 6
    hour = TelemetryHour.objects.get(agent=agent)
    assert (hour.model_calls, hour.tool_calls, hour.max_run_tool_calls) == (2, 2, 2)
