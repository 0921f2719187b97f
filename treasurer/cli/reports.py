"""Commands for reconciliation and reports: Stripe payouts, bank deposits, the bank statement, trustees' packet."""

from __future__ import annotations

import argparse

from ..payments import receipt_number
from ..private_files import private_open
from ..reconcile import Reconciliation, reconcile, resolve_discrepancy
from .common import add_command, group, hall_from, money, parse_day
from .pins import add_officer_options, proven_officer
from .stripe import gateway_for


def register(commands) -> None:
    p = add_command(commands, "reconcile", cmd_reconcile,
                    "sync Stripe payouts and reconcile them with the books (exit 1 on any open discrepancy)",
                    epilog="examples:\n  treasurer reconcile --since 2026-11-01\n"
                           "  treasurer reconcile --no-sync   # again, without asking Stripe")
    p.add_argument("--since", metavar="DATE", help="only payouts created on or after this date (YYYY-MM-DD)")
    p.add_argument("--no-sync", action="store_true", help="use what was synced before; do not ask Stripe")

    disc = group(commands, "discrepancy", "differences between Stripe and the books")
    p = add_command(disc, "resolve", cmd_discrepancy_resolve, "resolve one discrepancy with a note",
                    epilog='example: treasurer discrepancy resolve missing_from_ledger:txn_1QxY2zAbCdEfGh --note '
                           '"a walk-in member paid online; entered next week"')
    p.add_argument("key", help="the discrepancy as 'treasurer reconcile' prints it (kind:ref)")
    p.add_argument("--note", required=True, help="what was found or done about it, kept with the resolution")

    register_deposits(commands)
    register_reports(commands)


def cmd_reconcile(args: argparse.Namespace) -> int:
    since = parse_day(args.since, "--since date")
    hall = hall_from(args)
    if not args.no_sync:
        print(_sync(hall, since))
    result = reconcile(hall, since)
    print_reconciliation(hall, result)
    # Stripe agreeing with the books proves nothing if the books were edited behind the app's back.
    from .. import audit_check

    books = audit_check.check_hall(hall)
    if not books.ok:
        print(f"The books cannot be trusted: they do not agree with the audit log ({books.first_problem}). "
              f"Run 'treasurer audit verify' for every difference.")
    return 0 if result.ok and books.ok and not result.unassigned_in_payouts else 1


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
    if result.in_balance:
        k = len(result.in_balance)
        print(f"{money(hall, result.in_balance_cents)} in {k} payment{'' if k == 1 else 's'} is in the Stripe "
              f"balance, not yet paid out (not a discrepancy).")
    for d in result.discrepancies:
        state = f"resolved by {d.resolved_by}: {d.resolution}" if d.resolved else "OPEN"
        print(f"{d.key}  [{state}]\n    {d.explanation}")
    if result.unassigned:
        total = sum(u.amount_cents for u in result.unassigned)
        k = len(result.unassigned)
        print(f"Online payments no member owns: {k}, {money(hall, total)} (give each to its member with "
              f"'treasurer review assign ID MEMBER').")
        for u in result.unassigned:
            where = f"paid out in {u.payout}" if u.payout else "not paid out yet"
            item = f"review item {u.review_item_id}" if u.review_item_id else "no open review item"
            print(f"    {receipt_number(u.payment_id)}  {money(hall, u.amount_cents):>12}  received "
                  f"{u.received_on.isoformat()}  {u.stripe_object or ''}  {where}; {item}")
    if result.money_reviews:
        k = len(result.money_reviews)
        print(f"Open review items that touch money: {k} ('treasurer review list' shows them; 'review resolve' or "
              f"'review assign' settles one).")
        for r in result.money_reviews:
            amount = money(hall, r.amount_cents) if r.amount_cents is not None else "-"
            print(f"    {r.item_id:>5}  {r.label:19} {amount:>12}  {r.summary}")
    if result.unassigned_in_payouts:
        k = len(result.unassigned_in_payouts)
        print(f"Not reconciled: {k} paid-out payment{' is' if k == 1 else 's are'} owned by no member.")


def cmd_discrepancy_resolve(args: argparse.Namespace) -> int:
    hall = hall_from(args)
    d = resolve_discrepancy(hall, args.key, args.note)
    print(f"Resolved {d.key}: {d.resolution}")
    return 0


