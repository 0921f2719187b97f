"""Officers: named people with a role and a PIN (salted scrypt hash); kept, never deleted, when they leave.

Dual control: once the hall has two or more active officers, no one officer alone can add an officer,
reset another officer's PIN or bring one back; two active officers vouch with their PINs.  Five wrong PINs
in a row lock an officer out for a while (kept in the database); every wrong PIN is in the audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock
from .errors import NotFound, PermissionDenied, PinRejected, ValidationError
from .hall import Hall, Tx
from .models import OFFICER_ROLES, Officer
from .text_input import clean_name

# scrypt's cost.  A PIN has only 10^6 to 10^12 possible values, so someone holding a stolen copy of the books
# could try every one unless each try is expensive: N=2^15 with r=8 needs 32 MiB and tens of milliseconds per
# try, the OWASP-level minimum for scrypt.  Each hash keeps its own N, so older (2^14) hashes still verify.
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024          # hashlib refuses more than 32 MiB unless told

MIN_PIN, MAX_PIN = 6, 12
LOCK_AFTER = 5                      # wrong PINs in a row
FIRST_LOCK_MINUTES = 15             # doubled at each further lockout...
LONGEST_LOCK_MINUTES = 24 * 60      # ...up to a day, so a prankster cannot shut an officer out for weeks

Voucher = tuple[str, str]           # (officer name, their PIN)


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32, maxmem=_MAXMEM)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_pin(pin: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)), maxmem=_MAXMEM)
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def validate_pin(pin: str) -> str:
    """A new PIN: 6 to 12 ASCII digits."""
    pin = (pin or "").strip()
    if not (MIN_PIN <= len(pin) <= MAX_PIN and pin.isascii() and pin.isdigit()):
        raise ValidationError(f"A new PIN is {MIN_PIN} to {MAX_PIN} digits (0 to 9); nothing was saved.")
    return pin


def pin_is_short(pin: str) -> bool:
    """A PIN from before PINs had 6 digits or more: it still works, and its officer is asked to change it."""
    return len((pin or "").strip()) < MIN_PIN


def short_pin_advice(name: str) -> str:
    return (f"{name}'s PIN is shorter than {MIN_PIN} digits; please change it to one of {MIN_PIN} to {MAX_PIN} "
            f"digits ('treasurer officers change-pin', or Settings, Officers, Change PIN).")


# Who is an officer, and dual control --------------------------------------------------------------------

def find_officer(session: Session, name: str, active_only: bool = True) -> Officer:
    """An officer who may act: deactivated officers keep their name on the history but vouch for nothing."""
    officer = session.scalar(select(Officer).where(Officer.name == " ".join(str(name or "").split())))
    if officer is None:
        raise NotFound(f"There is no officer named {name!r}; add one with 'treasurer officers add'.")
    if active_only and not officer.active:
        raise PermissionDenied(f"{officer.name} is no longer an active officer.")
    return officer


def active_count(session: Session, besides: int | None = None) -> int:
    query = select(func.count()).select_from(Officer).where(Officer.active.is_(True))
    if besides is not None:
        query = query.where(Officer.id != besides)
    return session.scalar(query) or 0


def dual_control_in_force(session: Session) -> bool:
    """Two or more active officers: no one of them alone can make an officer or reset another's PIN."""
    return active_count(session) >= 2


def dual_control_notice(session: Session) -> str | None:
    """One sentence for the window's banner, 'officers list' and the trustees' packet; None when in force."""
    n = active_count(session)
    if n >= 2:
        return None
    who = "no active officer" if n == 0 else "only one active officer"
    return (f"Dual control is not in force: the hall has {who}, so one person alone can add officers and "
            f"approve credits; add a second officer to restore it.")


def list_officers(hall: Hall) -> list[Officer]:
    with hall.read() as s:
        return list(s.scalars(select(Officer).order_by(Officer.name)))


# Proving who you are -------------------------------------------------------------------------------------

def authenticate(tx: Tx, name: str, pin: str, *, which: str = "PIN") -> Officer:
    """The active officer ``name`` if ``pin`` is theirs, inside the action's own write transaction.

    A locked-out officer is refused before the PIN is looked at.  A wrong PIN raises ``PinRejected``: the
    action is rolled back and the wrong PIN recorded on its own (``record_wrong_pin``).  ``which`` names the
    PIN in that message ("old PIN" when changing it).
    """
    officer = find_officer(tx.session, name)
    refuse_if_locked(officer)
    if not check_pin(str(pin or "").strip(), officer.pin_hash):
        raise PinRejected(f"The {which} for {officer.name} is not right.", officer.id)
    if officer.failed_pins:
        officer.failed_pins = 0
        tx.audit("officer.pin_right", "officer", officer.id, None, {"name": officer.name, "failed_pins": 0})
    return officer


def check_officer_pin(hall: Hall, name: str, pin: str) -> str:
    """The officer's name if the PIN is right (a wrong one counts, as anywhere): for asking before acting."""
    with hall.write() as tx:
        return authenticate(tx, name, pin).name


