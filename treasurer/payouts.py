"""Bringing Stripe's payouts and the balance transactions each one paid out into the books.

Re-syncing is idempotent: payouts and balance transactions are keyed by their
Stripe ids.  A payout's amount never changes (triggers); its status may move on
(a payout can fail after first showing paid), and each move is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from . import clock
from .gateway import Gateway
from .hall import Hall
from .models import BalanceTransaction, Payout

PAYOUT_FIELDS = ("stripe_payout_id", "amount_cents", "currency", "status", "failure_code", "arrival_date")
CHARGE_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")
REFUND_FAILURE_TYPES = ("refund_failure",)                 # a failed refund gives the money back; source re_
PAYOUT_RETURN_TYPES = ("payout_failure", "payout_cancel")  # a failed payout's money back; source the po_


@dataclasses.dataclass(frozen=True)
class PayoutSync:
    payouts_seen: int
    new_payouts: int
    status_changes: tuple[str, ...]    # "po_...: paid -> failed"
    transactions_stored: int
    awaiting: tuple[str, ...]          # payouts whose lines Stripe has not finished reconciling

    def summary(self) -> str:
        text = (f"Synced {self.payouts_seen} payouts from Stripe ({self.new_payouts} new, "
                f"{self.transactions_stored} balance transactions stored)")
        if self.status_changes:
            text += "; status changed: " + ", ".join(self.status_changes)
        return text + "."


def sync_payouts(hall: Hall, gateway: Gateway, since: dt.date | None = None) -> PayoutSync:
    gte = int(dt.datetime.combine(since, dt.time(), dt.UTC).timestamp()) if since else None
    seen = new = stored = 0
    changes: list[str] = []
    awaiting: list[str] = []
    for payout in gateway.payouts(created_gte=gte):
        seen += 1
        created, change = _store_payout(hall, payout)
        new += created
        if change:
            changes.append(change)
        if _has_lines(hall, payout["id"]):
            continue
        if payout.get("reconciliation_status") != "completed":
            awaiting.append(payout["id"])
            continue
        lines = [_line(gateway, txn) for txn in gateway.balance_transactions(payout=payout["id"],
                                                                             expand_source=True)]
        stored += _store_lines(hall, payout["id"], lines)
    return PayoutSync(seen, new, tuple(changes), stored, tuple(awaiting))


def _store_payout(hall: Hall, obj: dict) -> tuple[bool, str | None]:
    status = str(obj.get("status") or "pending")
    with hall.write() as tx:
        row = tx.session.scalar(select(Payout).where(Payout.stripe_payout_id == obj["id"]))
        if row is None:
            row = Payout(stripe_payout_id=obj["id"], amount_cents=int(obj["amount"]),
                         currency=str(obj.get("currency") or ""), status=status, shown_paid=status == "paid",
                         failure_code=obj.get("failure_code"), created=int(obj.get("created") or 0),
                         arrival_date=_day(obj.get("arrival_date") or obj.get("created")), synced_at=clock.stamp())
            tx.session.add(row)
            tx.session.flush()
            tx.audit("payout.record", "payout", row.stripe_payout_id, None, _snapshot(row))
            return True, None
        if row.status == status:
            return False, None
        before = _snapshot(row)
        old = row.status
        row.status = status
        row.shown_paid = row.shown_paid or status == "paid"
        row.failure_code = obj.get("failure_code") or row.failure_code
        row.synced_at = clock.stamp()
        tx.session.flush()
        tx.audit("payout.status", "payout", row.stripe_payout_id, before, _snapshot(row))
        return False, f"{row.stripe_payout_id}: {old} -> {status}"


def _snapshot(row: Payout) -> dict:
    out = {name: getattr(row, name) for name in PAYOUT_FIELDS}
    out["arrival_date"] = row.arrival_date.isoformat()
    return out


def _day(stamp: Any) -> dt.date:
    return dt.datetime.fromtimestamp(int(stamp or 0), dt.UTC).date()


def _has_lines(hall: Hall, payout_id: str) -> bool:
    with hall.read() as s:
        return bool(s.scalar(select(func.count(BalanceTransaction.id)).join(
            Payout, BalanceTransaction.payout_id == Payout.id).where(Payout.stripe_payout_id == payout_id)))


def _line(gateway: Gateway, txn: dict) -> dict:
    """A balance transaction as stored: the charge and payment intent it concerns, resolved from its source."""
    source = txn.get("source")
    source_id = source.get("id") if isinstance(source, dict) else str(source or "")
    charge_id = intent_id = None
    kind = txn.get("type")
    if kind in CHARGE_TYPES:
        charge_id = source_id
        if isinstance(source, dict):
            intent_id = source.get("payment_intent")
        elif source_id:  # not expanded: one call for this charge
            intent_id = gateway.retrieve_charge(source_id).get("payment_intent")
    elif isinstance(source, dict) and kind != "payout":
        charge_id, intent_id = source.get("charge"), source.get("payment_intent")
    return dict(stripe_txn_id=txn["id"], type=str(kind or ""), reporting_category=str(txn.get("reporting_category") or ""),
                amount_cents=int(txn["amount"]), fee_cents=int(txn.get("fee") or 0), net_cents=int(txn["net"]),
                currency=str(txn.get("currency") or ""), source_id=source_id,
                charge_id=charge_id if isinstance(charge_id, str) else None,
                payment_intent_id=intent_id if isinstance(intent_id, str) else None,
                created=int(txn.get("created") or 0), description=str(txn.get("description") or ""))


def _store_lines(hall: Hall, payout_id: str, lines: list[dict]) -> int:
    with hall.write() as tx:
        payout = tx.session.scalar(select(Payout).where(Payout.stripe_payout_id == payout_id))
        known = set(tx.session.scalars(select(BalanceTransaction.stripe_txn_id).where(
            BalanceTransaction.stripe_txn_id.in_([line["stripe_txn_id"] for line in lines]))))
        fresh = [line for line in lines if line["stripe_txn_id"] not in known]
        if not fresh:
            return 0
        tx.session.add_all(BalanceTransaction(payout_id=payout.id, **line) for line in fresh)
        tx.session.flush()
        tx.audit("payout.transactions", "payout", payout_id, None, {
            "count": len(fresh), "amount_cents": sum(x["amount_cents"] for x in fresh),
            "fee_cents": sum(x["fee_cents"] for x in fresh), "net_cents": sum(x["net_cents"] for x in fresh),
            "transactions": [[x["stripe_txn_id"], x["type"], x["amount_cents"], x["fee_cents"]] for x in fresh]})
        return len(fresh)
