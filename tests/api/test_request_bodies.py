"""Request bodies on every write route (docs/api.md "Conventions"): a JSON value that is not an
object is 400 under "__all__", malformed JSON is 400, another content type is 415 naming
application/json, a body over 1 MiB is 413; all after 401, 404 and 403 (docs/adr/0002), except
the 413, which comes first. Body-less POSTs need no content type. The 413 over a real socket is
in test_body_limit_live.py."""

import io

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from api import middleware
from api.middleware import body_limit
from api.urls import api as ninja_api
from assessments import services as assessment_services
from audit.models import AuditEntry
from overview import services as overview_services
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

# Every route that takes a body (test_every_route_taking_a_body_is_walked keeps it complete).
BODY_ROUTES = [
    ("POST", "/api/v1/assessments"),
    ("PATCH", "/api/v1/assessments/{assessment_id}/scores"),
    ("POST", "/api/v1/agents"),
    ("PATCH", "/api/v1/agents/{agent_id}"),
    ("PATCH", "/api/v1/agents/{agent_id}/gates/{phase}/checklist"),
    ("POST", "/api/v1/agents/{agent_id}/gates/{phase}/decisions"),
    ("POST", "/api/v1/agents/{agent_id}/prompt-versions"),
    ("POST", "/api/v1/agents/{agent_id}/suspend"),
    ("POST", "/api/v1/agents/{agent_id}/resume"),
    ("POST", "/api/v1/agents/{agent_id}/metrics"),
    ("PATCH", "/api/v1/agents/{agent_id}/thresholds"),
    ("POST", "/api/v1/agents/{agent_id}/horizon/advance"),
    ("POST", "/api/v1/reports"),
    ("POST", "/api/v1/webhooks"),
]
# Writes without a body: they take no content type and ignore one.
BODYLESS_ROUTES = [
    ("POST", "/api/v1/assessments/{assessment_id}/submit"),
    ("POST", "/api/v1/agents/{agent_id}/drills"),
    ("POST", "/api/v1/reports/{report_id}/retry"),
]
VIEWER_MAY = {("POST", "/api/v1/reports")}  # any member may request a report

NOT_OBJECTS = [
    ("[]", "an array"),
    ('[{"title": "x"}]', "an array"),
    ('"x"', "a string"),
    ("3", "a number"),
    ("2.5", "a number"),
    ("true", "a boolean"),
    ("null", "null"),
]
NOT_JSON_TYPES = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/jsonp",
    "application/problem+json",
    "",  # no Content-Type at all
]


def _ids(route):
    return " ".join(route)


@pytest.fixture
def objects(org, make_member, framework):
    """ivy holds every role in acme; an assessment and an agent for the paths."""
    ivy = make_member(org, "admin", "assessor", "approver", "operator", "viewer", username="ivy")
    assessment = assessment_services.assessment_create(membership=ivy, title="Bodies")
    agent = overview_services.agent_create(membership=ivy, data={"name": "Bodies", "owner": "ivy"})
    ids = {"assessment_id": assessment.pk, "agent_id": agent.pk, "phase": 1}
    return ivy, ids


@pytest.fixture
def ivy(objects, api_for):
    return api_for(objects[0])


def path_of(template, objects):
    return template.format(**objects[1])


def send(api, method, path, body, content_type="application/json"):
    """`body` as sent, with exactly this Content-Type ("" sends none)."""
    kwargs = {"headers": api.headers}
    if body is not None:
        kwargs.update(data=body, content_type=content_type)
    return api.client.generic(method, path, **kwargs)


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES, ids=map(_ids, BODY_ROUTES))
@pytest.mark.parametrize(("raw", "kind"), NOT_OBJECTS, ids=[r for r, _ in NOT_OBJECTS])
def test_a_json_value_that_is_not_an_object_is_400_all(objects, ivy, method, template, raw, kind):
    audited = AuditEntry.objects.count()
    response = send(ivy, method, path_of(template, objects), raw)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "errors": {"__all__": [f"Send a JSON object as the body, not {kind}."]}
    }
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES, ids=map(_ids, BODY_ROUTES))
@pytest.mark.parametrize("raw", ["{bad", "{'a': 1}", '{"a": 1', "\xff", "NaN-ish"])
def test_malformed_json_is_400(objects, ivy, method, template, raw):
    response = send(ivy, method, path_of(template, objects), raw)
    assert response.status_code == 400, response.content
    assert response.json() == {"errors": {"__all__": ["The body is not valid JSON."]}}


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES, ids=map(_ids, BODY_ROUTES))
@pytest.mark.parametrize("content_type", NOT_JSON_TYPES, ids=lambda c: c or "none")
def test_a_body_of_another_content_type_is_415(objects, ivy, method, template, content_type):
    audited = AuditEntry.objects.count()
    response = send(ivy, method, path_of(template, objects), '{"title": "x"}', content_type)
    assert response.status_code == 415, response.content
    detail = response.json()["detail"]
    assert list(response.json()) == ["detail"]
    assert "Content-Type: application/json" in detail
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json;"]
)
def test_application_json_with_parameters_or_any_case_is_accepted(ivy, content_type):
    response = send(ivy, "POST", "/api/v1/assessments", '{"title": "Typed"}', content_type)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES, ids=map(_ids, BODY_ROUTES))
