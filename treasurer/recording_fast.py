"""Online payments recorded many at a time: the common events of a batch in a few statements.

``recording.process_many`` hands this module runs of plain events: a completed Checkout Session
(``checkout.session.completed``, paid) or a succeeded PaymentIntent (``payment_intent.succeeded``) for a payment
the books do not have yet, tried for the first time, in the books' Stripe mode.  For a run it reads what the
events refer to in a few queries (existing payments, slips, members, the members' open slips and standings),
decides each event in Python exactly as ``recording`` would, then writes the payments, review items, slips'
new statuses and the events' outcomes one statement per table, and the audit entries in one: the same entries,
in the same order, each event's row snapshots on its own last entry, as if each event were applied alone.

Anything else stops the run, and ``recording`` applies that event through the ORM: a refund or dispute, a payment
already recorded, an event tried before, an event of the other mode or for another hall, a member or slip that
an earlier event of the same run touched (their standing and slips would have changed).  The caller applies
the events in order, so the books are the same either way (``tests/test_recording_fast.py`` checks it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import bindparam, func, insert, select, update

from . import audit, audit_rows, clock
from .audit import Change
from .hall import Tx, setting_in
from .ledger import standings_by_walk
from .models import Member, Payment, ReviewItem, Slip, StripeEvent
from .money import format_cents
from .payment_links import SLIP_FIELDS
from .payments import PAYMENT_FIELDS, receipt_number
from .periods import closed_period_containing
from .recording import _INTENT, _SLIP_ID, Outcome, _metadata, _method, ignored_detail

PLAIN_TYPES = ("checkout.session.completed", "payment_intent.succeeded")
_PAYMENTS = Payment.__table__
_REVIEW = ReviewItem.__table__
_SLIPS = Slip.__table__
_EVENTS = StripeEvent.__table__


@dataclasses.dataclass
class Plain:
    """One stored event that may take the fast path, with the payment it describes."""
    event_id: str
    event_type: str
    live: bool
    pi_id: str
    amount: int
    currency: str | None
    metadata: dict
    method: str
    created: int
    session_id: str | None
    charge_id: str | None
    ignored: str | None = None          # an event that changes nothing: the outcome's detail


def load(session, event_ids: list[str]) -> dict[str, tuple]:
    """The stored events' (id, type, created, livemode, payload, outcome, attempts), read without the ORM."""
    e = _EVENTS.c
    rows = {}
    for chunk in (event_ids[i:i + 500] for i in range(0, len(event_ids), 500)):
        query = select(e.id, e.type, e.created, e.livemode, e.payload, e.outcome, e.attempts).where(e.id.in_(chunk))
        rows.update((row[0], tuple(row)) for row in session.connection().execute(query))
    return rows


