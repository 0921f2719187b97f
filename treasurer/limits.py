"""The hall's ceiling on a single amount (a payment, a credit, a rate, a refund, a bank line).

A typo of three extra zeros, or a made-up figure, is refused where it enters the books,
whichever screen or command it came from.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .errors import ValidationError
from .money import format_cents, parse_amount


def ceiling_cents(session: Session) -> int:
    from .hall import setting_in

    return parse_amount(setting_in(session, "amount_ceiling"), field="amount ceiling")


def check_amount(session: Session, cents: int, field: str = "amount") -> int:
    """``cents`` if its size is within the hall's ceiling, else a ValidationError naming both."""
    limit = ceiling_cents(session)
    if abs(cents) > limit:
        currency = _currency(session)
        raise ValidationError(
            f"The {field} {format_cents(abs(cents), currency)} is above this hall's ceiling of "
            f"{format_cents(limit, currency)} for a single amount; nothing was saved. If it is right, a "
            f"treasurer can raise the ceiling with 'treasurer settings set amount_ceiling AMOUNT'.")
    return cents


def _currency(session: Session) -> str:
    from .hall import setting_in

    return setting_in(session, "currency")
