"""The actions that ask first (issue 17): starting a drill (it really suspends the agent),
revoking an API token, marking a tool permission reviewed (with a note) and submitting an
assessment. Each confirm step works without JavaScript: a GET, or the page's own button
(a POST without `confirm`), shows what will happen and changes nothing; the confirm page's
button does it."""

import pytest
from django.urls import reverse

from accounts.services import token_create
from assessments.models import Assessment
from audit.models import AuditEntry
from core.errors import InvalidInput
from killswitch.models import Suspension
from overview import services as overview_services
from tests.conftest import scores_of
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def entries() -> int:
    return AuditEntry.objects.count()


# --------------------------------------------------------------------------- drills


@pytest.mark.parametrize("method", ["get", "post"])
def test_starting_a_drill_asks_first_and_changes_nothing(method, operator, agent, client_for):
    before = entries()

    response = getattr(client_for(operator), method)(f"/agents/{agent.pk}/drills/start/")

    assert response.status_code == 200
    page = text(response)
    assert f"Start a kill-switch drill on {agent.name}?" in page
    assert "the suspension is <strong>real</strong>" in page
    assert 'name="confirm" value="yes"' in page
    agent.refresh_from_db()
    assert not agent.is_suspended
    assert not Suspension.objects.exists()
    assert entries() == before


def test_the_confirm_button_starts_the_drill(operator, agent, client_for):
    response = client_for(operator).post(
        f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"}, follow=True
    )

    agent.refresh_from_db()
    assert agent.is_suspended
    assert Suspension.objects.get().kind == "drill"
    assert "Drill started" in text(response)


