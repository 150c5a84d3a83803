"""seed_demo's agents show every stage out of the box, tell one story in time, rest on real
evidence, and a second run changes nothing but the runtimes' recent traces."""

import itertools
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Organization
from accounts.selectors import member_get
from accounts.services import organization_get_or_create
from agents.models import Agent
from audit.models import AuditEntry
from audit.services import audit_verify
from gates import rules
from gates.evidence_selectors import agent_evidence
from gates.models import GateDecision, PromptVersion
from gates.selectors import agent_list, gate_states
from killswitch.models import AgentToken, Suspension
from outcomes.models import MetricSnapshot
from outcomes.services import horizon_advance_reasons, production_since
from overview.demo import Story, story_clock
from overview.demo_evidence import month_periods
from telemetry.models import TelemetryHour

pytestmark = pytest.mark.django_db

IN_PRODUCTION = ("Refund triage", "Claims intake")


def _agents():
    organization = Organization.objects.get(slug="demo")
    return {a.name: a for a in agent_list(organization=organization)}


def test_seed_demo_has_agents_at_every_stage(capsys):
    call_command("seed_demo")
    agents = _agents()
    phases = {name: rules.agent_phase(gate_states(a)) for name, a in agents.items()}
    assert phases["Refund triage"] == "production"
    assert agents["Refund triage"].horizon == "stabilization"
    assert agents["Claims intake"].state == "suspended"
    assert set(gate_states(agents["Claims intake"]).values()) == {"go"}
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


def _unmet(agent):
    return {
        key: state.evidence for key, state in agent_evidence(agent=agent).items() if not state.met
    }


def _model_calls(agent):
    return TelemetryHour.objects.filter(agent=agent).aggregate(n=Sum("model_calls"))["n"] or 0


def test_the_production_agents_meet_all_eighteen_items_on_evidence_and_keep_them():
    call_command("seed_demo", stdout=StringIO())
    agents = _agents()

    # Every computed item met, from records, a runtime token, prompt versions with promptfoo's
    # results, thresholds, snapshots and spans of the last hours: nothing ticked.
    for name in IN_PRODUCTION:
        states = agent_evidence(agent=agents[name])
        assert len(states) == 18
        assert _unmet(agents[name]) == {}, name
        assert states["tracing"].source == "observed"
        assert set(gate_states(agents[name]).values()) == {"go"}
        assert AgentToken.objects.filter(agent=agents[name], revoked_at__isnull=True).exists()
        versions = PromptVersion.objects.filter(agent=agents[name]).order_by("created_at")
        assert [(v.tag, v.ship) for v in versions] == [("v1.0", True), ("v1.1", True)]
        assert versions[1].rollback_target == "v1.0"
        assert versions[1].regression_results["passed"] > 0
        assert agents[name].current_prompt.tag == "v1.1"
    refund_calls = _model_calls(agents["Refund triage"])
    claims_calls = _model_calls(agents["Claims intake"])

    # when it runs again: the active runtimes send new spans; the suspended one sends none
    call_command("seed_demo", stdout=StringIO())

    agents = _agents()
    assert _model_calls(agents["Refund triage"]) > refund_calls
    assert _model_calls(agents["Claims intake"]) == claims_calls
    for name in IN_PRODUCTION:
        assert _unmet(agents[name]) == {}, name
        assert set(gate_states(agents[name]).values()) == {"go"}
    assert rules.agent_phase(gate_states(agents["Refund triage"])) == "production"
    # The stage-setting gaps are computed too: a stale tool, an agent refused for what it lacks.
    assert "least_privilege_justified" in _unmet(agents["Invoice matcher"])
    assert {"escalation_owners_mapped", "kill_switch_designed"} <= set(
        _unmet(agents["HR policy assistant"])
    )


