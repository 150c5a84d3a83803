"""The outcomes page reads its agent without the records and the prompt that the agent page
shows (outcomes.selectors.outcomes_agent_get): none of them is
on this page, and reading them was a third of its time."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.outcomes.test_views import months

RECORD_TABLES = (
    "agents_decisionboundary",
    "agents_escalationpath",
    "agents_toolpermission",
    "gates_promptversion",
)


def test_the_outcomes_page_reads_no_records_or_decisions(agent, operator, approver, client_for):
    # Given an agent with a few months of snapshots
    months(agent, operator, 3)
    url = reverse("outcomes:agent", args=[agent.pk])

    # When an approver opens its outcomes page
    with CaptureQueriesContext(connection) as captured:
        response = client_for(approver).get(url)

    # Then the page is shown, and none of the agent page's records is read
    assert response.status_code == 200
    assert agent.name in response.content.decode()
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert [table for table in RECORD_TABLES if f'"{table}"' in read] == []


def test_another_organizations_agent_is_a_404(agent, other_assessor, client_for):
    url = reverse("outcomes:agent", args=[agent.pk])

    assert client_for(other_assessor).get(url).status_code == 404
    assert client_for(other_assessor).get("/agents/x/metrics/").status_code == 404
