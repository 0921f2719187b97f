"""Parts the Reconciliation tabs share: a table whose first column is a tick box, and a totals line."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from ..context import AppContext
from ..filter_proxy import RecordFilterProxy
from ..table_model import Column, RecordTableModel
from ..table_view import RecordTableView


class TickTableModel(RecordTableModel):
    """A record table whose column 0 is a tick box; ticks are kept by record key across reloads."""

    ticks_changed = Signal()

    def __init__(self, columns: Sequence[Column], key: Callable[[Any], Any], parent=None):
        super().__init__([Column("", lambda r: "", sort=lambda r: 0, width=34), *columns], parent)
        self.key = key
        self.ticked: set = set()

    def set_rows(self, rows: Sequence[Any]) -> None:
        keys = {self.key(r) for r in rows}
        self.ticked &= keys
        super().set_rows(rows)
        self.ticks_changed.emit()

    def set_ticked(self, keys) -> None:
        self.ticked = set(keys) & {self.key(r) for r in self.rows}
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])
        self.ticks_changed.emit()

    def ticked_records(self) -> list[Any]:
        return [r for r in self.rows if self.key(r) in self.ticked]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole \
                and index.row() < len(self.rows):
            on = self.key(self.rows[index.row()]) in self.ticked
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.AccessibleTextRole:
            return "ticked" if self.key(self.rows[index.row()]) in self.ticked else "not ticked"
        return super().data(index, role)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        key = self.key(self.rows[index.row()])
        state = value.value if hasattr(value, "value") else value
        if state == Qt.CheckState.Checked.value:
            self.ticked.add(key)
        else:
            self.ticked.discard(key)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.ticks_changed.emit()
        return True

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags


class TickTableView(RecordTableView):
    """Space ticks or unticks the current row (and every selected row)."""

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and self.currentIndex().isValid():
            rows = sorted({i.row() for i in self.selectionModel().selectedRows()} or {self.currentIndex().row()})
            model = self.proxy.sourceModel()
            assert isinstance(model, TickTableModel)
            keys = [model.key(self.proxy.record_at(r)) for r in rows]
            on = not all(k in model.ticked for k in keys)
            model.set_ticked((model.ticked | set(keys)) if on else (model.ticked - set(keys)))
            return
        super().keyPressEvent(event)


class TickTable:
    """Model, proxy and view, as ``base.Table``, with tick boxes in column 0."""

    def __init__(self, ctx: AppContext, name: str, columns: Sequence[Column], key: Callable[[Any], Any],
                 search: Callable[[Any], str], parent: QWidget | None = None):
        self.model = TickTableModel(columns, key, parent)
        self.proxy = RecordFilterProxy(search, parent)
        self.proxy.setSourceModel(self.model)
        self.view = TickTableView(name, self.proxy, ctx.settings, parent, (1, Qt.SortOrder.AscendingOrder))

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.model.set_rows(rows)


def caption(text: str = "", name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setObjectName(name or "page-subtitle")
    label.setWordWrap(True)
    return label


def section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section-title")
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
