"""Commands about the member roll: import, export, add, show, arrears."""

from __future__ import annotations

import sys

from .. import arrears
from ..members import MemberData, add_member
from ..models import MEMBER_STATUSES
from ..private_files import write_private
from ..statement import member_statement
from .common import add_command, group, hall_from, money, parse_day


def register(commands) -> None:
    roll = group(commands, "members", "the member roll")
    p = add_command(roll, "import", cmd_import, "import members from a CSV file (all or nothing)",
                    epilog="examples:\n  treasurer members import roll.csv --preview   # see what would change\n"
                           "  treasurer members import roll.csv             # then import it\n\n"
                           "For a member already on the roll a blank cell leaves the field as it is; write "
                           "(clear) in a cell to empty an email, phone, address, notes or join date.")
    p.add_argument("file", help="the CSV file saved from the spreadsheet (CSV UTF-8)")
    p.add_argument("--preview", action="store_true",
                   help="show, member by member and field by field, what the import would change; write nothing")
    p = add_command(roll, "export", cmd_export, "export the roll as CSV (to a file or standard output)",
                    epilog="example: treasurer members export roll-2026-12.csv")
    p.add_argument("file", nargs="?", help="the CSV file to write (default: print it on standard output)")
    p = add_command(roll, "add", cmd_add, "add one member",
                    epilog='example: treasurer members add 100042 --first Maria --last Garcia --class '
                           '"Journeyman Wireman" --joined 2026-03-02')
    p.add_argument("member_number", help="the member's card number, e.g. 100042 (must be new to the roll)")
    p.add_argument("--first", required=True, metavar="NAME", help="first name")
    p.add_argument("--last", required=True, metavar="NAME", help="last name")
    p.add_argument("--class", dest="classification", required=True, metavar="CLASSIFICATION",
                   help="the member's classification, as 'treasurer classes list' shows it; it sets the dues")
    p.add_argument("--email", default="", help="email address, for payment links (default: none)")
    p.add_argument("--phone", default="", help="phone number (default: none)")
    p.add_argument("--address", default="", help="mailing address (default: none)")
    p.add_argument("--status", default="active", choices=MEMBER_STATUSES,
                   help="active (the default), suspended, retired, withdrawn or deceased; active and retired "
                        "members are charged dues")
    p.add_argument("--joined", help="join date, YYYY-MM-DD")

    member = group(commands, "member", "one member")
    p = add_command(member, "show", cmd_show, "the member's ledger with a running balance",
                    epilog="example: treasurer member show 100042")
    p.add_argument("member_number", help="the member's number, e.g. 100042")

    p = add_command(commands, "arrears", cmd_arrears, "members behind on dues, oldest first",
                    epilog="examples:\n  treasurer arrears --months 3\n"
                           "  treasurer arrears --months 6 --suspend          # who would be suspended\n"
                           "  treasurer arrears --months 6 --suspend --yes    # suspend them")
    p.add_argument("--months", type=int, default=1, help="at least this many months behind")
    p.add_argument("--suspend", action="store_true", help="suspend those listed (asks for --yes)")
    p.add_argument("--yes", action="store_true", help="with --suspend: apply the suspensions")


def cmd_import(args) -> int:
    # The importer (with dues, periods and payment links) is loaded by these two commands only.
    from ..member_import import import_members, preview_import, read_import_file

    hall = hall_from(args)
    if args.preview:
        preview = preview_import(hall, read_import_file(args.file))
        for change in preview.members:
            if change.new or change.changes:
                print(f"{change.member_number} {change.name}: {change.describe()}")
        print(preview.summary())
        if preview.ignored_columns:
            print(f"Columns not imported: {', '.join(preview.ignored_columns)}.")
        return 0
    result = import_members(hall, args.file)
    print(result.summary())
    if result.ignored_columns:
        print(f"Columns not imported: {', '.join(result.ignored_columns)}.")
    return 0


def cmd_export(args) -> int:
    from ..member_import import export_members

    text = export_members(hall_from(args))
    if args.file:
        write_private(args.file, text)        # the roll: names, emails, phones: 0600
        print(f"Exported {text.count(chr(10)) - 1} members to {args.file}.")
    else:
        sys.stdout.write(text)
    return 0


def cmd_add(args) -> int:
    hall = hall_from(args)
    data = MemberData(args.member_number, args.first, args.last, args.classification, args.email, args.phone,
                      args.address, args.status, parse_day(args.joined, "join date"))
    member = add_member(hall, data)
    print(f"Added member {member.member_number}: {member.first_name} {member.last_name}.")
    return 0


def cmd_show(args) -> int:
    hall = hall_from(args)
    st = member_statement(hall, args.member_number)
    m = st.member
    print(f"{m.member_number}  {m.last_name}, {m.first_name}  ({st.classification}, {m.status})")
    # The description column is as wide as the longest one: "(awaiting approval)" is never cut off.
    wide = max([44, *(len(line.description) for line in st.lines)])
    print(f"{'date':10}  {'description':{wide}} {'charge':>11} {'paid':>11} {'balance':>12}")
    for line in st.lines:
        bal = money(hall, line.balance_cents) if line.balance_cents is not None else "(not counted)"
        print(f"{line.day.isoformat():10}  {line.description:{wide}} "
              f"{money(hall, line.debit_cents) if line.debit_cents else '':>11} "
              f"{money(hall, line.credit_cents) if line.credit_cents else '':>11} {bal:>12}")
    s = st.standing
    owed = (f"owes {money(hall, s.balance_cents)}" if s.balance_cents > 0 else
            f"has a credit of {money(hall, -s.balance_cents)}" if s.balance_cents < 0 else "owes nothing")
    print(f"Balance: {money(hall, s.balance_cents)} ({owed}). Paid through: {s.paid_through or 'nothing yet'}. "
          f"Months in arrears: {s.months_in_arrears}.")
    if s.pending_cents:
        print(f"Pending (not yet counted): {money(hall, s.pending_cents)}.")
    from ..slips import member_slips  # this command's own: the member's slips and what became of each

    slips = member_slips(hall, m.member_number)
    if not slips:
        print("Slips: none.")
        return 0
    print("Slips:")
    print(f"  {'slip':>6}  {'status':10} {'amount':>11}  {'periods':30} {'when':16}  what became of it")
    for slip in slips:
        print(f"  {slip.slip_id:>6}  {slip.status:10} {money(hall, slip.amount_cents):>11}  "
              f"{slip.periods_text:30} {slip.when:16}  {slip.outcome}")
    return 0


def cmd_arrears(args) -> int:
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
