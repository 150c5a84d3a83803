"""The outcome pages (outcomes/views.py, outcomes/snapshot_views.py): the metrics page with its
horizon and charts, posting a snapshot in a form or by CSV upload, thresholds, horizon advances,
risk assessments, the organization's permissions to review, query counts and tenancy (another
organization's agent is a 404 on every URL)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent, RiskAssessment, ToolPermission
from assessments import services as assessment_services
from audit.models import AuditEntry
from audit.services import audit_verify
from gates import services as gates_services
from gates.checklists import PHASES
from gates.models import Gate
from outcomes import metrics
from outcomes import services as ms
from outcomes.models import AgentThresholds, HorizonDecision, MetricSnapshot
from overview import services as overview_services
from tests.conftest import scores_of
from tests.helpers import provide_evidence

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 9, 0, 0, tzinfo=UTC)  # a Monday after the periods posted


@pytest.fixture(autouse=True)
def audit_chain_still_verifies(db):
    yield
    assert audit_verify() == []


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def owner(org, make_member):
    return make_member(org, "viewer", username="olga")


def make_agent(assessor, name="Refund bot", tools=None):
    return overview_services.agent_create(
        membership=assessor,
        data={
            "name": name,
            "business_unit": "Support",
            "owner": "olga",
            "tool_permissions": tools
            if tools is not None
            else [
                {"tool": "payments", "access": "write", "justification": "Issues refunds"},
                {"tool": "crm", "access": "read", "justification": "Looks up customers"},
            ],
        },
    )


@pytest.fixture
def agent(assessor, owner):
    return make_agent(assessor)


def fresh(agent) -> Agent:
    return Agent.objects.get(pk=agent.pk)


def snapshot(**overrides) -> dict:
    """A healthy snapshot (API values): completion 95%, escalations 5%, errors 2%."""
    return {
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
        **overrides,
    }


def form_data(**overrides) -> dict:
    """The same snapshot as the form takes it: the baseline error rate as a percentage."""
    data = {**snapshot(), "baseline_error_rate": "5", **overrides}
    return {k: "" if v is None else str(v) for k, v in data.items()}


def post_snapshot(agent, membership, **overrides):
    return ms.metric_snapshot_post(agent=agent, membership=membership, data=snapshot(**overrides))


def months(agent, membership, count: int, start=date(2023, 1, 1)):
    day = start
    for _ in range(count):
        end = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        post_snapshot(agent, membership, period_start=day.isoformat(), period_end=end.isoformat())
        day = end + timedelta(days=1)


def to_production(agent, assessor, approver):
    assessment = assessment_services.assessment_create(membership=assessor, title="Readiness")
    assessment_services.assessment_set_scores(
        assessment=assessment, membership=assessor, scores=scores_of(4, 4, 4, 4)
    )
    assessment_services.assessment_submit(assessment=assessment, membership=assessor)
    for phase in PHASES:
        provide_evidence(agent, phase)
        gates_services.gate_decide(
            agent=agent, phase=phase, membership=approver, decision="go", rationale="Reviewed."
        )
    return fresh(agent)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def live(clock, agent, assessor, approver):
    """In production since T0 (phase 4's go), in stabilization."""
    return to_production(agent, assessor, approver)


def html(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def csv_file(text: str, name="metrics.csv", bom=False) -> SimpleUploadedFile:
    data = ("\ufeff" + text if bom else text).encode("utf-8")
    return SimpleUploadedFile(name, data, content_type="text/csv")


HEADER = ",".join(metrics.REQUIRED_FIELDS)


def csv_row(**overrides) -> str:
    values = snapshot(**overrides)
    return ",".join(str(values[name]) for name in metrics.REQUIRED_FIELDS)


def age_permissions(days: int, **filters):
    ToolPermission.objects.filter(**filters).update(
        created_at=datetime.now(tz=UTC) - timedelta(days=days)
    )


# --------------------------------------------------------------------------- every page renders


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("outcomes:agent", "viewer"),
        ("outcomes:thresholds", "viewer"),
        ("outcomes:new", "assessor"),
        ("outcomes:upload", "operator"),
        ("registry:risk_new", "approver"),
    ],
)
def test_every_agent_page_renders_for_a_member_with_the_role(
    name, role, agent, org, make_member, client_for
):
    member = make_member(org, role, username=f"only-{role}")

    response = client_for(member).get(reverse(name, args=[agent.pk]))

    assert response.status_code == 200
    assert agent.name in html(response)


@pytest.mark.parametrize("role", ["viewer", "approver", "operator"])
def test_the_permissions_page_renders_for_every_member(role, agent, org, make_member, client_for):
    member = make_member(org, role, username=f"only-{role}")

    response = client_for(member).get(reverse("registry:permissions"))

    assert response.status_code == 200
    assert "Permissions to review" in html(response)


