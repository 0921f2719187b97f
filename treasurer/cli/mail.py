"""Email: setting up the hall's mail server, emailing slips, sending reminders, and the outbox."""

from __future__ import annotations

import argparse
import sys

from .. import clock, credentials
from ..errors import UserFacingError, ValidationError
from ..hall import Hall
from ..mail_message import trial_message
from ..mail_settings import (
    CATCHER_ENV,
    SANDBOX_MAIL_FOLDER,
    SECURITY,
    catcher_address,
    check_address,
    check_mail_settings,
    mail_settings,
    reminder_schedule,
    save_reminder_schedule,
    sending_settings,
    write_mail_settings,
)
from ..mailer import Mailer
from ..outbox import Report, Sending, deliver, outbox_list, plan, problems
from ..slip_mail import reminder_letters, slip_letters
from .common import add_command, group, hall_from


def register(commands) -> None:
    email = group(commands, "email", "the hall's mail server, and what was emailed to members")
    p = add_command(email, "setup", cmd_setup, "save the mail server's settings (the password goes to the keyring)",
                    epilog="examples:\n"
                           "  printf '%s\\n' \"$APP_PASSWORD\" | treasurer email setup --host smtp.gmail.com "
                           "--port 587 --security starttls --from \"IBEW Local 000 <local000@gmail.com>\" "
                           "--user local000@gmail.com --password-stdin\n"
                           "  treasurer email setup --host 127.0.0.1 --port 1025 --security none "
                           "--from \"Local 000 <treasurer@example.org>\"")
    p.add_argument("--host", required=True, help="the mail server (smtp.gmail.com, smtp.office365.com...)")
    p.add_argument("--port", type=int, help="its port (default: 587 for starttls, 465 for tls, 25 for none)")
    p.add_argument("--security", required=True, choices=SECURITY,
                   help="starttls (port 587), tls (port 465), or none (only for a server on 127.0.0.1)")
    p.add_argument("--from", dest="sender", required=True, metavar="\"NAME <ADDRESS>\"",
                   help="who the mail is from, as members will see it")
    p.add_argument("--user", default="", help="the user name to sign in with (often the address itself)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password (an app password for Gmail or Microsoft 365) from standard input; it "
                        "is kept in the system keyring, never in the books or on the command line")
    p.add_argument("--reply-to", default="", metavar="ADDRESS", help="where members' answers go (default: --from)")
    p.add_argument("--per-minute", type=int, metavar="N",
                   help="send at most N messages a minute (the server's limit; default 30, 0 for no limit)")
    add_command(email, "show", cmd_show, "show the mail settings and the reminder schedule",
                epilog="example: treasurer email show")
    p = add_command(email, "test", cmd_test, "send a test message to check the settings",
                    epilog="example: treasurer email test treasurer@local000.org")
    p.add_argument("address", help="where to send the test message")
    p = add_command(email, "outbox", cmd_outbox, "what was emailed to members, and what the server answered",
                    epilog="examples:\n  treasurer email outbox\n  treasurer email outbox --member 100042\n"
                           "  treasurer email outbox --problems")
    p.add_argument("--member", metavar="NUMBER", help="only this member's messages")
    p.add_argument("--problems", action="store_true",
                   help="only messages the server refused, or that were cut off while being sent")
    p = add_command(email, "catch", cmd_catch,
                    "run sandbox mode's mail catcher: an SMTP server on 127.0.0.1 that keeps mail, sends none",
                    epilog="example: treasurer email catch --port 1025   # then, in another terminal:\n"
                           "  TREASURER_MAIL_CATCHER=127.0.0.1:1025 treasurer slips email 2026-12")
    p.add_argument("--port", type=int, default=1025, help="the port to listen on (default 1025)")

    reminders = group(commands, "reminders", "reminding members whose slip is unpaid after its pay-by date")
    p = add_command(reminders, "send", cmd_reminders_send, "send the reminders due today (each at most once)",
                    epilog="examples:\n  treasurer reminders send --dry-run\n  treasurer reminders send")
    p.add_argument("--dry-run", action="store_true", help="list who would be reminded; send and record nothing")
    p = add_command(reminders, "schedule", cmd_reminders_schedule,
                    "show or change when reminders go out (days after the pay-by date)",
                    epilog="examples:\n  treasurer reminders schedule\n"
                           "  treasurer reminders schedule --days 7,21 --most 2")
    p.add_argument("--days", metavar="N,N", help="days after the pay-by date, comma-separated (default 7,21)")
    p.add_argument("--most", type=int, metavar="N", help="at most N reminders per slip (default 2; 0: none)")


