"""Fixtures of the telemetry tests: an agent with tool permissions and guardrails, its runtime
token, and a client that posts exports with it."""

import gzip

import pytest
from django.test import Client

from core.tasks import send_email
from killswitch import services as killswitch_services
from tests.helpers import make_agent

from .otel import OTLP_PATH, PROTOBUF, Runtime


@pytest.fixture
def agent(assessor):
    return make_agent(
        assessor,
        name="Invoice triage",
        tool_permissions=[
            {"tool": "crm", "access": "read", "justification": "Looks up customers"},
            {"tool": "Search", "access": "read", "justification": "Finds invoices"},
        ],
    )


@pytest.fixture
def runtime_token(agent, admin):
    _, raw = killswitch_services.agent_token_create(agent=agent, membership=admin)
    return raw


class Exporter:
    """Posts export bodies to the OTLP route with a bearer token, as a runtime would."""

    def __init__(self, token):
        self.client = Client()
        self.token = token

    def post(self, body, *, content_type=PROTOBUF, gzipped=False, headers=None, token=None):
        if isinstance(body, str):
            body = body.encode()
        sent = {"Authorization": f"Bearer {token or self.token}", **(headers or {})}
        if gzipped:
            body = gzip.compress(body)
            sent["Content-Encoding"] = "gzip"
        return self.client.post(OTLP_PATH, data=body, content_type=content_type, headers=sent)


@pytest.fixture
def exporter(runtime_token):
    return Exporter(runtime_token)


@pytest.fixture
def runtime():
    return Runtime()


@pytest.fixture
def queued_emails(monkeypatch):
    """The emails queued for a worker (core.tasks.send_email.delay's keyword arguments)."""
    queued = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: queued.append(kwargs))
    return queued
