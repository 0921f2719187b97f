"""CSV import: every problem by line is shown before anything is written; import is all or nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from treasurer.errors import ImportFailed, UserFacingError
from treasurer.member_import import check_members_text, decode, import_members_text

from ..context import AppContext
from ..filter_proxy import RecordFilterProxy
from ..table_model import Column, RecordTableModel
from ..table_view import RecordTableView

PREVIEW_COLUMNS = [
    Column("Number", lambda r: r["member_number"], width=90),
    Column("First name", lambda r: r["first_name"], width=120),
    Column("Last name", lambda r: r["last_name"], width=140),
    Column("Classification", lambda r: r.get("classification", ""), width=160),
    Column("Status", lambda r: r.get("status", ""), width=80),
    Column("Email", lambda r: r.get("email", ""), width=180),
]


class ImportDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.text: str | None = None
        self.setObjectName("import-dialog")
        self.setWindowTitle("Import members from CSV")
        self.resize(820, 560)
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        self.path.setPlaceholderText("Choose a CSV file saved from the spreadsheet (CSV UTF-8)")
        browse = QPushButton("Choose file…")
        browse.clicked.connect(self.browse)
        top = QHBoxLayout()
        top.addWidget(self.path, 1)
        top.addWidget(browse)
        self.verdict = QLabel("Nothing is written until you press Import, and only if every line is right.")
        self.verdict.setWordWrap(True)
        self.problems = QPlainTextEdit()
        self.problems.setObjectName("problems")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(150)
        self.problems.hide()
        self.model = RecordTableModel(PREVIEW_COLUMNS, self)
        self.proxy = RecordFilterProxy(lambda r: " ".join(str(v) for v in r.values()).casefold(), self)
        self.proxy.setSourceModel(self.model)
        self.preview = RecordTableView("import-preview", self.proxy, ctx.settings, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("do-import")
        self.import_button.setEnabled(False)
        buttons.accepted.connect(self.do_import)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addWidget(self.problems)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import members", str(Path.home()),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> None:
        self.path.setText(str(path))
        try:
            self.load_text(decode(path.read_bytes()))
        except ImportFailed as exc:
            self._show([], exc.problems, [])
        except OSError as exc:
            self._show([], [f"Cannot read {path}: {exc.strerror or exc}"], [])

    def load_text(self, text: str) -> None:
        self.text = text
        try:
            rows, problems, ignored = check_members_text(self.ctx.hall, text)
        except ImportFailed as exc:
            rows, problems, ignored = [], exc.problems, []
        names = self._class_names()
        for row in rows:
            row["classification"] = names.get(row.get("classification_id"), "")
        self._show(rows, problems, ignored)

    def _class_names(self) -> dict[int, str]:
        from sqlalchemy import select

        from treasurer.models import Classification

        with self.ctx.hall.read() as s:
            return dict(s.execute(select(Classification.id, Classification.name)).all())

    def _show(self, rows: list[dict], problems: list[str], ignored: list[str]) -> None:
        self.model.set_rows(rows)
        if problems:
            self.verdict.setText(f"Nothing can be imported: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
                                 f" to fix in the file first.")
            self.verdict.setObjectName("inline-error")
            self.problems.setPlainText("\n".join(problems))
            self.problems.show()
        else:
            extra = f" Ignored columns: {', '.join(ignored)}." if ignored else ""
            self.verdict.setText(f"{len(rows)} members ready to import.{extra}")
            self.verdict.setObjectName("inline-ok")
            self.problems.hide()
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        self.import_button.setEnabled(bool(rows) and not problems)

    def do_import(self) -> None:
        if self.text is None:
            return
        try:
            result = import_members_text(self.ctx.hall, self.text)
        except ImportFailed as exc:
            self._show([], exc.problems, [])
            return
        except UserFacingError as exc:
            self._show([], [str(exc)], [])
            return
        self.result_summary = result.summary()
        self.accept()
