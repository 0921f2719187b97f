"""``treasurer review``: the review queue of the window's Review screen, on the command line.

The same items (unmatched payments, refunds made in Stripe's dashboard, disputes, failed bank payments, credits,
payments of old slips, held and failed events, adjustments awaiting a second officer), settled by the same core
(``treasurer.review`` and ``treasurer.adjustments``) with the same rules, PINs and audit entries.
"""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import select

from ..adjustments import decide, pending_adjustments
from ..errors import NotFound, ValidationError
from ..models import Member, Payment, ReviewItem
from ..payments import receipt_number
from ..review import KIND_LABELS, MONEY_KINDS, acknowledge_refund, assign_payment, open_items, payment_of, resolve
from .common import add_command, group, hall_from, money
from .pins import officer_pin, remind_short_pins
from .stripe import gateway_if_configured, report_links

EXAMPLES_LIST = """examples:
  treasurer review list                 # what waits for a person, oldest first
  treasurer review list --kind refund   # only refunds made in Stripe's dashboard
  treasurer review list --all           # resolved items too, with who resolved them"""

EXAMPLES_SHOW = """examples:
  treasurer review show 12              # review item 12: what it is, its payment, member and amount
  treasurer review show adjustment:5    # adjustment 5, awaiting a second officer"""

EXAMPLES_RESOLVE = """examples:
  treasurer review resolve 14 --note "refund agreed with the member" --officer "Pat Morales"
  printf '123456\\n' | treasurer review resolve 15 --note "evidence sent" --officer "Pat Morales" --pin-stdin
  treasurer review resolve 16 --note "credit kept for next month"        # a credit moves no money: no PIN
  treasurer review resolve adjustment:5 --approve --officer "Sam Okafor" --note "hardship confirmed"

Refunds, disputes and unmatched payments move money: an officer resolves them with their PIN. A refund made
in Stripe's dashboard is acknowledged (the member owes again what was given back); a lost dispute posts the
payment taken back. An unmatched payment is settled with 'treasurer review assign'."""

EXAMPLES_ASSIGN = """examples:
  treasurer review assign 12 100042 --note "phoned the hall: it was hers" --officer "Pat Morales"
  printf '123456\\n' | treasurer review assign 12 100042 --note "..." --officer "Pat Morales" --pin-stdin"""


def register(commands) -> None:
    review = group(commands, "review", "what waits for a person: unmatched payments, refunds, disputes, "
                                       "held events, adjustments awaiting approval")
    parent = commands.choices["review"]
    parent.epilog = f"{EXAMPLES_LIST}\n  treasurer review assign 12 100042 --note \"it was hers\" --officer \"Pat Morales\""
    parent.formatter_class = argparse.RawDescriptionHelpFormatter
    p = _command(review, "list", cmd_list, "list open review items, oldest first", EXAMPLES_LIST)
    p.add_argument("--all", action="store_true", help="resolved items too, with who resolved them and how")
    p.add_argument("--kind", type=str.lower, choices=sorted(KIND_LABELS),
                   help="only items of this kind (e.g. unmatched_payment, refund, dispute, adjustment)")

    p = _command(review, "show", cmd_show, "one review item: what it is, its payment, member and amount",
                 EXAMPLES_SHOW)
    p.add_argument("item", metavar="ID", help="the item's number from 'review list' (12, or adjustment:5)")

    p = _command(review, "resolve", cmd_resolve, "resolve a review item with a note (an officer's PIN when it "
                 "moves money)", EXAMPLES_RESOLVE)
    p.add_argument("item", metavar="ID", help="the item's number from 'review list' (12, or adjustment:5)")
    p.add_argument("--note", default="", help="what was done, for the audit log (required, except to approve "
                                              "or deny an adjustment)")
    _officer_options(p, required=False)
    decision = p.add_mutually_exclusive_group()
    decision.add_argument("--approve", action="store_true", help="an adjustment only: approve it (a different "
                                                                 "officer than the requester)")
    decision.add_argument("--deny", action="store_true", help="an adjustment only: deny it")

    p = _command(review, "assign", cmd_assign, "give an unmatched payment to the member it belongs to (an "
                 "officer with their PIN)", EXAMPLES_ASSIGN)
    p.add_argument("item", metavar="ID", help="the unmatched payment's item number from 'review list'")
    p.add_argument("member_number", metavar="MEMBER", help="the member number the payment belongs to")
    p.add_argument("--note", required=True, help="how you know whose it is, for the audit log")
    _officer_options(p, required=True)


