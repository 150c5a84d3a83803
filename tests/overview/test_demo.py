"""seed_demo's agents show every stage out of the box, and a second run changes nothing."""

import pytest
from django.core.management import call_command

from agents.models import Agent
from audit.services import audit_verify
from gates import rules
from gates.selectors import agent_list, gate_states
from killswitch.models import Suspension
from outcomes.models import MetricSnapshot

pytestmark = pytest.mark.django_db


def test_seed_demo_has_agents_at_every_stage(capsys):
    call_command("seed_demo")
    agents = {a.name: a for a in agent_list(organization=Agent.objects.first().organization)}
    phases = {name: rules.agent_phase(gate_states(a)) for name, a in agents.items()}
    assert phases["Refund triage"] == "production"
    assert agents["Refund triage"].horizon == "stabilization"
    assert agents["Claims intake"].state == "suspended"
    assert Suspension.objects.get(agent=agents["Claims intake"]).kind == "automatic"
    assert "needs_review" in gate_states(agents["Sales email drafter"]).values()
    assert gate_states(agents["HR policy assistant"])[1] == "no_go"
    assert agents["Invoice matcher"].last_drill_at is None  # never drilled
    assert agents["Refund triage"].last_drill_at is not None
    assert MetricSnapshot.objects.filter(agent=agents["Refund triage"]).count() == 6
    assert audit_verify() == []

    counts = (Agent.objects.count(), MetricSnapshot.objects.count(), Suspension.objects.count())
    call_command("seed_demo")
    assert (
        Agent.objects.count(),
        MetricSnapshot.objects.count(),
        Suspension.objects.count(),
    ) == counts
    assert "nothing changed" in capsys.readouterr().out


# --- published or random demo passwords ------------------------------------------------------


@pytest.mark.parametrize(
    ("fixed", "host", "allowed"),
    [
        (True, "127.0.0.1", True),
        (True, "127.0.0.2", True),
        (True, "localhost", True),
        (True, "::1", True),
        (True, "[::1]", True),
        (True, "0.0.0.0", False),  # every interface: reachable from the network
        (True, "192.168.1.20", False),
        (True, "demo.example.com", False),
        (False, "127.0.0.1", False),  # the production settings never publish them
    ],
)
def test_the_published_passwords_only_for_dev_settings_on_loopback(fixed, host, allowed):
    from overview.management.commands.seed_demo import published_passwords_allowed

    assert published_passwords_allowed(fixed_setting=fixed, host=host) is allowed


def _login_works(username, password):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).check_password(password)


def test_on_loopback_the_readme_logins_work_and_a_changed_password_is_kept(
    monkeypatch, capsys, settings, tmp_path
):
    settings.DEMO_LOGINS_FILE = tmp_path / "demo-logins.txt"
    monkeypatch.setenv("HOST", "127.0.0.1")
    call_command("seed_demo")
    assert _login_works("cto", "demo-cto")
    assert "cto       /  demo-cto" in settings.DEMO_LOGINS_FILE.read_text()

    # when someone changes their password and seed_demo runs again
    from django.contrib.auth import get_user_model

    cto = get_user_model().objects.get(username="cto")
    cto.set_password("my-own-passphrase")
    cto.save()
    call_command("seed_demo")

    # then their password stays theirs, and the logins say it changed
    assert _login_works("cto", "my-own-passphrase")
    assert "(changed by its user)" in capsys.readouterr().out


def test_off_loopback_demo_users_get_random_passwords_kept_in_the_logins_file(
    monkeypatch, capsys, settings, tmp_path
):
    settings.DEMO_LOGINS_FILE = tmp_path / "demo-logins.txt"
    # given a demo seeded on loopback, with the published passwords
    monkeypatch.setenv("HOST", "127.0.0.1")
    call_command("seed_demo")
    capsys.readouterr()

    # when seed_demo runs for a server on every interface
    monkeypatch.setenv("HOST", "0.0.0.0")
    call_command("seed_demo")
    out = capsys.readouterr().out

    # then no published password works any more; the random ones are printed and kept
    assert not _login_works("admin", "demo-admin")
    assert "demo-admin" not in out
    line = next(line for line in out.splitlines() if line.strip().startswith("admin "))
    password = line.split("/")[1].split()[0]
    assert _login_works("admin", password)
    assert line in settings.DEMO_LOGINS_FILE.read_text()

    # and a third run changes no password and says where they are
    call_command("seed_demo")
    assert _login_works("admin", password)
    assert "set by an earlier run" in capsys.readouterr().out


def test_the_production_settings_never_set_a_published_password(
    monkeypatch, capsys, settings, tmp_path
):
    settings.DEMO_PUBLISHED_PASSWORDS = False
    settings.DEMO_LOGINS_FILE = tmp_path / "demo-logins.txt"
    monkeypatch.setenv("HOST", "127.0.0.1")

    call_command("seed_demo")

    assert not _login_works("viewer", "demo-viewer")
    assert "random passwords" in capsys.readouterr().out
