"""Forms of the profile (API tokens) and members pages."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.template.loader import render_to_string

from core import permissions
from core.currencies import currency_choices
from core.forms import ServiceErrorsMixin, TextField
from core.mail import email_send_on_commit
from core.roles import ROLE_LABELS, Role

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class TokenCreateForm(forms.Form):
    name = TextField(
        max_length=100,
        initial="API token",
        help_text="What the token is for, e.g. “CI pipeline” or “metrics exporter”.",
    )


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", ROLE_CHOICES)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, value):
        return {Role(name) for name in super().clean(value)}


class MemberRolesForm(forms.Form):
    """Change one member's roles; an admin may not drop their own admin role."""

    roles = RolesField()

    def __init__(self, *args, target, acting, **kwargs):
        kwargs.setdefault("prefix", f"m{target.pk}")
        kwargs.setdefault("initial", {"roles": target.role_names})
        super().__init__(*args, **kwargs)
        self.target = target
        self.acting = acting

    def clean_roles(self):
        roles = self.cleaned_data["roles"]
        answer = permissions.may_set_roles(self.acting, self.target, roles)
        if not answer:
            raise forms.ValidationError(answer.message)
        return roles


class MemberAddForm(forms.Form):
    """Create an account in the organization. Someone who has an account already (in another
    organization) is invited by email instead, and joins once they accept."""

    username = TextField(max_length=150)
    email = forms.EmailField(required=False, help_text="Used only when a new account is created.")
    roles = RolesField(help_text="Roles add up; none includes another.")
    password = TextField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Initial password",
        help_text="Only for a new account. Leave empty and the user cannot sign in until a "
        "password is set.",
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.existing_user = None

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            raise forms.ValidationError("Enter a username.")
        user_model = get_user_model()
        field = user_model._meta.get_field(user_model.USERNAME_FIELD)
        for validator in field.validators:
            validator(username)
        self.existing_user = user_model.objects.filter(username=username).first()
        if (
            self.existing_user is not None
            and self.existing_user.memberships.filter(organization=self.organization).exists()
        ):
            raise forms.ValidationError(
                f"{username} is already a member of {self.organization}: change their roles in "
                "the list instead."
            )
        if self.existing_user is not None:
            # Joining another organization needs consent: they accept an invitation.
            raise forms.ValidationError(
                f"{username} already has an account: invite them by email below; they join "
                "once they accept."
            )
        return username

    def clean_roles(self):
        roles = self.cleaned_data["roles"]
        if not roles:
            raise forms.ValidationError("Choose at least one role.")
        return roles

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and self.existing_user is not None:
            self.add_error(
                "password",
                "This user already has an account (in another organization): leave the "
                "password empty; they sign in with their own.",
            )
        elif password and "username" in cleaned:
            user = get_user_model()(username=cleaned["username"], email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form; its email is queued for the worker instead of sent in the
    request. The page answers the same whether the address is known or not."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        email_send_on_commit(recipients=[to_email], subject=subject, body=body)


class InvitationForm(forms.Form):
    """Invite someone by email; they accept or decline after signing in, or from the link."""

    email = forms.EmailField(help_text="The link goes to this address.")
    roles = RolesField(help_text="Granted when they accept.")

    def clean_roles(self):
        roles = self.cleaned_data["roles"]
        if not roles:
            raise forms.ValidationError("Choose at least one role.")
        return roles


class InvitationSignUpForm(auth_forms.UserCreationForm):
    """An account made from an invitation link: its email is the invitation's."""

    class Meta(auth_forms.UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)


class OrganizationSettingsForm(ServiceErrorsMixin, forms.Form):
    """The organization's settings an admin may change: the currency money is kept in."""

    currency = forms.ChoiceField(
        choices=currency_choices(),
        help_text="Costs, budgets and the board report are shown in this currency. Changing it "
        "converts nothing: figures already recorded are read in the new currency.",
    )
