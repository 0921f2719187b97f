"""Dashboard (being built)."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..context import AppContext
from .base import Screen


class DashboardScreen(Screen):
    title = "Dashboard"
    icon_name = "dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.page_header(layout)
        layout.addStretch(1)

    def refresh_relay(self) -> None:
        pass