def test_a_drill_confirm_page_of_a_suspended_agent_goes_back(operator, agent, client_for):
    client = client_for(operator)
    client.post(f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"})

    response = client.get(f"/agents/{agent.pk}/drills/start/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("agents:detail", args=[agent.pk])
    assert "already suspended: no drill can start now" in text(response)
    assert Suspension.objects.count() == 1


@pytest.mark.parametrize("role", ["viewer", "assessor", "approver"])
def test_only_operators_see_the_drill_confirm_page(role, org, make_member, agent, client_for):
    client = client_for(make_member(org, role))

    assert client.get(f"/agents/{agent.pk}/drills/start/").status_code == 403
    assert client.post(f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"}).status_code == 403
    assert not Suspension.objects.exists()


def test_opening_the_end_drill_url_leads_back_to_the_agent(operator, agent, client_for):
    client = client_for(operator)
    client.post(f"/agents/{agent.pk}/drills/start/", {"confirm": "yes"})
    drill = Suspension.objects.get()

    response = client.get(f"/agents/{agent.pk}/drills/{drill.pk}/end/")

    assert response["Location"] == f"/agents/{agent.pk}/"
    drill.refresh_from_db()
    assert drill.ended_at is None


# --------------------------------------------------------------------------- API tokens


@pytest.mark.parametrize("method", ["get", "post"])
def test_revoking_a_token_asks_first(method, viewer, client_for):
    token, _ = token_create(membership=viewer, name="CI laptop")
    before = entries()

    response = getattr(client_for(viewer), method)(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 200
    page = text(response)
    assert "Revoke the token “CI laptop”?" in page
    assert f"<code>{token.prefix}…</code> gets <strong>401</strong>" in page
    token.refresh_from_db()
    assert token.revoked_at is None
    assert entries() == before


def test_the_confirm_button_revokes_the_token(viewer, client_for):
    token, _ = token_create(membership=viewer, name="CI laptop")

    response = client_for(viewer).post(
        f"/profile/tokens/{token.pk}/revoke/", {"confirm": "yes"}, follow=True
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked the token “CI laptop”" in text(response)


def test_a_revoked_tokens_confirm_page_says_so(viewer, client_for):
    token, _ = token_create(membership=viewer, name="Old")
    client = client_for(viewer)
    client.post(f"/profile/tokens/{token.pk}/revoke/", {"confirm": "yes"})

    response = client.get(f"/profile/tokens/{token.pk}/revoke/", follow=True)

    assert "was already revoked" in text(response)


def test_another_members_token_has_no_confirm_page(viewer, admin, client_for):
    token, _ = token_create(membership=viewer)

    assert client_for(admin).get(f"/profile/tokens/{token.pk}/revoke/").status_code == 404


# --------------------------------------------------------------------------- permission reviews


@pytest.fixture
def permission(agent):
    return agent.tool_permissions.create(tool="payments", access="write", justification="Refunds")


def review_url(agent, permission) -> str:
    return reverse("agents:permission_review", args=[agent.pk, permission.pk])


@pytest.mark.parametrize("method", ["get", "post"])
def test_marking_reviewed_asks_for_a_note_first(method, approver, agent, permission, client_for):
    data = {"action": "mark_reviewed"} if method == "post" else {}
    before = entries()

    response = getattr(client_for(approver), method)(review_url(agent, permission), data)

    assert response.status_code == 200
    page = text(response)
    assert f"Mark payments of {agent.name} reviewed?" in page
    assert 'name="note"' in page
    assert "Why it is still needed" in page
    permission.refresh_from_db()
    assert permission.last_reviewed is None
    assert entries() == before


@pytest.mark.parametrize("note", ["", "   ", "\u200b\u200b"])
def test_marking_reviewed_without_a_note_is_refused_beside_the_field(
    note, approver, agent, permission, client_for
):
    response = client_for(approver).post(
        review_url(agent, permission), {"action": "mark_reviewed", "confirm": "yes", "note": note}
    )

    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    permission.refresh_from_db()
    assert permission.last_reviewed is None
    assert not AuditEntry.objects.filter(action="agent.permission_reviewed").exists()


def test_the_note_is_kept_in_the_audit_entry(approver, agent, permission, client_for):
    response = client_for(approver).post(
        review_url(agent, permission),
        {"action": "mark_reviewed", "confirm": "yes", "note": "Refunds still go through it"},
        follow=True,
    )

    permission.refresh_from_db()
    assert permission.last_reviewed is not None
    entry = AuditEntry.objects.get(action="agent.permission_reviewed")
    assert entry.after["note"] == "Refunds still go through it"
    assert "reviewed today" in text(response)
    assert response.redirect_chain[-1][0] == reverse("registry:permissions")


def test_the_review_page_returns_to_where_it_came_from(approver, agent, permission, client_for):
    back = reverse("agents:detail", args=[agent.pk])

    page = text(client_for(approver).get(review_url(agent, permission), {"next": back}))
    off_site = text(
        client_for(approver).get(review_url(agent, permission), {"next": "https://evil.example/"})
    )

    assert f'name="next" value="{back}"' in page
    assert "evil.example" not in off_site


def test_an_unknown_permission_has_no_review_page(approver, agent, client_for):
    response = client_for(approver).get(
        reverse("agents:permission_review", args=[agent.pk, 999999])
    )

    assert response.status_code == 404


def test_a_viewer_has_no_review_page(viewer, agent, permission, client_for):
    assert client_for(viewer).get(review_url(agent, permission)).status_code == 403


# --------------------------------------------------------------------------- assessments


@pytest.fixture
def complete(assessor, framework):
    return AssessmentFactory(
        organization=assessor.organization,
        created_by=assessor.user,
        scores=scores_of(5, 5, 5, 2),
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_submitting_asks_first_and_shows_the_verdict_it_will_get(
    method, assessor, complete, client_for
):
    before = entries()

    response = getattr(client_for(assessor), method)(f"/assessments/{complete.pk}/submit/")

    assert response.status_code == 200
    page = text(response)
    assert f"Submit “{complete.title}”?" in page
    assert "Blocked" in page
    assert "17/20" in page
    assert "nobody can change them afterwards" in page
    assert Assessment.objects.get().is_draft
    assert entries() == before


def test_the_confirm_button_submits(assessor, complete, client_for):
    response = client_for(assessor).post(
        f"/assessments/{complete.pk}/submit/", {"confirm": "yes"}, follow=True
    )

    assert Assessment.objects.get().status == "submitted"
    assert "Submitted. Verdict: Blocked, total 17/20." in text(response)


def test_an_incomplete_draft_opened_at_submit_goes_back_to_its_page(
    assessor, framework, client_for
):
    draft = AssessmentFactory(
        organization=assessor.organization, created_by=assessor.user, scores={"ownership": 3}
    )

    response = client_for(assessor).get(f"/assessments/{draft.pk}/submit/")

    assert response["Location"] == f"/assessments/{draft.pk}/"
    assert Assessment.objects.get().is_draft


def test_a_submitted_assessment_has_no_confirm_page(assessor, complete, client_for):
    client = client_for(assessor)
    client.post(f"/assessments/{complete.pk}/submit/", {"confirm": "yes"})

    response = client.get(f"/assessments/{complete.pk}/submit/")

    assert response["Location"] == f"/assessments/{complete.pk}/"


# --------------------------------------------------------------------------- tenancy


def test_no_confirm_page_shows_another_organizations_object(
    agent, assessor, other_assessor, viewer, client_for, framework
):
    """Every confirm page answers 404 to a member (of every role) of another organization."""
    permission = agent.tool_permissions.create(tool="crm", access="read")
    token, _ = token_create(membership=viewer)
    assessment = AssessmentFactory(
        organization=assessor.organization, created_by=assessor.user, scores=scores_of(4, 4, 4, 4)
    )
    client = client_for(other_assessor)

    for url in (
        f"/agents/{agent.pk}/drills/start/",
        reverse("agents:permission_review", args=[agent.pk, permission.pk]),
        f"/profile/tokens/{token.pk}/revoke/",
        f"/assessments/{assessment.pk}/submit/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"confirm": "yes"}).status_code == 404, url


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (None, "Say in a sentence why the agent still needs it."),
        ("  ", "Say in a sentence why the agent still needs it."),
        ("x" * 1001, "Keep it to 1000 characters or fewer."),
    ],
)
def test_the_service_requires_the_note(note, message, approver, agent, permission):
    with pytest.raises(InvalidInput) as error:
        overview_services.tool_permission_review(
            agent=agent,
            membership=approver,
            permission_id=permission.pk,
            action="mark_reviewed",
            note=note,
        )

    assert error.value.errors == {"note": [message]}
    permission.refresh_from_db()
    assert permission.last_reviewed is None
