"""The app's table view: sortable, remembers column widths and sort order between runs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyleOptionHeader,
    QTableView,
)

from .filter_proxy import RecordFilterProxy
from .settings import AppSettings

SORT_ARROW_ROOM = 14      # pixels each side of a header's title: the sort arrow, and the section's margins


class RecordHeader(QHeaderView):
    """Column titles that never sit under the sort arrow: with the app's style sheet a right-aligned title
    (money, counts) was drawn through the arrow ("Slip" sorted read "Sli▾p"); it now ends just before it."""

    def paintSection(self, painter, rect, logical: int) -> None:
        option = QStyleOptionHeader()
        self.initStyleOption(option)
        self.initStyleOptionForIndex(option, logical)
        if (option.sortIndicator == QStyleOptionHeader.SortIndicator.None_
                or not option.textAlignment & Qt.AlignmentFlag.AlignRight):
            super().paintSection(painter, rect, logical)
            return
        option.rect = rect
        style = self.style()
        arrow = style.subElementRect(QStyle.SubElement.SE_HeaderArrow, option, self)
        title = option.text
        option.text = ""
        painter.save()
        style.drawControl(QStyle.ControlElement.CE_Header, option, painter, self)     # ground, border, arrow
        painter.restore()
        label = QStyleOptionHeader(option)
        label.text = title
        label.sortIndicator = QStyleOptionHeader.SortIndicator.None_
        label.rect = QRect(rect.left(), rect.top(), max(0, arrow.left() - rect.left() - 3), rect.height())
        painter.save()
        style.drawControl(QStyle.ControlElement.CE_HeaderLabel, label, painter, self)
        painter.restore()


class RecordTableView(QTableView):
    activated_record = Signal(object)     # double-click or Enter on a row

    def __init__(self, name: str, proxy: RecordFilterProxy, settings: AppSettings, parent=None,
                 default_sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)):
        super().__init__(parent)
        self.setObjectName(f"table-{name}")
        self.setHorizontalHeader(RecordHeader(Qt.Orientation.Horizontal, self))
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
            columns = getattr(source, "columns", [])
            for i, column in enumerate(columns):
                # Never narrower than its title with room for the sort arrow: no clipped headers.  The last
                # column, which stretches, starts at its title's width when it has none of its own: it then
                # fills the table, but does not push the table wider than the window.
                title = header.fontMetrics().horizontalAdvance(column.title) + 2 * SORT_ARROW_ROOM
                if column.width or i == len(columns) - 1:
                    self.setColumnWidth(i, max(column.width or 0, title))
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