def add_slips_email(slips) -> None:
    """``treasurer slips email``, in the slips group (treasurer/cli/stripe.py calls this)."""
    p = add_command(slips, "email", cmd_slips_email, "email each open slip for a period to its member, once",
                    epilog="examples:\n  treasurer slips email 2026-12 --dry-run\n  treasurer slips email 2026-12\n"
                           "  treasurer slips email 2026-12 --member 100042")
    p.add_argument("period", help="the period (2026-12 or 2026-Q4): every open slip that covers it")
    p.add_argument("--member", action="append", dest="members", metavar="NUMBER",
                   help="only this member (repeat for several)")
    p.add_argument("--dry-run", action="store_true", help="list what would be sent; send and record nothing")


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValidationError("No password was given on standard input.")
    return line


def cmd_setup(args) -> int:
    values = check_mail_settings(args.host, args.port, args.security, args.sender, args.user, args.reply_to,
                                 args.per_minute)
    password = _read_password() if args.password_stdin else None
    if password and not args.user:
        raise ValidationError("A password needs a user name to go with it: add --user.")
    hall = hall_from(args)
    if password:
        credentials.store(credentials.MAIL_PASSWORD, password)      # refused (nothing saved) with no keyring
    s = write_mail_settings(hall, values)
    stored = " and the password in the system keyring" if password else ""
    print(f"Saved: mail goes through {s.where} ({s.security}) from {s.sender}{stored}. "
          f"Try it with 'treasurer email test ADDRESS'.")
    return 0


def cmd_show(args) -> int:
    hall = hall_from(args)
    s = mail_settings(hall)
    if not s.configured:
        if catcher_address() is None:
            print("Email is not set up: run 'treasurer email setup'.")
    else:
        print(f"server:     {s.where} ({s.security})")
        print(f"from:       {s.sender}")
        print(f"reply-to:   {s.reply_to or s.sender}")
        print(f"user:       {s.user or '(none)'}")
        print(f"password:   {'saved' if credentials.mail_password() else 'not saved'}")
        print(f"rate:       {f'{s.per_minute} a minute' if s.per_minute else 'no limit'}")
    if (caught := catcher_address()) is not None:
        print(f"sandbox:    every message goes to the mail catcher at {caught[0]}:{caught[1]} ({CATCHER_ENV}); "
              f"none leaves this computer")
    r = reminder_schedule(hall)
    print(f"reminders:  {', '.join(f'{d} days' for d in r.days)} after the pay-by date, at most {r.most} a slip")
    return 0


def mailer_for(hall: Hall) -> Mailer:
    settings = sending_settings(hall)
    return Mailer(settings, None if catcher_address() else credentials.mail_password())


def cmd_test(args) -> int:
    to = check_address(args.address, "address")
    hall = hall_from(args)
    mailer = mailer_for(hall)
    s = mailer.settings
    mailer.connect()
    msg = trial_message(s.sender, s.reply_to, to, hall.setting("hall_name"), clock.now(),
                        s.sender_address.rpartition("@")[2])
    answer = mailer.send_trial(msg, to)
    print(f"Sent a test message to {to} through {s.where}; the server answered {answer}.")
    return 0


def _renderer(hall: Hall):
    try:
        from ui.slip_attachment import renderer
    except ImportError as exc:
        raise UserFacingError(f"The slips' PDFs cannot be made here ({exc}), so nothing was sent.") from None
    return renderer(hall)


