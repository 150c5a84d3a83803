"""OTLP trace ingestion: protobuf exports of 512 spans (the SDK's default batch), made by the
OpenTelemetry SDK's own encoder, posted to one gunicorn sync worker on SQLite; reports spans
folded per second and the worker's memory (resident set, and its peak).

Each export is 64 agent runs (an `invoke_agent` span, 3 model calls, 4 tool calls of tools
the agent holds permissions for), every span new, so each is folded and its ids stored.

    .venv/bin/python benchmarks/otlp.py [--exports 200] [--clients 2]
"""

import argparse
import http.client
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Server, setup_django, table

PATH = "/api/v1/otlp/v1/traces"
TOOLS = ("crm", "search", "ledger", "mail")


def make_exports(count: int) -> list[bytes]:
    """`count` protobuf exports of 512 spans each, from the SDK's tracer and encoder."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench-agent"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("bench")
    exports = []
    for e in range(count):
        for r in range(64):
            conversation = f"conv-{e}-{r}"
            with tracer.start_as_current_span(
                "invoke_agent bench",
                attributes={
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.conversation.id": conversation,
                },
            ):
                for _ in range(3):
                    with tracer.start_as_current_span(
                        "chat model",
                        attributes={
                            "gen_ai.operation.name": "chat",
                            "gen_ai.conversation.id": conversation,
                            "gen_ai.request.model": "gpt-4o",
                            "gen_ai.usage.input_tokens": 420,
                            "gen_ai.usage.output_tokens": 80,
                        },
                    ):
                        pass
                for tool in TOOLS:
                    with tracer.start_as_current_span(
                        f"execute_tool {tool}",
                        attributes={
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": tool,
                        },
                    ):
                        pass
        spans = memory.get_finished_spans()
        assert len(spans) == 512
        exports.append(encode_spans(spans).SerializeToString())
        memory.clear()
    return exports


def agent_and_token() -> str:
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Organization
    from core.roles import Role
    from killswitch import services as killswitch_services
    from overview import services as overview_services

    organization = Organization.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-pass-1")
    membership = Membership.objects.create(user=user, organization=organization)
    membership.set_roles({Role.ASSESSOR, Role.ADMIN})
    membership.save()
    agent = overview_services.agent_create(
        membership=membership,
        data={
            "name": "Bench agent",
            "owner": "bench",
            "tool_permissions": [{"tool": t, "access": "read"} for t in TOOLS],
        },
    )
    _, raw = killswitch_services.agent_token_create(agent=agent, membership=membership)
    return raw


def rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def post_all(port: int, token: str, exports: list[bytes], clients: int) -> tuple[float, int]:
    counter = iter(range(len(exports)))
    lock = threading.Lock()
    failures = []

    def client():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request(
                "POST",
                PATH,
                body=exports[i],
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-protobuf",
                },
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, len(failures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    setup_django("otlp")
    token = agent_and_token()
    os.environ["READINESS_RATE_OTLP"] = "0"  # the allowance is not what is measured
    warmup, exports = make_exports(5), make_exports(args.exports)
    from telemetry.models import TelemetryHour

    with Server(workers=1) as server:
        worker = worker_pid(server.proc.pid)
        post_all(server.port, token, warmup, 1)
        before = rss_kb(worker)
        elapsed, failures = post_all(server.port, token, exports, args.clients)
        after = rss_kb(worker)
    spans = 512 * len(exports)
    folded = sum(TelemetryHour.objects.values_list("tool_calls", flat=True))
    expected = (len(exports) + len(warmup)) * 64 * len(TOOLS)
    print(f"OTLP ingestion: {len(exports)} protobuf exports of 512 spans, one sync worker, SQLite")
    print(
        table(
            [
                [
                    f"{spans / elapsed:,.0f}",
                    f"{elapsed / len(exports) * 1000:.1f}",
                    f"{after['VmRSS'] / 1024:.0f}",
                    f"{after['VmHWM'] / 1024:.0f}",
                    f"{before['VmRSS'] / 1024:.0f}",
                    failures,
                ]
            ],
            [
                "spans/s",
                "ms per export",
                "worker RSS (MB)",
                "worker peak RSS (MB)",
                "RSS after warm-up (MB)",
                "failed exports",
            ],
        )
    )
    if failures or folded != expected:
        sys.exit(f"{failures} export(s) failed; {folded} tool calls folded of {expected}")


if __name__ == "__main__":
    main()
