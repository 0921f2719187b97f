"""Members behind on their dues, and suspending them."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from . import clock
from .hall import Hall
from .ledger import Standing, standings
from .members import set_status
from .models import Member


@dataclasses.dataclass(frozen=True)
class Arrear:
    member_id: int
    member_number: str
    name: str
    status: str
    standing: Standing


def members_in_arrears(hall: Hall, min_months: int = 1) -> list[Arrear]:
    """Oldest arrears first (most months behind, then most owed)."""
    today = clock.today()
    with hall.read() as s:
        table = standings(s, today)
        members = s.execute(select(Member.id, Member.member_number, Member.first_name, Member.last_name,
                                   Member.status)).all()
    found = [Arrear(mid, number, f"{last}, {first}".strip(", "), status, table[mid])
             for mid, number, first, last, status in members
             if mid in table and table[mid].months_in_arrears >= max(1, min_months)]
    found.sort(key=lambda a: (-a.standing.months_in_arrears, -a.standing.overdue_cents, a.member_number))
    return found


def suspend_in_arrears(hall: Hall, min_months: int) -> list[Arrear]:
    """Suspend active members at least ``min_months`` behind; returns those suspended."""
    targets = [a for a in members_in_arrears(hall, min_months) if a.status == "active"]
    if not targets:
        return []
    reason = f"in arrears {min_months}+ months"
    with hall.write() as tx:
        for arrear in targets:
            member = tx.session.get(Member, arrear.member_id)
            if member.status == "active":
                set_status(tx, member, "suspended", reason)
    return targets
