"""Outcome metrics, thresholds and horizons through outcomes/services.py (docs/rules.md §3 and §4).

Every write is role-checked (a refused call changes nothing) and audited; the audit chain still
verifies after each test.
"""

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from kombu.exceptions import OperationalError

from agents.models import Agent
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from core import tasks as core_tasks
from core.errors import Conflict, Forbidden, InvalidInput
from core.tasks import send_email
from gates import services as gates_services
from gates.checklists import PHASES
from gates.models import Gate
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from outcomes import metrics
from outcomes import services as ms
from outcomes.models import AgentThresholds, HorizonDecision, MetricSnapshot
from overview import services as overview_services
from tests.conftest import scores_of
from tests.helpers import provide_evidence, worker_callbacks

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 9, 0, 0, tzinfo=UTC)  # a Monday after the periods posted
EIGHT_WEEKS = timedelta(weeks=8)
SECOND = timedelta(seconds=1)
TODAY = date(2026, 12, 1)  # the day the pure CSV preview is asked on


@pytest.fixture(autouse=True)
def audit_chain_still_verifies(db):
    yield
    assert audit_verify() == []


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def owner(org, make_member):
    return make_member(org, "viewer", username="olga")


@pytest.fixture
def agent(assessor, owner):
    return overview_services.agent_create(
        membership=assessor,
        data={
            "name": "Refund bot",
            "business_unit": "Support",
            "owner": "olga",
            "tool_permissions": [
                {"tool": "payments", "access": "write", "justification": "Issues refunds"},
                {"tool": "crm", "access": "read", "justification": "Looks up customers"},
            ],
        },
    )


def fresh(agent: Agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def states(agent: Agent) -> dict[int, str]:
    return dict(Gate.objects.filter(agent=agent).values_list("phase", "state"))


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


def audit_ids() -> list[tuple[int, str]]:
    return list(AuditEntry.objects.order_by("id").values_list("id", "hash"))


def codes(error) -> list[str]:
    return [r.code for r in error.reasons]


def snapshot(**overrides) -> dict:
    """A healthy snapshot: completion 95 %, escalations 5 %, errors 2 % (baseline 5 %)."""
    data = {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "tasks": 100,
        "tasks_completed": 95,
        "escalations": 5,
        "errors": 2,
        "cost": 190.0,
        "avg_cycle_time_s": 60.0,
        "baseline_cost_per_case": 4.0,
        "baseline_cycle_time_s": 240.0,
        "baseline_error_rate": 0.05,
    }
    data.update(overrides)
    return data


BREACHING = {"errors": 20}  # error rate 0.20 > 0.10
APRIL = {"period_start": "2026-04-01", "period_end": "2026-04-30"}  # the period after March


def post(agent, membership, **overrides) -> dict:
    return ms.metric_snapshot_post(agent=agent, membership=membership, data=snapshot(**overrides))


def submit_assessment(assessor, values=(4, 4, 4, 4)):
    assessment = assessment_services.assessment_create(membership=assessor, title="Readiness")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(*values)
    )
    return assessment_services.assessment_submit(assessment=assessment, membership=assessor)


def meet(agent, phase, membership=None):
    """The evidence of the phase's computed items (nothing is ticked by hand)."""
    return provide_evidence(agent, phase)


def decide(agent, phase, membership, decision="go"):
    return gates_services.gate_decide(
        agent=agent,
        phase=phase,
        membership=membership,
        decision=decision,
        rationale=f"Phase {phase} reviewed.",
        expected_version=Gate.objects.get(agent=agent, phase=phase).version,
    )


def to_production(agent, assessor, approver):
    submit_assessment(assessor)
    for phase in PHASES:
        meet(agent, phase, assessor)
        decide(agent, phase, approver)
    return fresh(agent)


@pytest.fixture
def live(clock, agent, assessor, approver):
    """The agent in production since T0 (phase 4's go), in stabilization."""
    return to_production(agent, assessor, approver)


def advance(agent, approver, rationale="Figures held for the whole period."):
    return ms.horizon_advance(agent=agent, membership=approver, rationale=rationale)


# --- metric_snapshot_post: roles ------------------------------------------------------------


@pytest.mark.parametrize("role", ["assessor", "operator", "admin"])
def test_assessor_operator_and_admin_may_post_a_snapshot(role, org, make_member, agent):
    member = make_member(org, role, username=f"only-{role}")

    result = post(agent, member)

    snap = MetricSnapshot.objects.get()
    assert result["snapshot"] == snap
    assert snap.agent == agent
    assert snap.created_by == member.user
    assert result["breaches"] == []
    assert result["suspended"] is False


@pytest.mark.parametrize("roles", [("approver",), ("viewer",), ("approver", "viewer")])
def test_an_approver_or_viewer_may_not_post_and_nothing_is_saved(roles, org, make_member, agent):
    member = make_member(org, *roles, username="nope")
    before = audit_ids()

    with pytest.raises(Forbidden):
        post(agent, member, **BREACHING)

    assert MetricSnapshot.objects.count() == 0
    assert Suspension.objects.count() == 0
    assert audit_ids() == before


@pytest.mark.parametrize("roles", [("approver",), ("viewer",)])
def test_the_role_is_checked_before_the_input(roles, org, make_member, agent):
    member = make_member(org, *roles, username="nope")

    with pytest.raises(Forbidden):
        ms.metric_snapshot_post(agent=agent, membership=member, data={"tasks": -1})


# --- metric_snapshot_post: validation --------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"tasks": -1}, {"tasks"}),
        ({"tasks_completed": 101}, {"tasks_completed"}),
        ({"escalations": 101, "errors": 101}, {"escalations", "errors"}),
        ({"period_start": "2026-04-01"}, {"period_end"}),
        ({"cost": "cheap"}, {"cost"}),
        ({"cost": -1}, {"cost"}),
        ({"avg_cycle_time_s": float("nan")}, {"avg_cycle_time_s"}),
        ({"baseline_cycle_time_s": float("inf")}, {"baseline_cycle_time_s"}),
        ({"tasks": True}, {"tasks"}),
        ({"tasks": 3.0}, {"tasks"}),
        ({"cost": 10**12 + 1}, {"cost"}),
        ({"baseline_error_rate": 1.5}, {"baseline_error_rate"}),
        ({"quality_score": 1.5, "policy_violations": -2}, {"quality_score", "policy_violations"}),
        ({"period_end": None}, {"period_end"}),
    ],
)
def test_bad_input_names_every_field_and_saves_nothing(agent, operator, overrides, fields):
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        post(agent, operator, **overrides)

    assert set(error.value.errors) == fields
    assert MetricSnapshot.objects.count() == 0
    assert audit_ids() == before
    assert fresh(agent).state == "active"


