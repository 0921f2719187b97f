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


def change(json_text: str, currency: str = "usd") -> str:
    """An audit entry's before or after as a person reads it: ``amount: $45.00; kind: waiver``, not JSON."""
    import json

    if not json_text:
        return ""
    try:
        value = json.loads(json_text)
    except ValueError:
        return json_text
    if not isinstance(value, dict):
        return str(value)
    parts = []
    for key, item in value.items():
        label = key.removesuffix("_cents").removesuffix("_id").replace("_", " ")
        if key.endswith("_cents") and isinstance(item, int) and not isinstance(item, bool):
            shown = money(item, currency)
        elif isinstance(item, bool):
            shown = "yes" if item else "no"
        elif item is None:
            shown = "—"
        elif isinstance(item, list):
            shown = ", ".join(str(x) for x in item)
        else:
            shown = str(item)
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def who(actor: str, after_json: str) -> str:
    """The officer an entry names (the approver, the voucher) before the computer's user who ran it."""
    import json

    try:
        after = json.loads(after_json) if after_json else {}
    except ValueError:
        return actor
    named = after.get("officer") or after.get("by") if isinstance(after, dict) else None
    if isinstance(named, list):
        named = " and ".join(map(str, named))
    return str(named) if named else actor


def periods(codes_csv: str) -> str:
    """``2026-06,2026-07,...,2026-11`` as the printed slip says it: ``2026-06 to 2026-11 (6 periods)``."""
    codes = [c for c in codes_csv.split(",") if c]
    return ", ".join(codes) if len(codes) <= 3 else f"{codes[0]} to {codes[-1]} ({len(codes)} periods)"
