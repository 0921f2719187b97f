"""The Audit screen reads as words: money as money, and the officer who acted under "Who"."""

from __future__ import annotations

import datetime as dt

from helpers import PAT_PIN, SAM_PIN, officers, standard_hall
from treasurer.adjustments import decide, request_adjustment


def test_an_approval_shows_the_approver_and_amounts_in_dollars(hall, make_window):
    standard_hall(hall, members=1)
    officers(hall)
    adj = request_adjustment(hall, "1001", 2600, "waiver", "hardship", "Pat Morales", dt.date(2025, 3, 3),
                             pin=PAT_PIN)
    decide(hall, adj.id, "Sam Okafor", SAM_PIN, approve=True, note="E-Board")
    screen = make_window(hall).show_screen("Audit")
    rows = {r.action: r for r in screen.table.proxy.records()}
    model = screen.table.proxy
    shown = {model.index(i, 3).data(): (model.index(i, 2).data(), model.index(i, 6).data())
             for i in range(model.rowCount())}
    who, after = shown["adjustment.approved"]
    assert who == "Sam Okafor" and "officer: Sam Okafor" in after
    who, after = shown["adjustment.request"]
    assert who == "Pat Morales" and "amount: -$26.00" in after and "amount_cents" not in after
    assert rows["adjustment.approved"].actor == "tester"          # the computer's user, kept in the tooltip
