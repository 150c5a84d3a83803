"""The gate board above BOARD_PAGE_SIZE agents: pages of at most 250 rows, the summary still
counting every agent, filters and order kept across pages, and rows rendered by Jinja2 still
escaped and showing what the Django template showed."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent
from gates.checklists import PHASES
from gates.models import Gate
from overview.selectors import BOARD_PAGE_SIZE, board_agents
from tests.helpers import go, make_agent


def bulk_agents(org, owner, count, *, start=0, **fields):
    """Agents with their four gates, in bulk; every third one has phase 1 at go."""
    agents = Agent.objects.bulk_create(
        Agent(
            organization=org,
            name=f"Agent {start + i:04}",
            business_unit=("Finance", "Support", "Ops")[i % 3],
            owner=owner,
            created_by=owner,
            **fields,
        )
        for i in range(count)
    )
    Gate.objects.bulk_create(
        Gate(agent=agent, phase=phase, state="go" if phase == 1 and i % 3 == 0 else "pending")
        for i, agent in enumerate(agents)
        for phase in PHASES
    )
    return agents


def names(response) -> list[str]:
    return [row["agent"].name for row in response.context["rows"]]


def test_page_size_is_250():
    assert BOARD_PAGE_SIZE == 250


def test_up_to_250_agents_fit_on_one_page_without_page_links(org, assessor, viewer, client_for):
    bulk_agents(org, assessor.user, 250)

    response = client_for(viewer).get("/agents/board/")

    assert len(response.context["rows"]) == 250
    html = response.content.decode()
    assert "Pages of the gate board" not in html
    assert "250 agents." in html


def test_above_250_agents_the_board_is_paginated_and_the_summary_counts_all(
    org, assessor, viewer, client_for
):
    bulk_agents(org, assessor.user, 250)
    late = bulk_agents(org, assessor.user, 10, start=250, state="suspended")
    client = client_for(viewer)

    first = client.get("/agents/board/")
    second = client.get("/agents/board/?page=2")

    assert len(first.context["rows"]) == 250
    assert names(second) == [agent.name for agent in late]
    for response in (first, second):
        summary = response.context["summary"]
        assert summary["total"] == 260
        # the suspended agents are all on page 2, yet page 1 counts them
        assert summary["suspended"] == 10
        per_phase = {p["phase"]: p["count"] for p in summary["per_phase"]}
        assert per_phase[2] == 84 + 4  # phase 1 at go: every third of 250, and of 10
        assert per_phase[1] == 260 - 88
    html = first.content.decode()
    assert "260 agents, 1–250 on this page." in html
    assert 'class="page-link" href="?page=2"' in html
    assert "260 agents, 251–260 on this page." in second.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "2.5", ""])
def test_a_page_number_out_of_range_or_not_a_number_is_a_page_not_an_error(
    org, assessor, viewer, client_for, page
):
    bulk_agents(org, assessor.user, 260)

    response = client_for(viewer).get("/agents/board/", {"page": page})

    assert response.status_code == 200
    assert len(response.context["rows"]) in (250, 10)


def test_filters_and_order_are_kept_in_the_page_links_and_apply_before_paging(
    org, assessor, viewer, client_for
):
    bulk_agents(org, assessor.user, 600)  # 200 of each business unit
    bulk_agents(org, assessor.user, 300, start=600)  # 100 more of each

    response = client_for(viewer).get("/agents/board/?business_unit=Finance&order=-name&page=2")

    rows = names(response)
    assert len(rows) == 300 - 250
    assert rows == sorted(rows, reverse=True)
    assert response.context["summary"]["total"] == 900
    html = response.content.decode()
    assert "300 agents match the filters (of 900), 251–300 on this page." in html
    pages = set(re.findall(r'class="page-link" href="\?([^"]*)"', html))
    assert pages == {"business_unit=Finance&amp;order=-name&amp;page=1"}
    # a new order starts again at the first page
    assert 'href="?business_unit=Finance&amp;order=name"' in html


def test_phase_order_runs_across_pages(org, assessor, viewer, client_for):
    bulk_agents(org, assessor.user, 300)
    client = client_for(viewer)

    pages = [client.get(f"/agents/board/?order=-phase&page={n}") for n in (1, 2)]

    phases = [row["phase"] for page in pages for row in page.context["rows"]]
    assert len(phases) == 300
    assert phases == [2] * 100 + [1] * 200


def test_the_query_count_is_the_same_for_3_and_600_agents(
    org, assessor, viewer, client_for, django_assert_max_num_queries
):
    client = client_for(viewer)
    bulk_agents(org, assessor.user, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agents/board/?order=phase").status_code == 200

    bulk_agents(org, assessor.user, 597, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/agents/board/?order=phase&page=2")
    assert len(response.context["rows"]) == 250


def test_board_agents_leaves_out_another_organizations_ids(
    org, other_org, assessor, other_assessor
):
    mine = bulk_agents(org, assessor.user, 2)
    theirs = bulk_agents(other_org, other_assessor.user, 2, start=10)

    agents = board_agents(organization=org, ids=[theirs[0].pk, mine[1].pk, mine[0].pk])

    assert [a.pk for a in agents] == [mine[1].pk, mine[0].pk]
    assert set(agents[0].board_gates) == {1, 2, 3, 4}


def test_rows_escape_names_and_show_decisions_badges_and_figures(
    org, assessor, approver, operator, viewer, client_for
):
    agent = make_agent(assessor, name="<b>Bold</b> & co's")
    go(agent, 1, assessor, approver)

    html = client_for(operator).get("/agents/board/").content.decode()

    assert "<b>Bold</b>" not in html
    # escaped as the Django templates escape (a quote is &#x27;, not markupsafe's &#39;)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co&#x27;s" in html
    name = "&lt;b&gt;Bold&lt;/b&gt; &amp; co&#x27;s"
    assert f'aria-label="Phase 1 of {name}: Go, ' in html
    assert "items met, last decided" in html
    assert "by april" in html
    assert 'class="badge gate-badge gate-go text-bg-success"' in html
    assert 'class="badge gate-badge gate-pending text-bg-secondary">Pending</span>' in html
    assert f'href="/agents/{agent.pk}/suspend/"' in html  # an operator's kill-switch button
    assert "Never drilled" in html
    assert "Phase 2" in html
    assert 'aria-label="Suspend' not in client_for(viewer).get("/agents/board/").content.decode()
