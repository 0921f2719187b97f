"""Commands for reconciliation and reports: Stripe payouts, bank deposits, the bank statement, trustees' packet."""

from __future__ import annotations

import argparse

from ..reconcile import Reconciliation, reconcile, resolve_discrepancy
from .common import add_command, group, hall_from, money, parse_day
from .stripe import gateway_for


def register(commands) -> None:
    p = add_command(commands, "reconcile", cmd_reconcile,
                    "sync Stripe payouts and reconcile them with the books (exit 1 on any open discrepancy)")
    p.add_argument("--since", metavar="DATE", help="only payouts created on or after this date (YYYY-MM-DD)")
    p.add_argument("--no-sync", action="store_true", help="use what was synced before; do not ask Stripe")

    disc = group(commands, "discrepancy", "differences between Stripe and the books")
    p = add_command(disc, "resolve", cmd_discrepancy_resolve, "resolve one discrepancy with a note")
    p.add_argument("key", help="the discrepancy as 'treasurer reconcile' prints it (kind:ref)")
    p.add_argument("--note", required=True)


def cmd_reconcile(args: argparse.Namespace) -> int:
    since = parse_day(args.since, "--since date")
    hall = hall_from(args)
    if not args.no_sync:
        print(_sync(hall, since))
    result = reconcile(hall, since)
    print_reconciliation(hall, result)
    return 0 if result.ok else 1


def _sync(hall, since) -> str:
    from ..payouts import sync_payouts

    return sync_payouts(hall, gateway_for(hall), since).summary()


def print_reconciliation(hall, result: Reconciliation) -> None:
    for p in result.payouts:
        print(f"{p.stripe_payout_id} {p.arrival_date.isoformat()} {p.status:9} {p.state.upper():12} "
              f"amount {money(hall, p.amount_cents)}  gross {money(hall, p.gross_cents)}  fees "
              f"{money(hall, p.fee_cents)}  refunds {money(hall, p.refund_cents)}  disputes "
              f"{money(hall, p.dispute_cents)}  net {money(hall, p.net_cents)}  payments {len(p.payment_ids)}")
    n = len(result.open_discrepancies)
    print(f"{len(result.payouts)} payouts: "
          f"{sum(p.state == 'reconciled' for p in result.payouts)} reconciled, "
          f"{sum(p.state == 'explained' for p in result.payouts)} explained, "
          f"{sum(p.state == 'unreconciled' for p in result.payouts)} unreconciled; "
          f"{n} {'discrepancy' if n == 1 else 'discrepancies'} open.")
    for d in result.discrepancies:
        state = f"resolved by {d.resolved_by}: {d.resolution}" if d.resolved else "OPEN"
        print(f"{d.key}  [{state}]\n    {d.explanation}")


def cmd_discrepancy_resolve(args: argparse.Namespace) -> int:
    hall = hall_from(args)
    d = resolve_discrepancy(hall, args.key, args.note)
    print(f"Resolved {d.key}: {d.resolution}")
    return 0