def _command(parent, name: str, func, help: str, epilog: str) -> argparse.ArgumentParser:
    return add_command(parent, name, func, help, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)


def _officer_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--officer", metavar="NAME", required=required,
                        help="the officer doing it, proven by their PIN" + (
                            "" if required else " (required for refunds, disputes and unmatched payments)"))
    parser.add_argument("--pin-stdin", action="store_true",
                        help="read the officer's PIN from standard input (else it is asked for at a terminal)")


# Which item -------------------------------------------------------------------------------------------

def _parse_id(text: str) -> tuple[str, int]:
    """'12' or 'review:12' -> ('review', 12); 'adjustment:5' -> ('adjustment', 5)."""
    text = text.strip()
    kind, _, number = text.rpartition(":")
    kind = kind.lower() or "review"
    if kind not in ("review", "adjustment", "mail") or not number.isascii() or not number.isdigit():
        raise ValidationError(f"{text!r} is not a review item: give its number from 'treasurer review list' "
                              f"(such as 12, adjustment:5 or mail:3).")
    return kind, int(number)


def _row(hall, item_id: int) -> ReviewItem:
    with hall.read() as s:
        row = s.get(ReviewItem, item_id)
        if row is None:
            raise NotFound(f"There is no review item {item_id}; 'treasurer review list' shows them.")
        s.expunge(row)
        return row


def _who(s, payment: Payment | None) -> str:
    if payment is None:
        return ""
    if payment.member_id is None:
        return "no member"
    m = s.get(Member, payment.member_id)
    return f"{m.member_number} {m.first_name} {m.last_name}"


def _amount(hall, cents: int | None) -> str:
    return money(hall, cents) if cents is not None else "-"


# Commands ---------------------------------------------------------------------------------------------

def cmd_list(args) -> int:
    hall = hall_from(args)
    rows: list[tuple[str, str, str, str, str, str]] = []    # id, label, amount, member, state, summary
    with hall.read() as s:
        query = select(ReviewItem).order_by(ReviewItem.id)
        if not args.all:
            query = query.where(ReviewItem.resolved_at.is_(None))
        if args.kind:
            query = query.where(ReviewItem.kind == args.kind)
        for r in s.scalars(query):
            state = "open" if r.resolved_at is None else f"resolved by {r.resolved_by}"
            rows.append((str(r.id), KIND_LABELS.get(r.kind, r.kind), _amount(hall, r.amount_cents),
                         _who(s, payment_of(s, r.ref)), state, r.summary))
    if args.kind in (None, "adjustment"):
        for a in pending_adjustments(hall):
            rows.append((f"adjustment:{a.id}", KIND_LABELS["adjustment"], money(hall, a.amount_cents),
                         f"{a.member_number} {a.member_name}", "open",
                         f"{a.kind.replace('_', ' ').capitalize()} requested by {a.requested_by}: {a.reason}"))
    if args.kind in (None, "mail_failed"):
        from ..outbox import problems      # emails refused or cut off while their slip is open; they clear
                                           # themselves when the address is corrected or the slip closes
        for p in problems(hall):
            rows.append((f"mail:{p.outbox_id}", KIND_LABELS["mail_failed"], "-",
                         f"{p.member_number} {p.member_name}", "open", p.summary))
    if not rows:
        print("Nothing waits for review." if not args.kind else f"No {KIND_LABELS[args.kind].lower()} waits for "
                                                                 f"review.")
        return 0
    width = max(len(r[0]) for r in rows)
    for item_id, label, amount, who, state, summary in rows:
        print(f"{item_id:>{width}}  {label:19} {amount:>12}  {who or '-':28.28} {state:10}  {summary}")
    n = sum(r[4] == "open" for r in rows)
    print(f"{n} open item{'' if n == 1 else 's'}. 'treasurer review show ID' for one; 'treasurer review resolve' "
          f"or 'assign' to settle it.")
    return 0


