"""The gate board's filter form is kept in the fragment cache under a digest of what it
draws (overview.views.filters_key): a new member, a new business unit or other filters
give a new key, so the cached form is never stale."""

import re

from tests.overview.test_board_pagination import bulk_agents

URL = "/agents/board/"


def _owner_options(html: str) -> list[str]:
    select = re.search(r'<select name="owner".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select)


def test_a_member_added_after_the_form_was_cached_is_offered(
    org, assessor, make_member, client_for
):
    # Given a board whose filter form was drawn (and cached) once
    bulk_agents(org, assessor.user, 3)
    client = client_for(assessor)
    assert "newcomer" not in _owner_options(client.get(URL).content.decode())

    # When a member joins, then the next board offers them as an owner
    make_member(org, "operator", username="newcomer")
    assert "newcomer" in _owner_options(client.get(URL).content.decode())


def test_a_new_business_unit_and_other_filters_are_drawn_anew(org, assessor, client_for):
    agents = bulk_agents(org, assessor.user, 3)
    client = client_for(assessor)
    first = client.get(URL).content.decode()
    assert 'value="Legal"' not in first

    agents[0].business_unit = "Legal"
    agents[0].save(update_fields=["business_unit"])
    html = client.get(URL + "?business_unit=Legal&suspended=yes").content.decode()

    assert re.search(r'<option value="Legal"[^>]*selected', html)
    assert re.search(r'<option value="yes"[^>]*selected', html)
    # and the plain board again shows nothing selected
    again = client.get(URL).content.decode()
    assert not re.search(r'<option value="Legal"[^>]*selected', again)