def register_deposits(commands) -> None:
    dep = group(commands, "deposits", "bank deposits of cash, checks and money orders")
    p = add_command(dep, "new", cmd_deposits_new, "put payments in a new deposit batch and print its slip",
                    epilog="examples:\n  treasurer deposits new --date 2026-12-01 --ref DEP-1207 --all-undeposited\n"
                           "  treasurer deposits new 41 42 45 --date 2026-12-01 --ref DEP-1207")
    p.add_argument("payment_ids", nargs="*", type=int, metavar="PAYMENT_ID",
                   help="the payments to deposit, by number (42 for receipt R000042); or use --all-undeposited")
    p.add_argument("--date", required=True, help="the deposit's date (YYYY-MM-DD)")
    p.add_argument("--ref", required=True, help="the bank's deposit reference")
    p.add_argument("--all-undeposited", action="store_true", help="every cash/check/money-order payment not yet "
                   "in a deposit")
    add_command(dep, "list", cmd_deposits_list, "list deposit batches (and what is still undeposited)",
                epilog="example: treasurer deposits list")
    p = add_command(dep, "slip", cmd_deposits_slip, "print a batch's deposit slip",
                    epilog="examples:\n  treasurer deposits slip 7\n  treasurer deposits slip 7 --csv deposit-7.csv")
    p.add_argument("batch_id", type=int, help="the batch's number, as 'treasurer deposits list' shows it")
    p.add_argument("--csv", metavar="FILE", help="write the slip as CSV to FILE ('-' for standard output)")
    p = add_command(dep, "show", cmd_deposits_show, "a batch's slip and the payments taken out of it, with why",
                    epilog="example: treasurer deposits show 7")
    p.add_argument("batch_id", type=int, help="the batch's number, as 'treasurer deposits list' shows it")
    p = add_command(dep, "mark", cmd_deposits_mark, "mark a batch deposited (it is then locked)",
                    epilog="example: treasurer deposits mark 7 --deposited-on 2026-12-01")
    p.add_argument("batch_id", type=int, help="the batch's number, as 'treasurer deposits list' shows it")
    p.add_argument("--deposited-on", required=True, metavar="DATE",
                   help="the day the bank took the deposit (YYYY-MM-DD)")
    p = add_command(dep, "remove", cmd_deposits_remove,
                    "take a payment out of an open batch (it is undeposited again; recorded with the reason)",
                    epilog='example: treasurer deposits remove 7 R000042 --reason "the member asked us to hold the '
                           'check" --officer "Pat Morales"')
    p.add_argument("batch_id", type=int, help="the open batch's number")
    p.add_argument("receipt", help="the payment's receipt number (R000042) or id")
    p.add_argument("--reason", required=True, help="why, e.g. 'the member asked us to hold the check'")
    add_officer_options(p, "the officer taking it out")
    p = add_command(dep, "void", cmd_deposits_void, "take every payment out of an open batch (one reason)",
                    epilog='example: treasurer deposits void 7 --reason "batch made by mistake" '
                           '--officer "Pat Morales"')
    p.add_argument("batch_id", type=int, help="the open batch's number")
    p.add_argument("--reason", required=True, help="why, e.g. 'batch made by mistake'")
    add_officer_options(p, "the officer voiding it")

    bank = group(commands, "bank", "reconcile the bank account with its statement")
    p = add_command(bank, "reconcile", cmd_bank_reconcile,
                    "start or resume a reconciliation, tick items, and finish it at a zero difference",
                    epilog="examples:\n"
                           "  treasurer bank reconcile --statement-date 2026-11-30 --ending-balance 18432.17\n"
                           "  treasurer bank reconcile --tick deposit:7 deposit:8 entry:3\n"
                           "  treasurer bank reconcile --finish")
    p.add_argument("--statement-date", metavar="DATE",
                   help="the statement's closing date (YYYY-MM-DD); needed to start, after the last finished one")
    p.add_argument("--ending-balance", metavar="AMOUNT",
                   help="the statement's ending balance, e.g. 1234.56 (needed to start)")
    p.add_argument("--tick", nargs="+", default=[], metavar="ITEM",
                   help="items on the statement: deposit:ID, payout:po_... or entry:ID")
    p.add_argument("--untick", nargs="+", default=[], metavar="ITEM",
                   help="items ticked by mistake, written as for --tick")
    done = p.add_mutually_exclusive_group()
    done.add_argument("--finish", action="store_true", help="finish and lock (only at a zero difference)")
    done.add_argument("--postpone", action="store_true", help="save it in progress (the default)")
    add_command(bank, "status", cmd_bank_status, "the reconciliation in progress and the uncleared items",
                epilog="example: treasurer bank status")
    p = add_command(bank, "entry", cmd_bank_entry,
                    "record a statement line other than a deposit or payout (fee, interest, check, transfer)",
                    epilog='example: treasurer bank entry --date 2026-11-30 --kind fee --amount 12.00 --memo '
                           '"monthly service charge" --officer "Pat Morales"')
    p.add_argument("--date", required=True, help="the date on the statement (YYYY-MM-DD)")
    p.add_argument("--kind", required=True, help="fee or withdrawal (taken out), interest or transfer_in "
                   "(added), other (say --in or --out)")
    p.add_argument("--amount", required=True, help="without a sign, e.g. 12.00; the kind decides the direction")
    way = p.add_mutually_exclusive_group()
    way.add_argument("--in", dest="direction", action="store_const", const=1, help="money into the account")
    way.add_argument("--out", dest="direction", action="store_const", const=-1, help="money out of the account")
    p.add_argument("--memo", required=True, help="what the line is; a correction says which entry it reverses")
    add_officer_options(p, "the officer recording it")


