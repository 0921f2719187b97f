"""US standard pricing, in integer cents with half-up rounding."""
from __future__ import annotations

from typing import Any

CARD_PERCENT_THOUSANDTHS = 29  # 2.9 %
CARD_FIXED = 30
ACH_PERCENT_THOUSANDTHS = 8  # 0.8 %
ACH_CAP = 500
DISPUTE_FEE = 1500


def _per_thousand_half_up(amount: int, thousandths: int) -> int:
    return (amount * thousandths + 500) // 1000


def processing_fee(amount: int, method: str) -> int:
    """Stripe's fee on a successful payment of `amount` cents by `method` ('card' or 'us_bank_account')."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    if method == "us_bank_account":
        return min(_per_thousand_half_up(amount, ACH_PERCENT_THOUSANDTHS), ACH_CAP)
    return _per_thousand_half_up(amount, CARD_PERCENT_THOUSANDTHS) + CARD_FIXED


def fee_details(fee: int, currency: str, description: str = "Stripe processing fees") -> list[dict[str, Any]]:
    if fee == 0:
        return []
    return [
        {
            "amount": fee,
            "application": None,
            "currency": currency,
            "description": description,
            "type": "stripe_fee",
        }
    ]
