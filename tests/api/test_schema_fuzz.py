"""Schemathesis over /api/v1/openapi.json: generated requests (valid and invalid) never get a
5xx, and every answer matches the schema the API publishes (status codes, content types,
bodies). Bounded, so it stays quick."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assessments import services as assessment_services
from overview import services as overview_services

# What the API promises: no 5xx, and status codes, content types, headers and bodies as the
# schema documents them. (The data checks that a "schema-valid" body is accepted do not apply:
# the rules of docs/rules.md refuse many schema-valid bodies, e.g. errors above tasks, with a 400.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """As Django's test client does: the WSGI handler must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(org, make_member, api_for, framework):
    """A member with every role, and one object of each kind for the path parameters."""
    everyone = make_member(
        org, "admin", "assessor", "approver", "operator", "viewer", username="al"
    )
    make_member(org, "assessor", username="olga")
    agent = overview_services.agent_create(
        membership=everyone, data={"name": "Fuzzed agent", "owner": "olga"}
    )
    assessment = assessment_services.assessment_create(membership=everyone, title="Fuzzed")
    return {
        "headers": api_for(everyone).headers,
        "ids": {"agent_id": str(agent.pk), "assessment_id": str(assessment.pk)},
    }


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, world):
    # Point most requests at real objects, so they get past the 404 to the body checks.
    for name, value in world["ids"].items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = value
    case.call_and_validate(headers=world["headers"], checks=CHECKS)
