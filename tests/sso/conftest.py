"""The real OpenID Connect provider (session-wide) and the settings that point at it."""

import pytest

from sso import discovery

from .provider import CLIENT_ID, CLIENT_SECRET, TEST_CALLBACK, provider_running


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    with provider_running(tmp_path_factory.mktemp("oidc"), [TEST_CALLBACK]) as provider:
        yield provider


@pytest.fixture
def sso_on(db, settings, oidc_provider):
    """Single sign-on configured against the test provider, with no user in its directory."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
    discovery.forget()
    oidc_provider.set_users({})
    yield oidc_provider
    discovery.forget()


@pytest.fixture
def sso_configured(db, settings):
    """SSO settings with no provider behind them (pages that never ask the provider)."""
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_BUTTON_LABEL = "Sign in with Acme ID"
    discovery.forget()
    yield settings
    discovery.forget()
