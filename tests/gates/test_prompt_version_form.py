"""A prompt version recorded in the browser (issue 17, point 11): the API's deployment gate as a
form for teams without CI. The same service and data shape as POST /api/v1/.../prompt-versions,
so the answer (ship or not, and the reasons) is the API's; bad input is a form error naming the
field and records nothing; only assessors post; another organization's agent is a 404."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.actions import Action
from audit.models import AuditEntry
from gates.checklists import phase_definition
from gates.models import PromptVersion
from gates.selectors import agent_evidence
from tests.helpers import make_agent

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"
MiB = 1024 * 1024


def results(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.results.json").read_text(encoding="utf-8"))


def upload(data, name="results.json") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def padded(name: str, size: int) -> bytes:
    """promptfoo's file, `size` bytes long: its config carries padding (which is not read)."""
    data = results(name)
    data["config"] = {"padding": ""}
    short = len(json.dumps(data).encode())
    data["config"]["padding"] = "x" * (size - short)
    raw = json.dumps(data).encode()
    assert len(raw) == size
    return raw


@pytest.fixture
def agent(assessor):
    return make_agent(assessor, name="Claims triage")


@pytest.fixture
def client(assessor, client_for):
    return client_for(assessor)


def new_url(agent) -> str:
    return f"/agents/{agent.pk}/prompt-versions/new/"


def form_data(tag="v1", **fields) -> dict:
    """Both suites passed as booleans unless the fields say otherwise."""
    data = {
        "tag": tag,
        "regression": "passed",
        "adversarial": "passed",
        "tolerance": "0.05",
        "rollback_target": "",
        "delta": "",
        "pass_rate_threshold": "",
        **fields,
    }
    return {k: v for k, v in data.items() if v is not None}


def with_files(tag="v1", regression="regression", adversarial="adversarial", **fields) -> dict:
    return form_data(
        tag,
        regression="results",
        adversarial="results",
        regression_file=upload(results(regression)),
        adversarial_file=upload(results(adversarial)),
        **fields,
    )


def post(client, agent, data):
    return client.post(new_url(agent), data)


def errors_of(response) -> dict:
    return response.context["form"].errors


# --- who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "approver", "operator", "admin"])
def test_only_an_assessor_records_a_prompt_version(role, org, make_member, client_for, agent):
    member = make_member(org, role, username=f"{role}-x")
    client = client_for(member)

    assert client.get(new_url(agent)).status_code == 403
    assert post(client, agent, form_data()).status_code == 403
    assert not PromptVersion.objects.exists()


def test_an_assessor_sees_the_form_with_the_default_tolerance(client, agent):
    response = client.get(new_url(agent))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="tolerance" value="0.05"' in page
    assert "none yet" in page  # no current version


def test_the_agent_page_links_the_form_for_assessors_only(client, agent, viewer, client_for):
    assert new_url(agent) in client.get(f"/agents/{agent.pk}/").content.decode()
    assert new_url(agent) not in client_for(viewer).get(f"/agents/{agent.pk}/").content.decode()


# --- passing and failing versions ---------------------------------------------------------------


def test_a_passing_version_ships_becomes_current_and_the_page_says_so(client, agent):
    response = post(client, agent, form_data("v1", rollback_target="v0"))

    version = PromptVersion.objects.get()
    assert response.status_code == 302
    assert response.url == f"/agents/{agent.pk}/prompt-versions/{version.pk}/"
    assert version.ship is True
    assert version.delta_source == "first_version"
    assert version.rollback_target == "v0"
    agent.refresh_from_db()
    assert agent.current_prompt == version
    items = agent_evidence(agent=agent)
    assert all(items[key].met for key in phase_definition(2).keys)
    entries = AuditEntry.objects.filter(action=Action.PROMPT_VERSION_POSTED)
    assert entries.count() == 1
    assert entries.get().after["ship"] is True

    page = client.get(response.url).content.decode()
    assert "May ship" in page
    assert "it is now the current version" in page


def test_a_failing_version_is_recorded_with_the_apis_reasons_and_changes_nothing(client, agent):
    post(client, agent, form_data("v1"))

    response = post(client, agent, form_data("v2", adversarial="failed", delta="0.2"))

    version = PromptVersion.objects.get(tag="v2")
    assert version.ship is False
    assert [r["code"] for r in version.reasons] == ["adversarial_failed", "delta_above_tolerance"]
    agent.refresh_from_db()
    assert agent.current_prompt.tag == "v1"
    page = client.get(response.url).content.decode()
    assert "May not ship" in page
    assert "0.2 / 0.05" in page
    for reason in version.reasons:
        assert reason["message"] in page