def test_a_body_that_is_not_an_object_is_refused(agent, operator):
    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshot_post(agent=agent, membership=operator, data=[snapshot()])

    assert list(error.value.errors) == ["__all__"]
    assert MetricSnapshot.objects.count() == 0


def test_a_missing_field_is_named(agent, operator):
    data = snapshot()
    del data["baseline_error_rate"]

    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshot_post(agent=agent, membership=operator, data=data)

    assert error.value.errors == {"baseline_error_rate": ["This field is required."]}


# --- metric_snapshot_post: healthy and breaching --------------------------------------------


def test_a_healthy_snapshot_is_saved_with_its_figures_and_no_suspension(
    agent, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = post(agent, operator, quality_score=0.9, policy_violations=0)

    snap = MetricSnapshot.objects.get()
    assert (snap.period_start, snap.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (snap.tasks, snap.tasks_completed, snap.escalations, snap.errors) == (100, 95, 5, 2)
    assert snap.quality_score == 0.9
    assert snap.policy_violations == 0
    assert snap.failed_tool_calls is None
    assert snap.calls_per_hour is None
    assert snap.breaches == []
    assert result["figures"]["task_completion_rate"] == 0.95
    assert result["figures"]["error_rate_vs_baseline"] == pytest.approx(-0.03)
    assert result["figures"] == metrics.derived_figures(snap.values())
    assert fresh(agent).state == "active"
    assert Suspension.objects.count() == 0
    assert actions()[-1] == "metrics.posted"
    assert mail.outbox == []


def test_posting_a_snapshot_is_audited_with_its_period_and_figures(agent, operator):
    result = post(agent, operator)

    entry = AuditEntry.objects.filter(action="metrics.posted").get()
    assert entry.actor == operator.user
    assert entry.object_id == str(agent.pk)
    assert entry.after["snapshot"] == result["snapshot"].pk
    assert entry.after["period"] == ["2026-03-01", "2026-03-31"]
    assert entry.after["breaches"] == []
    assert entry.after["figures"]["task_completion_rate"] == 0.95


def test_a_snapshot_with_no_tasks_saves_null_figures_and_fires_nothing(agent, operator):
    result = post(agent, operator, tasks=0, tasks_completed=0, escalations=0, errors=0)

    assert result["figures"]["task_completion_rate"] is None
    assert result["figures"]["cost_reduction"] is None
    assert result["breaches"] == []
    assert fresh(agent).state == "active"


def test_a_breaching_snapshot_suspends_the_agent_and_records_the_breach(agent, operator):
    # when: error rate 0.20 crosses 0.10
    result = post(agent, operator, **BREACHING)

    # then the snapshot is saved with its breach
    snap = MetricSnapshot.objects.get()
    assert snap.breaches == [
        {
            "threshold": "error_rate",
            "value": 0.2,
            "limit": 0.1,
            "message": "Error rate 0.2 is above 0.1.",
        }
    ]
    assert result["suspended"] is True
    assert [b.threshold for b in result["breaches"]] == ["error_rate"]
    # and the agent is stopped by the kill switch, automatically
    assert fresh(agent).state == "suspended"
    suspension = Suspension.objects.get()
    assert suspension.kind == "automatic"
    assert suspension.started_by is None
    assert suspension.ended_at is None
    assert suspension.details == {"snapshot": snap.pk, "breaches": snap.breaches}
    # in the words of the operators' email, never the raw fractions
    assert suspension.reason == (
        "Alert threshold crossed: Error rate 20.0% is above the alert limit of 10.0%."
    )
    # and both are audited, the suspension by the system
    assert actions()[-2:] == ["metrics.posted", "agent.suspended.automatic"]
    entry = AuditEntry.objects.get(action="agent.suspended.automatic")
    assert entry.actor is None
    assert entry.actor_label == "system"
    assert entry.after["details"]["snapshot"] == snap.pk
    posted = AuditEntry.objects.get(action="metrics.posted")
    assert posted.after["breaches"] == ["error_rate"]


def test_every_breach_is_recorded_on_the_snapshot_and_the_suspension(agent, operator):
    post(
        agent,
        operator,
        tasks_completed=10,
        escalations=40,
        errors=20,
        policy_violations=1,
        quality_score=0.5,
    )

    snap = MetricSnapshot.objects.get()
    expected = {
        "error_rate",
        "escalation_frequency",
        "task_completion_rate",
        "policy_violations",
        "quality_score",
    }
    assert {b["threshold"] for b in snap.breaches} == expected
    assert {b["threshold"] for b in Suspension.objects.get().details["breaches"]} == expected


def test_calls_per_hour_above_the_agents_guardrail_suspends(agent, assessor, operator):
    overview_services.agent_update(
        agent=agent, membership=assessor, data={"guardrails": {"api_calls_per_hour": 500}}
    )

    post(agent, operator, calls_per_hour=500)
    assert fresh(agent).state == "active"

    result = post(agent, operator, calls_per_hour=501, **APRIL)
    assert [(b.threshold, b.value, b.limit) for b in result["breaches"]] == [
        ("calls_per_hour", 501.0, 500)
    ]
    assert fresh(agent).state == "suspended"


def test_calls_per_hour_never_fire_for_an_agent_without_a_limit(agent, operator):
    result = post(agent, operator, calls_per_hour=10**12)

    assert result["breaches"] == []
    assert fresh(agent).state == "active"


@pytest.fixture
def worker_sends_email(monkeypatch):
    """A queued email is sent at once, as a worker would (the test broker only keeps it)."""
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: send_email.apply(kwargs=kwargs))


@pytest.fixture
def queued_emails(monkeypatch):
    """The emails queued for a worker (core.tasks.send_email.delay's keyword arguments)."""
    queued = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: queued.append(kwargs))
    return queued


