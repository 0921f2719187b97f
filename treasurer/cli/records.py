"""Commands over the audit log."""

from __future__ import annotations

from .. import audit
from .common import add_command, group, hall_from


def register(commands) -> None:
    log = group(commands, "audit", "the append-only audit log")
    add_command(log, "verify", cmd_verify, "check the hash chain from the first entry to the last")
    p = add_command(log, "log", cmd_log, "the latest entries, newest first")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--entity", help="only entries about this kind of thing (member, payment, charge...)")


def cmd_verify(args) -> int:
    hall = hall_from(args)
    with hall.read() as s:
        report = audit.verify(s)
    print(str(report))
    return 0 if report.ok else 1


def cmd_log(args) -> int:
    hall = hall_from(args)
    with hall.read() as s:
        for e in audit.latest(s, max(1, args.limit), args.entity):
            change = e.after_json or e.before_json or ""
            print(f"{e.seq:7} {e.at[:19]} {e.actor:14.14} {e.action:20} {e.entity_type} {e.entity_id}  {change[:90]}")
    return 0
