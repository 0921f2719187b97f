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
    "receiving": ("receiving webhooks", "#1e7b34"),
    "webhook": ("webhook only", "#e8a317"),
    "starting": ("starting", "#e8a317"),
    "stopped": ("stopped", "#8a8f98"),
    "error": ("error", "#b3261e"),
}
NOT_RUNNING = ("The relay is not running in this window: online payments arrive when it runs (here or as "
               "treasurer-relay).")


@dataclasses.dataclass(frozen=True)
class RelayView:
    state: str
    words: str
    colour: str
    last_event: str
    held: int
    failed: int
    message: str                        # every sentence below, one after the other
    messages: tuple[str, ...] = ()      # the state's sentence, then each warning or error: one sentence each


def sentence(text: str) -> str:
    """``text`` as a sentence of its own: capital first letter, full stop (two messages never run together)."""
    text = " ".join(str(text or "").split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def relay_view(relay: Any | None, hall: Any | None = None) -> RelayView:
    """What to show for a relay object (``relay.service.Relay``), or for none.

    The last event, and the held and failed counts, are the books' (``treasurer.inbox``) whether or not this
    window's relay runs: another relay (``treasurer-relay``, ``treasurer sync``) may have stored them.
    """
    if relay is None:
        books = _books(hall)
        last, held, failed = books if books else ("none yet", 0, 0)
        return RelayView("stopped", "stopped", STATES["stopped"][1], last, held, failed, NOT_RUNNING, (NOT_RUNNING,))
    try:
        status = relay.status()
    except Exception as exc:  # noqa: BLE001 - a broken relay must not break the window
        books = _books(hall)
        last, held, failed = books if books else ("unknown", 0, 0)
        text = sentence(f"The relay cannot say how it is: {exc}")
        return RelayView("error", "error", STATES["error"][1], last, held, failed, text, (text,))
    state = getattr(status, "state", "stopped") or "stopped"
    words, colour = STATES.get(state, (state, STATES["error"][1]))
    at = getattr(status, "last_event_at", None)
    kind = getattr(status, "last_event_type", None)
    # The relay's own counts when it has seen an event (read in its ledger thread); the books' otherwise.
    # Reading them here on every notice would cost the UI thread two queries per burst of events.
    books = None if at else _books(hall)
    if at:
        last = _when(kind, at)
    else:
        last = books[0] if books else "none yet"
    messages = tuple(m for m in (sentence(getattr(status, "message", "")), sentence(getattr(status, "warning", "")))
                     if m)
    held = int(getattr(status, "held", 0) or 0)
    failed = int(getattr(status, "failed", 0) or 0)
    if books and not at:
        held, failed = books[1], books[2]
    return RelayView(state, words, colour, last, held, failed, " ".join(messages), messages)


def _when(kind: str | None, at: Any) -> str:
    if isinstance(at, (int, float)):            # a Unix time, as Stripe gives
        import datetime as dt

        at = dt.datetime.fromtimestamp(at, dt.UTC)
    when = at.strftime("%Y-%m-%d %H:%M") if hasattr(at, "strftime") else fmt.stamp(str(at))
    return f"{kind or 'event'} at {when}"


def _books(hall: Any | None) -> tuple[str, int, int] | None:
    """(the last stored event, held, failed) from the books, or None without a hall or when it cannot be read."""
    if hall is None:
        return None
    from treasurer import inbox

    try:
        event = inbox.latest(hall)
        counts = inbox.counts(hall)
    except Exception:  # noqa: BLE001 - the card must not break the window
        return None
    last = "none yet" if event is None else _when(event.type, int(event.created))
    return last, int(counts.get("held", 0)), int(counts.get("failed", 0))


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
