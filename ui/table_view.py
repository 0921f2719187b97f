"""The app's table view: sortable, remembers column widths and sort order between runs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .filter_proxy import RecordFilterProxy
from .settings import AppSettings


SORT_ARROW_ROOM = 14      # pixels each side of a header's title: the sort arrow, and the section's margins


class RecordTableView(QTableView):
    activated_record = Signal(object)     # double-click or Enter on a row

    def __init__(self, name: str, proxy: RecordFilterProxy, settings: AppSettings, parent=None,
                 default_sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)):
        super().__init__(parent)
        self.setObjectName(f"table-{name}")
        self.name = name
        self._default_sort = default_sort
        self._settings = settings
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._restore()
        header.sectionResized.connect(self._save)
        header.sectionMoved.connect(self._save)
        header.sortIndicatorChanged.connect(self._save)
        self.doubleClicked.connect(lambda index: self.activated_record.emit(self.proxy.record_at(index.row())))

    @property
    def proxy(self) -> RecordFilterProxy:
        model = self.model()
        assert isinstance(model, RecordFilterProxy)
        return model

    def _restore(self) -> None:
        state = self._settings.header_state(self.name)
        if state is None or not self.horizontalHeader().restoreState(state):
            source = self.proxy.sourceModel()
            header = self.horizontalHeader()
            for i, column in enumerate(getattr(source, "columns", [])):
                if column.width:
                    # Never narrower than its title with room for the sort arrow: no clipped headers.
                    title = header.fontMetrics().horizontalAdvance(column.title) + 2 * SORT_ARROW_ROOM
                    self.setColumnWidth(i, max(column.width, title))
            self.sortByColumn(*self._default_sort)
        else:
            header = self.horizontalHeader()
            self.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def _save(self, *args) -> None:
        self._settings.set_header_state(self.name, self.horizontalHeader().saveState())

    def selected_records(self) -> list[Any]:
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [self.proxy.record_at(row) for row in rows]

    def current_record(self) -> Any | None:
        index = self.currentIndex()
        return self.proxy.record_at(index.row()) if index.isValid() else None

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_record.emit(self.proxy.record_at(self.currentIndex().row()))
            return
        super().keyPressEvent(event)


