"""Sandbox mode's "Sent mail": each message the catcher kept, as the member would see it.

The catcher (sandbox/mail_catcher.py) writes every message it takes to the data folder's ``sandbox-mail``;
this reads them back with the standard library's parser: who it went to, the subject, the HTML part (or the
text), and the attached slip.
"""

from __future__ import annotations

import email
import email.policy
import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from treasurer.mail_settings import SANDBOX_MAIL_FOLDER

from ..context import AppContext


def caught_messages(folder: Path) -> list[tuple[Path, email.message.EmailMessage]]:
    found = []
    for path in sorted(folder.glob("*.eml"), reverse=True):          # newest first
        try:
            found.append((path, email.message_from_bytes(path.read_bytes(), policy=email.policy.default)))
        except (OSError, ValueError):
            continue
    return found


def as_member_sees_it(msg) -> str:
    head = "".join(f"<tr><th align='left' style='padding-right:10px'>{k}</th><td>{html.escape(str(msg[k] or ''))}"
                   f"</td></tr>" for k in ("From", "To", "Reply-To", "Date", "Subject"))
    attachments = [f"{html.escape(a.get_filename() or 'attachment')} ({len(a.get_content()):,} bytes, "
                   f"{a.get_content_type()})" for a in msg.iter_attachments()]
    body = msg.get_body(("html", "plain"))
    content = body.get_content() if body is not None else ""
    if body is not None and body.get_content_type() == "text/plain":
        content = f"<pre>{html.escape(content)}</pre>"
    files = f"<p><b>Attached:</b> {', '.join(attachments)}</p>" if attachments else ""
    return f"<table>{head}</table>{files}<hr>{content}"


class SentMailDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sent-mail-dialog")
        self.setWindowTitle("Sent mail (sandbox: nothing left this computer)")
        self.resize(1000, 640)
        folder = (ctx.hall.data_path or Path(".")) / SANDBOX_MAIL_FOLDER
        self.messages = caught_messages(folder) if folder.is_dir() else []
        layout = QVBoxLayout(self)
        note = QLabel(f"{len(self.messages):,} message{'' if len(self.messages) == 1 else 's'} kept by sandbox "
                      f"mode's mail catcher in {folder}. Real members received nothing.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.list = QListWidget()
        self.list.setObjectName("sent-mail-list")
        for path, msg in self.messages:
            item = QListWidgetItem(f"{msg['To']}\n{msg['Subject']}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(msg["Date"] or ""))
            self.list.addItem(item)
        self.view = QTextBrowser()
        self.view.setObjectName("sent-mail-view")
        self.view.setOpenExternalLinks(True)
        split = QSplitter()
        split.addWidget(self.list)
        split.addWidget(self.view)
        split.setSizes([340, 660])
        layout.addWidget(split, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self.show_message)
        if self.messages:
            self.list.setCurrentRow(0)
        else:
            self.view.setHtml("<p>Nothing has been sent in sandbox mode yet.</p>")

    def show_message(self, row: int) -> None:
        if 0 <= row < len(self.messages):
            self.view.setHtml(as_member_sees_it(self.messages[row][1]))
