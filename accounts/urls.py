from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import PasswordResetForm

urlpatterns = [
    path("login/", views.SignIn.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm, template_name="registration/password_reset_form.html"
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
    path("profile/", views.profile, name="profile"),
    path("profile/password/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "profile/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("profile/tokens/", views.token_create_view, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("members/", views.members, name="members"),
    path("organization/settings/", views.organization_settings, name="organization_settings"),
    path("members/add/", views.member_add, name="member_add"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/<int:pk>/", views.invitation_respond_view, name="invitation_respond"),
    path("invitations/join/<str:token>/", views.invitation_link, name="invitation_link"),
    path("members/<int:pk>/roles/", views.member_roles, name="member_roles"),
    path("members/<int:pk>/remove/", views.member_remove_view, name="member_remove"),
    path("members/<int:pk>/active/", views.member_active_view, name="member_active"),
]