def test_the_metrics_page_without_a_snapshot_explains_how_to_post_one(agent, viewer, client_for):
    response = client_for(viewer).get(reverse("outcomes:agent", args=[agent.pk]))

    page = html(response)
    assert "No metric snapshot yet" in page
    assert f"/api/v1/agents/{agent.pk}/metrics" in page
    assert "Authorization: Bearer $READINESS_TOKEN" in page
    assert "Not in production" in page
    assert page.count("chart-empty") == 2  # both charts show their empty state


def test_the_metrics_page_shows_the_latest_figures_as_percentages_against_people(
    agent, operator, viewer, client_for
):
    post_snapshot(agent, operator, period_start="2026-01-01", period_end="2026-01-31", errors=9)
    post_snapshot(agent, operator)  # the latest: errors 2 of 100, people 5%

    page = html(client_for(viewer).get(reverse("outcomes:agent", args=[agent.pk])))

    latest = page.split('id="outcomes"')[1].split("</section>")[0]
    assert "95%" in latest  # completion
    assert "5%" in latest  # escalation
    assert "2%" in latest  # error rate
    assert "3 percentage points better than people" in latest
    # cost per resolved case 190 / 95 = 2.00 against people's 4.00: 50% cheaper
    assert "2.00" in latest
    assert "50% cheaper than people" in latest
    # cycle time 60 s against 240 s: 75% faster
    assert "75% faster than people" in latest
    assert "<svg" in page
    assert page.count('class="table-danger breached"') == 0


def test_a_figure_without_a_denominator_is_a_dash_with_a_reason(
    agent, operator, viewer, client_for
):
    post_snapshot(agent, operator, tasks=0, tasks_completed=0, escalations=0, errors=0)

    page = html(client_for(viewer).get(reverse("outcomes:agent", args=[agent.pk])))

    assert 'title="No tasks in this period: the rate has no denominator."' in page
    assert 'title="No task was completed in this period' in page


# --------------------------------------------------------------------------- one snapshot


def test_the_form_posts_a_snapshot_with_the_rate_as_a_fraction(agent, assessor, client_for):
    client = client_for(assessor)

    response = client.post(
        reverse("outcomes:new", args=[agent.pk]),
        form_data(failed_tool_calls="1", quality_score="0.9"),
        follow=True,
    )

    snap = MetricSnapshot.objects.get()
    assert response.redirect_chain[-1][0] == reverse("outcomes:agent", args=[agent.pk])
    assert snap.period_start == date(2026, 3, 1)
    assert (snap.tasks, snap.tasks_completed, snap.escalations, snap.errors) == (100, 95, 5, 2)
    assert snap.baseline_error_rate == pytest.approx(0.05)
    assert snap.failed_tool_calls == 1
    assert snap.quality_score == pytest.approx(0.9)
    assert snap.policy_violations is None
    assert any("Saved the snapshot" in m for m in messages_of(response))