def test_the_form_and_the_api_give_the_same_answer_for_the_same_files(
    client, agent, assessor, api_for
):
    twin = make_agent(assessor, name="Claims twin")
    api = api_for(assessor)
    for tag, regression in (("v1", "regression"), ("v2", "regression-changed")):
        post(client, agent, with_files(tag, regression, pass_rate_threshold="75"))
        answer = api.post(
            f"/api/v1/agents/{twin.pk}/prompt-versions",
            {
                "tag": tag,
                "regression": results(regression),
                "adversarial": results("adversarial"),
                "tolerance": 0.05,
                "pass_rate_threshold": 75,
            },
        ).json()
        mine = PromptVersion.objects.get(agent=agent, tag=tag)
        assert mine.ship is answer["ship"]
        assert mine.reasons == answer["reasons"]
        assert mine.delta == answer["delta"]
        assert mine.delta_source == answer["delta_source"]

    v2 = PromptVersion.objects.get(agent=agent, tag="v2")
    assert v2.delta == 0.25  # computed against v1's stored results, as the API does
    assert v2.delta_against == "v1"
    assert [r["code"] for r in v2.reasons] == ["delta_above_tolerance"]


# --- promptfoo results files --------------------------------------------------------------------


def test_promptfoo_results_files_are_read_counted_and_shown(client, agent):
    response = post(client, agent, with_files())

    version = PromptVersion.objects.get()
    assert version.ship is True
    assert version.regression_results["passed"] == 4
    assert version.adversarial_results["passed"] == 3
    page = client.get(response.url).content.decode()
    assert "4/4 passed" in page
    assert "3/3 passed" in page


def test_a_failing_adversarial_results_file_does_not_ship(client, agent):
    response = post(client, agent, with_files(adversarial="adversarial-failing"))

    version = PromptVersion.objects.get()
    assert version.ship is False
    assert [r["code"] for r in version.reasons] == ["adversarial_failed"]
    assert "1 failed" in client.get(response.url).content.decode()


def test_one_suite_as_a_file_and_the_other_as_a_choice(client, agent):
    data = form_data(regression="results", regression_file=upload(results("regression")))

    assert post(client, agent, data).status_code == 302
    version = PromptVersion.objects.get()
    assert version.regression_results["passed"] == 4
    assert version.adversarial_results is None
    assert version.ship is True


def test_a_6_mib_results_file_is_accepted(client, agent):
    data = with_files()
    data["regression_file"] = upload(padded("regression", 6 * MiB))

    response = post(client, agent, data)

    assert response.status_code == 302, errors_of(response)
    assert PromptVersion.objects.get().regression_results["passed"] == 4


def test_a_21_mib_results_file_is_refused_with_a_form_error(client, agent):
    data = with_files()
    data["regression_file"] = upload(padded("regression", 21 * MiB))

    response = post(client, agent, data)

    assert response.status_code == 400
    assert "at most 20 MiB" in errors_of(response)["regression_file"][0]
    assert not PromptVersion.objects.exists()


# --- bad input: a form error naming the field, nothing saved ------------------------------------


def test_a_file_that_is_not_json_names_its_field(client, agent):
    data = with_files()
    data["adversarial_file"] = upload(b"passed: yes\n", name="results.yaml")

    response = post(client, agent, data)

    assert response.status_code == 400
    assert "not JSON" in errors_of(response)["adversarial_file"][0]
    assert "Nothing was recorded" in response.content.decode()
    assert not PromptVersion.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.PROMPT_VERSION_POSTED).exists()


@pytest.mark.parametrize(
    ("content", "path"),
    [
        ({"results": {}}, "results.stats"),
        ([1, 2, 3], "promptfoo eval -o results.json"),
        ({"results": {"stats": {"successes": -1, "failures": 0, "errors": 0}, "results": []}},
         "results.stats.successes"),
    ],
)  # fmt: skip
def test_json_of_the_wrong_shape_names_the_field_and_the_place(client, agent, content, path):
    data = with_files()
    data["regression_file"] = upload(content)

    response = post(client, agent, data)

    assert response.status_code == 400
    assert any(path in message for message in errors_of(response)["regression_file"])
    assert not PromptVersion.objects.exists()


def test_deeply_nested_json_is_a_form_error_not_a_crash(client, agent):
    data = with_files()
    data["regression_file"] = upload(b"[" * 200_000 + b"]" * 200_000)

    response = post(client, agent, data)

    assert response.status_code == 400
    assert "regression_file" in errors_of(response)
    assert not PromptVersion.objects.exists()


