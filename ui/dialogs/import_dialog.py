"""CSV import: every problem by line, and what would change for each member field by field, is shown before
anything is written; import is all or nothing."""

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
from treasurer.member_import import ImportPreview, decode, import_members_text, preview_import

from ..context import AppContext
from ..filter_proxy import RecordFilterProxy
from ..table_model import Column, RecordTableModel
from ..table_view import RecordTableView

PREVIEW_COLUMNS = [
    Column("Number", lambda r: r.member_number, width=90),
    Column("Name", lambda r: r.name, width=200),
    Column("What the import does", lambda r: r.describe(), tooltip=lambda r: r.describe()),
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
        self.verdict = QLabel("Nothing is written until you press Import, and only if every line is right. For a "
                              "member already on the roll a blank cell leaves the field as it is; (clear) in a "
                              "cell empties an email, phone, address, notes or join date.")
        self.verdict.setWordWrap(True)
        self.problems = QPlainTextEdit()
        self.problems.setObjectName("problems")
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(150)
        self.problems.hide()
        self.model = RecordTableModel(PREVIEW_COLUMNS, self)
        self.proxy = RecordFilterProxy(lambda r: f"{r.member_number} {r.name} {r.describe()}".casefold(), self)
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
            preview = preview_import(self.ctx.hall, text)
        except ImportFailed as exc:
            self._show([], exc.problems, [])
            return
        self._show(list(preview.members), [], preview.ignored_columns, preview)

    def _show(self, rows: list, problems: list[str], ignored: list[str], preview: ImportPreview | None = None
              ) -> None:
        self.model.set_rows(rows)
        if problems:
            self.verdict.setText(f"Nothing can be imported: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
                                 f" to fix in the file first.")
            self.verdict.setObjectName("inline-error")
            self.problems.setPlainText("\n".join(problems))
            self.problems.show()
        else:
            extra = f" Ignored columns: {', '.join(ignored)}." if ignored else ""
            counts = (f"{preview.added} new, {preview.changed} changed, "
                      f"{len(rows) - preview.added - preview.changed} unchanged" if preview else f"{len(rows)}")
            self.verdict.setText(f"{len(rows)} members in the file ({counts}); nothing is written until you press "
                                 f"Import.{extra}")
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
