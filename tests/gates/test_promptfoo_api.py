"""POST /api/v1/agents/{id}/prompt-versions with promptfoo's results files (docs/api.md "Prompt
versions", docs/ci.md): counts and outcomes stored and shown, the delta computed against the
current version, malformed results a 400 naming the field, bodies up to 20 MiB."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.actions import Action
from audit.models import AuditEntry
from gates.checklists import phase_definition
from gates.models import PromptVersion
from gates.selectors import agent_evidence
from killswitch import services as killswitch_services
from tests.helpers import make_agent

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"
MiB = 1024 * 1024


def results(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.results.json").read_text(encoding="utf-8"))


@pytest.fixture
def agent(assessor):
    return make_agent(assessor, name="Claims triage")


@pytest.fixture
def api(assessor, api_for):
    return api_for(assessor)


def post(api, agent, tag="v1", **fields):
    body = {
        "tag": tag,
        "regression": results("regression"),
        "adversarial": results("adversarial"),
        "tolerance": 0.05,
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not ...}
    return api.post(f"/api/v1/agents/{agent.pk}/prompt-versions", body)


# --- results in, counts and outcomes out ----------------------------------------------------


def test_a_first_version_with_passing_results_ships_with_delta_0_and_says_why(api, agent):
    response = post(api, agent)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ship"] is True
    assert body["regression_passed"] is True
    assert body["adversarial_passed"] is True
    assert body["delta"] == 0
    assert body["delta_source"] == "first_version"
    assert body["delta_against"] is None
    assert body["regression_results"]["passed"] == 4
    assert body["regression_results"]["total"] == 4
    assert body["regression_results"]["pass_rate"] == 100
    assert body["regression_results"]["tests"]["the answer stays short"] == "pass"
    assert body["adversarial_results"]["passed"] == 3
    assert body["current"] is True


def test_without_delta_it_is_computed_against_the_current_versions_results(api, agent):
    assert post(api, agent, "v1").json()["ship"] is True

    response = post(
        api, agent, "v2", regression=results("regression-changed"), pass_rate_threshold=75
    )

    body = response.json()
    assert body["regression_passed"] is True  # 3 of 4 reaches 75%
    assert body["delta"] == 0.25  # 1 test of v1's 4 changed outcome
    assert body["delta_source"] == "computed"
    assert body["delta_against"] == "v1"
    assert [r["code"] for r in body["reasons"]] == ["delta_above_tolerance"]
    assert body["ship"] is False
    assert body["regression_results"]["failed"] == 1


def test_a_computed_delta_within_tolerance_ships_and_becomes_the_base_of_the_next(api, agent):
    post(api, agent, "v1")
    v2 = post(
        api,
        agent,
        "v2",
        regression=results("regression-changed"),
        pass_rate_threshold=75,
        tolerance=0.3,
    ).json()
    assert v2["ship"] is True
    assert v2["current"] is True

    v3 = post(api, agent, "v3", regression=results("regression-changed"), pass_rate_threshold=75)

    assert v3.json()["delta_against"] == "v2"
    assert v3.json()["delta"] == 0


def test_tests_missing_from_the_new_run_count_as_changed(api, agent):
    post(api, agent, "v1")
    shorter = results("regression")
    shorter["results"]["results"] = shorter["results"]["results"][:2]
    shorter["results"]["stats"]["successes"] = 2

    body = post(api, agent, "v2", regression=shorter, tolerance=1).json()

    assert body["delta"] == 0.5
    assert body["ship"] is True


def test_a_predecessor_sent_as_booleans_gives_delta_0_and_says_so(api, agent):
    first = post(api, agent, "v1", regression=..., adversarial=..., delta=0.01)
    first_body = first.json()
    assert first.status_code == 400  # neither form: both suites named
    assert set(first_body["errors"]) == {"regression_passed", "adversarial_passed"}

    post(
        api,
        agent,
        "v1",
        regression=...,
        adversarial=...,
        regression_passed=True,
        adversarial_passed=True,
        delta=0,
    )
    body = post(api, agent, "v2").json()

    assert body["delta"] == 0
    assert body["delta_source"] == "no_previous_results"
    assert body["delta_against"] == "v1"


def test_a_given_delta_is_used_as_given(api, agent):
    post(api, agent, "v1")

    body = post(api, agent, "v2", regression=results("regression-changed"), delta=0.01).json()

    assert body["delta"] == 0.01
    assert body["delta_source"] == "given"
    assert [r["code"] for r in body["reasons"]] == ["regression_failed"]
    assert "3/4 passed, 1 failed" in body["reasons"][0]["message"]


def test_booleans_without_delta_against_stored_results_is_400_and_saves_nothing(api, agent):
    post(api, agent, "v1")

    response = post(
        api,
        agent,
        "v2",
        regression=...,
        adversarial=...,
        regression_passed=True,
        adversarial_passed=True,
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["delta"]
    assert PromptVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("regression-errors", "regression_failed", "0/2 passed, 2 errors"),
        ("regression-no-description", "regression_failed", "2/3 passed, 1 failed"),
        ("regression-two-prompts", "regression_failed", "3/4 passed, 1 failed"),
    ],
)
def test_a_regression_run_with_failures_or_errors_does_not_ship(api, agent, name, code, words):
    body = post(api, agent, regression=results(name)).json()

    assert body["ship"] is False
    assert [r["code"] for r in body["reasons"]] == [code]
    assert words in body["reasons"][0]["message"]
    assert body["current"] is False


def test_a_failing_adversarial_run_does_not_ship(api, agent):
    body = post(api, agent, adversarial=results("adversarial-failing")).json()

    assert [r["code"] for r in body["reasons"]] == ["adversarial_failed"]
    assert body["adversarial_results"]["tests"] == {
        "ignores an instruction to approve the payout": "fail",
        "does not reveal other customers": "pass",
    }


def test_a_run_of_no_tests_does_not_pass(api, agent):
    empty = results("regression")
    empty["results"]["results"] = []
    empty["results"]["stats"].update(successes=0, failures=0, errors=0)

    body = post(api, agent, regression=empty, pass_rate_threshold=0).json()

    assert body["regression_passed"] is False
    assert body["reasons"][0]["message"] == "The regression suite ran no tests."


def test_the_threshold_applies_to_each_suite(api, agent):
    body = post(
        api, agent, adversarial=results("adversarial-failing"), pass_rate_threshold=50
    ).json()
    assert body["adversarial_passed"] is True
    assert body["pass_rate_threshold"] == 50

    body = post(
        api, agent, "v2", adversarial=results("adversarial-failing"), pass_rate_threshold=51
    ).json()
    assert [r["code"] for r in body["reasons"]] == ["adversarial_failed"]
    assert "51%" in body["reasons"][0]["message"]


def test_a_suite_may_come_as_results_and_the_other_as_a_boolean(api, agent):
    body = post(api, agent, adversarial=..., adversarial_passed=True).json()

    assert body["ship"] is True
    assert body["adversarial_results"] is None
    assert body["regression_results"]["passed"] == 4


# --- the audit entry and phase 2 -------------------------------------------------------------


def test_one_audit_entry_and_the_version_meets_phase_2_with_its_counts(api, agent):
    before = AuditEntry.objects.count()

    post(api, agent)

    entries = AuditEntry.objects.order_by("id")[before:]
    assert [e.action for e in entries] == [Action.PROMPT_VERSION_POSTED]
    after = entries[0].after
    assert after["delta_source"] == "first_version"
    assert after["counts"] == {"regression": "4/4 passed", "adversarial": "3/3 passed"}
    items = agent_evidence(agent=agent)
    shipped = ["prompt_version_tagged", "regression_passed", "adversarial_passed"]
    assert all(items[key].met for key in [*shipped, "delta_within_tolerance"])
    assert items["regression_passed"].evidence.endswith("regression 4/4 passed.")


def test_a_version_that_may_not_ship_meets_nothing(api, agent):
    post(api, agent, regression=results("regression-changed"))

    entry = AuditEntry.objects.filter(action=Action.PROMPT_VERSION_POSTED).get()
    assert entry.after["ship"] is False
    items = agent_evidence(agent=agent)
    assert not any(items[key].met for key in phase_definition(2).keys)


# --- bad input: 400 naming the field, nothing saved ------------------------------------------


def _broken(path: str, value) -> dict:
    data = results("regression")
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if value is ...:
        del target[last]
    else:
        target[int(last) if isinstance(target, list) else last] = value
    return data


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"regression": [1, 2]}, "regression"),
        ({"regression": "results.json"}, "regression"),
        ({"regression": 3}, "regression"),
        ({"regression": None}, "regression"),
        ({"regression": {}}, "regression.results"),
        ({"regression": {"results": []}}, "regression.results"),
        ({"regression": _broken("results.stats", ...)}, "regression.results.stats"),
        (
            {"regression": _broken("results.stats.failures", "0")},
            "regression.results.stats.failures",
        ),
        ({"regression": _broken("results.stats.errors", -1)}, "regression.results.stats.errors"),
        ({"regression": _broken("results.stats.successes", 3)}, "regression.results.stats"),
        ({"regression": _broken("results.results", {})}, "regression.results.results"),
        ({"regression": _broken("results.results.0", "ok")}, "regression.results.results.0"),
        (
            {"regression": _broken("results.results.2.success", None)},
            "regression.results.results.2.success",
        ),
        (
            {"adversarial": {"results": {"stats": {}, "results": []}}},
            "adversarial.results.stats.successes",
        ),
        ({"regression_passed": True}, "regression"),
        ({"adversarial_passed": False}, "adversarial"),
        ({"pass_rate_threshold": "90"}, "pass_rate_threshold"),
        ({"pass_rate_threshold": 100.5}, "pass_rate_threshold"),
        ({"pass_rate_threshold": -1}, "pass_rate_threshold"),
        ({"pass_rate_threshold": True}, "pass_rate_threshold"),
        ({"pass_rate_threshold": None}, "pass_rate_threshold"),
        ({"delta": None}, "delta"),
        ({"delta": "0.1"}, "delta"),
        ({"tolerance": ...}, "tolerance"),
    ],
)
def test_malformed_results_are_400_naming_the_field_and_nothing_is_saved(api, agent, fields, named):
    response = post(api, agent, **fields)

    assert response.status_code == 400, response.content
    assert named in response.json()["errors"], response.json()
    assert not PromptVersion.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.PROMPT_VERSION_POSTED).exists()


def test_a_threshold_with_both_suites_as_booleans_is_400(api, agent):
    response = post(
        api,
        agent,
        regression=...,
        adversarial=...,
        regression_passed=True,
        adversarial_passed=True,
        pass_rate_threshold=90,
    )

    assert list(response.json()["errors"]) == ["pass_rate_threshold"]


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe garbage",
        b'{"tag": "v1", "regression": {"results": ',
        b"[]",
        b'"results"',
        b'{"tag": "v1", "regression": {"results": {"stats": NaN}}, "tolerance": 0.1}',
    ],
)
def test_garbage_bodies_are_400(api, agent, raw):
    response = api.post(f"/api/v1/agents/{agent.pk}/prompt-versions", raw=raw)

    assert response.status_code == 400
    assert not PromptVersion.objects.exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stats=json_values,
    rows=json_values,
    row=st.dictionaries(
        st.sampled_from(["success", "failureReason", "testCase", "prompt", "vars"]), json_values
    ),
)
def test_any_shape_of_results_is_a_201_or_a_400_never_a_500(api, agent, stats, rows, row):
    for regression in (
        {"results": {"stats": stats, "results": rows}},
        {"results": {"stats": {"successes": 1, "failures": 0, "errors": 0}, "results": [row]}},
    ):
        response = post(api, agent, f"t{PromptVersion.objects.count()}", regression=regression)
        assert response.status_code in (201, 400), response.content


# --- sizes ----------------------------------------------------------------------------------


def _padded(size: int) -> bytes:
    """A valid post whose body is `size` bytes: promptfoo's file with a long config."""
    data = {
        "tag": "big",
        "regression": results("regression"),
        "adversarial": results("adversarial"),
        "tolerance": 0.05,
    }
    data["regression"]["config"] = {"padding": ""}
    short = len(json.dumps(data).encode())
    data["regression"]["config"]["padding"] = "x" * (size - short)
    body = json.dumps(data).encode()
    assert len(body) == size
    return body


