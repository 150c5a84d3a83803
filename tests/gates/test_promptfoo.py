"""gates/promptfoo.py: promptfoo's results files read at their boundaries (docs/ci.md). The
files under tests/fixtures/promptfoo/ were written by the real promptfoo 0.118.0."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gates import promptfoo
from gates.promptfoo import ResultsError, SuiteResults

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.results.json").read_text(encoding="utf-8"))


def results_file(rows: list, successes=None, failures=None, errors=None) -> dict:
    """A minimal file of promptfoo's shape; the counts follow the rows unless given."""
    outcome = [promptfoo._outcome(r, "", {}) if isinstance(r, dict) else None for r in rows]
    return {
        "evalId": "eval-test",
        "results": {
            "version": 3,
            "stats": {
                "successes": outcome.count("pass") if successes is None else successes,
                "failures": outcome.count("fail") if failures is None else failures,
                "errors": outcome.count("error") if errors is None else errors,
            },
            "results": rows,
        },
    }


def row(description=None, success=True, reason=None, vars_=None, prompt="p", **extra) -> dict:
    test = {"vars": vars_ or {}}
    if description is not None:
        test["description"] = description
    return {
        "success": success,
        "failureReason": (0 if success else 1) if reason is None else reason,
        "testCase": test,
        "vars": vars_ or {},
        "prompt": {"raw": "rendered", "label": prompt},
        "provider": {"id": "echo", "label": ""},
        "gradingResult": {"pass": success},
        **extra,
    }


# --- the real files -------------------------------------------------------------------------


def test_a_passing_run_counts_every_test_and_keys_them_by_description():
    suite = promptfoo.parse_results(load("regression"))

    assert (suite.passed, suite.failed, suite.errors) == (4, 0, 0)
    assert suite.outcomes == {
        "a windscreen claim is routed to motor": "pass",
        "a flooded kitchen is routed to home": "pass",
        "the answer never promises a payout": "pass",
        "the answer stays short": "pass",
    }
    assert promptfoo.suite_passed(suite)
    assert promptfoo.summary(suite) == "4/4 passed"


def test_a_failing_test_fails_the_suite():
    suite = promptfoo.parse_results(load("regression-changed"))

    assert (suite.passed, suite.failed, suite.errors) == (3, 1, 0)
    assert suite.outcomes["a flooded kitchen is routed to home"] == "fail"
    assert not promptfoo.suite_passed(suite)
    assert promptfoo.summary(suite) == "3/4 passed, 1 failed"


def test_with_several_prompts_the_key_starts_with_the_prompt_label():
    suite = promptfoo.parse_results(load("regression-two-prompts"))

    assert suite.outcomes == {
        "terse | a windscreen claim is routed to motor": "pass",
        "friendly | a windscreen claim is routed to motor": "pass",
        "terse | the customer is thanked": "fail",
        "friendly | the customer is thanked": "pass",
    }


def test_tests_without_a_description_are_keyed_by_their_variables():
    suite = promptfoo.parse_results(load("regression-no-description"))

    assert suite.outcomes == {
        '{"channel":"phone","claim":"cracked windscreen on the motorway"}': "pass",
        '{"channel":"email","claim":"water in the kitchen after the storm"}': "pass",
        '{"channel":"chat","claim":"lost luggage at the airport"}': "fail",
    }


def test_errors_are_counted_apart_from_failures_and_fail_the_suite():
    suite = promptfoo.parse_results(load("regression-errors"))

    assert (suite.passed, suite.failed, suite.errors) == (0, 0, 2)
    assert set(suite.outcomes.values()) == {"error"}
    assert not promptfoo.suite_passed(suite)
    assert not promptfoo.suite_passed(suite, 50)
    assert promptfoo.suite_passed(suite, 0)  # 0% reaches a threshold of 0: tests did run
    assert promptfoo.summary(suite) == "0/2 passed, 2 errors"


def test_an_adversarial_run_has_the_same_format():
    assert promptfoo.suite_passed(promptfoo.parse_results(load("adversarial")))
    failing = promptfoo.parse_results(load("adversarial-failing"))
    assert failing.outcomes["ignores an instruction to approve the payout"] == "fail"


def test_a_stored_suite_reads_back_the_same():
    suite = promptfoo.parse_results(load("regression-two-prompts"))

    assert promptfoo.suite_from_json(json.loads(json.dumps(suite.to_json()))) == suite


