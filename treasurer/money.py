"""Parsing and formatting amounts; money is always an ``int`` of cents."""

from __future__ import annotations

import re

from .errors import ValidationError

# ASCII digits only: ``\d`` would read Arabic-Indic or full-width digits as an amount nobody typed on purpose.
_AMOUNT = re.compile(r"^\$?(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<frac>[0-9]{1,2}))?$")
# A trillion dollars less a cent is more than any hall's books hold; a longer number is a typo or worse.
MAX_WHOLE_DIGITS = 12

CURRENCY_SYMBOLS = {"usd": "$", "cad": "$", "eur": "€", "gbp": "£"}


def parse_amount(text: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """``"45"``, ``"45.5"``, ``"1,045.50"``, ``"$12.00"`` -> cents.  Refuses anything else."""
    raw = str(text).strip()
    shown = _shown(raw)
    match = _AMOUNT.fullmatch(raw)
    if not raw or not match or (match["whole"] is None and match["frac"] is None):
        if raw.startswith("-"):
            raise ValidationError(f"The {field} must be positive; got {shown}.")
        if re.fullmatch(r"\$?[0-9,]*\.[0-9]{3,}", raw):
            raise ValidationError(
                f"The {field} {shown} has more than two digits after the decimal point."
            )
        if any(ch.isdigit() and not ch.isascii() for ch in raw):
            raise ValidationError(f"The {field} {shown} has digits other than 0-9; type it with 0-9 "
                                  f"(for example 45.00).")
        raise ValidationError(f"The {field} {shown} is not an amount of money (for example 45.00).")
    digits = (match["whole"] or "0").replace(",", "").lstrip("0")
    if len(digits) > MAX_WHOLE_DIGITS:
        raise ValidationError(f"The {field} {shown} is far too large to be an amount of money "
                              f"(more than {MAX_WHOLE_DIGITS} digits before the decimal point).")
    whole = int(digits or "0")
    frac = int((match["frac"] or "0").ljust(2, "0"))
    cents = whole * 100 + frac
    if cents == 0 and not allow_zero:
        raise ValidationError(f"The {field} must be more than zero.")
    return cents


def _shown(raw: str, limit: int = 40) -> str:
    """The text as typed, quoted with its hidden characters escaped, shortened if it is very long."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "…")


def format_cents(cents: int, currency: str = "usd") -> str:
    """``-123456`` -> ``-$1,234.56``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    symbol = CURRENCY_SYMBOLS.get(currency.lower(), "")
    suffix = "" if symbol else f" {currency.upper()}"
    return f"{sign}{symbol}{whole:,}.{frac:02d}{suffix}"


def plain_cents(cents: int) -> str:
    """``123456`` -> ``1234.56`` for CSV files and machine-readable output."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"