def plain(row: tuple | None) -> Plain | None:
    """The event as a ``Plain`` when nothing but the books' own state can stop the fast path; else None."""
    if row is None:
        return None
    event_id, event_type, created, livemode, payload, outcome, attempts = row
    if outcome != "pending" or attempts:
        return None
    if event_type not in PLAIN_TYPES:
        detail = ignored_detail(event_type)
        if detail is None:
            return None
        return Plain(event_id, event_type, bool(livemode), "", 0, None, {}, "", int(created), None, None, detail)
    try:
        data = json.loads(payload)
        obj = data["data"]["object"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(obj, dict) or not isinstance(data, dict):
        return None
    types = obj.get("payment_method_types") or []
    if not isinstance(types, list):
        return None                     # recording decides what to make of it
    method = _method(types)
    session_id = charge_id = None
    if event_type == "checkout.session.completed":
        if obj.get("mode") not in (None, "payment") or obj.get("payment_status") != "paid":
            return None
        pi_id, amount, session_id = obj.get("payment_intent"), obj.get("amount_total"), obj.get("id")
        if session_id is not None and not isinstance(session_id, str):
            return None
    else:
        pi_id, amount = obj.get("id"), obj.get("amount_received") or obj.get("amount")
        charge_id = obj.get("latest_charge") if isinstance(obj.get("latest_charge"), str) else None
    if not (isinstance(pi_id, str) and _INTENT.match(pi_id)):
        return None
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount < 10**12:
        return None
    if obj.get("currency") is not None and not isinstance(obj.get("currency"), str):
        return None
    metadata = _metadata(obj)
    if not isinstance(data.get("created"), int) or isinstance(data.get("created"), bool):
        return None
    return Plain(event_id, event_type, data.get("livemode") is True, pi_id, amount, obj.get("currency"), metadata,
                 method, data["created"], session_id, charge_id)


@dataclasses.dataclass
class _Decided:
    """What ``recording`` would decide for one event, before anything is written."""
    plain: Plain
    member_id: int | None
    member_number: str | None
    slip: dict | None                    # the slip the payment names (all of SLIP_FIELDS, id, as read)
    problems: list[str]
    paid_on: dt.date
    reference: str


def record(tx: Tx, run: list[Plain]) -> list[tuple[str, object]]:
    """Apply the longest prefix of ``run`` the fast path can; returns [(event id, Outcome)] for that prefix."""
    session = tx.session
    if audit_rows.pending(session):      # an ORM write not yet in the log: it must go first
        return []
    conn = session.connection()
    bound = setting_in(session, "stripe_books_mode")
    install = setting_in(session, "install_id")
    hall_currency = setting_in(session, "currency")
    # The run ends at the first event of the other mode (the first event binds the books' mode; a test event in
    # live books) or for another hall (ignored, by recording): cut it there before reading anything for it, so
    # a stretch of such events costs no reads over the rest of the batch each time.
    for cut, e in enumerate(run):
        if bound != ("live" if e.live else "test") or (
                e.ignored is None and e.metadata.get("hall") and install and e.metadata.get("hall") != install):
            run = run[:cut]
            break
    if not run:
        return []

    p = _PAYMENTS.c
    pis = [e.pi_id for e in run]
    known = set(conn.execute(select(p.stripe_payment_intent_id).where(p.stripe_payment_intent_id.in_(pis))).scalars())
    slip_ids = {int(ref) for e in run if _SLIP_ID.match(ref := str(e.metadata.get("slip_id") or ""))}
    slips = _slips(conn, _SLIPS.c.id.in_(slip_ids)) if slip_ids else {}
    numbers = {str(e.metadata.get("member_number") or "").strip() for e in run} - {""}
    m = Member.__table__.c
    by_number = dict(conn.execute(select(m.member_number, m.id).where(m.member_number.in_(numbers))).all()) if numbers else {}
    slip_members = {s["member_id"] for s in slips.values()}
    number_of = dict(conn.execute(select(m.id, m.member_number).where(m.id.in_(slip_members))).all()) if slip_members else {}

    decided: list[_Decided] = []
    order: list[Plain] = []             # the events this run applies, in order
    seen_pis, seen_members, seen_slips = set(), set(), set()
    seen_sessions, seen_charges = set(), set()
    closed: dict[dt.date, bool] = {}
    for e in run:
        if e.ignored is not None:
            order.append(e)
            continue
        if e.pi_id in known or e.pi_id in seen_pis:
            break                       # already recorded: recording updates it
        if (e.session_id and e.session_id in seen_sessions) or (e.charge_id and e.charge_id in seen_charges):
            break
        problems = []
        if (e.currency or "").lower() != hall_currency:
            problems.append(f"it is in {str(e.currency).upper()}, not {hall_currency.upper()}")
        slip = None
        member_id = member_number = None
        slip_ref = str(e.metadata.get("slip_id") or "")
        if slip_ref and not _SLIP_ID.match(slip_ref):
            problems.append(f"its slip id {slip_ref[:40]!r} is not a slip number")
        elif slip_ref:
            slip = slips.get(int(slip_ref))
            if slip is None:
                problems.append(f"its slip {slip_ref} is not in the books")
        number = str(e.metadata.get("member_number") or "").strip()
        if slip is not None:
            member_id, member_number = slip["member_id"], number_of[slip["member_id"]]
            if number and member_number != number:
                problems.append(f"slip {slip['id']} belongs to member {member_number}, not {number}")
            if e.amount != slip["amount_cents"]:
                problems.append(f"it is {format_cents(e.amount, hall_currency)} but slip {slip['id']} asked for "
                                f"{format_cents(slip['amount_cents'], hall_currency)}")
        elif number:
            member_id = by_number.get(number)
            member_number = number if member_id is not None else None
            if member_id is None:
                problems.append(f"member number {number} is not on the roll")
        else:
            problems.append("it carries no slip or member number")
        if not problems and (member_id in seen_members or (slip is not None and slip["id"] in seen_slips)):
            break                       # an earlier event of this run changed this member's standing or slips
        paid_on = dt.datetime.fromtimestamp(int(e.created or 0), dt.UTC).date() if e.created else clock.today()
        reference = e.pi_id
        if paid_on not in closed:
            closed[paid_on] = closed_period_containing(session, paid_on) is not None
        if closed[paid_on]:
            reference = f"{e.pi_id} (paid {paid_on.isoformat()}, a closed period)"
            paid_on = clock.today()
        seen_pis.add(e.pi_id)
        if e.session_id:
            seen_sessions.add(e.session_id)
        if e.charge_id:
            seen_charges.add(e.charge_id)
        if not problems:
            seen_members.add(member_id)
            if slip is not None:
                seen_slips.add(slip["id"])
        decided.append(_Decided(e, None if problems else member_id, member_number, slip, problems, paid_on,
                                reference))
        order.append(e)
    if not order:
        return []
    stamp = clock.stamp()
    outcomes: dict[str, Outcome] = {}
    if decided:
        outcomes.update(_payments(tx, conn, decided, slips, hall_currency, stamp))
    ignored = [e for e in order if e.ignored is not None]
    if ignored:                         # no audit entry: an ignored event tried once changes nothing
        _set_outcomes(conn, "ignored", [(e.event_id, e.ignored[:2000], stamp) for e in ignored])
        outcomes.update((e.event_id, Outcome("ignored", e.ignored)) for e in ignored)
    return [(e.event_id, outcomes[e.event_id]) for e in order]


def _payments(tx: Tx, conn, decided: list[_Decided], slips: dict[int, dict], hall_currency: str,
              stamp: str) -> list[tuple[str, Outcome]]:
    """Write the decided payments and everything they bring, as ``recording`` would event by event."""
    session = tx.session

    members = sorted({d.member_id for d in decided if d.member_id is not None})
    balances = {mid: s.balance_cents for mid, s in standings_by_walk(session, clock.today(), members).items()} \
        if members else {}
    open_slips: dict[int, list[dict]] = {}
    if members:
        found = _slips(conn, (_SLIPS.c.member_id.in_(members)) & (_SLIPS.c.status == "open"))
        for slip in sorted(found.values(), key=lambda s: s["id"]):
            slip = slips.get(slip["id"], slip)      # one copy of a slip the payment also names
            open_slips.setdefault(slip["member_id"], []).append(slip)

    # The payments, in order (their ids, as recording's flushes would give them).
    rows = [{"member_id": d.member_id, "amount_cents": d.plain.amount, "method": d.plain.method,
             "status": "completed", "received_on": d.paid_on, "reference": d.reference[:120],
             "recorded_by": "stripe", "created_at": stamp, "stripe_payment_intent_id": d.plain.pi_id,
             "stripe_checkout_session_id": d.plain.session_id, "stripe_charge_id": d.plain.charge_id,
             "slip_id": d.slip["id"] if d.slip else None} for d in decided]
    payment_ids = _insert(conn, _PAYMENTS, rows)

    items: list[dict] = []              # review items to open, in order
    item_of: dict[int, int] = {}        # index in decided -> index in items
    slip_changes: list[dict] = []       # {"id", "status"} in order
    per_event: list[dict] = []
    for i, (d, pid, row) in enumerate(zip(decided, payment_ids, rows)):
        e = d.plain
        receipt = receipt_number(pid)
        money = format_cents(e.amount, hall_currency)
        slip = d.slip
        item = None
        if d.problems:
            guess = f" (slip {slip['id']}, member {d.member_number})" if slip is not None else ""
            item = ("unmatched_payment", (f"Online payment {receipt} of {money} could not be matched{guess}: "
                                         f"{'; '.join(d.problems)}. Assign it to a member."))
        elif slip is not None and slip["status"] in ("superseded", "void", "expired"):
            item = ("stale_slip_payment", (f"Member {d.member_number} paid {money} on slip {slip['id']}, which was "
                                          f"{slip['status']}. The payment is recorded; check the member's balance."))
        elif slip is not None and slip["status"] == "paid":
            credit = -(balances.get(d.member_id, 0) - e.amount)
            now = f": the member now has a credit of {format_cents(credit, hall_currency)}" if credit > 0 else (
                "; it is a credit on the member's account")
            item = ("overpayment", f"Member {d.member_number} paid slip {slip['id']} a second time ({money}){now}.")
        else:
            balance = balances.get(d.member_id, 0) - e.amount
            if balance < 0:
                item = ("overpayment", (f"Member {d.member_number} now has a credit of "
                                       f"{format_cents(-balance, hall_currency)} after paying {money} online."))
        if item is not None:
            item_of[i] = len(items)
            items.append({"kind": item[0], "ref": f"payment:{pid}", "summary": item[1], "amount_cents": e.amount,
                          "due_by": None, "created_at": stamp})
        # The slip paid, and the member's other open slips (one slip rule), as _mark_slip_paid does.
        slip_steps: list[tuple[str, dict, dict]] = []
        links: list[str] = []
        if d.member_id is not None:
            if slip is not None and slip["status"] == "open" and slip["member_id"] == d.member_id:
                before = _slip_snapshot(slip)
                slip["status"] = "paid"
                slip_steps.append(("slip.paid", before, _slip_snapshot(slip)))
                links += [slip["link_id"]] if slip["link_id"] else []
            left = e.amount
            why = f"online payment {receipt}"
            settled = [s for s in open_slips.get(d.member_id, []) if s["status"] == "open"]
            for other in settled:
                status = "superseded"
                if 0 < other["amount_cents"] <= left:
                    status, left = "paid", left - other["amount_cents"]
                before = _slip_snapshot(other)
                other["status"] = status
                slip_steps.append((f"slip.{status}", before, _slip_snapshot(other) | {"why": why}))
            links += [s["link_id"] for s in settled if s["link_id"]]
        slip_changes.extend({"b_id": int(step[1]["id"]), "b_status": step[2]["status"]} for step in slip_steps)
        who = f"member {d.member_id}" if d.member_id else "no member (in Review)"
        per_event.append({"receipt": receipt, "slip_steps": slip_steps, "links": tuple(links),
                          "detail": f"recorded {receipt} for {who}"})

    item_ids = _insert(conn, _REVIEW, items) if items else []
    if slip_changes:
        conn.execute(update(_SLIPS).where(_SLIPS.c.id == bindparam("b_id")).values(status=bindparam("b_status")),
                     slip_changes)
    _set_outcomes(conn, "applied", [(d.plain.event_id, info["detail"][:2000], stamp)
                                    for d, info in zip(decided, per_event)])

    # The rows as stored, read back once for the run: each event's snapshot on its last audit entry.
    touched_slips = sorted({c["b_id"] for c in slip_changes})
    stored = {"payments": dict(audit_rows.reader("payments").rows(conn, payment_ids)),
              "review_items": dict(audit_rows.reader("review_items").rows(conn, item_ids)) if item_ids else {},
              "slips": dict(audit_rows.reader("slips").rows(conn, touched_slips)) if touched_slips else {}}
    changes: list[Change] = []
    outcomes = []
    for i, (d, pid, row, info) in enumerate(zip(decided, payment_ids, rows, per_event)):
        e = d.plain
        after = {name: row[name] for name in PAYMENT_FIELDS}
        after["received_on"] = d.paid_on.isoformat()
        changes.append(Change("payment.record", "payment", pid, None, after))
        touched = {"payments": [pid]}
        if i in item_of:
            item = items[item_of[i]]
            item_id = item_ids[item_of[i]]
            changes.append(Change("review.open", "review_item", item_id, None,
                                  {"kind": item["kind"], "ref": item["ref"], "summary": item["summary"]}))
            touched["review_items"] = [item_id]
        for action, before, after_ in info["slip_steps"]:
            changes.append(Change(action, "slip", before["id"], _without_id(before), _without_id(after_)))
            touched.setdefault("slips", []).append(before["id"])
        snapshot_rows = []
        for name in sorted(touched):
            for ident in sorted(set(touched[name]), key=audit_rows.row_key):
                key = audit_rows.row_key(ident)
                snapshot_rows.append([name, key, stored[name].get(key)])
        detail = info["detail"][:2000]
        changes.append(Change("event.applied", "stripe_event", e.event_id, {"outcome": "pending"},
                              {"outcome": "applied", "type": e.event_type, "detail": detail},
                              rows_json=json.dumps(snapshot_rows, sort_keys=True, separators=(",", ":"),
                                                   ensure_ascii=False)))
        outcomes.append((e.event_id, Outcome("applied", info["detail"], deactivate_links=info["links"])))
    audit.record_many(session, tx.actor, changes)
    if touched_slips:                    # the ORM's copies of these slips (if any) are out of date now
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Slip) and obj.id in touched_slips:
                session.expire(obj)
    return outcomes


