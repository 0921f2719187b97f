"""How the hall sends email: its own mail server (SMTP), who the mail is from, how fast, and when to remind.

Kept in the hall's settings (audited like every setting); the password is not here: it lives in the OS
keyring beside the Stripe key (``credentials.MAIL_PASSWORD``) or ``TREASURER_SMTP_PASSWORD`` for scripts.
"""

from __future__ import annotations

import dataclasses
import email.headerregistry
import email.utils
import ipaddress

from sqlalchemy import select

from .errors import ValidationError
from .hall import Hall, set_setting
from .models import Setting

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULTS = {
    "mail_host": "", "mail_port": "", "mail_security": "starttls", "mail_from": "", "mail_user": "",
    "mail_reply_to": "", "mail_per_minute": "30", "reminder_days": "7,21", "reminders_most": "2",
}


@dataclasses.dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str
    sender: str             # "IBEW Local 000 <treasurer@local000.org>"
    user: str
    reply_to: str           # the hall's address for answers; the sender's when empty
    per_minute: int         # the server's rate: at most this many messages a minute (0: no limit)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    @property
    def sender_address(self) -> str:
        return email.utils.parseaddr(self.sender)[1]

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class ReminderSchedule:
    days: tuple[int, ...]   # days after the pay-by date, one a reminder
    most: int               # at most this many reminders per slip

    def day_of(self, number: int) -> int:
        """Days after the pay-by date that reminder ``number`` (1, 2...) is due; past the list, the last gap again."""
        if number <= len(self.days):
            return self.days[number - 1]
        gap = self.days[-1] - self.days[-2] if len(self.days) > 1 else self.days[-1]
        return self.days[-1] + (number - len(self.days)) * max(gap, 1)


def _stored(hall: Hall) -> dict[str, str]:
    with hall.read() as s:
        rows = {r.key: r.value for r in s.scalars(select(Setting).where(Setting.key.in_(list(DEFAULTS))))}
    return {key: rows.get(key, default) for key, default in DEFAULTS.items()}


def mail_settings(hall: Hall) -> MailSettings:
    v = _stored(hall)
    security = v["mail_security"] if v["mail_security"] in SECURITY else "starttls"
    port = int(v["mail_port"]) if v["mail_port"].isdigit() else DEFAULT_PORTS[security]
    per_minute = int(v["mail_per_minute"]) if v["mail_per_minute"].isdigit() else 30
    return MailSettings(v["mail_host"], port, security, v["mail_from"], v["mail_user"], v["mail_reply_to"],
                        per_minute)


def reminder_schedule(hall: Hall) -> ReminderSchedule:
    v = _stored(hall)
    return ReminderSchedule(parse_days(v["reminder_days"]), int(v["reminders_most"]))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_address(text: str, what: str = "address") -> str:
    """A plain email address (someone@example.org), or a sentence saying what is wrong with it."""
    address = (text or "").strip()
    parsed = email.utils.parseaddr(address)[1]
    if not parsed or parsed != address or "@" not in address or any(c.isspace() for c in address):
        raise ValidationError(f"The {what} {text!r} is not an email address such as treasurer@local000.org.")
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain.strip(".") or ".." in domain:
        raise ValidationError(f"The {what} {text!r} is not an email address such as treasurer@local000.org.")
    return address


def check_sender(text: str) -> str:
    """``Name <address>`` or a bare address, as it will appear in the From header."""
    text = (text or "").strip()
    if any(c in text for c in "\r\n"):
        raise ValidationError("The sender must be on one line, such as \"IBEW Local 000 <treasurer@local000.org>\".")
    name, address = email.utils.parseaddr(text)
    if not address or ("<" not in text and address != text):
        raise ValidationError(f"The sender {text!r} is not an email address such as "
                              "\"IBEW Local 000 <treasurer@local000.org>\".")
    check_address(address, "sender address")
    try:
        email.headerregistry.Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):
        raise ValidationError(f"The sender {text!r} is not an email address such as "
                              "\"IBEW Local 000 <treasurer@local000.org>\".") from None
    return email.utils.formataddr((name, address)) if name else address