def test_the_operators_are_emailed_when_a_breach_suspends(
    agent, org, other_org, make_member, operator, admin, approver, other_assessor,
    django_capture_on_commit_callbacks, worker_sends_email,
):  # fmt: skip
    # given a second operator, one operator without an email and a non-operator
    second = make_member(org, "operator", "approver", username="opal")
    silent = make_member(org, "operator", username="silent")
    silent.user.email = ""
    silent.user.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        post(agent, admin, **BREACHING)

    # then one message goes to the operators of this organization that have an email
    (message,) = mail.outbox
    assert sorted(message.to) == sorted([operator.user.email, second.user.email])
    assert "Refund bot" in message.subject
    assert "Error rate 20.0% is above the alert limit of 10.0%." in message.body
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_the_request_queues_the_operators_email_and_sends_nothing_itself(
    agent, operator, api_for, queued_emails, django_capture_on_commit_callbacks
):
    # when a breaching snapshot comes in through the API
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(operator).post(f"/api/v1/agents/{agent.pk}/metrics", snapshot(errors=20))

    # then the request queued one email for a worker and sent none
    assert response.status_code == 201
    assert response.json()["suspended"] is True
    assert mail.outbox == []
    (queued,) = queued_emails
    assert queued["recipients"] == [operator.user.email]
    assert queued["subject"] == "[Readiness] Refund bot was suspended automatically"
    assert queued["body"] == (
        "Refund bot (Acme Robotics) crossed its alert thresholds and was suspended:\n"
        "- Error rate 20.0% is above the alert limit of 10.0%.\n\n"
        "An approver resumes it from the agent page once it is safe."
    )