def test_the_body_is_checked_after_token_tenancy_and_role(
    objects, ivy, other_assessor, org, make_member, api_for, method, template
):
    path = path_of(template, objects)
    bodies = [("{}", "text/plain"), ("[]", "application/json"), ("{bad", "application/json")]
    anonymous = ApiClient(None)
    for raw, content_type in bodies:
        assert send(anonymous, method, path, raw, content_type).status_code == 401
    if "{" in template:
        outsider = api_for(other_assessor)
        for raw, content_type in bodies:
            response = send(outsider, method, path, raw, content_type)
            assert response.status_code == 404, (raw, content_type, response.content)
    if (method, template) not in VIEWER_MAY:
        viewer = api_for(make_member(org, "viewer", username="vic"))
        for raw, content_type in bodies:
            response = send(viewer, method, path, raw, content_type)
            assert response.status_code == 403, (raw, content_type, response.content)


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES, ids=map(_ids, BODY_ROUTES))
def test_a_body_over_the_limit_is_413_before_anything_else(objects, method, template):
    path = path_of(template, objects)
    raw = '{"pad": "' + "x" * body_limit(path) + '"}'
    anonymous = ApiClient(None)
    for content_type in ("application/json", "text/plain"):
        response = send(anonymous, method, path, raw, content_type)
        assert response.status_code == 413
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(("method", "template"), BODYLESS_ROUTES, ids=map(_ids, BODYLESS_ROUTES))
@pytest.mark.parametrize(("raw", "content_type"), [(None, ""), ("", ""), ("hello", "text/plain")])
def test_a_write_without_a_body_needs_no_content_type(
    objects, ivy, method, template, raw, content_type
):
    if "report_id" in template:
        report = ivy.post("/api/v1/reports", {}).json()
        template = template.replace("{report_id}", report["id"])
    response = send(ivy, method, path_of(template, objects), raw, content_type)
    # Submitting the unscored assessment is a 400 of the rules, naming the scores: not the body.
    assert response.status_code not in (413, 415), response.content
    assert "__all__" not in response.json().get("errors", {}), response.content


def test_starting_a_drill_with_no_content_type_starts_it(objects, ivy):
    response = send(ivy, "POST", path_of("/api/v1/agents/{agent_id}/drills", objects), None)
    assert response.status_code == 201, response.content


def _served():
    """(method, path) of every operation, and whether it takes a body."""
    ninja_api.urls  # noqa: B018 -- binds the routers
    for prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            full = "/api/v1/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                body = any(m.__ninja_param_source__ == "body" for m in operation.models)
                for method in operation.methods:
                    yield method.upper(), full, body


def test_every_route_taking_a_body_is_walked():
    served = list(_served())
    assert {(m, p) for m, p, body in served if body} == set(BODY_ROUTES)
    writes = {(m, p) for m, p, body in served if m in ("POST", "PATCH", "PUT") and not body}
    assert set(BODYLESS_ROUTES) <= writes


# The middleware itself: it reads and discards a body over the limit (bounded), so that a real
# server can send its 413 to a client that is still sending.


class Gone(io.BytesIO):
    """A client that hangs up after sending what it sent."""

    def read(self, size=-1):
        chunk = super().read(size)
        if not chunk:
            raise ConnectionResetError(104, "Connection reset by peer")
        return chunk


def _request(declared: int, sent: int, stream_class=io.BytesIO):
    stream = stream_class(b"x" * sent)
    environ = RequestFactory().post("/api/v1/assessments", b"{}", "application/json").environ
    environ.update({"CONTENT_LENGTH": str(declared), "wsgi.input": stream})
    return WSGIRequest(environ), stream


def _limit(request):
    return middleware.BodySizeLimitMiddleware(lambda r: pytest.fail("the view was called"))(request)


def test_a_body_over_the_limit_is_read_to_its_end_before_the_413():
    size = 3 * 1024 * 1024
    request, stream = _request(size, size)
    assert _limit(request).status_code == 413
    assert stream.tell() == size


def test_a_body_beyond_the_drain_bound_is_not_read():
    request, stream = _request(middleware.DRAIN_MAX_BYTES + 1, 2 * 1024 * 1024)
    assert _limit(request).status_code == 413
    assert stream.tell() == 0


def test_the_drain_stops_at_its_deadline(monkeypatch):
    monkeypatch.setattr(middleware, "DRAIN_MAX_SECONDS", 0.0)
    request, stream = _request(2 * 1024 * 1024, 2 * 1024 * 1024)
    assert _limit(request).status_code == 413
    assert stream.tell() == 0


@pytest.mark.parametrize("stream_class", [io.BytesIO, Gone])
def test_a_client_that_sends_less_than_it_declares_still_gets_a_413(stream_class):
    request, stream = _request(4 * 1024 * 1024, 2 * 1024 * 1024, stream_class)
    assert _limit(request).status_code == 413
    assert stream.tell() == 2 * 1024 * 1024
