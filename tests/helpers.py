"""Small builders for tests: a hall with classes, members and officers."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from treasurer.dues import add_classification
from treasurer.hall import Hall
from treasurer.members import MemberData, add_member
from treasurer.officers import add_officer, check_pin
from treasurer.models import Officer
from sqlalchemy import select

TREASURER = Path(sys.executable).with_name("treasurer")
SANDBOX_KEY = "sk_test_hall_treasurer_tests_0000"


def standard_hall(hall: Hall, members: int = 3, start: dt.date = dt.date(2025, 1, 1)) -> list[str]:
    add_classification(hall, "Journeyman Wireman", 4500, "monthly", start, 1850)
    add_classification(hall, "Retiree", 3000, "quarterly", start, 0)
    numbers = []
    for i in range(members):
        number = str(1001 + i)
        add_member(hall, MemberData(number, f"First{i}", f"Last{i}", "Journeyman Wireman",
                                    join_date=dt.date(2020, 1, 1)))
        numbers.append(number)
    return numbers


PAT_PIN, SAM_PIN, LEE_PIN = "123456", "567890", "246802"
PAT = {"officer": "Pat Morales", "pin": PAT_PIN}       # for the core's officer=..., pin=... arguments
SAM = {"officer": "Sam Okafor", "pin": SAM_PIN}


def officers(hall: Hall) -> None:
    """Pat Morales (treasurer) and Sam Okafor (president): two active officers, so dual control is in force."""
    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)
    add_officer(hall, "Sam Okafor", "president", SAM_PIN, vouchers=[("Pat Morales", PAT_PIN)])


def pin_works(hall: Hall, name: str, pin: str) -> bool:
    """Whether ``pin`` is ``name``'s, read from the stored hash (a check that is not an attempt: nothing counts)."""
    with hall.read() as s:
        officer = s.scalar(select(Officer).where(Officer.name == name))
        return officer is not None and officer.active and check_pin(pin, officer.pin_hash)


def raw(hall: Hall) -> sqlite3.Connection:
    """A plain sqlite3 connection to the hall's file: what someone going behind the app's back would use."""
    return sqlite3.connect(hall.db.sqlite_path, isolation_level=None)


def count(hall: Hall, table: str) -> int:
    conn = raw(hall)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def run_treasurer(*args: str, data_dir: Path, stdin: str | None = None, env: dict | None = None
                  ) -> subprocess.CompletedProcess:
    """The installed console script, as a treasurer would run it."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([str(TREASURER), "--data-dir", str(data_dir), *args], input=stdin, text=True,
                          capture_output=True, env=full_env, timeout=120)


def paid_session_event(run: str, n: int, metadata: dict, *, pi: str | None = None,
                       kind: str = "checkout.session.completed") -> bytes:
    """A webhook's body as Stripe sends it: event ``evt_<run>_<n>`` about the paid Checkout Session
    ``cs_<run>_<n>`` ($45.00, PaymentIntent ``pi_<run>_<n>`` unless ``pi`` says another)."""
    import json
    import time

    obj = {"id": f"cs_{run}_{n}", "object": "checkout.session", "mode": "payment", "amount_total": 4500,
           "currency": "usd", "payment_intent": pi or f"pi_{run}_{n}", "payment_status": "paid",
           "payment_method_types": ["card"], "metadata": metadata}
    event = {"id": f"evt_{run}_{n}", "object": "event", "api_version": "2025-09-30.clover", "created": int(time.time()),
             "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
             "type": kind, "data": {"object": obj}}
    return json.dumps(event).encode()
