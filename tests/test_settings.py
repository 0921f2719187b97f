"""Hall settings typed by people are checked like any other input."""

from __future__ import annotations

import pytest

from treasurer.errors import ValidationError


def test_the_amount_ceiling_is_an_amount(hall):
    hall.set_setting("amount_ceiling", "$2,500")
    assert hall.setting("amount_ceiling") == "2500.00"
    for bad in ("lots", "-5", "١٠٠", "1e9"):
        with pytest.raises(ValidationError, match="amount ceiling"):
            hall.set_setting("amount_ceiling", bad)
    assert hall.setting("amount_ceiling") == "2500.00"


def test_the_hall_name_refuses_hidden_marks(hall):
    with pytest.raises(ValidationError, match="direction mark"):
        hall.set_setting("hall_name", "IBEW Local \u202e000")
    assert hall.setting("hall_name") == "IBEW Local 000"


def test_the_currency_is_never_changed_by_a_setting(hall):
    """Every amount in the books is in the hall's one currency: chosen at init, then fixed (and read once)."""
    assert hall.currency == "usd"
    with pytest.raises(ValidationError, match="currency is chosen when its books start"):
        hall.set_setting("currency", "eur")
    assert hall.setting("currency") == "usd" and hall.currency == "usd"
