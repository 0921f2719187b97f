"""Parsing and formatting amounts; money is always an ``int`` of cents."""

from __future__ import annotations

import re

from .errors import ValidationError

_AMOUNT = re.compile(r"^\$?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d{1,2}))?$")

CURRENCY_SYMBOLS = {"usd": "$", "cad": "$", "eur": "€", "gbp": "£"}


def parse_amount(text: str, *, field: str = "amount", allow_zero: bool = False) -> int:
    """``"45"``, ``"45.5"``, ``"1,045.50"``, ``"$12.00"`` -> cents.  Refuses anything else."""
    raw = str(text).strip()
    match = _AMOUNT.match(raw)
    if not raw or not match or (match["whole"] is None and match["frac"] is None):
        if raw.startswith("-"):
            raise ValidationError(f"The {field} must be positive; got {raw!r}.")
        if re.fullmatch(r"\$?\d*\.\d{3,}", raw):
            raise ValidationError(
                f"The {field} {raw!r} has more than two digits after the decimal point."
            )
        raise ValidationError(f"The {field} {raw!r} is not an amount of money (for example 45.00).")
    whole = int((match["whole"] or "0").replace(",", ""))
    frac = int((match["frac"] or "0").ljust(2, "0"))
    cents = whole * 100 + frac
    if cents == 0 and not allow_zero:
        raise ValidationError(f"The {field} must be more than zero.")
    return cents


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
