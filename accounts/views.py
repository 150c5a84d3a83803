"""Signed-in pages: organization switcher, profile and API tokens, members."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from audit.actions import Action
from audit.services import audit_record
from core import permissions, ratelimit
from core.errors import Conflict, InvalidInput
from core.permissions import by_roles
from core.roles import ROLE_LABELS
from core.tenancy import member_required, url_object

from .forms import (
    InvitationForm,
    InvitationSignUpForm,
    MemberAddForm,
    MemberRolesForm,
    OrganizationSettingsForm,
    TokenCreateForm,
)
from .lockout import failures_left
from .middleware import SESSION_KEY
from .selectors import (
    invitation_by_token,
    invitation_list_of,
    invitations_open_for,
    member_list,
    token_get,
    token_list,
)
from .services import (
    invitation_create,
    invitation_respond,
    member_remove,
    member_set_active,
    member_set_roles,
    organization_settings_update,
    token_create,
    token_revoke,
)


def _member_get(*, organization, pk):
    return get_object_or_404(member_list(organization=organization), pk=pk)


# Organization switcher ----------------------------------------------------------------------


@member_required
def switch_organization(request):
    """GET lists the user's organizations; POST `membership` acts in that one from now on."""
    if request.method == "POST":
        try:
            wanted = int(request.POST.get("membership", ""))
        except ValueError:
            raise Http404("No such organization.") from None
        chosen = next((m for m in request.memberships if m.pk == wanted), None)
        if chosen is None:
            raise Http404("No such organization.")
        request.session[SESSION_KEY] = chosen.pk
        messages.success(request, f"You are now working in {chosen.organization}.")
        return redirect("home")
    return render(request, "accounts/switch_organization.html", {"role_labels": ROLE_LABELS})


# Profile and API tokens ---------------------------------------------------------------------


def _profile(request, *, form=None, raw_token=None, created_token=None, status=200):
    response = render(
        request,
        "accounts/profile.html",
        {
            "tokens": token_list(membership=request.membership),
            "form": form or TokenCreateForm(),
            "raw_token": raw_token,
            "created_token": created_token,
            "api_url": request.build_absolute_uri("/api/v1/assessments"),
        },
        status=status,
    )
    if raw_token:
        # The raw token is shown once: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@member_required
def profile(request):
    return _profile(request)


@require_POST
@member_required
def token_create_view(request):
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile(request, form=form, status=400)
    token, raw = token_create(
        membership=request.membership, name=form.cleaned_data["name"], by=request.user
    )
    return _profile(request, raw_token=raw, created_token=token)


@member_required
def token_revoke_view(request, pk):
    """A GET, or a POST without `confirm`, asks first (the profile's button lands here)."""
    token = token_get(membership=request.membership, pk=pk)
    if token.revoked_at is None and (
        request.method != "POST" or request.POST.get("confirm") != "yes"
    ):
        return render(request, "accounts/token_revoke.html", {"token": token})
    if token.revoked_at is not None:
        messages.info(request, f"The token “{token.name}” was already revoked.")
    else:
        token_revoke(token=token, by=request.user)
        messages.success(
            request, f"Revoked the token “{token.name}” ({token.prefix}…): it no longer works."
        )
    return redirect("profile")


# Members ------------------------------------------------------------------------------------


def _members(request, *, add_form=None, bound_form=None, invite_form=None, status=200):
    members = list(member_list(organization=request.membership.organization))
    rows = []
    for member in members:
        if bound_form is not None and bound_form.target.pk == member.pk:
            form = bound_form
        else:
            form = MemberRolesForm(target=member, acting=request.membership)
        rows.append((member, form))
    return render(
        request,
        "accounts/members.html",
        {
            "rows": rows,
            "add_form": add_form or MemberAddForm(organization=request.membership.organization),
            "invite_form": invite_form or InvitationForm(prefix="invite"),
            "invitations": invitation_list_of(organization=request.membership.organization),
            "role_labels": ROLE_LABELS,
        },
        status=status,
    )


@require_GET
@member_required(allow=by_roles(permissions.may_manage_members))
def members(request):
    return _members(request)


@require_POST
@member_required(allow=by_roles(permissions.may_manage_members))
def member_add(request):
    organization = request.membership.organization
    form = MemberAddForm(request.POST, organization=organization)
    if not form.is_valid():
        return _members(request, add_form=form, status=400)
    data = form.cleaned_data
    membership = member_set_roles(
        organization=organization,
        username=data["username"],
        roles=data["roles"],
        password=data["password"] or None,
        email=data["email"],
        by=request.user,
    )
    messages.success(
        request,
        f"Added {membership.user.get_username()} to {organization} as "
        f"{', '.join(membership.role_names)}.",
    )
    return redirect("members")