def locked_until(officer: Officer) -> dt.datetime | None:
    if not officer.locked_until:
        return None
    until = dt.datetime.fromisoformat(officer.locked_until)
    return until if until > clock.now() else None


def refuse_if_locked(officer: Officer) -> None:
    until = locked_until(officer)
    if until is not None:
        raise PermissionDenied(f"{officer.name} is locked out after {LOCK_AFTER} wrong PINs in a row until "
                               f"{_when(until)}; try again then, or two other officers can reset the PIN.")


def _when(moment: dt.datetime) -> str:
    now = clock.now()
    return moment.strftime("%H:%M UTC") if moment.date() == now.date() else moment.strftime("%Y-%m-%d %H:%M UTC")


def record_wrong_pin(hall: Hall, officer_id: int) -> None:
    """Count a wrong PIN (its own transaction, audited); the fifth in a row locks the officer out.

    Called by ``Hall.write`` after the action the PIN was for has been rolled back.  On a lockout it raises
    ``PermissionDenied`` saying until when, which replaces the plain "not right".
    """
    locked: str | None = None
    with hall.write() as tx:
        officer = tx.session.get(Officer, officer_id)
        if officer is None:
            return
        officer.failed_pins = (officer.failed_pins or 0) + 1
        tx.audit("officer.pin_wrong", "officer", officer.id, None,
                 {"name": officer.name, "failed_pins": officer.failed_pins})
        if officer.failed_pins >= LOCK_AFTER:
            officer.lockouts = (officer.lockouts or 0) + 1
            minutes = min(FIRST_LOCK_MINUTES * 2 ** (officer.lockouts - 1), LONGEST_LOCK_MINUTES)
            until = clock.now() + dt.timedelta(minutes=minutes)
            officer.locked_until = until.isoformat(timespec="seconds")
            officer.failed_pins = 0
            tx.audit("officer.lockout", "officer", officer.id, None,
                     {"name": officer.name, "lockouts": officer.lockouts, "minutes": minutes,
                      "locked_until": officer.locked_until, "failed_pins": 0})
            locked = (f"The PIN for {officer.name} is not right, and after {LOCK_AFTER} wrong PINs in a row "
                      f"{officer.name} is now locked out until {_when(until)}.")
    if locked:
        raise PermissionDenied(locked)


def _vouch(tx: Tx, vouchers: Sequence[Voucher], needed: int, *, not_for: Officer | None, what: str,
           missing: str) -> list[str]:
    """Authenticate ``needed`` different active officers (none of them ``not_for``); their names."""
    names = [" ".join(str(name or "").split()) for name, _ in vouchers]
    if not_for is not None and not_for.name in names:
        raise PermissionDenied(f"{not_for.name} cannot vouch for {what}; other officers must.")
    if len(set(names)) != len(names):
        raise PermissionDenied(f"The officers who vouch for {what} must be different people; nothing was saved.")
    if len(names) < needed:
        raise PermissionDenied(missing)
    if len(names) > needed:
        raise ValidationError(f"{what[0].upper()}{what[1:]} needs {needed} officer{'s' if needed != 1 else ''} "
                              f"to vouch, not {len(names)}; nothing was saved.")
    return [authenticate(tx, name, pin).name for name, pin in vouchers]


# Officer changes -----------------------------------------------------------------------------------------

def add_officer(hall: Hall, name: str, role: str, pin: str, *, vouchers: Sequence[Voucher] = ()) -> Officer:
    """A new officer.  The first needs no one; while the hall has one active officer, that one vouches;
    once it has two or more, two of them vouch with their PINs (dual control: officers approve each other's
    credits, so no one alone may make up a second officer)."""
    name = clean_name(name, "officer's name", required=False)
    if not name:
        raise ValidationError("An officer needs a name.")
    if role not in OFFICER_ROLES:
        raise ValidationError(f"The role {role!r} is not one of: {', '.join(OFFICER_ROLES)}.")
    pin = validate_pin(pin)
    with hall.write() as tx:
        if tx.session.scalar(select(Officer).where(Officer.name == name)):
            raise ValidationError(f"There is already an officer named {name}.")
        active = active_count(tx.session)
        needed = min(active, 2)
        if needed == 0 and vouchers:
            raise ValidationError("The hall has no active officer yet, so no one vouches for the first one; "
                                  "add it without a voucher.")
        missing = (f"An officer of the hall must vouch for {name} with their PIN; nothing was added." if needed == 1
                   else f"Two active officers must vouch for {name} with their PINs (dual control: the hall has "
                        f"{active} active officers); nothing was added.")
        record: dict = {"name": name, "role": role}
        if needed:
            record["vouched_by"] = _vouch(tx, vouchers, needed, not_for=None, what=f"adding {name}",
                                          missing=missing)
        officer = Officer(name=name, role=role, pin_hash=hash_pin(pin), created_at=clock.stamp())
        tx.session.add(officer)
        tx.session.flush()
        tx.audit("officer.add", "officer", officer.id, None, record)
    return officer


