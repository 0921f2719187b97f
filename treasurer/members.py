"""The member roll: adding, changing and finding members."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .errors import NotFound, ValidationError
from .hall import Hall, Tx
from .models import MEMBER_STATUSES, Member

MEMBER_FIELDS = ("member_number", "first_name", "last_name", "email", "phone", "address",
                 "classification_id", "status", "join_date", "notes")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclasses.dataclass
class MemberData:
    """What a person types or a CSV row holds, before it is checked."""

    member_number: str
    first_name: str
    last_name: str
    classification: str
    email: str = ""
    phone: str = ""
    address: str = ""
    status: str = "active"
    join_date: dt.date | None = None
    notes: str = ""


def check_email(email: str) -> str | None:
    """A problem with the address, or None."""
    if email and not _EMAIL.match(email):
        return f"{email!r} is not an email address"
    return None


def check_status(status: str) -> str | None:
    if status not in MEMBER_STATUSES:
        return f"status {status!r} is not one of {', '.join(MEMBER_STATUSES)}"
    return None


def find_member(session: Session, member_number: str) -> Member:
    member = session.scalar(select(Member).options(joinedload(Member.classification))
                            .where(Member.member_number == member_number.strip()))
    if member is None:
        raise NotFound(f"There is no member number {member_number.strip()!r}.")
    return member


def validate(session: Session, data: MemberData) -> tuple[dict, list[tuple[str, str]]]:
    """The member's column values and the problems found, as (field, what is wrong)."""
    from .dues import find_classification  # dues imports periods, which imports members' neighbours

    problems: list[tuple[str, str]] = []
    number = data.member_number.strip()
    if not number:
        problems.append(("member_number", "the member number is missing"))
    if not data.first_name.strip() and not data.last_name.strip():
        problems.append(("last_name", "the name is missing"))
    email = data.email.strip()
    if msg := check_email(email):
        problems.append(("email", msg))
    status = (data.status or "active").strip().lower()
    if msg := check_status(status):
        problems.append(("status", msg))
    class_id = None
    try:
        class_id = find_classification(session, data.classification).id
    except NotFound:
        problems.append(("classification", f"unknown classification {data.classification.strip()!r}"))
    values = dict(member_number=number, first_name=data.first_name.strip(), last_name=data.last_name.strip(),
                  email=email, phone=data.phone.strip(), address=data.address.strip(), classification_id=class_id,
                  status=status, join_date=data.join_date, notes=data.notes.strip())
    return values, problems


def snapshot(member: Member) -> dict:
    from .audit import snapshot as snap

    return snap(member, MEMBER_FIELDS)


def add_member(hall: Hall, data: MemberData) -> Member:
    with hall.write() as tx:
        values, problems = validate(tx.session, data)
        if tx.session.scalar(select(Member.id).where(Member.member_number == values["member_number"])):
            problems.append(("member_number", f"member number {values['member_number']} is already on the roll"))
        if problems:
            raise ValidationError("; ".join(f"{field}: {msg}" for field, msg in problems).capitalize() + ".")
        return insert_member(tx, values)


def insert_member(tx: Tx, values: dict) -> Member:
    member = Member(**values)
    tx.session.add(member)
    tx.session.flush()
    tx.audit("member.add", "member", member.id, None, snapshot(member))
    return member


def apply_changes(tx: Tx, member: Member, values: dict) -> bool:
    """Set changed fields; audit before/after.  False when nothing changed."""
    before = snapshot(member)
    changed = {k: v for k, v in values.items() if getattr(member, k) != v}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(member, key, value)
    tx.session.flush()
    tx.audit("member.update", "member", member.id, before, snapshot(member))
    return True


def update_member(hall: Hall, member_number: str, data: MemberData) -> bool:
    with hall.write() as tx:
        member = find_member(tx.session, member_number)
        values, problems = validate(tx.session, data)
        if values["member_number"] != member.member_number and tx.session.scalar(
                select(Member.id).where(Member.member_number == values["member_number"])):
            problems.append(("member_number", f"member number {values['member_number']} is already on the roll"))
        if problems:
            raise ValidationError("; ".join(f"{field}: {msg}" for field, msg in problems).capitalize() + ".")
        return apply_changes(tx, member, values)


def set_status(tx: Tx, member: Member, status: str, reason: str) -> None:
    if msg := check_status(status):
        raise ValidationError(msg.capitalize() + ".")
    before = snapshot(member)
    member.status = status
    tx.session.flush()
    tx.audit("member.status", "member", member.id, before | {"reason": reason}, snapshot(member))


def change_status(hall: Hall, member_number: str, status: str, reason: str) -> None:
    with hall.write() as tx:
        set_status(tx, find_member(tx.session, member_number), status, reason)


def list_members(hall: Hall) -> list[Member]:
    with hall.read() as s:
        return list(s.scalars(select(Member).options(joinedload(Member.classification))
                              .order_by(Member.member_number)))