@pytest.mark.parametrize("stored", [None, True, [], {"passed": 1}, {"passed": "1", "failed": 0}])
def test_anything_else_stored_reads_as_no_results(stored):
    assert promptfoo.suite_from_json(stored) is None


# --- what passes ----------------------------------------------------------------------------


def test_a_run_of_zero_tests_does_not_pass_even_with_a_zero_threshold():
    suite = promptfoo.parse_results(results_file([]))

    assert suite.total == 0
    assert suite.pass_rate() is None
    assert not promptfoo.suite_passed(suite)
    assert not promptfoo.suite_passed(suite, 0)


@pytest.mark.parametrize(
    ("passed", "failed", "errors", "threshold", "expected"),
    [
        (3, 1, 0, 75, True),  # exactly the threshold
        (3, 1, 0, 75.0001, False),
        (2, 1, 0, 66.67, False),  # 66.666…% does not reach 66.67
        (2, 1, 0, 66.66, True),
        (1, 2, 0, 33.3333333333333, True),
        (4, 0, 0, 100, True),
        (3, 0, 1, 100, False),
        (3, 0, 1, 75, True),  # errors count against the rate like failures
        (0, 5, 0, 0, True),
    ],
)
def test_with_a_threshold_a_suite_passes_when_its_rate_reaches_it(
    passed, failed, errors, threshold, expected
):
    suite = SuiteResults(passed=passed, failed=failed, errors=errors, outcomes={})

    assert promptfoo.suite_passed(suite, threshold) is expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, False),
        (100, False),
        (99.5, False),
        (-0.1, True),
        (100.01, True),
        (float("nan"), True),
        (float("inf"), True),
        ("90", True),
        (True, True),
        (None, True),
    ],
)
def test_a_threshold_is_a_percentage(value, error):
    assert (promptfoo.threshold_error(value) is not None) is error


@given(
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=100),
)
def test_the_threshold_rule_is_the_exact_rate(passed, failed, errors, threshold):
    suite = SuiteResults(passed=passed, failed=failed, errors=errors, outcomes={})
    total = passed + failed + errors

    expected = total > 0 and passed * 100 >= threshold * total

    assert promptfoo.suite_passed(suite, threshold) is expected
    assert promptfoo.suite_passed(suite) is (total > 0 and failed == 0 and errors == 0)


# --- keys -----------------------------------------------------------------------------------


def test_a_key_met_twice_is_numbered_in_the_order_of_the_file():
    suite = promptfoo.parse_results(
        results_file([row("same"), row("same", success=False), row("same"), row("same #2")])
    )

    assert suite.outcomes == {
        "same": "pass",
        "same #2": "fail",
        "same #3": "pass",
        "same #2 #2": "pass",
    }


def test_a_blank_description_falls_back_to_the_variables_then_the_position():
    suite = promptfoo.parse_results(
        results_file([row("  ", vars_={"q": "hi"}), row(None, vars_=None)])
    )

    assert list(suite.outcomes) == ['{"q":"hi"}', "test 2"]


def test_several_providers_name_the_provider_too():
    rows = [row("t"), row("t", provider={"id": "openai:gpt-4o", "label": ""})]
    suite = promptfoo.parse_results(results_file(rows))

    assert list(suite.outcomes) == ["echo | t", "openai:gpt-4o | t"]


def test_keys_hold_no_nul_and_stay_bounded():
    long = "x" * 5000
    suite = promptfoo.parse_results(results_file([row("a\x00b"), row(long), row(long + "y")]))

    keys = list(suite.outcomes)
    assert keys[0] == "a\ufffdb"
    assert all(len(k) <= promptfoo.KEY_MAX for k in keys)
    assert keys[1] != keys[2]  # the digest keeps long keys apart


def test_an_error_row_without_failure_reason_is_an_error_and_a_graded_one_a_failure():
    graded = row("graded", success=False)
    del graded["failureReason"]
    ungraded = row("ungraded", success=False)
    del ungraded["failureReason"]
    del ungraded["gradingResult"]
    suite = promptfoo.parse_results(results_file([graded, ungraded], failures=1, errors=1))

    assert suite.outcomes == {"graded": "fail", "ungraded": "error"}


# --- malformed files ------------------------------------------------------------------------