def change_pin(hall: Hall, name: str, new_pin: str, old_pin: str = "", *, vouchers: Sequence[Voucher] = ()) -> None:
    """A new PIN for ``name``: with their old PIN, or (forgotten) reset by two other active officers' PINs.

    A reset also lifts a lockout.  With only one other active officer, no reset is possible: that officer
    alone would then hold both names.
    """
    new_pin = validate_pin(new_pin)
    with hall.write() as tx:
        if vouchers:
            officer = find_officer(tx.session, name)
            others = [n for n in tx.session.scalars(select(Officer.name).where(
                Officer.active.is_(True), Officer.id != officer.id).order_by(Officer.name))]
            if len(others) < 2:
                raise PermissionDenied(_no_reset(officer.name, others))
            vouched_by = _vouch(tx, vouchers, 2, not_for=officer, what=f"resetting {officer.name}'s PIN",
                                missing=f"Two other active officers must vouch for resetting {officer.name}'s PIN "
                                        f"(dual control); nothing was changed.")
        else:
            officer = authenticate(tx, name, old_pin, which="old PIN")
            vouched_by = [officer.name]
        if check_pin(new_pin, officer.pin_hash):
            raise ValidationError(f"The new PIN for {officer.name} is the same as the old one.")
        officer.pin_hash = hash_pin(new_pin)
        officer.failed_pins = 0
        officer.locked_until = None
        # Who vouched, never the PIN or its hash.
        tx.audit("officer.pin_change", "officer", officer.id, None,
                 {"name": officer.name, "vouched_by": vouched_by if vouchers else officer.name})


def _no_reset(name: str, others: list[str]) -> str:
    if not others:
        return (f"No other officer is active to vouch for resetting {name}'s PIN; {name} can change it with "
                f"the old PIN.")
    other = others[0]
    return (f"Only one other officer ({other}) is active, and a forgotten PIN is reset by two other officers "
            f"(dual control), so {other} alone cannot reset {name}'s PIN: {name} can change it with the old PIN, "
            f"or {other} can deactivate {name} and then reactivate them with a new PIN "
            f"('treasurer officers reactivate \"{name}\" --by \"{other}\" --new-pin'), which the audit log shows.")


def deactivate_officer(hall: Hall, name: str, by: str, by_pin: str) -> str | None:
    """``name`` can no longer act or vouch; another active officer's PIN is needed, and one must stay active.

    One officer is enough, so that a two-officer hall can recover from a lost PIN; it is audited, and the
    sentence returned (None when dual control still holds) says when dual control is no longer in force.
    """
    with hall.write() as tx:
        officer = find_officer(tx.session, name, active_only=False)
        if not officer.active:
            raise ValidationError(f"{officer.name} is already inactive.")
        if active_count(tx.session, besides=officer.id) == 0:
            raise ValidationError(f"{officer.name} is the last active officer; add another officer before "
                                  f"deactivating them.")
        if " ".join(str(by or "").split()) == officer.name:
            raise PermissionDenied(f"Another officer must vouch for deactivating {officer.name}, with their PIN.")
        voucher = authenticate(tx, by, by_pin)
        officer.active = False
        tx.session.flush()
        in_force = dual_control_in_force(tx.session)
        tx.audit("officer.deactivate", "officer", officer.id, {"name": officer.name, "active": True},
                 {"name": officer.name, "active": False, "by": voucher.name}
                 | ({} if in_force else {"dual_control": False}))
        return None if in_force else dual_control_notice(tx.session)


def reactivate_officer(hall: Hall, name: str, vouchers: Sequence[Voucher], new_pin: str | None = None) -> None:
    """An officer who returns (re-elected) may act again: one active officer vouches, or two while dual control
    is in force.  ``new_pin`` gives them a new PIN at the same time (the way back from a forgotten PIN in a
    hall of two officers)."""
    new_pin = validate_pin(new_pin) if new_pin is not None else None
    with hall.write() as tx:
        officer = find_officer(tx.session, name, active_only=False)
        if officer.active:
            raise ValidationError(f"{officer.name} is already active.")
        needed = min(active_count(tx.session), 2)
        if needed == 0:
            raise ValidationError(f"No officer is active to vouch for reactivating {officer.name}.")
        missing = (f"An active officer must vouch for reactivating {officer.name} with their PIN; nothing was "
                   f"changed." if needed == 1 else
                   f"Two active officers must vouch for reactivating {officer.name} (dual control); nothing was "
                   f"changed.")
        vouched_by = _vouch(tx, vouchers, needed, not_for=officer, what=f"reactivating {officer.name}",
                            missing=missing)
        officer.active = True
        after = {"name": officer.name, "active": True, "by": vouched_by[0] if needed == 1 else vouched_by}
        if new_pin is not None:
            officer.pin_hash = hash_pin(new_pin)
            officer.failed_pins = 0
            officer.locked_until = None
            after["new_pin"] = True
        tx.audit("officer.reactivate", "officer", officer.id, {"name": officer.name, "active": False}, after)
