"""The Stripe events inbox: store first (durably, once per event id), process after.

Following dj-stripe: the raw event is written and committed before anything
else happens, so nothing that reached us is lost; processing is a separate,
idempotent step keyed by the event id.
"""

from __future__ import annotations

import dataclasses
import json
import re

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import clock
from .hall import Hall
from .models import RelayState, StripeEvent

SOURCES = ("webhook", "cli", "poll", "fetch")
_EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_]{1,250}$")
_EVENT_TYPE = re.compile(r"^[a-z0-9_.]{1,80}$")
_API_VERSION = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
LATEST_CREATED = 2**37  # the year 6325: anything later is not a real event time


@dataclasses.dataclass(frozen=True)
class Incoming:
    id: str
    type: str
    created: int
    livemode: bool
    api_version: str | None
    payload: str
    source: str


def parse(raw: bytes | str, source: str) -> Incoming:
    """The fields the inbox keys on; raises ValueError for anything that is not a Stripe event."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return _checked(json.loads(text), text, source)


def from_object(data: dict, source: str) -> Incoming:
    """``parse`` for an event already read as an object (a page of the Events API): stored as ``json.dumps`` of it."""
    return _checked(data, json.dumps(data), source)


def _checked(data, text: str, source: str) -> Incoming:
    if not isinstance(data, dict) or data.get("object") != "event":
        raise ValueError("not a Stripe event object")
    event_id, event_type, created = data.get("id"), data.get("type"), data.get("created")
    api_version = data.get("api_version")
    if not (isinstance(event_id, str) and _EVENT_ID.match(event_id)):
        raise ValueError("the event has no valid id")
    if not (isinstance(event_type, str) and _EVENT_TYPE.match(event_type)):
        raise ValueError("the event has no valid type")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 < created < LATEST_CREATED:
        raise ValueError("the event has no valid created time")
    if api_version is not None and not (isinstance(api_version, str) and _API_VERSION.match(api_version)):
        raise ValueError("the event's api_version is not a version string")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not isinstance(obj, dict):
        raise ValueError("the event carries no object")
    return Incoming(event_id, event_type, created, data.get("livemode") is True, api_version, text, source)


def store_many(hall: Hall, events: list[Incoming], state: dict[str, str] | None = None) -> list[bool]:
    """Write the events in one transaction; True for each that was new (a duplicate id changes nothing).

    ``state`` (the polling cursor) is written in the same transaction, so it never runs ahead of what is stored.
    """
    if not events:
        return []
    stamp = clock.stamp()
    fresh = []
    rows = []
    # Core statements on the write transaction's connection: storing is on every acknowledgement's path, and the
    # inbox is Stripe's copies, outside the audit log (no ORM objects, no flush).
    with hall.db.write() as s:
        conn = s.connection()
        ids = [e.id for e in events]
        known = set(conn.execute(select(_EVENTS.c.id).where(_EVENTS.c.id.in_(ids))).scalars())
        for e in events:
            if e.id in known:
                fresh.append(False)
                continue
            known.add(e.id)
            rows.append({"id": e.id, "type": e.type, "created": e.created, "livemode": e.livemode,
                         "api_version": e.api_version, "payload": e.payload, "source": e.source, "received_at": stamp,
                         "outcome": "pending", "detail": "", "attempts": 0})
            fresh.append(True)
        if rows:  # one statement for them all
            conn.execute(insert(_EVENTS), rows)
        for key, value in {"last_event_at": stamp, **(state or {})}.items():
            _put_state(conn, key, value)
    return fresh


_EVENTS = StripeEvent.__table__
_STATE = RelayState.__table__


def _put_state(conn, key: str, value: str) -> None:
    if not conn.execute(update(_STATE).where(_STATE.c.key == key).values(value=value)).rowcount:
        conn.execute(insert(_STATE).values(key=key, value=value))


def store(hall: Hall, event: Incoming) -> bool:
    try:
        return store_many(hall, [event])[0]
    except IntegrityError:  # another process stored the same id between our check and our insert
        return False


def get_state(hall: Hall, key: str) -> str | None:
    with hall.db.read() as s:
        row = s.get(RelayState, key)
        return row.value if row else None


def set_state(hall: Hall, key: str, value: str) -> None:
    with hall.db.write() as s:
        _put_state(s.connection(), key, value)


def waiting(hall: Hall, outcomes: tuple[str, ...] = ("pending",), limit: int = 500) -> list[str]:
    """Event ids to (re)process, oldest first."""
    with hall.db.read() as s:
        return list(s.scalars(select(StripeEvent.id).where(StripeEvent.outcome.in_(outcomes))
                              .order_by(StripeEvent.created, StripeEvent.id).limit(limit)))


def counts(hall: Hall) -> dict[str, int]:
    with hall.db.read() as s:
        return dict(s.execute(select(StripeEvent.outcome, func.count()).group_by(StripeEvent.outcome)).all())


def latest(hall: Hall) -> StripeEvent | None:
    with hall.db.read() as s:
        return s.scalar(select(StripeEvent).order_by(StripeEvent.created.desc(), StripeEvent.id.desc()).limit(1))
