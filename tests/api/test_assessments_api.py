"""The framework and assessment API against docs/api.md."""

import json

import pytest

from assessments.models import Assessment
from audit.models import AuditEntry
from tests.conftest import CRITERIA, scores_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(assessor, api_for, framework):
    return api_for(assessor)


def create(api, title="Q3 readiness", **extra):
    response = api.post("/api/v1/assessments", {"title": title, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def test_framework_lists_four_dimensions_in_order_with_rubrics(api):
    body = api.get("/api/v1/framework").json()
    assert body["version"] == 1
    assert [d["key"] for d in body["dimensions"]] == [
        "governance",
        "infrastructure",
        "observability",
        "data_quality",
    ]
    assert [c["key"] for d in body["dimensions"] for c in d["criteria"]] == CRITERIA
    assert set(body["dimensions"][0]["criteria"][0]["levels"]) == {"1", "3", "5"}


def test_create_patch_submit_gives_verdict_reasons_and_way_to_ready(api):
    created = create(api)
    assert created["status"] == "draft"
    assert created["result"] is None
    patched = api.patch(
        f"/api/v1/assessments/{created['id']}/scores",
        {"scores": scores_of(3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4)},
    )
    assert patched.status_code == 200, patched.content
    result = patched.json()["result"]
    assert result["total"] == 13
    assert result["verdict"] == "not_ready"
    assert [r["code"] for r in result["reasons"]] == ["total_below_14"]
    assert result["to_ready"] == [
        {"criterion": "ownership", "from": 3, "to": 5},
        {"criterion": "decision_boundaries", "from": 3, "to": 4},
    ]
    submitted = api.post(f"/api/v1/assessments/{created['id']}/submit")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_at"]


def test_blocked_verdict_lists_every_reason(api):
    created = create(api)
    body = api.patch(
        f"/api/v1/assessments/{created['id']}/scores", {"scores": scores_of(2, 2, 2, 2)}
    ).json()
    reasons = body["result"]["reasons"]
    assert body["result"]["verdict"] == "blocked"
    assert [r["dimension"] for r in reasons] == [
        "governance",
        "infrastructure",
        "observability",
        "data_quality",
        None,
    ]


def test_copy_from_last_starts_from_last_submitted_scores(api):
    first = create(api, "first")
    api.patch(f"/api/v1/assessments/{first['id']}/scores", {"scores": scores_of(4, 4, 4, 4)})
    api.post(f"/api/v1/assessments/{first['id']}/submit")
    second = create(api, "second", copy_from_last=True)
    assert second["scores"] == scores_of(4, 4, 4, 4)
    assert second["status"] == "draft"


def test_copy_from_last_without_a_submitted_one_is_400(api):
    response = api.post("/api/v1/assessments", {"title": "x", "copy_from_last": True})
    assert response.status_code == 400
    assert "copy_from_last" in response.json()["errors"]


@pytest.mark.parametrize(
    ("scores", "bad_field"),
    [
        ({"ownership": 0}, "scores.ownership"),
        ({"ownership": 6}, "scores.ownership"),
        ({"ownership": 3.0}, "scores.ownership"),
        ({"ownership": "3"}, "scores.ownership"),
        ({"ownership": True}, "scores.ownership"),
        ({"ownership": None}, "scores.ownership"),
        ({"nonsense": 3}, "scores.nonsense"),
    ],
)
def test_bad_scores_are_400_and_nothing_is_saved(api, scores, bad_field):
    created = create(api)
    response = api.patch(
        f"/api/v1/assessments/{created['id']}/scores", {"scores": {"tracing": 4, **scores}}
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [bad_field]
    assert api.get(f"/api/v1/assessments/{created['id']}").json()["scores"] == {}


def test_every_bad_score_is_named(api):
    created = create(api)
    response = api.patch(
        f"/api/v1/assessments/{created['id']}/scores",
        {"scores": {"ownership": 9, "nonsense": 3, "tracing": "x"}},
    )
    assert set(response.json()["errors"]) == {
        "scores.ownership",
        "scores.nonsense",
        "scores.tracing",
    }


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[]", '"scores"', '{"scores": [1, 2]}', "{}"],
)
def test_malformed_or_wrong_shape_body_is_400(api, raw):
    created = create(api)
    response = api.patch(f"/api/v1/assessments/{created['id']}/scores", raw=raw)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_create_without_title_is_400_naming_title(api):
    response = api.post("/api/v1/assessments", {})
    assert response.status_code == 400
    assert "title" in response.json()["errors"]
    response = api.post("/api/v1/assessments", {"title": "   "})
    assert response.status_code == 400
    assert "title" in response.json()["errors"]


def test_submit_incomplete_is_400_naming_missing_criteria(api):
    created = create(api)
    api.patch(f"/api/v1/assessments/{created['id']}/scores", {"scores": {"ownership": 3}})
    response = api.post(f"/api/v1/assessments/{created['id']}/submit")
    assert response.status_code == 400
    missing = set(response.json()["errors"])
    assert missing == {f"scores.{k}" for k in CRITERIA if k != "ownership"}
    assert Assessment.objects.get(pk=created["id"]).status == "draft"


def test_submitted_assessment_is_read_only_409(api):
    created = create(api)
    api.patch(f"/api/v1/assessments/{created['id']}/scores", {"scores": scores_of(4, 4, 4, 4)})
    api.post(f"/api/v1/assessments/{created['id']}/submit")
    again = api.post(f"/api/v1/assessments/{created['id']}/submit")
    assert again.status_code == 409
    assert again.json()["reasons"][0]["code"] == "already_submitted"
    change = api.patch(f"/api/v1/assessments/{created['id']}/scores", {"scores": {"ownership": 1}})
    assert change.status_code == 409
    assert api.get(f"/api/v1/assessments/{created['id']}").json()["scores"]["ownership"] == 4


def test_stale_version_is_409_and_nothing_saved(api):
    created = create(api)
    version = created["version"]
    first = api.patch(
        f"/api/v1/assessments/{created['id']}/scores",
        {"scores": {"ownership": 2}, "version": version},
    )
    assert first.status_code == 200
    stale = api.patch(
        f"/api/v1/assessments/{created['id']}/scores",
        {"scores": {"ownership": 5, "tracing": 5}, "version": version},
    )
    assert stale.status_code == 409
    assert stale.json()["reasons"][0]["code"] == "stale_version"
    assert api.get(f"/api/v1/assessments/{created['id']}").json()["scores"] == {"ownership": 2}


def test_patch_is_audited_with_before_and_after(api):
    created = create(api)
    api.patch(f"/api/v1/assessments/{created['id']}/scores", {"scores": {"ownership": 2}})
    api.patch(f"/api/v1/assessments/{created['id']}/scores", {"scores": {"ownership": 4}})
    entry = AuditEntry.objects.filter(action="assessment.scores_changed").order_by("-seq").first()
    assert entry.before == {"ownership": 2}
    assert entry.after == {"ownership": 4}
    assert entry.actor_label == "sam"


def test_list_is_newest_first_with_count_and_pages(api, assessor, framework):
    for i in range(53):
        Assessment.objects.create(
            organization=assessor.organization,
            framework=framework,
            title=f"a{i}",
            created_by=assessor.user,
        )
    first = api.get("/api/v1/assessments").json()
    assert first["count"] == 53
    assert len(first["items"]) == 50
    assert first["items"][0]["title"] == "a52"
    second = api.get("/api/v1/assessments?page=2").json()
    assert [a["title"] for a in second["items"]] == ["a2", "a1", "a0"]
    assert api.get("/api/v1/assessments?page=0").status_code == 400
    assert api.get("/api/v1/assessments?page=x").status_code == 400


def test_list_query_count_is_constant(api, assessor, framework, django_assert_max_num_queries):
    from assessments.models import Score

    for i in range(60):
        a = Assessment.objects.create(
            organization=assessor.organization,
            framework=framework,
            title=f"a{i}",
            created_by=assessor.user,
        )
        Score.objects.bulk_create(
            Score(assessment=a, criterion=c, value=3) for c in framework.criteria_by_key.values()
        )
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/assessments").status_code == 200


# --- authentication, roles and tenancy ---------------------------------------------------------


def test_no_token_or_wrong_token_is_401(db):
    from tests.conftest import ApiClient

    assert ApiClient(None).get("/api/v1/assessments").status_code == 401
    response = ApiClient("rdy_wrong").get("/api/v1/framework")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_revoked_token_is_401(assessor):
    from accounts.services import token_create, token_revoke
    from tests.conftest import ApiClient

    token, raw = token_create(membership=assessor)
    token_revoke(token=token, by=assessor.user)
    assert ApiClient(raw).get("/api/v1/framework").status_code == 401


def test_viewer_may_read_but_not_write_403(viewer, api_for, api):
    created = create(api)
    as_viewer = api_for(viewer)
    assert as_viewer.get(f"/api/v1/assessments/{created['id']}").status_code == 200
    assert as_viewer.post("/api/v1/assessments", {"title": "x"}).status_code == 403
    response = as_viewer.patch(
        f"/api/v1/assessments/{created['id']}/scores", {"scores": {"ownership": 3}}
    )
    assert response.status_code == 403
    assert as_viewer.post(f"/api/v1/assessments/{created['id']}/submit").status_code == 403
    # 403 comes before 400: a bad body from a viewer is still 403.
    bad = as_viewer.patch(f"/api/v1/assessments/{created['id']}/scores", raw="{bad")
    assert bad.status_code == 403
    assert api.get(f"/api/v1/assessments/{created['id']}").json()["scores"] == {}


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "/scores", {"scores": {"ownership": 1}}),
        ("patch", "/scores", "{bad json"),
        ("post", "/submit", None),
    ],
)
def test_another_organizations_assessment_is_404_before_the_body(
    api, other_assessor, api_for, method, suffix, body
):
    created = create(api)
    outsider = api_for(other_assessor)
    path = f"/api/v1/assessments/{created['id']}{suffix}"
    if isinstance(body, str):
        response = getattr(outsider, method)(path, raw=body)
    else:
        response = (
            getattr(outsider, method)(path, body) if body else getattr(outsider, method)(path)
        )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert outsider.get("/api/v1/assessments").json()["count"] == 0


@pytest.mark.parametrize("bad_id", ["999999", "abc", "-1"])
def test_unknown_ids_are_404(api, bad_id):
    assert api.get(f"/api/v1/assessments/{bad_id}").status_code == 404


def test_body_over_one_mebibyte_is_413(api):
    created = create(api)
    raw = json.dumps({"scores": {"ownership": 3}, "pad": "x" * (1024 * 1024)})
    response = api.patch(f"/api/v1/assessments/{created['id']}/scores", raw=raw)
    assert response.status_code == 413


def test_openapi_documents_400_and_never_422(api):
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/assessments/{assessment_id}/scores" in schema["paths"]
    text = json.dumps(schema)
    assert '"422"' not in text
    patch = schema["paths"]["/api/v1/assessments/{assessment_id}/scores"]["patch"]
    assert {"400", "401", "403", "404", "409"} <= set(patch["responses"])