def test_no_email_goes_out_before_the_transaction_commits(
    agent, operator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(agent, operator, **BREACHING)

    assert mail.outbox == []
    assert len(worker_callbacks(callbacks)) == 1


def test_no_email_when_no_operator_has_one(agent, operator, django_capture_on_commit_callbacks):
    operator.user.email = ""
    operator.user.save()

    with django_capture_on_commit_callbacks(execute=True):
        post(agent, operator, **BREACHING)

    assert mail.outbox == []
    assert fresh(agent).state == "suspended"


def test_a_mail_server_down_does_not_undo_the_suspension(
    agent, operator, monkeypatch, django_capture_on_commit_callbacks, worker_sends_email
):
    def broken(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(core_tasks, "email_send", broken)

    with django_capture_on_commit_callbacks(execute=True):
        result = post(agent, operator, **BREACHING)

    assert result["suspended"] is True
    assert fresh(agent).state == "suspended"
    assert mail.outbox == []


def test_a_broker_down_does_not_undo_the_suspension(
    agent, operator, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(send_email, "delay", broken)

    with django_capture_on_commit_callbacks(execute=True):
        result = post(agent, operator, **BREACHING)

    assert result["suspended"] is True
    assert fresh(agent).state == "suspended"


def test_a_breach_on_an_already_suspended_agent_saves_the_snapshot_only(
    agent, operator, django_capture_on_commit_callbacks
):
    # given the operator stopped it by hand
    manual = killswitch_services.agent_suspend(
        agent=agent, membership=operator, reason="Odd refunds"
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = post(agent, operator, **BREACHING)

    # then the snapshot and its breach are kept, but no second suspension, no mail
    assert result["suspended"] is False
    assert MetricSnapshot.objects.get().breaches[0]["threshold"] == "error_rate"
    assert list(Suspension.objects.all()) == [manual]
    assert "agent.suspended.automatic" not in actions()
    assert mail.outbox == []
    assert fresh(agent).state == "suspended"


def test_a_second_breach_while_suspended_does_not_stack_suspensions(agent, operator):
    post(agent, operator, **BREACHING)
    result = post(agent, operator, **BREACHING, **APRIL)

    assert result["suspended"] is False
    assert Suspension.objects.count() == 1
    assert MetricSnapshot.objects.count() == 2


def test_after_resuming_a_new_breach_suspends_again(agent, operator, approver):
    post(agent, operator, **BREACHING)
    killswitch_services.agent_resume(agent=agent, membership=approver, reason="Fixed the prompt")

    result = post(agent, operator, **BREACHING, **APRIL)

    assert result["suspended"] is True
    assert Suspension.objects.filter(kind="automatic").count() == 2


# --- CSV ---------------------------------------------------------------------------------------

HEADER = (
    "period_start,period_end,tasks,tasks_completed,escalations,errors,cost,avg_cycle_time_s,"
    "baseline_cost_per_case,baseline_cycle_time_s,baseline_error_rate,quality_score"
)


def test_parse_csv_reads_typed_rows():
    text = (
        HEADER
        + "\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9\n"
        + " 2026-02-01 , 2026-02-28 , 80 , 70 , 8 , 4 , 150.5 , 55.5 , 4 , 240 , 0.05 , \n"
    )

    rows = ms.parse_csv(text)

    assert rows[0] == {
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "tasks": 100,
        "tasks_completed": 95,
        "escalations": 5,
        "errors": 2,
        "cost": 190.0,
        "avg_cycle_time_s": 60.0,
        "baseline_cost_per_case": 4.0,
        "baseline_cycle_time_s": 240.0,
        "baseline_error_rate": 0.05,
        "quality_score": 0.9,
    }
    assert rows[1]["period_start"] == "2026-02-01"
    assert rows[1]["tasks"] == 80
    assert rows[1]["cost"] == 150.5
    assert rows[1]["quality_score"] is None
    assert all(isinstance(r["tasks"], int) for r in rows)


def test_parse_csv_accepts_windows_line_endings_and_a_blank_last_line():
    text = HEADER + "\r\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9\r\n\r\n"

    assert len(ms.parse_csv(text)) == 1


def test_parse_csv_refuses_an_unknown_column_naming_it():
    text = HEADER + ",mood\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9,happy\n"

    with pytest.raises(InvalidInput) as error:
        ms.parse_csv(text)

    assert list(error.value.errors) == ["file"]
    assert "mood" in error.value.errors["file"][0]


@pytest.mark.parametrize("text", ["", "\n", "\n\n"])
def test_parse_csv_refuses_an_empty_file(text):
    with pytest.raises(InvalidInput) as error:
        ms.parse_csv(text)

    assert list(error.value.errors) == ["file"]


def test_parse_csv_refuses_a_header_without_rows():
    with pytest.raises(InvalidInput) as error:
        ms.parse_csv(HEADER + "\n")

    assert "no data rows" in error.value.errors["file"][0]


def test_parse_csv_refuses_more_than_5000_rows():
    text = HEADER + "\n" + "2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9\n" * 5001

    with pytest.raises(InvalidInput) as error:
        ms.parse_csv(text)

    assert list(error.value.errors) == ["file"]


def test_a_cell_that_does_not_parse_becomes_a_named_error_in_the_preview():
    text = (
        HEADER
        + "\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9\n"
        + "2026-02-01,2026-02-28,lots,3.0,5,2,nan,60,4,240,0.05,high\n"
        + "2026-03-31,2026-03-01,10,11,0,0,1,1,1,1,0.05,\n"
    )

    preview = ms.csv_preview(ms.parse_csv(text), today=TODAY)

    assert [p["row"] for p in preview] == [1, 2, 3]
    assert preview[0]["errors"] == {}
    assert preview[0]["figures"]["task_completion_rate"] == 0.95
    assert set(preview[1]["errors"]) == {"tasks", "tasks_completed", "cost", "quality_score"}
    assert preview[1]["figures"] is None
    assert preview[1]["values"]["tasks"] == "lots"
    assert set(preview[2]["errors"]) == {"period_end", "tasks_completed"}
    assert MetricSnapshot.objects.count() == 0


def test_a_missing_cell_is_a_required_field_error():
    text = HEADER + "\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240\n"

    (row,) = ms.csv_preview(ms.parse_csv(text), today=TODAY)

    assert row["errors"] == {"baseline_error_rate": ["This field is required."]}


def test_importing_saves_every_row(agent, operator):
    rows = [
        snapshot(period_start="2026-01-01", period_end="2026-01-31"),
        snapshot(period_start="2026-02-01", period_end="2026-02-28"),
    ]

    results = ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert len(results) == 2
    assert MetricSnapshot.objects.filter(agent=agent).count() == 2
    assert actions().count("metrics.posted") == 2


def test_importing_is_all_or_nothing(agent, operator):
    rows = [
        snapshot(period_start="2026-01-01", period_end="2026-01-31"),
        snapshot(tasks=-3, cost="x"),
        snapshot(),
        snapshot(errors=500),
    ]
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert set(error.value.errors) == {"rows.2.tasks", "rows.2.cost", "rows.4.errors"}
    assert MetricSnapshot.objects.count() == 0
    assert audit_ids() == before


def test_importing_a_parsed_csv_end_to_end(agent, assessor):
    text = HEADER + "\n2026-01-01,2026-01-31,100,95,5,2,190,60,4,240,0.05,0.9\n"

    ms.metric_snapshots_import(agent=agent, membership=assessor, rows=ms.parse_csv(text))

    snap = MetricSnapshot.objects.get()
    assert snap.quality_score == 0.9
    assert snap.created_by == assessor.user


def test_importing_breaching_rows_suspends_once(agent, operator):
    rows = [
        snapshot(period_start="2026-01-01", period_end="2026-01-31", errors=30),
        snapshot(period_start="2026-02-01", period_end="2026-02-28", escalations=50),
    ]

    results = ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert [r["suspended"] for r in results] == [True, False]
    assert Suspension.objects.count() == 1
    assert all(s.breaches for s in MetricSnapshot.objects.all())


@pytest.mark.parametrize("role", ["approver", "viewer"])
def test_importing_is_refused_to_approvers_and_viewers(role, org, make_member, agent):
    member = make_member(org, role, username=f"only-{role}")

    with pytest.raises(Forbidden):
        ms.metric_snapshots_import(agent=agent, membership=member, rows=[snapshot()])

    assert MetricSnapshot.objects.count() == 0


# --- periods that would distort the rules ----------------------------------------------------

MARCH_ERROR = (
    "The period overlaps the existing snapshot (2026-03-01 to 2026-03-31): choose dates outside "
    "it (both days count, so start the day after it ends)."
)


def test_a_period_ending_today_is_saved(clock, agent, operator):  # today is 4 May 2026
    result = post(agent, operator, period_start="2026-05-01", period_end="2026-05-04")

    assert result["snapshot"].period_end == date(2026, 5, 4)


def test_a_period_ending_tomorrow_is_refused_and_nothing_changes(clock, agent, operator):
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        post(agent, operator, period_start="2026-05-01", period_end="2026-05-05")

    assert error.value.errors == {
        "period_end": ["The period ends after today (2026-05-04): post a period once it has ended."]
    }
    assert MetricSnapshot.objects.count() == 0
    assert audit_ids() == before
    assert fresh(agent).state == "active"


def test_a_breaching_period_ending_tomorrow_suspends_nothing(clock, agent, operator):
    with pytest.raises(InvalidInput):
        post(agent, operator, period_start="2026-05-01", period_end="2026-05-05", **BREACHING)

    assert Suspension.objects.count() == 0


@pytest.mark.parametrize(("start", "saved"), [("1999-12-31", False), ("2000-01-01", True)])
def test_a_period_starting_before_2000_is_refused(start, saved, agent, operator):
    if saved:
        assert post(agent, operator, period_start=start)["snapshot"].period_start == date(
            2000, 1, 1
        )
        return
    with pytest.raises(InvalidInput) as error:
        post(agent, operator, period_start=start)

    assert list(error.value.errors) == ["period_start"]
    assert "2000-01-01" in error.value.errors["period_start"][0]
    assert MetricSnapshot.objects.count() == 0


def test_a_period_starting_the_day_the_last_one_ends_is_refused_naming_it(agent, operator):
    post(agent, operator)  # March
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        post(agent, operator, period_start="2026-03-31", period_end="2026-04-30", **BREACHING)

    assert error.value.errors == {"period_start": [MARCH_ERROR]}
    assert MetricSnapshot.objects.count() == 1
    assert audit_ids() == before
    assert fresh(agent).state == "active"  # the refused breach suspends nothing


def test_the_same_period_posted_twice_is_refused(agent, operator, admin):
    post(agent, operator)

    with pytest.raises(InvalidInput) as error:
        post(agent, admin)

    assert error.value.errors == {"period_start": [MARCH_ERROR]}


def test_a_period_starting_the_day_after_the_last_one_ends_is_saved(agent, operator):
    post(agent, operator)

    post(agent, operator, **APRIL)
    post(agent, operator, period_start="2026-02-01", period_end="2026-02-28")

    assert MetricSnapshot.objects.filter(agent=agent).count() == 3


def test_periods_of_another_agent_do_not_overlap(agent, assessor, operator):
    other = overview_services.agent_create(
        membership=assessor, data={"name": "Quote bot", "owner": "olga"}
    )
    post(agent, operator)

    assert post(other, operator)["snapshot"].agent == other


def test_importing_rows_that_overlap_each_other_saves_none(agent, operator):
    rows = [
        snapshot(period_start="2026-01-01", period_end="2026-01-31"),
        snapshot(period_start="2026-02-01", period_end="2026-02-28"),
        snapshot(period_start="2026-01-31", period_end="2026-02-10"),  # touches row 1
    ]
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert list(error.value.errors) == ["rows.3.period_start"]
    assert (
        "row 1 of the file (2026-01-01 to 2026-01-31)"
        in error.value.errors["rows.3.period_start"][0]
    )
    assert MetricSnapshot.objects.count() == 0
    assert audit_ids() == before


def test_importing_a_row_that_overlaps_a_stored_snapshot_saves_none(agent, operator):
    post(agent, operator)  # March
    rows = [
        snapshot(period_start="2026-01-01", period_end="2026-01-31"),
        snapshot(period_start="2026-02-01", period_end="2026-03-01"),  # touches March
        snapshot(**APRIL),
    ]

    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert error.value.errors == {"rows.2.period_start": [MARCH_ERROR]}
    assert MetricSnapshot.objects.count() == 1


def test_importing_a_period_ending_tomorrow_saves_none(clock, agent, operator):
    rows = [
        snapshot(period_start="2026-04-01", period_end="2026-04-30"),
        snapshot(period_start="2026-05-01", period_end="2026-05-05"),
    ]

    with pytest.raises(InvalidInput) as error:
        ms.metric_snapshots_import(agent=agent, membership=operator, rows=rows)

    assert list(error.value.errors) == ["rows.2.period_end"]
    assert MetricSnapshot.objects.count() == 0


def test_the_preview_names_rows_ending_after_today_starting_before_2000_or_overlapping():
    existing = [(date(2026, 3, 1), date(2026, 3, 31))]
    rows = [
        snapshot(period_start="2026-11-01", period_end="2026-12-01"),  # ends today: fine
        snapshot(period_start="2026-12-01", period_end="2026-12-02"),  # tomorrow (and row 1)
        snapshot(period_start="1999-12-31", period_end="2000-01-31"),
        snapshot(period_start="2026-02-01", period_end="2026-03-01"),  # touches March
        snapshot(period_start="2026-04-01", period_end="2026-04-30"),  # adjacent: fine
        snapshot(period_start="2026-04-30", period_end="2026-05-31"),  # touches row 5
    ]

    preview = ms.csv_preview(rows, today=TODAY, existing=existing)

    assert [set(p["errors"]) for p in preview] == [
        set(),
        {"period_end"},
        {"period_start"},
        {"period_start"},
        set(),
        {"period_start"},
    ]
    assert preview[3]["errors"]["period_start"] == [MARCH_ERROR]
    assert preview[1]["errors"]["period_end"][0].startswith("The period ends after today")
    assert "row 5 of the file (2026-04-01 to 2026-04-30)" in preview[5]["errors"]["period_start"][0]
    assert preview[3]["figures"] is None
    assert preview[0]["figures"] is not None


def test_the_overlap_is_checked_under_the_agents_lock(agent, operator, monkeypatch):
    # the stored periods are read after the agent's row is locked, in the same transaction
    calls = []
    real_lock = Agent.objects.select_for_update
    monkeypatch.setattr(
        Agent.objects, "select_for_update", lambda: calls.append("lock") or real_lock()
    )
    real_read = ms.selectors.snapshot_periods
    monkeypatch.setattr(
        ms.selectors, "snapshot_periods", lambda **kw: calls.append("read") or real_read(**kw)
    )

    post(agent, operator)

    assert calls == ["lock", "read"]


# --- thresholds --------------------------------------------------------------------------------


def test_an_agent_without_a_thresholds_row_has_the_spec_defaults(agent):
    assert ms.thresholds_of(agent) == metrics.Thresholds()
    assert AgentThresholds.objects.count() == 0


@pytest.mark.parametrize("role", ["assessor", "approver", "operator", "viewer"])
def test_only_an_admin_may_change_thresholds(role, org, make_member, agent):
    member = make_member(org, role, username=f"only-{role}")
    before = audit_ids()

    with pytest.raises(Forbidden):
        ms.thresholds_update(agent=agent, membership=member, data={"alert_error_rate_max": 0.2})

    assert AgentThresholds.objects.count() == 0
    assert audit_ids() == before


def test_an_admin_changes_thresholds_and_it_is_audited(agent, admin):
    row = ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={
            "alert_error_rate_max": 0.2,
            "advance_completion_min": 0.8,
            "stabilization_weeks": 4,
            "stabilization_reason": "A pilot extension of a proven agent.",
        },
    )

    assert row.alert_error_rate_max == 0.2
    assert row.updated_by == admin.user
    assert ms.thresholds_of(agent) == metrics.Thresholds(
        alert_error_rate_max=0.2, advance_completion_min=0.8, stabilization_weeks=4
    )
    entry = AuditEntry.objects.get(action="agent.thresholds_changed")
    assert entry.before == {
        "advance_completion_min": 0.9,
        "alert_error_rate_max": 0.1,
        "stabilization_weeks": 8,
        "stabilization_reason": "",
    }
    assert entry.after == {
        "advance_completion_min": 0.8,
        "alert_error_rate_max": 0.2,
        "stabilization_weeks": 4,
        "stabilization_reason": "A pilot extension of a proven agent.",
    }


def test_an_unchanged_threshold_writes_no_audit_entry(agent, admin):
    before = audit_ids()

    ms.thresholds_update(agent=agent, membership=admin, data={"alert_error_rate_max": 0.1})

    assert audit_ids() == before


FRACTION_KEYS = [
    "advance_completion_min",
    "advance_escalation_max",
    "advance_error_max",
    "alert_error_rate_max",
    "alert_escalation_max",
    "alert_completion_min",
    "alert_failed_tool_calls_max",
    "alert_quality_min",
]


@pytest.mark.parametrize(
    "value", [1.01, 2, -0.01, -1, "0.5", True, float("nan"), float("inf"), [0.5]]
)
@pytest.mark.parametrize("key", FRACTION_KEYS)
def test_a_fraction_threshold_outside_zero_to_one_is_refused(key, value, agent, admin):
    before = audit_ids()

    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data={key: value})

    assert list(error.value.errors) == [key]
    assert AgentThresholds.objects.count() == 0
    assert audit_ids() == before


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0, 0.5])
@pytest.mark.parametrize("key", [k for k in FRACTION_KEYS if k != "advance_error_max"])
def test_a_fraction_threshold_at_its_edges_is_accepted(key, value, agent, admin):
    ms.thresholds_update(agent=agent, membership=admin, data={key: value})

    assert getattr(ms.thresholds_of(agent), key) == value


