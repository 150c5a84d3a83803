"""Hostile and odd input: deeply nested JSON, wrong content types, unicode and markup in
every text field, forms without a CSRF token. Each gets a clear answer, never a 5xx, and
user text is escaped wherever it is shown."""

import json

import pytest
from django.test import Client

from assessments import services as assessment_services
from killswitch import services as killswitch_services
from overview import services as overview_services

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
UNICODE = "Zoë’s agent ✓ 漢字 🚀"


@pytest.fixture
def api(assessor, api_for, framework):
    return api_for(assessor)


@pytest.mark.parametrize("depth", [100, 5_000, 200_000])
def test_deeply_nested_json_is_400_not_a_crash(api, depth):
    raw = "[" * depth + "]" * depth
    response = api.post("/api/v1/assessments", raw=raw)
    assert response.status_code in (400, 413)
    assert response.json()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "title=hello"),
        ("application/x-www-form-urlencoded", "title=hello"),
        ("application/xml", "<title>hello</title>"),
    ],
)
def test_wrong_content_types_are_415(api, content_type, body):
    # docs/api.md "Conventions": a body that is not application/json is 415 (tests/api/
    # test_request_bodies.py walks every write route).
    response = api.post("/api/v1/assessments", raw=body, content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_an_empty_json_body_is_400(api):
    response = api.post("/api/v1/assessments", raw="", content_type="application/json")
    assert response.status_code == 400
    assert "errors" in response.json()


def test_unicode_round_trips_through_the_api(api):
    created = api.post("/api/v1/assessments", {"title": UNICODE}).json()
    assert created["title"] == UNICODE
    assert api.get(f"/api/v1/assessments/{created['id']}").json()["title"] == UNICODE


def test_markup_in_text_fields_is_escaped_on_every_page(
    org, assessor, operator, viewer, client_for, make_member
):
    make_member(org, "assessor", username="olga")
    agent = overview_services.agent_create(
        membership=assessor,
        data={
            "name": SCRIPT,
            "purpose": SCRIPT,
            "business_unit": "<b>unit</b>",
            "owner": "olga",
            "decision_boundaries": [{"decision": SCRIPT, "mode": "alone"}],
            "tool_permissions": [{"tool": SCRIPT, "access": "read", "justification": SCRIPT}],
        },
    )
    killswitch_services.agent_suspend(agent=agent, membership=operator, reason=SCRIPT)
    assessment = assessment_services.assessment_create(membership=assessor, title=SCRIPT)
    client = client_for(viewer)
    for path in (
        "/",
        "/assessments/",
        f"/assessments/{assessment.pk}/",
        "/agents/board/",
        f"/agents/{agent.pk}/",
        f"/agents/{agent.pk}/gates/1/",
        f"/agents/{agent.pk}/metrics/",
        "/agents/permissions/",
    ):
        page = client.get(path).content.decode()
        assert SCRIPT not in page, path
        assert "<b>unit</b>" not in page, path
    board = client.get("/agents/board/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in board


def test_forms_without_a_csrf_token_are_refused(assessor, framework):
    client = Client(enforce_csrf_checks=True)
    client.force_login(assessor.user)
    response = client.post("/assessments/new/", {"title": "No token", "start": "blank"})
    assert response.status_code == 403
    from assessments.models import Assessment

    assert not Assessment.objects.exists()


def test_the_api_needs_no_csrf_token_but_a_bearer_token(assessor, framework):
    # Bearer-token requests are not cookie-authenticated, so no CSRF applies; a session is
    # not enough either.
    client = Client(enforce_csrf_checks=True)
    client.force_login(assessor.user)  # a session alone does not authenticate the API
    response = client.post(
        "/api/v1/assessments", data=json.dumps({"title": "x"}), content_type="application/json"
    )
    assert response.status_code == 401
