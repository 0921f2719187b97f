"""The SQL that reads one member's sheet (``treasurer.member_sheet``) and who is in arrears
(``treasurer.arrears``), as SQLAlchemy Core expressions.

The normal path runs these expressions through a session (``treasurer.statement``, ``treasurer.slips``,
``treasurer.arrears``); the command line's quick path (``treasurer.member_quick``) runs the same expressions
compiled for SQLite, which ``python -m treasurer.member_reads`` writes into ``treasurer/member_reads_sqlite.py``.
A member's standing is ``treasurer.ledger.standings``' own statements, recorded as it builds them; who is behind
is ``treasurer.ledger.standing_totals_select``.  tests/test_member_quick.py
compiles everything again and fails if the generated module differs: regenerate it after changing a query
here, in ``treasurer.ledger`` or in the models, or after adding a migration.
"""

from __future__ import annotations

import datetime as dt
import pprint
import sys
from pathlib import Path

from sqlalchemy import Date, Integer, String, bindparam, cast, select
from sqlalchemy.dialects import sqlite

from . import ledger
from .db import HEAD_REVISION
from .hall import SETTINGS
from .models import (
    Adjustment,
    AdjustmentDecision,
    AuditEntry,
    Charge,
    Classification,
    DuesPeriod,
    LinkClosure,
    Member,
    Payment,
    Setting,
    Slip,
)

GENERATED = Path(__file__).with_name("member_reads_sqlite.py")
MEMBER_ID = bindparam("member_id", type_=Integer)
TODAY = bindparam("today", type_=Date)


def member():
    """The member by number: id, number, names, status, classification."""
    return (select(Member.id, Member.member_number, Member.first_name, Member.last_name, Member.status,
                   Classification.name)
            .join(Classification, Member.classification_id == Classification.id)
            .where(Member.member_number == bindparam("member_number", type_=String)))


def hall_settings():
    """The two settings the sheet needs: whether the books are started (a hall name), and their currency."""
    return select(Setting.key, Setting.value).where(Setting.key.in_(["hall_name", "currency"]))


def charges():
    """(period start, period code, cents) of each dues charge."""
    return (select(DuesPeriod.starts_on, DuesPeriod.code, Charge.amount_cents)
            .join(DuesPeriod, Charge.period_id == DuesPeriod.id)
            .where(Charge.member_id == MEMBER_ID).order_by(DuesPeriod.starts_on, Charge.id))


def payments():
    """(id, method, reference, status, received on, cents) of each payment, whatever its status."""
    return (select(Payment.id, Payment.method, Payment.reference, Payment.status, Payment.received_on,
                   Payment.amount_cents)
            .where(Payment.member_id == MEMBER_ID).order_by(Payment.id))


def adjustments():
    """(id, kind, cents, effective on, reason) of each adjustment, in force or not."""
    return (select(Adjustment.id, Adjustment.kind, Adjustment.amount_cents, Adjustment.effective_on,
                   Adjustment.reason)
            .where(Adjustment.member_id == MEMBER_ID).order_by(Adjustment.id))


def effective_adjustments():
    """The ids of the member's adjustments in force (the ledger's own rule)."""
    return select(Adjustment.id).where(Adjustment.member_id == MEMBER_ID, ledger.effective_adjustments())


def decisions():
    """(adjustment id, approved or denied) for the member's decided adjustments."""
    return (select(AdjustmentDecision.adjustment_id, AdjustmentDecision.decision)
            .join(Adjustment, AdjustmentDecision.adjustment_id == Adjustment.id)
            .where(Adjustment.member_id == MEMBER_ID))


def slips():
    """The member's slips, newest first (``member_sheet.slip_histories``' columns)."""
    return (select(Slip.id, Slip.status, Slip.amount_cents, Slip.currency, Slip.periods, Slip.covers,
                   Slip.created_at, Slip.url, Slip.pay_by)
            .where(Slip.member_id == MEMBER_ID).order_by(Slip.id.desc()))


