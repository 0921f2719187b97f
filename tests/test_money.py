import pytest
from hypothesis import given
from hypothesis import strategies as st

from treasurer.errors import ValidationError
from treasurer.money import format_cents, parse_amount, plain_cents


@pytest.mark.parametrize("text, cents", [
    ("45", 4500), ("45.5", 4550), ("45.05", 4505), ("0.01", 1), (".50", 50), ("$12.00", 1200),
    ("1,045.50", 104550), (" 7 ", 700),
])
def test_parse_amount_gives_cents(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text, says", [
    ("-5", "positive"), ("12.345", "more than two digits"), ("abc", "not an amount"), ("0", "more than zero"),
    ("0.00", "more than zero"), ("", "not an amount"), ("1e3", "not an amount"), ("4,5", "not an amount"),
    ("NaN", "not an amount"), ("12.", "not an amount"),
])
def test_parse_amount_refuses_with_a_reason(text, says):
    with pytest.raises(ValidationError, match=says):
        parse_amount(text)


@given(st.integers(min_value=1, max_value=10**12))
def test_plain_and_formatted_amounts_parse_back_to_the_same_cents(cents):
    assert parse_amount(plain_cents(cents)) == cents
    assert parse_amount(format_cents(cents, "usd")) == cents


def test_format_cents_shows_sign_and_separators():
    assert format_cents(-123456, "usd") == "-$1,234.56"
    assert format_cents(5, "usd") == "$0.05"
    assert format_cents(100, "chf") == "1.00 CHF"
