"""``treasurer arrears``: members behind on dues, oldest first, and suspending them."""

from __future__ import annotations

from .common import add_command, hall_from, money


def register(commands) -> None:
    p = add_command(commands, "arrears", cmd_arrears, "members behind on dues, oldest first",
                    epilog="examples:\n  treasurer arrears --months 3\n"
                           "  treasurer arrears --months 6 --suspend          # who would be suspended\n"
                           "  treasurer arrears --months 6 --suspend --yes    # suspend them")
    p.add_argument("--months", type=int, default=1, help="at least this many months behind")
    p.add_argument("--suspend", action="store_true", help="suspend those listed (asks for --yes)")
    p.add_argument("--yes", action="store_true", help="with --suspend: apply the suspensions")


def cmd_arrears(args) -> int:
    from .. import arrears

    hall = hall_from(args)
    months = max(1, args.months)
    rows = arrears.members_in_arrears(hall, months)
    if not rows:
        print(f"No member is {months} or more months in arrears.")
        return 0
    print(f"{'member':10} {'name':30} {'status':10} {'paid through':12} {'months':>6} {'overdue':>12} {'balance':>12}")
    for a in rows:
        s = a.standing
        print(f"{a.member_number:10} {a.name[:30]:30} {a.status:10} {s.paid_through or '-':12} "
              f"{s.months_in_arrears:>6} {money(hall, s.overdue_cents):>12} {money(hall, s.balance_cents):>12}")
    total = sum(a.standing.overdue_cents for a in rows)
    print(f"{len(rows)} members, {money(hall, total)} overdue.")
    if args.suspend:
        active = [a for a in rows if a.status == "active"]
        if not args.yes:
            print(f"Would suspend {len(active)} active members. Run again with --suspend --yes to apply.")
            return 0
        done = arrears.suspend_in_arrears(hall, months)
        print(f"Suspended {len(done)} members.")
    return 0
