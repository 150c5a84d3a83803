"""The navigation of every page: unread notifications, the number beside My work and open
invitations, all in one query whatever the member's roles; nothing on the API or signed out."""

import pytest
from django.contrib.auth.models import AnonymousUser

from readiness.context_processors import navigation
from tests.factories_notifications import NotificationFactory

pytestmark = pytest.mark.django_db


def _request(rf, membership, path="/"):
    request = rf.get(path)
    request.user, request.membership = membership.user, membership
    return request


def test_every_count_costs_one_query_for_a_member_with_every_role(
    admin, rf, django_assert_num_queries
):
    admin.set_roles({*admin.roles, "operator", "approver", "assessor"})
    admin.save()
    NotificationFactory(recipient=admin)
    with django_assert_num_queries(1):
        context = navigation(_request(rf, admin))
    assert context == {"open_invitations": [], "notifications_unread": 1, "work_count": 0}


def test_a_viewer_gets_the_unread_count_and_no_work_count_in_one_query(
    viewer, rf, django_assert_num_queries
):
    with django_assert_num_queries(1):
        context = navigation(_request(rf, viewer))
    assert context["notifications_unread"] == 0
    assert context["work_count"] == 0


def test_nothing_is_read_on_the_api_or_for_someone_signed_out(
    operator, rf, django_assert_num_queries
):
    anonymous = rf.get("/")
    anonymous.user, anonymous.membership = AnonymousUser(), None
    with django_assert_num_queries(0):
        assert navigation(anonymous) == {}
        assert navigation(_request(rf, operator, "/api/v1/agents")) == {}


def test_counts_of_querysets_that_match_nothing_are_zero_without_sql(db, django_assert_num_queries):
    from accounts.models import Invitation
    from core.selectors import counts_in_one_query

    with django_assert_num_queries(0):
        assert counts_in_one_query({"none": Invitation.objects.none()}) == {"none": 0}
        assert counts_in_one_query({}) == {}
    with django_assert_num_queries(1):
        counts = counts_in_one_query(
            {"none": Invitation.objects.none(), "all": Invitation.objects.all()}
        )
    assert counts == {"none": 0, "all": 0}


def test_a_user_without_an_email_address_costs_one_query(viewer, rf, django_assert_num_queries):
    viewer.user.email = ""
    viewer.user.save()
    with django_assert_num_queries(1):
        context = navigation(_request(rf, viewer))
    assert context["open_invitations"] == []
