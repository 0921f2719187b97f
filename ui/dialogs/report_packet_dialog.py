"""The trustees' packet: a date range and a new (or empty) folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from treasurer import clock
from treasurer.errors import ValidationError

from ..context import AppContext
from .dues_dialogs import FormDialog, date_edit, py_date


class PacketDialog(FormDialog):
    ok_text = "Build packet"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, "Trustees' packet", parent)
        self.setObjectName("report-packet-dialog")
        self.setMinimumWidth(520)
        today = clock.today()
        first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        self.start = date_edit(first, "packet-from")
        self.end = date_edit(today.replace(day=1) - dt.timedelta(days=1), "packet-to")
        self.folder = QLineEdit(str(Path.home() / f"trustees-packet-{first.strftime('%Y-%m')}"))
        self.folder.setObjectName("packet-folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.form.addRow("&From", self.start)
        self.form.addRow("&To", self.end)
        self.form.addRow("F&older", row)
        self.note.setText("Period reports, per capita, every payout's state, discrepancies, open review items and "
                          "the audit chain's verification: a PDF, CSV files and a README. The folder must be new "
                          "or empty.")
        self.choice: tuple[dt.date, dt.date, Path] | None = None

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the packet", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def apply(self) -> None:
        start, end, folder = py_date(self.start), py_date(self.end), self.folder.text().strip()
        if end < start:
            raise ValidationError(f"The packet ends ({end.isoformat()}) before it starts ({start.isoformat()}).")
        if not folder:
            raise ValidationError("Choose a folder for the packet.")
        path = Path(folder).expanduser()
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ValidationError(f"The folder {path} is not empty; choose a new folder for the packet.")
        self.choice = (start, end, path)
