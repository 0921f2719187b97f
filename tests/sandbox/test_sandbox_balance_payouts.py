"""Fees, the balance, the clock, payouts and reconciliation by payout."""
from __future__ import annotations

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from sandbox.fees import processing_fee
from sandbox.testing import ControlError, control, pay

DAY = 86400


@pytest.mark.parametrize(("amount", "fee"), [(100, 33), (4500, 161), (5000, 175), (1724, 80), (1, 30)])
def test_card_fee_is_2_9_percent_plus_30_rounded_half_up(amount: int, fee: int) -> None:
    # 1724 * 2.9 % = 49.996 -> 50; 5000 -> 145 exactly
    assert processing_fee(amount, "card") == fee


@pytest.mark.parametrize(("amount", "fee"), [(12000, 96), (6250, 50), (6187, 49), (62500, 500), (1_000_000, 500)])
def test_ach_fee_is_0_8_percent_capped_at_5_dollars(amount: int, fee: int) -> None:
    assert processing_fee(amount, "us_bank_account") == fee


@given(st.integers(min_value=0, max_value=10**9))
def test_fees_match_exact_rational_rounding(amount: int) -> None:
    from fractions import Fraction

    def half_up(x: Fraction) -> int:
        return int(x + Fraction(1, 2)) if x >= 0 else -int(-x + Fraction(1, 2))

    assert processing_fee(amount, "card") == half_up(Fraction(amount * 29, 1000)) + 30
    assert processing_fee(amount, "us_bank_account") == min(half_up(Fraction(amount * 8, 1000)), 500)


def test_pending_funds_become_available_and_pay_out(stripe_client, sandbox, make_link) -> None:
    pay(sandbox.base_url, make_link(4500, slip="A").id)
    pay(sandbox.base_url, make_link(2000, slip="B").id)
    ach = pay(sandbox.base_url, make_link(12000, slip="C").id, method="us_bank_account")
    control(sandbox.base_url, f"payment_intents/{ach['payment_intent']}/settle")
    balance = stripe_client.v1.balance.retrieve()
    assert balance.available[0].amount == 0
    assert balance.pending[0].amount == (4500 - 161) + (2000 - 88) + (12000 - 96)
    with pytest.raises(ControlError):  # nothing available yet
        control(sandbox.base_url, "payouts")

    txn = stripe_client.v1.balance_transactions.list({"type": "charge"}).data[0]
    assert txn.available_on % DAY == 0 and txn.available_on > txn.created
    control(sandbox.base_url, "clock", advance_seconds=3 * DAY)
    balance = stripe_client.v1.balance.retrieve()
    assert balance.pending[0].amount == 0
    assert balance.available[0].amount == 4339 + 1912 + 11904

    refund_charge = stripe_client.v1.charges.list({"limit": 100}).data[-1]
    stripe_client.v1.refunds.create({"charge": refund_charge.id, "amount": 500})
    payout = control(sandbox.base_url, "payouts")
    assert payout["amount"] == 4339 + 1912 + 11904 - 500
    assert payout["status"] == "paid" and payout["reconciliation_status"] == "completed" and payout["automatic"]
    assert stripe_client.v1.balance.retrieve().available[0].amount == 0

    included = list(stripe_client.v1.balance_transactions.list({"payout": payout["id"], "limit": 100})
                    .auto_paging_iter())
    assert sorted(t.type for t in included) == ["charge", "charge", "payment", "payout", "refund"]
    assert sum(t.net for t in included if t.type != "payout") == payout["amount"]
    assert [t.id for t in included if t.type == "payout"] == [payout["balance_transaction"]]
    assert stripe_client.v1.payouts.retrieve(payout["id"]).amount == payout["amount"]
    assert [p.id for p in stripe_client.v1.payouts.list().data] == [payout["id"]]
    kinds = [e.type for e in stripe_client.v1.events.list({"type": "payout.*"}).data]
    assert kinds == ["payout.reconciliation_completed", "payout.paid", "payout.created"]

    # A later payout only takes what came in since.
    pay(sandbox.base_url, make_link(1000, slip="D").id)
    control(sandbox.base_url, "clock", advance_seconds=3 * DAY)
    second = control(sandbox.base_url, "payouts")
    assert second["amount"] == 1000 - 59
    later = stripe_client.v1.balance_transactions.list({"payout": second["id"]}).data
    assert sorted(t.type for t in later) == ["charge", "payout"]


def test_balance_transaction_filters(stripe_client, sandbox, make_link) -> None:
    pay(sandbox.base_url, make_link(1000).id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.balance_transactions.list({"payout": "po_missing"})
    assert stripe_client.v1.balance_transactions.list({"type": "refund"}).data == []
    charge = stripe_client.v1.charges.list().data[0]
    assert stripe_client.v1.balance_transactions.list({"source": charge.id}).data[0].amount == 1000


def test_clock_only_moves_forward(sandbox) -> None:
    before = control(sandbox.base_url, "clock")["now"]
    assert control(sandbox.base_url, "clock", advance_seconds=3600)["now"] >= before + 3600
    with pytest.raises(ControlError):
        control(sandbox.base_url, "clock", advance_seconds=-1)
