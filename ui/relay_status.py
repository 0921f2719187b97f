"""The relay's state as words and a coloured dot, for the status bar and the dashboard."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from . import fmt

STATES = {
    # state: (words, colour)
    "listening": ("listening via CLI", "#1e7b34"),
    "polling": ("polling", "#1e7b34"),
    "webhook": ("webhook only", "#e8a317"),
    "starting": ("starting", "#e8a317"),
    "stopped": ("stopped", "#8a8f98"),
    "error": ("error", "#b3261e"),
}


@dataclasses.dataclass(frozen=True)
class RelayView:
    state: str
    words: str
    colour: str
    last_event: str
    held: int
    failed: int
    message: str


def relay_view(relay: Any | None) -> RelayView:
    """What to show for a relay object (``relay.service.Relay``), or for none."""
    if relay is None:
        return RelayView("stopped", "stopped", STATES["stopped"][1], "none yet", 0, 0,
                         "The relay is not running: online payments arrive when it is started.")
    try:
        status = relay.status()
    except Exception as exc:  # noqa: BLE001 - a broken relay must not break the window
        return RelayView("error", "error", STATES["error"][1], "unknown", 0, 0, str(exc))
    state = getattr(status, "state", "stopped") or "stopped"
    words, colour = STATES.get(state, (state, STATES["error"][1]))
    at = getattr(status, "last_event_at", None)
    kind = getattr(status, "last_event_type", None)
    if at:
        if isinstance(at, (int, float)):            # a Unix time, as Stripe gives
            import datetime as dt

            at = dt.datetime.fromtimestamp(at, dt.UTC)
        when = at.strftime("%Y-%m-%d %H:%M") if hasattr(at, "strftime") else fmt.stamp(str(at))
        last = f"{kind or 'event'} at {when}"
    else:
        last = "none yet"
    message = " ".join(m for m in (getattr(status, "message", ""), getattr(status, "warning", "")) if m)
    return RelayView(state, words, colour, last, int(getattr(status, "held", 0) or 0),
                     int(getattr(status, "failed", 0) or 0), message)


class Dot(QWidget):
    def __init__(self, colour: str = "#8a8f98", parent: QWidget | None = None):
        super().__init__(parent)
        self._colour = QColor(colour)
        self.setFixedSize(QSize(12, 12))

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        painter.drawEllipse(1, 1, 10, 10)
