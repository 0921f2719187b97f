"""What waits in Review, as rows of one kind-tagged list.

Each source turns something waiting for a person into ``ReviewItem`` rows; each kind says how it is settled.
Adjustments awaiting a second officer are approved or denied with a PIN; what the relay could not settle
(``treasurer.review``: unmatched payments, refunds, disputes, held events) is resolved with a note.  A new
kind is a new entry in ``KINDS`` (and a source, if it lives elsewhere); the screen does not change.
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
    """How a kind of item is settled: approved/denied by an officer with a PIN, or resolved with a note."""

    label: str
    decide: Callable[[Hall, ReviewItem, bool, str, str, str], None] | None = None  # item, approve, officer, pin, note
    # item, note, member number, officer, PIN
    resolve: Callable[[Hall, ReviewItem, str, str, str, str], None] | None = None
    needs_member: bool = False                                                     # resolving names a member
    needs_pin: bool = False                         # resolving moves money: an officer proves it with their PIN


def adjustment_items(hall: Hall) -> list[ReviewItem]:
    return [ReviewItem("adjustment", a.id, f"{fmt.kind(a.kind)} #{a.id}", a.member_number, a.member_name,
                       a.amount_cents, a.reason, a.requested_by, a.created_at)
            for a in pending_adjustments(hall)]


def _decide_adjustment(hall: Hall, item: ReviewItem, approve: bool, officer: str, pin: str, note: str) -> None:
    decide(hall, item.ref, officer, pin, approve, note)


def relay_items(hall: Hall) -> list[ReviewItem]:
    """What the relay could not settle by itself (``treasurer.review``): unmatched payments, refunds..."""
    from treasurer.models import Member
    from treasurer.models import ReviewItem as Row
    from treasurer.review import open_items, payment_of

    items = [i for i in open_items(hall) if i.key.startswith("review:")]
    members: dict[int, tuple[str, str]] = {}
    with hall.read() as s:            # the member each item's payment belongs to (a refund's, a dispute's)
        for i in items:
            row = s.get(Row, int(i.key.split(":")[1]))
            payment = payment_of(s, row.ref) if row is not None else None
            member = s.get(Member, payment.member_id) if payment is not None and payment.member_id else None
            if member is not None:
                members[row.id] = (member.member_number, f"{member.last_name}, {member.first_name}")
    return [ReviewItem(i.kind, int(i.key.split(":")[1]), i.label, *members.get(int(i.key.split(":")[1]), ("", "")),
                       i.amount_cents or 0, i.summary, "relay", i.created_at) for i in items]


def _resolve(hall: Hall, item: ReviewItem, note: str, member_number: str, officer: str, pin: str) -> None:
    from treasurer import review

    review.resolve(hall, item.ref, note, officer=officer or None, pin=pin or None)


def _assign(hall: Hall, item: ReviewItem, note: str, member_number: str, officer: str, pin: str) -> None:
    from treasurer import review

    review.assign_payment(hall, item.ref, member_number, note, officer=officer, pin=pin)


def _acknowledge(hall: Hall, item: ReviewItem, note: str, member_number: str, officer: str, pin: str) -> None:
    from treasurer import review

    review.acknowledge_refund(hall, item.ref, note, officer=officer, pin=pin)


def _relay_kinds() -> dict[str, Kind]:
    from treasurer.review import KIND_LABELS, MONEY_KINDS

    kinds = {kind: Kind(label, resolve=_resolve, needs_pin=kind in MONEY_KINDS)
             for kind, label in KIND_LABELS.items() if kind != "adjustment"}
    kinds["unmatched_payment"] = Kind(KIND_LABELS["unmatched_payment"], resolve=_assign, needs_member=True,
                                      needs_pin=True)
    kinds["refund"] = Kind(KIND_LABELS["refund"], resolve=_acknowledge, needs_pin=True)
    kinds["mail_failed"] = Kind(KIND_LABELS["mail_failed"])   # clears itself: a corrected address, a closed slip
    return kinds


def mail_items(hall: Hall) -> list[ReviewItem]:
    """Emails the mail server refused, or that were cut off while being sent (``treasurer.outbox``)."""
    from treasurer.outbox import problems

    return [ReviewItem("mail_failed", p.outbox_id, "Email not delivered", p.member_number, p.member_name, 0,
                       p.summary, "email", p.at) for p in problems(hall)]


KINDS: dict[str, Kind] = {
    "adjustment": Kind("Adjustment: second officer", decide=_decide_adjustment),
    **_relay_kinds(),
}
SOURCES: list[Callable[[Hall], list[ReviewItem]]] = [adjustment_items, relay_items, mail_items]


def review_items(hall: Hall) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    for source in SOURCES:
        items.extend(source(hall))
    return sorted(items, key=lambda i: i.created_at)
