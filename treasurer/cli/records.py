"""Commands over the audit log."""

from __future__ import annotations

from .. import audit, audit_check
from .common import add_command, group, hall_from


def register(commands) -> None:
    log = group(commands, "audit", "the append-only audit log")
    p = add_command(log, "verify", cmd_verify,
                    "check the hash chain, and every row of the books against its latest snapshot in the log",
                    epilog="example: treasurer audit verify --expect 1234:9f2c...e1 (an anchor a trustee kept)")
    p.add_argument("--expect", action="append", default=[], metavar="SEQ:HASH",
                   help="an anchor kept outside the file (printed when a period closes): fail unless entry SEQ "
                        "is there with that hash; may be given more than once")
    p.add_argument("--all", action="store_true", help="list every row that differs (default: the first 50)")
    p = add_command(log, "log", cmd_log, "the latest entries, newest first",
                    epilog="examples:\n  treasurer audit log\n  treasurer audit log --entity payment --limit 50")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many entries to show (default 20)")
    p.add_argument("--entity", help="only entries about this kind of thing (member, payment, charge...)")


def cmd_verify(args) -> int:
    expect = [audit_check.parse_anchor(text) for text in args.expect]
    hall = hall_from(args)
    report = audit_check.check_hall(hall, expect)
    for line in report.lines(None if args.all else 50):
        print(line)
    return 0 if report.ok else 1


def cmd_log(args) -> int:
    hall = hall_from(args)
    with hall.read() as s:
        for e in audit.latest(s, max(1, args.limit), args.entity):
            change = e.after_json or e.before_json or ""
            print(f"{e.seq:7} {e.at[:19]} {e.actor:14.14} {e.action:20} {e.entity_type} {e.entity_id}  {change[:90]}")
    return 0
