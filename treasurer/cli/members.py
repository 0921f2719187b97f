"""Commands about the member roll: import, export, add (one member: ``treasurer.cli.member``; members behind:
``treasurer.cli.arrears``)."""

from __future__ import annotations

import sys

from ..members import MemberData, add_member
from ..models import MEMBER_STATUSES
from ..private_files import write_private
from .common import add_command, group, hall_from, parse_day


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
