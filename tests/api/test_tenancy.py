"""The tenancy walk (docs/api.md "Conventions", docs/adr/0002): every API route that names an
object answers another organization's token with 404 {"detail": "Not found."}, before its body is
looked at; list routes show the caller's organization only. A route with a path parameter that is
missing from ROUTES fails test_every_route_naming_an_object_is_walked, so none can skip the walk.
"""

import pytest

from agents.models import Agent
from api.urls import api as ninja_api
from assessments import services as assessment_services
from audit.models import AuditEntry
from gates.models import GateDecision, PromptVersion
from killswitch import services as killswitch_services
from killswitch.models import Suspension
from overview import services as overview_services
from reports import services as report_services
from webhooks import services as webhook_services
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

PROMPT = {
    "tag": "v9",
    "regression_passed": True,
    "adversarial_passed": True,
    "delta": 0.01,
    "tolerance": 0.05,
    "rollback_target": "v8",
}

SNAPSHOT = {
    "period_start": "2026-01-01",
    "period_end": "2026-01-31",
    "tasks": 100,
    "tasks_completed": 95,
    "escalations": 3,
    "errors": 1,
    "cost": 50.0,
    "avg_cycle_time_s": 60,
    "baseline_cost_per_case": 4.0,
    "baseline_cycle_time_s": 600,
    "baseline_error_rate": 0.03,
}

# (method, path template, a valid body or None). Ids in braces are acme's objects.
ROUTES = [
    ("GET", "/api/v1/assessments/{assessment_id}", None),
    ("PATCH", "/api/v1/assessments/{assessment_id}/scores", {"scores": {"ownership": 3}}),
    ("POST", "/api/v1/assessments/{assessment_id}/submit", None),
    ("GET", "/api/v1/agents/{agent_id}", None),
    ("PATCH", "/api/v1/agents/{agent_id}", {"purpose": "Taken over", "version": 1}),
    ("GET", "/api/v1/agents/{agent_id}/gates", None),
    (
        "PATCH",
        "/api/v1/agents/{agent_id}/gates/{phase}/checklist",
        {"owner_assigned": {"met": True, "evidence": "x"}},
    ),
    (
        "POST",
        "/api/v1/agents/{agent_id}/gates/{phase}/decisions",
        {"decision": "no_go", "rationale": "Not ours to decide."},
    ),
    ("POST", "/api/v1/agents/{agent_id}/prompt-versions", PROMPT),
    ("GET", "/api/v1/agents/{agent_id}/prompt-versions", None),
    ("POST", "/api/v1/agents/{agent_id}/suspend", {"reason": "Hostile stop"}),
    ("POST", "/api/v1/agents/{agent_id}/resume", {"reason": "Hostile resume"}),
    ("POST", "/api/v1/agents/{agent_id}/drills", None),
    ("GET", "/api/v1/agents/{agent_id}/drills", None),
    ("POST", "/api/v1/agents/{agent_id}/drills/{drill_id}/end", None),
    ("GET", "/api/v1/agents/{agent_id}/status", None),
    ("POST", "/api/v1/agents/{agent_id}/metrics", SNAPSHOT),
    ("GET", "/api/v1/agents/{agent_id}/metrics", None),
    ("GET", "/api/v1/agents/{agent_id}/thresholds", None),
    ("GET", "/api/v1/agents/{agent_id}/telemetry", None),
    ("PATCH", "/api/v1/agents/{agent_id}/thresholds", {"alert_error_rate_max": 0.5}),
    ("POST", "/api/v1/agents/{agent_id}/horizon/advance", {"rationale": "Not ours."}),
    ("GET", "/api/v1/reports/{report_id}", None),
    ("POST", "/api/v1/reports/{report_id}/retry", None),
    ("GET", "/api/v1/reports/{report_id}/pdf", None),
    ("DELETE", "/api/v1/webhooks/{webhook_id}", None),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries", None),
    ("POST", "/api/v1/webhooks/{webhook_id}/test", None),
]

# Collections (path -> the id of acme's one item): the caller's organization only.
LIST_ROUTES = {
    "/api/v1/assessments": "assessment_id",
    "/api/v1/agents": "agent_id",
    "/api/v1/reports": "report_id",
    "/api/v1/webhooks": "webhook_id",
}
NOT_TENANT_DATA = ["/api/v1/framework"]  # the same for every organization


def _ids(route):
    return route[0] + " " + route[1]


PARAMS = ("assessment_id", "agent_id", "drill_id", "report_id", "phase", "webhook_id")
UNKNOWN = [
    (method, template, body, param)
    for method, template, body in ROUTES
    for param in PARAMS
    if "{" + param + "}" in template
]


@pytest.fixture
def acme(org, assessor, operator, approver, admin, framework):
    """One of each object in acme: an assessment, an agent (with a drill running), a report."""
    assessment = assessment_services.assessment_create(membership=assessor, title="Acme review")
    agent = overview_services.agent_create(
        membership=assessor, data={"name": "Acme agent", "owner": assessor.user.username}
    )
    drill = killswitch_services.drill_start(agent=agent, membership=operator)
    report = report_services.report_request(membership=assessor)
    webhook, _ = webhook_services.endpoint_create(
        membership=admin, url="https://hooks.acme.example/in", events=["agent.suspended"]
    )
    return {
        "assessment_id": str(assessment.pk),
        "agent_id": str(agent.pk),
        "phase": "1",
        "drill_id": str(drill.pk),
        "report_id": str(report.pk),
        "webhook_id": str(webhook.pk),
    }


