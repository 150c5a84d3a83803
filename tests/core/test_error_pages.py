"""The error pages (templates/403.html, 404.html, 405.html, 500.html, core.middleware): each
carries the site's navigation and says what to do next; a button's URL opened directly leads
back to its page; /favicon.ico, the skip link."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from killswitch.models import Suspension
from tests.factories import AssessmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NAV = 'class="navbar'


def text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- 403


def test_a_refused_role_says_which_role_is_needed(viewer, agent, client_for):
    # Given a viewer, when they open the suspend page (operators only)
    response = client_for(viewer).get(f"/agents/{agent.pk}/suspend/")

    # Then the 403 page names the role needed and the roles held, inside the site's frame
    assert response.status_code == 403
    page = text(response)
    assert NAV in page
    assert "This needs the Operator role in Acme Robotics; your roles there: Viewer." in page
    assert "An admin of Acme Robotics can add the role on the members page." in page


def test_a_refusal_open_to_two_roles_names_both(assessor, agent, client_for):
    # reviewing a tool permission is for approvers and admins
    permission = agent.tool_permissions.first() or agent.tool_permissions.create(
        tool="crm", access="read"
    )
    url = reverse("agents:permission_review", args=[agent.pk, permission.pk])

    response = client_for(assessor).post(url, {"action": "revoke"})

    assert response.status_code == 403
    assert "This needs the Admin or Approver role in Acme Robotics" in text(response)
    assert "your roles there: Assessor." in text(response)


def test_submitting_as_a_viewer_names_the_assessor_role(viewer, assessor, client_for, framework):
    assessment = AssessmentFactory(organization=assessor.organization, created_by=assessor.user)

    response = client_for(viewer).post(f"/assessments/{assessment.pk}/submit/")

    assert response.status_code == 403
    assert "This needs the Assessor role in Acme Robotics" in text(response)


# --------------------------------------------------------------------------- 404


def test_a_404_carries_the_navigation_and_ways_out(viewer, client_for):
    response = client_for(viewer).get("/agents/999999/")

    assert response.status_code == 404
    page = text(response)
    assert NAV in page
    assert "Nothing here" in page
    assert "/agents/999999/" in page
    assert 'id="other-organization"' not in page  # one organization: nothing to switch to


def test_a_404_offers_to_switch_organization_to_a_member_of_several(
    viewer, other_org, agent, client_for
):
    # Given a member of Acme who also belongs to Globex and acts in Globex
    globex = MembershipFactory(organization=other_org, user=viewer.user)
    client = client_for(globex)

    # When they follow a link to an Acme agent
    response = client.get(f"/agents/{agent.pk}/")

    # Then it is a 404 that says it may belong to another organization, with the switcher
    assert response.status_code == 404
    page = text(response)
    assert "This may belong to another of your organizations" in page
    assert f'href="{reverse("switch_organization")}"' in page
    assert "Switch organization" in page


def test_a_signed_out_404_offers_to_sign_in(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert reverse("login") in text(response)


# --------------------------------------------------------------------------- 405


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/agents/{pk}/resume/", "/agents/{pk}/"),
        ("/agents/{pk}/drills/7/end/", "/agents/{pk}/"),
        ("/agents/{pk}/gates/4/decide/", "/agents/{pk}/gates/4/"),
        ("/agents/{pk}/tokens/", "/agents/{pk}/"),
    ],
)
def test_a_buttons_url_opened_directly_leads_back_to_its_page(
    path, back, operator, agent, client_for
):
    client = client_for(operator)

    response = client.get(path.format(pk=agent.pk))

    assert response.status_code == 302
    assert response["Location"] == back.format(pk=agent.pk)
    followed = client.get(response["Location"])
    assert "That address belongs to a button: nothing was done." in text(followed)
    agent.refresh_from_db()
    assert not agent.is_suspended
    assert not Suspension.objects.exists()


def test_another_method_gets_the_405_page_with_navigation(viewer, agent, client_for):
    response = client_for(viewer).put(f"/agents/{agent.pk}/resume/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = text(response)
    assert NAV in page
    assert "This address does not take a PUT" in page
    assert f'href="/agents/{agent.pk}/"' in page


def test_the_api_keeps_its_own_405(viewer, api_for):
    response = api_for(viewer).client.put("/api/v1/assessments")

    assert response.status_code in (401, 405)
    assert "<html" not in text(response)


def test_an_htmx_request_keeps_the_bare_405(assessor, client_for, framework):
    assessment = AssessmentFactory(organization=assessor.organization, created_by=assessor.user)

    response = client_for(assessor).get(
        f"/assessments/{assessment.pk}/preview/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 405


# --------------------------------------------------------------------------- 500


def test_the_500_page_renders_without_a_request_context_or_the_database(
    django_assert_num_queries,
):
    request = RequestFactory().get("/agents/")

    with django_assert_num_queries(0):
        response = server_error(request)

    assert response.status_code == 500
    page = text(response)
    assert "Something went wrong on our side" in page
    assert NAV in page
    assert 'href="/agents/"' in page
    assert "tell your administrator" in page


def test_an_exception_in_a_view_shows_the_500_page(viewer, monkeypatch, client_for):
    client = client_for(viewer)
    client.raise_request_exception = False

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("overview.views.render", boom)

    response = client.get("/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in text(response)


# --------------------------------------------------------------------------- small things


def test_favicon_is_served(db):
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.ico")
    assert response["Location"].startswith("/static/")


def test_every_page_has_a_skip_link_to_the_content(viewer, client_for):
    page = text(client_for(viewer).get("/"))

    assert '<a class="skip-link" href="#main">Skip to content</a>' in page
    assert '<main class="container pb-5" id="main"' in page
    assert 'rel="icon"' in page


def test_a_form_that_fails_its_csrf_check_says_what_to_do(viewer, agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer.user)

    response = client.post(f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"})

    assert response.status_code == 403
    page = text(response)
    assert "This form could not be checked" in page
    assert "reload the page, and submit it again" in page
    assert NAV in page
