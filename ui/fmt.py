"""How amounts, dates and codes read on screen."""

from __future__ import annotations

import datetime as dt

from treasurer.money import format_cents

METHOD_LABELS = {"cash": "Cash", "check": "Check", "money_order": "Money order", "card": "Card",
                 "us_bank_account": "Bank (ACH)", "other": "Other"}
KIND_LABELS = {"waiver": "Waiver", "hardship_credit": "Hardship credit", "write_off": "Write-off",
               "correction": "Correction", "refund": "Refund"}


def money(cents: int | None, currency: str = "usd") -> str:
    return "" if cents is None else format_cents(cents, currency)


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def stamp(value: str) -> str:
    """An ISO UTC stamp as ``2026-11-25 18:04``."""
    return value[:16].replace("T", " ") if value else ""


def method(value: str) -> str:
    return METHOD_LABELS.get(value, value.replace("_", " ").capitalize())


def kind(value: str) -> str:
    return KIND_LABELS.get(value, value.replace("_", " ").capitalize())
