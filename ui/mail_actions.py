"""Emailing slips and sending reminders from the window: off the UI thread, with progress, Cancel and the rate.

The letters are read first (quick), the treasurer confirms, then ``treasurer.outbox.deliver`` runs in a pool
thread behind a progress dialog; Cancel stops between messages.  In sandbox mode mail goes to the catcher the
app started (nothing leaves the computer) and the sent mail opens in a viewer.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from treasurer import clock, credentials
from treasurer.errors import UserFacingError
from treasurer.mail_settings import catcher_address, reminder_schedule, sending_settings
from treasurer.mailer import Mailer
from treasurer.models import Slip
from treasurer.outbox import Outgoing, Report, Sending, deliver
from treasurer.slip_mail import reminder_letters, slip_letters

from .context import AppContext
from .errors import confirm
from .slip_attachment import renderer
from .workers import run_with_progress


def sending_for(ctx: AppContext) -> Sending:
    if ctx.mode == "sandbox" and catcher_address() is None:
        raise UserFacingError("Sandbox mode's mail catcher is not running, so nothing was sent: start the app with "
                              "'treasurer gui --sandbox' to try email offline.")
    settings = sending_settings(ctx.hall)
    password = None if catcher_address() else credentials.mail_password()
    return Sending(Mailer(settings, password), settings, renderer(ctx.hall))


def open_periods(ctx: AppContext) -> list[str]:
    """The periods the open slips cover, newest first."""
    from sqlalchemy import select

    with ctx.hall.read() as s:
        found = {p for periods in s.scalars(select(Slip.periods).where(Slip.status == "open"))
                 for p in periods.split(",") if p}
    return sorted(found, reverse=True)


def summary(report: Report, sandbox: bool) -> str:
    lines = [f"Sent {len(report.sent):,} message{'' if len(report.sent) == 1 else 's'}."]
    if sandbox:
        lines[0] += " Sandbox mode: nothing left this computer; see Sent mail."
    for label, items in (("Not sent", report.not_sent), ("Refused by the mail server", report.failed),
                         ("Not accepted for now (tried again next time)", report.later),
                         ("Cut off while sending (may have gone out)", report.unknown)):
        if items:
            lines.append(f"{label}: {len(items):,}")
            lines.extend(f"  {item}" for item in items[:12])
            if len(items) > 12:
                lines.append(f"  … and {len(items) - 12:,} more")
    if report.stopped:
        lines.append(report.stopped)
    return "\n".join(lines)


def _run(parent: QWidget, ctx: AppContext, title: str, outgoing: list[Outgoing], report: Report) -> Report | None:
    if not outgoing:
        QMessageBox.information(parent, title, summary(report, False) if report.not_sent else "Nothing to send.")
        return None
    how = sending_for(ctx)
    sandbox = catcher_address() is not None
    where = "the sandbox's mail catcher (nothing leaves this computer)" if sandbox else how.settings.where
    if not confirm(parent, title, f"Send {len(outgoing):,} message{'' if len(outgoing) == 1 else 's'} through "
                                  f"{where}? Each goes once; a message already sent is never sent again.",
                   "Send"):
        return None
    result, _ = run_with_progress(parent, title, f"Sending through {where}…",
                                  lambda progress: deliver(ctx.hall, outgoing, how, report, progress))
    QMessageBox.information(parent, title, summary(result, sandbox))
    if sandbox and result.sent:
        show_sent_mail(parent, ctx)
    return result


def email_slips(parent: QWidget, ctx: AppContext) -> Report | None:
    periods = open_periods(ctx)
    if not periods:
        raise UserFacingError("There are no open slips to email: create slips first.")
    period, ok = QInputDialog.getItem(parent, "Email slips", "Email every open slip that covers the period:",
                                      periods, 0, False)
    if not ok:
        return None
    outgoing, report = slip_letters(ctx.hall, period)
    return _run(parent, ctx, "Email slips", outgoing, report)


def send_reminders(parent: QWidget, ctx: AppContext) -> Report | None:
    outgoing, report = reminder_letters(ctx.hall, reminder_schedule(ctx.hall), clock.today())
    if not outgoing and not report.not_sent:
        QMessageBox.information(parent, "Send reminders", "No reminders are due today.")
        return None
    return _run(parent, ctx, "Send reminders", outgoing, report)


def show_sent_mail(parent: QWidget, ctx: AppContext) -> None:
    from .dialogs.sent_mail import SentMailDialog

    SentMailDialog(ctx, parent).exec()
