"""A stabilization minimum below 8 weeks (issue 17, point 8): it needs a written reason (and, on
the page, a confirmation), the reason is stored and audited, and the short minimum is flagged on
the gate board with the reason as its title (docs/short-stabilization.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agents.models import Agent
from audit.actions import Action
from audit.models import AuditEntry
from core.errors import InvalidInput
from gates.checklists import PHASES
from gates.models import Gate
from outcomes import services as ms
from outcomes.models import AgentThresholds
from reports import services as report_services
from reports.render import report_html
from tests.helpers import make_agent

pytestmark = pytest.mark.django_db

REASON = "Replaces a proven agent on the same work; the owner reviews it daily."


def entries():
    return AuditEntry.objects.filter(action=Action.AGENT_THRESHOLDS_CHANGED)


def update(agent, admin, **data):
    return ms.thresholds_update(agent=agent, membership=admin, data=data)


def refused(agent, admin, **data) -> dict:
    with pytest.raises(InvalidInput) as error:
        update(agent, admin, **data)
    return error.value.errors


# --- the service: the reason is required, stored and audited ----------------------------------


@pytest.mark.parametrize("weeks", [0, 4, 7])
def test_a_minimum_below_8_weeks_without_a_reason_is_refused_naming_it(agent, admin, weeks):
    errors = refused(agent, admin, stabilization_weeks=weeks)

    assert list(errors) == ["stabilization_reason"]
    assert "below 8 weeks" in errors["stabilization_reason"][0]
    assert not AgentThresholds.objects.filter(stabilization_weeks=weeks).exists()
    assert not entries().exists()


@pytest.mark.parametrize("reason", ["", "   ", None, "\u200b\u200b"])
def test_a_blank_or_invisible_reason_does_not_count(agent, admin, reason):
    errors = refused(agent, admin, stabilization_weeks=4, stabilization_reason=reason)

    assert list(errors) == ["stabilization_reason"]
    assert not entries().exists()


@pytest.mark.parametrize(
    ("reason", "words"),
    [(42, "text"), ("x" * 1001, "1000"), ("nul \x00 here", "NUL")],
)
def test_a_reason_that_cannot_be_stored_is_refused(agent, admin, reason, words):
    errors = refused(agent, admin, stabilization_weeks=4, stabilization_reason=reason)

    assert words in errors["stabilization_reason"][0]


def test_a_short_minimum_with_its_reason_is_stored_and_audited(agent, admin):
    row = update(agent, admin, stabilization_weeks=4, stabilization_reason=f"  {REASON} ")

    assert row.stabilization_weeks == 4
    assert row.stabilization_reason == REASON
    assert row.stabilization_short is True
    entry = entries().get()
    assert entry.before == {"stabilization_weeks": 8, "stabilization_reason": ""}
    assert entry.after == {"stabilization_weeks": 4, "stabilization_reason": REASON}


def test_8_weeks_or_more_needs_no_reason_and_refuses_one(agent, admin):
    assert update(agent, admin, stabilization_weeks=8).stabilization_reason == ""
    assert update(agent, admin, stabilization_weeks=12, stabilization_reason="").pk

    errors = refused(agent, admin, stabilization_weeks=10, stabilization_reason=REASON)

    assert "Only a stabilization minimum below 8 weeks" in errors["stabilization_reason"][0]


def test_back_to_the_usual_minimum_the_reason_is_cleared_and_audited(agent, admin):
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    row = update(agent, admin, stabilization_weeks=8)

    assert row.stabilization_reason == ""
    last = entries().order_by("-id").first()
    assert last.before == {"stabilization_weeks": 4, "stabilization_reason": REASON}
    assert last.after == {"stabilization_weeks": 8, "stabilization_reason": ""}


def test_another_short_value_needs_a_reason_again(agent, admin):
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    assert list(refused(agent, admin, stabilization_weeks=2)) == ["stabilization_reason"]

    update(agent, admin, stabilization_weeks=6, stabilization_reason=REASON)
    last = entries().order_by("-id").first()
    # the reason is unchanged but recorded with the new short minimum
    assert last.after == {"stabilization_weeks": 6, "stabilization_reason": REASON}


def test_other_thresholds_change_without_a_reason_while_the_minimum_is_short(agent, admin):
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    row = update(agent, admin, alert_error_rate_max=0.2, stabilization_weeks=4)

    assert row.stabilization_reason == REASON
    assert entries().order_by("-id").first().after == {"alert_error_rate_max": 0.2}


def test_the_reason_alone_can_be_rewritten_but_not_erased(agent, admin):
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    update(agent, admin, stabilization_reason="A shorter pilot agreed with the board.")
    assert list(refused(agent, admin, stabilization_reason="")) == ["stabilization_reason"]

    row = AgentThresholds.objects.get(agent=agent)
    assert row.stabilization_reason == "A shorter pilot agreed with the board."
    assert entries().order_by("-id").first().after == {
        "stabilization_reason": "A shorter pilot agreed with the board."
    }


def test_a_short_minimum_set_before_reasons_were_asked_needs_one_when_sent_again(agent, admin):
    AgentThresholds.objects.create(agent=agent, stabilization_weeks=4)  # no reason stored

    assert list(refused(agent, admin, stabilization_weeks=4)) == ["stabilization_reason"]
    assert update(agent, admin, alert_quality_min=0.8).stabilization_reason == ""


def test_a_bad_weeks_value_is_the_only_error_even_with_a_reason(agent, admin):
    errors = refused(agent, admin, stabilization_weeks="four", stabilization_reason=REASON)

    assert list(errors) == ["stabilization_weeks"]


# --- the page: a confirmation and a reason, both required below 8 weeks -------------------------


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
        "alert_unregistered_tool_use": "on",
        "alert_error_rate_on": "on",
        "alert_escalation_on": "on",
        "alert_completion_on": "on",
        "alert_quality_on": "on",
        "auto_suspend": "on",
        "budget_alert_percent": "80",
        "stabilization_weeks": "8",
        "stabilization_reason": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_form(client, agent, **overrides):
    return client.post(reverse("outcomes:thresholds", args=[agent.pk]), threshold_form(**overrides))


@pytest.mark.parametrize(
    ("confirm", "reason", "fields"),
    [
        (None, "", {"stabilization_confirm", "stabilization_reason"}),
        ("on", "", {"stabilization_reason"}),
        ("on", "   ", {"stabilization_reason"}),
        (None, REASON, {"stabilization_confirm"}),
    ],
)
def test_the_form_needs_both_the_confirmation_and_the_reason(
    agent, admin, client_for, confirm, reason, fields
):
    response = post_form(
        client_for(admin),
        agent,
        stabilization_weeks="4",
        stabilization_confirm=confirm,
        stabilization_reason=reason,
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == fields
    assert not AgentThresholds.objects.filter(agent=agent).exists()
    assert not entries().exists()


def test_the_form_saves_a_short_minimum_with_its_reason_and_shows_it(agent, admin, client_for):
    client = client_for(admin)

    response = post_form(
        client,
        agent,
        stabilization_weeks="4",
        stabilization_confirm="on",
        stabilization_reason=REASON,
    )

    assert response.status_code == 302
    row = AgentThresholds.objects.get(agent=agent)
    assert (row.stabilization_weeks, row.stabilization_reason) == (4, REASON)
    assert entries().get().after == {"stabilization_weeks": 4, "stabilization_reason": REASON}
    page = client.get(reverse("outcomes:thresholds", args=[agent.pk])).content.decode()
    assert "Short stabilization:" in page
    assert REASON in page


def test_the_form_changes_other_thresholds_of_a_short_minimum_without_asking_again(
    agent, admin, client_for
):
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    response = post_form(
        client_for(admin), agent, stabilization_weeks="4", alert_error_rate_max="12"
    )

    assert response.status_code == 302
    row = AgentThresholds.objects.get(agent=agent)
    assert row.alert_error_rate_max == pytest.approx(0.12)
    assert row.stabilization_reason == REASON


def test_a_reason_typed_with_a_usual_minimum_is_not_sent(agent, admin, client_for):
    response = post_form(
        client_for(admin), agent, stabilization_weeks="10", stabilization_reason="x"
    )

    assert response.status_code == 302
    row = AgentThresholds.objects.get(agent=agent)
    assert (row.stabilization_weeks, row.stabilization_reason) == (10, "")


# --- the API: PATCH .../thresholds takes stabilization_reason ----------------------------------


def test_the_api_needs_the_reason_below_8_weeks_and_answers_it(agent, admin, api_for):
    api = api_for(admin)
    url = f"/api/v1/agents/{agent.pk}/thresholds"

    bad = api.patch(url, {"stabilization_weeks": 4})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["stabilization_reason"]
    assert api.get(url).json()["stabilization_weeks"] == 8

    good = api.patch(url, {"stabilization_weeks": 4, "stabilization_reason": REASON})
    assert good.status_code == 200
    assert good.json()["stabilization_reason"] == REASON
    assert api.get(url).json()["stabilization_reason"] == REASON

    back = api.patch(url, {"stabilization_weeks": 8})
    assert back.json()["stabilization_reason"] == ""


# --- the gate board: a badge per short agent, no query per row ---------------------------------


def test_the_board_flags_a_short_stabilization_with_its_reason_as_title(
    agent, assessor, admin, viewer, client_for
):
    usual = make_agent(assessor, name="Usual bot")
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)
    update(usual, admin, stabilization_weeks=9)

    response = client_for(viewer).get("/agents/board/")

    page = response.content.decode()
    assert page.count("(short)</a>") == 1
    assert "stabilization 4 weeks (short)" in page
    assert f'title="{REASON}"' in page
    rows = {row["agent"].name: row for row in response.context["rows"]}
    assert rows["Usual bot"]["short_stabilization"] is None


def _short_agents(org, owner, count):
    agents = Agent.objects.bulk_create(
        Agent(organization=org, name=f"Bot {i:03}", owner=owner, created_by=owner)
        for i in range(count)
    )
    Gate.objects.bulk_create(Gate(agent=a, phase=p) for a in agents for p in PHASES)
    AgentThresholds.objects.bulk_create(
        AgentThresholds(agent=a, stabilization_weeks=i % 8, stabilization_reason=f"why {i}")
        for i, a in enumerate(agents)
    )


def test_the_board_badges_cost_no_query_per_agent(org, assessor, viewer, client_for):
    client = client_for(viewer)
    _short_agents(org, assessor.user, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agents/board/").status_code == 200

    Agent.objects.all().delete()
    _short_agents(org, assessor.user, 200)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/agents/board/")

    assert len(many.captured_queries) <= len(few.captured_queries)
    assert response.content.decode().count("(short)</a>") == 200


def test_the_board_never_shows_another_organizations_thresholds(
    agent, admin, other_assessor, viewer, client_for
):
    theirs = make_agent(other_assessor, name="Theirs", owner="gus")
    update(theirs, other_assessor, stabilization_weeks=2, stabilization_reason="GLOBEX-REASON")

    page = client_for(viewer).get("/agents/board/").content.decode()

    assert "GLOBEX-REASON" not in page


# --- the board pack: the short minimum and its reason in the gates section ---------------------


def test_the_board_pack_names_a_short_stabilization_and_its_reason(
    agent, assessor, admin, viewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    usual = make_agent(assessor, name="Usual bot")
    update(agent, admin, stabilization_weeks=4, stabilization_reason=REASON)

    report = report_services.report_request(membership=viewer)

    agents = {a["name"]: a for a in report.snapshot["agents"]}
    assert agents[agent.name]["short_stabilization"] == {"weeks": 4, "reason": REASON}
    assert agents[usual.name]["short_stabilization"] is None
    html = report_html(report.snapshot)
    assert html.count("Stabilization 4 weeks (short)") == 1
    assert REASON in html
    # a pack frozen before the flag existed still renders, without it
    frozen = report.snapshot["agents"]
    old = {
        **report.snapshot,
        "agents": [{k: v for k, v in a.items() if k != "short_stabilization"} for a in frozen],
    }
    assert "(short)" not in report_html(old)


# --- in a real browser --------------------------------------------------------------------------

PASSWORD = "short-stab-4410"


@pytest.mark.browser
def test_an_admin_shortens_stabilization_in_chromium_and_the_board_flags_it(
    live_server, page, transactional_db, org, make_member
):
    from playwright.sync_api import expect

    sam = make_member(org, "assessor", username="sam")
    ada = make_member(org, "admin", username="ada")
    ada.user.set_password(PASSWORD)
    ada.user.save()
    agent = make_agent(sam, name="Claims triage")

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/agents/{agent.pk}/thresholds/")
    page.fill("input[name=stabilization_weeks]", "4")
    page.get_by_role("button", name="Save thresholds").click()

    expect(page.locator("#error_1_id_stabilization_reason")).to_be_visible()
    expect(page.locator("#error_1_id_stabilization_confirm")).to_be_visible()
    page.screenshot(path="/tmp/short-stabilization-errors.png", full_page=True)
    page.check("input[name=stabilization_confirm]")
    page.fill("textarea[name=stabilization_reason]", REASON)
    page.get_by_role("button", name="Save thresholds").click()

    expect(page.locator("#short-stabilization")).to_contain_text(REASON)
    page.goto(f"{live_server.url}/agents/board/")
    badge = page.locator("a.short-stabilization")
    expect(badge).to_have_text("stabilization 4 weeks (short)")
    expect(badge).to_have_attribute("title", REASON)
    page.screenshot(path="/tmp/short-stabilization-board.png", full_page=True)
