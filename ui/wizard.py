"""First run: the hall's name and address, Stripe, backups, and demo data if wanted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from treasurer import credentials
from treasurer.errors import UserFacingError
from treasurer.hall import Hall, init_hall

from .errors import show_error
from .settings import AppSettings
from .workers import run_with_progress


class HallPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("Your hall")
        self.setSubTitle("The name and address are printed on every payment slip and receipt.")
        self.name = QLineEdit()
        self.name.setObjectName("wizard-hall-name")
        self.name.setPlaceholderText("IBEW Local 000")
        self.address = QPlainTextEdit()
        self.address.setObjectName("wizard-hall-address")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(64)
        self.currency = QLineEdit("usd")
        self.currency.setObjectName("wizard-currency")
        self.currency.setMaxLength(3)
        form = QFormLayout(self)
        form.addRow("Hall &name", self.name)
        form.addRow("&Address", self.address)
        form.addRow("&Currency", self.currency)
        form.addRow(QLabel("The currency cannot change once the books start."))
        self.registerField("hall_name*", self.name)


class StripePage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("Online payments")
        self.setSubTitle("Payment slips carry a QR code that opens a Stripe payment link for what the member owes.")
        self.sandbox = QRadioButton("Practise first with the offline sandbox (no real money)")
        self.sandbox.setObjectName("wizard-sandbox")
        self.with_key = QRadioButton("Use my Stripe key (kept in this computer's keyring, nowhere else):")
        self.later = QRadioButton("Not now: cash and check only")
        self.sandbox.setChecked(True)
        self.key = QLineEdit()
        self.key.setObjectName("wizard-key")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText("rk_live_… or sk_test_…")
        self.key.textEdited.connect(lambda _: self.with_key.setChecked(True))
        column = QVBoxLayout(self)
        for widget in (self.sandbox, self.with_key, self.key, self.later):
            column.addWidget(widget)
        if not credentials.keyring_available():
            note = QLabel("This computer has no system keyring, so a key cannot be saved; set STRIPE_API_KEY "
                          "for each session instead.")
            note.setWordWrap(True)
            column.addWidget(note)

    def validatePage(self) -> bool:
        if self.with_key.isChecked():
            try:
                credentials.key_mode(self.key.text().strip())
            except UserFacingError as exc:
                show_error(self, exc)
                return False
        return True


class BooksPage(QWizardPage):
    def __init__(self, settings: AppSettings, data_path: Path | None):
        super().__init__()
        self.setTitle("Backups and demo data")
        self.backup = QLineEdit(settings.default_backup_folder(data_path))
        self.backup.setObjectName("wizard-backup-folder")
        self.demo = QCheckBox("Fill the books with a made-up hall to try things out")
        self.demo.setObjectName("wizard-demo")
        self.members = QSpinBox()
        self.members.setRange(10, 5000)
        self.members.setValue(300)
        form = QFormLayout(self)
        form.addRow("Backup &folder", self.backup)
        form.addRow(self.demo)
        form.addRow("Demo &members", self.members)
        form.addRow(QLabel("Demo data is for practice: start real books in another data folder."))


class FirstRunWizard(QWizard):
    def __init__(self, hall: Hall, settings: AppSettings, parent: QWidget | None = None, stripe: Any = None):
        """``stripe``: this session's Stripe setup (``args.stripe``): its sandbox takes the demo's online payments."""
        super().__init__(parent)
        self.hall = hall
        self.settings = settings
        self.stripe = stripe
        self.setObjectName("first-run")
        self.setWindowTitle("Welcome to Hall Treasurer")
        self.hall_page = HallPage()
        self.stripe_page = StripePage()
        self.books_page = BooksPage(settings, hall.data_path)
        for page in (self.hall_page, self.stripe_page, self.books_page):
            self.addPage(page)
        self.resize(620, 460)

    def accept(self) -> None:
        try:
            self.apply()
        except UserFacingError as exc:
            show_error(self, exc)
            return
        super().accept()

    def apply(self) -> None:
        page = self.hall_page
        init_hall(self.hall, page.name.text(), page.currency.text(), page.address.toPlainText().strip())
        stripe = self.stripe_page
        self.settings.sandbox = stripe.sandbox.isChecked()
        if stripe.with_key.isChecked():
            credentials.store(credentials.SECRET_KEY, stripe.key.text().strip())
        self.settings.backup_folder = self.books_page.backup.text().strip()
        if self.books_page.demo.isChecked():
            members = self.books_page.members.value()
            run_with_progress(self, "Demo data", f"Making a demo hall with {members:,} members…",
                              lambda progress: self.fill_demo(members), cancellable=False)

    def fill_demo(self, members: int) -> None:
        """The demo ``treasurer demo`` makes; its online payments only in the offline sandbox, never a real account.

        In this session's sandbox when it runs one (the window then shows the same payments), else in a sandbox
        started for the demo with its state in the data folder (the window's sandbox mode reads it later).
        """
        from treasurer.cli.demo_online import make_demo

        practise = self.stripe_page.sandbox.isChecked()
        running = self.stripe if getattr(self.stripe, "mode", None) == "sandbox" else None
        if practise and running is not None:
            make_demo(self.hall, self.hall.data_path, members, sandbox_url=running.api_base,
                      api_key=running.api_key)
        else:
            make_demo(self.hall, self.hall.data_path, members,
                      online=practise and self.stripe is None and self.hall.data_path is not None)
