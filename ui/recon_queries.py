"""Read-only queries the Reconciliation screen needs beside the core's own (labels for ledger rows, periods)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from treasurer.bank import uncleared_items
from treasurer.hall import Hall
from treasurer.models import BankReconciliation, Dispute, DuesPeriod, Member, Payment, Refund
from treasurer.money import format_cents
from treasurer.payments import receipt_number
from treasurer.reconcile import Reconciliation


def ledger_labels(hall: Hall, refs: Iterable[str | None]) -> dict[str, str]:
    """``payment:12`` -> ``R000012 · 1001 Jane Doe``; refunds and disputes name their payment's member."""
    wanted: dict[str, set[int]] = {"payment": set(), "refund": set(), "dispute": set()}
    for ref in refs:
        if ref and ":" in ref:
            kind, _, ident = ref.partition(":")
            if kind in wanted and ident.isdigit():
                wanted[kind].add(int(ident))
    out: dict[str, str] = {}
    if not any(wanted.values()):
        return out
    with hall.read() as s:
        refund_pay = dict(s.execute(select(Refund.id, Refund.payment_id).where(Refund.id.in_(wanted["refund"]))).all()) \
            if wanted["refund"] else {}
        dispute_pay = dict(s.execute(select(Dispute.id, Dispute.payment_id).where(
            Dispute.id.in_(wanted["dispute"]))).all()) if wanted["dispute"] else {}
        payment_ids = wanted["payment"] | {p for p in refund_pay.values() if p} | {p for p in dispute_pay.values() if p}
        people = {pid: (number or "", f"{first or ''} {last or ''}".strip()) for pid, number, first, last in s.execute(
            select(Payment.id, Member.member_number, Member.first_name, Member.last_name)
            .join(Member, Payment.member_id == Member.id, isouter=True).where(Payment.id.in_(payment_ids)))}

    def who(pid: int | None) -> str:
        if pid is None or pid not in people:
            return ""
        number, name = people[pid]
        return f"{receipt_number(pid)} · {number} {name}".strip() if number else f"{receipt_number(pid)} · no member"

    for pid in wanted["payment"]:
        out[f"payment:{pid}"] = who(pid) or f"payment {pid}"
    for rid, pid in refund_pay.items():
        out[f"refund:{rid}"] = f"refund {rid} of " + (who(pid) or "an unknown payment")
    for did, pid in dispute_pay.items():
        out[f"dispute:{did}"] = f"dispute {did} on " + (who(pid) or "an unknown payment")
    return out


def in_balance_text(result: Reconciliation | None, currency: str) -> str:
    """One line for the payouts tab: the ledger's online payments still in the Stripe balance ("" when none)."""
    if result is None or not result.in_balance:
        return ""
    n = len(result.in_balance)
    text = (f"{format_cents(result.in_balance_cents, currency)} in {n} payment{'' if n == 1 else 's'} "
            f"is in the Stripe balance, not yet paid out")
    return text + "."


def period_codes(hall: Hall) -> list[str]:
    """The hall's dues periods, newest first."""
    with hall.read() as s:
        return list(s.scalars(select(DuesPeriod.code).order_by(DuesPeriod.starts_on.desc())))


def bank_uncleared(hall: Hall) -> list[tuple[str, str, dt.date, str, int]]:
    """Deposits and payouts no finished bank reconciliation has cleared (ref, kind, day, description, cents)."""
    with hall.read() as s:
        return uncleared_items(s)


def bank_opening_balance(hall: Hall) -> int:
    """What a new bank reconciliation opens with: the last finished one's ending balance, or 0."""
    with hall.read() as s:
        last = s.scalar(select(BankReconciliation).where(BankReconciliation.status == "finished").order_by(
            BankReconciliation.statement_date.desc(), BankReconciliation.id.desc()).limit(1))
        return last.ending_balance_cents if last else 0