def slip_changes():
    """The audit log's entries that closed the member's slips, in the log's order."""
    ids = select(cast(Slip.id, String)).where(Slip.member_id == MEMBER_ID)
    return (select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.at, AuditEntry.after_json)
            .where(AuditEntry.entity_type == "slip", AuditEntry.entity_id.in_(ids),
                   AuditEntry.action.not_in(("slip.create", "slip.link")))
            .order_by(AuditEntry.seq))


def closed_links():
    """The member's slips whose payment link Stripe confirmed switched off."""
    return select(LinkClosure.slip_id).where(LinkClosure.slip_id.in_(select(Slip.id).where(
        Slip.member_id == MEMBER_ID)))


def roll():
    """(id, number, first name, last name, status) of every member: ``treasurer arrears``' list."""
    return select(Member.id, Member.member_number, Member.first_name, Member.last_name, Member.status)


def behind():
    """The members ``min_months`` or more behind on ``today``, by ``ledger.standing_totals_select`` (which walks
    only the members behind: a seventh of the time of ``ledger.standings`` over the whole roll)."""
    totals = ledger.standing_totals_select(TODAY).subquery("totals")
    return select(totals.c.member_id).where(totals.c.months_in_arrears >= bindparam("min_months", type_=Integer))


class _Recorder:
    """Stands in for a session while ``ledger.standings`` builds its statements, and keeps them."""

    def __init__(self):
        self.statements = []

    def execute(self, statement):
        self.statements.append(statement)
        return _NoRows()


class _NoRows:
    def __iter__(self):
        return iter(())

    def all(self):
        return []


def standing_statements() -> dict:
    """``ledger.standings``' statements for one member (``member_id``) on a day (``today``): its walk in SQL,
    the member's pending payments, the member's credits (for a member with nothing charged yet)."""
    recorder = _Recorder()
    ledger.standings(recorder, TODAY, [MEMBER_ID])
    walk, pending, credits = recorder.statements      # if ledger.standings changes shape, this fails loudly
    return {"standing": walk, "pending": pending, "credits": credits}


def statements() -> dict:
    """Every statement the quick path runs, by name."""
    return {"member": member(), "settings": hall_settings(), "charges": charges(), "payments": payments(),
            "adjustments": adjustments(), "effective": effective_adjustments(), "decisions": decisions(),
            "slips": slips(), "slip_changes": slip_changes(), "closed_links": closed_links(),
            **standing_statements(), "roll": roll(), "behind": behind()}


def compile_for_sqlite(statement) -> tuple[str, dict]:
    """SQLite's SQL text with named parameters, and the values of the parameters the expression fixes."""
    compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))
    # An IN with a list is rendered as one parameter per item; the caller's parameters stay named.
    given = {"member_id": 0, "member_number": "", "today": dt.date.min, "min_months": 1}
    expanded = compiled.construct_expanded_state({k: v for k, v in given.items() if k in compiled.binds})
    fixed = {}
    for name, value in expanded.parameters.items():
        if name in given:
            continue
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            raise TypeError(f"{name}={value!r}: the quick path passes parameters to sqlite3 as they are")
        fixed[name] = value
    return expanded.statement, fixed


def generated_source() -> str:
    queries = {name: compile_for_sqlite(statement) for name, statement in statements().items()}
    body = pprint.pformat(queries, width=116, sort_dicts=True)
    return (f'# ruff: noqa\n'   # generated, as pprint lays it out
            f'"""Generated by \'python -m treasurer.member_reads\' from the SQLAlchemy Core expressions in\n'
            f'treasurer/member_reads.py and treasurer/ledger.py, compiled for SQLite: do not edit by hand.\n'
            f'tests/test_member_quick.py fails if this differs from what they compile to now."""\n\n'
            f'SCHEMA_REVISION = {HEAD_REVISION!r}\n'
            f'DEFAULT_CURRENCY = {SETTINGS["currency"][0]!r}\n\n'
            f'# name: (SQL with :named parameters, the parameters the expression fixes)\n'
            f'QUERIES = {body}\n')


def main() -> int:
    GENERATED.write_text(generated_source(), encoding="utf-8")
    print(f"Wrote {GENERATED}.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