def cmd_deposits_new(args: argparse.Namespace) -> int:
    from ..deposits import create_batch, slip_text

    hall = hall_from(args)
    slip = create_batch(hall, parse_day(args.date, "--date"), args.ref, args.payment_ids, args.all_undeposited)
    print(slip_text(slip, hall.setting("hall_name"), hall.currency), end="")
    return 0


def cmd_deposits_list(args: argparse.Namespace) -> int:
    from ..deposits import list_batches, undeposited_payments

    hall = hall_from(args)
    for b in list_batches(hall):
        when = b.deposited_on.isoformat() if b.deposited_on else "-"
        taken = f"  ({b.removed_count} taken out)" if b.removed_count else ""
        print(f"{b.batch_id:5} {b.deposit_date.isoformat()} {b.state:9} {when:10} {b.bank_reference:16} "
              f"{b.item_count:4} items {money(hall, b.total_cents):>12}{taken}")
    waiting = undeposited_payments(hall)
    print(f"Undeposited: {len(waiting)} payments, {money(hall, sum(x.amount_cents for x in waiting))}.")
    return 0


def cmd_deposits_slip(args: argparse.Namespace) -> int:
    from ..deposits import deposit_slip, slip_csv, slip_text

    hall = hall_from(args)
    slip = deposit_slip(hall, args.batch_id)
    if args.csv == "-":
        print(slip_csv(slip), end="")
    elif args.csv:
        with private_open(args.csv, "w", encoding="utf-8", newline="") as fh:
            fh.write(slip_csv(slip))
        print(f"Wrote deposit {slip.batch_id} to {args.csv}.")
    else:
        print(slip_text(slip, hall.setting("hall_name"), hall.currency), end="")
    return 0


def cmd_deposits_show(args: argparse.Namespace) -> int:
    from ..deposits import deposit_slip, removed_text, slip_text

    hall = hall_from(args)
    slip = deposit_slip(hall, args.batch_id)
    print(slip_text(slip, hall.setting("hall_name"), hall.currency) + removed_text(slip, hall.currency), end="")
    return 0


def cmd_deposits_remove(args: argparse.Namespace) -> int:
    from ..deposits import remove_payment
    from ..payments import payment_id_of
    from ..payments import receipt_number

    hall = hall_from(args)
    pid = payment_id_of(args.receipt)
    with proven_officer(args) as pin:
        slip = remove_payment(hall, args.batch_id, pid, args.reason, officer=args.officer, pin=pin)
        (gone,) = [r for r in slip.removed if r.line.payment_id == pid]
        print(f"Took {receipt_number(pid)} ({money(hall, gone.line.amount_cents)}) out of deposit "
              f"{slip.batch_id}; it now holds {len(slip.lines)} payments, {money(hall, slip.total_cents)}. The "
              f"payment is undeposited again.")
    return 0


def cmd_deposits_void(args: argparse.Namespace) -> int:
    from ..deposits import void_batch

    hall = hall_from(args)
    with proven_officer(args) as pin:
        slip = void_batch(hall, args.batch_id, args.reason, officer=args.officer, pin=pin)
        print(f"Deposit {slip.batch_id} is void: its {len(slip.removed)} payments are undeposited again.")
    return 0


def cmd_deposits_mark(args: argparse.Namespace) -> int:
    from ..deposits import mark_deposited

    hall = hall_from(args)
    slip = mark_deposited(hall, args.batch_id, parse_day(args.deposited_on, "--deposited-on date"))
    print(f"Deposit {slip.batch_id} ({money(hall, slip.total_cents)}) marked deposited on "
          f"{slip.deposited_on.isoformat()}; it is now locked.")
    return 0