def test_the_next_snapshot_starts_after_the_latest_with_its_baseline(
    agent, operator, assessor, client_for
):
    post_snapshot(agent, operator)

    page = html(client_for(assessor).get(reverse("outcomes:new", args=[agent.pk])))

    assert 'value="2026-04-01"' in page
    assert "Nothing was saved" not in page
    assert re.search(r'name="baseline_error_rate"[^>]*value="5(\.0)?"', page)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"tasks_completed": "101"}, "tasks_completed", "Cannot exceed tasks (100)."),
        ({"tasks": "-1"}, "tasks", "Must not be negative."),
        ({"period_end": "2026-02-01"}, "period_end", "The period ends before it starts."),
        (
            {"baseline_error_rate": "150"},
            "baseline_error_rate",
            "Enter a percentage from 0 to 100.",
        ),
        ({"cost": ""}, "cost", "This field is required."),
        ({"quality_score": "1.5"}, "quality_score", "Enter a score from 0 to 1"),
        ({"tasks": "2.5"}, "tasks", "Enter a whole number."),
    ],
)
def test_bad_input_shows_the_error_beside_the_field_and_saves_nothing(
    agent, assessor, client_for, overrides, field, message
):
    before = AuditEntry.objects.count()

    response = client_for(assessor).post(
        reverse("outcomes:new", args=[agent.pk]), form_data(**overrides)
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field][0].startswith(message)
    page = html(response)
    assert f'id="error_1_id_{field}"' in page  # crispy's error beside the field
    assert "Nothing was saved" in page
    assert MetricSnapshot.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_every_error_shows_at_once_including_those_across_fields(agent, assessor, client_for):
    response = client_for(assessor).post(
        reverse("outcomes:new", args=[agent.pk]),
        form_data(cost="", tasks_completed="101", period_end="2026-02-01"),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["cost"] == ["This field is required."]
    assert errors["tasks_completed"] == ["Cannot exceed tasks (100)."]
    assert errors["period_end"] == ["The period ends before it starts."]
    assert MetricSnapshot.objects.count() == 0


def test_a_breaching_snapshot_suspends_the_agent_and_says_so_in_red(agent, assessor, client_for):
    response = client_for(assessor).post(
        reverse("outcomes:new", args=[agent.pk]), form_data(errors="20"), follow=True
    )

    assert fresh(agent).is_suspended
    page = html(response)
    assert (
        "Alert threshold crossed: Error rate 20% is above 10%. Refund bot was suspended "
        "automatically." in page
    )
    assert 'class="alert alert-danger" role="alert">Alert threshold crossed' in page
    assert 'class="table-danger breached"' in page  # the snapshot's row is highlighted


@pytest.mark.parametrize("role", ["viewer", "approver"])
def test_a_member_without_the_role_may_not_post_and_nothing_is_saved(
    role, agent, org, make_member, client_for
):
    client = client_for(make_member(org, role, username=f"only-{role}"))
    url = reverse("outcomes:new", args=[agent.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, form_data()).status_code == 403
    assert client.get(reverse("outcomes:upload", args=[agent.pk])).status_code == 403
    assert MetricSnapshot.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"period_start": "2026-05-01", "period_end": "2026-05-05"},
            "period_end",
            "The period ends after today (2026-05-04): post a period once it has ended.",
        ),
        (
            {"period_start": "1999-12-31", "period_end": "2000-01-31"},
            "period_start",
            "The period starts before 2000-01-01: check the year of the first day.",
        ),
    ],
)
def test_a_period_ending_tomorrow_or_starting_before_2000_shows_beside_its_field(
    agent, assessor, client_for, overrides, field, message
):
    with time_machine.travel("2026-05-04 12:00:00Z", tick=False):
        response = client_for(assessor).post(
            reverse("outcomes:new", args=[agent.pk]), form_data(**overrides)
        )

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert f'id="error_1_id_{field}"' in html(response)
    assert MetricSnapshot.objects.count() == 0


def test_a_period_ending_today_or_starting_in_2000_is_saved_from_the_form(
    agent, assessor, client_for
):
    client = client_for(assessor)
    with time_machine.travel("2026-05-04 12:00:00Z", tick=False):
        today = form_data(period_start="2026-05-01", period_end="2026-05-04")
        assert client.post(reverse("outcomes:new", args=[agent.pk]), today).status_code == 302
        early = form_data(period_start="2000-01-01", period_end="2000-01-31")
        assert client.post(reverse("outcomes:new", args=[agent.pk]), early).status_code == 302

    assert MetricSnapshot.objects.count() == 2


def test_an_overlapping_period_shows_beside_period_start_and_saves_nothing(
    agent, assessor, client_for
):
    post_snapshot(agent, assessor)  # March
    client = client_for(assessor)

    touching = client.post(
        reverse("outcomes:new", args=[agent.pk]),
        form_data(period_start="2026-03-31", period_end="2026-04-30"),
    )

    assert touching.status_code == 400
    assert touching.context["form"].errors["period_start"] == [
        "The period overlaps the existing snapshot (2026-03-01 to 2026-03-31): choose dates "
        "outside it (both days count, so start the day after it ends)."
    ]
    assert 'id="error_1_id_period_start"' in html(touching)
    assert MetricSnapshot.objects.count() == 1
    adjacent = client.post(
        reverse("outcomes:new", args=[agent.pk]),
        form_data(period_start="2026-04-01", period_end="2026-04-30"),
    )
    assert adjacent.status_code == 302
    assert MetricSnapshot.objects.count() == 2


# --------------------------------------------------------------------------- CSV upload


def upload(client, agent, text, **kwargs):
    return client.post(
        reverse("outcomes:upload", args=[agent.pk]), {"file": csv_file(text, **kwargs)}
    )


def test_a_csv_with_a_bad_row_is_previewed_with_its_error_and_saves_nothing(
    agent, operator, client_for
):
    text = "\n".join(
        [
            HEADER,
            csv_row(),
            csv_row(period_start="2026-04-01", period_end="2026-04-30", tasks_completed=120),
            csv_row(period_start="2026-05-01", period_end="2026-05-31"),
        ]
    )

    response = upload(client_for(operator), agent, text)

    assert response.status_code == 200
    page = html(response)
    assert "Fix the file and upload it again: nothing was saved" in page
    bad = page.split('data-row="2"')[1].split("</tr>")[0]
    assert "Tasks completed:</strong> Cannot exceed tasks (100)." in bad
    good = page.split('data-row="1"')[1].split("</tr>")[0]
    assert "completion 95%" in good
    assert "Save 3 snapshots" not in page
    assert 'name="token"' not in page
    assert MetricSnapshot.objects.count() == 0


