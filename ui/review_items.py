"""What waits in Review, as rows of one kind-tagged list.

Each source turns something waiting for a person into ``ReviewItem`` rows; each kind names how it is
approved and denied.  Adjustments awaiting a second officer are the first kind; the relay's held events
(``treasurer.review``) become another source and another entry in ``KINDS`` without changing the screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from treasurer.adjustments import decide, pending_adjustments
from treasurer.hall import Hall

from . import fmt


@dataclasses.dataclass(frozen=True)
class ReviewItem:
    kind: str               # "adjustment", ...
    ref: int                # the id of the thing within its kind
    title: str
    member_number: str
    member_name: str
    amount_cents: int
    detail: str
    requested_by: str
    created_at: str

    @property
    def search(self) -> str:
        return f"{self.kind} {self.ref} {self.title} {self.member_number} {self.member_name} {self.detail}".casefold()


@dataclasses.dataclass(frozen=True)
class Kind:
    label: str
    needs_officer: bool                                              # approve/deny with an officer's PIN
    decide: Callable[[Hall, ReviewItem, bool, str, str, str], None]  # hall, item, approve, officer, pin, note


def adjustment_items(hall: Hall) -> list[ReviewItem]:
    return [ReviewItem("adjustment", a.id, f"{fmt.kind(a.kind)} #{a.id}", a.member_number, a.member_name,
                       a.amount_cents, a.reason, a.requested_by, a.created_at)
            for a in pending_adjustments(hall)]


def _decide_adjustment(hall: Hall, item: ReviewItem, approve: bool, officer: str, pin: str, note: str) -> None:
    decide(hall, item.ref, officer, pin, approve, note)


KINDS: dict[str, Kind] = {
    "adjustment": Kind("Adjustment: second officer", True, _decide_adjustment),
}
SOURCES: list[Callable[[Hall], list[ReviewItem]]] = [adjustment_items]


def review_items(hall: Hall) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for source in SOURCES:
        items.extend(source(hall))
    return sorted(items, key=lambda i: i.created_at)
