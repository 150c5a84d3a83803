"""My work: what waits for the signed-in member, per role (docs/my-work.md); the count in the
navigation; a number of queries that does not grow with the number of agents."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents.models import Agent, OwnerChange
from assessments.models import Assessment
from gates import services as gates_services
from gates.checklists import PHASES, phase_definition
from gates.models import ChecklistItem, Gate, PromptVersion
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from overview.work_selectors import my_work
from tests.browser.demo_pages import LOGINS, browser_page, seed, sign_in
from tests.conftest import scores_of
from tests.factories import AssessmentFactory, ToolPermissionFactory
from tests.helpers import complete_checklist, go, make_agent, provide_evidence, send_to_review

URL = "/agents/work/"


def work_of(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response.context["work"]


def gate_pairs(work) -> list[tuple[str, int]]:
    return [(item.agent.name, item.phase) for item in work.gates]


# --- who sees which section ---------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_viewer_sees_only_their_own_drafts(org, viewer, assessor, client_for, framework):
    mine = AssessmentFactory(organization=org, created_by=viewer.user, title="Mine")
    AssessmentFactory(organization=org, created_by=assessor.user, title="Sam's")
    AssessmentFactory(organization=org, created_by=viewer.user, submitted=True, title="Done")

    work = work_of(client_for(viewer))

    assert [d.pk for d in work.drafts] == [mine.pk]
    assert work.gates is None
    assert work.suspended is None
    assert work.drills is None
    assert work.permissions is None
    assert not work.looks_at_reassessment
    assert work.count == 1


def test_an_assessor_sees_every_draft_of_the_organization_only(
    org, other_org, assessor, admin, other_assessor, client_for, framework
):
    ours = AssessmentFactory(organization=org, created_by=admin.user, title="Ada's draft")
    AssessmentFactory(organization=other_org, created_by=other_assessor.user, title="GLOBEX")

    response = client_for(assessor).get(URL)

    assert [d.pk for d in response.context["work"].drafts] == [ours.pk]
    html = response.content.decode()
    assert "Ada&#x27;s draft" in html or "Ada's draft" in html
    assert "by ada" in html
    assert "GLOBEX" not in html
    assert f"/assessments/{ours.pk}/step/1/" in html


@pytest.mark.parametrize(
    ("scores", "age_days", "due_codes"),
    [
        (None, 0, ["readiness_missing"]),
        ((4, 4, 4, 4), 10, []),
        ((4, 4, 4, 4), 91, ["readiness_stale"]),
        ((2, 2, 2, 2), 1, ["readiness_not_ready"]),
    ],
)
def test_reassessment_due_for_assessors_and_admins(
    org, assessor, admin, approver, client_for, framework, scores, age_days, due_codes
):
    if scores:
        AssessmentFactory(
            organization=org,
            created_by=assessor.user,
            submitted=True,
            scores=scores_of(*scores),
            submitted_at=timezone.now() - timedelta(days=age_days),
        )

    for member in (assessor, admin):
        work = work_of(client_for(member))
        assert work.looks_at_reassessment
        codes = [r.code for r in work.reassessment.reasons] if work.reassessment else []
        assert codes == due_codes
    # an approver does not look at it
    assert work_of(client_for(approver)).reassessment is None


# --- gates to decide ------------------------------------------------------------------------


@pytest.fixture
def gates_world(org, assessor, approver, make_member):
    """Agents owned by the assessor "sam" unless said: one with phase 1 ready to decide, one
    with an unmet item, one owned by the approver, one with phase 1 at go and phase 2 met."""
    ready = make_agent(assessor, name="Ready")
    complete_checklist(ready, 1, assessor)
    unmet = make_agent(assessor, name="Unmet")
    provide_evidence(unmet, 2)  # evidence elsewhere; phase 1 still lacks its records
    own = make_agent(assessor, name="Own", owner="april")
    complete_checklist(own, 1, assessor)
    second = make_agent(assessor, name="Second")
    go(second, 1, assessor, approver)
    complete_checklist(second, 2, assessor)
    complete_checklist(second, 3, assessor)  # phase 2 not at go: phase 3 is not decidable
    return {"ready": ready, "unmet": unmet, "own": own, "second": second}


def test_an_approver_sees_the_gates_only_a_decision_stands_in_front_of(
    approver, gates_world, client_for
):
    response = client_for(approver).get(URL)

    assert gate_pairs(response.context["work"]) == [("Ready", 1), ("Second", 2)]
    html = response.content.decode()
    assert f'href="/agents/{gates_world["ready"].pk}/gates/1/"' in html
    assert "Own" not in html


def test_a_gate_owned_by_the_approver_is_left_to_another_approver(
    org, gates_world, make_member, client_for
):
    zed = make_member(org, "approver", username="zed")
    april = Agent.objects.get(name="Own").owner

    names = gate_pairs(work_of(client_for(zed)))

    assert ("Own", 1) in names
    assert april.username == "april"


def test_separation_of_duties_hides_the_agent_from_its_previous_owner(
    org, assessor, approver, client_for
):
    agent = make_agent(assessor, name="Handed over")
    complete_checklist(agent, 1, assessor)
    client = client_for(approver)
    assert gate_pairs(work_of(client)) == [("Handed over", 1)]
    OwnerChange.objects.create(
        agent=agent,
        previous_owner=approver.user,
        new_owner=assessor.user,
        changed_by=assessor.user,
        changed_at=timezone.now() - timedelta(days=10),
    )

    assert gate_pairs(work_of(client)) == []


def test_a_gate_in_review_waits_again_and_phase_4_needs_a_fit_assessment(
    org, assessor, approver, client_for, framework
):
    agent = make_agent(assessor, name="Late")
    for phase in (1, 2, 3):
        go(agent, phase, assessor, approver)
    complete_checklist(agent, 4, assessor)
    client = client_for(approver)
    assert gate_pairs(work_of(client)) == []  # no submitted assessment: phase 4 cannot go

    AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)
    assert gate_pairs(work_of(client)) == [("Late", 4)]

    send_to_review(agent, 1, assessor)  # phase 1 goes to review and waits again; phase 4
    # still has phase 3 at go
    response = client.get(URL)
    work = response.context["work"]
    assert gate_pairs(work) == [("Late", 1), ("Late", 4)]
    assert work.gates[0].state == "needs_review"
    assert '<span class="badge text-bg-warning">Needs review</span>' in response.content.decode()


def test_the_list_agrees_with_the_gate_service_for_every_gate(
    org, approver, gates_world, client_for
):
    """Listed exactly when gates.services.gate_go_reasons finds nothing against a go on a gate
    not already at go."""
    listed = set(gate_pairs(work_of(client_for(approver))))

    expected = set()
    for agent in Agent.objects.filter(organization=org):
        for gate in Gate.objects.filter(agent=agent):
            reasons = gates_services.gate_go_reasons(
                agent=agent, phase=gate.phase, membership=approver
            )
            if gate.state != "go" and not reasons:
                expected.add((agent.name, gate.phase))
    assert listed == expected
    assert listed  # the world has some


def test_a_departed_escalation_owner_keeps_phase_1_off_the_list(
    org, assessor, approver, make_member, client_for
):
    carol = make_member(org, "viewer", username="carol")
    agent = make_agent(
        assessor,
        name="Escalates",
        escalation_paths=[{"failure_state": "Timeout", "owner": "carol"}],
    )
    complete_checklist(agent, 1, assessor)
    client = client_for(approver)
    assert gate_pairs(work_of(client)) == [("Escalates", 1)]

    carol.is_active = False
    carol.save()

    assert gate_pairs(work_of(client)) == []


# --- suspensions and drills -----------------------------------------------------------------


def test_operators_and_approvers_see_suspended_agents_with_what_they_may_do(
    org, assessor, approver, operator, client_for
):
    stopped = make_agent(assessor, name="Stopped")
    killswitch_services.agent_suspend(agent=stopped, membership=operator, reason="Odd replies")
    drilled = make_agent(assessor, name="Drilled")
    killswitch_services.drill_start(agent=drilled, membership=operator)
    owned = make_agent(assessor, name="Owned", owner="april")
    killswitch_services.agent_suspend(agent=owned, membership=operator, reason="Spikes")
    make_agent(assessor, name="Running")

    as_operator = {s.agent.name: s for s in work_of(client_for(operator)).suspended}
    as_approver = {s.agent.name: s for s in work_of(client_for(approver)).suspended}

    assert sorted(as_operator) == sorted(as_approver) == ["Drilled", "Owned", "Stopped"]
    assert as_operator["Drilled"].may_end_drill
    assert not as_operator["Stopped"].may_resume
    assert as_approver["Stopped"].may_resume
    assert as_approver["Drilled"].may_end_drill
    assert not as_approver["Owned"].may_resume
    assert "You own this agent" in as_approver["Owned"].barred
    html = client_for(approver).get(URL).content.decode()
    assert "Odd replies" in html
    assert "You own this agent" in html


def test_operators_see_drills_never_run_or_over_90_days_old(
    org, assessor, operator, approver, client_for
):
    never = make_agent(assessor, name="Never")
    old = make_agent(assessor, name="Old")
    recent = make_agent(assessor, name="Recent")
    suspended = make_agent(assessor, name="Suspended")
    for agent, days in ((old, 91), (recent, 30)):
        Suspension.objects.create(
            agent=agent,
            kind="drill",
            reason="Drill",
            started_by=operator.user,
            started_at=timezone.now() - timedelta(days=days),
            ended_at=timezone.now() - timedelta(days=days) + timedelta(minutes=3),
        )
    killswitch_services.agent_suspend(agent=suspended, membership=operator, reason="Stop")

    drills = work_of(client_for(operator)).drills

    assert [(d.agent.name, d.flag) for d in drills] == [("Never", "never"), ("Old", "overdue")]
    assert never.pk == drills[0].agent.pk
    assert work_of(client_for(approver)).drills is None


# --- permissions to review ------------------------------------------------------------------


def test_approvers_and_admins_see_permissions_to_review(
    org, assessor, approver, admin, operator, client_for
):
    agent = make_agent(assessor, name="Tools")
    stale = ToolPermissionFactory(agent=agent, tool="ledger", last_used=None)
    ToolPermissionFactory(agent=agent, tool="fresh")
    when = timezone.now() - timedelta(days=120)
    type(stale).objects.filter(pk=stale.pk).update(created_at=when)

    for member in (approver, admin):
        work = work_of(client_for(member))
        assert [p.permission.tool for p in work.permissions] == ["ledger"]
    assert work_of(client_for(operator)).permissions is None
    assert "ledger" in client_for(admin).get(URL).content.decode()


# --- tenancy --------------------------------------------------------------------------------


def test_nothing_of_another_organization_shows(
    other_org, other_assessor, viewer, approver, operator, admin, assessor, client_for
):
    theirs = make_agent(other_assessor, name="GLOBEX-AGENT", owner="gus")
    complete_checklist(theirs, 1, other_assessor)
    killswitch_services.agent_suspend(agent=theirs, membership=other_assessor, reason="x")
    AssessmentFactory(organization=other_org, created_by=other_assessor.user, title="GLOBEX-D")

    for member in (viewer, approver, operator, admin, assessor):
        response = client_for(member).get(URL)
        assert response.status_code == 200
        assert "GLOBEX" not in response.content.decode()


# --- the navigation -------------------------------------------------------------------------


def test_the_navigation_counts_suspended_agents_and_drafts(
    org, assessor, operator, viewer, client_for, framework
):
    stopped = make_agent(assessor, name="Stopped")
    killswitch_services.agent_suspend(agent=stopped, membership=operator, reason="Odd")
    AssessmentFactory(organization=org, created_by=assessor.user)
    AssessmentFactory(organization=org, created_by=assessor.user)
    AssessmentFactory(organization=org, created_by=viewer.user)  # from when vic assessed

    operator_html = client_for(operator).get("/").content.decode()
    assessor_html = client_for(assessor).get("/").content.decode()
    viewer_html = client_for(viewer).get("/").content.decode()

    assert 'id="nav-work">My work <span class="badge' in operator_html
    assert '>1<span class="visually-hidden"> waiting' in operator_html  # the suspension
    assert '>3<span class="visually-hidden"> waiting' in assessor_html  # every draft
    # a viewer cannot continue a draft: the page lists it, the navigation does not count it
    assert 'id="nav-work">My work</a>' in viewer_html
    assert len(work_of(client_for(viewer)).drafts) == 1


# --- queries --------------------------------------------------------------------------------


def _bulk_agents(org, owner, approver, count):
    """Agents with their gates and items in bulk: phase 1 at go, phase 2 all met (so it waits
    for the approver), every other agent suspended, every third drilled long ago."""
    agents = Agent.objects.bulk_create(
        Agent(
            organization=org,
            name=f"Bulk {i:03}",
            owner=owner,
            created_by=owner,
            state="suspended" if i % 2 else "active",
        )
        for i in range(count)
    )
    gates = Gate.objects.bulk_create(
        Gate(agent=agent, phase=phase, state="go" if phase == 1 else "pending")
        for agent in agents
        for phase in PHASES
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(gate=gate, key=key)
        for gate in gates
        for key in phase_definition(gate.phase).keys
    )
    # Phase 2's items are met by a current prompt version that shipped.
    versions = PromptVersion.objects.bulk_create(
        PromptVersion(
            agent=agent,
            tag="v1",
            regression_passed=True,
            adversarial_passed=True,
            delta=0.01,
            tolerance=0.05,
            rollback_target="the manual process",
            ship=True,
            created_by=owner,
        )
        for agent in agents
    )
    for agent, version in zip(agents, versions, strict=True):
        agent.current_prompt = version
    Agent.objects.bulk_update(agents, ["current_prompt"])
    Suspension.objects.bulk_create(
        Suspension(agent=agent, kind="manual", reason="Stopped", started_by=owner)
        for agent in agents[1::2]
    )
    Suspension.objects.bulk_create(
        Suspension(
            agent=agent,
            kind="drill",
            reason="Drill",
            started_by=owner,
            started_at=timezone.now() - timedelta(days=100),
            ended_at=timezone.now() - timedelta(days=100),
        )
        for agent in agents[::3]
    )
    ToolPermissionFactory.create_batch(
        count, agent=agents[0], created_at=timezone.now() - timedelta(days=120)
    )


ROLE_SETS = [
    ("viewer",),
    ("assessor",),
    ("approver",),
    ("operator",),
    ("admin",),
    ("admin", "assessor", "approver", "operator"),
]


@pytest.mark.parametrize("roles", ROLE_SETS, ids=["+".join(r) for r in ROLE_SETS])
def test_my_work_queries_stay_the_same_from_5_to_50_agents(
    org, assessor, make_member, client_for, django_assert_max_num_queries, framework, roles
):
    member = make_member(org, *roles, username="multi")
    client = client_for(member)
    AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)
    AssessmentFactory(organization=org, created_by=member.user)
    _bulk_agents(org, assessor.user, member.user, 5)
    client.get(URL)  # warm the framework and session caches
    with CaptureQueriesContext(connection) as few:
        small = work_of(client)
    limit = len(few.captured_queries)
    Agent.objects.filter(organization=org).delete()
    _bulk_agents(org, assessor.user, member.user, 50)

    with django_assert_max_num_queries(limit):
        large = work_of(client)

    # A fixed number: the member's own rows, not one per agent (the computed checklist items
    # read their evidence in a fixed number of queries too, gates/evidence_selectors.py).
    assert limit <= 27
    if "approver" in roles:
        assert len(small.gates) == 5
        assert len(large.gates) == 50  # phase 2 of each waits
        assert len(large.suspended) == 25
    if "operator" in roles:
        assert len(large.drills) == 25  # every active agent: never drilled, or long ago
    if "admin" in roles:
        assert len(large.permissions) == 50


def test_my_work_for_a_member_of_every_role_counts_every_kind(
    org, assessor, make_member, framework
):
    member = make_member(org, "admin", "assessor", "approver", "operator", username="all")
    _bulk_agents(org, assessor.user, member.user, 4)
    AssessmentFactory(organization=org, created_by=member.user)

    work = my_work(membership=member, now=timezone.now())

    # 4 gates + 2 suspended + 2 drills (the active agents: 0 drilled long ago, 2 never) +
    # reassessment (none submitted) + 4 permissions + 1 draft
    assert work.count == 4 + 2 + 2 + 1 + 4 + 1
    assert Assessment.objects.filter(status="draft").count() == 1


# --- in the browser -------------------------------------------------------------------------

WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.mark.browser
@pytest.mark.parametrize("width", list(WIDTHS))
def test_my_work_and_the_overview_fit_every_width_as_every_demo_login(
    live_server, chromium, transactional_db, settings, tmp_path, width
):
    # Given the demo organization
    seed(settings, tmp_path)
    w, h = WIDTHS[width]
    overflowing = []
    for login in LOGINS:
        with browser_page(chromium, width=w, height=h) as page:
            # When each demo login opens My work from the navigation, then the overview
            sign_in(page, live_server.url, login)
            page.goto(f"{live_server.url}{URL}")
            assert page.get_by_role("heading", name="My work", level=1).is_visible()
            assert page.locator("#section-drafts").is_visible()
            shots = os.environ.get("READINESS_SCREENSHOTS")
            for path in (URL, "/"):
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                if shots:
                    name = f"{login}-{w}-{'work' if path == URL else 'home'}.png"
                    page.screenshot(path=str(Path(shots) / name), full_page=True)
                # Then nothing is wider than the window
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                    overflowing.append(f"{path} as {login} at {w}px")
    assert not overflowing, overflowing


def test_each_section_shows_its_first_50_rows_and_counts_them_all(
    org, assessor, approver, client_for, framework
):
    AssessmentFactory(organization=org, created_by=assessor.user, submitted=True)
    _bulk_agents(org, assessor.user, approver.user, 60)

    response = client_for(approver).get(URL)

    html = response.content.decode()
    assert len(response.context["work"].gates) == 60
    assert html.count(">Decide<span") == 50
    assert "The first 50 of 60: see the rest on" in html
    assert "The first 50 of 30" not in html  # 30 suspended agents: all shown
    assert html.count(">Resume<span") == 30


def test_markup_in_names_reasons_and_titles_is_escaped(
    org, assessor, operator, make_member, client_for, framework
):
    script = "<script>alert('x')</script>"
    everyone = make_member(org, "admin", "assessor", "approver", "operator", username="all")
    agent = make_agent(assessor, name=script)
    complete_checklist(agent, 1, assessor)
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason=script)
    AssessmentFactory(organization=org, created_by=assessor.user, title=script)

    response = client_for(everyone).get(URL)

    html = response.content.decode()
    work = response.context["work"]
    assert len(work.gates) == 1
    assert len(work.suspended) == 1
    assert len(work.drafts) == 1
    assert script not in html
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 4
