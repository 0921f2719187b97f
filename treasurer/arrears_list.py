"""Who is behind on dues, oldest arrears first, from the roll and each member's standing.

Plain rows in, plain rows out: ``treasurer.arrears`` (through SQLAlchemy) and the command line's quick path
(``treasurer.member_quick``, the standard library's sqlite3) both list arrears with it.  Imports neither
SQLAlchemy nor the models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Arrear:
    member_id: int
    member_number: str
    name: str
    status: str
    standing: Any       # treasurer.ledger.Standing, or the quick path's equivalent (the same fields)


def in_arrears(roll: Iterable[tuple], standings: Mapping[int, Any], min_months: int = 1) -> list[Arrear]:
    """Members ``min_months`` or more behind, most months first, then most owed, then by number.

    roll: (id, number, first name, last name, status) of each member; standings: each member's standing by id.
    """
    found = [Arrear(mid, number, f"{last}, {first}".strip(", "), status, standings[mid])
             for mid, number, first, last, status in roll
             if mid in standings and standings[mid].months_in_arrears >= max(1, min_months)]
    found.sort(key=lambda a: (-a.standing.months_in_arrears, -a.standing.overdue_cents, a.member_number))
    return found
