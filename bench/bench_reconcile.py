"""How long reconciling a year of Stripe payouts takes for a large hall.

    .venv/bin/python bench/bench_reconcile.py [--members 5000] [--payments 60000] [--payouts 250]
                                              [--in-balance 500] [--runs 3]

Builds the rows directly in a fresh SQLite hall, as the relay and the payout sync would have stored them
(payments with Stripe ids, payouts, each payout's balance transactions: charges, some refunds and disputes,
and the payout's own line), then times ``treasurer.reconcile.reconcile`` (the whole computation: load,
match, sums, discrepancies) the dashboard's ``open_discrepancy_count`` (which must give the same count) and the
``treasurer reconcile --no-sync`` command (start-up included).
One payment in 1,000 is left out of the ledger, so discrepancies are found and reported too.
As a daily sync would have, ``balance_lines_seen`` holds every charge line (seen in the Stripe balance before
its payout) and ``--in-balance`` more payments that no payout has carried yet: still in the Stripe balance,
weeks old, and no discrepancy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from treasurer import clock
from treasurer.hall import init_hall, open_hall
from treasurer.models import BalanceLineSeen, BalanceTransaction, Classification, Member, Payment, Payout, Refund
from treasurer.reconcile import open_discrepancy_count, reconcile

TREASURER = Path(sys.executable).with_name("treasurer")
YEAR = dt.date(2025, 1, 1)


def build(home: Path, members: int, payments: int, payouts: int, in_balance: int = 0) -> tuple[int, int]:
    hall = open_hall(str(home), actor="bench")
    init_hall(hall, "Bench Local 5000", "usd")
    stamp = clock.stamp()
    per_payout = payments // payouts
    missing = 0
    with hall.db.engine.begin() as s:  # bulk rows for timing, not through the books (no audit entries)
        s.execute(insert(Classification), [dict(id=1, name="Journeyman", frequency="monthly", created_at=stamp)])
        s.execute(insert(Member), [dict(id=i, member_number=str(100000 + i), first_name="F", last_name=f"L{i}",
                                        email="", phone="", address="", classification_id=1, status="active",
                                        notes="") for i in range(1, members + 1)])
        pay_rows, po_rows, txn_rows, refund_rows = [], [], [], []
        txn_id = 0
        for n in range(payouts):
            day = YEAR + dt.timedelta(days=n * 365 // payouts)
            created = int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp())
            net_total = 0
            for k in range(per_payout):
                pid = n * per_payout + k + 1
                amount = 4500 + (pid % 7) * 500
                fee = round(amount * 0.029) + 30
                in_ledger = pid % 1000 != 0
                if in_ledger:
                    # A third of the ledger knows only the payment intent (matched through the line's source).
                    pay_rows.append(dict(id=pid, member_id=pid % members + 1, amount_cents=amount, method="card",
                                         status="completed", received_on=day, reference=f"pi_{pid:08d}",
                                         recorded_by="stripe", created_at=stamp,
                                         stripe_payment_intent_id=f"pi_{pid:08d}",
                                         stripe_charge_id=None if pid % 3 == 0 else f"ch_{pid:08d}"))
                else:
                    missing += 1
                txn_id += 1
                txn_rows.append(dict(stripe_txn_id=f"txn_{txn_id:09d}", payout_id=n + 1, type="charge",
                                     reporting_category="charge", amount_cents=amount, fee_cents=fee,
                                     net_cents=amount - fee, currency="usd", source_id=f"ch_{pid:08d}",
                                     charge_id=f"ch_{pid:08d}", payment_intent_id=f"pi_{pid:08d}",
                                     created=created, description=""))
                net_total += amount - fee
                if pid % 200 == 1 and in_ledger:
                    refund_rows.append(dict(id=len(refund_rows) + 1, stripe_refund_id=f"re_{pid:08d}", payment_id=pid,
                                            amount_cents=1000, status="succeeded", reason="", origin="app",
                                            created_at=stamp))
                    txn_id += 1
                    txn_rows.append(dict(stripe_txn_id=f"txn_{txn_id:09d}", payout_id=n + 1, type="refund",
                                         reporting_category="refund", amount_cents=-1000, fee_cents=0,
                                         net_cents=-1000, currency="usd", source_id=f"re_{pid:08d}",
                                         charge_id=f"ch_{pid:08d}", payment_intent_id=f"pi_{pid:08d}",
                                         created=created, description=""))
                    net_total -= 1000
            txn_id += 1
            po = f"po_{n + 1:06d}"
            txn_rows.append(dict(stripe_txn_id=f"txn_{txn_id:09d}", payout_id=n + 1, type="payout",
                                 reporting_category="payout", amount_cents=-net_total, fee_cents=0, net_cents=-net_total,
                                 currency="usd", source_id=po, charge_id=None, payment_intent_id=None,
                                 created=created, description="STRIPE PAYOUT"))
            po_rows.append(dict(id=n + 1, stripe_payout_id=po, amount_cents=net_total, currency="usd", status="paid",
                                shown_paid=True, failure_code=None, created=created,
                                arrival_date=day + dt.timedelta(days=2), synced_at=stamp))
        seen_rows = [dict(stripe_txn_id=t["stripe_txn_id"], type=t["type"], reporting_category=t["reporting_category"],
                          amount_cents=t["amount_cents"], fee_cents=t["fee_cents"], net_cents=t["net_cents"],
                          currency="usd", source_id=t["source_id"], charge_id=t["charge_id"],
                          payment_intent_id=t["payment_intent_id"], created=t["created"] - 86400,
                          available_on=t["created"], seen_at=stamp) for t in txn_rows if t["type"] == "charge"]
        # Payments after the last payout: their money is still in the Stripe balance (payouts paused).
        day = YEAR + dt.timedelta(days=370)
        created = int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp())
        for k in range(in_balance):
            pid = payments + k + 1
            amount = 4500 + (pid % 7) * 500
            fee = round(amount * 0.029) + 30
            pay_rows.append(dict(id=pid, member_id=pid % members + 1, amount_cents=amount, method="card",
                                 status="completed", received_on=day, reference=f"pi_{pid:08d}", recorded_by="stripe",
                                 created_at=stamp, stripe_payment_intent_id=f"pi_{pid:08d}",
                                 stripe_charge_id=None if pid % 3 == 0 else f"ch_{pid:08d}"))
            seen_rows.append(dict(stripe_txn_id=f"txn_b{pid:08d}", type="charge", reporting_category="charge",
                                  amount_cents=amount, fee_cents=fee, net_cents=amount - fee, currency="usd",
                                  source_id=f"ch_{pid:08d}", charge_id=f"ch_{pid:08d}",
                                  payment_intent_id=f"pi_{pid:08d}", created=created,
                                  available_on=created + 2 * 86400, seen_at=stamp))
        s.execute(insert(Payment), pay_rows)
        s.execute(insert(Refund), refund_rows)
        s.execute(insert(Payout), po_rows)
        s.execute(insert(BalanceTransaction), txn_rows)
        s.execute(insert(BalanceLineSeen), seen_rows)
    hall.close()
    return len(txn_rows), missing


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--payments", type=int, default=60000)
    parser.add_argument("--payouts", type=int, default=250)
    parser.add_argument("--in-balance", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        lines, missing = build(home, args.members, args.payments, args.payouts, args.in_balance)
        print(f"built {args.members} members, {args.payments} Stripe payments ({missing} left out of the ledger), "
              f"{args.payouts} payouts, {lines} balance transactions, {args.in_balance} payments still in the "
              f"Stripe balance in {time.perf_counter() - t0:.1f} s")
        hall = open_hall(str(home), actor="bench")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = reconcile(hall, today=dt.date(2026, 1, 31))
            times.append(time.perf_counter() - start)
        states = {}
        for p in result.payouts:
            states[p.state] = states.get(p.state, 0) + 1
        reconcile_best = min(times)
        print(f"reconcile(): best {min(times):.2f} s, worst {max(times):.2f} s over {args.runs} runs; "
              f"payouts {states}; {len(result.open_discrepancies)} discrepancies "
              f"({sorted({d.kind for d in result.discrepancies})}); {len(result.in_balance)} payments "
              f"({result.in_balance_cents / 100:,.2f}) in the Stripe balance")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            counted = open_discrepancy_count(hall, today=dt.date(2026, 1, 31))
            times.append(time.perf_counter() - start)
        count_best = min(times)
        same = "same as" if counted == len(result.open_discrepancies) else "DIFFERENT FROM"
        print(f"open_discrepancy_count(): best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms over "
              f"{args.runs} runs; {counted} ({same} reconcile())")
        hall.close()
        start = time.perf_counter()
        done = subprocess.run([str(TREASURER), "--data-dir", str(home), "reconcile", "--no-sync"],
                              capture_output=True, text=True)
        command = time.perf_counter() - start
        print(f"'treasurer reconcile --no-sync' (start-up and printing included): "
              f"{command:.2f} s, exit {done.returncode}, {len(done.stdout.splitlines())} lines")
    # Last, one line per figure: RESULT <name> <value> <unit> <ratio to its baseline or ->. The Dashboard's count
    # is measured against the full reconciliation it summarises.
    print(f"RESULT reconcile {reconcile_best:.2f} s -")
    print(f"RESULT open_discrepancy_count {count_best * 1000:.0f} ms {count_best / reconcile_best:.2f}")
    print(f"RESULT reconcile_command {command:.2f} s -")


if __name__ == "__main__":
    main()