def test_choosing_the_file_without_one_or_a_file_with_a_choice_is_refused(client, agent):
    data = form_data(
        regression="results",
        adversarial="passed",
        adversarial_file=upload(results("adversarial")),
    )

    response = post(client, agent, data)

    assert response.status_code == 400
    assert "results.json" in errors_of(response)["regression_file"][0]
    assert "remove the file" in errors_of(response)["adversarial_file"][0]
    assert not PromptVersion.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"tag": ""}, "tag", "tag"),
        ({"tag": "x" * 101}, "tag", "100"),
        ({"tolerance": ""}, "tolerance", "required"),
        ({"tolerance": "-0.1"}, "tolerance", ""),
        ({"tolerance": "lots"}, "tolerance", "number"),
        ({"delta": "-1"}, "delta", ""),
        ({"delta": "nan"}, "delta", "number"),
        ({"pass_rate_threshold": "75"}, "pass_rate_threshold", "results"),  # both booleans
        ({"regression": "maybe"}, "regression", ""),
    ],
)
def test_bad_values_name_their_field_and_record_nothing(client, agent, fields, field, words):
    response = post(client, agent, form_data(**fields))

    assert response.status_code == 400
    assert field in errors_of(response), errors_of(response)
    assert words in " ".join(errors_of(response)[field])
    assert not PromptVersion.objects.exists()


def test_a_pass_rate_threshold_above_100_is_the_services_error_on_its_field(client, agent):
    response = post(client, agent, with_files(pass_rate_threshold="101"))

    assert response.status_code == 400
    assert "percentage from 0 to 100" in errors_of(response)["pass_rate_threshold"][0]
    assert not PromptVersion.objects.exists()


def test_a_tag_the_agent_already_has_is_refused_on_the_tag(client, agent):
    post(client, agent, form_data("v1"))

    response = post(client, agent, form_data("v1", adversarial="failed"))

    assert response.status_code == 409
    assert "already has a prompt version" in errors_of(response)["tag"][0]
    assert PromptVersion.objects.count() == 1


# --- tenancy ------------------------------------------------------------------------------------


@pytest.fixture
def theirs(other_assessor):
    return make_agent(other_assessor, name="Theirs", owner="gus")


def test_another_organizations_agent_is_a_404(client, viewer, client_for, theirs, other_assessor):
    for member_client in (client, client_for(viewer)):
        assert member_client.get(new_url(theirs)).status_code == 404
        assert post(member_client, theirs, form_data()).status_code == 404
    assert not PromptVersion.objects.exists()

    post(client_for(other_assessor), theirs, form_data("v1"))
    version = PromptVersion.objects.get()
    assert client.get(f"/agents/{theirs.pk}/prompt-versions/{version.pk}/").status_code == 404


def test_a_version_is_read_only_under_its_own_agent(client, agent, assessor, viewer, client_for):
    other = make_agent(assessor, name="Other bot")
    post(client, agent, form_data("v1"))
    version = PromptVersion.objects.get()

    assert client.get(f"/agents/{other.pk}/prompt-versions/{version.pk}/").status_code == 404
    assert client.get(f"/agents/{agent.pk}/prompt-versions/999999/").status_code == 404
    # every member reads the answer
    page = client_for(viewer).get(f"/agents/{agent.pk}/prompt-versions/{version.pk}/")
    assert page.status_code == 200
    assert "Record another version" not in page.content.decode()


# --- in a real browser --------------------------------------------------------------------------

PASSWORD = "prompt-form-7731"


@pytest.mark.browser
def test_an_assessor_uploads_results_in_chromium_and_reads_the_answer(
    live_server, page, transactional_db, org, make_member, tmp_path
):
    from playwright.sync_api import expect

    sam = make_member(org, "assessor", username="sam")
    sam.user.set_password(PASSWORD)
    sam.user.save()
    agent = make_agent(sam, name="Claims triage")
    good = tmp_path / "results.json"
    good.write_text(json.dumps(results("regression")))
    failing = tmp_path / "adversarial.json"
    failing.write_text(json.dumps(results("adversarial-failing")))

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "sam")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/agents/{agent.pk}/")
    page.get_by_role("link", name="Record a prompt version").click()
    page.fill("input[name=tag]", "v1")
    page.set_input_files("input[name=regression_file]", str(good))
    page.set_input_files("input[name=adversarial_file]", str(failing))
    page.screenshot(path="/tmp/prompt-version-form.png", full_page=True)
    page.get_by_role("button", name="Record prompt version").click()

    expect(page.locator("#ship-answer")).to_contain_text("May not ship")
    expect(page.locator("#ship-answer")).to_contain_text("adversarial suite did not pass")
    page.screenshot(path="/tmp/prompt-version-answer.png", full_page=True)
    version = PromptVersion.objects.get()
    assert version.regression_results["passed"] == 4
    assert version.ship is False