def test_the_preview_names_each_row_whose_period_is_refused(agent, operator, client_for):
    post_snapshot(agent, operator)  # March
    text = "\n".join(
        [
            HEADER,
            csv_row(period_start="2026-04-01", period_end="2026-05-04"),  # ends today
            csv_row(period_start="2026-05-05", period_end="2026-05-05"),  # tomorrow
            csv_row(period_start="1999-12-31", period_end="2000-01-31"),
            csv_row(period_start="2026-02-01", period_end="2026-03-01"),  # touches March
            csv_row(period_start="2000-01-01", period_end="2000-01-31"),
            csv_row(period_start="2000-01-31", period_end="2000-02-29"),  # touches row 5
        ]
    )

    with time_machine.travel("2026-05-04 12:00:00Z", tick=False):
        response = upload(client_for(operator), agent, text)

    page = html(response)
    row = lambda n: page.split(f'data-row="{n}"')[1].split("</tr>")[0]  # noqa: E731
    assert "completion 95%" in row(1)
    assert "Period end:</strong> The period ends after today (2026-05-04)" in row(2)
    assert "Period start:</strong> The period starts before 2000-01-01" in row(3)
    assert "Period start:</strong> The period overlaps the existing snapshot (2026-03-01" in row(4)
    assert "completion 95%" in row(5)
    assert "Period start:</strong> The period overlaps row 5 of the file (2000-01-01" in row(6)
    assert 'name="token"' not in page
    assert MetricSnapshot.objects.count() == 1


def test_a_period_posted_between_preview_and_confirmation_saves_nothing(
    agent, operator, client_for
):
    client = client_for(operator)
    text = "\n".join([HEADER, csv_row(period_start="2026-01-01", period_end="2026-01-31"),
                      csv_row()])  # fmt: skip
    preview = upload(client, agent, text)
    post_snapshot(agent, operator, period_start="2026-03-31", period_end="2026-04-30")

    response = client.post(
        reverse("outcomes:upload", args=[agent.pk]), {"token": preview.context["token"]}
    )

    assert response.status_code == 400
    bad = html(response).split('data-row="2"')[1].split("</tr>")[0]
    assert "overlaps the existing snapshot (2026-03-31 to 2026-04-30)" in bad
    assert MetricSnapshot.objects.count() == 1


def test_a_good_csv_is_saved_whole_on_confirmation(agent, operator, client_for):
    client = client_for(operator)
    text = "\n".join(
        [
            HEADER,
            csv_row(period_start="2026-01-01", period_end="2026-01-31"),
            csv_row(period_start="2026-02-01", period_end="2026-02-28"),
            csv_row(period_start="2026-03-01", period_end="2026-03-31"),
        ]
    )

    preview = upload(client, agent, text, bom=True)

    assert MetricSnapshot.objects.count() == 0  # a preview saves nothing
    assert "Save 3 snapshots" in html(preview)
    token = preview.context["token"]
    response = client.post(
        reverse("outcomes:upload", args=[agent.pk]), {"token": token}, follow=True
    )
    assert MetricSnapshot.objects.filter(agent=agent).count() == 3
    assert "Saved 3 snapshots from metrics.csv." in messages_of(response)
    # The token is spent: confirming twice saves nothing more.
    again = client.post(reverse("outcomes:upload", args=[agent.pk]), {"token": token}, follow=True)
    assert MetricSnapshot.objects.count() == 3
    assert any("no longer waiting" in m for m in messages_of(again))


def test_a_breaching_csv_warns_before_and_suspends_on_confirmation(agent, operator, client_for):
    client = client_for(operator)
    text = "\n".join([HEADER, csv_row(errors=30)])

    preview = upload(client, agent, text)
    assert "Saving will suspend Refund bot" in html(preview)
    response = client.post(
        reverse("outcomes:upload", args=[agent.pk]),
        {"token": preview.context["token"]},
        follow=True,
    )

    assert fresh(agent).is_suspended
    assert (
        "Alert threshold crossed: Error rate 30% is above 10%. Refund bot was suspended "
        "automatically." in messages_of(response)
    )


def test_a_token_of_another_agent_saves_nothing(agent, assessor, operator, client_for):
    other = make_agent(assessor, name="Other bot")
    client = client_for(operator)
    preview = upload(client, agent, "\n".join([HEADER, csv_row()]))

    client.post(reverse("outcomes:upload", args=[other.pk]), {"token": preview.context["token"]})

    assert MetricSnapshot.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (HEADER + "\n" + csv_row(), "metrics.txt", "Upload a .csv file"),
        ("tasks,bananas\n1,2", "metrics.csv", "Unknown column bananas"),
        (HEADER + "\n", "metrics.csv", "The file has a header but no data rows."),
    ],
)
def test_a_file_that_cannot_be_previewed_is_refused_beside_the_field(
    agent, operator, client_for, content, name, message
):
    response = upload(client_for(operator), agent, content, name=name)

    assert response.status_code == 400
    assert any(e.startswith(message) for e in response.context["form"].errors["file"])
    assert MetricSnapshot.objects.count() == 0


