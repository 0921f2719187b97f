"""The window's frame: the Stripe mode banner and the status bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from .relay_status import Dot, relay_view

BANNERS = {
    "sandbox": "SANDBOX — offline practice: no real money moves",
    "test": "TEST MODE — Stripe test keys: no real money moves",
    "live": "LIVE — real payments, real money",
    "none": "NO STRIPE — payment links are off; cash and check work as usual",
}


class ModeBanner(QLabel):
    def __init__(self, mode: str, parent: QWidget | None = None):
        super().__init__(BANNERS.get(mode, BANNERS["none"]), parent)
        self.setObjectName("mode-banner")
        self.setProperty("mode", mode if mode in BANNERS else "none")
        self.setAccessibleName(f"Stripe mode: {mode}")


class TrustBanner(QLabel):
    """What the trustees would want the treasurer to see at all times: dual control not in force, books
    readable by other users.  Hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trust-banner")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_notices(self, notices: list[str]) -> None:
        self.setText("\n".join(notices))
        self.setVisible(bool(notices))


def trust_notices(hall) -> list[str]:
    from treasurer.officers import dual_control_notice
    from treasurer.private_files import open_to_others

    with hall.read() as s:
        notices = [dual_control_notice(s)]
    if hall.data_path is not None and hall.db.sqlite_path is not None:
        notices.append(open_to_others(hall.data_path))
    return [n for n in notices if n]


class StatusBar(QStatusBar):
    """Relay state (dot and words), the last event received, and how much waits in Review."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(6, 0, 6, 0)
        self.dot = Dot()
        self.relay_label = QLabel()
        self.relay_label.setObjectName("relay-state")
        self.event_label = QLabel()
        self.event_label.setObjectName("relay-last-event")
        self.review_label = QLabel()
        self.review_label.setObjectName("review-count")
        row.addWidget(self.dot)
        row.addWidget(self.relay_label)
        row.addSpacing(24)
        row.addWidget(self.event_label)
        row.addSpacing(24)
        row.addWidget(self.review_label)
        row.addStretch(1)
        self.addPermanentWidget(holder, 1)

    def show_relay(self, relay: Any | None, hall: Any | None = None) -> None:
        """The relay's state; the last event is the books' (``hall``), whether or not this window's relay runs."""
        view = relay_view(relay, hall)
        self.dot.set_colour(view.colour)
        self.relay_label.setText(f"Relay: {view.words}")
        self.relay_label.setToolTip("\n".join(view.messages))
        self.event_label.setText(f"Last event: {view.last_event}")

    def show_review_count(self, count: int) -> None:
        self.review_label.setText("Review: nothing waiting" if count == 0 else
                                  f"Review: {count} item{'s' if count != 1 else ''} waiting")
