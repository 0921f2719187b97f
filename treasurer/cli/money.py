"""Commands that move money: pay, adjust, approve, deny."""

from __future__ import annotations

from ..adjustments import decide, pending_adjustments, request_adjustment
from ..models import PAYMENT_METHODS
from ..money import parse_amount
from .common import add_command, group, hall_from, money, parse_day
from .pins import add_officer_options, proven_officer
from .stripe import gateway_if_configured, report_links


def register(commands) -> None:
    p = add_command(commands, "pay", cmd_pay, "record a payment received at the hall",
                    epilog="examples:\n  treasurer pay 100042 45.00 --method check --ref 1042\n"
                           "  treasurer pay 100042 90.00 --method cash --date 2026-11-28")
    p.add_argument("member_number", help="the paying member's number, e.g. 100042")
    p.add_argument("amount", help="the amount received, e.g. 52.00")
    p.add_argument("--method", required=True, choices=PAYMENT_METHODS,
                   help="how it was paid: " + ", ".join(PAYMENT_METHODS))
    p.add_argument("--ref", default="", help="check or money order number")
    p.add_argument("--date", help="date received, YYYY-MM-DD (default today)")
    p.add_argument("--allow-duplicate", action="store_true",
                   help="record it even if the same check for the same amount is already recorded")

    p = add_command(commands, "receipt", cmd_receipt, "print a copy of a past payment's receipt",
                    epilog="example: treasurer receipt R000042")
    p.add_argument("receipt", help="the receipt number (R000042) or the payment's number (42)")

    p = add_command(commands, "adjust", cmd_adjust, "request a waiver, hardship credit, write-off or correction",
                    epilog='example: treasurer adjust 100042 45.00 --kind hardship_credit --reason "injured on site" '
                           '--officer "Pat Morales"\n\n'
                           "It counts once a different officer approves it: 'treasurer approve ID'.")
    p.add_argument("member_number", help="the member's number, e.g. 100042")
    p.add_argument("amount", help="the amount, without a sign, e.g. 45.00")
    p.add_argument("--kind", required=True, choices=("waiver", "hardship_credit", "write_off", "correction"),
                   help="waiver, hardship_credit or write_off (each lowers what the member owes), or correction "
                        "(lowers it, or raises it with --increase)")
    p.add_argument("--reason", required=True, help="why, in a sentence the trustees will read")
    add_officer_options(p, "the officer requesting it")
    p.add_argument("--date", help="effective date, YYYY-MM-DD (default today)")
    p.add_argument("--increase", action="store_true", help="a correction that raises what the member owes")
    p.add_argument("--corrects", type=int, metavar="ADJUSTMENT_ID", help="the adjustment this one corrects")

    for name, approve in (("approve", True), ("deny", False)):
        p = add_command(commands, name, cmd_approve if approve else cmd_deny,
                        f"{name} a requested adjustment (a different officer, with a PIN)",
                        epilog=f'example: treasurer {name} 5 --officer "Sam Okafor" --note '
                               f'"{"hardship confirmed" if approve else "no hardship shown"}"')
        p.add_argument("adjustment_id", type=int,
                       help="the adjustment's number, as 'treasurer adjustments pending' shows it")
        add_officer_options(p, f"the officer who {'approves' if approve else 'denies'} it (not the requester)")
        p.add_argument("--note", default="", help="a note for the audit log (optional)")

    adj = group(commands, "adjustments", "requested adjustments")
    add_command(adj, "pending", cmd_pending, "adjustments waiting for a second officer",
                epilog="example: treasurer adjustments pending")


def cmd_pay(args) -> int:
    hall = hall_from(args)
    receipt = record_payment_from(args, hall)
    s = receipt.standing
    covers = ", ".join(f"{what} {money(hall, cents)}" for what, cents in receipt.covers)
    print(f"Receipt {receipt.receipt_no}: {money(hall, receipt.amount_cents)} {receipt.method.replace('_', ' ')} "
          f"from {receipt.member_name} ({receipt.member_number}) on {receipt.received_on.isoformat()}.")
    print(f"Applied to: {covers}.")
    print(f"New balance: {money(hall, s.balance_cents)}; paid through {s.paid_through or 'nothing yet'}.")
    report_links(hall, receipt.slips)
    return 0


def cmd_receipt(args) -> int:
    from ..payments import payment_id_of
    from ..receipts import past_receipt

    payment_id = payment_id_of(args.receipt)
    hall = hall_from(args)
    copy = past_receipt(hall, payment_id)
    receipt, s = copy.receipt, copy.receipt.standing
    print(f"Receipt {receipt.receipt_no} (copy): {money(hall, receipt.amount_cents)} "
          f"{receipt.method.replace('_', ' ')} from {receipt.member_name} ({receipt.member_number}) on "
          f"{receipt.received_on.isoformat()}, recorded by {copy.recorded_by or 'the relay'}.")
    if copy.status != "completed":
        print(f"This bank payment is {copy.status}: it has paid nothing yet.")
    else:
        print("Applied to: " + ", ".join(f"{what} {money(hall, cents)}" for what, cents in receipt.covers) + ".")
    print(f"Balance on {copy.as_of.isoformat()}: {money(hall, s.balance_cents)}; "
          f"paid through {s.paid_through or 'nothing yet'}.")
    return 0


def record_payment_from(args, hall):
    from ..payments import record_payment

    amount = parse_amount(args.amount)
    return record_payment(hall, args.member_number, amount, args.method, args.ref, parse_day(args.date),
                          args.allow_duplicate, gateway=gateway_if_configured(hall))


def cmd_adjust(args) -> int:
    hall = hall_from(args)
    amount = parse_amount(args.amount)
    with proven_officer(args) as pin:
        adj = request_adjustment(hall, args.member_number, amount, args.kind, args.reason, args.officer,
                                 parse_day(args.date), args.increase, args.corrects, pin=pin)
        print(f"Adjustment {adj.id} ({args.kind.replace('_', ' ')}, {money(hall, adj.amount_cents)}) is waiting "
              f"for a different officer: 'treasurer approve {adj.id} --officer NAME'.")
    return 0


def cmd_approve(args) -> int:
    hall = hall_from(args)
    with proven_officer(args) as pin:
        settled = decide(hall, args.adjustment_id, args.officer, pin, True, args.note,
                         gateway=gateway_if_configured(hall))
        print(f"Adjustment {args.adjustment_id} approved by {args.officer}; it now counts in the member's "
              f"balance.")
        report_links(hall, settled)
    return 0


def cmd_deny(args) -> int:
    hall = hall_from(args)
    with proven_officer(args) as pin:
        decide(hall, args.adjustment_id, args.officer, pin, False, args.note)
        print(f"Adjustment {args.adjustment_id} denied by {args.officer}.")
    return 0


def cmd_pending(args) -> int:
    hall = hall_from(args)
    items = pending_adjustments(hall)
    if not items:
        print("No adjustment is waiting for approval.")
    for a in items:
        print(f"{a.id:5} {a.member_number:10} {a.member_name[:28]:28} {a.kind:16} {money(hall, a.amount_cents):>11} "
              f"requested by {a.requested_by}: {a.reason}")
    return 0