def cmd_show(args) -> int:
    hall = hall_from(args)
    kind, item_id = _parse_id(args.item)
    if kind == "adjustment":
        found = next((a for a in pending_adjustments(hall) if a.id == item_id), None)
        if found is None:
            raise NotFound(f"Adjustment {item_id} is not awaiting approval; 'treasurer review list' shows what is.")
        print(f"Adjustment {found.id}: {KIND_LABELS['adjustment']}")
        print(f"  kind: {found.kind.replace('_', ' ')}")
        print(f"  member: {found.member_number} {found.member_name}")
        print(f"  amount: {money(hall, found.amount_cents)}")
        print(f"  requested by {found.requested_by} on {found.created_at}: {found.reason}")
        print(f"  settle it: treasurer review resolve adjustment:{found.id} --approve|--deny --officer NAME "
              f"(a different officer than {found.requested_by})")
        return 0
    if kind == "mail":
        return _show_mail(hall, item_id)
    row = _row(hall, item_id)
    with hall.read() as s:
        payment = payment_of(s, row.ref)
        who = _who(s, payment)
        paid = (f"{receipt_number(payment.id)}, {money(hall, payment.amount_cents)} {payment.method.replace('_', ' ')} "
                f"received {payment.received_on.isoformat()} ({payment.status})") if payment is not None else None
    print(f"Review item {row.id}: {KIND_LABELS.get(row.kind, row.kind)}")
    print(f"  {row.summary}")
    print(f"  amount: {_amount(hall, row.amount_cents)}")
    if paid:
        print(f"  payment: {paid}")
        print(f"  member: {who}")
    print(f"  about: {row.ref}")
    print(f"  opened: {row.created_at}")
    if row.due_by:
        print(f"  answer by: {dt.datetime.fromtimestamp(row.due_by, dt.UTC).date().isoformat()}")
    if row.resolved_at is not None:
        print(f"  resolved by {row.resolved_by} on {row.resolved_at}: {row.resolution}")
    else:
        print(f"  settle it: {_how(row)}")
    return 0


def _show_mail(hall, outbox_id: int) -> int:
    from ..outbox import problems

    found = next((p for p in problems(hall) if p.outbox_id == outbox_id), None)
    if found is None:
        raise NotFound(f"mail:{outbox_id} is not an email problem waiting for review; 'treasurer review list' "
                       f"shows what is.")
    print(f"Review item mail:{found.outbox_id}: {KIND_LABELS['mail_failed']}")
    print(f"  {found.summary}")
    print(f"  member: {found.member_number} {found.member_name}, address {found.address}")
    print(f"  slip {found.slip_id}, {found.kind}; the server's answer: {found.answer or 'none (cut off)'}")
    print(f"  at: {found.at}")
    print("  settle it: correct the member's email (the window's member page, or 'treasurer members import' with "
          "the new address), then 'treasurer slips email' again; it clears itself once the address changes or "
          "the slip closes.")
    return 0


def _how(row: ReviewItem) -> str:
    if row.kind == "unmatched_payment":
        return f"treasurer review assign {row.id} MEMBER --note ... --officer NAME (with their PIN)"
    if row.kind in MONEY_KINDS:
        return f"treasurer review resolve {row.id} --note ... --officer NAME (it moves money: with their PIN)"
    return f"treasurer review resolve {row.id} --note ..."


