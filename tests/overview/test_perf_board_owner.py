"""The board's agents carry their owner's username as an annotation (issue 20): no owner is
built as a model, and neither the rows nor the checklist counts read one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent
from gates.evidence_selectors import item_counts_of
from overview.selectors import board_agents

pytestmark = pytest.mark.django_db


def test_board_agents_name_their_owner_without_loading_it(org, refund_bot):
    (agent,) = board_agents(organization=org, ids=[refund_bot.pk])
    assert agent.owner_username == "olga"
    assert not Agent._meta.get_field("owner").is_cached(agent)
    with CaptureQueriesContext(connection) as queries:
        counts = item_counts_of([agent])
    assert counts[agent.pk][1]["of"] == 5
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "auth_user"')]


def test_the_board_shows_the_owner(refund_bot, viewer, client_for):
    response = client_for(viewer).get("/agents/board/")
    assert "<td>olga</td>" in response.content.decode()