def test_the_story_is_dated_across_the_months_its_metrics_cover():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    agents = _agents()
    now = timezone.now()

    for name in IN_PRODUCTION:
        agent = agents[name]
        first = MetricSnapshot.objects.filter(agent=agent).order_by("period_start").first()
        decisions = GateDecision.objects.filter(gate__agent=agent).order_by("decided_at")
        # Registered, then each phase decided in order over weeks, production before the
        # first month its snapshots cover.
        assert [d.gate.phase for d in decisions] == [1, 2, 3, 4]
        assert agent.created_at < decisions[0].decided_at
        assert decisions[3].decided_at - decisions[0].decided_at >= timedelta(weeks=2)
        assert production_since(agent).date() < first.period_start
        versions = PromptVersion.objects.filter(agent=agent)
        phase_2 = decisions[1].decided_at
        assert all(v.created_at < phase_2 for v in versions)
    refund = agents["Refund triage"]
    assert now - refund.created_at > timedelta(days=6 * 30)
    # Its stabilization's weeks are over and its figures meet the thresholds: due to advance.
    approver = member_get(organization=refund.organization, username="approver")
    assert now - production_since(refund) > timedelta(weeks=8)
    assert horizon_advance_reasons(agent=refund, membership=approver) == []
    # The newest snapshot ends yesterday, within the quality item's 30 days.
    newest = MetricSnapshot.objects.filter(agent=refund).order_by("period_end").last()
    assert newest.period_end == now.date() - timedelta(days=1)


def test_the_drill_agrees_between_the_timeline_and_the_kill_switch_panel():
    call_command("seed_demo", stdout=StringIO())
    drill = Suspension.objects.get(kind="drill")
    entries = AuditEntry.objects.filter(object_id=str(drill.agent_id), object_type="agents.Agent")

    started = entries.get(action="agent.suspended.drill")
    ended = entries.get(action="agent.drill_ended")
    assert started.created_at == drill.started_at
    assert ended.created_at == drill.ended_at
    assert drill.runtime_seen_at - drill.started_at == timedelta(seconds=4.2)
    assert timedelta(days=19) < timezone.now() - drill.started_at < timedelta(days=21)


def test_the_audit_chain_is_written_in_order_and_verifies_after_two_runs():
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
        out = StringIO()
        call_command("verify_audit_log", stdout=out)
        assert out.getvalue().startswith("OK")
    for chain in AuditEntry.objects.values_list("chain", flat=True).distinct():
        times = list(
            AuditEntry.objects.filter(chain=chain)
            .order_by("seq")
            .values_list("created_at", flat=True)
        )
        assert times == sorted(times), chain
    assert AuditEntry.objects.latest("created_at").created_at <= timezone.now()


def test_an_organization_that_exists_without_the_story_is_not_rewritten_in_the_past():
    # given a Demo Co created by hand, today
    organization_get_or_create(slug="demo", name="Demo Co")
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert not Agent.objects.exists()
    assert "written only into a new organization" in out.getvalue()
    times = list(AuditEntry.objects.order_by("chain", "seq").values_list("created_at", flat=True))
    assert all(t > timezone.now() - timedelta(hours=1) for t in times)


# --- the story's clock and its months -------------------------------------------------------


def test_the_story_clock_dates_services_and_model_defaults_only_inside_its_block():
    moment = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with story_clock(moment):
        assert timezone.now() == moment
        organization = Organization.objects.create(name="Then", slug="then")
    assert organization.created_at == moment
    assert timezone.now() - moment > timedelta(days=1)


def test_a_step_of_the_story_may_not_be_set_in_the_future():
    story = Story(now=timezone.now())
    with pytest.raises(ValueError, match="in the future"):
        story.at(story.now + timedelta(minutes=1), lambda: None)


@pytest.mark.parametrize(
    "today",
    [date(2026, 12, 1), date(2026, 3, 31), date(2024, 2, 29), date(2026, 1, 15), date(2026, 7, 31)],
)
def test_the_months_are_consecutive_and_the_newest_ends_yesterday(today):
    periods = month_periods(today, 6)

    assert len(periods) == 6
    assert periods[-1][1] == today - timedelta(days=1)
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end + timedelta(days=1)
    assert all(27 <= (end - start).days <= 31 for start, end in periods)


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


@pytest.mark.parametrize(
    "seeded",
    [
        datetime(2027, 3, 31, 0, 10, tzinfo=UTC),  # just after midnight, on a month's 31st
        datetime(2028, 2, 29, 23, 55, tzinfo=UTC),
        datetime(2027, 1, 1, 6, 0, tzinfo=UTC),  # before the snapshots' usual 7 o'clock
    ],
)
def test_the_story_holds_whatever_the_day_it_is_seeded(seeded):
    with story_clock(seeded):
        call_command("seed_demo", stdout=StringIO())
        agents = _agents()
        for name in IN_PRODUCTION:
            assert _unmet(agents[name]) == {}, name
            assert set(gate_states(agents[name]).values()) == {"go"}
        assert agents["Claims intake"].state == "suspended"
        assert audit_verify() == []
        assert AuditEntry.objects.latest("created_at").created_at <= seeded
