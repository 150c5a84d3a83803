"""The agent page reads its agent without the gates and the last drill that
gates.selectors.agent_get adds (overview.selectors.agent_page_get): the page reads its gates
once, with their checklists and decisions. It reads the agent's evidence once too (issue
20, second pass): its records come from the page's own prefetch, the people's gaps from the
same evidence as the gates' counts."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import provide_evidence


def _gate_reads(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if 'FROM "gates_gate"' in q["sql"]]


def test_the_agent_page_reads_its_gates_once(agent, assessor, client_for):
    reads = _gate_reads(client_for(assessor), f"/agents/{agent.pk}/")

    assert len(reads) == 1, reads


def test_another_organizations_agent_is_a_404(agent, other_assessor, client_for):
    client = client_for(other_assessor)

    assert client.get(f"/agents/{agent.pk}/").status_code == 404
    assert client.get("/agents/999999/").status_code == 404


def test_the_agent_page_reads_each_record_once(
    refund_bot, operator, viewer, client_for, django_assert_max_num_queries
):
    provide_evidence(refund_bot)
    client = client_for(viewer)
    url = f"/agents/{refund_bot.pk}/"
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(27) as page:
        response = client.get(url)
    assert response.status_code == 200
    sql = [q["sql"] for q in page.captured_queries]
    for table in (
        "agents_decisionboundary",
        "agents_escalationpath",
        "accounts_organization",
    ):
        assert sum(f'FROM "{table}"' in s for s in sql) <= 1, table
    # the signed-in member, then the active members once: for the evidence and the people's
    # gaps alike
    assert sum(s.startswith('SELECT "accounts_membership"') for s in sql) <= 2
