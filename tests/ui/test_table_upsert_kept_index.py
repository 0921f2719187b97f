"""Upserts after upserts (a burst of relay events): the rows found by identity from an index kept between
upserts land where a full reload would put them, with equal sort keys, re-sorts, moves and duplicates."""

from __future__ import annotations

import dataclasses
import random

from PySide6.QtCore import Qt

from ui.screens.base import identity
from ui.table_model import Column, RecordTableModel


@dataclasses.dataclass(frozen=True)
class Row:
    id: int
    group: int
    cents: int


def test_many_upserts_keep_the_rows_as_a_reload_would(qapp):
    chance = random.Random(12)
    model = RecordTableModel([Column("Group", lambda r: r.group), Column("Cents", lambda r: r.cents)])
    truth = {i: Row(i, chance.randrange(5), chance.randrange(100)) for i in range(200)}
    model.set_rows(list(truth.values()))
    for step in range(60):
        if step % 15 == 0:      # the treasurer clicks a header: sorted again, the kept index still holds
            model.sort(step // 15 % 2, Qt.SortOrder.DescendingOrder if step % 2 else Qt.SortOrder.AscendingOrder)
        batch = []
        for _ in range(chance.randrange(1, 30)):
            i = chance.randrange(260)                       # some new, most already there
            batch.append(Row(i, chance.randrange(5), chance.randrange(100)))
        model.upsert(batch, identity)
        for row in batch:
            truth[row.id] = row
        assert sorted(model.rows, key=lambda r: r.id) == sorted(truth.values(), key=lambda r: r.id)
        column, order = model._sort
        values = [(r.group, r.cents)[column] for r in model.rows]
        assert values == sorted(values, reverse=order == Qt.SortOrder.DescendingOrder)
    model.set_rows([Row(1, 0, 0)])                           # a reload: the kept index starts again
    model.upsert([Row(1, 0, 5), Row(2, 0, 1)], identity)
    assert sorted(r.id for r in model.rows) == [1, 2] and len(model.rows) == 2


def test_after_a_reload_the_rows_by_identity_are_ready_before_the_first_upsert(qapp):
    model = RecordTableModel([Column("Cents", lambda r: r.cents)])
    model.sort(0, Qt.SortOrder.AscendingOrder)
    model.set_rows([Row(i, 0, i) for i in range(50)], identity)
    qapp.processEvents()                 # the event loop free once: the index is made then
    ready = model._by_identity
    assert ready is not None and len(ready) == 50
    model.upsert([Row(3, 1, 3), Row(99, 0, 99)], identity)
    assert model._by_identity is ready and len(ready) == 51 and model.rows[3] == Row(3, 1, 3)
