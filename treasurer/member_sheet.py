"""One member's sheet, as ``treasurer member show`` and the window's member page show it: the ledger's lines with
a running balance, and the member's slips with what became of each.

Built here from plain rows (tuples of numbers, text and dates), whoever read them: the normal path reads them
through SQLAlchemy (``treasurer.statement``, ``treasurer.slips``), the command line's quick path through the
standard library's sqlite3 (``treasurer.member_quick``), both with the same SQL (``treasurer.member_reads``).
This module imports neither SQLAlchemy nor the models, so that the quick path can use it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable


def receipt_number(payment_id: int) -> str:
    return f"R{payment_id:06d}"


@dataclasses.dataclass(frozen=True)
class Line:
    day: dt.date
    kind: str              # charge | payment | adjustment
    description: str
    debit_cents: int
    credit_cents: int
    balance_cents: int | None   # None for lines that do not count (pending, failed, awaiting approval)


def ledger_lines(charges: Iterable[tuple], payments: Iterable[tuple], adjustments: Iterable[tuple],
                 effective: set[int], decisions: dict[int, str]) -> list[Line]:
    """Every charge, payment and adjustment, oldest first, with the running balance of those that count.

    charges: (period start, period code, cents); payments: (id, method, reference, status, received on, cents);
    adjustments: (id, kind, cents, effective on, reason); ``effective``: the adjustments in force;
    ``decisions``: an adjustment's decision (approved or denied), if it has one.
    """
    entries: list[tuple[dt.date, int, str, str, int, int, bool]] = []
    for starts_on, code, amount in charges:
        entries.append((starts_on, 0, "charge", f"Dues {code}", amount, 0, True))
    for pid, method, reference, status, received_on, amount in payments:
        label = f"{method.replace('_', ' ')} {reference}".strip()
        counts = status == "completed"
        note = "" if counts else f" ({status})"
        entries.append((received_on, 1, "payment", f"Payment {receipt_number(pid)} {label}{note}", 0, amount,
                        counts))
    for aid, kind, amount, effective_on, reason in adjustments:
        counts = aid in effective
        state = "" if counts else f" ({decisions.get(aid, 'awaiting approval')})"
        text = f"{kind.replace('_', ' ').capitalize()} #{aid}: {reason}{state}"
        entries.append((effective_on, 2, "adjustment", text, max(amount, 0), max(-amount, 0), counts))
    entries.sort(key=lambda e: (e[0], e[1]))
    balance = 0
    lines = []
    for day, _, kind, text, debit, credit, counts in entries:
        if counts:
            balance += debit - credit
        lines.append(Line(day, kind, text, debit, credit, balance if counts else None))
    return lines


@dataclasses.dataclass(frozen=True)
class SlipHistory:
    """One of a member's slips and what became of it."""
    slip_id: int
    status: str
    amount_cents: int
    currency: str
    periods: str
    covers: str
    created_at: str
    changed_at: str | None      # when it stopped being open (None while open)
    why: str                    # what closed it, in words ("payment R000012 received"), or ""
    link_closed: bool           # Stripe confirmed its payment link is switched off
    url: str
    pay_by: dt.date

    @property
    def periods_text(self) -> str:
        labels = self.periods.split(",")
        return labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]} ({len(labels)} items)"

    @property
    def when(self) -> str:
        return (self.changed_at or self.created_at)[:16].replace("T", " ")

    @property
    def outcome(self) -> str:
        """What became of the slip, in words."""
        if self.status == "open":
            return "open: its link takes payment" if self.url else "open: no payment link yet"
        what = {"paid": "Paid", "superseded": "Superseded", "void": "Voided", "expired": "Expired"}.get(
            self.status, self.status.capitalize())
        link = "" if not self.url else "; link switched off" if self.link_closed else "; link still to switch off"
        return f"{what}{': ' + self.why if self.why else ''}{link}"

    @property
    def search(self) -> str:
        return f"{self.slip_id} {self.periods} {self.status} {self.why} {self.url}".casefold()


_WHY = {"slip.paid": "paid online", "slip.superseded": "replaced by a newer slip", "slip.void": "voided"}


def slip_histories(slips: Iterable[tuple], changes: Iterable[tuple], closed: Iterable[int]) -> list[SlipHistory]:
    """The member's slips (newest first, as given), each with when it changed and why.

    slips: (id, status, cents, currency, periods, covers, created at, url, pay by); changes: the audit log's
    entries about these slips in order (slip id as text, action, at, after as JSON); closed: the slips whose
    payment link Stripe confirmed switched off.
    """
    why_of: dict[str, tuple[str, str]] = {}
    for entity_id, action, at, after in changes:
        try:
            why = str((json.loads(after) if after else {}).get("why") or "")
        except (ValueError, AttributeError):
            why = ""
        why_of[entity_id] = (at, why or _WHY.get(action, ""))
    closed = set(closed)
    result = []
    for sid, status, amount, currency, periods, covers, created_at, url, pay_by in slips:
        at, why = why_of.get(str(sid), (None, "")) if status != "open" else (None, "")
        result.append(SlipHistory(sid, status, amount, currency, periods, covers, created_at, at, why,
                                  sid in closed, url or "", pay_by))
    return result


@dataclasses.dataclass(frozen=True)
class Sheet:
    """What ``treasurer member show`` prints."""
    member_number: str
    first_name: str
    last_name: str
    status: str
    classification: str
    currency: str
    lines: list[Line]
    balance_cents: int
    paid_through: str | None
    months_in_arrears: int
    pending_cents: int
    slips: list[SlipHistory]
