"""Folding spans into per-agent hourly figures, and the limits those figures may cross
(docs/telemetry.md), as pure functions over plain values: no Django, no protobuf.

A span arrives as `SpanFacts` (telemetry/otlp.py reads them from an export). `fold` adds up
one export's spans by the UTC hour of their end time; the service merges that with what is
stored and asks `limit_breaches` whether the merged figures cross one of the agent's limits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

NS_PER_HOUR = 3_600_000_000_000
MAX_KEY = 200
# The operations of the GenAI semantic conventions, by what they count as.
MODEL = "model"
TOOL = "tool"
RUN = "run"
OPERATIONS = {
    "chat": MODEL,
    "text_completion": MODEL,
    "generate_content": MODEL,
    "embeddings": MODEL,
    "execute_tool": TOOL,
    "invoke_agent": RUN,
}
# How far up a span's parents a tool call looks for its run (a cycle or a deep tree stops).
MAX_DEPTH = 64


@dataclass(slots=True)
class SpanFacts:
    """What one span says, read from the wire. `kind` is None for a span without the GenAI
    conventions (HTTP, database): it is kept only as a link between a tool call and its run."""

    trace_id: bytes
    span_id: bytes
    parent_id: bytes
    end_ns: int
    kind: str | None = None
    tool: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    conversation: str | None = None
    failed: bool = False
    scores: tuple[float, ...] = ()

    @property
    def key(self) -> str:
        return self.trace_id.hex() + self.span_id.hex()


# The counts of an hour that the API and the pages show, in their order.
HOUR_COUNTS = (
    "model_calls",
    "runs",
    "tool_calls",
    "failed_tool_calls",
    "input_tokens",
    "output_tokens",
)


@dataclass(slots=True)
class HourFigures:
    model_calls: int = 0
    runs: int = 0
    tool_calls: int = 0
    failed_tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    max_conversation_tokens: int = 0
    max_run_tool_calls: int = 0
    score_count: int = 0
    score_sum: float = 0.0
    first_ns: int = 0
    last_ns: int = 0

    ADDED = (*HOUR_COUNTS, "score_count", "score_sum")

    def add(self, other: HourFigures) -> None:
        for name in self.ADDED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_conversation_tokens = max(
            self.max_conversation_tokens, other.max_conversation_tokens
        )
        self.max_run_tool_calls = max(self.max_run_tool_calls, other.max_run_tool_calls)
        self.first_ns = min(self.first_ns, other.first_ns) if self.first_ns else other.first_ns
        self.last_ns = max(self.last_ns, other.last_ns)

    @property
    def score_mean(self) -> float | None:
        return self.score_sum / self.score_count if self.score_count else None


@dataclass(slots=True)
class ToolFigures:
    calls: int = 0
    failed: int = 0
    last_ns: int = 0


@dataclass(slots=True)
class Tally:
    """A conversation's tokens or a run's tool calls in one export, and the hours it touched."""

    value: int = 0
    hours: set[int] = field(default_factory=set)


@dataclass
class Fold:
    """One export, added up. Hours are the UTC hour's start in seconds since the epoch."""

    hours: dict[int, HourFigures] = field(default_factory=dict)
    tools: dict[tuple[int, str], ToolFigures] = field(default_factory=dict)
    conversations: dict[str, Tally] = field(default_factory=dict)
    runs: dict[str, Tally] = field(default_factory=dict)
    tool_last_ns: dict[str, int] = field(default_factory=dict)
    counted: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.counted


def hour_of(ns: int) -> int:
    return ns // NS_PER_HOUR * 3600


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour, UTC)


def ns_time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


def bounded_key(text: str) -> str:
    """A conversation id fit for a column of 200 characters (a longer one by its hash)."""
    if len(text) <= MAX_KEY:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def run_key(span: SpanFacts, spans: Mapping[tuple[bytes, bytes], SpanFacts]) -> str:
    """The run a tool call belongs to: the nearest `invoke_agent` span above it among the
    export's spans, else its trace."""
    parent = span.parent_id
    for _ in range(MAX_DEPTH):
        if not parent:
            break
        above = spans.get((span.trace_id, parent))
        if above is None:
            break
        if above.kind == RUN:
            return "a:" + span.trace_id.hex() + above.span_id.hex()
        parent = above.parent_id
    return "t:" + span.trace_id.hex()