@pytest.fixture
def globex(other_assessor, framework):
    assessment_services.assessment_create(membership=other_assessor, title="Globex review")
    overview_services.agent_create(
        membership=other_assessor, data={"name": "Globex agent", "owner": "gus"}
    )
    report_services.report_request(membership=other_assessor)
    webhook_services.endpoint_create(
        membership=other_assessor, url="https://hooks.globex.example/in", events=["report.done"]
    )


@pytest.fixture
def outsider(other_assessor, api_for):
    """gus holds every role, in globex."""
    return api_for(other_assessor)


@pytest.fixture
def insider(org, make_member, api_for):
    """Every role in acme, and owns nothing there."""
    return api_for(
        make_member(org, "admin", "assessor", "approver", "operator", "viewer", username="ivy")
    )


def send(client, method, path, body=None, raw=None):
    method = method.lower()
    if method == "get":
        return client.get(path)
    if method == "delete":  # ApiClient.delete sends no body; the walk sends bad ones too
        return client._send("delete", path, body, raw=raw)
    if raw is not None:
        return getattr(client, method)(path, raw=raw)
    return getattr(client, method)(path, body)


def state_of_acme(org):
    return {
        "audit": AuditEntry.objects.filter(organization=org).count(),
        "agents": list(Agent.objects.values_list("name", "purpose", "state", "version")),
        "suspensions": list(Suspension.objects.values_list("pk", "ended_at")),
        "decisions": GateDecision.objects.count(),
        "prompts": PromptVersion.objects.count(),
        "webhooks": list(Endpoint.objects.values_list("pk", "url")),
    }


@pytest.mark.parametrize(("method", "template", "body"), ROUTES, ids=map(_ids, ROUTES))
def test_another_organizations_object_is_404_before_the_body(
    org, acme, outsider, insider, method, template, body
):
    path = template.format(**acme)
    before = state_of_acme(org)
    attempts = [send(outsider, method, path, body)]
    if method != "GET":
        attempts.append(send(outsider, method, path, raw="{not json"))
        attempts.append(send(outsider, method, path, raw="[]"))
    for response in attempts:
        assert response.status_code == 404, (path, response.content)
        assert response.json() == {"detail": "Not found."}
    assert state_of_acme(org) == before
    # The same request from inside acme reaches the object: the 404 was the tenancy's.
    assert send(insider, method, path, body).status_code != 404


@pytest.mark.parametrize(
    ("method", "template", "body", "param"),
    UNKNOWN,
    ids=[f"{_ids(case)} {case[3]}" for case in UNKNOWN],
)
def test_an_unknown_object_is_the_same_404(acme, insider, method, template, body, param):
    for unknown in ("999999", "abc", "-1"):
        path = template.format(**{**acme, param: unknown})
        response = send(insider, method, path, body)
        assert response.status_code == 404, (path, response.content)
        assert response.json() == {"detail": "Not found."}


def test_runtime_token_of_another_organization_is_404_on_this_status(acme, other_assessor):
    from tests.conftest import ApiClient

    theirs = overview_services.agent_create(
        membership=other_assessor, data={"name": "Globex runtime", "owner": "gus"}
    )
    _, raw = killswitch_services.agent_token_create(agent=theirs, membership=other_assessor)
    response = ApiClient(raw).get(f"/api/v1/agents/{acme['agent_id']}/status")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(("path", "param"), LIST_ROUTES.items())
def test_lists_show_the_callers_organization_only(acme, globex, outsider, insider, path, param):
    theirs = outsider.get(path).json()
    ours = insider.get(path).json()
    assert [i["id"] for i in ours["items"]] == [acme[param]]
    assert ours["count"] == 1
    assert theirs["count"] == 1
    assert acme[param] not in {i["id"] for i in theirs["items"]}


def _api_routes() -> set[tuple[str, str]]:
    """Every (method, path) the NinjaAPI serves, paths as the OpenAPI document writes them."""
    ninja_api.urls  # noqa: B018 -- binds the routers
    routes = set()
    for prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            full = "/api/v1/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                routes.update((m.upper(), full) for m in operation.methods)
    return routes


def test_every_route_naming_an_object_is_walked():
    served = _api_routes()
    with_params = {(m, p) for m, p in served if "{" in p}
    walked = {(m, p) for m, p, _ in ROUTES}
    assert with_params - walked == set(), "add these routes to ROUTES in tests/api/test_tenancy.py"
    assert walked - with_params == set(), "ROUTES names routes the API does not serve"


def test_every_collection_is_checked_for_isolation():
    served = _api_routes()
    collections = {p for m, p in served if m == "GET" and "{" not in p}
    assert collections == set(LIST_ROUTES) | set(NOT_TENANT_DATA)