def _print_report(report: Report, dry_run: bool) -> int:
    for item in report.would_send if dry_run else report.sent:
        letter = item.letter
        what = "slip" if letter.kind == "slip" else letter.kind.replace("-", " ")
        print(f"{'would send' if dry_run else 'sent'}: {letter.member_number} {letter.member_name} <{letter.address}>"
              f" {what} for slip {letter.slip_id} ({letter.amount})")
    for label, items in (("not sent", report.not_sent), ("refused", report.failed),
                         ("not sent yet", report.later), ("maybe sent", report.unknown)):
        for item in items:
            print(f"{label}: {item}")
    count = len(report.would_send if dry_run else report.sent)
    verb = "Would send" if dry_run else "Sent"
    left = len(report.not_sent) + len(report.failed) + len(report.later) + len(report.unknown)
    tail = f"; {left} not sent (listed above)" if left else ""
    print(f"{verb} {count} message{'' if count == 1 else 's'}{tail}.", file=sys.stderr)
    if report.stopped:
        print(f"error: {report.stopped}" if not report.cancelled else report.stopped, file=sys.stderr)
        return 1
    return 1 if report.failed or report.later or report.unknown else 0


def _send(args, hall: Hall, outgoing, report: Report) -> int:
    if args.dry_run:
        report.would_send = plan(hall, outgoing, report)
        return _print_report(report, True)
    mailer = mailer_for(hall)
    how = Sending(mailer, mailer.settings, _renderer(hall))
    deliver(hall, outgoing, how, report)
    return _print_report(report, False)


def cmd_slips_email(args) -> int:
    hall = hall_from(args)
    outgoing, report = slip_letters(hall, args.period, args.members)
    if not outgoing and not report.not_sent:
        print(f"There are no open slips for {args.period}: make them with 'treasurer slips create "
              f"{args.period}' first.", file=sys.stderr)
        return 1
    return _send(args, hall, outgoing, report)


def cmd_reminders_send(args) -> int:
    hall = hall_from(args)
    outgoing, report = reminder_letters(hall, reminder_schedule(hall), clock.today())
    if not outgoing and not report.not_sent:
        print("No reminders are due today.", file=sys.stderr)
        return 0
    return _send(args, hall, outgoing, report)


def cmd_reminders_schedule(args) -> int:
    hall = hall_from(args)
    r = save_reminder_schedule(hall, args.days, args.most) if args.days is not None or args.most is not None \
        else reminder_schedule(hall)
    print(f"Reminders go out {', '.join(str(d) for d in r.days)} days after a slip's pay-by date, at most "
          f"{r.most} a slip.")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    hall = hall_from(args)
    if args.problems:
        found = problems(hall)
        for p in found:
            print(f"{p.at[:16].replace('T', ' ')}  slip {p.slip_id}  {p.summary}")
        if not found:
            print("No email problems.")
        return 0
    rows = outbox_list(hall, args.member)
    for m in rows:
        print(f"{m.at[:16].replace('T', ' ')}  {m.member_number:10} slip {m.slip_id:<6} {m.kind:11} {m.step:8} "
              f"{m.address}  {m.answer}")
    if not rows:
        print("Nothing has been emailed yet.")
    return 0


def cmd_catch(args) -> int:
    from sandbox.mail_catcher import serve

    from .. import config

    serve(config.data_dir(getattr(args, "data_dir", None)) / SANDBOX_MAIL_FOLDER, args.port)
    return 0


def start_mail_catcher(args):
    """Sandbox mode (the window): the catcher on any free port, and the sends of this process go to it."""
    import os

    from sandbox.mail_catcher import MailCatcher

    from .. import config
    from ..mail_settings import CATCHER_ENV

    catcher = MailCatcher(config.data_dir(getattr(args, "data_dir", None)) / SANDBOX_MAIL_FOLDER).start()
    os.environ[CATCHER_ENV] = f"127.0.0.1:{catcher.port}"
    return catcher