@require_POST
@member_required(allow=by_roles(permissions.may_manage_members), objects=url_object(_member_get))
def member_roles(request, pk):
    organization = request.membership.organization
    target = get_object_or_404(member_list(organization=organization), pk=pk)
    form = MemberRolesForm(request.POST, target=target, acting=request.membership)
    if not form.is_valid():
        return _members(request, bound_form=form, status=400)
    before = target.role_names
    username = target.user.get_username()
    try:
        updated = member_set_roles(
            organization=organization,
            username=username,
            roles=form.cleaned_data["roles"],
            by=request.user,
        )
    except Conflict as conflict:
        messages.error(request, conflict.reasons_text)
        return redirect("members")
    if not form.cleaned_data["roles"]:
        messages.success(
            request,
            f"Removed {username} from {organization}: with no role left they have no access. "
            "Agents and escalation paths they held need a new owner.",
        )
        return redirect("members")
    if updated.role_names == before:
        messages.info(request, f"No change for {updated.user.get_username()}.")
    else:
        roles = ", ".join(updated.role_names) or "no role"
        messages.success(request, f"{updated.user.get_username()} now has: {roles}.")
    return redirect("members")


def _target(request, pk):
    return get_object_or_404(member_list(organization=request.membership.organization), pk=pk)


@require_POST
@member_required(allow=by_roles(permissions.may_manage_members), objects=url_object(_member_get))
def member_remove_view(request, pk):
    """Remove a member: their access and API tokens end at once; history stays in the audit."""
    target = _target(request, pk)
    username = target.user.get_username()
    if target.pk == request.membership.pk:
        messages.error(request, "You cannot remove yourself: ask another admin to do it.")
        return redirect("members")
    try:
        member_remove(membership=target, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.reasons_text)
    else:
        messages.success(
            request,
            f"Removed {username} from {request.membership.organization}. Agents and "
            "escalation paths they held need a new owner.",
        )
    return redirect("members")


@require_POST
@member_required(allow=by_roles(permissions.may_manage_members), objects=url_object(_member_get))
def member_active_view(request, pk):
    """Deactivate a member (kept for history, no access) or reactivate them."""
    target = _target(request, pk)
    active = request.POST.get("active") == "yes"
    username = target.user.get_username()
    if target.pk == request.membership.pk and not active:
        messages.error(request, "You cannot deactivate yourself: ask another admin to do it.")
        return redirect("members")
    try:
        member_set_active(membership=target, active=active, by=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.reasons_text)
    else:
        messages.success(
            request,
            f"{username} is active again."
            if active
            else f"Deactivated {username}: no access until reactivated; agents and "
            "escalation paths they hold need a new owner.",
        )
    return redirect("members")