@pytest.mark.parametrize("key", ["stabilization_weeks", "alert_policy_violations_max"])
@pytest.mark.parametrize("value", [-1, 1001, 2.0, "3", True, None])
def test_whole_number_thresholds_are_refused_outside_zero_to_1000(key, value, agent, admin):
    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data={key: value})

    assert list(error.value.errors) == [key]


@pytest.mark.parametrize("data", [{"surprise": 1}, {"alert_error_rate": 0.1}])
def test_an_unknown_threshold_is_refused(data, agent, admin):
    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data=data)

    assert list(error.value.errors) == list(data)


@pytest.mark.parametrize("data", [None, [], "alert_error_rate_max=0.2"])
def test_thresholds_that_are_not_an_object_are_refused(data, agent, admin):
    with pytest.raises(InvalidInput):
        ms.thresholds_update(agent=agent, membership=admin, data=data)


@pytest.mark.parametrize("mode", ["", "Fixed", "percent", None])
def test_the_error_mode_is_baseline_or_fixed(mode, agent, admin):
    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data={"advance_error_mode": mode})

    assert list(error.value.errors) == ["advance_error_mode"]


def test_fixed_error_mode_needs_its_fraction(agent, admin):
    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data={"advance_error_mode": "fixed"})

    assert list(error.value.errors) == ["advance_error_max"]
    assert AgentThresholds.objects.count() == 0


