"""Rows changed or added in place (relay events) keep the table's order, selection and filter (no widgets)."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPersistentModelIndex, Qt

from ui.filter_proxy import RecordFilterProxy
from ui.screens.base import identity
from ui.table_model import Column, RecordTableModel


@dataclasses.dataclass(frozen=True)
class Row:
    id: int
    name: str
    cents: int | None


def model_of(rows, column: int, order: Qt.SortOrder):
    model = RecordTableModel([Column("Name", lambda r: r.name), Column("Cents", lambda r: r.cents, numeric=True)])
    model.sort(column, order)
    model.set_rows(rows)
    return model


def test_new_rows_go_where_the_sort_puts_them_in_one_insert_per_place(qapp):
    model = model_of([Row(i, f"n{i}", i * 10) for i in range(1, 6)], 1, Qt.SortOrder.DescendingOrder)
    inserts = []
    model.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    model.upsert([Row(7, "top", 70), Row(6, "top too", 60), Row(8, "middle", 25), Row(9, "none", None)], identity)
    # As a click on the header sorts them: no value sorts above every value when the largest come first.
    assert [r.cents for r in model.rows] == [None, 70, 60, 50, 40, 30, 25, 20, 10]
    assert inserts == [(0, 2), (6, 6)]


def test_a_changed_row_stays_in_place_or_moves_where_its_new_value_goes(qapp):
    model = model_of([Row(i, f"n{i}", i * 10) for i in range(1, 6)], 1, Qt.SortOrder.AscendingOrder)
    kept = QPersistentModelIndex(model.index(1, 0))          # the row a treasurer had selected: id 2
    changed = []
    model.dataChanged.connect(lambda first, last: changed.append((first.row(), last.row())))
    model.upsert([Row(3, "renamed", 30), Row(1, "n1", 45)], identity)
    assert [r.id for r in model.rows] == [2, 3, 4, 1, 5]
    assert model.rows[1].name == "renamed" and changed == [(2, 2)]
    assert model.rows[kept.row()].id == 2


def test_an_unsorted_table_adds_at_the_end_and_the_filter_sees_the_new_rows(qapp):
    model = RecordTableModel([Column("Name", lambda r: r.name)])
    model.set_rows([Row(1, "smith", 1), Row(2, "jones", 2)])
    proxy = RecordFilterProxy(lambda r: r.name)
    proxy.setSourceModel(model)
    proxy.set_search("smi")
    model.upsert([Row(3, "smithers", 3), Row(2, "jones-smith", 2)], identity)
    assert [r.id for r in model.rows] == [1, 2, 3]
    assert [r.id for r in proxy.records()] == [1, 2, 3]
    assert [r.id for r in proxy.accepted_records()] == [1, 2, 3]
    proxy.set_search("")
    assert proxy.accepted_records() == model.rows