def test_a_file_that_is_not_utf8_or_too_big_is_refused(agent, operator, client_for):
    client = client_for(operator)
    url = reverse("outcomes:upload", args=[agent.pk])

    latin = client.post(url, {"file": SimpleUploadedFile("m.csv", "período\n1".encode("latin-1"))})
    big = client.post(url, {"file": SimpleUploadedFile("m.csv", b"a" * (2 * 1024 * 1024 + 1))})

    assert "not UTF-8" in latin.context["form"].errors["file"][0]
    assert "at most 2 MB" in big.context["form"].errors["file"][0]


def test_the_csv_template_downloads_with_a_header_and_a_valid_example(viewer, client_for):
    response = client_for(viewer).get(reverse("outcomes:template"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    header, example = text.strip().splitlines()
    assert header.split(",") == list(metrics.ALL_FIELDS)
    preview = ms.csv_preview(ms.parse_csv(text), today=timezone.now().date())
    assert len(preview) == 1
    assert preview[0]["errors"] == {}
    assert example.startswith("2025-01-01,2025-01-31,")


# --------------------------------------------------------------------------- thresholds


def threshold_form(**overrides) -> dict:
    data = {
        "advance_completion_min": "90",
        "advance_escalation_max": "10",
        "advance_error_mode": "baseline",
        "advance_error_max": "",
        "alert_error_rate_max": "10",
        "alert_escalation_max": "30",
        "alert_completion_min": "50",
        "alert_failed_tool_calls_max": "5",
        "alert_policy_violations_max": "0",
        "alert_quality_min": "0.7",
        "alert_unregistered_tool_use": "on",  # a ticked box, as the page renders it
        "alert_error_rate_on": "on",
        "alert_escalation_on": "on",
        "alert_completion_on": "on",
        "alert_quality_on": "on",
        "auto_suspend": "on",
        "budget_alert_percent": "80",
        "stabilization_weeks": "8",
    }
    data.update(overrides)
    return data


def test_every_member_reads_the_thresholds_but_cannot_change_them(agent, viewer, client_for):
    client = client_for(viewer)
    url = reverse("outcomes:thresholds", args=[agent.pk])

    page = html(client.get(url))
    response = client.post(url, threshold_form(advance_completion_min="80"))

    assert 'value="90"' in page
    assert "disabled" in page
    assert "Save thresholds" not in page
    assert response.status_code == 403
    assert not AgentThresholds.objects.filter(agent=agent).exists()


def test_an_admin_changes_thresholds_entered_as_percentages(agent, admin, client_for):
    response = client_for(admin).post(
        reverse("outcomes:thresholds", args=[agent.pk]),
        threshold_form(
            advance_completion_min="85",
            advance_error_mode="fixed",
            advance_error_max="3",
            stabilization_weeks="6",
            stabilization_confirm="on",
            stabilization_reason="A small internal pilot.",
        ),
        follow=True,
    )

    row = AgentThresholds.objects.get(agent=agent)
    assert row.advance_completion_min == pytest.approx(0.85)
    assert row.advance_error_mode == "fixed"
    assert row.advance_error_max == pytest.approx(0.03)
    assert row.stabilization_weeks == 6
    assert row.alert_error_rate_max == pytest.approx(0.10)
    assert "Saved the thresholds of “Refund bot”." in messages_of(response)
    entry = AuditEntry.objects.get(action="agent.thresholds_changed")
    assert set(entry.after) == {
        "advance_completion_min",
        "advance_error_mode",
        "advance_error_max",
        "stabilization_weeks",
        "stabilization_reason",
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"alert_error_rate_max": "150"}, "alert_error_rate_max", "Enter a percentage from 0"),
        ({"advance_completion_min": "-1"}, "advance_completion_min", "Enter a percentage from 0"),
        ({"alert_quality_min": "2"}, "alert_quality_min", "Enter a score from 0 to 1"),
        ({"stabilization_weeks": "1001"}, "stabilization_weeks", "Enter a whole number of weeks"),
        ({"advance_error_mode": "fixed"}, "advance_error_max", "Give the fixed error rate"),
    ],
)
def test_an_out_of_range_threshold_is_an_error_beside_its_field(
    agent, admin, client_for, overrides, field, message
):
    response = client_for(admin).post(
        reverse("outcomes:thresholds", args=[agent.pk]), threshold_form(**overrides)
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field][0].startswith(message)
    assert f'id="error_1_id_{field}"' in html(response)
    assert not AgentThresholds.objects.filter(agent=agent).exists()


