"""Migrations upgrade real books: a hall written at schema 0001 keeps every balance and its audit chain.

The data is written the way the 0001 program wrote it, with plain SQL against the 0001 tables (today's
models have later columns), and every audit entry is chained with the same hash function.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections import defaultdict

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from helpers import run_treasurer
from test_postgres import db_url, raw_engine  # noqa: F401  (db_url: SQLite, and PostgreSQL in CI)
from treasurer import audit, audit_check
from treasurer.backup import check_backup
from treasurer.db import Database, alembic_config, migrate, schema_revision
from treasurer.hall import Hall
from treasurer.ledger import standings, standings_by_walk
from treasurer.payments import record_payment

FIRST_GUARDS = {
    "audit_log_no_update", "audit_log_no_delete", "charges_no_update", "charges_no_delete", "payments_no_delete",
    "payments_frozen", "adjustments_no_update", "adjustments_no_delete", "adjustment_decisions_no_update",
    "adjustment_decisions_no_delete", "period_closings_no_update", "period_closings_no_delete",
    "dues_rates_no_delete",
}
TODAY = dt.date(2026, 6, 20)
ACTOR = "Pat Morales"


def database_at_0001(url: str) -> Database:
    db = Database(url)
    cfg = alembic_config(url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    return db


class Books:
    """Writes rows into the 0001 tables with an audit entry each, in one transaction, as 0001 did."""

    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.tables = sa.MetaData()
        self.tables.reflect(conn)
        self.seq, self.prev = 0, audit.GENESIS
        self.moment = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)

    def stamp(self) -> str:
        self.moment += dt.timedelta(minutes=7)
        return self.moment.isoformat(timespec="microseconds")

    def add(self, table: str, verb: str, entity: str, /, **values) -> int:
        t = self.tables.tables[table]
        if "id" in t.c:  # the database numbers the rows, as it did for the 0001 program
            key = self.conn.execute(t.insert().returning(t.c.id), values).scalar_one()
            after = {"id": key, **values}
        else:
            self.conn.execute(t.insert(), values)
            key, after = values["key"], values
        self.seq += 1
        at = self.stamp()
        after_json = audit.canonical_json(after)
        digest = audit.entry_hash(self.prev, self.seq, at, ACTOR, verb, entity, str(key), None, after_json)
        self.conn.execute(self.tables.tables["audit_log"].insert(), dict(
            seq=self.seq, at=at, actor=ACTOR, action=verb, entity_type=entity, entity_id=str(key),
            before_json=None, after_json=after_json, prev_hash=self.prev, hash=digest))
        self.prev = digest
        return key


def month_span(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def fill_0001_books(db: Database, members: int = 40, seed: int = 3) -> dict[int, int]:
    """A year of a small hall's books; returns each member's balance computed here, independently."""
    rng = random.Random(seed)
    owed: dict[int, int] = defaultdict(int)
    with db.engine.begin() as conn:
        b = Books(conn)
        for key, value in (("hall_name", "IBEW Local 000"), ("currency", "usd"), ("install_id", "0123456789abcdef"),
                           ("hall_address", "1 Union Sq")):
            b.add("settings", "setting.set", "setting", key=key, value=value)
        pat = b.add("officers", "officer.add", "officer", name="Pat Morales", role="treasurer", pin_hash="x",
                    created_at=b.stamp())
        sam = b.add("officers", "officer.add", "officer", name="Sam Okafor", role="president", pin_hash="y",
                    created_at=b.stamp())
        jw = b.add("classifications", "class.add", "classification", name="Journeyman Wireman",
                   frequency="monthly", created_at=b.stamp())
        ret = b.add("classifications", "class.add", "classification", name="Retiree", frequency="quarterly",
                    created_at=b.stamp())
        rates = {
            jw: [b.add("dues_rates", "rate.add", "dues_rate", classification_id=jw, amount_cents=4500,
                       per_capita_cents=1850, effective_from=dt.date(2025, 1, 1), effective_to=None,
                       created_at=b.stamp()),
                 b.add("dues_rates", "rate.add", "dues_rate", classification_id=jw, amount_cents=4800,
                       per_capita_cents=1900, effective_from=dt.date(2025, 7, 1), effective_to=None,
                       created_at=b.stamp())],
            ret: [b.add("dues_rates", "rate.add", "dues_rate", classification_id=ret, amount_cents=3000,
                        per_capita_cents=0, effective_from=dt.date(2025, 1, 1), effective_to=None,
                        created_at=b.stamp())],
        }
        amounts = {rates[jw][0]: 4500, rates[jw][1]: 4800, rates[ret][0]: 3000}
        roll = []
        for i in range(members):
            klass = ret if i % 5 == 4 else jw
            status = "suspended" if i == 7 else "active"
            mid = b.add("members", "member.add", "member", member_number=str(100001 + i), first_name=f"First{i}",
                        last_name=f"Last{i}", email=f"m{i}@example.org", phone="", address="", classification_id=klass,
                        status=status, join_date=dt.date(2019, 1, 1), notes="")
            roll.append((mid, klass, status))
        periods = {}
        for month in range(1, 13):
            start, end = month_span(2025, month)
            periods[f"2025-{month:02d}"] = (b.add(
                "dues_periods", "period.create", "dues_period", code=f"2025-{month:02d}", frequency="monthly",
                starts_on=start, ends_on=end, due_on=start, grace_ends_on=start.replace(day=15)), start)
        for q in range(1, 5):
            start, _ = month_span(2025, 3 * q - 2)
            _, end = month_span(2025, 3 * q)
            periods[f"2025-Q{q}"] = (b.add(
                "dues_periods", "period.create", "dues_period", code=f"2025-Q{q}", frequency="quarterly",
                starts_on=start, ends_on=end, due_on=start, grace_ends_on=start.replace(day=15)), start)
        for code, (pid, start) in periods.items():
            monthly = "Q" not in code
            for mid, klass, status in roll:
                if (klass == jw) != monthly or status != "active":
                    continue
                rate = rates[klass][-1] if klass == jw and start >= dt.date(2025, 7, 1) else rates[klass][0]
                b.add("charges", "charge.assess", "charge", member_id=mid, period_id=pid, rate_id=rate,
                      amount_cents=amounts[rate], per_capita_cents=1850 if klass == jw else 0, created_at=b.stamp())
                owed[mid] += amounts[rate]
        for n in range(members * 8):
            mid = rng.choice(roll)[0]
            amount = rng.choice([4500, 4800, 9000, 3000, 2500, 14400, 1234])
            status = rng.choices(["completed", "pending", "failed"], [20, 1, 1])[0]
            method = rng.choice(["cash", "check", "money_order", "card", "us_bank_account"])
            b.add("payments", "payment.record", "payment", member_id=mid, amount_cents=amount, method=method,
                  status=status, received_on=dt.date(2025, 1, 3) + dt.timedelta(days=rng.randrange(520)),
                  reference=f"{n}", recorded_by="Pat Morales", created_at=b.stamp(),
                  stripe_payment_intent_id=f"pi_{n:08d}" if method in ("card", "us_bank_account") else None,
                  stripe_charge_id=None, stripe_checkout_session_id=None)
            if status == "completed":
                owed[mid] -= amount
        b.add("payments", "payment.record", "payment", member_id=None, amount_cents=5000, method="card",
              status="completed", received_on=dt.date(2025, 5, 5), reference="unmatched", recorded_by="stripe",
              created_at=b.stamp(), stripe_payment_intent_id="pi_unmatched", stripe_charge_id=None,
              stripe_checkout_session_id=None)
        for n in range(members):
            mid = rng.choice(roll)[0]
            kind, sign = rng.choice([("waiver", -1), ("hardship_credit", -1), ("write_off", -1),
                                     ("correction", 1), ("correction", -1)])
            amount = sign * rng.choice([1000, 2250, 4500])
            needs = n % 4 != 0
            aid = b.add("adjustments", "adjustment.request", "adjustment", member_id=mid, kind=kind,
                        amount_cents=amount, effective_on=dt.date(2025, 2, 1) + dt.timedelta(days=9 * n),
                        reason="hardship", requested_by_id=pat, corrects_adjustment_id=None, payment_id=None,
                        needs_approval=needs, created_at=b.stamp())
            decision = rng.choice(["approved", "approved", "denied", None]) if needs else None
            if decision:
                b.add("adjustment_decisions", f"adjustment.{decision}", "adjustment_decision", adjustment_id=aid,
                      decision=decision, officer_id=sam, note="", at=b.stamp())
            if not needs or decision == "approved":
                owed[mid] += amount
        for code in ("2025-01", "2025-02", "2025-Q1"):
            b.add("period_closings", "period.close", "period", period_id=periods[code][0], action="close",
                  officer_id=pat, note="books done", at=b.stamp())
        b.add("period_closings", "period.reopen", "period", period_id=periods["2025-02"][0], action="reopen",
              officer_id=pat, note="late check", at=b.stamp())
    return dict(owed)


def guards(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            return set(conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())
        return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())


def snapshot(db: Database) -> tuple:
    with db.engine.connect() as conn, Session(conn) as s:
        fast = standings(s, TODAY)
        walked = standings_by_walk(s, TODAY)
        # Books before 0009 have no rows_json column: read the chain as it was.
        has_rows = "rows_json" in {c["name"] for c in sa.inspect(conn).get_columns("audit_log")}
        columns = ", ".join(c if c != "rows_json" or has_rows else "NULL" for c in audit.AUDIT_COLUMNS)
        chain = audit.verify_rows(conn.exec_driver_sql(f"SELECT {columns} FROM audit_log ORDER BY seq"))
    return fast, walked, chain


def entry_hash_at(db: Database, seq: int) -> str:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT hash FROM audit_log WHERE seq = {seq}").scalar_one()


def test_books_written_at_0001_upgrade_to_head_unchanged(db_url, tmp_path):  # noqa: F811
    (tmp_path / "hall").mkdir(exist_ok=True)
    db = database_at_0001(db_url)
    assert schema_revision(db) == "0001"
    owed = fill_0001_books(db)
    before_fast, before_walk, before_chain = snapshot(db)
    assert before_chain.ok and before_chain.entries > 700
    assert before_fast == before_walk
    assert {mid: st.balance_cents for mid, st in before_fast.items()} == {
        mid: cents for mid, cents in owed.items() if mid in before_fast}
    assert any(st.balance_cents < 0 for st in before_fast.values())
    assert any(st.months_in_arrears for st in before_fast.values())

    migrate(db)
    assert schema_revision(db) not in (None, "0001")
    after_fast, after_walk, after_chain = snapshot(db)
    assert after_fast == before_fast and after_walk == before_walk
    # The old entries stand as they were; 0009 adds the baseline of every row after them, and the books
    # then verify clean against the log.
    assert after_chain.ok and entry_hash_at(db, before_chain.entries) == before_chain.head
    with db.read() as s:
        baseline = s.execute(sa.text("SELECT entity_type, COUNT(*) FROM audit_log WHERE action = "
                                     "'audit.baseline' GROUP BY entity_type")).all()
        report = audit_check.check(s)
    assert {"members", "payments", "charges", "adjustments", "period_closings"} <= {t for t, _ in baseline}
    assert report.ok, report.lines(10)
    assert after_chain.entries == before_chain.entries + sum(n for _, n in baseline)
    assert FIRST_GUARDS <= guards(db)

    engine = raw_engine(db_url)  # the guards still hold after the upgrade
    for statement in ("UPDATE charges SET amount_cents = 1", "DELETE FROM audit_log",
                      "UPDATE payments SET amount_cents = amount_cents + 1"):
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    engine.dispose()

    hall = Hall(db, actor="tester")  # and today's program keeps the books on from there
    record_payment(hall, "100001", 4500, "cash", received_on=dt.date(2026, 6, 1))
    with hall.read() as s:
        chain = audit.verify(s)
        assert standings(s, TODAY)[1].balance_cents == before_fast[1].balance_cents - 4500
    assert chain.ok and chain.entries == after_chain.entries + 1
    with hall.read() as s:
        assert audit_check.check(s).ok
    hall.close()


def test_an_old_backup_is_upgraded_when_it_is_restored(tmp_path):
    old = tmp_path / "old.sqlite3"
    db = database_at_0001(f"sqlite:///{old}")
    owed = fill_0001_books(db, members=10)
    db.close()
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    assert check_backup(old).ok          # checked on an upgraded copy; the file itself is untouched
    assert schema_revision(Database(f"sqlite:///{old}")) == "0001"
    home = tmp_path / "hall"
    run_treasurer("init", "--hall-name", "Somewhere Else", data_dir=home)
    done = run_treasurer("restore", str(old), data_dir=home)
    assert done.returncode == 0, done.stderr
    restored = Database(f"sqlite:///{home / 'treasurer.sqlite3'}")
    assert schema_revision(restored) not in (None, "0001")
    fast, _, chain = snapshot(restored)
    assert chain.ok and {mid: st.balance_cents for mid, st in fast.items()} == {
        mid: cents for mid, cents in owed.items() if mid in fast}
    restored.close()
    shown = run_treasurer("member", "show", "100001", data_dir=home)
    assert shown.returncode == 0, shown.stderr
