"""`{% sso_button %}`: the "Sign in with …" button of the sign-in page, when SSO is on."""

from django import template
from django.conf import settings

from sso.discovery import sso_enabled

register = template.Library()


@register.inclusion_tag("sso/_button.html", takes_context=True)
def sso_button(context):
    return {
        "enabled": sso_enabled(),
        "label": settings.OIDC_BUTTON_LABEL,
        "next": context.get("next", ""),
    }
