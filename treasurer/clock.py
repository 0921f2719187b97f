"""The current time, in one place so that tests and the demo can set it."""

from __future__ import annotations

import datetime as dt
import os


def now() -> dt.datetime:
    """UTC now; ``TREASURER_TODAY=YYYY-MM-DD`` pins the date (demo data, reproducible tests)."""
    pinned = os.environ.get("TREASURER_TODAY")
    if pinned:
        day = dt.date.fromisoformat(pinned)
        real = dt.datetime.now(dt.UTC)
        return real.replace(year=day.year, month=day.month, day=day.day)
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


def stamp() -> str:
    """An ISO 8601 UTC timestamp with microseconds, as stored in ``*_at`` columns."""
    return now().isoformat(timespec="microseconds")