def cmd_bank_reconcile(args: argparse.Namespace) -> int:
    from ..bank import reconcile_bank
    from ..money import parse_amount

    hall = hall_from(args)
    ending = parse_amount(args.ending_balance, field="ending balance", allow_zero=True) \
        if args.ending_balance is not None else None
    view = reconcile_bank(hall, parse_day(args.statement_date, "statement date"), ending, args.tick, args.untick,
                          finish=args.finish)
    _print_bank(hall, view)
    return 0


def cmd_bank_status(args: argparse.Namespace) -> int:
    from ..bank import bank_history, bank_status, uncleared_items

    hall = hall_from(args)
    history = bank_history(hall)
    if history:
        last = history[-1]
        print(f"Last finished: statement {last.statement_date.isoformat()}, ending balance "
              f"{money(hall, last.ending_balance_cents)}.")
    view = bank_status(hall)
    if view is not None:
        _print_bank(hall, view)
        return 0
    print("No reconciliation in progress. Uncleared items:")
    with hall.read() as s:
        for ref, _kind, day, text, cents in uncleared_items(s):
            print(f"  [ ] {ref:32} {day.isoformat()} {money(hall, cents):>12}  {text}")
    return 0


def cmd_bank_entry(args: argparse.Namespace) -> int:
    from ..bank import ENTRY_SIGNS, record_bank_entry
    from ..errors import ValidationError
    from ..models import BANK_ENTRY_KINDS
    from ..money import parse_amount

    kind = args.kind.strip()
    if kind not in BANK_ENTRY_KINDS:
        raise ValidationError(f"The kind {kind!r} is not one of: {', '.join(BANK_ENTRY_KINDS)}.")
    day = parse_day(args.date, "--date")
    if args.amount.strip().startswith(("-", "+")):
        raise ValidationError(f"Give the amount without a sign (got {args.amount.strip()!r}): a fee or withdrawal "
                              f"is taken out, interest or a transfer in is added, and 'other' says --in or --out.")
    cents = parse_amount(args.amount)
    sign = args.direction or ENTRY_SIGNS.get(kind)
    if sign is None:
        raise ValidationError("The kind 'other' needs --in or --out: does the line add to the bank balance or "
                              "take from it?")
    hall = hall_from(args)
    with proven_officer(args) as pin:
        entry = record_bank_entry(hall, day, kind, sign * cents, args.memo, officer=args.officer, pin=pin)
        print(f"Recorded bank entry {entry.id} (entry:{entry.id}): {entry.entry_date.isoformat()} {entry.kind} "
              f"{money(hall, entry.amount_cents)}  {entry.memo}. Tick it with 'treasurer bank reconcile --tick "
              f"entry:{entry.id}'.")
    return 0


def _print_bank(hall, view) -> None:
    print(f"Bank reconciliation {view.reconciliation_id} ({view.status.replace('_', ' ')}): statement "
          f"{view.statement_date.isoformat()}")
    for i in view.items:
        print(f"  [{'x' if i.ticked else ' '}] {i.ref:32} {i.day.isoformat()} {money(hall, i.amount_cents):>12}  "
              f"{i.description}")
    print(f"Opening {money(hall, view.opening_balance_cents)} + cleared {money(hall, view.cleared_cents)} = "
          f"{money(hall, view.cleared_balance_cents)}; statement {money(hall, view.ending_balance_cents)}; "
          f"difference {money(hall, view.difference_cents)}.")
    if view.status == "finished":
        print("Finished and locked.")
    elif view.can_finish:
        print("The difference is zero: finish with --finish.")
    else:
        print("Saved in progress; resume with 'treasurer bank reconcile'.")


