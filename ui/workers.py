"""Long work off the UI thread, with a progress dialog that can cancel it.

The core's functions are synchronous and open their own database sessions, so they run in a pool thread;
the window keeps painting.  Cancelling sets a flag the work reads between items (``progress`` returns
False), so it stops at a clean point and leaves consistent data.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThread, QThreadPool, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget
from shiboken6 import isValid

Progress = Callable[[int, int], bool]


class _Signals(QObject):
    progress = Signal(int, int)
    finished = Signal()


class _Task(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], cancelled: threading.Event, signals: _Signals):
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.cancelled = cancelled
        self.signals = signals
        self.result: Any = None
        self.error: BaseException | None = None

    def report(self, done: int, total: int) -> bool:
        self.signals.progress.emit(done, total)
        return not self.cancelled.is_set()

    def run(self) -> None:
        try:
            self.result = self.work(self.report)
        except BaseException as exc:  # noqa: BLE001 - handed back to the UI thread, raised there
            self.error = exc
        finally:
            self.signals.finished.emit()


class Cancelled(Exception):
    pass


def run_with_progress(parent: QWidget | None, title: str, label: str, work: Callable[[Progress], Any],
                      cancellable: bool = True) -> tuple[Any, bool]:
    """Run ``work(progress)`` in a pool thread behind a progress dialog; returns (result, was_cancelled).

    Errors raised by the work are raised again here, in the UI thread.
    """
    cancelled = threading.Event()
    signals = _Signals()
    task = _Task(work, cancelled, signals)
    dialog = QProgressDialog(label, "Cancel" if cancellable else "", 0, 0, parent)
    dialog.setObjectName("progress-dialog")
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)

    def on_progress(done: int, total: int) -> None:
        if total > 0:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
            dialog.setLabelText(f"{label}\n{done:,} of {total:,}")

    def on_cancel() -> None:
        cancelled.set()
        dialog.setLabelText("Stopping after the current item…")

    loop = QEventLoop()
    signals.progress.connect(on_progress, Qt.ConnectionType.QueuedConnection)
    signals.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
    dialog.canceled.connect(on_cancel)
    dialog.show()
    QThreadPool.globalInstance().start(task)
    loop.exec()
    dialog.canceled.disconnect(on_cancel)
    dialog.close()
    dialog.deleteLater()
    if task.error is not None:
        raise task.error
    return task.result, cancelled.is_set()


class _ToUiThread(QObject):
    """Calls handed from any thread to the UI thread (a queued signal of an object living there): one for the
    application, made on the UI thread and never freed.

    One object for every call rather than one per call: a QObject per job, freed by Python's garbage collector
    whenever it ran (in a pool thread, or inside its own signal), crashed the process now and then; an object
    freed in another thread would be destroyed off the UI thread.
    """

    call = Signal(object, object)      # function, its arguments

    def __init__(self):
        super().__init__()
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _run(function, args) -> None:
        function(*args)


_to_ui: list[_ToUiThread] = []


def ready_ui_thread_calls() -> None:
    """Make the way to the UI thread now (on the UI thread), before another thread needs it."""
    if not _to_ui:
        app = QApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            raise RuntimeError("the way to the UI thread is made on the UI thread")
        _to_ui.append(_ToUiThread())


def call_on_ui_thread(function: Callable[..., Any], *args: Any) -> None:
    """``function(*args)`` on the UI thread, soon (from any thread, once ``ready_ui_thread_calls`` has run)."""
    ready_ui_thread_calls()
    _to_ui[0].call.emit(function, args)


def _wait_for_background_work() -> None:
    # A pool thread still running Python while the interpreter shuts down can crash it.
    QThreadPool.globalInstance().waitForDone(10_000)


atexit.register(_wait_for_background_work)


def run_in_background(work: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None],
                      owner: QObject | None = None) -> None:
    """Quiet work (no dialog) in a pool thread; ``on_done(result, error)`` is called on the UI thread, unless
    ``owner`` (the widget the result is for) was deleted meanwhile (a window closed while its figures load)."""
    ready_ui_thread_calls()                # first call: from the UI thread, whose object it is

    class Job(QRunnable):
        def run(self) -> None:
            try:
                result, error = work(), None
            except BaseException as exc:  # noqa: BLE001 - handed back to the UI thread
                result, error = None, exc
            call_on_ui_thread(finished, result, error)

    # Python owns the job (not the pool's auto-delete, which frees the C++ object in the pool thread while its
    # Python wrapper lives on and is collected later on the UI thread: a crash now and then). It is kept until
    # its result is delivered on the UI thread, and freed there.
    job = Job()
    job.setAutoDelete(False)
    _running.add(job)

    def finished(result, error) -> None:
        _running.discard(job)
        if owner is None or isValid(owner):
            on_done(result, error)

    QThreadPool.globalInstance().start(job)


_running: set[QRunnable] = set()
