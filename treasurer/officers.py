"""Officers: named people with a role and a PIN (salted scrypt hash)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .errors import NotFound, PermissionDenied, ValidationError
from .hall import Hall
from .models import OFFICER_ROLES, Officer

_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def validate_pin(pin: str) -> str:
    pin = pin.strip()
    if not (4 <= len(pin) <= 12 and pin.isdigit()):
        raise ValidationError("A PIN is 4 to 12 digits.")
    return pin


def add_officer(hall: Hall, name: str, role: str, pin: str) -> Officer:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("An officer needs a name.")
    if role not in OFFICER_ROLES:
        raise ValidationError(f"The role {role!r} is not one of: {', '.join(OFFICER_ROLES)}.")
    pin = validate_pin(pin)
    with hall.write() as tx:
        if tx.session.scalar(select(Officer).where(Officer.name == name)):
            raise ValidationError(f"There is already an officer named {name}.")
        officer = Officer(name=name, role=role, pin_hash=hash_pin(pin), created_at=clock.stamp())
        tx.session.add(officer)
        tx.session.flush()
        tx.audit("officer.add", "officer", officer.id, None, {"name": name, "role": role})
    return officer


def find_officer(session: Session, name: str) -> Officer:
    officer = session.scalar(select(Officer).where(Officer.name == " ".join(name.split())))
    if officer is None:
        raise NotFound(f"There is no officer named {name!r}; add one with 'treasurer officers add'.")
    return officer


def authenticate(session: Session, name: str, pin: str) -> Officer:
    officer = find_officer(session, name)
    if not check_pin(pin.strip(), officer.pin_hash):
        raise PermissionDenied(f"The PIN for {officer.name} is not right.")
    return officer


def list_officers(hall: Hall) -> list[Officer]:
    with hall.read() as s:
        return list(s.scalars(select(Officer).order_by(Officer.name)))
