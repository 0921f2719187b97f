"""``treasurer arrears``: members behind on dues, oldest first, and suspending them.

Listing only, on a SQLite hall: read with the standard library alone (``treasurer.member_quick``: the normal
path's own SQL, generated from its SQLAlchemy expressions and ``treasurer.ledger.standings``), as
``treasurer member show`` is; suspending, and anything that path cannot answer, goes the normal way.
"""

from __future__ import annotations

import argparse
import sys

from .. import clock
from ..money import format_cents
from .common import add_command, hall_from

# False: always the normal path (tests compare the two paths' output).
QUICK = True


def register(commands) -> None:
    p = add_command(commands, "arrears", cmd_arrears, "members behind on dues, oldest first",
                    epilog="examples:\n  treasurer arrears --months 3\n"
                           "  treasurer arrears --months 6 --suspend          # who would be suspended\n"
                           "  treasurer arrears --months 6 --suspend --yes    # suspend them")
    p.add_argument("--months", type=int, default=1, help="at least this many months behind")
    p.add_argument("--suspend", action="store_true", help="suspend those listed (asks for --yes)")
    p.add_argument("--yes", action="store_true", help="with --suspend: apply the suspensions")


def cmd_arrears(args: argparse.Namespace) -> int:
    months = max(1, args.months)
    found = quick_arrears(args, months) if QUICK and not args.suspend else None
    if found is not None:
        currency, rows = found
        sys.stdout.write(arrears_text(rows, months, currency))
        return 0
    from .. import arrears

    hall = hall_from(args)
    rows = arrears.members_in_arrears(hall, months)
    sys.stdout.write(arrears_text(rows, months, hall.currency))
    if args.suspend and rows:
        active = [a for a in rows if a.status == "active"]
        if not args.yes:
            print(f"Would suspend {len(active)} active members. Run again with --suspend --yes to apply.")
            return 0
        done = arrears.suspend_in_arrears(hall, months)
        print(f"Suspended {len(done)} members.")
    return 0


def quick_arrears(args: argparse.Namespace, months: int):
    """(currency, the members in arrears) read without SQLAlchemy, or None for the normal path to answer."""
    from ..member_quick import read_arrears
    from .member import quick_books

    path = quick_books(args)
    return None if path is None else read_arrears(path, months, clock.today())


def arrears_text(rows, months: int, currency: str) -> str:
    """The list as ``treasurer arrears`` prints it (``rows``: ``treasurer.arrears_list.Arrear``)."""
    def money(cents: int) -> str:
        return format_cents(cents, currency)

    if not rows:
        return f"No member is {months} or more months in arrears.\n"
    header = (f"{'member':10} {'name':30} {'status':10} {'paid through':12} {'months':>6} {'overdue':>12} "
              f"{'balance':>12}")
    out = [header]
    for a in rows:
        s = a.standing
        out.append(f"{a.member_number:10} {a.name[:30]:30} {a.status:10} {s.paid_through or '-':12} "
                   f"{s.months_in_arrears:>6} {money(s.overdue_cents):>12} {money(s.balance_cents):>12}")
    total = sum(a.standing.overdue_cents for a in rows)
    out.append(f"{len(rows)} members, {money(total)} overdue.")
    return "\n".join(out) + "\n"