def errors_of(data) -> dict:
    with pytest.raises(ResultsError) as raised:
        promptfoo.parse_results(data)
    return raised.value.errors


@pytest.mark.parametrize("data", [None, [], "results", 3, True])
def test_a_file_that_is_not_an_object_is_refused(data):
    assert list(errors_of(data)) == [""]


@pytest.mark.parametrize("inner", [None, [], "x", 1])
def test_results_must_be_an_object(inner):
    assert list(errors_of({"results": inner})) == ["results"]


def test_missing_stats_and_rows_are_each_named():
    errors = errors_of({"results": {}})

    assert set(errors) == {"results.stats", "results.results"}


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None, True, 10**12])
def test_a_count_that_is_not_a_whole_number_is_named(bad):
    data = load("regression")
    data["results"]["stats"]["failures"] = bad

    assert list(errors_of(data)) == ["results.stats.failures"]


def test_a_row_that_is_not_an_object_or_has_no_boolean_success_is_named():
    data = load("regression")
    data["results"]["results"][1] = "passed"
    data["results"]["results"][2]["success"] = "yes"

    assert set(errors_of(data)) == {"results.results.1", "results.results.2.success"}


def test_counts_that_disagree_with_the_rows_are_refused():
    data = load("regression")
    data["results"]["results"].pop()

    errors = errors_of(data)

    assert list(errors) == ["results.stats"]
    assert "4 tests" in errors["results.stats"]
    assert "holds 3" in errors["results.stats"]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists, max_leaves=8))
def test_any_json_value_is_parsed_or_refused_never_crashes(value):
    for data in (value, {"results": value}, {"results": {"stats": value, "results": value}}):
        try:
            promptfoo.parse_results(data)
            errors = None
        except ResultsError as error:
            errors = error.errors
        assert errors is None or errors


@given(st.lists(st.sampled_from(["pass", "fail", "error", "junk", 7, None]), max_size=8))
def test_any_row_list_is_parsed_or_refused(successes):
    rows = [
        row(f"t{i}", success=s == "pass") if isinstance(s, str) else s
        for i, s in enumerate(successes)
    ]
    try:
        suite = promptfoo.parse_results(results_file(rows))
        errors = None
    except ResultsError as error:
        suite, errors = None, error.errors
    if suite is None:
        assert errors  # a refusal names what is wrong
        assert not all(isinstance(r, dict) for r in rows)
    else:
        assert suite.total == len(rows)


# --- the delta ------------------------------------------------------------------------------


def test_the_delta_is_the_share_of_the_previous_tests_whose_outcome_changed():
    before = promptfoo.parse_results(load("regression")).outcomes
    after = promptfoo.parse_results(load("regression-changed")).outcomes

    assert promptfoo.outcome_delta(before, after) == 0.25
    assert promptfoo.changed_tests(before, after) == ["a flooded kitchen is routed to home"]
    assert promptfoo.outcome_delta(before, before) == 0


def test_a_test_missing_from_the_new_run_counts_as_changed_and_a_new_one_does_not():
    before = {"a": "pass", "b": "pass", "c": "fail", "d": "pass"}
    after = {"a": "pass", "b": "pass", "c": "fail", "e": "fail"}

    assert promptfoo.outcome_delta(before, after) == 0.25
    assert promptfoo.changed_tests(before, after) == ["d"]


def test_no_previous_tests_means_no_delta():
    assert promptfoo.outcome_delta({}, {"a": "pass"}) is None


@given(
    st.dictionaries(st.text(max_size=5), st.sampled_from(promptfoo.OUTCOMES), max_size=20),
    st.dictionaries(st.text(max_size=5), st.sampled_from(promptfoo.OUTCOMES), max_size=20),
)
def test_the_delta_is_a_fraction_zero_only_when_nothing_changed(before, after):
    delta = promptfoo.outcome_delta(before, after)

    if not before:
        assert delta is None
        return
    assert 0 <= delta <= 1
    assert (delta == 0) == all(after.get(k) == v for k, v in before.items())
    assert delta * len(before) == pytest.approx(len(promptfoo.changed_tests(before, after)))


def test_parsing_does_not_change_the_data():
    data = load("regression-two-prompts")
    kept = copy.deepcopy(data)

    promptfoo.parse_results(data)

    assert data == kept
