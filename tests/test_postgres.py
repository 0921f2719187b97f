"""The database-level guarantees, on SQLite and on a real PostgreSQL server.

Every test here takes ``db_url``: a fresh SQLite file always, and a fresh PostgreSQL
database when ``TREASURER_TEST_POSTGRES_URL`` names a server we may create databases
on (``.ci/run`` starts one; under ``CI=true`` its absence is a failure, not a skip).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import random
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from helpers import PAT_PIN, SAM_PIN, officers, standard_hall
from treasurer import audit, inbox, recording
from treasurer.adjustments import decide, request_adjustment
from treasurer.db import open_database
from treasurer.dues import assess
from treasurer.errors import ValidationError
from treasurer.hall import Hall, init_hall, open_hall
from treasurer.ledger import member_standing, standings, standings_by_walk
from treasurer.members import MemberData, add_member
from treasurer.models import Base
from treasurer.payments import record_payment
from treasurer.periods import close_period

PG_ENV = "TREASURER_TEST_POSTGRES_URL"


def _server_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CI") == "true":
        pytest.fail(f"{PG_ENV} is not set: CI must run the database tests on PostgreSQL too (.ci/run starts "
                    f"a server and sets it).")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL to an empty database of each kind, dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hall' / 'treasurer.sqlite3'}"
        return
    with scratch_databases() as (url,):
        yield url


@contextlib.contextmanager
def scratch_databases(count: int = 1) -> Iterator[list[str]]:
    """URLs of ``count`` empty databases on the test PostgreSQL server, dropped afterwards (the test is skipped
    without a server, and fails in CI)."""
    server = _server_url()
    if not server:
        pytest.skip(f"no PostgreSQL server: set {PG_ENV}=postgresql+psycopg://user@host:port/postgres")
    names = [f"treasurer_test_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield [make_url(server).set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def books(db_url, tmp_path) -> Hall:
    hall = open_hall(str(tmp_path / "hall"), db_url, actor="tester")
    init_hall(hall, "IBEW Local 000", "usd")
    yield hall
    hall.close()


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def raw_engine(url: str) -> sa.Engine:
    """A plain connection, as someone going behind the app's back would use (no app listeners)."""
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def verify(hall: Hall) -> audit.ChainReport:
    with hall.read() as s:
        return audit.verify(s)


def table_count(hall: Hall, table: str) -> int:
    with hall.read() as s:
        return s.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


# The guards of migrations 0001-0003 (later migrations may add more).
GUARDS = {
    "adjustment_decisions_no_delete", "adjustment_decisions_no_update", "adjustments_no_delete",
    "adjustments_no_update", "audit_log_no_delete", "audit_log_no_update", "charges_no_delete",
    "charges_no_update", "disputes_no_delete", "dues_rates_no_delete", "payments_frozen", "payments_no_delete",
    "period_closings_no_delete", "period_closings_no_update", "refunds_frozen", "refunds_no_delete",
    "review_items_no_delete", "slips_frozen", "slips_no_delete", "stripe_events_frozen", "stripe_events_no_delete",
}


# Schema -----------------------------------------------------------------------------------------------------

