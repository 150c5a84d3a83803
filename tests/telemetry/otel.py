"""An agent runtime instrumented with the real OpenTelemetry SDK, for the telemetry tests: its
spans follow the GenAI semantic conventions and go to an in-memory exporter (to post them by
hand, as protobuf or OTLP/JSON) or to the SDK's OTLP/HTTP exporter (against a live server)."""

import base64
import json

from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

OTLP_PATH = "/api/v1/otlp/v1/traces"
PROTOBUF = "application/x-protobuf"


class Runtime:
    """Runs of an agent: an `invoke_agent` span holding model calls and tool calls."""

    def __init__(self, exporter=None, *, service="invoice-triage"):
        self.memory = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(SimpleSpanProcessor(self.memory))
        if exporter is not None:
            self.provider.add_span_processor(SimpleSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("tests.telemetry")

    def run(
        self,
        *,
        conversation="conv-1",
        model_calls=1,
        input_tokens=100,
        output_tokens=20,
        tools=(("crm", False),),
        score=None,
        http_span=False,
    ):
        with self.tracer.start_as_current_span(
            "invoke_agent triage",
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.conversation.id": conversation,
            },
        ) as run:
            for _ in range(model_calls):
                with self.tracer.start_as_current_span(
                    "chat gpt-4o",
                    attributes={
                        "gen_ai.operation.name": "chat",
                        "gen_ai.conversation.id": conversation,
                        "gen_ai.usage.input_tokens": input_tokens,
                        "gen_ai.usage.output_tokens": output_tokens,
                    },
                ):
                    pass
            for tool, failed in tools:
                with self.tracer.start_as_current_span(
                    f"execute_tool {tool}",
                    attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
                ) as span:
                    if http_span:
                        with self.tracer.start_as_current_span(
                            "GET", attributes={"http.request.method": "GET"}
                        ):
                            pass
                    if failed:
                        span.set_status(Status(StatusCode.ERROR, "tool failed"))
                        span.set_attribute("error.type", "timeout")
            if score is not None:
                run.add_event(
                    "gen_ai.evaluation.result",
                    {"gen_ai.evaluation.name": "relevance", "gen_ai.evaluation.score.value": score},
                )

    def spans(self):
        return self.memory.get_finished_spans()

    def clear(self):
        self.memory.clear()

    def message(self):
        return encode_spans(self.spans())

    def protobuf(self) -> bytes:
        """The export the SDK's OTLP/HTTP protobuf exporter sends for these spans."""
        return self.message().SerializeToString()

    def otlp_json(self) -> str:
        """The same export as OTLP/JSON: protobuf's JSON mapping, ids in hex (not base64)."""
        document = json_format.MessageToDict(self.message())
        for resource in document.get("resourceSpans", []):
            for scope in resource.get("scopeSpans", []):
                for span in scope.get("spans", []):
                    for name in ("traceId", "spanId", "parentSpanId"):
                        if name in span:
                            span[name] = base64.b64decode(span[name]).hex()
        return json.dumps(document)
