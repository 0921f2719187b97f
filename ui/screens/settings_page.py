"""Settings: the hall's details and officers (audited, in the books), the Stripe key (keyring only), relay and
backups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from treasurer import credentials
from treasurer.backup import backup_to
from treasurer.errors import UserFacingError

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..settings import RELAY_MODES
from ..table_model import Column
from ..workers import run_with_progress
from .base import Screen, Table, toolbar_row

RELAY_LABELS = {"auto": "Automatic (Stripe CLI, else webhooks, else polling)", "cli": "Stripe CLI (listen)",
                "polling": "Poll Stripe's Events API", "webhook": "Webhook only",
                "off": "Off"}


def key_description(key: str | None) -> str:
    if not key:
        return "No Stripe key is stored."
    try:
        mode = credentials.key_mode(key)
    except UserFacingError as exc:
        return str(exc)
    kind = "restricted key" if credentials.is_restricted(key) else "secret key"
    return f"A {mode.upper()} mode {kind} is stored in the system keyring ({credentials.redact(key)})."


class SettingsScreen(Screen):
    title = "Settings"
    icon_name = "settings"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        self.page_header(outer)
        body = QWidget()
        layout = QVBoxLayout(body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        hall_box = QGroupBox("The hall (printed on slips and receipts)")
        form = QFormLayout(hall_box)
        self.hall_name = QLineEdit()
        self.hall_name.setObjectName("hall-name")
        self.hall_address = QPlainTextEdit()
        self.hall_address.setObjectName("hall-address")
        self.hall_address.setTabChangesFocus(True)
        self.hall_address.setFixedHeight(64)
        self.currency_label = QLabel()
        save_hall = QPushButton("Save hall details")
        save_hall.setObjectName("save-hall")
        save_hall.clicked.connect(self.save_hall)
        self.hall_result = QLabel()
        form.addRow("&Name", self.hall_name)
        form.addRow("&Address", self.hall_address)
        form.addRow("Currency", self.currency_label)
        form.addRow(save_hall, self.hall_result)
        layout.addWidget(hall_box)
        layout.addWidget(self._officers_box(ctx))

        stripe_box = QGroupBox("Stripe")
        form = QFormLayout(stripe_box)
        self.session_mode = QLabel()
        self.key_state = QLabel()
        self.key_state.setObjectName("key-state")
        self.key_state.setWordWrap(True)
        self.key = QLineEdit()
        self.key.setObjectName("stripe-key")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("rk_live_… or sk_test_… (a restricted key is best)")
        self.store_button = store = QPushButton("Save key in keyring")
        store.setObjectName("store-key")
        store.clicked.connect(self.store_key)
        self.forget_button = forget = QPushButton("Forget key")
        forget.clicked.connect(self.forget_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(store)
        key_row.addWidget(forget)
        self.sandbox = QCheckBox("Practise with the offline sandbox even when a key is stored (no real money; from the next "
                                 "start)")
        self.sandbox.setObjectName("use-sandbox")
        self.sandbox.setToolTip("With a Stripe key stored, tick this to start in the offline sandbox instead; with "
                                "no key the app always starts in the sandbox.")
        # clicked, not toggled: only the treasurer's choice is saved, never what refresh() shows.
        self.sandbox.clicked.connect(lambda on: setattr(ctx.settings, "sandbox", on))
        form.addRow("This session", self.session_mode)
        form.addRow("Key", self.key_state)
        form.addRow("New key", key_row)
        form.addRow("", self.sandbox)
        layout.addWidget(stripe_box)

        relay_box = QGroupBox("Online payments relay (from the next start)")
        form = QFormLayout(relay_box)
        self.relay_mode = QComboBox()
        self.relay_mode.setObjectName("relay-mode")
        for mode in RELAY_MODES:
            self.relay_mode.addItem(RELAY_LABELS[mode], mode)
        self.relay_mode.currentIndexChanged.connect(
            lambda _: setattr(ctx.settings, "relay_mode", self.relay_mode.currentData()))
        self.relay_port = QSpinBox()
        self.relay_port.setObjectName("relay-port")
        self.relay_port.setRange(1024, 65535)
        self.relay_port.valueChanged.connect(lambda v: setattr(ctx.settings, "relay_port", v))
        self.cli_path = QLineEdit()
        self.cli_path.setObjectName("stripe-cli-path")
        self.cli_path.setPlaceholderText("stripe (found on the PATH)")
        self.cli_path.editingFinished.connect(lambda: setattr(ctx.settings, "stripe_cli_path", self.cli_path.text()))
        form.addRow("&Mode", self.relay_mode)
        form.addRow("Webhook &port", self.relay_port)
        form.addRow("Stripe &CLI", self.cli_path)
        layout.addWidget(relay_box)
        from ..mail_section import MailSection

        self.mail_section = MailSection(ctx)
        layout.addWidget(self.mail_section)

        backup_box = QGroupBox("Backups")
        form = QFormLayout(backup_box)
        self.backup_folder = QLineEdit()
        self.backup_folder.setObjectName("backup-folder")
        self.backup_folder.editingFinished.connect(
            lambda: setattr(ctx.settings, "backup_folder", self.backup_folder.text()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_backup_folder)
        row = QHBoxLayout()
        row.addWidget(self.backup_folder, 1)
        row.addWidget(browse)
        self.backup_button = QPushButton(icon("backup"), "Back up now")
        self.backup_button.setObjectName("back-up-now")
        self.backup_button.clicked.connect(self.back_up_now)
        self.backup_result = QLabel()
        self.backup_result.setObjectName("backup-result")
        self.backup_result.setWordWrap(True)
        folder_label = QLabel("&Folder")           # a row of two widgets: the label's buddy is the folder box
        folder_label.setBuddy(self.backup_folder)
        form.addRow(folder_label, row)
        form.addRow(self.backup_button, self.backup_result)
        layout.addWidget(backup_box)
        layout.addStretch(1)

    def _officers_box(self, ctx: AppContext) -> QGroupBox:
        box = QGroupBox("Officers (they approve credits, close periods and vouch with their PIN)")
        column = QVBoxLayout(box)
        self.officers = Table(ctx, "officers", [
            Column("Name", lambda r: r.name, sort=lambda r: r.name.casefold(), width=200),
            Column("Role", lambda r: r.role.capitalize(), width=110),
            Column("Active", lambda r: "yes" if r.active else "no", warn=lambda r: not r.active, width=90),
            Column("Added", lambda r: fmt.stamp(r.created_at)),
        ], lambda r: r.search, self)
        self.officers.view.setMinimumHeight(150)
        self.officers.view.setMaximumHeight(190)
        self.add_officer_button = QPushButton(icon("add"), "Add officer…")
        self.add_officer_button.setObjectName("add-officer")
        self.add_officer_button.clicked.connect(self.add_officer)
        self.change_pin_button = QPushButton("Change PIN…")
        self.change_pin_button.setObjectName("change-pin")
        self.change_pin_button.clicked.connect(self.change_pin)
        self.deactivate_button = QPushButton("Deactivate…")
        self.deactivate_button.setObjectName("deactivate-officer")
        self.deactivate_button.setToolTip("An officer who left: kept on the history, can no longer act or vouch")
        self.deactivate_button.clicked.connect(self.deactivate_officer)
        self.reactivate_button = QPushButton("Reactivate…")
        self.reactivate_button.setObjectName("reactivate-officer")
        self.reactivate_button.setToolTip("An officer who returns: they may act and vouch again")
        self.reactivate_button.clicked.connect(self.reactivate_officer)
        self.officers_result = QLabel()
        self.officers_result.setObjectName("officers-result")
        self.officers_result.setWordWrap(True)
        column.addWidget(self.officers.view)
        column.addLayout(toolbar_row(self.add_officer_button, self.change_pin_button, self.deactivate_button,
                                     self.reactivate_button, self.officers_result))
        self.officers.view.activated_record.connect(lambda record: self.change_pin())
        return box

    def refresh_officers(self) -> None:
        self.officers.set_rows(queries.officer_rows(self.hall))

    def _selected_officer(self, action: str) -> str:
        record = self.officers.view.current_record()
        if record is None:
            raise UserFacingError(f"Select the officer to {action} first.")
        return record.name

    @guarded
    def add_officer(self, *args) -> None:
        from ..dialogs.officer_add_dialog import AddOfficerDialog

        dialog = AddOfficerDialog(self.ctx, self)
        if dialog.exec():
            self.refresh_officers()
            self.officers_result.setText(f"Added {dialog.added}.")

    @guarded
    def change_pin(self, *args) -> None:
        from ..dialogs.officer_change_pin_dialog import ChangePinDialog

        record = self.officers.view.current_record()
        dialog = ChangePinDialog(self.ctx, self, record.name if record is not None and record.active else "")
        if dialog.exec():
            self.officers_result.setText(f"The PIN for {dialog.officer.currentText()} is changed.")

    @guarded
    def deactivate_officer(self, *args) -> None:
        from ..dialogs.officer_deactivate_dialog import DeactivateOfficerDialog

        name = self._selected_officer("deactivate")
        if not self.officers.view.current_record().active:
            raise UserFacingError(f"{name} is already inactive.")
        dialog = DeactivateOfficerDialog(self.ctx, name, self)
        if dialog.exec():
            self.refresh_officers()
            self.officers_result.setText(f"{name} is deactivated." + (f" {dialog.notice}" if dialog.notice else ""))

    @guarded
    def reactivate_officer(self, *args) -> None:
        from ..dialogs.officer_deactivate_dialog import ReactivateOfficerDialog

        name = self._selected_officer("reactivate")
        if self.officers.view.current_record().active:
            raise UserFacingError(f"{name} is already active.")
        dialog = ReactivateOfficerDialog(self.ctx, name, self)
        if dialog.exec():
            self.refresh_officers()
            self.officers_result.setText(f"{name} is active again.")

    def refresh(self) -> None:
        self.refresh_officers()
        settings = self.hall.settings()
        if not self.hall_name.hasFocus():
            self.hall_name.setText(settings["hall_name"])
        if not self.hall_address.hasFocus():
            self.hall_address.setPlainText(settings["hall_address"])
        self.currency_label.setText(settings["currency"].upper() + " (fixed once the books start)")
        self.session_mode.setText({"sandbox": "Offline sandbox", "test": "Stripe test mode", "live": "Stripe LIVE",
                                   "none": "No Stripe: payment links are off"}[self.ctx.mode])
        try:
            stored = credentials.api_key()
        except UserFacingError as exc:
            stored = None
            self.key_state.setText(str(exc))
        else:
            self.key_state.setText(key_description(stored) if credentials.keyring_available() or stored else
                                   "This computer has no system keyring: set STRIPE_API_KEY for each session.")
        # Without a keyring there is nowhere to save a key (never a file): the buttons say so by being off.
        has_keyring = credentials.keyring_available()
        for widget in (self.key, self.store_button, self.forget_button):
            widget.setEnabled(has_keyring)
            widget.setToolTip("" if has_keyring else "This computer has no system keyring.")
        s = self.ctx.settings
        self.sandbox.setChecked(s.sandbox)
        self.relay_mode.setCurrentIndex(max(0, self.relay_mode.findData(s.relay_mode)))
        self.relay_port.setValue(s.relay_port)
        self.cli_path.setText(s.stripe_cli_path)
        self.backup_folder.setText(s.default_backup_folder(self.hall.data_path))

    @guarded
    def save_hall(self) -> None:
        name = self.hall_name.text().strip()
        if not name:
            raise UserFacingError("The hall needs a name (for example \"IBEW Local 000\").")
        self.hall.set_setting("hall_name", name)
        self.hall.set_setting("hall_address", self.hall_address.toPlainText().strip())
        self.hall_result.setText("Saved.")

    @guarded
    def store_key(self) -> None:
        key = self.key.text().strip()
        credentials.store(credentials.SECRET_KEY, key)
        self.key.clear()
        self.key_state.setText(key_description(key) + (
            " The sandbox box below is ticked, so the next start still uses the offline sandbox: untick it to "
            "use this key." if self.sandbox.isChecked() else " It is used from the next start."))

    @guarded
    def forget_key(self) -> None:
        credentials.forget(credentials.SECRET_KEY)
        self.key_state.setText(key_description(None))

    def choose_backup_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Backup folder", self.backup_folder.text())
        if folder:
            self.backup_folder.setText(folder)
            self.ctx.settings.backup_folder = folder

    @guarded
    def back_up_now(self) -> None:
        folder = Path(self.backup_folder.text().strip() or self.ctx.settings.default_backup_folder(
            self.hall.data_path)).expanduser()
        self.ctx.settings.backup_folder = str(folder)
        target = folder / f"treasurer-{dt.datetime.now():%Y%m%d-%H%M%S}.sqlite3"
        report, _ = run_with_progress(self, "Backing up", f"Copying the books to {target}…",
                                      lambda progress: backup_to(self.hall.db, target), cancellable=False)
        self.backup_result.setText(f"Backed up to {report.path} ({report.size_bytes / 1e6:.1f} MB); the copy opens, "
                                   f"its audit chain checks out ({report.chain.entries:,} entries) and all "
                                   f"{report.books.rows_checked:,} rows of the books agree with it.")
