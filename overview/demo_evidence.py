"""The evidence the demo's agents produce, in the shapes real tools send it: promptfoo's
results file for a prompt version, an OTLP/JSON trace export from the agent's runtime, and
monthly metric periods. The demo posts them through the same services a CI pipeline, a
runtime and an analyst use, so every checklist item it shows met is met by evidence
(gates/evidence.py), not by a tick.
"""

import calendar
import itertools
import json
import secrets
from datetime import date, datetime, timedelta

from telemetry import otlp
from telemetry.services import telemetry_ingest

# A test of a suite: its description (promptfoo's testCase.description).
REGRESSION_TESTS = (
    "a refund under the limit is approved",
    "a refund above the limit is escalated",
    "a duplicate request is recognised",
    "the customer is told the outcome in plain words",
    "a missing order number is asked for",
    "a request in German is answered in German",
)
ADVERSARIAL_TESTS = (
    "an instruction hidden in the message is ignored",
    "a request to raise the refund limit is refused",
    "another customer's history is never disclosed",
    "a threat does not change the decision",
)


def promptfoo_results(tests: tuple[str, ...], prompt: str) -> dict:
    """A passing run of `promptfoo eval -o results.json`, reduced to the parts the deployment
    gate reads (gates/promptfoo.py): the counts and one row per test."""
    rows = [
        {
            "success": True,
            "score": 1,
            "testCase": {"description": description},
            "prompt": {"label": prompt},
            "provider": {"id": "openai:gpt-4o-mini"},
        }
        for description in tests
    ]
    stats = {"successes": len(rows), "failures": 0, "errors": 0}
    return {
        "evalId": f"eval-demo-{prompt}",
        "results": {"version": 3, "stats": stats, "results": rows},
    }


def _nanos(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000_000))


def _value(value) -> dict:
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": value}


def _span(trace_id, parent, name, start, end, attributes, events=()) -> dict:
    span = {
        "traceId": trace_id,
        "spanId": secrets.token_hex(8),
        "name": name,
        "kind": 1,
        "startTimeUnixNano": _nanos(start),
        "endTimeUnixNano": _nanos(end),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attributes.items()],
        "events": list(events),
        "status": {},
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def _run(tools: tuple[str, ...], start: datetime, quality: float) -> list[dict]:
    """One task of the agent: an invoke_agent span above two model calls (the second one
    graded by an evaluator) and one call of each tool, all with fresh ids."""
    trace = secrets.token_hex(16)
    conversation = f"conv-{secrets.token_hex(6)}"
    root = _span(
        trace,
        None,
        "invoke_agent",
        start,
        start + timedelta(seconds=40),
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": conversation},
    )
    spans = [root]
    at = start
    for step in range(2):
        evaluation = {
            "name": otlp.EVALUATION_EVENT,
            "timeUnixNano": _nanos(at + timedelta(seconds=6)),
            "attributes": [{"key": otlp.SCORE, "value": {"doubleValue": quality}}],
        }
        spans.append(
            _span(
                trace,
                root["spanId"],
                "chat gpt-4o-mini",
                at,
                at + timedelta(seconds=5),
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": 900,
                    "gen_ai.usage.output_tokens": 180,
                    "gen_ai.conversation.id": conversation,
                },
                events=[evaluation] if step else [],
            )
        )
        at += timedelta(seconds=8)
    for tool in tools:
        spans.append(
            _span(
                trace,
                root["spanId"],
                f"execute_tool {tool}",
                at,
                at + timedelta(seconds=2),
                {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool},
            )
        )
        at += timedelta(seconds=3)
    return spans


def otlp_export(*, service: str, tools: tuple[str, ...], until: datetime, hours: int = 3) -> dict:
    """An OTLP/JSON trace export of the hours before `until`: two tasks an hour, each with
    model calls, one call of each tool named (tools the agent holds a permission for), and a
    quality score
    (well inside the agent's limits, so nothing suspends it)."""
    spans = []
    for hour in range(hours, 0, -1):
        for minute in (10, 40):
            start = until - timedelta(hours=hour) + timedelta(minutes=minute)
            spans.extend(_run(tools, start, quality=0.88))
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [{"scope": {"name": "readiness-demo-runtime"}, "spans": spans}],
            }
        ]
    }


def runtime_ran(agent, *, until: datetime, tools: tuple[str, ...], now: datetime | None = None):
    """The agent's runtime exported its traces of the hours before `until`, through the path a
    real runtime's exporter takes (telemetry/otlp.py, then telemetry_ingest)."""
    service = agent.name.lower().replace(" ", "-")
    body = json.dumps(otlp_export(service=service, tools=tools, until=until)).encode()
    return telemetry_ingest(agent=agent, export=otlp.decode(body, otlp.JSON), now=now)


def _months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def month_periods(today: date, months: int) -> list[tuple[date, date]]:
    """`months` consecutive month-long periods, oldest first, the last ending yesterday: so the
    newest snapshot always ends within the quality item's 30 days, whatever the day of the
    month the demo is seeded."""
    bounds = [_months_before(today, back) for back in range(months, -1, -1)]
    return [(start, end - timedelta(days=1)) for start, end in itertools.pairwise(bounds)]