def test_unchanged_thresholds_change_nothing(agent, admin, client_for):
    response = client_for(admin).post(
        reverse("outcomes:thresholds", args=[agent.pk]), threshold_form(), follow=True
    )

    assert "Nothing changed in the thresholds." in messages_of(response)
    assert not AuditEntry.objects.filter(action="agent.thresholds_changed").exists()


def test_an_admin_switches_automatic_suspension_off_and_phase_4_goes_to_review(
    live, admin, client_for
):
    data = threshold_form()
    del data["auto_suspend"]  # the box unticked
    response = client_for(admin).post(
        reverse("outcomes:thresholds", args=[live.pk]), data, follow=True
    )

    assert AgentThresholds.objects.get(agent=live).auto_suspend is False
    gate = Gate.objects.get(agent=live, phase=4)
    assert gate.state == "needs_review"
    assert "Thresholds suspend the agent automatically" in gate.review_reason
    assert "Saved the thresholds" in " ".join(messages_of(response))


def test_an_empty_budget_alert_switches_it_off_and_a_bad_one_is_refused(agent, admin, client_for):
    client = client_for(admin)
    url = reverse("outcomes:thresholds", args=[agent.pk])

    response = client.post(url, threshold_form(budget_alert_percent="150"))
    assert response.status_code == 400
    assert "from 1 to 100" in response.content.decode()
    assert not AgentThresholds.objects.filter(agent=agent).exists()

    client.post(url, threshold_form(budget_alert_percent=""))
    assert AgentThresholds.objects.get(agent=agent).budget_alert_percent is None


def test_changing_an_alert_threshold_sends_phase_4_at_go_to_needs_review(live, admin, client_for):
    response = client_for(admin).post(
        reverse("outcomes:thresholds", args=[live.pk]),
        threshold_form(alert_error_rate_max="12"),
        follow=True,
    )

    assert Gate.objects.get(agent=live, phase=4).state == "needs_review"
    assert any("Phase 4 was at go" in m for m in messages_of(response))


# --------------------------------------------------------------------------- horizons


def test_the_advance_is_refused_with_every_reason_shown_before_pressing(live, approver, client_for):
    page = html(client_for(approver).get(reverse("outcomes:agent", args=[live.pk])))

    blockers = page.split('id="advance-blockers"')[1].split("</div>")[0]
    assert "Stabilization lasts at least 8 weeks" in blockers
    assert "No metric snapshot yet" in blockers
    assert "Advance to scaling" in page


def test_a_refused_advance_lists_the_reasons_and_records_nothing(
    live, clock, operator, approver, client_for
):
    post_snapshot(live, operator, escalations=20)  # escalation 20% > 10%

    response = client_for(approver).post(
        reverse("outcomes:horizon_advance", args=[live.pk]), {"rationale": "Looks fine."}
    )

    assert response.status_code == 409
    refusal = html(response).split('id="refusal"')[1].split("</div>")[0]
    assert "Stabilization lasts at least 8 weeks" in refusal
    assert "The escalation frequency 20.0% is above the maximum of 10.0%." in refusal
    assert not HorizonDecision.objects.exists()
    assert fresh(live).horizon == "stabilization"


def test_an_advance_needs_a_rationale(live, approver, client_for):
    response = client_for(approver).post(
        reverse("outcomes:horizon_advance", args=[live.pk]), {"rationale": "  "}
    )

    assert response.status_code == 400
    assert "Write the rationale for this advance." in html(response)
    assert not HorizonDecision.objects.exists()


def test_an_approver_advances_once_the_figures_and_weeks_allow(
    live, clock, operator, approver, viewer, client_for
):
    clock.move_to(T0 + timedelta(weeks=8))
    post_snapshot(live, operator)

    response = client_for(approver).post(
        reverse("outcomes:horizon_advance", args=[live.pk]),
        {"rationale": "Eight weeks within thresholds."},
        follow=True,
    )

    assert fresh(live).horizon == "scaling"
    assert "“Refund bot” advanced from stabilization to scaling." in messages_of(response)
    page = html(client_for(viewer).get(reverse("outcomes:agent", args=[live.pk])))
    history = page.split('id="horizon-decisions"')[1].split("</ul>")[0]
    assert "Stabilization → Scaling" in history
    assert "Eight weeks within thresholds." in history
    assert "completion 95%" in history


def test_a_viewer_may_not_advance_a_horizon(live, viewer, client_for):
    response = client_for(viewer).post(
        reverse("outcomes:horizon_advance", args=[live.pk]), {"rationale": "Please"}
    )

    assert response.status_code == 403
    assert not HorizonDecision.objects.exists()


# --------------------------------------------------------------------------- risk assessments


def test_an_approver_records_a_risk_assessment_listed_on_the_metrics_page(
    agent, approver, client_for
):
    client = client_for(approver)

    response = client.post(
        reverse("registry:risk_new", args=[agent.pk]),
        {"scope": "tool", "subject": "ledger", "assessment": "Read-only; low impact."},
        follow=True,
    )

    record = RiskAssessment.objects.get()
    assert (record.scope, record.subject, record.recorded_by) == ("tool", "ledger", approver.user)
    section = html(response).split('id="risk-assessments"')[1].split("</section>")[0]
    assert "ledger" in section
    assert "Read-only; low impact." in section


