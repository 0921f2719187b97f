"""The trustees' audit packet for a date range: one PDF and a folder of CSV files.

It holds the period reports, the reconciliation of every payout in the range,
the open review items, and the audit chain's verification with its entry count
and head hash, so that the trustees can later check that the log was not
rewritten: the chain must still verify and its entry N must still have the
hash printed here.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select

from . import audit, audit_check, clock
from .errors import NotFound, ValidationError
from .hall import Hall
from .models import AuditEntry, DuesPeriod, Officer, PeriodClosing
from .officers import dual_control_notice
from .money import format_cents, plain_cents
from .payments import receipt_number
from .pdf import write_text_pdf
from .private_files import make_private_dir, private_open, write_private
from .reconcile import Discrepancy, InBalance, PayoutReport, reconcile
from .reports import PerCapitaReport, PeriodReport, per_capita_report, period_report
from .review import Item, open_items

README = """Trustees' audit packet: {hall}, {start} to {end}
Made {made} by {actor}.

packet.pdf            everything below, printable
period_reports.csv    each month: assessed, collected by method, pending ACH, fees, refunds,
                      outstanding and arrears by age (as of the month's end)
per_capita.csv        members by classification and status, with the per-capita amounts
payouts.csv           every Stripe payout in the range: gross, fees, refunds, disputes, net, state
discrepancies.csv     every difference between Stripe and the books, open or resolved (with the note)
in_stripe_balance.csv online payments whose money was still in the Stripe balance, not yet paid out
review_items.csv      what was still waiting for the treasurer when the packet was made
audit.csv             the audit chain, and the books checked against it, when the packet was made
anchors.csv           the audit chain's head at each close of a period in the range (SEQ:HASH): keep them;
                      'treasurer audit verify --expect SEQ:HASH' must pass for each, now and later

The audit log when this packet was made: {entries} entries, chain {chain}, head (entry {entries}):
    {head}

To check later that the log was not rewritten since, run on the hall's computer:
    treasurer audit verify
It must say "audit chain OK". If it shows the same number of entries, its head must be the hash
above. If the log has grown since, run
    treasurer report audit-entry {entries}
and it must print the same hash for entry {entries}. Any other answer means entries up to this packet
were changed, removed or replaced after it was made.
"""


@dataclasses.dataclass(frozen=True)
class PacketResult:
    folder: Path
    pdf: Path
    files: tuple[Path, ...]
    pages: int
    audit_ok: bool
    audit_entries: int
    audit_head: str
    open_discrepancies: int
    open_review_items: int
    anchors: tuple = ()
    dual_control: str | None = None     # the notice when dual control is not in force
    dual_control_lapses: tuple[str, ...] = ()


def months_between(start: dt.date, end: dt.date) -> list[str]:
    codes, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        codes.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return codes


def audit_entry_hash(hall: Hall, seq: int) -> str:
    with hall.read() as s:
        digest = s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
    if digest is None:
        raise NotFound(f"The audit log has no entry {seq}.")
    return digest


def build_packet(hall: Hall, start: dt.date, end: dt.date, out_dir: str | Path) -> PacketResult:
    if end < start:
        raise ValidationError(f"The packet ends ({end.isoformat()}) before it starts ({start.isoformat()}).")
    folder = Path(out_dir)
    if folder.exists() and any(folder.iterdir()):
        raise ValidationError(f"The folder {folder} is not empty; choose a new folder for the packet.")
    make_private_dir(folder)            # names members and amounts: the owner's alone
    currency = hall.currency
    periods = [period_report(hall, code) for code in months_between(start, end)]
    per_capita = [per_capita_report(hall, code) for code in months_between(start, end)]
    rec = reconcile(hall, since=start)
    payouts = [p for p in rec.payouts if p.arrival_date <= end]
    inside = {p.stripe_payout_id for p in payouts}
    discrepancies = [d for d in rec.discrepancies if d.payout is None or d.payout in inside]
    waiting = [p for p in rec.in_balance if p.received_on <= end]
    items = open_items(hall)
    books = audit_check.check_hall(hall)
    with hall.read() as s:
        anchors = period_anchors(s, start, end)
        control = dual_control_notice(s)
        lapses = dual_control_lapses(s, start, end)
    chain = books.chain

    files = [
        _csv(folder / "period_reports.csv", ["period", "item", "value"],
             [[r.period, label, value] for r in periods for label, value in r.rows()]),
        _csv(folder / "per_capita.csv", ["period", "classification", "status", "members", "assessed", "dues",
                                         "per_capita"],
             [[r.period, x.classification, x.status, x.members, x.assessed, plain_cents(x.dues_cents),
               plain_cents(x.per_capita_cents)] for r in per_capita for x in r.rows]),
        _csv(folder / "payouts.csv", ["payout", "arrival_date", "status", "state", "amount", "gross", "fees",
                                      "refunds", "disputes", "other", "net", "payments"],
             [[p.stripe_payout_id, p.arrival_date.isoformat(), p.status, p.state, plain_cents(p.amount_cents),
               plain_cents(p.gross_cents), plain_cents(p.fee_cents), plain_cents(p.refund_cents),
               plain_cents(p.dispute_cents), plain_cents(p.other_cents), plain_cents(p.net_cents),
               len(p.payment_ids)] for p in payouts]),
        _csv(folder / "discrepancies.csv", ["key", "kind", "payout", "stripe_object", "stripe_amount", "ledger_row",
                                            "ledger_amount", "explanation", "resolved_by", "resolution"],
             [[d.key, d.kind, d.payout or "", d.stripe_object or "", _cents(d.stripe_amount_cents),
               d.ledger_row or "", _cents(d.ledger_amount_cents), d.explanation, d.resolved_by or "",
               d.resolution or ""] for d in discrepancies]),
        _csv(folder / "in_stripe_balance.csv", ["receipt", "received_on", "amount", "stripe_object",
                                                "stripe_amount", "available_on"],
             [[receipt_number(p.payment_id), p.received_on.isoformat(), plain_cents(p.amount_cents), p.stripe_object,
               plain_cents(p.stripe_amount_cents), p.available_on.isoformat() if p.available_on else ""]
              for p in waiting]),
        _csv(folder / "review_items.csv", ["key", "kind", "created_at", "amount", "summary"],
             [[i.key, i.kind, i.created_at, _cents(i.amount_cents), i.summary] for i in items]),
        _csv(folder / "audit.csv", ["verified_at", "ok", "entries", "head_hash", "problem"],
             [[clock.stamp(), "yes" if books.ok else "NO", chain.entries, chain.head, books.first_problem]]),
        _csv(folder / "anchors.csv", ["period", "closed_at", "closed_by", "anchor"],
             [[a.period, a.closed_at, a.closed_by, a.anchor] for a in anchors]),
    ]
    readme = folder / "README.txt"
    write_private(readme, README.format(hall=hall.setting("hall_name"), start=start.isoformat(), end=end.isoformat(),
                                    made=clock.stamp(), actor=hall.actor, entries=chain.entries,
                                    chain="OK" if chain.ok else "BROKEN", head=chain.head))
    lines = _pdf_lines(hall.setting("hall_name"), currency, start, end, periods, per_capita, payouts,
                       discrepancies, items, chain, waiting)
    lines[3:3] = _trust_lines(books, anchors, control, lapses)
    pdf = folder / "packet.pdf"
    codes = [(f"Anchor of {a.period}, closed {a.closed_at[:10]} by {a.closed_by}", a.anchor) for a in anchors
             if a.anchor]
    pages = write_text_pdf(pdf, lines, f"Trustees' packet {start.isoformat()} to {end.isoformat()}", codes)
    return PacketResult(folder, pdf, tuple(files) + (readme,), pages, books.ok, chain.entries, chain.head,
                        sum(1 for d in discrepancies if not d.resolved), len(items), tuple(anchors),
                        control, tuple(lapses))


@dataclasses.dataclass(frozen=True)
class PeriodAnchor:
    """The audit chain's head when a period was closed: ``SEQ:HASH`` for ``audit verify --expect``."""

    period: str
    closed_at: str
    closed_by: str
    anchor: str


def period_anchors(session, start: dt.date, end: dt.date) -> list[PeriodAnchor]:
    """Every close of a period that starts in the range, oldest first (a period closed twice has two)."""
    rows = session.execute(
        select(DuesPeriod.code, PeriodClosing.at, Officer.name, PeriodClosing.anchor_seq, PeriodClosing.anchor_hash)
        .join(DuesPeriod, PeriodClosing.period_id == DuesPeriod.id)
        .join(Officer, PeriodClosing.officer_id == Officer.id)
        .where(PeriodClosing.action == "close", DuesPeriod.starts_on >= start, DuesPeriod.starts_on <= end)
        .order_by(PeriodClosing.id)).all()
    return [PeriodAnchor(code, at, name, audit.anchor_text(seq, digest) if digest else "")
            for code, at, name, seq, digest in rows]


def dual_control_lapses(session, start: dt.date, end: dt.date) -> list[str]:
    """Each stretch of the range during which the hall had fewer than two active officers, from the audit
    log: while it lasted one person alone could add officers or approve credits, so the trustees are told,
    even if it was over by the time the packet was made."""
    entries = session.execute(select(AuditEntry.at, AuditEntry.action, AuditEntry.actor, AuditEntry.after_json)
                              .where(AuditEntry.action.in_(("officer.add", "officer.deactivate",
                                                            "officer.reactivate")))
                              .order_by(AuditEntry.seq)).all()
    first, last = start.isoformat(), (end + dt.timedelta(days=1)).isoformat()
    active, began, out = 0, None, []
    for at, action, actor, after_json in entries:
        after = json.loads(after_json or "{}")
        active += -1 if action == "officer.deactivate" else 1
        what = f"{after.get('name', '?')} {_DONE[action]}" + (
            f" by {_names(after.get('by') or after.get('vouched_by'))}" if after.get("by") or after.get("vouched_by")
            else "")
        if active < 2 and began is None:
            began = (at, what)
        elif active >= 2 and began is not None:
            if began[0] < last and at >= first:
                out.append(f"Not in force from {began[0][:16]} ({began[1]}) to {at[:16]} ({what}).")
            began = None
    if began is not None and began[0] < last:
        out.append(f"Not in force since {began[0][:16]} ({began[1]}).")
    return out


_DONE = {"officer.add": "added", "officer.deactivate": "deactivated", "officer.reactivate": "reactivated"}


def _names(value) -> str:
    return " and ".join(value) if isinstance(value, list) else str(value)


def _trust_lines(books: audit_check.BooksReport, anchors: list[PeriodAnchor], control: str | None,
                 lapses: list[str]) -> list[str]:
    out = ["DUAL CONTROL", f"  {control or 'In force: two or more active officers; no officer alone can approve a credit.'}"]
    if lapses:
        out.append("  In this range it lapsed (fewer than two active officers: one person alone could add "
                   "officers and approve credits):")
        out += [f"    {lapse}" for lapse in lapses]
    out += ["", "THE BOOKS AGAINST THE AUDIT LOG"]
    out += [f"  {line}" for line in books.lines(20)]
    out += ["", "PERIOD ANCHORS (keep this page: 'treasurer audit verify --expect SEQ:HASH' must pass for each)"]
    out += [f"  {a.period} closed {a.closed_at[:19]} by {a.closed_by}: {a.anchor or '(closed before anchors)'}"
            for a in anchors] or ["  (no period in the range was closed)"]
    return out + [""]


def _cents(value: int | None) -> str:
    return "" if value is None else plain_cents(value)


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with private_open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _pdf_lines(hall_name: str, currency: str, start: dt.date, end: dt.date, periods: list[PeriodReport],
               per_capita: list[PerCapitaReport], payouts: list[PayoutReport], discrepancies: list[Discrepancy],
               items: list[Item], chain: audit.ChainReport, waiting: list[InBalance]) -> list[str]:
    def money(cents: int) -> str:
        return format_cents(cents, currency)

    out = [f"TRUSTEES' AUDIT PACKET - {hall_name}", f"Period {start.isoformat()} to {end.isoformat()}, made "
           f"{clock.stamp()}", "",
           "AUDIT LOG", f"  Chain {'OK' if chain.ok else 'BROKEN: ' + str(chain)}", f"  Entries: {chain.entries}",
           f"  Head hash (entry {chain.entries}): {chain.head}",
           f"  Re-check later: 'treasurer audit verify' (same head if no entries since), or "
           f"'treasurer report audit-entry {chain.entries}' must print this hash.", "",
           "STRIPE PAYOUTS"]
    for p in payouts:
        out.append(f"  {p.stripe_payout_id} {p.arrival_date.isoformat()} {p.status:8} {p.state.upper():12} "
                   f"amount {money(p.amount_cents)} gross {money(p.gross_cents)} fees {money(p.fee_cents)} "
                   f"refunds {money(p.refund_cents)} disputes {money(p.dispute_cents)} net {money(p.net_cents)}")
    if not payouts:
        out.append("  (none in the range)")
    if waiting:
        out.append(f"  Not yet paid out: {money(sum(p.amount_cents for p in waiting))} in {len(waiting)} "
                   f"payment{'' if len(waiting) == 1 else 's'} still in the Stripe balance (no discrepancy).")
    out += ["", f"DISCREPANCIES ({sum(1 for d in discrepancies if not d.resolved)} open)"]
    for d in discrepancies:
        state = f"resolved by {d.resolved_by}: {d.resolution}" if d.resolved else "OPEN"
        out += [f"  {d.key} [{state}]", f"    {d.explanation}"]
    out += ["", f"OPEN REVIEW ITEMS ({len(items)})"]
    out += [f"  {i.key} {i.label}: {i.summary}" for i in items]
    for r in periods:
        out += ["\f", f"PERIOD REPORT {r.period}"]
        out += [f"  {label:40} {value:>16}" for label, value in r.rows()]
    for r in per_capita:
        out += ["", f"PER CAPITA {r.period}",
                f"  {'classification':30} {'status':10} {'members':>8} {'assessed':>8} {'dues':>12} {'per capita':>12}"]
        out += [f"  {x.classification[:30]:30} {x.status:10} {x.members:8} {x.assessed:8} "
                f"{money(x.dues_cents):>12} {money(x.per_capita_cents):>12}" for x in r.rows]
        out.append(f"  {'TOTAL':41} {sum(x.members for x in r.rows):8} {r.assessed:8} "
                   f"{money(sum(x.dues_cents for x in r.rows)):>12} {money(r.per_capita_cents):>12}")
    return out