class PasswordChange(auth_views.PasswordChangeView):
    """Change one's own password (Django's view and form); the change is audited."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        membership = getattr(self.request, "membership", None)
        audit_record(
            organization=membership.organization if membership else None,
            actor=self.request.user,
            action=Action.USER_PASSWORD_CHANGED,
            target=self.request.user,
            object_label=self.request.user.get_username(),
        )
        messages.success(self.request, "Your password is changed; other sessions were signed out.")
        return response


class SignIn(auth_views.LoginView):
    """Django's sign-in page; the attempt before the last one says that one more failure
    pauses signing in (django-axes). Attempts are also limited per address and username
    (RATE_LIMIT_SIGNIN, 429 with Retry-After); one that succeeds resets that count."""

    redirect_authenticated_user = True

    def _rate_key(self) -> str:
        username = (self.request.POST.get("username") or "").strip().lower()
        return f"{ratelimit.client_ip(self.request)}\n{username}"

    def post(self, request, *args, **kwargs):
        try:
            ratelimit.limit("signin", self._rate_key(), settings.RATE_LIMIT_SIGNIN, detail="")
        except ratelimit.RateLimited as exc:
            messages.error(
                request,
                "Too many sign-in attempts for this username from this address. "
                f"Try again {ratelimit.wait_words(exc.retry_after)}.",
            )
            username = (request.POST.get("username") or "").strip()
            form = self.get_form_class()(request, initial={"username": username})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # The password was right; a check of a room above (settings.PASSWORD_SIGN_IN_CHECKS,
        # e.g. an organization that requires single sign-on) may still refuse it.
        for check in settings.PASSWORD_SIGN_IN_CHECKS:
            refusal = import_string(check)(form.get_user())
            if refusal:
                form.add_error(None, refusal)
                return self.render_to_response(self.get_context_data(form=form), status=403)
        ratelimit.reset("signin", self._rate_key(), settings.RATE_LIMIT_SIGNIN)
        return super().form_valid(form)

    def form_invalid(self, form):
        username = (self.request.POST.get("username") or "").strip()
        if username and failures_left(self.request, username) == 1:
            cool_off = get_cool_off(self.request)
            minutes = int(cool_off.total_seconds() // 60) if cool_off else None
            form.add_error(
                None,
                f"One more failed attempt pauses signing in as {username} from this address"
                + (f" for {minutes} minutes." if minutes else "."),
            )
        return super().form_invalid(form)


# Invitations --------------------------------------------------------------------------------


@require_POST
@member_required(allow=by_roles(permissions.may_manage_members))
def member_invite(request):
    form = InvitationForm(request.POST, prefix="invite")
    if not form.is_valid():
        return _members(request, invite_form=form, status=400)
    email = form.cleaned_data["email"]
    invitation_create(
        membership=request.membership,
        email=email,
        roles=form.cleaned_data["roles"],
        link_for=lambda raw: request.build_absolute_uri(
            reverse("invitation_link", kwargs={"token": raw})
        ),
    )
    messages.success(
        request,
        f"Invitation sent to {email}. They join {request.membership.organization} once they "
        "accept it (the link works for 14 days).",
    )
    return redirect("members")


@login_required
def invitation_list(request):
    """The invitations addressed to my email: accept or decline each."""
    return render(
        request,
        "accounts/invitations.html",
        {"invitations": invitations_open_for(user=request.user)},
    )


def _answer(request, invitation, *, accept: bool, user=None):
    """Accept or decline for `user` (the signed-in one by default); a closed invitation or a
    deactivated member is a message, not an error page."""
    user = user or request.user
    try:
        membership = invitation_respond(invitation=invitation, user=user, accept=accept)
    except Conflict as conflict:
        messages.error(request, conflict.reasons_text)
        return None
    if membership is None:
        messages.info(request, f"Declined the invitation to {invitation.organization}.")
    else:
        request.session[SESSION_KEY] = membership.pk
        messages.success(request, f"You joined {invitation.organization}.")
    return membership


@require_POST
@login_required
def invitation_respond_view(request, pk):
    invitation = next((i for i in invitations_open_for(user=request.user) if i.pk == pk), None)
    if invitation is None:
        raise Http404("No such invitation for you.")
    membership = _answer(request, invitation, accept=request.POST.get("answer") == "accept")
    return redirect("home" if membership else "invitations")


def invitation_link(request, token):
    """The emailed link: signed in, it asks to accept or decline; without an account, it makes
    one (with the invitation's email) and accepts."""
    invitation = invitation_by_token(raw=token)
    if invitation is None or not invitation.is_open:
        return render(request, "accounts/invitation_closed.html", status=404)
    if request.user.is_authenticated:
        if request.method != "POST":
            return render(request, "accounts/invitation_link.html", {"invitation": invitation})
        membership = _answer(request, invitation, accept=request.POST.get("answer") == "accept")
        return redirect("home" if membership else "profile")
    form = InvitationSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():  # no account without its membership
            user = form.save(commit=False)
            user.email = invitation.email
            user.save()
            membership = invitation_respond(invitation=invitation, user=user, accept=True)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = membership.pk
        messages.success(request, f"Welcome: you joined {invitation.organization}.")
        return redirect("home")
    return render(
        request,
        "accounts/invitation_signup.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


# Organization settings ----------------------------------------------------------------------


@member_required(allow=by_roles(permissions.may_manage_members))
def organization_settings(request):
    """GET: the organization's settings (its currency); POST: an admin changes them."""
    organization = request.membership.organization
    data = request.POST if request.method == "POST" else None
    form = OrganizationSettingsForm(data, initial={"currency": organization.currency})
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = organization_settings_update(
                    organization=organization,
                    membership=request.membership,
                    currency=form.cleaned_data["currency"],
                )
            except InvalidInput as error:
                form.add_service_errors(error.errors)
            else:
                messages.success(
                    request,
                    f"Money is now shown in {organization.currency}."
                    if changed
                    else "Nothing changed in the settings.",
                )
                return redirect("organization_settings")
        return render(request, "accounts/organization_settings.html", {"form": form}, status=400)
    return render(request, "accounts/organization_settings.html", {"form": form})
