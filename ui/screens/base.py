"""What every screen has: a title, ``refresh()``, and the parts of a filterable table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..context import AppContext
from ..filter_proxy import RecordFilterProxy
from ..look import icon
from ..table_model import Column, RecordTableModel
from ..table_view import RecordTableView


class Screen(QWidget):
    title = ""
    icon_name = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"screen-{self.title.lower()}")

    @property
    def hall(self):
        return self.ctx.hall

    @property
    def currency(self) -> str:
        return self.ctx.hall.currency

    def refresh(self) -> None:
        """Reload from the database (when first shown, after a write, and when ``follow`` cannot say)."""

    # A screen that can follow changed rows defines ``follow(changes) -> Callable[[], None] | None``: called in
    # a pool thread, it reads what changed (``ui.changes.Changes``) and returns what puts it on show, which
    # the window calls on the UI thread.  A screen without it is reloaded instead.

    def focus_search(self) -> None:
        search = self.findChild(QLineEdit, "search")
        if search is not None:
            search.setFocus()
            search.selectAll()

    def page_header(self, layout: QVBoxLayout, subtitle: str = "") -> QLabel:
        title = QLabel(self.title)
        title.setObjectName("page-title")
        layout.addWidget(title)
        sub = QLabel(subtitle)
        sub.setObjectName("page-subtitle")
        sub.setWordWrap(True)
        if subtitle:
            layout.addWidget(sub)
        return sub


class Table:
    """A model, its filter proxy and its view, built together."""

    def __init__(self, ctx: AppContext, name: str, columns: Sequence[Column], search: Callable[[Any], str],
                 parent: QWidget | None = None, newest_first_by: int | None = None, follows_changes: bool = False):
        self.follows_changes = follows_changes      # its screen puts relay events' rows in place (upsert)
        self.model = RecordTableModel(columns, parent)
        self.proxy = RecordFilterProxy(search, parent)
        self.proxy.setSourceModel(self.model)
        default = ((newest_first_by, Qt.SortOrder.DescendingOrder) if newest_first_by is not None
                   else (0, Qt.SortOrder.AscendingOrder))
        self.view = RecordTableView(name, self.proxy, ctx.settings, parent, default)

    def set_rows(self, rows: Sequence[Any]) -> None:
        """New rows, keeping the row the treasurer was on and the scroll position (relay events reload often)."""
        current = self.view.current_record()
        scroll = self.view.verticalScrollBar().value()
        self.model.set_rows(rows, identity if self.follows_changes else None)   # upserts come: ready them
        if current is not None:
            wanted = identity(current)
            for i, record in enumerate(self.model.rows):
                if identity(record) == wanted:
                    index = self.proxy.mapFromSource(self.model.index(i, 0))
                    if index.isValid():
                        self.view.setCurrentIndex(index)
                    break
        self.view.verticalScrollBar().setValue(scroll)


    def upsert(self, rows: Sequence[Any]) -> None:
        """Changed and new rows in place (relay events): the rest of the table, the selection and scroll stay."""
        self.model.upsert(rows, identity)


def identity(record: Any) -> Any:
    """What makes a row the same row after a reload: its id where it has one, else its value."""
    for name in ("id", "seq", "code"):
        value = getattr(record, name, None)
        if value is not None:
            return (type(record).__name__, getattr(record, "kind", None), value)
    return getattr(record, "ref", None) or record


def search_box(placeholder: str, on_text: Callable[[str], None]) -> QLineEdit:
    box = QLineEdit()
    box.setObjectName("search")
    box.setPlaceholderText(placeholder)
    box.setClearButtonEnabled(True)
    box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
    box.textChanged.connect(on_text)
    box.setMinimumWidth(320)
    return box


def toolbar_row(*widgets: QWidget | None, stretch_at: int | None = None) -> QHBoxLayout:
    row = QHBoxLayout()
    for i, widget in enumerate(widgets):
        if stretch_at == i:
            row.addStretch(1)
        if widget is not None:
            row.addWidget(widget)
    if stretch_at is None or stretch_at >= len(widgets):
        row.addStretch(1)
    return row
