"""``treasurer member show``: one member's ledger, standing and slips.

On a SQLite hall it reads with the standard library alone (``treasurer.member_quick``: the normal path's own SQL,
generated from its SQLAlchemy expressions), so the answer comes before SQLAlchemy could even be loaded; anything
that path cannot answer (PostgreSQL, books at another schema revision, an unknown member number, a locked or
damaged database) goes the normal way, which answers or says what is wrong.  Both print through ``sheet_text``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import clock, config
from ..member_sheet import Sheet
from ..money import format_cents
from .common import add_command, group, hall_from, warn_if_open_to_others

# False: always the normal path (tests compare the two paths' output).
QUICK = True


def register(commands) -> None:
    member = group(commands, "member", "one member")
    p = add_command(member, "show", cmd_show, "the member's ledger with a running balance",
                    epilog="example: treasurer member show 100042")
    p.add_argument("member_number", help="the member's number, e.g. 100042")


def cmd_show(args: argparse.Namespace) -> int:
    sheet = quick_sheet(args) if QUICK else None
    if sheet is None:
        sheet = normal_sheet(args)
    sys.stdout.write(sheet_text(sheet))
    return 0


def quick_sheet(args: argparse.Namespace) -> Sheet | None:
    """The sheet read without SQLAlchemy, or None for the normal path to answer."""
    from ..member_quick import read_sheet

    path = quick_books(args)
    return None if path is None else read_sheet(path, args.member_number, clock.today())


def quick_books(args: argparse.Namespace) -> Path | None:
    """The hall's SQLite file, if its books are one that exists (else None: the normal path opens them)."""
    from ..member_quick import sqlite_file
    from ..private_files import protect_database

    folder = config.data_dir(getattr(args, "data_dir", None))
    path = sqlite_file(config.database_url(folder, getattr(args, "database_url", None)))
    if path is None or not path.is_file():
        return None
    protect_database(path)           # as opening the hall does: the books and their -wal/-shm, the owner's alone
    warn_if_open_to_others(args, folder)
    return path


def normal_sheet(args: argparse.Namespace) -> Sheet:
    from ..slips import member_slips
    from ..statement import member_statement

    hall = hall_from(args)
    st = member_statement(hall, args.member_number)
    m, s = st.member, st.standing
    return Sheet(m.member_number, m.first_name, m.last_name, m.status, st.classification, hall.currency, st.lines,
                 s.balance_cents, s.paid_through, s.months_in_arrears, s.pending_cents,
                 member_slips(hall, m.member_number))


def sheet_text(sheet: Sheet) -> str:
    def money(cents: int) -> str:
        return format_cents(cents, sheet.currency)

    out = [f"{sheet.member_number}  {sheet.last_name}, {sheet.first_name}  ({sheet.classification}, {sheet.status})"]
    # The description column is as wide as the longest one: "(awaiting approval)" is never cut off.
    wide = max([44, *(len(line.description) for line in sheet.lines)])
    out.append(f"{'date':10}  {'description':{wide}} {'charge':>11} {'paid':>11} {'balance':>12}")
    for line in sheet.lines:
        bal = money(line.balance_cents) if line.balance_cents is not None else "(not counted)"
        out.append(f"{line.day.isoformat():10}  {line.description:{wide}} "
                   f"{money(line.debit_cents) if line.debit_cents else '':>11} "
                   f"{money(line.credit_cents) if line.credit_cents else '':>11} {bal:>12}")
    balance = sheet.balance_cents
    owed = (f"owes {money(balance)}" if balance > 0 else
            f"has a credit of {money(-balance)}" if balance < 0 else "owes nothing")
    out.append(f"Balance: {money(balance)} ({owed}). Paid through: {sheet.paid_through or 'nothing yet'}. "
               f"Months in arrears: {sheet.months_in_arrears}.")
    if sheet.pending_cents:
        out.append(f"Pending (not yet counted): {money(sheet.pending_cents)}.")
    if not sheet.slips:
        out.append("Slips: none.")
    else:
        out.append("Slips:")
        out.append(f"  {'slip':>6}  {'status':10} {'amount':>11}  {'periods':30} {'when':16}  what became of it")
        for slip in sheet.slips:
            out.append(f"  {slip.slip_id:>6}  {slip.status:10} {money(slip.amount_cents):>11}  "
                       f"{slip.periods_text:30} {slip.when:16}  {slip.outcome}")
    return "\n".join(out) + "\n"