def test_a_risk_assessment_needs_every_field(agent, approver, client_for):
    response = client_for(approver).post(reverse("registry:risk_new", args=[agent.pk]), {})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"scope", "subject", "assessment"}
    assert not RiskAssessment.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "assessor", "operator"])
def test_other_roles_may_not_record_a_risk_assessment(role, agent, org, make_member, client_for):
    client = client_for(make_member(org, role, username=f"only-{role}"))
    url = reverse("registry:risk_new", args=[agent.pk])

    assert client.get(url).status_code == 403
    assert client.post(url, {"scope": "tool", "subject": "x", "assessment": "y"}).status_code == 403
    assert not RiskAssessment.objects.exists()


# --------------------------------------------------------------------------- permissions to review


def test_the_permissions_page_lists_only_the_flagged_ones_with_why(agent, approver, client_for):
    age_permissions(120, agent=agent, tool="payments")
    ToolPermission.objects.filter(agent=agent, tool="payments").update(
        last_used=datetime.now(tz=UTC).date() - timedelta(days=10)
    )

    page = html(client_for(approver).get(reverse("registry:permissions")))

    table = page.split('id="permissions"')[1]
    assert "payments" in table
    assert "crm" not in table  # granted today: used and reviewed "since creation"
    assert "Not reviewed for 120 days (never reviewed since it was granted)." in table
    assert "Not used for" not in table
    assert "Mark reviewed" in table
    assert "Revoke" in table


def test_nothing_to_review_is_an_empty_state(agent, viewer, client_for):
    page = html(client_for(viewer).get(reverse("registry:permissions")))

    assert "Nothing to review" in page


def test_an_approver_marks_a_permission_reviewed_with_a_note(agent, approver, client_for):
    age_permissions(200, agent=agent)
    payments = ToolPermission.objects.get(agent=agent, tool="payments")

    response = client_for(approver).post(
        reverse("agents:permission_review", args=[agent.pk, payments.pk]),
        {"action": "mark_reviewed", "confirm": "yes", "note": "Refunds go through it"},
        follow=True,
    )

    payments.refresh_from_db()
    assert payments.last_reviewed == datetime.now(tz=UTC).date()
    assert AuditEntry.objects.filter(action="agent.permission_reviewed").count() == 1
    assert "Marked payments (write) of “Refund bot” reviewed today." in messages_of(response)
    # Still unused for 200 days, so it stays on the list, for that reason only.
    row = html(response).split(f'data-permission="{payments.pk}"')[1].split("</tr>")[0]
    assert "Not used for 200 days" in row
    assert "Not reviewed" not in row


def test_an_approver_revokes_a_permission_in_one_click(agent, approver, client_for):
    age_permissions(200, agent=agent)
    payments = ToolPermission.objects.get(agent=agent, tool="payments")

    response = client_for(approver).post(
        reverse("agents:permission_review", args=[agent.pk, payments.pk]),
        {"action": "revoke", "next": reverse("registry:permissions")},
        follow=True,
    )

    assert not ToolPermission.objects.filter(pk=payments.pk).exists()
    assert AuditEntry.objects.filter(action="agent.permission_revoked").count() == 1
    assert "Revoked payments (write) from “Refund bot”." in messages_of(response)
    assert response.redirect_chain[-1][0] == reverse("registry:permissions")


