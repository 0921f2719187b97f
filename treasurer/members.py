"""The member roll: adding, changing and finding members."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .errors import NotFound, ValidationError
from .hall import Hall, Tx
from .models import MEMBER_STATUSES, Member
from .text_input import clean_name

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


FIELD_LABELS = {"member_number": "member number", "first_name": "first name", "last_name": "last name",
                "email": "email", "phone": "phone", "address": "address", "notes": "notes"}
MULTILINE_FIELDS = ("address", "notes")


def clean_field(field: str, value: str, label: str | None = None) -> str:
    """A member's text field as stored, or a ValidationError naming the field and the character.

    Names and single-line fields: runs of spaces folded, control characters and direction marks refused
    (``text_input.clean_name``). Address and notes keep their line breaks; anything else invisible is refused.
    """
    label = label or FIELD_LABELS.get(field, field.replace("_", " "))
    text = str(value).strip()
    if field not in MULTILINE_FIELDS:
        return clean_name(text, label, required=False)
    lines = text.splitlines()
    for position, char in enumerate(text, start=1):
        if char not in "\n\r\t" and unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise ValidationError(f"The {label} {_shown(text)} holds a control character (U+{ord(char):04X}) "
                                  f"at character {position}; type it again without it.")
    for line in lines:
        clean_name(line, label, required=False)
    return "\n".join(line.rstrip() for line in lines).strip()


def _shown(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def text_problem(exc: ValidationError) -> str:
    """A ValidationError's sentence as a problem in a list: 'the first name ... without it'."""
    sentence = str(exc).rstrip(".")
    return sentence[:1].lower() + sentence[1:]


def problems_sentence(problems: list[tuple[str, str]]) -> str:
    text = "; ".join(f"{field}: {msg}" for field, msg in problems)
    return text[:1].upper() + text[1:] + "."


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
    text: dict[str, str] = {}
    for field in ("member_number", "first_name", "last_name", "email", "phone", "address", "notes"):
        try:
            text[field] = clean_field(field, getattr(data, field))
        except ValidationError as exc:
            problems.append((field, text_problem(exc)))
            text[field] = str(getattr(data, field)).strip()
    number = text["member_number"]
    if not number:
        problems.append(("member_number", "the member number is missing"))
    if not text["first_name"] and not text["last_name"]:
        problems.append(("last_name", "the name is missing"))
    email = text["email"]
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
    values = dict(member_number=number, first_name=text["first_name"], last_name=text["last_name"],
                  email=email, phone=text["phone"], address=text["address"], classification_id=class_id,
                  status=status, join_date=data.join_date, notes=text["notes"])
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
            raise ValidationError(problems_sentence(problems))
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
            raise ValidationError(problems_sentence(problems))
        return apply_changes(tx, member, values)


def set_status(tx: Tx, member: Member, status: str, reason: str) -> None:
    if msg := check_status(status):
        raise ValidationError(msg.capitalize() + ".")
    reason = clean_name(reason, "reason", required=False)
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