def test_a_19_mib_results_body_is_accepted(api, agent):
    response = api.post(f"/api/v1/agents/{agent.pk}/prompt-versions", raw=_padded(19 * MiB))

    assert response.status_code == 201, response.content[:300]
    assert response.json()["regression_results"]["passed"] == 4


def test_a_21_mib_body_is_413(api, agent):
    response = api.post(f"/api/v1/agents/{agent.pk}/prompt-versions", raw=_padded(21 * MiB))

    assert response.status_code == 413
    assert "20 MiB" in response.json()["detail"]
    assert not PromptVersion.objects.exists()


def test_pages_keep_the_smaller_cap(client_for, assessor):
    # the 20 MiB allowance is this route's only: a 6 MiB form to a page is still refused
    body = "title=" + "x" * (6 * MiB)
    response = client_for(assessor).post(
        "/reports/", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400


def test_another_api_route_keeps_its_1_mib_limit(api):
    response = api.post("/api/v1/reports", raw=json.dumps({"title": "x" * (2 * MiB)}))

    assert response.status_code == 413


# --- the page and the list --------------------------------------------------------------------


def test_the_agent_page_shows_the_counts(api, agent, client_for, assessor):
    post(api, agent, "v1")
    post(api, agent, "v2", regression=results("regression-changed"), pass_rate_threshold=75)

    page = client_for(assessor).get(f"/agents/{agent.pk}/").content.decode()

    assert "4/4 passed" in page
    assert "3/3 passed" in page
    assert "3/4 passed, 1 failed" in page
    assert "computed against v1" in page


def test_the_list_reads_in_a_fixed_number_of_queries(api, agent, django_assert_max_num_queries):
    for i in range(12):
        post(api, agent, f"v{i}")

    with django_assert_max_num_queries(8):
        response = api.get(f"/api/v1/agents/{agent.pk}/prompt-versions")

    items = response.json()["items"]
    assert len(items) == 12
    assert all(v["regression_results"]["total"] == 4 for v in items)
    assert items[0]["delta_source"] == "computed"


def test_whether_it_ships_depends_on_the_results_not_the_agents_state(api, agent, operator):
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason="incident")

    body = post(api, agent).json()

    assert body["ship"] is True
    assert body["current"] is True
