"""Members behind on their dues, and suspending them."""

from __future__ import annotations

from . import clock, member_reads
from .arrears_list import Arrear, in_arrears
from .hall import Hall
from .ledger import standings
from .members import set_status
from .models import Member


def members_in_arrears(hall: Hall, min_months: int = 1) -> list[Arrear]:
    """Oldest arrears first (most months behind, then most owed)."""
    today = clock.today()
    # As 'treasurer arrears' reads them without SQLAlchemy (treasurer.member_quick): who is behind, by the quick
    # totals, then those members' standings walked in full.
    with hall.read() as s:
        behind = list(s.scalars(member_reads.behind(), {"today": today, "min_months": max(1, min_months)}))
        table = standings(s, today, behind) if behind else {}
        members = s.execute(member_reads.roll()).all()
    return in_arrears(members, table, min_months)


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
