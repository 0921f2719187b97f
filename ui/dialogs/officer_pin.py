"""An officer's name and PIN, for actions a named officer must vouch for."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit

from .. import queries
from ..context import AppContext


def officer_combo(ctx: AppContext, exclude: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("officer")
    names = [n for n in queries.officer_names(ctx.hall) if n != exclude]
    combo.addItems(names)
    if not names:
        combo.setPlaceholderText("no officers yet: add one in Settings")
    return combo


def pin_field() -> QLineEdit:
    pin = QLineEdit()
    pin.setObjectName("pin")
    pin.setEchoMode(QLineEdit.EchoMode.Password)
    pin.setPlaceholderText("4 to 12 digits")
    pin.setMaxLength(12)
    return pin
