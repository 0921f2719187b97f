"""One member's ledger: every charge, payment and adjustment with a running balance."""

from __future__ import annotations

import dataclasses

from . import clock, member_reads
from .hall import Hall
from .ledger import Standing, member_standing
from .member_sheet import Line, ledger_lines
from .members import find_member
from .models import Member


@dataclasses.dataclass(frozen=True)
class Statement:
    member: Member
    classification: str
    lines: list[Line]
    standing: Standing


def member_statement(hall: Hall, member_number: str) -> Statement:
    # The same statements 'treasurer member show' runs without SQLAlchemy (treasurer.member_quick).
    with hall.read() as s:
        member = find_member(s, member_number)
        mid = {"member_id": member.id}
        lines = ledger_lines(s.execute(member_reads.charges(), mid).all(),
                             s.execute(member_reads.payments(), mid).all(),
                             s.execute(member_reads.adjustments(), mid).all(),
                             set(s.scalars(member_reads.effective_adjustments(), mid)),
                             dict(s.execute(member_reads.decisions(), mid).all()))
        return Statement(member, member.classification.name, lines, member_standing(s, member.id, clock.today()))