def test_fixed_error_mode_with_its_fraction_is_saved(agent, admin):
    ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={"advance_error_mode": "fixed", "advance_error_max": 0.03},
    )

    thresholds = ms.thresholds_of(agent)
    assert (thresholds.advance_error_mode, thresholds.advance_error_max) == ("fixed", 0.03)


def test_the_fixed_fraction_cannot_be_cleared_while_in_fixed_mode(agent, admin):
    ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={"advance_error_mode": "fixed", "advance_error_max": 0.03},
    )

    with pytest.raises(InvalidInput) as error:
        ms.thresholds_update(agent=agent, membership=admin, data={"advance_error_max": None})

    assert list(error.value.errors) == ["advance_error_max"]
    assert ms.thresholds_of(agent).advance_error_max == 0.03


def test_back_to_baseline_mode_the_fraction_may_be_cleared(agent, admin):
    ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={"advance_error_mode": "fixed", "advance_error_max": 0.03},
    )

    ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={"advance_error_mode": "baseline", "advance_error_max": None},
    )

    assert ms.thresholds_of(agent).advance_error_max is None


def test_one_bad_threshold_refuses_the_whole_change(agent, admin):
    with pytest.raises(InvalidInput):
        ms.thresholds_update(
            agent=agent,
            membership=admin,
            data={"alert_error_rate_max": 0.2, "alert_quality_min": 7},
        )

    assert ms.thresholds_of(agent) == metrics.Thresholds()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("alert_error_rate_max", 0.2),
        ("alert_escalation_max", 0.4),
        ("alert_completion_min", 0.4),
        ("alert_failed_tool_calls_max", 0.1),
        ("alert_policy_violations_max", 2),
        ("alert_quality_min", 0.5),
    ],
)
def test_an_alert_threshold_change_sends_phase_4_at_go_to_review(key, value, live, admin):
    assert states(live) == dict.fromkeys(PHASES, "go")

    ms.thresholds_update(agent=live, membership=admin, data={key: value})

    assert states(live) == {1: "go", 2: "go", 3: "go", 4: "needs_review"}
    gate = Gate.objects.get(agent=live, phase=4)
    assert key in gate.review_reason
    assert actions()[-2:] == ["agent.thresholds_changed", "gate.needs_review"]


@pytest.mark.parametrize(
    "data",
    [
        {"advance_completion_min": 0.8},
        {"advance_escalation_max": 0.2},
        {"advance_error_mode": "fixed", "advance_error_max": 0.05},
        {"stabilization_weeks": 12},
    ],
)
def test_an_advance_threshold_change_leaves_phase_4_at_go(data, live, admin):
    ms.thresholds_update(agent=live, membership=admin, data=data)

    assert states(live) == dict.fromkeys(PHASES, "go")
    assert "gate.needs_review" not in actions()


def test_an_alert_change_on_an_agent_not_in_production_changes_no_gate(agent, admin):
    ms.thresholds_update(agent=agent, membership=admin, data={"alert_error_rate_max": 0.3})

    assert states(agent) == dict.fromkeys(PHASES, "pending")
    assert "gate.needs_review" not in actions()


def test_stricter_alert_thresholds_are_used_by_the_next_snapshot(agent, admin, operator):
    post(agent, operator)
    assert fresh(agent).state == "active"

    ms.thresholds_update(agent=agent, membership=admin, data={"alert_error_rate_max": 0.01})
    result = post(agent, operator, **APRIL)

    assert [(b.threshold, b.limit) for b in result["breaches"]] == [("error_rate", 0.01)]
    assert fresh(agent).state == "suspended"