def register_reports(commands) -> None:
    rep = group(commands, "report", "reports for the treasurer, the trustees and the international")
    p = add_command(rep, "period", cmd_report_period, "a period's dues, collections, fees, refunds and arrears",
                    epilog="examples:\n  treasurer report period 2026-11\n"
                           "  treasurer report period 2026-Q4 --csv q4-2026.csv")
    p.add_argument("period", help="2026-10 or 2026-Q4")
    p.add_argument("--csv", metavar="FILE", help="also write it as CSV ('-' for standard output only)")
    p = add_command(rep, "per-capita", cmd_report_per_capita, "members by classification and status, per capita",
                    epilog="example: treasurer report per-capita 2026-11 --csv per-capita-2026-11.csv")
    p.add_argument("period", help="2026-11 or 2026-Q4")
    p.add_argument("--csv", metavar="FILE", help="also write it as CSV ('-' for standard output only)")
    p = add_command(rep, "statement", cmd_report_statement, "one member's statement for a date range",
                    epilog="example: treasurer report statement 100042 --from 2026-01-01 --to 2026-11-30 "
                           "--pdf statement-100042.pdf")
    p.add_argument("member_number", help="the member's number, e.g. 100042")
    p.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day (YYYY-MM-DD)")
    p.add_argument("--csv", metavar="FILE", help="also write it as CSV ('-' for standard output only)")
    p.add_argument("--pdf", metavar="FILE", help="a printable PDF of the statement")
    p = add_command(rep, "packet", cmd_report_packet, "the trustees' audit packet: a PDF and a folder of CSV files",
                    epilog="example: treasurer report packet --from 2026-01-01 --to 2026-06-30 --out packet-2026-H1")
    p.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day covered (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day covered (YYYY-MM-DD)")
    p.add_argument("--out", required=True, metavar="DIR", help="a new (or empty) folder")
    p = add_command(rep, "audit-entry", cmd_report_audit_entry,
                    "print the hash of audit entry N (to check a packet's head against a longer chain)",
                    epilog="example: treasurer report audit-entry 1234")
    p.add_argument("seq", type=int, metavar="N", help="the audit entry's number, as the packet gives it")


def _write_csv(target: str | None, text: str) -> None:
    if target == "-":
        print(text, end="")
    elif target:
        with private_open(target, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        print(f"Wrote {target}.")


def cmd_report_period(args: argparse.Namespace) -> int:
    from ..reports import period_csv, period_report

    hall = hall_from(args)
    r = period_report(hall, args.period)
    if args.csv != "-":
        for label, value in r.rows():
            print(f"{label:40} {value:>16}")
    _write_csv(args.csv, period_csv([r]))
    return 0


def cmd_report_per_capita(args: argparse.Namespace) -> int:
    from ..reports import per_capita_csv, per_capita_report

    hall = hall_from(args)
    r = per_capita_report(hall, args.period)
    if args.csv != "-":
        print(f"Per capita {r.period}")
        for x in r.rows:
            print(f"  {x.classification[:30]:30} {x.status:10} members {x.members:6} assessed {x.assessed:6} "
                  f"dues {money(hall, x.dues_cents):>12} per capita {money(hall, x.per_capita_cents):>12}")
        print(f"  Total per capita due: {money(hall, r.per_capita_cents)} for {r.assessed} members assessed.")
    _write_csv(args.csv, per_capita_csv(r))
    return 0


def cmd_report_statement(args: argparse.Namespace) -> int:
    from ..reports import member_statement_range, statement_csv

    hall = hall_from(args)
    st = member_statement_range(hall, args.member_number, parse_day(args.start, "--from date"),
                                parse_day(args.end, "--to date"))
    hall_name = hall.setting("hall_name")
    lines = [hall_name, f"Statement for member {st.member_number}, {st.member_name} ({st.classification})",
             f"From {st.starts_on} to {st.ends_on}", "",
             f"  opening balance {money(hall, st.opening_balance_cents)}"]
    for x in st.lines:
        bal = money(hall, x.balance_cents) if x.balance_cents is not None else "(not counted)"
        lines.append(f"  {x.day} {x.description[:60]:60} {money(hall, x.debit_cents):>11} "
                     f"{money(hall, x.credit_cents):>11} {bal:>13}")
    lines.append(f"  closing balance {money(hall, st.closing_balance_cents)}")
    if args.csv != "-":
        print("\n".join(lines[1:3] + lines[4:]))
    if args.pdf:
        from pathlib import Path

        from ..pdf import write_text_pdf

        pages = write_text_pdf(Path(args.pdf), lines, title=f"Statement {st.member_number}")
        print(f"Wrote the statement to {args.pdf} ({pages} page{'s' if pages != 1 else ''}).")
    _write_csv(args.csv, statement_csv(st))
    return 0


def cmd_report_packet(args: argparse.Namespace) -> int:
    from ..packet import build_packet

    hall = hall_from(args)
    r = build_packet(hall, parse_day(args.start, "--from date"), parse_day(args.end, "--to date"), args.out)
    print(f"Wrote the trustees' packet to {r.folder}: {r.pdf.name} ({r.pages} pages) and "
          f"{len(r.files)} files.")
    print(f"Audit chain {'OK' if r.audit_ok else 'BROKEN'}: {r.audit_entries} entries, head {r.audit_head}")
    print(f"{r.open_discrepancies} open discrepancies, {r.open_review_items} open review items.")
    return 0 if r.audit_ok else 1


def cmd_report_audit_entry(args: argparse.Namespace) -> int:
    from ..packet import audit_entry_hash

    hall = hall_from(args)
    print(f"entry {args.seq} hash {audit_entry_hash(hall, args.seq)}")
    return 0
