"""POST /api/v1/otlp/v1/traces: exports made by the real OpenTelemetry SDK (protobuf, as its
OTLP/HTTP exporter encodes them, and OTLP/JSON with hex ids), folded into hourly figures
before the answer (docs/telemetry.md)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from agents.models import ToolPermission
from audit.models import AuditEntry
from gates.models import Gate
from telemetry.models import RunningCount, SeenSpan, TelemetryHour, TelemetryToolHour
from tests.helpers import go

from .otel import PROTOBUF

pytestmark = pytest.mark.django_db


def only_hour(agent) -> TelemetryHour:
    (hour,) = TelemetryHour.objects.filter(agent=agent)
    return hour


def tools_of(agent) -> dict[str, tuple[int, int]]:
    return {
        row.tool: (row.calls, row.failed) for row in TelemetryToolHour.objects.filter(agent=agent)
    }


def test_protobuf_export_is_folded_into_the_hour_of_its_spans(agent, runtime, exporter):
    runtime.run(model_calls=2, input_tokens=100, output_tokens=20, tools=[("crm", False)] * 3)
    runtime.run(conversation="conv-2", tools=[("crm", True), ("Search", False)])

    response = exporter.post(runtime.protobuf())

    assert response.status_code == 200
    assert response["Content-Type"] == PROTOBUF
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success")
    hour = only_hour(agent)
    assert (hour.model_calls, hour.runs, hour.tool_calls, hour.failed_tool_calls) == (3, 2, 5, 1)
    assert (hour.input_tokens, hour.output_tokens) == (300, 60)
    assert hour.max_conversation_tokens == 240  # conv-1: two calls of 100 + 20
    assert hour.max_run_tool_calls == 3
    end = max(s.end_time for s in runtime.spans())
    assert hour.last_seen.timestamp() == pytest.approx(end / 1e9, abs=1e-3)
    assert hour.hour == hour.last_seen.replace(minute=0, second=0, microsecond=0)
    assert hour.first_seen <= hour.last_seen
    assert tools_of(agent) == {"crm": (4, 1), "Search": (1, 0)}


def test_otlp_json_with_hex_ids_is_read_the_same_and_answered_in_json(agent, runtime, exporter):
    runtime.run(model_calls=2, tools=[("crm", False), ("crm", True)])

    response = exporter.post(runtime.otlp_json(), content_type="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {}
    hour = only_hour(agent)
    assert (hour.model_calls, hour.runs, hour.tool_calls, hour.failed_tool_calls) == (2, 1, 2, 1)
    # The same spans as protobuf are the same spans: counted once.
    exporter.post(runtime.protobuf())
    assert only_hour(agent).model_calls == 2


def test_gzip_export_is_read(agent, runtime, exporter):
    runtime.run()
    assert exporter.post(runtime.protobuf(), gzipped=True).status_code == 200
    assert only_hour(agent).model_calls == 1


def test_a_retried_export_is_counted_once(agent, runtime, exporter):
    runtime.run(tools=[("crm", False)] * 2)
    body = runtime.protobuf()

    first = exporter.post(body)
    second = exporter.post(body)

    assert first.status_code == second.status_code == 200
    hour = only_hour(agent)
    assert (hour.model_calls, hour.runs, hour.tool_calls) == (1, 1, 2)
    assert hour.max_run_tool_calls == 2
    assert tools_of(agent) == {"crm": (2, 0)}
    assert SeenSpan.objects.filter(agent=agent).count() == 4


def test_a_conversation_and_a_run_are_followed_across_exports(agent, runtime, exporter):
    runtime.run(conversation="long", input_tokens=1000, output_tokens=500)
    exporter.post(runtime.protobuf())
    runtime.clear()
    runtime.run(conversation="long", input_tokens=2000, output_tokens=500)
    exporter.post(runtime.protobuf())

    assert only_hour(agent).max_conversation_tokens == 4000
    assert RunningCount.objects.get(agent=agent, kind="conversation", key="long").value == 4000


def test_tool_calls_of_one_trace_without_an_agent_span_are_one_run(agent, exporter, runtime):
    tracer = runtime.tracer
    with tracer.start_as_current_span("request"):
        for _ in range(4):
            with tracer.start_as_current_span(
                "execute_tool crm",
                attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "crm"},
            ):
                pass
    exporter.post(runtime.protobuf())
    hour = only_hour(agent)
    assert (hour.runs, hour.tool_calls, hour.max_run_tool_calls) == (0, 4, 4)


def test_spans_without_genai_attributes_are_accepted_and_ignored(agent, runtime, exporter):
    tracer = runtime.tracer
    with (
        tracer.start_as_current_span("GET /health", attributes={"http.method": "GET"}),
        tracer.start_as_current_span("SELECT", attributes={"db.system": "pg"}),
    ):
        pass
    response = exporter.post(runtime.protobuf())
    assert response.status_code == 200
    assert not TelemetryHour.objects.exists()
    assert not SeenSpan.objects.exists()


def test_an_http_span_between_a_tool_call_and_its_run_keeps_the_run(agent, runtime, exporter):
    runtime.run(tools=[("crm", False)] * 2, http_span=True)
    exporter.post(runtime.protobuf())
    hour = only_hour(agent)
    assert (hour.runs, hour.tool_calls, hour.max_run_tool_calls) == (1, 2, 2)


def test_evaluation_events_are_quality_scores(agent, runtime, exporter):
    runtime.run(score=0.9)
    runtime.run(score=0.8)
    exporter.post(runtime.protobuf())
    hour = only_hour(agent)
    assert hour.score_count == 2
    assert hour.score_mean == pytest.approx(0.85)


def test_last_used_follows_the_latest_tool_call_without_an_audit_entry(
    agent, runtime, exporter, assessor, approver
):
    go(agent, 1, assessor, approver)
    entries = AuditEntry.objects.count()
    runtime.run(tools=[("CRM", False)])  # names match ignoring case

    exporter.post(runtime.protobuf())

    crm = ToolPermission.objects.get(agent=agent, tool="crm")
    assert crm.last_used == timezone.now().date()
    assert ToolPermission.objects.get(agent=agent, tool="Search").last_used is None
    assert AuditEntry.objects.count() == entries
    assert Gate.objects.get(agent=agent, phase=1).state == Gate.State.GO


def test_a_tool_call_in_the_future_counts_as_now(agent, runtime, exporter):
    start = timezone.now() + timedelta(days=30)
    span = runtime.tracer.start_span(
        "execute_tool crm",
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "crm"},
        start_time=int(start.timestamp() * 1e9),
    )
    span.end(end_time=int((start + timedelta(seconds=1)).timestamp() * 1e9))

    exporter.post(runtime.protobuf())

    assert ToolPermission.objects.get(agent=agent, tool="crm").last_used == timezone.now().date()
    assert only_hour(agent).last_seen <= timezone.now()


def test_spans_without_ids_or_times_are_counted_in_partial_success(agent, runtime, exporter):
    runtime.run()
    message = runtime.message()
    spans = message.resource_spans[0].scope_spans[0].spans
    spans[0].trace_id = b""
    spans[1].end_time_unix_nano = 0

    response = exporter.post(message.SerializeToString())

    assert response.status_code == 200
    answer = ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 2
    assert "2 span(s)" in answer.partial_success.error_message


def test_partial_success_in_json(agent, runtime, exporter):
    runtime.run()
    document = json.loads(runtime.otlp_json())
    document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["spanId"] = "not-hex"
    response = exporter.post(json.dumps(document), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedSpans"] == "1"


def test_attributes_of_the_wrong_type_are_ignored_not_refused(agent, runtime, exporter):
    document = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "chat",
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000001000000000",
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"stringValue": "lots"},
                                    },
                                    {
                                        "key": "gen_ai.usage.output_tokens",
                                        "value": {"intValue": -5},
                                    },
                                    {"key": "gen_ai.conversation.id", "value": {"boolValue": True}},
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = exporter.post(json.dumps(document), content_type="application/json")
    assert response.status_code == 200
    hour = only_hour(agent)
    assert (hour.model_calls, hour.input_tokens, hour.output_tokens) == (1, 0, 0)
    assert hour.max_conversation_tokens == 0


def test_an_export_of_512_spans_takes_a_fixed_handful_of_queries(
    agent, runtime, exporter, django_assert_max_num_queries
):
    for i in range(64):
        runtime.run(conversation=f"c{i}", model_calls=3, tools=[("crm", False)] * 4)
    assert len(runtime.spans()) == 512
    with django_assert_max_num_queries(25):
        response = exporter.post(runtime.protobuf())
    assert response.status_code == 200
    assert only_hour(agent).model_calls == 192