def test_migrations_build_exactly_the_models_and_their_triggers(db_url, tmp_path):
    (tmp_path / "hall").mkdir(exist_ok=True)
    db = open_database(db_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        if is_pg(db_url):
            names = conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars().all()
        else:
            names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars().all()
        revision = MigrationContext.configure(conn).get_current_revision()
    db.close()
    assert diff == []
    assert GUARDS <= set(names), GUARDS - set(names)
    assert revision is not None
    # Opening it again (another workstation, the next start) has nothing left to do.
    open_database(db_url).close()


# Triggers ---------------------------------------------------------------------------------------------------

def _money_rows(hall: Hall) -> None:
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2025-03")
    record_payment(hall, "1001", 4500, "cash", received_on=dt.date(2025, 3, 2))
    request_adjustment(hall, "1001", 1000, "waiver", "hardship", "Pat Morales", dt.date(2025, 3, 3), pin=PAT_PIN)
    close_period(hall, "2025-03", "Pat Morales", "March books done", PAT_PIN)


REFUSED = [
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM audit_log WHERE seq = 1",
    "UPDATE charges SET amount_cents = 1",
    "DELETE FROM charges",
    "DELETE FROM payments",
    "UPDATE payments SET amount_cents = amount_cents + 100",
    "UPDATE payments SET method = 'card'",
    "UPDATE payments SET received_on = '2025-03-09'",
    "UPDATE payments SET member_id = NULL",
    "UPDATE adjustments SET amount_cents = -1",
    "DELETE FROM adjustments",
    "UPDATE period_closings SET note = 'x'",
    "DELETE FROM period_closings",
    "DELETE FROM dues_rates",
]


def test_triggers_refuse_rewriting_money_and_the_log(books, db_url):
    _money_rows(books)
    engine = raw_engine(db_url)
    try:
        for statement in REFUSED:
            with pytest.raises(sa.exc.IntegrityError, match="never|append-only|is kept"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
        with engine.begin() as conn:  # a payment's status may move on
            conn.exec_driver_sql("UPDATE payments SET status = 'failed'")
            assert conn.exec_driver_sql("SELECT status, amount_cents FROM payments").one() == ("failed", 4500)
    finally:
        engine.dispose()
    assert verify(books).ok


def test_an_entry_changed_behind_the_apps_back_is_found(books, db_url):
    standard_hall(books, members=3)
    assert verify(books).ok
    engine = raw_engine(db_url)
    with engine.begin() as conn:
        if is_pg(db_url):
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    engine.dispose()
    report = verify(books)
    assert not report.ok and report.broken_seq == 4 and "changed" in report.problem


# The audit chain --------------------------------------------------------------------------------------------

def test_every_write_is_chained_and_a_failed_one_leaves_nothing(books):
    standard_hall(books, members=2)
    before = table_count(books, "audit_log")
    record_payment(books, "1001", 4500, "cash")
    assert table_count(books, "audit_log") == before + 1
    with pytest.raises(RuntimeError):
        with books.write() as tx:
            tx.audit("member.add", "member", 99, None, {"x": 1})
            tx.flush_audit()
            raise RuntimeError("power cut")
    with pytest.raises(ValidationError):
        add_member(books, MemberData("1001", "Dup", "Licate", "Journeyman Wireman"))
    assert table_count(books, "audit_log") == before + 1
    report = verify(books)
    assert report.ok and report.entries == before + 1


def _writer(data_dir: str, url: str, start: int, n: int, barrier) -> None:
    hall = open_hall(data_dir, url, actor=f"proc{start}")
    barrier.wait(60)
    for i in range(n):
        add_member(hall, MemberData(str(start + i), "Con", "Current", "Journeyman Wireman"))
        if i % 3 == 0:
            record_payment(hall, str(start + i), 100 + i, "cash")
    hall.close()


def test_writers_in_two_processes_keep_one_unbroken_chain(books, db_url, tmp_path):
    standard_hall(books, members=0)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(str(tmp_path / "hall"), db_url, base, 30, barrier))
             for base in (5000, 6000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    report = verify(books)
    assert report.ok, str(report)
    assert table_count(books, "members") == 60 and table_count(books, "payments") == 20
    with books.read() as s:
        seqs = s.execute(sa.text("SELECT seq FROM audit_log ORDER BY seq")).scalars().all()
    assert seqs == list(range(1, len(seqs) + 1))


# Dues, payments, adjustments and standings ------------------------------------------------------------------

def test_the_books_end_to_end(books):
    standard_hall(books, members=2)
    officers(books)
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        assess(books, month)
    assert assess(books, "2026-04").charges == 0  # assessing twice adds nothing
    receipt = record_payment(books, "1001", 10000, "check", "1042", dt.date(2026, 3, 20))
    assert receipt.covers == [("2026-01", 4500), ("2026-02", 4500), ("2026-03", 1000)]
    waiver = request_adjustment(books, "1001", 3500, "waiver", "hardship", "Pat Morales", dt.date(2026, 4, 2),
                                pin=PAT_PIN)
    decide(books, waiver.id, "Sam Okafor", SAM_PIN, approve=True)
    record_payment(books, "1002", 20000, "cash", received_on=dt.date(2026, 1, 5))  # overpaid: a credit
    today = dt.date(2026, 11, 25)
    with books.read() as s:
        one = member_standing(s, 1, today)
        fast, walked = standings(s, today), standings_by_walk(s, today)
    assert (one.balance_cents, one.paid_through, one.months_in_arrears, one.oldest_unpaid) == (
        4500, "2026-03", 1, "2026-04")
    assert fast == walked
    assert (fast[2].balance_cents, fast[2].paid_through, fast[2].credit_cents) == (2000 - 4000, "2026-04", 2000)
    assert verify(books).ok


def test_standings_of_a_whole_demo_hall_agree_with_the_walk(db_url, tmp_path):
    from treasurer import clock
    from treasurer.demo import fill_demo

    hall = open_hall(str(tmp_path / "hall"), db_url, actor="t")
    fill_demo(hall, members=60, months=14, seed=11)
    if is_pg(db_url):  # a server set up for day-first dates must not change what the ledger reads
        engine = raw_engine(db_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE \"{engine.url.database}\" SET DateStyle = 'SQL, DMY'")
        engine.dispose()
        hall.db.engine.dispose()
    for today in (clock.today(), dt.date(2026, 1, 16), dt.date(2030, 1, 1)):
        with hall.read() as s:
            fast, walked = standings(s, today), standings_by_walk(s, today)
        assert fast == walked
        assert any(st.paid_through for st in fast.values())
        assert all(st.paid_through is None or len(st.paid_through) in (7,) for st in fast.values())
    assert verify(hall).ok
    hall.close()


# The Stripe events inbox: exactly once, even with two relays on one database -------------------------------

def _event(n: int) -> str:
    member = 1001 + n % 3
    return json.dumps({
        "id": f"evt_{n:06d}", "object": "event", "type": "payment_intent.succeeded", "created": 1767225600 + n,
        "livemode": False, "api_version": "2025-01-27",
        "data": {"object": {"id": f"pi_{n:06d}", "object": "payment_intent", "amount": 500 + n,
                            "amount_received": 500 + n, "currency": "usd", "status": "succeeded",
                            "payment_method_types": ["card"], "metadata": {"member_number": str(member)}}},
    })


def _relay(data_dir: str, url: str, numbers: list[int], seed: int, barrier, results) -> None:
    """What a relay does with a burst of deliveries: store each batch first, then process what it stored."""
    hall = open_hall(data_dir, url, actor=f"relay{seed}")
    barrier.wait(60)
    rng = random.Random(seed)
    fresh_ids = []
    i = 0
    while i < len(numbers):
        batch = numbers[i:i + rng.randint(1, 7)]
        i += len(batch)
        events = [inbox.parse(_event(n), "webhook") for n in batch]
        for e, fresh in zip(events, inbox.store_many(hall, events)):
            if fresh:
                fresh_ids.append(e.id)
        for event_id in [e.id for e in events]:
            recording.process(hall, event_id)  # a duplicate's processing changes nothing
    hall.close()
    results.put(fresh_ids)


def test_two_relays_on_one_database_record_every_event_once(books, db_url, tmp_path):
    standard_hall(books, members=3)
    numbers = list(range(120))
    a = numbers[:90]
    b = numbers[30:]  # 60 ids both relays receive
    random.Random(1).shuffle(a)
    random.Random(2).shuffle(b)
    ctx = multiprocessing.get_context("spawn")
    results, barrier = ctx.Queue(), ctx.Barrier(2)
    procs = [ctx.Process(target=_relay, args=(str(tmp_path / "hall"), db_url, ids, seed, barrier, results))
             for seed, ids in ((1, a), (2, b))]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    stored = [results.get(timeout=10) for _ in procs]
    first, second = stored
    assert not set(first) & set(second), "an event was stored as new by both relays"
    assert sorted(first + second) == sorted(f"evt_{n:06d}" for n in numbers)
    assert table_count(books, "stripe_events") == 120
    assert table_count(books, "payments") == 120
    with books.read() as s:
        outcomes = s.execute(sa.text("SELECT outcome, count(*) FROM stripe_events GROUP BY outcome")).all()
        paid = s.execute(sa.text("SELECT sum(amount_cents) FROM payments")).scalar_one()
        recorded = s.execute(sa.text("SELECT count(*) FROM audit_log WHERE action = 'payment.record'")).scalar_one()
    assert dict(outcomes) == {"applied": 120}
    assert paid == sum(500 + n for n in numbers) and recorded == 120
    assert verify(books).ok


def _open(url: str, barrier, results) -> None:
    barrier.wait(60)
    try:
        open_database(url).close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(f"{exc.__class__.__name__}: {exc}")


def test_workstations_starting_together_migrate_a_new_database_once(db_url, tmp_path):
    (tmp_path / "hall").mkdir(exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_open, args=(db_url, barrier, results)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(results.get(timeout=10) for _ in procs) == ["ok", "ok", "ok"]
    db = open_database(db_url)
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.close()
