"""Sorting and filtering for every table: text typed in a search box plus named predicates (combo boxes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from .table_model import SORT_ROLE, RecordTableModel


class RecordFilterProxy(QSortFilterProxyModel):
    """``search_text(record)`` gives the lower-case text a search matches; ``set_predicate`` adds filters.

    Filtering reads the source model's records directly rather than through ``data()``: with 5,000
    members that is the difference between a keystroke in a few milliseconds and a visible stall.
    """

    def __init__(self, search_text: Callable[[Any], str], parent=None):
        super().__init__(parent)
        self._search_text = search_text
        self._needle = ""
        self._predicates: dict[str, Callable[[Any], bool]] = {}
        self.setSortRole(SORT_ROLE)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts itself (fast); this proxy only filters and keeps the source's order."""
        model = self.sourceModel()
        if isinstance(model, RecordTableModel):
            model.sort(column, order)

    def set_search(self, text: str) -> None:
        needle = " ".join(text.split()).casefold()
        if needle == self._needle:
            return
        self.beginFilterChange()
        self._needle = needle
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_predicate(self, name: str, predicate: Callable[[Any], bool] | None) -> None:
        self.beginFilterChange()
        if predicate is None:
            self._predicates.pop(name, None)
        else:
            self._predicates[name] = predicate
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self._needle and not self._predicates:
            return True                     # called for every row on each reset: nothing to look at
        return self.accepts(self._source_rows()[source_row])

    def _source_rows(self) -> list[Any]:
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model.rows

    def accepted_records(self) -> list[Any]:
        """The records shown, in source order, without going through indexes (fast for totals)."""
        rows = self._source_rows()
        if not self._needle and not self._predicates:
            return list(rows)
        return [r for r in rows if self.accepts(r)]

    def accepts(self, record: Any) -> bool:
        if self._needle:
            haystack = self._search_text(record)
            if not all(word in haystack for word in self._needle.split(" ")):
                return False
        return all(predicate(record) for predicate in self._predicates.values())

    def record_at(self, proxy_row: int) -> Any:
        source = self.mapToSource(self.index(proxy_row, 0))
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model.rows[source.row()]

    def records(self) -> list[Any]:
        return [self.record_at(row) for row in range(self.rowCount())]
