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
from treasurer.errors import PermissionDenied
from treasurer.officers import add_officer, authenticate

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


def officers(hall: Hall) -> None:
    add_officer(hall, "Pat Morales", "treasurer", "1234")
    add_officer(hall, "Sam Okafor", "president", "5678", vouched_by="Pat Morales", vouching_pin="1234")


def pin_works(hall: Hall, name: str, pin: str) -> bool:
    with hall.read() as s:
        try:
            authenticate(s, name, pin)
        except PermissionDenied:
            return False
    return True


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
