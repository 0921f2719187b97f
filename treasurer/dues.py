"""Classifications, their dues rates over time, and assessing a period."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from . import clock
from .errors import NotFound, PeriodClosed, ValidationError
from .hall import Hall
from .limits import check_amount
from .models import FREQUENCIES, Charge, Classification, DuesRate, Member
from .payment_links import close_now, link_ids, settle_open_slips
from .periods import get_or_create_period, is_closed, parse_period
from .text_input import clean_name

ASSESSED_STATUSES = ("active", "retired")


def add_classification(hall: Hall, name: str, rate_cents: int, frequency: str = "monthly",
                       effective_from: dt.date | None = None, per_capita_cents: int = 0) -> Classification:
    name = clean_name(name, "classification name", required=False)
    if not name:
        raise ValidationError("A classification needs a name (for example Journeyman Wireman).")
    if frequency not in FREQUENCIES:
        raise ValidationError(f"The billing frequency {frequency!r} is not monthly or quarterly.")
    _check_rate(rate_cents, per_capita_cents)
    start = effective_from or dt.date(clock.today().year, 1, 1)
    with hall.write() as tx:
        _check_rate_ceiling(tx.session, rate_cents, per_capita_cents)
        if tx.session.scalar(select(Classification).where(Classification.name == name)):
            raise ValidationError(f"There is already a classification named {name}.")
        klass = Classification(name=name, frequency=frequency, created_at=clock.stamp())
        tx.session.add(klass)
        tx.session.flush()
        tx.audit("classification.add", "classification", klass.id, None, {"name": name, "frequency": frequency})
        _add_rate(tx, klass, rate_cents, per_capita_cents, start)
    return klass


def add_rate(hall: Hall, class_name: str, rate_cents: int, effective_from: dt.date,
             per_capita_cents: int = 0) -> DuesRate:
    """A new rate from a date on; earlier rates stay as they were."""
    _check_rate(rate_cents, per_capita_cents)
    with hall.write() as tx:
        _check_rate_ceiling(tx.session, rate_cents, per_capita_cents)
        klass = find_classification(tx.session, class_name)
        if any(r.effective_from == effective_from for r in klass.rates):
            raise ValidationError(f"{klass.name} already has a rate from {effective_from.isoformat()}.")
        return _add_rate(tx, klass, rate_cents, per_capita_cents, effective_from)


def _add_rate(tx, klass: Classification, rate_cents: int, per_capita_cents: int, start: dt.date) -> DuesRate:
    rate = DuesRate(classification=klass, amount_cents=rate_cents, per_capita_cents=per_capita_cents,
                    effective_from=start, created_at=clock.stamp())
    tx.session.add(rate)
    tx.session.flush()
    tx.audit("rate.add", "classification", klass.id, None,
             {"rate_id": rate.id, "amount_cents": rate_cents, "per_capita_cents": per_capita_cents,
              "effective_from": start.isoformat()})
    return rate


def _check_rate(rate_cents: int, per_capita_cents: int) -> None:
    if rate_cents < 0 or per_capita_cents < 0:
        raise ValidationError("Rates cannot be negative.")
    if per_capita_cents > rate_cents:
        raise ValidationError("The per-capita amount cannot be more than the dues rate.")


def _check_rate_ceiling(session: Session, rate_cents: int, per_capita_cents: int) -> None:
    check_amount(session, rate_cents, "dues rate")
    check_amount(session, per_capita_cents, "per-capita amount")


def find_classification(session: Session, name: str) -> Classification:
    wanted = " ".join(name.split()).casefold()
    for klass in session.scalars(select(Classification).options(selectinload(Classification.rates))):
        if klass.name.casefold() == wanted:
            return klass
    raise NotFound(f"There is no classification named {name!r}.")


def rate_in_force(rates: list[DuesRate], day: dt.date) -> DuesRate | None:
    """The rate with the latest start on or before ``day`` (unless it has ended)."""
    chosen = None
    for rate in rates:
        if rate.effective_from <= day and (chosen is None or rate.effective_from > chosen.effective_from):
            chosen = rate
    if chosen and chosen.effective_to and chosen.effective_to < day:
        return None
    return chosen


def list_classifications(hall: Hall) -> list[Classification]:
    with hall.read() as s:
        return list(s.scalars(select(Classification).options(selectinload(Classification.rates))
                              .order_by(Classification.name)))


@dataclasses.dataclass(frozen=True)
class Assessment:
    period: str
    charges: int
    total_cents: int
    already_assessed: int
    no_rate: list[str]
    superseded: tuple[int, ...] = ()    # the open slips this assessment superseded (it changed what was owed)


def plan_assessment(session: Session, code: str) -> tuple[list[dict], int, list[str]]:
    """The charges assessing ``code`` would add (without writing), those already there, classes with no rate."""
    span = parse_period(code)
    classes = {k.id: k for k in session.scalars(
        select(Classification).where(Classification.frequency == span.frequency)
        .options(selectinload(Classification.rates)))}
    rates = {cid: rate_in_force(k.rates, span.starts_on) for cid, k in classes.items()}
    existing = set(session.scalars(
        select(Charge.member_id).join(Charge.period).where(Charge.period.has(code=span.code))))
    members = session.execute(
        select(Member.id, Member.classification_id).where(
            Member.status.in_(ASSESSED_STATUSES),
            Member.classification_id.in_(list(classes)),
            (Member.join_date.is_(None)) | (Member.join_date <= span.ends_on),
        ).order_by(Member.id)
    ).all()
    planned, already = [], 0
    for member_id, class_id in members:
        rate = rates[class_id]
        if rate is None or rate.amount_cents == 0:
            continue
        if member_id in existing:
            already += 1
            continue
        planned.append(dict(member_id=member_id, rate_id=rate.id, amount_cents=rate.amount_cents,
                            per_capita_cents=rate.per_capita_cents))
    no_rate = sorted(k.name for cid, k in classes.items() if rates[cid] is None)
    return planned, already, no_rate


def preview_assessment(hall: Hall, code: str) -> Assessment:
    with hall.read() as s:
        planned, already, no_rate = plan_assessment(s, code)
    return Assessment(parse_period(code).code, len(planned), sum(p["amount_cents"] for p in planned), already, no_rate)


def assess(hall: Hall, code: str, gateway=None) -> Assessment:
    """Charge every assessable member for the period once; running it again adds nothing.

    Each member charged has their open slips superseded (links off after commit: at once with ``gateway``,
    else by the link-closure queue)."""
    links: list[str] = []
    superseded: tuple[int, ...] = ()
    span = parse_period(code)
    settings = hall.settings()
    with hall.write() as tx:
        period = get_or_create_period(tx, span.code, int(settings["due_day"]), int(settings["grace_day"]))
        if is_closed(tx.session, period.id):
            raise PeriodClosed(f"Period {span.code} is closed; no new charges can be added to it.")
        planned, already, no_rate = plan_assessment(tx.session, span.code)
        stamp = clock.stamp()
        for row in planned:
            row.update(period_id=period.id, created_at=stamp)
        if planned:
            inserted = tx.session.execute(insert(Charge).returning(Charge.id, Charge.member_id, Charge.amount_cents),
                                          planned).all()
            for charge_id, member_id, amount in inserted:
                tx.audit("charge.assess", "charge", charge_id, None,
                         {"member_id": member_id, "period": span.code, "amount_cents": amount})
        total = sum(p["amount_cents"] for p in planned)
        if planned:
            tx.audit("dues.assess", "period", span.code, None, {"charges": len(planned), "total_cents": total})
            settled = settle_open_slips(tx, [p["member_id"] for p in planned], f"dues for {span.code} assessed")
            links, superseded = link_ids(settled), tuple(slip.id for slip in settled)
    close_now(hall, gateway, links)
    return Assessment(span.code, len(planned), total, already, no_rate, superseded)
