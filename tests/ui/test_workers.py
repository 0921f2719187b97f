"""Background reads hand their result to the widget they are for, on the UI thread, and to nothing once it is gone."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from ui.workers import run_in_background


def test_a_result_for_a_deleted_widget_is_dropped_and_one_for_a_live_widget_arrives(qtbot):
    release = threading.Event()
    gone, kept = QLabel(), QLabel()
    seen: list[tuple[str, object]] = []

    def slow() -> str:
        release.wait(10)
        return "42 open discrepancies"

    def show_on(label: QLabel, name: str):
        def shown(text, error) -> None:
            label.setText(text)            # a deleted label would raise "already deleted" here
            seen.append((name, error))
        return shown

    run_in_background(slow, show_on(gone, "gone"), owner=gone)
    run_in_background(slow, show_on(kept, "kept"), owner=kept)
    shiboken6.delete(gone)                 # the window closed while its figures were being read
    release.set()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    qtbot.wait(200)                        # the other delivery, had it been made, would be in by now
    assert seen == [("kept", None)] and kept.text() == "42 open discrepancies"
