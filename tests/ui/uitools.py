"""Driving modal dialogs from tests: the code under test calls exec(), a timer answers the dialog."""

from __future__ import annotations

import types
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

# The root conftest's key (not imported: several test folders have a module named conftest).
SANDBOX_KEY = "sk_test_hall_treasurer_tests_0000"


def no_stripe() -> types.SimpleNamespace:
    return types.SimpleNamespace(data_dir=None, database_url=None,
                                 stripe=types.SimpleNamespace(mode="none", api_key=None, api_base=None))


def sandbox_args(sandbox_url: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(data_dir=None, database_url=None,
                                 stripe=types.SimpleNamespace(mode="sandbox", api_key=SANDBOX_KEY,
                                                              api_base=sandbox_url))


def answer_next_dialog(qtbot, respond: Callable[[QWidget], None], timeout_ms: int = 5000,
                       kind: type | tuple[type, ...] = (QDialog, QMessageBox)) -> list:
    """Run ``respond`` on the next modal dialog that opens (the code under test calls ``exec()`` on it).

    Returns a list that receives the dialog, so the test can check what it said.
    """
    seen: list = []

    def poll(remaining=timeout_ms):
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget not in seen and widget.isVisible():
            seen.append(widget)
            respond(widget)
            return
        if remaining > 0:
            QTimer.singleShot(20, lambda: poll(remaining - 20))

    QTimer.singleShot(0, poll)
    return seen


def press(button_text: str) -> Callable[[QWidget], None]:
    """A responder that clicks the button whose text is ``button_text`` (message boxes and dialogs)."""
    from PySide6.QtWidgets import QAbstractButton

    def respond(widget: QWidget) -> None:
        for button in widget.findChildren(QAbstractButton):
            if button.text().replace("&", "") == button_text:
                button.click()
                return
        raise AssertionError(f"no button {button_text!r} in {widget!r}")

    return respond
