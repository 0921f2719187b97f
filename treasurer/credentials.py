"""Where the Stripe secrets live: the OS keyring, or the environment for scripts.

Never the database, a config file, a log line or a command line.
"""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from .errors import UserFacingError

SERVICE = "treasurer"
SECRET_KEY = "stripe_secret_key"
WEBHOOK_SECRET = "stripe_webhook_secret"
MAIL_PASSWORD = "smtp_password"      # the hall's mail server password (an app password), beside the Stripe key


class NoKeyring(UserFacingError):
    pass


def key_mode(key: str) -> str:
    """``test`` or ``live``; refuses anything that is not a Stripe secret or restricted key."""
    for prefix, mode in (("sk_test_", "test"), ("rk_test_", "test"), ("sk_live_", "live"), ("rk_live_", "live")):
        if key.startswith(prefix) and len(key) > len(prefix) + 4:
            return mode
    if key.startswith("pk_"):
        raise UserFacingError("That is a publishable key (pk_...); the app needs a secret key (sk_...) or, "
                              "better, a restricted key (rk_...).")
    raise UserFacingError("That does not look like a Stripe secret key (it should start with sk_test_, "
                          "sk_live_, rk_test_ or rk_live_).")


def is_restricted(key: str) -> bool:
    return key.startswith("rk_")


def _keyring_get(name: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, name)
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise UserFacingError(f"The system keyring could not be read ({exc}).") from None


def api_key() -> str | None:
    """``STRIPE_API_KEY`` for scripts, else the keyring; None when neither has one."""
    return os.environ.get("STRIPE_API_KEY") or _keyring_get(SECRET_KEY)


def webhook_secrets() -> list[str]:
    """Every signing secret in force (``STRIPE_WEBHOOK_SECRET`` may list several, comma-separated)."""
    raw = os.environ.get("STRIPE_WEBHOOK_SECRET") or _keyring_get(WEBHOOK_SECRET) or ""
    return [s.strip() for s in raw.split(",") if s.strip()]


def mail_password() -> str | None:
    """``TREASURER_SMTP_PASSWORD`` for scripts, else the keyring; None when neither has one."""
    return os.environ.get("TREASURER_SMTP_PASSWORD") or _keyring_get(MAIL_PASSWORD)


def keyring_available() -> bool:
    from keyring.backends import fail

    return not isinstance(keyring.get_keyring(), fail.Keyring)


def store(name: str, value: str) -> None:
    if name == SECRET_KEY:
        key_mode(value)
    if not keyring_available():
        if name == MAIL_PASSWORD:
            raise NoKeyring("This computer has no system keyring to keep the mail password safe, so it was not "
                            "saved. Set TREASURER_SMTP_PASSWORD in the environment for this session instead.")
        raise NoKeyring("This computer has no system keyring to keep the key safe, so it was not saved. "
                        "Set STRIPE_API_KEY in the environment for this session instead.")
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        raise UserFacingError(f"The system keyring refused to save the key ({exc}).") from None


def forget(name: str) -> None:
    try:
        keyring.delete_password(SERVICE, name)
    except (PasswordDeleteError, NoKeyringError):
        pass


def redact(text: str) -> str:
    """Hide anything that looks like a secret before it reaches a log or a message."""
    import re

    return re.sub(r"\b(sk|rk|whsec)_(test_|live_)?[A-Za-z0-9]{4,}", lambda m: m.group(0)[:8] + "…", text)
