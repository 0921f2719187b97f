"""The member page's Slips tab: each of the member's slips and what became of it, through the widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt

from helpers import standard_hall
from uitools import answer_next_dialog
from treasurer import sync
from treasurer.dues import assess
from treasurer.payments import record_payment
from treasurer.slips import create_slips


def test_the_member_page_shows_each_slip_and_what_became_of_it(hall, make_window, qtbot, monkeypatch, gateway):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    standard_hall(hall, members=2)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    (first,), _ = create_slips(hall, gateway, "2026-10", ["1001"])
    receipt = record_payment(hall, "1001", 1000, "cash")          # supersedes it; the queue has not run
    (second,), _ = create_slips(hall, gateway, "2026-10", ["1001"], arrears=True)   # switches the old link off
    (third,), _ = create_slips(hall, gateway, "2026-10", ["1002"])
    record_payment(hall, "1002", 4500, "cash")                    # covers the whole slip: paid, link queued
    window = make_window(hall)
    screen = window.show_screen("Members")
    seen = {}

    def look(page):
        page.tabs.setCurrentWidget(page.slips.view)
        model = page.slips.view.model()
        headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
        seen["headers"] = headers
        seen["rows"] = [{headers[c]: model.index(r, c).data() for c in range(model.columnCount())}
                        for r in range(model.rowCount())]
        seen["visible"] = page.slips.view.isVisible()
        page.reject()

    def open_member(row: int) -> None:
        answer_next_dialog(qtbot, look)
        view = screen.table.view
        view.setCurrentIndex(screen.table.proxy.index(row, 0))
        qtbot.keyClick(view, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "rows" in seen)

    open_member(0)
    assert seen["visible"]
    assert seen["headers"][:6] == ["Slip", "Status", "Amount", "Periods", "When", "What became of it"]
    rows = sorted(seen["rows"], key=lambda r: int(r["Slip"]))
    assert [(int(r["Slip"]), r["Status"], r["Amount"], r["Periods"]) for r in rows] == [
        (first.slip_id, "Superseded", "$45.00", "2026-10"),
        (second.slip_id, "Open", "$80.00", "2026-09 to 2026-10 (2 items)")]
    assert rows[0]["What became of it"] == f"Superseded: payment {receipt.receipt_no} received; link switched off"
    assert rows[0]["When"] and rows[0]["Payment link"] == ""
    assert rows[1]["What became of it"] == "open: its link takes payment"
    assert rows[1]["Payment link"] == second.url

    seen.clear()
    open_member(1)
    (row,) = seen["rows"]
    assert (int(row["Slip"]), row["Status"], row["Amount"]) == (third.slip_id, "Paid", "$45.00")
    assert row["What became of it"].endswith("received; link still to switch off")
    sync.catch_up(hall, gateway)
    seen.clear()
    open_member(1)
    assert seen["rows"][0]["What became of it"].endswith("received; link switched off")
