"""The agent page reads its agent without the gates and the last drill that
gates.selectors.agent_get adds (overview.selectors.agent_page_get): the page reads its gates
once, with their checklists and decisions."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


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