def test_looser_alert_thresholds_are_used_by_the_next_snapshot(agent, admin, operator):
    ms.thresholds_update(
        agent=agent,
        membership=admin,
        data={"alert_completion_min": 0.1, "alert_policy_violations_max": 5},
    )

    result = post(agent, operator, tasks_completed=20, policy_violations=5)

    assert result["breaches"] == []
    assert fresh(agent).state == "active"


# --- horizons: production_since and latest --------------------------------------------------


def test_an_agent_never_at_go_on_phase_4_has_no_production_date(agent):
    assert ms.production_since(agent) is None
    assert fresh(agent).horizon == ""


def test_phase_4s_go_starts_stabilization(live):
    assert live.horizon == "stabilization"
    assert ms.production_since(live) == T0


def test_production_since_is_the_first_go_after_the_last_no_go(
    clock, agent, assessor, approver, admin
):
    # given go at T0, a needs_review and a second go at T0+1d (the clock keeps running)
    live = to_production(agent, assessor, approver)
    clock.move_to(T0 + timedelta(days=1))
    ms.thresholds_update(agent=live, membership=admin, data={"alert_quality_min": 0.8})
    decide(live, 4, approver)
    assert ms.production_since(live) == T0

    # when a no-go at T0+2d, then go at T0+3d and again at T0+4d
    clock.move_to(T0 + timedelta(days=2))
    decide(live, 4, approver, "no_go")
    assert ms.production_since(live) is None
    clock.move_to(T0 + timedelta(days=3))
    decide(live, 4, approver)
    clock.move_to(T0 + timedelta(days=4))
    decide(live, 4, approver)

    # then the clock restarted at the go after the no-go
    assert ms.production_since(live) == T0 + timedelta(days=3)


def test_the_stabilization_clock_restarts_after_a_no_go_on_phase_4(
    clock, agent, assessor, approver, operator
):
    live = to_production(agent, assessor, approver)
    clock.move_to(T0 + timedelta(days=1))
    decide(live, 4, approver, "no_go")
    clock.move_to(T0 + timedelta(days=2))
    decide(live, 4, approver)
    post(live, operator)

    clock.move_to(T0 + timedelta(days=2) + EIGHT_WEEKS - SECOND)
    with pytest.raises(Conflict) as error:
        advance(live, approver)
    assert codes(error.value) == ["stabilization_minimum"]

    clock.move_to(T0 + timedelta(days=2) + EIGHT_WEEKS)
    assert advance(live, approver).to_horizon == "scaling"


def test_the_latest_snapshot_is_the_one_with_the_greatest_period_end(agent, operator):
    march = post(agent, operator, period_start="2026-03-01", period_end="2026-03-31")["snapshot"]
    post(agent, operator, period_start="2026-02-01", period_end="2026-02-28")

    assert ms.latest_snapshot(agent) == march


def test_of_two_snapshots_ending_the_same_day_the_later_posted_is_latest(agent, operator):
    # Two periods ending the same day overlap, so the services now refuse the second one; rows
    # stored before that rule may still tie, and then the later saved is the latest.
    first = post(agent, operator)["snapshot"]
    second = MetricSnapshot.objects.create(
        agent=agent,
        created_by=operator.user,
        breaches=[],
        **{**first.values(), "period_start": date(2026, 3, 15)},
    )

    assert ms.latest_snapshot(agent) == second


def test_no_snapshot_means_no_latest(agent):
    assert ms.latest_snapshot(agent) is None


# --- horizons: advance -----------------------------------------------------------------------


def test_an_advance_before_eight_weeks_is_refused_with_the_weeks_left(
    live, clock, operator, approver
):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS - SECOND)
    before = audit_ids()

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    (reason,) = error.value.reasons
    assert reason.code == "stabilization_minimum"
    assert reason.extra == {"weeks_left": 0.1}
    assert HorizonDecision.objects.count() == 0
    assert fresh(live).horizon == "stabilization"
    assert audit_ids() == before


def test_horizon_advance_reasons_show_the_weeks_left_before_anyone_presses(
    live, clock, operator, approver
):
    post(live, operator)
    clock.move_to(T0 + timedelta(weeks=5))

    reasons = ms.horizon_advance_reasons(agent=live, membership=approver)

    assert [(r.code, r.extra) for r in reasons] == [("stabilization_minimum", {"weeks_left": 3})]


def test_an_advance_after_eight_weeks_with_a_healthy_snapshot_is_recorded(
    live, clock, operator, approver
):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)

    decision = advance(live, approver, rationale="  Eight calm weeks.  ")

    assert (decision.from_horizon, decision.to_horizon) == ("stabilization", "scaling")
    assert decision.rationale == "Eight calm weeks."
    assert decision.decided_by == approver.user
    assert decision.decided_at == T0 + EIGHT_WEEKS
    assert decision.figures["task_completion_rate"] == 0.95
    assert fresh(live).horizon == "scaling"
    entry = AuditEntry.objects.filter(action="agent.horizon_advanced").get()
    assert entry.actor == approver.user
    assert entry.before == {"horizon": "stabilization"}
    assert entry.after["horizon"] == "scaling"
    assert entry.after["rationale"] == "Eight calm weeks."


def test_the_advance_uses_the_latest_period_not_the_last_posted(live, clock, operator, approver):
    # given a healthy March, then a late-posted February below the advance thresholds
    # (completion 0.80 < 0.90 but above the 0.50 alert)
    post(live, operator, period_start="2026-03-01", period_end="2026-03-31")
    post(live, operator, period_start="2026-02-01", period_end="2026-02-28", tasks_completed=80)
    assert fresh(live).state == "active"
    clock.move_to(T0 + EIGHT_WEEKS)

    # when / then March decides
    decision = advance(live, approver)
    assert decision.figures["task_completion_rate"] == 0.95


def test_a_latest_period_short_of_the_thresholds_is_refused_naming_each_figure(
    live, clock, operator, approver
):
    # given an old healthy February, then a March short on all three figures, no alert fired
    post(live, operator, period_start="2026-02-01", period_end="2026-02-28")
    post(live, operator, tasks_completed=80, escalations=20, errors=8)
    assert fresh(live).state == "active"
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    assert {r.code for r in error.value.reasons} == {"figure_short"}
    assert sorted(
        (r.extra["figure"], r.extra["value"], r.extra["threshold"]) for r in error.value.reasons
    ) == [
        ("error_rate", 0.08, 0.05),
        ("escalation_frequency", 0.2, 0.1),
        ("task_completion_rate", 0.8, 0.9),
    ]
    assert HorizonDecision.objects.count() == 0