def fold(spans: Sequence[SpanFacts], *, seen: Collection[str], now_ns: int) -> Fold:
    """Add up the GenAI spans of one export that were not counted before (`seen`: their keys),
    each once even when the export repeats it. An end time in the future counts as now."""
    result = Fold()
    by_id = {(s.trace_id, s.span_id): s for s in spans}
    done = set(seen)
    for span in spans:
        if span.kind is None or span.key in done:
            continue
        done.add(span.key)
        result.counted.append(span.key)
        end = min(span.end_ns, now_ns)
        hour = hour_of(end)
        figures = _hour_touched(result, hour, end)
        _count_span(figures, span)
        _tally_conversation(result, span, hour)
        if span.kind == TOOL:
            _count_tool_call(result, figures, span, hour, end, run_key(span, by_id))
    return result


def _hour_touched(result: Fold, hour: int, end: int) -> HourFigures:
    """The figures of the hour a span ended in, created on its first span, with the first and
    last end times widened to this one."""
    figures = result.hours.get(hour)
    if figures is None:
        figures = result.hours[hour] = HourFigures(first_ns=end, last_ns=end)
    else:
        figures.first_ns = min(figures.first_ns, end)
        figures.last_ns = max(figures.last_ns, end)
    return figures


def _count_span(figures: HourFigures, span: SpanFacts) -> None:
    """Add what every GenAI span counts for to its hour: the call, its tokens and scores."""
    if span.kind == MODEL:
        figures.model_calls += 1
    elif span.kind == RUN:
        figures.runs += 1
    if span.kind != RUN:
        # A run's own usage sums its model calls: counted there, not twice.
        figures.input_tokens += span.input_tokens
        figures.output_tokens += span.output_tokens
    for score in span.scores:
        figures.score_count += 1
        figures.score_sum += score


def _tally_conversation(result: Fold, span: SpanFacts, hour: int) -> None:
    """Add a span's tokens to its conversation (a run's are its model calls', counted there)."""
    tokens = span.input_tokens + span.output_tokens
    if span.conversation is None or span.kind == RUN or not tokens:
        return
    tally = result.conversations.setdefault(span.conversation, Tally())
    tally.value += tokens
    tally.hours.add(hour)


def _count_tool_call(
    result: Fold, figures: HourFigures, span: SpanFacts, hour: int, end: int, run: str
) -> None:
    """Count a tool call in its hour, in its run (`run`: the run's key) and, when the span
    names the tool, in that tool's figures."""
    figures.tool_calls += 1
    if span.failed:
        figures.failed_tool_calls += 1
    tally = result.runs.setdefault(run, Tally())
    tally.value += 1
    tally.hours.add(hour)
    if not span.tool:
        return
    tool = result.tools.setdefault((hour, span.tool), ToolFigures())
    tool.calls += 1
    tool.failed += span.failed
    tool.last_ns = max(tool.last_ns, end)
    result.tool_last_ns[span.tool] = max(result.tool_last_ns.get(span.tool, 0), end)


def spread_maxima(
    hours: Mapping[int, HourFigures],
    conversations: Mapping[str, Tally],
    runs: Mapping[str, Tally],
    totals: Mapping[tuple[str, str], int],
) -> None:
    """Raise each touched hour's largest conversation and longest run to the running totals
    (`totals`: ("conversation" | "run", key) -> the value after this export)."""
    for kind, tallies, name in (
        ("conversation", conversations, "max_conversation_tokens"),
        ("run", runs, "max_run_tool_calls"),
    ):
        for key, tally in tallies.items():
            total = totals.get((kind, key), tally.value)
            for hour in tally.hours:
                figures = hours[hour]
                setattr(figures, name, max(getattr(figures, name), total))


