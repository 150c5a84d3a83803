"""The OpenID Connect relying party: mozilla-django-oidc's authorization code flow (state,
nonce and PKCE kept in the session and checked at the callback), with the ID token verified
against the provider's keys and its issuer, audience and expiry checked (docs/sso.md)."""

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .discovery import oidc_setting, provider_configuration, sso_enabled
from .services import sso_sign_in

ALGORITHMS = ["RS256"]
# Clock skew tolerated between us and the provider, in seconds.
LEEWAY = 60


class SignInRefused(Exception):
    """An SSO sign-in that cannot go on, with a reason safe to show."""


class SsoBackend(OIDCAuthenticationBackend):
    """Signs in the user of a verified ID token; asked by the callback view only."""

    get_settings = staticmethod(oidc_setting)
    get_user = ModelBackend.get_user
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        # Every authenticate() builds every backend: ask the provider only when it is used.
        self.UserModel = get_user_model()

    # The names mozilla-django-oidc reads, each asked when used.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self):
        return oidc_setting("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self):
        return oidc_setting("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self):
        return oidc_setting("OIDC_OP_JWKS_ENDPOINT")

    @property
    def OIDC_RP_CLIENT_ID(self):
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self):
        return settings.OIDC_RP_CLIENT_SECRET

    def authenticate(self, request, **kwargs):
        # Only the callback passes a nonce; a password sign-in never reaches the provider.
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The ID token: RS256 signature from the provider's JWKS, then iss, aud (and azp),
        exp, iat and the nonce of this sign-in."""
        if not token:
            raise SuspiciousOperation("The provider sent no ID token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation("The ID token is not a JSON Web Token.") from exc
        if header.get("alg") not in ALGORITHMS:
            raise SuspiciousOperation(f"The ID token is signed with {header.get('alg')!r}.")
        key = self.retrieve_matching_jwk(token)
        issuer = provider_configuration()["issuer"]
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise SuspiciousOperation("The ID token has expired.") from exc
        except jwt.InvalidSignatureError as exc:
            raise SuspiciousOperation("The ID token's signature does not verify.") from exc
        except jwt.InvalidAudienceError as exc:
            raise SuspiciousOperation("The ID token was issued to another client.") from exc
        except jwt.InvalidIssuerError as exc:
            raise SuspiciousOperation("The ID token comes from another issuer.") from exc
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The ID token is not valid ({exc}).") from exc
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != settings.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("The ID token was issued to another client.")
        if payload.get("nonce") != kwargs.get("nonce"):
            raise SuspiciousOperation("The ID token's nonce is not this sign-in's.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        """The userinfo endpoint's claims (JSON), which must be about the token's subject."""
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.OIDC_TIMEOUT,
        )
        response.raise_for_status()
        try:
            claims = response.json()
        except ValueError as exc:
            raise SignInRefused("The provider's userinfo answer is not JSON.") from exc
        if not isinstance(claims, dict) or claims.get("sub") != payload["sub"]:
            raise SignInRefused("The provider's userinfo is about another subject.")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = {**self.get_userinfo(access_token, id_token, payload), **payload}
        return sso_sign_in(
            issuer=provider_configuration()["issuer"],
            claims=claims,
            groups_claim=settings.OIDC_GROUPS_CLAIM,
        )
