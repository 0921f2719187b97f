"""Books that have recorded live money never record a test-mode payment (the sandbox's included): otherwise
an officer could tick "sandbox" in Settings and pay a member's dues with a test card."""

from __future__ import annotations

import json

import pytest

from helpers import standard_hall
from treasurer import inbox, recording
from treasurer.errors import ValidationError
from treasurer.models import Payment, ReviewItem


def event(n: int, live: bool, member: str = "1001") -> str:
    return json.dumps({
        "id": f"evt_{'live' if live else 'test'}_{n}", "object": "event", "type": "payment_intent.succeeded",
        "created": 1767225600 + n, "livemode": live, "api_version": "2025-01-27",
        "data": {"object": {"id": f"pi_{'live' if live else 'test'}_{n}", "object": "payment_intent",
                            "amount": 4500, "amount_received": 4500, "currency": "usd", "status": "succeeded",
                            "payment_method_types": ["card"], "metadata": {"member_number": member}}},
    })


def deliver(hall, text: str) -> recording.Outcome:
    incoming = inbox.parse(text, "webhook")
    inbox.store(hall, incoming)
    return recording.process(hall, incoming.id)


def paid(hall) -> list[str]:
    with hall.read() as s:
        return sorted(s.scalars(Payment.__table__.select().with_only_columns(Payment.stripe_payment_intent_id)))


def test_test_books_go_live_once_and_then_refuse_test_payments(hall):
    standard_hall(hall, members=2)
    assert deliver(hall, event(1, live=False)).outcome == "applied"       # tried out in the sandbox
    assert hall.setting("stripe_books_mode") == "test"
    assert deliver(hall, event(2, live=True)).outcome == "applied"        # then went live: for good
    assert hall.setting("stripe_books_mode") == "live"
    refused = deliver(hall, event(3, live=False, member="1002"))
    assert refused.outcome == "ignored" and "test-mode event" in refused.detail
    assert paid(hall) == ["pi_live_2", "pi_test_1"]
    with hall.read() as s:
        item = s.scalar(ReviewItem.__table__.select().with_only_columns(ReviewItem.summary)
                        .where(ReviewItem.ref == "test_event:evt_test_3", ReviewItem.resolved_at.is_(None)))
        assert "reached books that record live money; nothing was recorded" in item
    assert paid(hall) == ["pi_live_2", "pi_test_1"]                       # 1002 was not marked paid


def test_the_mode_cannot_be_set_by_hand(hall):
    for key in ("stripe_books_mode", "install_id"):
        with pytest.raises(ValidationError, match="kept by Hall Treasurer itself"):
            hall.set_setting(key, "test")
