"""An officer's name and PIN, for actions a named officer must prove with their PIN.

Every dialog that moves money or changes who may act uses these rows; the core checks the PIN inside the
action's own transaction (a wrong one counts towards a lockout and is in the audit log).
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from treasurer.officers import MAX_PIN, MIN_PIN, dual_control_in_force, pin_is_short, short_pin_advice

from .. import queries
from ..context import AppContext
from ..errors import inform


def officer_combo(ctx: AppContext, exclude: str = "") -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("officer")
    names = [n for n in queries.officer_names(ctx.hall) if n != exclude]
    combo.addItems(names)
    if not names:
        combo.setPlaceholderText("no officers yet: add one in Settings")
    return combo


def pin_field(new: bool = False) -> QLineEdit:
    pin = QLineEdit()
    pin.setObjectName("pin")
    pin.setEchoMode(QLineEdit.EchoMode.Password)
    pin.setPlaceholderText(f"{MIN_PIN} to {MAX_PIN} digits" if new else "the officer's PIN")
    pin.setMaxLength(MAX_PIN)
    return pin


class OfficerPin:
    """Two rows of a form: which officer, and their PIN (typed hidden)."""

    def __init__(self, ctx: AppContext, form: QFormLayout, label: str = "&Officer", exclude: str = "",
                 name: str = "officer", pin_label: str = "P&IN"):
        self.officer = officer_combo(ctx, exclude)
        self.officer.setObjectName(name)
        self.pin = pin_field()
        self.pin.setObjectName("pin" if name == "officer" else f"{name}-pin")
        form.addRow(label, self.officer)
        form.addRow(pin_label, self.pin)

    @property
    def name(self) -> str:
        return self.officer.currentText()

    def voucher(self) -> tuple[str, str]:
        return self.officer.currentText(), self.pin.text()

    def show_in(self, form: QFormLayout, visible: bool) -> None:
        form.setRowVisible(self.officer, visible)
        form.setRowVisible(self.pin, visible)


def voucher_rows(ctx: AppContext, form: QFormLayout, exclude: str = "") -> list[OfficerPin]:
    """One officer who vouches, or two while dual control is in force (two active officers or more)."""
    with ctx.hall.read() as session:
        two = dual_control_in_force(session)
    rows = [OfficerPin(ctx, form, "&Vouched for by", exclude, "voucher", "Their P&IN")]
    if two:
        second = OfficerPin(ctx, form, "&And by", exclude, "second-voucher", "Their PI&N")
        if second.officer.count() > 1:
            second.officer.setCurrentIndex(1)
        rows.append(second)
    return rows


def remind_short_pins(parent: QWidget | None, proven: list[tuple[str, str]]) -> None:
    """After an action worked: ask each officer whose PIN is from before PINs had six digits to change it."""
    advice = [short_pin_advice(name) for name, pin in proven if pin and pin_is_short(pin)]
    if advice:
        inform(parent, "Time for a longer PIN", " ".join(advice))
