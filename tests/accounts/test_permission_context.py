"""The `may` context of every page: the navigation and the profile ask core.permissions, not
role names, and asking costs no query."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.permissions import May


def _admin_menu(html: str) -> list[str]:
    menu = re.search(r'aria-labelledby="nav-admin">(.*?)</ul>', html, re.S)
    return re.findall(r'class="dropdown-item[^"]*"[^>]*>([^<]+)</a>', menu.group(1)) if menu else []


def test_an_admin_sees_the_admin_menu_and_the_manage_members_button(admin, client_for):
    html = client_for(admin).get("/profile/").content.decode()

    assert _admin_menu(html) == ["Members", "Audit log", "Webhooks"]
    assert "Manage members" in html


def test_a_member_without_the_admin_role_sees_no_admin_menu(org, make_member, client_for):
    member = make_member(org, "assessor", "approver", "operator", "viewer", username="many")

    html = client_for(member).get("/profile/").content.decode()

    assert 'id="nav-admin"' not in html
    assert "Manage members" not in html


def test_a_superuser_who_is_no_admin_sees_only_the_sign_in_mappings(viewer, client_for):
    viewer.user.is_superuser = True
    viewer.user.save()

    html = client_for(viewer).get("/profile/").content.decode()

    assert _admin_menu(html) == ["Sign-in mappings"]
    assert re.search(r'href="/sso/mappings/"[^>]*id="nav-admin"', html)


def test_answering_every_question_of_a_loaded_membership_makes_no_query(
    admin, django_assert_num_queries
):
    may = May(admin, admin.user)

    with django_assert_num_queries(0):
        answers = [bool(getattr(may, name)) for name in [*May.QUESTIONS, "edit_sign_in_mappings"]]

    assert answers[0] is True


def test_the_admin_menu_costs_a_page_no_query(admin, viewer, client_for, django_assert_num_queries):
    """The admin, whose page reads four answers and shows the menu, and the viewer, whose page
    shows none, make the same queries on their profile."""
    viewer_client, admin_client = client_for(viewer), client_for(admin)
    viewer_client.get("/profile/")
    admin_client.get("/profile/")  # warm both sessions and caches

    with django_assert_num_queries(_count(viewer_client)):
        admin_client.get("/profile/")


def _count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get("/profile/")
    return len(captured)
