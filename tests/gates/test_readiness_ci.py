"""`readiness-ci prompt-version` run as a subprocess against a live server (docs/ci.md): exit 0
when the version may ship, 1 when it may not, 2 on a usage, network or server error and on a
400 or 409. And /ci/readiness-ci.py serves exactly the installed command's file."""

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import readiness_ci
from accounts.services import token_create
from gates.models import PromptVersion
from tests.helpers import make_agent
from tests.live import free_port

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"
TIMEOUT = 60


def command() -> list[str]:
    """The console script installed with the project (pip install -e .)."""
    script = shutil.which("readiness-ci", path=str(Path(sys.executable).parent))
    if script is None:
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail("the readiness-ci console script is not installed (pip install -e .)")
        pytest.skip("the readiness-ci console script is not installed")
    return [script]


@pytest.fixture
def site(live_server, assessor):
    agent = make_agent(assessor, name="Claims triage")
    _, token = token_create(membership=assessor)
    return {"url": live_server.url, "token": token, "agent": str(agent.pk)}


def run(site, *args, program=None, env=None) -> subprocess.CompletedProcess:
    base = ["prompt-version", "--url", site["url"], "--agent", site["agent"]]
    if site["token"] is not None:
        base += ["--token", site["token"]]
    return subprocess.run(
        [*(program or command()), *base, *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.results.json")


def test_a_version_that_may_ship_exits_0(site):
    done = run(
        site,
        "--tag", "v1",
        "--regression", fixture("regression"),
        "--adversarial", fixture("adversarial"),
        "--rollback-target", "v0",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "Prompt version v1: may ship." in done.stdout
    assert "regression: passed (4/4 passed)" in done.stdout
    assert "first version" in done.stdout
    version = PromptVersion.objects.get(tag="v1")
    assert version.ship
    assert version.regression_results["passed"] == 4


def test_a_version_that_may_not_ship_exits_1_with_its_reasons(site):
    first = run(
        site, "--tag", "v1", "--regression", fixture("regression"),
        "--adversarial", fixture("adversarial"),
    )  # fmt: skip
    assert first.returncode == 0, first.stderr

    done = run(
        site, "--tag", "v2", "--regression", fixture("regression-changed"),
        "--adversarial", fixture("adversarial"), "--pass-rate-threshold", "75",
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "may NOT ship" in done.stdout
    assert "computed against v1" in done.stdout
    assert "delta_above_tolerance" in done.stdout
    assert PromptVersion.objects.get(tag="v2").delta == 0.25


def test_without_an_adversarial_file_the_version_does_not_ship(site):
    done = run(site, "--tag", "v1", "--regression", fixture("regression"))

    assert done.returncode == 1
    assert "adversarial_failed" in done.stdout


def test_a_400_exits_2_printing_the_field(site, tmp_path):
    broken = tmp_path / "results.json"
    broken.write_text('{"results": {"stats": {"successes": "4"}, "results": []}}')

    done = run(site, "--tag", "v1", "--regression", str(broken))

    assert done.returncode == 2
    assert "(400)" in done.stderr
    assert "regression.results.stats.successes" in done.stderr
    assert not PromptVersion.objects.exists()


def test_a_duplicate_tag_409_exits_2(site):
    args = ["--tag", "v1", "--regression", fixture("regression"), "--delta", "0"]
    assert run(site, *args).returncode == 1  # no adversarial: recorded, does not ship

    done = run(site, *args)

    assert done.returncode == 2
    assert "(409)" in done.stderr
    assert "duplicate_tag" in done.stderr


def test_a_bad_token_exits_2(site):
    done = run({**site, "token": "rdy_wrong"}, "--tag", "v1", "--regression", fixture("regression"))

    assert done.returncode == 2
    assert "(401)" in done.stderr


def test_a_server_that_does_not_answer_exits_2(site):
    nowhere = {**site, "url": f"http://127.0.0.1:{free_port()}"}

    done = run(nowhere, "--tag", "v1", "--regression", fixture("regression"))

    assert done.returncode == 2
    assert "Cannot reach" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],  # no --tag, no --regression
        ["--tag", "v1"],
        ["--tag", "v1", "--regression", fixture("regression"), "--tolerance", "lots"],
        ["--tag", "v1", "--regression", fixture("regression"), "--delta", "-1"],
    ],
)
def test_a_usage_error_exits_2(site, args):
    done = run(site, *args)

    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert not PromptVersion.objects.exists()


def test_a_missing_or_unreadable_results_file_exits_2(site, tmp_path):
    not_json = tmp_path / "results.json"
    not_json.write_text("promptfoo crashed")

    missing = run(site, "--tag", "v1", "--regression", str(tmp_path / "absent.json"))
    garbage = run(site, "--tag", "v1", "--regression", str(not_json))

    assert (missing.returncode, garbage.returncode) == (2, 2)
    assert "Cannot read" in missing.stderr
    assert "not JSON" in garbage.stderr


def test_a_url_that_is_not_http_exits_2(site):
    done = run({**site, "url": "file:///etc"}, "--tag", "v1", "--regression", fixture("regression"))

    assert done.returncode == 2
    assert "http or https" in done.stderr


def test_the_token_may_come_from_the_environment(site):
    done = run(
        {**site, "token": None},
        "--tag", "v1", "--regression", fixture("regression"),
        "--adversarial", fixture("adversarial"),
        env={"READINESS_TOKEN": site["token"]},
    )  # fmt: skip

    assert done.returncode == 0, done.stderr


def test_no_token_at_all_exits_2(site):
    env = {k: v for k, v in os.environ.items() if k != "READINESS_TOKEN"}
    done = subprocess.run(
        [*command(), "prompt-version", "--url", site["url"], "--agent", site["agent"],
         "--tag", "v1", "--regression", fixture("regression")],
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )  # fmt: skip

    assert done.returncode == 2
    assert "--token" in done.stderr


# --- the served file --------------------------------------------------------------------------


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return response.headers, response.read()


def test_the_served_file_is_the_installed_module_byte_for_byte(live_server):
    headers, body = fetch(f"{live_server.url}/ci/readiness-ci.py")

    assert body == Path(readiness_ci.__file__).read_bytes()
    assert headers["Content-Type"].startswith("text/x-python")


def test_the_served_file_runs_on_its_own(site, tmp_path):
    _, body = fetch(f"{site['url']}/ci/readiness-ci.py")
    script = tmp_path / "readiness-ci.py"
    script.write_bytes(body)

    done = run(
        site,
        "--tag", "v1", "--regression", fixture("regression"),
        "--adversarial", fixture("adversarial"),
        program=[sys.executable, "-I", str(script)],  # -I: nothing of the project on the path
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "may ship" in done.stdout


def test_the_command_uses_the_standard_library_only():
    import ast

    tree = ast.parse(Path(readiness_ci.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }

    assert imported <= set(sys.stdlib_module_names)