def _insert(conn, table, rows: list[dict]) -> list[int]:
    """Insert rows in one statement; their new ids, in order (as one flush per row would give them).

    SQLite cannot say in which order RETURNING gives the ids of a many-row insert, so there the ids are chosen
    here, as SQLite itself would (one past the largest; this transaction holds the write lock); elsewhere the
    database assigns them and returns them in the rows' order.
    """
    key = table.c.id
    if conn.dialect.name == "sqlite":
        start = (conn.execute(select(func.max(key))).scalar() or 0) + 1
        ids = list(range(start, start + len(rows)))
        # Straight to the driver: every column, in the table's order, as SQLAlchemy would store it there.
        names = [column.name for column in table.columns]
        sql = (f'INSERT INTO "{table.name}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) '
               f'VALUES ({", ".join("?" * len(names))})')
        conn.exec_driver_sql(sql, [tuple(ident if n == "id" else _sqlite_value(row.get(n)) for n in names)
                                   for row, ident in zip(rows, ids)])
        return ids
    return [row[0] for row in conn.execute(insert(table).returning(key, sort_by_parameter_order=True), rows)]


def _sqlite_value(value):
    """A value as SQLAlchemy's SQLite dialect stores it: dates as ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _set_outcomes(conn, outcome: str, rows: list[tuple[str, str, str]]) -> None:
    """The events' outcomes: (event id, detail, processed at) each, tried once."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql('UPDATE stripe_events SET outcome = ?, detail = ?, attempts = 1, processed_at = ? '
                             'WHERE id = ?', [(outcome, detail, at, ident) for ident, detail, at in rows])
        return
    e = _EVENTS.c
    conn.execute(update(_EVENTS).where(e.id == bindparam("b_id")).values(
        outcome=outcome, detail=bindparam("b_detail"), attempts=1, processed_at=bindparam("b_at")),
        [{"b_id": ident, "b_detail": detail, "b_at": at} for ident, detail, at in rows])


def _slips(conn, where) -> dict[int, dict]:
    s = _SLIPS.c
    columns = [s.id, *(getattr(s, name) for name in SLIP_FIELDS)]
    return {row.id: dict(row._mapping) for row in conn.execute(select(*columns).where(where))}


def _slip_snapshot(slip: dict) -> dict:
    """As ``audit.snapshot(slip, SLIP_FIELDS)``, with the id kept alongside (dropped before it is logged)."""
    out = {"id": slip["id"]}
    for name in SLIP_FIELDS:
        value = slip[name]
        out[name] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return out


def _without_id(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "id"}
