"""One email to one member about one slip: the slip itself or a reminder, in plain text and HTML, with the slip.

Nothing in a message names another member: one message, one recipient, no Cc or Bcc.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import html
from email.message import EmailMessage

from .money import format_cents

PDF_TYPE = ("application", "pdf")


@dataclasses.dataclass(frozen=True)
class Letter:
    """What one message says, read from the books before it is sent."""

    slip_id: int
    kind: str                  # slip | reminder-1 | reminder-2 ...
    member_number: str
    member_name: str
    address: str
    hall_name: str
    hall_address: str
    periods: str               # "2026-10,2026-11"
    covers: str                # period | arrears
    amount_cents: int
    currency: str
    pay_by: dt.date
    url: str

    @property
    def reminder(self) -> int:
        """0 for the slip itself, else which reminder this is."""
        return int(self.kind.split("-")[1]) if self.kind.startswith("reminder-") else 0

    @property
    def amount(self) -> str:
        return format_cents(self.amount_cents, self.currency)

    @property
    def covers_text(self) -> str:
        codes = [p for p in self.periods.split(",") if p]
        text = "dues for " + (", ".join(codes) if len(codes) <= 3 else f"{codes[0]} to {codes[-1]} "
                                                                       f"({len(codes)} periods)")
        return text + (" (all arrears)" if self.covers == "arrears" and len(codes) > 1 else "")

    @property
    def pay_by_text(self) -> str:
        return f"{self.pay_by:%B} {self.pay_by.day}, {self.pay_by.year}"

    @property
    def subject(self) -> str:
        if self.reminder:
            return f"Reminder: {self.amount} in dues to {self.hall_name} was due {self.pay_by_text}"
        return f"{self.hall_name}: your dues slip, {self.amount} by {self.pay_by_text}"


def message_id(install_id: str, slip_id: int, kind: str, domain: str) -> str:
    """The same message always has the same id (a retry of it too, so a server that saw it once may drop it)."""
    return f"<treasurer.{install_id}.slip{slip_id}.{kind}@{domain or 'localhost'}>"


def _other_ways(letter: Letter) -> list[str]:
    ways = ["at the hall, in cash, by check or by money order (bring your member number)"]
    if letter.hall_address.strip():
        ways.append(f"by mail: a check to {letter.hall_name}, {' '.join(letter.hall_address.split())} "
                    f"(write your member number {letter.member_number} on it)")
    return ways


def plain_text(letter: Letter) -> str:
    lead = (f"This is reminder {letter.reminder}: the slip below was due {letter.pay_by_text} and is still unpaid."
            if letter.reminder else f"Your dues slip from {letter.hall_name} is below, and attached as a PDF.")
    lines = [
        f"Dear {letter.member_name},", "", lead, "",
        f"  Member:      {letter.member_number} {letter.member_name}",
        f"  For:         {letter.covers_text}",
        f"  Amount:      {letter.amount}",
        f"  Pay by:      {letter.pay_by_text}",
        f"  Slip number: {letter.slip_id}", "",
        "Pay online (card or bank account) at this link, which is for exactly this amount:", "",
        f"  {letter.url}", "",
        "Other ways to pay:",
        *[f"  - {way}" for way in _other_ways(letter)], "",
        "If you have paid since this was sent, thank you: nothing more is needed.", "",
        letter.hall_name,
    ]
    if letter.hall_address.strip():
        lines.append(" ".join(letter.hall_address.split()))
    return "\n".join(lines) + "\n"


def html_text(letter: Letter) -> str:
    e = html.escape
    lead = (f"This is reminder {letter.reminder}: the slip below was due {e(letter.pay_by_text)} and is still "
            f"unpaid." if letter.reminder else
            f"Your dues slip from {e(letter.hall_name)} is below, and attached as a PDF.")
    rows = "".join(f"<tr><th align=\"left\" style=\"padding-right:12px\">{e(k)}</th><td>{e(v)}</td></tr>"
                   for k, v in (("Member", f"{letter.member_number} {letter.member_name}"),
                                ("For", letter.covers_text), ("Amount", letter.amount),
                                ("Pay by", letter.pay_by_text), ("Slip number", str(letter.slip_id))))
    ways = "".join(f"<li>{e(way)}</li>" for way in _other_ways(letter))
    return (f"<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
            f"<p>Dear {e(letter.member_name)},</p><p>{lead}</p><table>{rows}</table>"
            f"<p><a href=\"{e(letter.url, quote=True)}\"><b>Pay {e(letter.amount)} online</b></a> "
            f"(card or bank account; the link is for exactly this amount):<br>{e(letter.url)}</p>"
            f"<p>Other ways to pay:</p><ul>{ways}</ul>"
            f"<p>If you have paid since this was sent, thank you: nothing more is needed.</p>"
            f"<p>{e(letter.hall_name)}<br>{e(' '.join(letter.hall_address.split()))}</p></body></html>")


def build(letter: Letter, sender: str, reply_to: str, msg_id: str, when: dt.datetime,
          pdf: bytes | None) -> EmailMessage:
    """The whole message: one recipient, the hall's Reply-To, a Date and a Message-ID, text, HTML and the PDF."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.utils.formataddr((letter.member_name, letter.address))
    msg["Reply-To"] = reply_to or sender
    msg["Subject"] = letter.subject
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = msg_id
    msg.set_content(plain_text(letter))
    msg.add_alternative(html_text(letter), subtype="html")
    if pdf is not None:
        msg.add_attachment(pdf, maintype=PDF_TYPE[0], subtype=PDF_TYPE[1],
                           filename=f"slip-{letter.slip_id}-{letter.member_number}.pdf")
    return msg


def trial_message(sender: str, reply_to: str, to: str, hall_name: str, when: dt.datetime, domain: str
                 ) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Reply-To"] = reply_to or sender
    msg["Subject"] = f"{hall_name}: test email from Hall Treasurer"
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = email.utils.make_msgid("treasurer-test", domain=domain or "localhost")
    msg.set_content(f"This test message from Hall Treasurer shows that {hall_name} can send email through "
                    f"its mail server. Members' slips and reminders will come from {sender}.\n")
    return msg
