"""Commands that set up the books: init, settings, officers, classifications, dues, periods, demo, backup, restore."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import config, dues, periods
from ..backup import DEFAULT_KEEP, backup_if_due, backup_to, restore_from
from ..errors import ValidationError
from ..hall import INTERNAL_SETTINGS, SETTINGS, init_hall
from ..models import FREQUENCIES, OFFICER_ROLES
from ..money import parse_amount
from ..officers import (add_officer, change_pin, deactivate_officer, dual_control_notice, list_officers,
                        reactivate_officer)
from .common import add_command, group, hall_from, money, parse_day, read_pin
from .pins import add_officer_options, proven_officer, remind_short_pins, voucher_pins


def register(commands) -> None:
    p = add_command(commands, "init", cmd_init, "start the books for a hall",
                    epilog='example: treasurer init --hall-name "IBEW Local 1042" --address "12 Main St, '
                           'Springfield"')
    p.add_argument("--hall-name", required=True, metavar="NAME",
                   help="the hall's name as printed on slips, receipts and reports")
    p.add_argument("--currency", default="usd",
                   help="the three-letter code of the hall's one currency (default usd); it cannot change later")
    p.add_argument("--address", default="", help="the hall's mailing address, printed on slips")

    settings = group(commands, "settings", "show or change the hall's settings")
    add_command(settings, "show", cmd_settings_show, "show every setting",
                epilog="example: treasurer settings show")
    p = add_command(settings, "set", cmd_settings_set, "change one setting",
                    epilog="examples:\n  treasurer settings set grace_day 20\n"
                           "  treasurer settings set hall_address \"12 Main St, Springfield\"")
    p.add_argument("key", choices=sorted(SETTINGS), metavar="KEY",
                   help="the setting to change: " + ", ".join(k for k in sorted(SETTINGS) if k not in
                                                              INTERNAL_SETTINGS)
                        + " ('treasurer settings show' gives each one's value)")
    p.add_argument("value", metavar="VALUE", help="its new value (quote it if it has spaces)")

    officers = group(commands, "officers", "the officers who approve adjustments and close periods")
    p = add_command(officers, "add", cmd_officers_add, "add an officer with a PIN",
                    epilog='examples:\n'
                           '  treasurer officers add "Pat Morales" --role treasurer   # the hall\'s first officer\n'
                           '  treasurer officers add "Sam Okafor" --role president --vouched-by "Pat Morales"')
    p.add_argument("name", metavar="NAME", help="the officer's full name, as they sign (quote it)")
    p.add_argument("--role", required=True, choices=OFFICER_ROLES,
                   help="the officer's office: " + ", ".join(OFFICER_ROLES))
    p.add_argument("--vouched-by", action="append", default=[], metavar="OFFICER",
                   help="an active officer who vouches with their PIN: the hall's one officer, or two different "
                        "ones (give it twice) once the hall has two or more (dual control)")
    p.add_argument("--pin-stdin", action="store_true",
                   help="read the new PIN, then each vouching officer's PIN in order, one per line from standard "
                        "input")
    add_command(officers, "list", cmd_officers_list, "list the officers (and say if dual control is not in force)",
                epilog="example: treasurer officers list")
    p = add_command(officers, "change-pin", cmd_officers_change_pin,
                    "give an officer a new PIN: with their old PIN, or reset by two other officers' PINs",
                    epilog='examples:\n  treasurer officers change-pin "Pat Morales"\n'
                           '  treasurer officers change-pin "Pat Morales" --vouched-by "Sam Okafor" '
                           '--vouched-by "Lee Chen"')
    p.add_argument("name", metavar="NAME", help="the officer whose PIN changes")
    p.add_argument("--vouched-by", action="append", default=[], metavar="OFFICER",
                   help="another active officer who vouches with their PIN when the old one is lost (give it "
                        "twice: two other officers reset a PIN)")
    p.add_argument("--pin-stdin", action="store_true",
                   help="read the old PIN (or each vouching officer's PIN in order), then the new PIN, one per line "
                        "from standard input")
    p = add_command(officers, "deactivate", cmd_officers_deactivate,
                    "an officer who left can no longer act (kept for the history they signed)",
                    epilog='example: treasurer officers deactivate "Lee Chen" --by "Pat Morales"')
    p.add_argument("name", metavar="NAME", help="the officer who left")
    p.add_argument("--by", required=True, help="another active officer who vouches, with their PIN")
    p.add_argument("--pin-stdin", action="store_true", help="read that officer's PIN from standard input")
    p = add_command(officers, "reactivate", cmd_officers_reactivate, "an officer who returns may act again",
                    epilog='example: treasurer officers reactivate "Lee Chen" --by "Pat Morales" --by "Sam Okafor"')
    p.add_argument("name", metavar="NAME", help="the officer who returns")
    p.add_argument("--by", action="append", required=True, metavar="OFFICER",
                   help="an active officer who vouches with their PIN (give it twice while dual control is in "
                        "force)")
    p.add_argument("--new-pin", action="store_true",
                   help="give the officer a new PIN as well (the way back from a forgotten PIN)")
    p.add_argument("--pin-stdin", action="store_true",
                   help="read the new PIN first (with --new-pin), then each vouching officer's PIN, one per line "
                        "from standard input")

    classes = group(commands, "classes", "member classifications and their dues rates")
    p = add_command(classes, "add", cmd_classes_add, "add a classification with its first rate",
                    epilog='examples:\n  treasurer classes add "Journeyman Wireman" --rate 45.00 --per-capita 18.50\n'
                           '  treasurer classes add Retiree --rate 30.00 --frequency quarterly --from 2026-01-01')
    p.add_argument("name", metavar="NAME", help="the classification's name, e.g. \"Journeyman Wireman\"")
    p.add_argument("--rate", required=True, help="dues per period, e.g. 45.00")
    p.add_argument("--frequency", default="monthly", choices=FREQUENCIES,
                   help="how often dues fall due: monthly (the default) or quarterly")
    p.add_argument("--from", dest="effective_from", metavar="DATE",
                   help="first day the rate applies (YYYY-MM-DD)")
    p.add_argument("--per-capita", default="0",
                   help="the part of each period's dues owed to the international per member, e.g. 18.50 "
                        "(default 0)")
    p = add_command(classes, "rate", cmd_classes_rate, "give a classification a new rate from a date on",
                    epilog='example: treasurer classes rate "Journeyman Wireman" --rate 52.00 --from 2027-01-01 '
                           '--per-capita 18.50')
    p.add_argument("name", metavar="NAME", help="the classification, as 'treasurer classes list' shows it")
    p.add_argument("--rate", required=True, help="the new dues per period, e.g. 52.00")
    p.add_argument("--from", dest="effective_from", required=True, metavar="DATE",
                   help="first day the new rate applies (YYYY-MM-DD); the old rate stands before it")
    p.add_argument("--per-capita", default="0",
                   help="the part owed to the international per member under the new rate (default 0)")
    add_command(classes, "list", cmd_classes_list, "list classifications and their rate history",
                epilog="example: treasurer classes list")

    dues_cmd = group(commands, "dues", "assess dues for a period")
    p = add_command(dues_cmd, "assess", cmd_dues_assess, "charge every active member for a period, once",
                    epilog="examples:\n  treasurer dues assess 2026-12 --preview\n  treasurer dues assess 2026-12")
    p.add_argument("period", help="a month (2026-12) or a quarter (2026-Q4)")
    p.add_argument("--preview", action="store_true", help="say what would be charged, change nothing")

    per = group(commands, "periods", "close and reopen dues periods")
    p = add_command(per, "close", cmd_periods_close, "lock a period against new charges, payments, adjustments",
                    epilog='example: treasurer periods close 2026-11 --officer "Pat Morales" --note "November '
                           'books balanced with the bank"')
    p.add_argument("period", help="the period to close: a month (2026-11) or a quarter (2026-Q4)")
    add_officer_options(p, "the officer closing it")
    p.add_argument("--note", required=True, help="a note kept with the closing, e.g. what was checked")
    p = add_command(per, "reopen", cmd_periods_reopen, "reopen a closed period (recorded with a reason)",
                    epilog='example: treasurer periods reopen 2026-11 --officer "Pat Morales" --reason "a check '
                           'from November was found late"')
    p.add_argument("period", help="the closed period to reopen: 2026-11 or 2026-Q4")
    add_officer_options(p, "the officer reopening it")
    p.add_argument("--reason", required=True, help="why it is reopened, kept in the audit log")

    p = add_command(commands, "demo", cmd_demo, "fill a fresh hall with realistic made-up books",
                    epilog="example: treasurer demo --data-dir ~/demo-hall --members 200 --months 12")
    p.add_argument("--members", type=int, default=1200, metavar="N",
                   help="how many made-up members (default 1200)")
    p.add_argument("--months", type=int, default=24, metavar="N",
                   help="how many months of dues and payments, up to this month (default 24)")
    p.add_argument("--seed", type=int, default=7, metavar="N",
                   help="the same seed makes the same books each time (default 7)")
    p.add_argument("--offline", action="store_true",
                   help="no online payments: skip the offline Stripe sandbox (its payouts, refund, dispute)")

    p = add_command(commands, "backup", cmd_backup, "make a consistent copy of the database and check it",
                    epilog="examples:\n  treasurer backup --to /media/usb/hall-2026-12-01.db\n"
                           "  treasurer backup --auto --keep 30")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--to", metavar="FILE", help="the copy to write")
    which.add_argument("--auto", action="store_true",
                       help="the daily backup: one copy a day in --folder, keeping the last --keep (for a "
                            "scheduled task; the window does the same at start-up)")
    p.add_argument("--folder", metavar="DIR", help="where daily backups go (default: backups in the data folder)")
    p.add_argument("--keep", type=int, default=DEFAULT_KEEP, metavar="N",
                   help=f"how many daily backups to keep (default {DEFAULT_KEEP})")

    p = add_command(commands, "restore", cmd_restore,
                    "replace the books with a checked backup, keeping the current database aside",
                    epilog="example: treasurer restore /media/usb/hall-2026-12-01.db")
    p.add_argument("file", metavar="FILE", help="a backup made by 'treasurer backup' or the window")


def cmd_init(args: argparse.Namespace) -> int:
    hall = hall_from(args, must_exist=False)
    fresh = not hall.initialised
    init_hall(hall, args.hall_name, args.currency, args.address)
    where = hall.db.sqlite_path or hall.db.engine.url.render_as_string(hide_password=True)
    print(f"{'Started' if fresh else 'Updated'} the books for {args.hall_name.strip()} in {where}.")
    return 0


def cmd_settings_show(args) -> int:
    hall = hall_from(args)
    for key, value in hall.settings().items():
        print(f"{key:15} {value}")
    return 0


def cmd_settings_set(args) -> int:
    hall = hall_from(args)
    hall.set_setting(args.key, args.value)
    print(f"{args.key} is now {args.value!r}.")
    return 0


def _new_pin(args, name: str) -> str:
    pin = read_pin(args, f"New PIN for {name}: ")
    if not args.pin_stdin and read_pin(args, "Again: ") != pin:
        raise ValidationError("The two PINs differ; nothing was saved.")
    return pin


def cmd_officers_add(args) -> int:
    hall = hall_from(args)
    pin = _new_pin(args, args.name)
    vouchers = voucher_pins(args, args.vouched_by)
    officer = add_officer(hall, args.name, args.role, pin, vouchers=vouchers)
    print(f"Added {officer.name} ({officer.role}).")
    remind_short_pins(vouchers)
    return 0


def cmd_officers_list(args) -> int:
    hall = hall_from(args)
    for officer in list_officers(hall):
        print(f"{officer.name:30} {officer.role:12} {'active' if officer.active else 'inactive'}")
    with hall.read() as s:
        notice = dual_control_notice(s)
    if notice:
        print(notice)
    return 0


def cmd_officers_change_pin(args) -> int:
    hall = hall_from(args)
    if args.vouched_by:
        vouchers = voucher_pins(args, args.vouched_by)
        change_pin(hall, args.name, _new_pin(args, args.name), vouchers=vouchers)
    else:
        old = read_pin(args, f"Old PIN of {args.name}: ")
        change_pin(hall, args.name, _new_pin(args, args.name), old)
        vouchers = []
    print(f"{' '.join(args.name.split())} has a new PIN.")
    remind_short_pins(vouchers)
    return 0


def cmd_officers_deactivate(args) -> int:
    hall = hall_from(args)
    [voucher] = voucher_pins(args, [args.by])
    notice = deactivate_officer(hall, args.name, *voucher)
    print(f"{' '.join(args.name.split())} is inactive: they can no longer approve, close periods or vouch."
          + (f" {notice}" if notice else ""))
    remind_short_pins([voucher])
    return 0


def cmd_officers_reactivate(args) -> int:
    hall = hall_from(args)
    new = _new_pin(args, args.name) if args.new_pin else None
    vouchers = voucher_pins(args, args.by)
    reactivate_officer(hall, args.name, vouchers, new)
    print(f"{' '.join(args.name.split())} is active again" + (" with a new PIN." if new else "."))
    remind_short_pins(vouchers)
    return 0


def cmd_classes_add(args) -> int:
    hall = hall_from(args)
    klass = dues.add_classification(hall, args.name, parse_amount(args.rate, field="rate", allow_zero=True),
                                    args.frequency, parse_day(args.effective_from, "--from date"),
                                    parse_amount(args.per_capita, field="per-capita amount", allow_zero=True))
    print(f"Added {klass.name}: {money(hall, parse_amount(args.rate, allow_zero=True))} {args.frequency}.")
    return 0


def cmd_classes_rate(args) -> int:
    hall = hall_from(args)
    rate = dues.add_rate(hall, args.name, parse_amount(args.rate, field="rate", allow_zero=True),
                         parse_day(args.effective_from, "--from date"),
                         parse_amount(args.per_capita, field="per-capita amount", allow_zero=True))
    print(f"New rate {money(hall, rate.amount_cents)} from {rate.effective_from.isoformat()}.")
    return 0


def cmd_classes_list(args) -> int:
    hall = hall_from(args)
    for klass in dues.list_classifications(hall):
        print(f"{klass.name} ({klass.frequency})")
        for rate in klass.rates:
            print(f"  from {rate.effective_from.isoformat()}: {money(hall, rate.amount_cents)}"
                  f"  per capita {money(hall, rate.per_capita_cents)}")
    return 0


def cmd_dues_assess(args) -> int:
    hall = hall_from(args)
    if args.preview:
        result = dues.preview_assessment(hall, args.period)
    else:
        from .stripe import gateway_if_configured

        result = dues.assess(hall, args.period, gateway=gateway_if_configured(hall))
    verb = "Would assess" if args.preview else "Assessed"
    if result.charges:
        print(f"{verb} {result.period}: {result.charges} charges, total {money(hall, result.total_cents)}.")
    else:
        print(f"Nothing new was assessed for {result.period}: {result.already_assessed} members were already "
              f"charged for it.")
    if result.already_assessed and result.charges:
        print(f"{result.already_assessed} members were already charged for {result.period} and were skipped.")
    for name in result.no_rate:
        print(f"Note: {name} has no rate in force for {result.period}; its members were not charged.")
    if result.superseded:
        from ..payment_links import link_states

        queued = sum(1 for state in link_states(hall, result.superseded).values() if state == "queued")
        print(f"{len(result.superseded)} open slips no longer say what their members owe and were superseded; "
              + (f"{queued} of their payment links will be switched off at the next 'treasurer sync' (or by the "
                 f"relay)." if queued else "their payment links are switched off.")
              + f" 'treasurer slips create {result.period} --arrears' issues slips for what is owed now.")
    return 0


def cmd_periods_close(args) -> int:
    hall = hall_from(args)
    with proven_officer(args) as pin:
        closing = periods.close_period(hall, args.period, args.officer, args.note, pin)
        anchor = periods.anchor_text(closing)
        print(f"Closed period {periods.parse_period(args.period).code}.")
        print(f"Anchor: {anchor} — give it to the trustees; 'treasurer audit verify --expect {anchor}' checks it.")
    return 0


def cmd_periods_reopen(args) -> int:
    hall = hall_from(args)
    with proven_officer(args) as pin:
        periods.reopen_period(hall, args.period, args.officer, args.reason, pin)
        print(f"Reopened period {periods.parse_period(args.period).code}.")
    return 0


def cmd_demo(args) -> int:
    from .demo_online import make_demo, running_sandbox

    hall = hall_from(args, must_exist=False)
    started = time.perf_counter()
    running = running_sandbox()
    demo = make_demo(hall, config.data_dir(getattr(args, "data_dir", None)), args.members, args.months, args.seed,
                     online=not args.offline, sandbox_url=running[0] if running else None,
                     api_key=running[1] if running else None)
    print(f"Demo hall ready in {time.perf_counter() - started:.1f} s:")
    for line in demo.lines(lambda cents: money(hall, cents)):
        print(line)
    if demo.online:
        print("'treasurer reconcile --no-sync' shows the payouts; 'treasurer gui --sandbox' opens the window on the "
              "same sandbox.")
    return 0


def cmd_backup(args) -> int:
    hall = hall_from(args)
    if args.auto:
        folder = Path(args.folder) if args.folder else (hall.data_path or Path(".")) / "backups"
        print(backup_if_due(hall.db, folder, keep=args.keep))
        return 0
    report = backup_to(hall.db, args.to)
    print(f"Backed up to {report.path} ({report.size_bytes:,} bytes); {report.chain}.")
    return 0


def cmd_restore(args) -> int:
    path = config.data_dir(getattr(args, "data_dir", None))
    url = config.database_url(path, getattr(args, "database_url", None))
    print(restore_from(url, args.file))
    return 0
