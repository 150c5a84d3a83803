"""A prompt version's one definition (gates/inputs.py PromptVersionInput, docs/adr/0009): its
fields at their bounds, each suite as a boolean or as promptfoo's results (decoded by
gates/promptfoo.py, every bad place named), and every refusal at once, in the words the
service always used. No database: the stored-state rules (a new tag, the delta against the
current version) are the service's (tests/gates/test_services.py)."""

import json
from pathlib import Path

import pytest

from core.errors import InvalidInput
from core.inputs import parse
from gates.inputs import PromptVersionInput
from gates.promptfoo import SuiteResults

LONG = "Keep it to 100 characters or fewer."
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"


def results(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.results.json").read_text(encoding="utf-8"))


def body(**fields) -> dict:
    data = {"tag": "v1", "regression_passed": True, "adversarial_passed": True, "tolerance": 0.05}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not ...}


def refused(data) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        parse(PromptVersionInput, data, what="the prompt version's fields")
    return error.value.errors


def test_a_version_with_both_suites_as_booleans_is_taken():
    given = parse(PromptVersionInput, body(regression_passed=False), what="a version")

    assert given.tag == "v1"
    assert given.suites() == {"regression": False, "adversarial": True}
    assert given.delta is None
    assert given.tolerance == 0.05
    assert given.rollback_target == ""


def test_results_are_decoded_by_promptfoo_and_kept_as_the_suite():
    data = body(regression_passed=..., regression=results("regression"), pass_rate_threshold=75)

    given = parse(PromptVersionInput, data, what="a version")

    suite = given.suites()["regression"]
    assert isinstance(suite, SuiteResults)
    assert (suite.passed, suite.total) == (4, 4)
    assert given.pass_rate_threshold == 75.0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"tag": ""}, {"tag": ["This field is required."]}),
        ({"tag": None}, {"tag": ["This field is required."]}),
        ({"tag": "x" * 101}, {"tag": [LONG]}),
        ({"tag": 7}, {"tag": ["Must be text."]}),
        ({"tag": ...}, {"tag": ["This field is required."]}),
        ({"rollback_target": "x" * 101}, {"rollback_target": [LONG]}),
        ({"tolerance": ...}, {"tolerance": ["This field is required."]}),
        ({"tolerance": None}, {"tolerance": ["Must be a number."]}),
        ({"tolerance": -0.01}, {"tolerance": ["Must not be negative."]}),
        ({"delta": "0.1"}, {"delta": ["Must be a number."]}),
        ({"delta": True}, {"delta": ["Must be a number."]}),
        ({"delta": float("inf")}, {"delta": ["Must be a finite number."]}),
        ({"delta": 10**12 + 1}, {"delta": ["Must be at most 10^12."]}),
        ({"regression_passed": "true"}, {"regression_passed": ["Must be true or false."]}),
        ({"adversarial_passed": None}, {"adversarial_passed": ["Must be true or false."]}),
    ],
)  # fmt: skip
def test_each_field_refuses_in_the_services_words(fields, expected):
    assert refused(body(**fields)) == expected


@pytest.mark.parametrize("tag", ["x", "x" * 100, "  v8  "])
def test_a_tag_of_1_to_100_characters_is_taken_stripped(tag):
    assert parse(PromptVersionInput, body(tag=tag), what="a version").tag == tag.strip()


@pytest.mark.parametrize("value", [0, 10**12, 0.0])
def test_delta_and_tolerance_take_0_to_10_to_the_12(value):
    given = parse(PromptVersionInput, body(delta=value, tolerance=value), what="a version")

    assert given.delta == given.tolerance == float(value)


@pytest.mark.parametrize("value", [0, 100, 62.5])
def test_a_pass_rate_threshold_takes_0_to_100(value):
    data = body(regression_passed=..., regression=results("regression"), pass_rate_threshold=value)

    assert parse(PromptVersionInput, data, what="a version").pass_rate_threshold == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (100.5, "Must be a percentage from 0 to 100."),
        (-1, "Must be a percentage from 0 to 100."),
        ("90", "Must be a number: a percentage from 0 to 100."),
        (None, "Must be a number: a percentage from 0 to 100."),
    ],
)
def test_a_pass_rate_threshold_outside_0_to_100_is_refused(value, message):
    data = body(regression_passed=..., regression=results("regression"), pass_rate_threshold=value)

    assert refused(data) == {"pass_rate_threshold": [message]}


def test_a_pass_rate_threshold_with_both_suites_as_booleans_is_refused():
    assert refused(body(pass_rate_threshold=90)) == {
        "pass_rate_threshold": [
            "Applies to promptfoo's results: send regression or adversarial as results."
        ]
    }


def test_a_suite_sent_both_ways_is_refused_on_its_results():
    data = body(regression=results("regression"))

    assert refused(data) == {
        "regression": ["Send regression_passed or regression (promptfoo's results), not both."]
    }


def test_a_missing_suite_and_tolerance_are_each_named_at_once():
    assert refused({"tag": "v1"}) == {
        "regression_passed": [
            "Send regression_passed (true or false) or regression (promptfoo's results JSON)."
        ],
        "adversarial_passed": [
            "Send adversarial_passed (true or false) or adversarial (promptfoo's results JSON)."
        ],
        "tolerance": ["This field is required."],
    }


def test_every_bad_place_inside_a_results_file_is_named_beside_the_other_fields():
    broken = {"results": {"stats": {"successes": -1, "failures": 0}, "results": []}}
    data = body(tag="", regression_passed=..., regression=broken, delta=-1)

    assert refused(data) == {
        "tag": ["This field is required."],
        "regression.results.stats.successes": [
            "Must be a whole number from 0 (promptfoo's count)."
        ],
        "regression.results.stats.errors": ["Must be a whole number from 0 (promptfoo's count)."],
        "delta": ["Must not be negative."],
    }


def test_results_that_are_not_an_object_are_refused_on_the_suite():
    data = body(adversarial_passed=..., adversarial=[1, 2])

    assert refused(data) == {
        "adversarial": ["Send the JSON object that promptfoo eval -o results.json writes."]
    }


def test_invisible_text_in_the_tag_is_refused():
    assert "tag" in refused(body(tag="\u200b\u200b"))


def test_what_is_not_an_object_is_refused_as_a_whole():
    assert refused(["v1"]) == {"__all__": ["Send an object of the prompt version's fields."]}
