"""telemetry/folding.py: spans folded into hourly figures and the limits they cross, as pure
functions (no database)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telemetry.folding import (
    MODEL,
    RUN,
    TOOL,
    HourFigures,
    Limits,
    SpanFacts,
    fold,
    hour_of,
    limit_breaches,
)

T = int(datetime(2026, 3, 2, 9, 30, tzinfo=UTC).timestamp()) * 10**9
NOW = T + 3 * 3600 * 10**9
TRACE = bytes.fromhex("5b8efff798038103d269b633813fc60c")


def span(n, kind=None, *, parent=0, end=T, trace=TRACE, **facts) -> SpanFacts:
    return SpanFacts(
        trace_id=trace,
        span_id=n.to_bytes(8, "big"),
        parent_id=parent.to_bytes(8, "big") if parent else b"",
        end_ns=end,
        kind=kind,
        **facts,
    )


def test_spans_fold_by_the_utc_hour_of_their_end():
    next_hour = T + 3600 * 10**9
    folded = fold(
        [span(1, MODEL, input_tokens=5), span(2, MODEL, end=next_hour, output_tokens=7)],
        seen=set(),
        now_ns=NOW,
    )
    assert sorted(folded.hours) == [hour_of(T), hour_of(next_hour)]
    assert folded.hours[hour_of(T)].input_tokens == 5
    assert folded.hours[hour_of(next_hour)].output_tokens == 7


def test_a_span_seen_before_or_twice_in_one_export_counts_once():
    first = span(1, MODEL)
    folded = fold([first, span(2, MODEL), span(2, MODEL)], seen={first.key}, now_ns=NOW)
    assert folded.counted == [span(2).key]
    assert folded.hours[hour_of(T)].model_calls == 1


def test_a_future_end_counts_as_now():
    folded = fold([span(1, TOOL, tool="crm", end=NOW * 2)], seen=set(), now_ns=NOW)
    assert list(folded.hours) == [hour_of(NOW)]
    assert folded.tool_last_ns == {"crm": NOW}


def test_tool_calls_belong_to_the_nearest_agent_span_above_them():
    spans = [
        span(1, RUN),
        span(2, RUN, parent=1),  # a sub-agent
        span(3, TOOL, parent=2, tool="a"),
        span(4, None, parent=2),  # an HTTP span
        span(5, TOOL, parent=4, tool="a"),
        span(6, TOOL, parent=1, tool="b"),
    ]
    folded = fold(spans, seen=set(), now_ns=NOW)
    assert sorted(t.value for t in folded.runs.values()) == [1, 2]
    assert folded.hours[hour_of(T)].runs == 2


def test_a_runs_own_usage_is_not_counted_twice():
    folded = fold(
        [
            span(1, RUN, input_tokens=50, conversation="c"),
            span(2, MODEL, parent=1, input_tokens=50, conversation="c"),
        ],
        seen=set(),
        now_ns=NOW,
    )
    assert folded.hours[hour_of(T)].input_tokens == 50
    assert folded.conversations["c"].value == 50


def test_spans_without_the_genai_conventions_add_nothing():
    folded = fold([span(1), span(2, parent=1)], seen=set(), now_ns=NOW)
    assert folded.empty
    assert folded.hours == {}


HOUR = hour_of(T)


@pytest.mark.parametrize(
    ("figures", "limits", "expected"),
    [
        (HourFigures(model_calls=3, tool_calls=2), Limits(api_calls_per_hour=5), []),
        (
            HourFigures(model_calls=3, tool_calls=3),
            Limits(api_calls_per_hour=5),
            ["calls_per_hour"],
        ),
        (HourFigures(model_calls=99), Limits(), []),
        (HourFigures(tool_calls=20, failed_tool_calls=1), Limits(), []),
        (HourFigures(tool_calls=20, failed_tool_calls=2), Limits(), ["failed_tool_calls"]),
        (HourFigures(score_count=2, score_sum=1.4), Limits(), []),
        (HourFigures(score_count=2, score_sum=1.38), Limits(), ["quality_score"]),
        (HourFigures(), Limits(quality_min=1.0), []),
    ],
)
def test_hourly_limits_are_strict(figures, limits, expected):
    found = limit_breaches(
        hours={HOUR: figures},
        conversations={},
        runs={},
        tools_used={},
        permitted=[],
        limits=limits,
    )
    assert [b.figure for b in found] == expected


def test_conversation_and_run_limits():
    found = limit_breaches(
        hours={},
        conversations={"a": 100, "b": 101},
        runs={"r": 4},
        tools_used={},
        permitted=[],
        limits=Limits(tokens_per_session=100, sequential_actions=3),
    )
    assert [(b.figure, b.value, b.limit) for b in found] == [
        ("tokens_per_session", 101, 100),
        ("sequential_actions", 4, 3),
    ]
    assert found[0].as_dict()["conversation"] == "b"


def test_unregistered_tools_are_named_and_matched_ignoring_case():
    found = limit_breaches(
        hours={},
        conversations={},
        runs={},
        tools_used={"CRM": 3, "wire": 1},
        permitted=[" crm "],
        limits=Limits(),
    )
    assert [(b.figure, b.value, dict(b.context)) for b in found] == [
        ("unregistered_tool_use", 1, {"tool": "wire"})
    ]
    assert (
        limit_breaches(
            hours={},
            conversations={},
            runs={},
            tools_used={"wire": 1},
            permitted=[],
            limits=Limits(unregistered_tool_use=False),
        )
        == []
    )


@given(st.lists(st.tuples(st.integers(1, 40), st.sampled_from([MODEL, TOOL, RUN, None]))))
def test_folding_twice_adds_nothing_the_second_time(items):
    spans = [span(n, kind, tool="t" if kind == TOOL else None) for n, kind in items]
    first = fold(spans, seen=set(), now_ns=NOW)
    again = fold(spans, seen=set(first.counted), now_ns=NOW)
    assert again.empty
    assert len(first.counted) == len({n for n, kind in items if kind is not None})