def test_a_latest_snapshot_with_no_tasks_never_satisfies_the_advance(
    live, clock, operator, approver
):
    post(live, operator)
    post(live, operator, period_start="2026-04-01", period_end="2026-04-30", tasks=0,
         tasks_completed=0, escalations=0, errors=0)  # fmt: skip
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    assert codes(error.value) == ["figure_missing"] * 3


def test_an_advance_without_any_snapshot_is_refused(live, clock, approver):
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    assert codes(error.value) == ["no_snapshot"]


def test_a_suspended_agent_cannot_advance(live, clock, operator, approver):
    post(live, operator)
    killswitch_services.agent_suspend(agent=live, membership=operator, reason="Odd refunds")
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    assert codes(error.value) == ["suspended"]
    assert fresh(live).horizon == "stabilization"


def test_an_agent_suspended_by_a_breach_cannot_advance_until_resumed(
    live, clock, operator, approver
):
    post(live, operator, period_start="2026-02-01", period_end="2026-02-28", **BREACHING)
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)
    assert codes(error.value) == ["suspended"]

    killswitch_services.agent_resume(agent=live, membership=approver, reason="Fixed")
    assert advance(live, approver).to_horizon == "scaling"


def test_the_owner_cannot_advance_their_own_agent(clock, org, make_member, assessor, approver):
    oscar = make_member(org, "approver", username="oscar")
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Quote bot", "owner": "oscar"}
    )
    live = to_production(agent, assessor, approver)
    post(live, assessor)
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, oscar)

    assert codes(error.value) == ["owner_cannot_decide"]
    assert advance(live, approver).to_horizon == "scaling"


@pytest.mark.parametrize("role", ["admin", "assessor", "operator", "viewer"])
def test_only_an_approver_may_advance(role, org, make_member, live, clock, operator):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)
    member = make_member(org, role, username=f"only-{role}")

    with pytest.raises(Forbidden):
        advance(live, member)

    assert HorizonDecision.objects.count() == 0


@pytest.mark.parametrize("rationale", ["", "   ", None, 42])
def test_an_advance_needs_a_rationale(rationale, live, clock, operator, approver):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(InvalidInput) as error:
        advance(live, approver, rationale=rationale)

    assert list(error.value.errors) == ["rationale"]
    assert HorizonDecision.objects.count() == 0


def test_an_agent_not_in_production_cannot_advance(agent, clock, assessor, approver, operator):
    post(agent, operator)

    with pytest.raises(Conflict) as error:
        advance(agent, approver)

    assert codes(error.value) == ["not_in_production"]


def test_phase_4_in_review_takes_the_agent_out_of_production_for_advances(
    live, clock, operator, approver, admin
):
    post(live, operator)
    ms.thresholds_update(agent=live, membership=admin, data={"alert_quality_min": 0.8})
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    assert codes(error.value) == ["not_in_production"]


def test_a_custom_stabilization_minimum_is_used(live, clock, operator, approver, admin):
    ms.thresholds_update(
        agent=live,
        membership=admin,
        data={"stabilization_weeks": 2, "stabilization_reason": "Replaces a proven agent."},
    )
    post(live, operator)
    clock.move_to(T0 + timedelta(weeks=2))

    assert advance(live, approver).to_horizon == "scaling"


def test_a_fixed_error_threshold_is_used_by_the_advance(live, clock, operator, approver, admin):
    ms.thresholds_update(
        agent=live,
        membership=admin,
        data={"advance_error_mode": "fixed", "advance_error_max": 0.01},
    )
    post(live, operator)  # errors 2 % <= the 5 % baseline, but > 1 %
    clock.move_to(T0 + EIGHT_WEEKS)

    with pytest.raises(Conflict) as error:
        advance(live, approver)

    (reason,) = error.value.reasons
    assert reason.extra == {"figure": "error_rate", "value": 0.02, "threshold": 0.01}


def test_scaling_advances_to_optimization_and_optimization_is_final(
    live, clock, operator, approver
):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)
    advance(live, approver)

    # scaling has no minimum: the next advance may follow at once
    second = advance(live, approver)
    assert (second.from_horizon, second.to_horizon) == ("scaling", "optimization")
    assert fresh(live).horizon == "optimization"

    with pytest.raises(Conflict) as error:
        advance(live, approver)
    assert codes(error.value) == ["final_horizon"]
    assert HorizonDecision.objects.count() == 2


def test_horizon_decisions_are_append_only(live, clock, operator, approver):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)
    decision = advance(live, approver)

    decision.rationale = "Rewritten"
    with pytest.raises(RuntimeError):
        decision.save()

    assert HorizonDecision.objects.get().rationale == "Figures held for the whole period."


def test_the_advance_history_is_kept(live, clock, operator, approver):
    post(live, operator)
    clock.move_to(T0 + EIGHT_WEEKS)
    advance(live, approver)
    clock.move_to(T0 + EIGHT_WEEKS + timedelta(days=1))
    advance(live, approver)

    assert [(d.from_horizon, d.to_horizon) for d in live.horizon_decisions.all()] == [
        ("scaling", "optimization"),
        ("stabilization", "scaling"),
    ]


# --- breaches while already stopped ----------------------------------------------------------


def test_a_breach_during_a_drill_keeps_the_agent_stopped_after_the_drill(agent, operator):
    drill = killswitch_services.drill_start(agent=agent, membership=operator)
    post(agent, operator, **BREACHING)

    # refusing to end the drill would also keep it stopped
    with contextlib.suppress(Conflict):
        killswitch_services.drill_end(agent=agent, drill=drill, membership=operator)

    assert fresh(agent).state == "suspended"


def test_the_operators_are_told_whatever_the_agents_name(
    assessor, operator, owner, django_capture_on_commit_callbacks, worker_sends_email
):
    try:
        agent = overview_services.agent_create(
            membership=assessor, data={"name": "Refund\nbot", "owner": "olga"}
        )
    except InvalidInput:
        return  # refusing such a name up front also fixes it

    with django_capture_on_commit_callbacks(execute=True):
        post(agent, operator, **BREACHING)

    assert len(mail.outbox) == 1