def cmd_resolve(args) -> int:
    hall = hall_from(args)
    kind, item_id = _parse_id(args.item)
    if kind == "adjustment":
        return _decide(args, hall, item_id)
    if kind == "mail":
        raise ValidationError(f"mail:{item_id} clears itself: correct the member's email address, then send the "
                              f"slip again ('treasurer slips email'); 'treasurer review show mail:{item_id}' says more.")
    if args.approve or args.deny:
        raise ValidationError("--approve and --deny are for adjustments awaiting approval (adjustment:N); a review "
                              "item is resolved with a note.")
    row = _row(hall, item_id)
    if row.resolved_at is not None:
        raise ValidationError(f"Review item {item_id} was already resolved by {row.resolved_by}.")
    if row.kind == "unmatched_payment":
        raise ValidationError(f"An unmatched payment is resolved by giving it to its member: 'treasurer review "
                              f"assign {item_id} MEMBER --note ... --officer NAME'.")
    if not args.note.strip():
        raise ValidationError("Resolving a review item needs a note saying what was done (--note).")
    pin = _pin(args, row.kind in MONEY_KINDS)
    if row.kind == "refund":
        acknowledge_refund(hall, item_id, args.note, officer=args.officer, pin=pin)
    else:
        resolve(hall, item_id, args.note, officer=args.officer, pin=pin)
    if pin:
        remind_short_pins([(args.officer, pin)])
    by = f" by {args.officer}" if args.officer else ""
    print(f"Review item {item_id} ({KIND_LABELS.get(row.kind, row.kind).lower()}) resolved{by}: {args.note.strip()}")
    left = len(open_items(hall))
    print("Nothing else waits for review." if not left else
          f"{left} item{'s' if left != 1 else ''} still wait{'s' if left == 1 else ''} for review.")
    return 0


def _pin(args, needed: bool) -> str | None:
    """The officer's PIN when an officer is named; none asked when no officer is named (the core refuses a
    money-moving item without one, with a sentence)."""
    if not args.officer:
        return None
    return officer_pin(args, args.officer)


def _decide(args, hall, adjustment_id: int) -> int:
    if not (args.approve or args.deny):
        raise ValidationError(f"An adjustment awaiting approval is approved or denied by a second officer: "
                              f"'treasurer review resolve adjustment:{adjustment_id} --approve --officer NAME' "
                              f"(or --deny).")
    if not args.officer:
        raise ValidationError("Approving or denying an adjustment needs --officer NAME and their PIN.")
    pin = officer_pin(args, args.officer)
    settled = decide(hall, adjustment_id, args.officer, pin, bool(args.approve), args.note,
                     gateway=gateway_if_configured(hall) if args.approve else None)
    remind_short_pins([(args.officer, pin)])
    print(f"Adjustment {adjustment_id} {'approved' if args.approve else 'denied'} by {args.officer}"
          + ("; it now counts in the member's balance." if args.approve else "."))
    report_links(hall, settled)
    return 0


def cmd_assign(args) -> int:
    hall = hall_from(args)
    kind, item_id = _parse_id(args.item)
    if kind != "review":
        raise ValidationError(f"{args.item} is not an unmatched payment; only those are assigned to a member.")
    row = _row(hall, item_id)
    if row.resolved_at is not None:
        raise ValidationError(f"Review item {item_id} was already resolved by {row.resolved_by}.")
    if row.kind != "unmatched_payment":
        raise ValidationError(f"Review item {item_id} is a {KIND_LABELS.get(row.kind, row.kind).lower()}, not an "
                              f"unmatched payment: resolve it with 'treasurer review resolve {item_id} --note ...'.")
    pin = officer_pin(args, args.officer)
    assign_payment(hall, item_id, args.member_number, args.note, officer=args.officer, pin=pin)
    remind_short_pins([(args.officer, pin)])
    print(f"Payment of {_amount(hall, row.amount_cents)} (review item {item_id}) assigned to member "
          f"{args.member_number} by {args.officer}; it now counts in the member's balance.")
    return 0
