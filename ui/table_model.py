"""One table model for every list in the app: rows are plain records, columns say how to show them."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1   # the row's record object
SORT_ROLE = Qt.ItemDataRole.UserRole + 2     # a value that sorts right (cents, dates), not the display text

_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
# Roles and flags as plain values, worked out once: data() and flags() run for every cell painted, and
# looking up (or or-ing) Qt's enums there is most of their cost.
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


@dataclasses.dataclass(frozen=True)
class Column:
    title: str
    display: Callable[[Any], Any]
    sort: Callable[[Any], Any] | None = None
    numeric: bool = False
    warn: Callable[[Any], bool] | None = None       # red text when true (money owed, failures)
    tooltip: Callable[[Any], str] | None = None
    width: int | None = None


class RecordTableModel(QAbstractTableModel):
    """Read-only rows of records; ``set_rows`` swaps them all in one reset (cheap, and keeps the view's state)."""

    WARN = QColor("#b3261e")

    def __init__(self, columns: Sequence[Column], parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._warn_brush = QBrush(self.WARN)
        self._by_identity: dict[Any, Any] | None = None       # kept between upserts (see upsert)
        self._identity_of: Callable[[Any], Any] | None = None

    def set_rows(self, rows: Sequence[Any], identity: Callable[[Any], Any] | None = None) -> None:
        """All the rows anew; with ``identity``, the rows by identity are made ready for upserts just after
        (when the event loop is next free), not in the first upsert of a burst of relay events."""
        self.beginResetModel()
        self._by_identity = None
        self.rows = list(rows)
        if self._sort is not None:
            self.rows, self._keys = self._ordered(self.rows)
        self.endResetModel()
        if identity is not None:
            QTimer.singleShot(0, self, lambda: self._know_identities(identity))

    def _know_identities(self, identity: Callable[[Any], Any]) -> None:
        if self._by_identity is None or self._identity_of is not identity:
            self._by_identity = {identity(r): r for r in self.rows}
            self._identity_of = identity

    def upsert(self, records: Sequence[Any], identity: Callable[[Any], Any]) -> None:
        """Put these records in place of the rows with the same identity, and add the others where the sort
        puts them.

        Rows that changed in place send ``dataChanged``, new rows ``rowsInserted`` (one signal for each place
        they go, usually one): the filter proxy looks at those rows only, and the view keeps its selection and
        scroll position.  A changed row whose sort value changed is taken out and put back where it now goes.
        """
        if not records:
            return
        latest = {identity(r): r for r in records}          # the same row twice: the last one
        # Every row by identity, made after a reload (or here) and kept up to date after: making it looks at
        # every row, most of an upsert's cost on a big table.
        self._know_identities(identity)
        known = self._by_identity
        assert known is not None
        key = self._sort_key()
        changed: list[int] = []
        moved: list[int] = []
        added: list[Any] = []
        positions: dict[int, int] | None = None
        for ident, record in latest.items():
            old = known.get(ident)
            i = None if old is None else self._row_of(old, key)
            if i is None and old is not None:
                if positions is None:                       # not where its sort key says: look at every row
                    positions = {id(r): j for j, r in enumerate(self.rows)}
                i = positions.get(id(old))
            known[ident] = record
            if i is None:
                added.append(record)
            elif key is not None and key(record) != self._keys[i]:
                moved.append(i)
                added.append(record)
            else:
                self.rows[i] = record
                changed.append(i)
        last_column = len(self.columns) - 1
        for first, last in _runs(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))
        for first, last in reversed(_runs(sorted(moved))):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self.rows[first:last + 1]
            del self._keys[first:last + 1]
            self.endRemoveRows()
        if not added:
            return
        if key is None:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self.rows.extend(added)
            self.endInsertRows()
            return
        descending = self._sort[1] == Qt.SortOrder.DescendingOrder
        keyed = sorted(((key(r), r) for r in added), key=lambda kr: kr[0], reverse=descending)
        groups: list[tuple[int, list[tuple[Any, Any]]]] = []       # (place among the old rows, new rows)
        for k, record in keyed:
            at = _place(self._keys, k, descending)
            if groups and groups[-1][0] == at:
                groups[-1][1].append((k, record))
            else:
                groups.append((at, [(k, record)]))
        offset = 0
        for at, items in groups:
            at += offset
            self.beginInsertRows(QModelIndex(), at, at + len(items) - 1)
            self.rows[at:at] = [r for _, r in items]
            self._keys[at:at] = [k for k, _ in items]
            self.endInsertRows()
            offset += len(items)

    # Sorting happens here, with Python's sort over precomputed keys, rather than in the proxy: the
    # proxy would call data() twice per comparison (5,000 members: ~0.6 s a click instead of ~10 ms).
    # The keys are kept beside the rows, so that rows added later go straight to their place.
    _sort: tuple[int, Qt.SortOrder] | None = None
    _keys: list[Any] = []

    def _sort_key(self) -> Callable[[Any], Any] | None:
        if self._sort is None:
            return None
        value_of = self.columns[self._sort[0]].sort or self.columns[self._sort[0]].display

        def key(record: Any) -> tuple[bool, Any]:
            value = value_of(record)
            return (value is None, value)

        return key

    def _ordered(self, rows: list[Any]) -> tuple[list[Any], list[Any]]:
        key = self._sort_key()
        assert key is not None and self._sort is not None
        keys = [key(r) for r in rows]
        order = sorted(range(len(rows)), key=keys.__getitem__, reverse=self._sort[1] == Qt.SortOrder.DescendingOrder)
        return [rows[i] for i in order], [keys[i] for i in order]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        before = self.persistentIndexList()
        key = self._sort_key()
        assert key is not None
        keys = [key(r) for r in self.rows]
        order_rows = sorted(range(len(self.rows)), key=keys.__getitem__,
                            reverse=order == Qt.SortOrder.DescendingOrder)
        new_position = {old: new for new, old in enumerate(order_rows)}
        self.rows = [self.rows[i] for i in order_rows]
        self._keys = [keys[i] for i in order_rows]
        self.changePersistentIndexList(before, [self.index(new_position[i.row()], i.column()) for i in before])
        self.layoutChanged.emit()

    def _row_of(self, record: Any, key: Callable[[Any], Any] | None) -> int | None:
        """Where this very record is: among the rows with its sort key (a binary search), else None."""
        if key is None or self._sort is None or len(self._keys) != len(self.rows):
            return None
        k = key(record)
        descending = self._sort[1] == Qt.SortOrder.DescendingOrder
        end = _place(self._keys, k, descending)            # after the rows with this key
        j = end - 1
        while j >= 0 and self._keys[j] == k:
            if self.rows[j] is record:
                return j
            j -= 1
        return None

    def record(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        record = self.rows[index.row()]
        column = self.columns[index.column()]
        if role == _DISPLAY:
            value = column.display(record)
            return "" if value is None else str(value)
        if role == _ALIGN:
            return _RIGHT if column.numeric else _LEFT
        if role == _FOREGROUND:
            return self._warn_brush if column.warn is not None and column.warn(record) else None
        if role == SORT_ROLE:
            value = (column.sort or column.display)(record)
            return "" if value is None else value
        if role == RECORD_ROLE:
            return record
        if role == _TOOLTIP and column.tooltip is not None:
            return column.tooltip(record)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT if self.columns[section].numeric else _LEFT
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows: one signal per run."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        elif not runs or i != runs[-1][1]:
            runs.append((i, i))
    return runs


def _place(keys: list[Any], key: Any, descending: bool) -> int:
    """Where ``key`` goes among sorted ``keys``: after those equal to it."""
    if not descending:
        return bisect.bisect_right(keys, key)
    low, high = 0, len(keys)
    while low < high:
        middle = (low + high) // 2
        if keys[middle] >= key:
            low = middle + 1
        else:
            high = middle
    return low
