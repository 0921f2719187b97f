"""Officers: named people with a role and a PIN (salted scrypt hash); kept, never deleted, when they leave."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import func, select
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


def add_officer(hall: Hall, name: str, role: str, pin: str, *, vouched_by: str | None = None,
                vouching_pin: str = "") -> Officer:
    """A new officer; once the hall has one, an active officer must vouch with their PIN.

    Officers approve each other's credits: if anyone at the keyboard could add one, the second officer
    could be made up.
    """
    name = " ".join(name.split())
    if not name:
        raise ValidationError("An officer needs a name.")
    if role not in OFFICER_ROLES:
        raise ValidationError(f"The role {role!r} is not one of: {', '.join(OFFICER_ROLES)}.")
    pin = validate_pin(pin)
    with hall.write() as tx:
        if tx.session.scalar(select(Officer).where(Officer.name == name)):
            raise ValidationError(f"There is already an officer named {name}.")
        record = {"name": name, "role": role}
        if tx.session.scalar(select(func.count()).select_from(Officer).where(Officer.active.is_(True))):
            if not vouched_by:
                raise PermissionDenied(f"An officer of the hall must vouch for {name} with their PIN; nothing "
                                       f"was added.")
            record["vouched_by"] = authenticate(tx.session, vouched_by, vouching_pin).name
        officer = Officer(name=name, role=role, pin_hash=hash_pin(pin), created_at=clock.stamp())
        tx.session.add(officer)
        tx.session.flush()
        tx.audit("officer.add", "officer", officer.id, None, record)
    return officer


def find_officer(session: Session, name: str, active_only: bool = True) -> Officer:
    """An officer who may act: deactivated officers keep their name on the history but vouch for nothing."""
    officer = session.scalar(select(Officer).where(Officer.name == " ".join(name.split())))
    if officer is None:
        raise NotFound(f"There is no officer named {name!r}; add one with 'treasurer officers add'.")
    if active_only and not officer.active:
        raise PermissionDenied(f"{officer.name} is no longer an active officer.")
    return officer


def authenticate(session: Session, name: str, pin: str) -> Officer:
    officer = find_officer(session, name)
    if not check_pin(pin.strip(), officer.pin_hash):
        raise PermissionDenied(f"The PIN for {officer.name} is not right.")
    return officer


def list_officers(hall: Hall) -> list[Officer]:
    with hall.read() as s:
        return list(s.scalars(select(Officer).order_by(Officer.name)))


def change_pin(hall: Hall, name: str, new_pin: str, vouching_pin: str, vouched_by: str | None = None) -> None:
    """A new PIN for ``name``: vouched for by their old PIN, or by another active officer's PIN."""
    new_pin = validate_pin(new_pin)
    with hall.write() as tx:
        officer = find_officer(tx.session, name)
        voucher = officer
        if vouched_by and " ".join(vouched_by.split()) != officer.name:
            voucher = authenticate(tx.session, vouched_by, vouching_pin)
        elif not check_pin(vouching_pin.strip(), officer.pin_hash):
            raise PermissionDenied(f"The old PIN for {officer.name} is not right.")
        if check_pin(new_pin, officer.pin_hash):
            raise ValidationError(f"The new PIN for {officer.name} is the same as the old one.")
        officer.pin_hash = hash_pin(new_pin)
        # Who vouched, never the PIN or its hash.
        tx.audit("officer.pin_change", "officer", officer.id, None,
                 {"name": officer.name, "vouched_by": voucher.name})


def deactivate_officer(hall: Hall, name: str, by: str, by_pin: str) -> None:
    """``name`` can no longer act or vouch; another active officer's PIN is needed, and one must stay active."""
    with hall.write() as tx:
        officer = find_officer(tx.session, name, active_only=False)
        if not officer.active:
            raise ValidationError(f"{officer.name} is already inactive.")
        others = tx.session.scalar(select(func.count()).select_from(Officer).where(
            Officer.active.is_(True), Officer.id != officer.id)) or 0
        if others == 0:
            raise ValidationError(f"{officer.name} is the last active officer; add another officer before "
                                  f"deactivating them.")
        if " ".join(by.split()) == officer.name:
            raise PermissionDenied(f"Another officer must vouch for deactivating {officer.name}, with their PIN.")
        voucher = authenticate(tx.session, by, by_pin)
        officer.active = False
        tx.audit("officer.deactivate", "officer", officer.id, {"name": officer.name, "active": True},
                 {"name": officer.name, "active": False, "by": voucher.name})


def reactivate_officer(hall: Hall, name: str, by: str, by_pin: str) -> None:
    """An officer who returns (re-elected) may act again; another active officer vouches with their PIN."""
    with hall.write() as tx:
        officer = find_officer(tx.session, name, active_only=False)
        if officer.active:
            raise ValidationError(f"{officer.name} is already active.")
        voucher = authenticate(tx.session, by, by_pin)
        officer.active = True
        tx.audit("officer.reactivate", "officer", officer.id, {"name": officer.name, "active": False},
                 {"name": officer.name, "active": True, "by": voucher.name})