# --- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """The agent's guardrails and alert thresholds that telemetry is checked against; None is
    no limit."""

    api_calls_per_hour: int | None = None
    tokens_per_session: int | None = None
    sequential_actions: int | None = None
    failed_tool_calls_max: float = 0.05
    quality_min: float = 0.70
    unregistered_tool_use: bool = True


@dataclass(frozen=True)
class Breach:
    """A limit crossed: the figure, its value and the limit, in words too."""

    figure: str
    value: float
    limit: float
    message: str
    context: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {
            "figure": self.figure,
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
            **dict(self.context),
        }


def tool_matches(tool: str) -> str:
    return tool.strip().casefold()


def _when(hour: int) -> str:
    return f"{hour_start(hour):%Y-%m-%d %H}:00 UTC"


def limit_breaches(
    *,
    hours: Mapping[int, HourFigures],
    conversations: Mapping[str, int],
    runs: Mapping[str, int],
    tools_used: Mapping[str, int],
    permitted: Iterable[str],
    limits: Limits,
) -> list[Breach]:
    """Every limit the figures an export touched cross (docs/telemetry.md). Comparisons are
    strict, as for the outcome alerts: a value equal to its limit does not fire."""
    found: list[Breach] = []
    if limits.unregistered_tool_use:
        found += _unregistered_tools(tools_used, permitted)
    for hour in sorted(hours):
        found += _hour_breaches(hour, hours[hour], limits)
    if limits.tokens_per_session is not None:
        found += _session_breaches(conversations, limits.tokens_per_session)
    if limits.sequential_actions is not None:
        found += _sequence_breaches(runs, limits.sequential_actions)
    return found


def _unregistered_tools(tools_used: Mapping[str, int], permitted: Iterable[str]) -> list[Breach]:
    """A breach for each tool called that the agent holds no permission for, by name."""
    allowed = {tool_matches(t) for t in permitted}
    return [
        Breach(
            "unregistered_tool_use",
            tools_used[tool],
            0,
            f"Unregistered tool use: {tool} was called {tools_used[tool]} time(s) and the "
            "agent holds no permission for it.",
            (("tool", tool),),
        )
        for tool in sorted(tools_used)
        if tool_matches(tool) not in allowed
    ]


def _hour_breaches(hour: int, figures: HourFigures, limits: Limits) -> list[Breach]:
    """The limits one hour's figures cross: calls, failed tool calls and quality."""
    found: list[Breach] = []
    context = (("hour", hour_start(hour).isoformat()),)
    calls = figures.model_calls + figures.tool_calls
    if limits.api_calls_per_hour is not None and calls > limits.api_calls_per_hour:
        found.append(
            Breach(
                "calls_per_hour",
                calls,
                limits.api_calls_per_hour,
                f"Calls per hour {calls} is above the alert limit of "
                f"{limits.api_calls_per_hour} (the hour from {_when(hour)}).",
                context,
            )
        )
    failed = figures.failed_tool_calls / figures.tool_calls if figures.tool_calls else None
    if failed is not None and failed > limits.failed_tool_calls_max:
        found.append(
            Breach(
                "failed_tool_calls",
                failed,
                limits.failed_tool_calls_max,
                f"Failed tool calls {failed:.1%} is above the alert limit of "
                f"{limits.failed_tool_calls_max:.1%} (the hour from {_when(hour)}).",
                context,
            )
        )
    mean = figures.score_mean
    if mean is not None and mean < limits.quality_min:
        found.append(
            Breach(
                "quality_score",
                mean,
                limits.quality_min,
                f"Quality score {mean:.1%} is below the alert limit of "
                f"{limits.quality_min:.1%} (the mean of the hour from {_when(hour)}).",
                context,
            )
        )
    return found


def _session_breaches(conversations: Mapping[str, int], limit: int) -> list[Breach]:
    """A breach for each conversation whose tokens so far are above the limit per session."""
    return _per_key_breaches(
        "tokens_per_session", "Tokens per session", conversations, limit, "conversation",
        lambda key: f"conversation {key}",
    )  # fmt: skip


def _sequence_breaches(runs: Mapping[str, int], limit: int) -> list[Breach]:
    """A breach for each run whose tool calls so far are above the sequential actions limit."""
    return _per_key_breaches(
        "sequential_actions", "Sequential actions", runs, limit, "run",
        lambda key: "tool calls in one run",
    )  # fmt: skip


def _per_key_breaches(
    metric: str,
    label: str,
    counts: Mapping[str, int],
    limit: int,
    kind: str,
    where: Callable[[str], str],
) -> list[Breach]:
    """One breach per key (a conversation, a run) whose count is above the limit, in key order."""
    return [
        Breach(
            metric,
            counts[key],
            limit,
            f"{label} {counts[key]} is above the alert limit of {limit} ({where(key)}).",
            ((kind, key),),
        )
        for key in sorted(counts)
        if counts[key] > limit
    ]
