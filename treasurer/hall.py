"""A hall's books: the database, who is acting, and the hall's settings."""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, audit_rows, config
from .db import Database, open_database
from .errors import PinRejected, UserFacingError, ValidationError
from .models import Setting
from .money import parse_amount, plain_cents
from .private_files import protect_database
from .text_input import clean_name

SETTINGS = {
    # key: (default, description)
    "hall_name": ("", "the hall's name as printed on slips"),
    "hall_address": ("", "the hall's mailing address, printed on slips"),
    "currency": ("usd", "the hall's one currency"),
    "treasurer_name": ("", "who is recorded in the audit log when no one else is named"),
    "due_day": ("1", "day of the month dues fall due"),
    "grace_day": ("15", "last day of the grace period"),
    "install_id": ("", "this hall's books' own id, in Stripe metadata and idempotency keys"),
    "stripe_api_base": ("", "another Stripe API address (the sandbox's), empty for Stripe itself"),
    "amount_ceiling": ("100000.00", "the largest single amount the books accept (a payment, credit or rate)"),
    "stripe_books_mode": ("", "live or test: the Stripe mode whose payments these books record (set by the "
                              "first event, never by hand)"),
}
# Kept by the app itself: changed by hand they would let test payments count as real money, or forge the keys
# that tie Stripe's objects to these books.
INTERNAL_SETTINGS = ("install_id", "stripe_books_mode")


class Tx:
    """One write transaction; audit entries collected here are written before it commits."""

    def __init__(self, session: Session, actor: str):
        self.session = session
        self.actor = actor
        self._changes: list[audit.Change] = []

    def audit(self, action: str, entity_type: str, entity_id, before: dict | None = None,
              after: dict | None = None) -> None:
        self._changes.append(audit.Change(action, entity_type, entity_id, before, after))

    def flush_audit(self) -> None:
        rows_json = audit_rows.take_snapshots(self.session)
        if rows_json is not None:
            # The rows ride on the transaction's last entry; a write that named no change still gets one.
            last = self._changes.pop() if self._changes else audit.Change("books.write", "books", "-")
            self._changes.append(dataclasses.replace(last, rows_json=rows_json))
        audit.record_many(self.session, self.actor, self._changes)
        self._changes.clear()


class Hall:
    def __init__(self, db: Database, actor: str | None = None, data_path: Path | None = None):
        self.db = db
        self.data_path = data_path
        self._actor = actor
        self._currency: str | None = None

    @property
    def actor(self) -> str:
        with self.db.read() as session:
            return self._actor_in(session)

    def _actor_in(self, session: Session) -> str:
        if self._actor:
            return self._actor
        configured = os.environ.get("TREASURER_USER") or setting_in(session, "treasurer_name")
        return configured or _os_user()

    @contextlib.contextmanager
    def write(self) -> Iterator[Tx]:
        try:
            with self.db.write() as session:
                # Read inside the write's own transaction: no second session for every write.
                tx = Tx(session, self._actor_in(session))
                yield tx
                tx.flush_audit()
        except PinRejected as exc:
            # The action is rolled back; the wrong PIN itself is kept, in a transaction of its own.
            from .officers import record_wrong_pin

            record_wrong_pin(self, exc.officer_id)
            raise

    def read(self):
        return self.db.read()

    def setting(self, key: str) -> str:
        default, _ = SETTINGS[key]
        with self.db.read() as s:
            row = s.get(Setting, key)
            return row.value if row else default

    def settings(self) -> dict[str, str]:
        with self.db.read() as s:
            stored = {row.key: row.value for row in s.scalars(select(Setting))}
        return {key: stored.get(key, default) for key, (default, _) in SETTINGS.items()}

    def set_setting(self, key: str, value: str) -> None:
        if key not in SETTINGS:
            raise ValidationError(f"There is no setting called {key!r}.")
        if key in INTERNAL_SETTINGS:
            raise ValidationError(f"The setting {key} is kept by Hall Treasurer itself and cannot be changed by "
                                  f"hand.")
        if key == "currency":
            raise ValidationError("The hall's currency is chosen when its books start ('treasurer init "
                                  "--currency') and cannot change: every amount in the books is in it.")
        if key == "amount_ceiling":
            value = plain_cents(parse_amount(value, field="amount ceiling"))
        elif key in ("hall_name", "treasurer_name"):
            value = clean_name(value, SETTINGS[key][1], required=key == "hall_name")
        with self.write() as tx:
            set_setting(tx, key, value)

    @property
    def currency(self) -> str:
        """Read once it is stored: only ``init_hall`` sets it, and never to another (a statement prints
        dozens of amounts, each of which would otherwise be a query)."""
        if self._currency is None:
            with self.db.read() as s:
                row = s.get(Setting, "currency")
            if row is None:
                return SETTINGS["currency"][0]
            self._currency = row.value
        return self._currency

    @property
    def initialised(self) -> bool:
        return bool(self.setting("hall_name"))

    def close(self) -> None:
        self.db.close()


def setting_in(session: Session, key: str) -> str:
    """A setting read inside an open transaction."""
    row = session.get(Setting, key)
    return row.value if row else SETTINGS[key][0]


def set_setting(tx: Tx, key: str, value: str) -> None:
    row = tx.session.get(Setting, key)
    before = {"value": row.value} if row else None
    if row is None:
        tx.session.add(Setting(key=key, value=value))
    elif row.value == value:
        return
    else:
        row.value = value
    tx.audit("setting.set", "setting", key, before, {"value": value})


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name on some service accounts
        return "unknown"


def open_hall(data_dir: str | None = None, database_url: str | None = None,
              actor: str | None = None) -> Hall:
    path = config.data_dir(data_dir)
    url = config.database_url(path, database_url)
    db = open_database(url)
    protect_database(db.sqlite_path)        # the books and their -wal/-shm/-journal: the owner's alone
    return Hall(db, actor=actor, data_path=path)


def init_hall(hall: Hall, hall_name: str, currency: str = "usd", address: str = "") -> None:
    name = clean_name(hall_name, "hall name", required=False)
    if not name:
        raise ValidationError("The hall needs a name (for example \"IBEW Local 000\").")
    currency = currency.strip().lower()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError(f"The currency {currency!r} is not a three-letter code such as usd.")
    if hall.initialised and hall.setting("currency") != currency:
        raise UserFacingError("This hall already has books in another currency; its currency cannot change.")
    with hall.write() as tx:
        if not hall.setting("install_id"):
            set_setting(tx, "install_id", uuid.uuid4().hex[:16])
        set_setting(tx, "hall_name", name)
        set_setting(tx, "currency", currency)
        if address:
            set_setting(tx, "hall_address", address)
