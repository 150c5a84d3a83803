"""The audit keys, from the settings (never the database): the current one signs new entries
and checkpoints; older ones, kept after a rotation, still verify what they signed."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .chain import key_id


def current() -> tuple[str, str]:
    """(key id, key) of the key that signs now."""
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY is not set: the audit trail cannot sign its entries."
        )
    return key_id(key), key


def every() -> dict[str, str]:
    """Key id → key, for every key that may verify an entry (current and old ones)."""
    keys = [k for k in getattr(settings, "AUDIT_HMAC_OLD_KEYS", []) if k]
    current_key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if current_key:
        keys.append(current_key)
    return {key_id(k): k for k in keys}
