"""The arithmetic of the rate limits (core.rules): parsing a rate, the fixed window, and the
verdict on a hit at the boundaries of its count and of its window."""

import pytest

from core.rules import parse_rate, rate_verdict, rate_window_start


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/60", (10, 60)),
        (" 1200/60 ", (1200, 60)),
        ("20/3600", (20, 3600)),
        ("1/1", (1, 1)),
        ("", None),
        (None, None),
        ("0", None),
        ("off", None),
        ("0/60", None),
    ],
)
def test_a_rate_is_hits_per_seconds_and_zero_or_empty_is_off(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "10/", "/60", "ten/60", "10/0", "-1/60", "10/-5", "1.5/60"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="hits/seconds"):
        parse_rate(text)


def test_the_window_is_aligned_on_multiples_of_its_length():
    assert rate_window_start(0, 60) == 0
    assert rate_window_start(59.999, 60) == 0
    assert rate_window_start(60, 60) == 60
    assert rate_window_start(7265.5, 3600) == 7200


def test_the_hits_up_to_the_limit_pass_and_the_next_does_not():
    last = rate_verdict(count=10, limit=10, window=60, now=1000)
    over = rate_verdict(count=11, limit=10, window=60, now=1000)

    assert last.allowed
    assert last.remaining == 0
    assert not over.allowed
    assert over.remaining == 0
    assert rate_verdict(count=1, limit=10, window=60, now=1000).remaining == 9


def test_retry_after_is_the_whole_seconds_left_in_the_window_and_at_least_one():
    # 960 is a window start for 60 s windows
    assert rate_verdict(count=11, limit=10, window=60, now=960).retry_after == 60
    assert rate_verdict(count=11, limit=10, window=60, now=960.2).retry_after == 60
    assert rate_verdict(count=11, limit=10, window=60, now=1000).retry_after == 20
    assert rate_verdict(count=11, limit=10, window=60, now=1019.5).retry_after == 1
    assert rate_verdict(count=11, limit=10, window=60, now=1019.999).retry_after == 1
    assert rate_verdict(count=11, limit=10, window=60, now=1019.999).window_start == 960
    assert rate_verdict(count=11, limit=10, window=60, now=1020).window_start == 1020