def test_a_review_never_redirects_off_site(agent, approver, client_for):
    age_permissions(200, agent=agent)
    crm = ToolPermission.objects.get(agent=agent, tool="crm")

    response = client_for(approver).post(
        reverse("agents:permission_review", args=[agent.pk, crm.pk]),
        {
            "action": "mark_reviewed",
            "confirm": "yes",
            "note": "Still needed",
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == reverse("registry:permissions")


def test_a_viewer_sees_no_buttons_and_may_not_review(agent, viewer, client_for):
    age_permissions(200, agent=agent)
    payments = ToolPermission.objects.get(agent=agent, tool="payments")
    client = client_for(viewer)

    page = html(client.get(reverse("registry:permissions")))
    response = client.post(
        reverse("agents:permission_review", args=[agent.pk, payments.pk]), {"action": "revoke"}
    )

    assert "payments" in page
    assert "Mark reviewed" not in page
    assert response.status_code == 403
    assert ToolPermission.objects.filter(pk=payments.pk).exists()
    assert not AuditEntry.objects.filter(action__startswith="agent.permission_").exists()


def test_another_organizations_permissions_are_not_listed(
    agent, approver, other_assessor, client_for
):
    overview_services.agent_create(
        membership=other_assessor,
        data={
            "name": "Globex bot",
            "owner": "gus",
            "tool_permissions": [{"tool": "globex-secret-tool", "access": "admin"}],
        },
    )
    age_permissions(200)

    page = html(client_for(approver).get(reverse("registry:permissions")))

    assert "payments" in page
    assert "globex-secret-tool" not in page


# --------------------------------------------------------------------------- query counts


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_metrics_page_reads_a_constant_number_of_queries(
    agent, operator, approver, client_for, django_assert_max_num_queries
):
    client = client_for(approver)
    url = reverse("outcomes:agent", args=[agent.pk])
    months(agent, operator, 2)
    RiskAssessment.objects.create(
        agent=agent, scope="tool", subject="a", assessment="b", recorded_by=approver.user
    )
    few = count_queries(client, url)

    months(agent, operator, 34, start=date(2023, 3, 1))  # 36 months in all
    for n in range(5):
        RiskAssessment.objects.create(
            agent=agent, scope="tool", subject=f"s{n}", assessment="b", recorded_by=approver.user
        )

    assert count_queries(client, url) == few
    with django_assert_max_num_queries(few):
        response = client.get(url + "?page=2")
    assert len(response.context["rows"]) == 11  # 36 = 25 + 11


def test_the_permissions_page_reads_a_constant_number_of_queries(
    assessor, owner, approver, client_for, django_assert_max_num_queries
):
    client = client_for(approver)
    url = reverse("registry:permissions")
    for n in range(2):
        make_agent(assessor, name=f"Agent {n}", tools=[{"tool": "t", "access": "read"}])
    age_permissions(200)
    few = count_queries(client, url)

    for n in range(2, 20):
        make_agent(
            assessor,
            name=f"Agent {n}",
            tools=[{"tool": f"tool-{k}", "access": "write"} for k in range(5)],
        )
    for n in range(2):
        overview_services.agent_update(
            agent=Agent.objects.get(name=f"Agent {n}"),
            membership=assessor,
            data={"tool_permissions": [{"tool": f"tool-{k}", "access": "read"} for k in range(5)]},
        )
    age_permissions(200)
    assert ToolPermission.objects.count() == 100

    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert len(response.context["items"]) == 100


# --------------------------------------------------------------------------- tenancy


def agent_urls(agent, permission) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("outcomes:agent", args=[agent.pk]), {}),
        ("post", reverse("outcomes:horizon_advance", args=[agent.pk]), {"rationale": "x"}),
        ("get", reverse("outcomes:new", args=[agent.pk]), {}),
        ("post", reverse("outcomes:new", args=[agent.pk]), form_data()),
        ("get", reverse("outcomes:upload", args=[agent.pk]), {}),
        ("post", reverse("outcomes:upload", args=[agent.pk]), {"token": "x"}),
        ("get", reverse("outcomes:thresholds", args=[agent.pk]), {}),
        ("post", reverse("outcomes:thresholds", args=[agent.pk]), threshold_form()),
        ("get", reverse("registry:risk_new", args=[agent.pk]), {}),
        (
            "post",
            reverse("registry:risk_new", args=[agent.pk]),
            {"scope": "tool", "subject": "x", "assessment": "y"},
        ),
        (
            "post",
            reverse("agents:permission_review", args=[agent.pk, permission.pk]),
            {"action": "revoke"},
        ),
    ]


def test_another_organizations_agent_is_a_404_on_every_url(agent, other_assessor, client_for):
    """Every role in its own organization, and still nothing of Acme's is found or changed."""
    client = client_for(other_assessor)
    permission = agent.tool_permissions.first()
    before = AuditEntry.objects.count()

    for method, url, data in agent_urls(agent, permission):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)

    assert MetricSnapshot.objects.count() == 0
    assert ToolPermission.objects.filter(agent=agent).count() == 2
    assert not RiskAssessment.objects.exists()
    assert not AgentThresholds.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_permission_of_another_agent_is_a_404(agent, assessor, approver, client_for):
    other = make_agent(assessor, name="Other bot", tools=[{"tool": "ledger", "access": "read"}])
    ledger = other.tool_permissions.get()

    response = client_for(approver).post(
        reverse("agents:permission_review", args=[agent.pk, ledger.pk]), {"action": "revoke"}
    )

    assert response.status_code == 404
    assert ToolPermission.objects.filter(pk=ledger.pk).exists()


def test_the_suspension_banner_says_what_the_email_says_never_the_raw_details(
    agent, operator, client_for
):
    post_snapshot(agent, operator, errors=15, period_start="2026-01-01", period_end="2026-01-31")

    page = client_for(operator).get(f"/agents/{agent.pk}/").content.decode()

    assert "Error rate 15.0% is above the alert limit of 10.0%." in page
    assert "Details:" not in page
    assert "breaches" not in page