def parse_days(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise ValidationError(f"The reminder days {text!r} are not whole numbers of days separated by commas, "
                              "such as 7,21.")
    days = tuple(int(p) for p in parts)
    if any(d < 1 for d in days) or list(days) != sorted(set(days)):
        raise ValidationError(f"The reminder days {text!r} must be 1 or more and each later than the one before, "
                              "such as 7,21.")
    return days


def check_mail_settings(host: str, port: int | None, security: str, sender: str, user: str = "",
                        reply_to: str = "", per_minute: int | None = None) -> dict[str, str]:
    """The settings to save, each checked; a sentence about the first one that is wrong."""
    host = (host or "").strip()
    if not host or any(c.isspace() for c in host) or "/" in host:
        raise ValidationError(f"The mail server {host!r} is not a host name such as smtp.gmail.com.")
    if security not in SECURITY:
        raise ValidationError(f"The security {security!r} is not one of: {', '.join(SECURITY)}.")
    if security == "none" and not _is_loopback(host):
        raise ValidationError("Mail without encryption is allowed only to a server on this computer (127.0.0.1); "
                              "use starttls or tls for " + host + ".")
    port = DEFAULT_PORTS[security] if port is None else port
    if not 0 < port < 65536:
        raise ValidationError(f"The port {port} is not between 1 and 65535.")
    sender = check_sender(sender)
    reply_to = check_address(reply_to, "reply-to address") if (reply_to or "").strip() else ""
    user = (user or "").strip()
    if any(c.isspace() for c in user):
        raise ValidationError("The mail user name cannot contain spaces.")
    if per_minute is not None and not 0 <= per_minute <= 10000:
        raise ValidationError(f"The rate {per_minute} is not between 0 (no limit) and 10000 messages a minute.")
    values = {"mail_host": host, "mail_port": str(port), "mail_security": security, "mail_from": sender,
              "mail_user": user, "mail_reply_to": reply_to}
    if per_minute is not None:
        values["mail_per_minute"] = str(per_minute)
    return values


def write_mail_settings(hall: Hall, values: dict[str, str]) -> MailSettings:
    with hall.write() as tx:
        for key, value in values.items():
            set_setting(tx, key, value)
    return mail_settings(hall)


def save_mail_settings(hall: Hall, host: str, port: int | None, security: str, sender: str, user: str = "",
                       reply_to: str = "", per_minute: int | None = None) -> MailSettings:
    """Check everything first (nothing is saved when one value is wrong), then save it in one transaction."""
    return write_mail_settings(hall, check_mail_settings(host, port, security, sender, user, reply_to, per_minute))


def save_reminder_schedule(hall: Hall, days: str | None = None, most: int | None = None) -> ReminderSchedule:
    current = reminder_schedule(hall)
    parsed = parse_days(days) if days is not None else current.days
    most = current.most if most is None else most
    if not 0 <= most <= 12:
        raise ValidationError(f"The most reminders per slip ({most}) must be between 0 (none) and 12.")
    with hall.write() as tx:
        set_setting(tx, "reminder_days", ",".join(map(str, parsed)))
        set_setting(tx, "reminders_most", str(most))
    return ReminderSchedule(parsed, most)


def save_rate(hall: Hall, per_minute: int) -> None:
    if not 0 <= per_minute <= 10000:
        raise ValidationError(f"The rate {per_minute} is not between 0 (no limit) and 10000 messages a minute.")
    with hall.write() as tx:
        set_setting(tx, "mail_per_minute", str(per_minute))


# Sandbox mode: mail goes to the catcher the app starts on 127.0.0.1 (sandbox/mail_catcher.py), never out.
CATCHER_ENV = "TREASURER_MAIL_CATCHER"          # "127.0.0.1:PORT", set by the composition root
SANDBOX_MAIL_FOLDER = "sandbox-mail"            # in the data folder: what the catcher kept, one .eml a message


def catcher_address() -> tuple[str, int] | None:
    import os

    text = os.environ.get(CATCHER_ENV, "").strip()
    host, _, port = text.rpartition(":")
    if not text or not port.isdigit() or not _is_loopback(host):
        return None
    return host, int(port)


def sending_settings(hall: Hall) -> MailSettings:
    """The settings a send uses: the hall's, or in sandbox mode the catcher's (same sender, no password)."""
    caught = catcher_address()
    saved = mail_settings(hall)
    if caught is None:
        return saved
    sender = saved.sender or f"{hall.setting('hall_name') or 'Hall Treasurer'} <treasurer@sandbox.invalid>"
    return MailSettings(caught[0], caught[1], "none", sender, "", saved.reply_to, 0)
