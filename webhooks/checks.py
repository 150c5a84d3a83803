"""A system check: WEBHOOK_ALLOWED_NETWORKS must be CIDRs (a bad one stops `manage.py check`
and the server's start, rather than failing each delivery)."""

from django.conf import settings
from django.core.checks import Error, register

from . import rules


@register()
def allowed_networks_check(app_configs=None, **kwargs):
    try:
        rules.networks_parse(settings.WEBHOOK_ALLOWED_NETWORKS)
    except ValueError as exc:
        return [Error(f"WEBHOOK_ALLOWED_NETWORKS: {exc}", id="webhooks.E001")]
    return []
