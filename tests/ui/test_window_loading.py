"""The window builds and loads a screen when it is first shown; after a write every screen built shows it."""

from __future__ import annotations

import datetime as dt

from helpers import standard_hall

from treasurer.dues import assess
from treasurer.payments import record_payment
from ui.screens.base import Screen


def built(window) -> set[str]:
    return {w.title for w in (window.stack.widget(i) for i in range(window.stack.count())) if isinstance(w, Screen)}


def test_only_the_screen_on_show_is_built_until_another_is_opened(hall, make_window):
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    window = make_window(hall)
    assert built(window) == {"Dashboard"} and window.current_screen().title == "Dashboard"
    members = window.show_screen("Members")
    assert built(window) == {"Dashboard", "Members"}
    assert sorted(r.number for r in members.table.proxy.records()) == ["1001", "1002"]
    assert "Reconciliation" in window.screens and built(window) == {"Dashboard", "Members"}


def test_after_a_write_every_screen_built_shows_it(hall, make_window):
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    window = make_window(hall)
    members = window.show_screen("Members")
    payments = window.show_screen("Payments")
    owed = window.screens["Dashboard"].data.outstanding_cents
    record_payment(hall, "1002", 4500, "cash", received_on=dt.date(2026, 10, 5))
    window.refresh()                                   # what a screen's ``changed`` signal does after a write
    assert [r.member_number for r in payments.table.model.rows] == ["1002"]
    assert next(r for r in members.table.model.rows if r.number == "1002").balance_cents == 0
    assert window.screens["Dashboard"].data.outstanding_cents == owed - 4500
    assert window.status.review_label.text() == "Review: nothing waiting"


def test_the_windows_list_of_screens_names_each_screen_as_it_calls_itself(qapp):
    from ui.main_window import SCREENS, screen_class

    for title, icon_name, _, _ in SCREENS:
        cls = screen_class(title)
        assert (cls.title, cls.icon_name) == (title, icon_name)
