"""The SSO pages: the redirect to the provider and its callback (mozilla-django-oidc's views
with discovery and a clear page when something fails), the "no role yet" page, the
superusers' mapping pages, and an organization's require-SSO setting (docs/sso.md)."""

import logging

import requests
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core import permissions
from core.errors import Forbidden, InvalidInput
from core.permissions import by_roles
from core.tenancy import member_required

from . import services
from .discovery import ProviderUnavailable, oidc_setting, sso_enabled
from .forms import MappingForm, RequireSsoForm
from .oidc import SignInRefused
from .selectors import (
    mapping_contacts,
    mapping_get,
    mapping_list,
    organization_requires_sso,
    user_has_membership,
)

log = logging.getLogger(__name__)


def _posted(request):
    """The posted data, even when empty (an unticked box posts nothing)."""
    return request.POST if request.method == "POST" else None


def _failed(request, reason: str, status: int = 400):
    return render(request, "sso/failed.html", {"reason": reason}, status=status)


class SsoLogin(OIDCAuthenticationRequestView):
    """Redirect to the provider's authorization endpoint with state, nonce and a PKCE
    challenge kept in the session."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The endpoint is read from discovery when the page is asked for, not at start-up.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable as exc:
            log.warning("SSO: %s", exc)
            return _failed(request, "The identity provider cannot be reached now.", 502)
        self.OIDC_RP_CLIENT_ID = oidc_setting("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SsoCallback(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code: exchange it, verify the ID
    token, sign the user in. Anything refused shows why, and signs nobody in."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        if request.GET.get("error"):
            super().get(request)  # forgets the state and signs out, as the library does
            return _failed(
                request,
                "The identity provider did not sign you in: "
                f"{request.GET.get('error_description') or request.GET['error']}.",
            )
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            log.warning("SSO sign-in refused: %s", exc)
            return _failed(request, f"The provider's answer was refused: {exc}")
        except SignInRefused as exc:
            return _failed(request, str(exc), 403)
        except Forbidden as exc:
            return _failed(request, exc.detail, 403)
        except InvalidInput as exc:
            return _failed(request, f"The provider's answer was refused: {exc}")
        except IntegrityError:
            # Two first sign-ins of the same person at once: the other one made the account.
            return _failed(request, "Another sign-in of yours was under way: try again.", 409)
        except ProviderUnavailable as exc:
            log.warning("SSO: %s", exc)
            return _failed(request, "The identity provider cannot be reached now.", 502)
        except requests.RequestException as exc:
            log.warning("SSO: the provider refused or failed: %s", exc)
            return _failed(request, "The identity provider refused this sign-in; try again.", 502)

    def login_failure(self):
        return _failed(
            self.request,
            "This sign-in is unknown or was used already: start again from the sign-in page.",
        )

    def login_success(self):
        response = super().login_success()
        if not user_has_membership(user=self.user):
            return redirect("sso:no_role")
        return response


@login_required
def no_role(request):
    """Signed in, but no mapping gives a role in any organization yet."""
    if user_has_membership(user=request.user):
        return redirect("home")
    return render(request, "sso/no_role.html", {"contacts": mapping_contacts()})


def _superuser(request) -> None:
    if not permissions.may_edit_sign_in_mappings(request.user):
        raise PermissionDenied("Only a superuser edits the sign-in mappings.")


def _mapping_save(request, form, mapping=None) -> bool:
    data = form.cleaned_data
    try:
        if mapping is None:
            services.mapping_create(
                by=request.user,
                claim_value=data["claim_value"],
                organization=data["organization"],
                roles=data["roles"],
            )
        else:
            services.mapping_update(
                by=request.user,
                mapping=mapping,
                claim_value=data["claim_value"],
                roles=data["roles"],
            )
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    except InvalidInput as error:
        form.add_service_errors(error.errors)
        return False
    return True


@login_required
def mappings(request):
    """Every mapping, and a form to add one (superusers)."""
    _superuser(request)
    form = MappingForm(_posted(request))
    if request.method == "POST" and form.is_valid() and _mapping_save(request, form):
        messages.success(request, f"Mapped {form.cleaned_data['claim_value']}.")
        return redirect("sso:mappings")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sso/mappings.html",
        {"mappings": mapping_list(), "form": form},
        status=status,
    )


@login_required
def mapping_edit(request, pk):
    _superuser(request)
    mapping = mapping_get(pk=pk)
    initial = {
        "claim_value": mapping.claim_value,
        "organization": mapping.organization,
        "roles": mapping.roles,
    }
    form = MappingForm(_posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid() and _mapping_save(request, form, mapping):
        value = form.cleaned_data["claim_value"]
        messages.success(request, f"Changed the mapping of {value}.")
        return redirect("sso:mappings")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "sso/mapping_edit.html", {"mapping": mapping, "form": form}, status=status
    )


@require_POST
@login_required
def mapping_delete(request, pk):
    _superuser(request)
    mapping = mapping_get(pk=pk)
    try:
        services.mapping_delete(by=request.user, mapping=mapping)
    except Forbidden as error:
        raise PermissionDenied(error.detail) from error
    messages.success(request, f"Deleted the mapping of {mapping.claim_value}.")
    return redirect("sso:mappings")


@member_required(allow=by_roles(permissions.may_manage_sso))
def require_sso(request):
    """An admin requires single sign-on of the organization's members, or lifts it."""
    organization = request.membership.organization
    current = organization_requires_sso(organization=organization)
    form = RequireSsoForm(_posted(request), initial={"require_sso": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_sso_set(
                membership=request.membership, require_sso=form.cleaned_data["require_sso"]
            )
        except Forbidden as error:
            raise PermissionDenied(error.detail) from error
        wanted = form.cleaned_data["require_sso"]
        messages.success(
            request,
            f"{organization} members now sign in with single sign-on only."
            if wanted
            else f"{organization} members may sign in with a password again.",
        )
        return redirect("sso:require")
    return render(
        request,
        "sso/require.html",
        {"form": form, "require": current, "sso_enabled": sso_enabled()},
        status=400 if request.method == "POST" else 200,
    )
