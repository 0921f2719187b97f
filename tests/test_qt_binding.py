"""The installed Qt binding keeps Python's reference counts: a guard against PySide6 6.12 on Python 3.11.

PySide6 6.12's wheels are built with Python 3.12's headers, where None, True and False are immortal, so a
Qt method that returns nothing hands back None without the reference it owes, and a signal emission drops
one from True (upstream PYSIDE-3474, a consequence of PYSIDE-3424, kept for all of 6.12.x).  From Python
3.12 on those objects are immortal and nothing happens; on 3.11 the count reaches zero and the interpreter
aborts ("Fatal Python error: none_dealloc: deallocating None"), at exit or, in a long session, midway.
pyproject.toml keeps Python < 3.12 on PySide6 < 6.12 for this; these tests say so at once, with the reason,
if an install gets the faulty binding anyway.
"""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import QObject, QRectF, Signal
from PySide6.QtGui import QPainterPath

CALLS = 2000
WHY = (f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} drops references to None/True "
       "(upstream PYSIDE-3474): Python < 3.12 needs PySide6 < 6.12 (pyproject.toml)")


def test_qt_methods_that_return_nothing_keep_nones_reference_count():
    obj, rect, path = QObject(), QRectF(0, 0, 1, 1), QPainterPath()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        obj.setObjectName("probe")
        rect.setWidth(2.0)
        path.moveTo(0.0, 0.0)
    lost = before - sys.getrefcount(None)
    assert lost < CALLS // 2, f"{lost} references to None lost in {3 * CALLS} calls: {WHY}"


class _Emitter(QObject):
    bare = Signal()
    carrying = Signal(object)


def test_emitting_signals_keeps_trues_reference_count(qapp):
    emitter = _Emitter()
    emitter.bare.connect(lambda: None)
    emitter.carrying.connect(lambda value: None)
    before = sys.getrefcount(True)
    for i in range(CALLS):
        emitter.bare.emit()
        emitter.carrying.emit(i)
    lost = before - sys.getrefcount(True)
    assert lost < CALLS // 2, f"{lost} references to True lost in {2 * CALLS} emissions: {WHY}"
