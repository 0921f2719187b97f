"""Errors reach the treasurer as sentences; tracebacks go to a log file in the data folder."""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy.exc import DBAPIError

from treasurer import clock
from treasurer.db import explain
from treasurer.errors import UserFacingError
from treasurer.private_files import make_private_dir, private_open

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_log_path: Path | None = None


def message_for(exc: BaseException) -> str:
    """What the treasurer reads for an error."""
    if isinstance(exc, UserFacingError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        return f"{explain(exc)} Nothing was saved from the failed step."
    where = f" Details are in {_log_path}." if _log_path else ""
    return (f"Something went wrong that Hall Treasurer did not expect ({exc.__class__.__name__}). "
            f"Nothing was saved from the failed step.{where}")


def show_error(parent: QWidget | None, exc: BaseException, title: str = "Hall Treasurer") -> None:
    if not isinstance(exc, (UserFacingError, DBAPIError)):
        write_log("".join(traceback.format_exception(exc)))
    box = QMessageBox(QMessageBox.Icon.Warning, title, message_for(exc), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("error-box")
    box.exec()


def guarded(method: F) -> F:
    """Wrap a slot so any error becomes a message box over the widget, never an unhandled exception."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every error must reach the user as a sentence
            show_error(self if isinstance(self, QWidget) else None, exc)
            return None

    return wrapper  # type: ignore[return-value]


def confirm(parent: QWidget | None, title: str, question: str, yes_text: str = "Yes") -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("confirm-box")
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no)        # Enter by mistake does nothing to money
    box.exec()
    return box.clickedButton() is yes


def inform(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("info-box")
    box.exec()


def write_log(text: str) -> Path | None:
    if _log_path is None:
        log.error("%s", text)
        return None
    try:
        make_private_dir(_log_path.parent)
        with private_open(_log_path, "a", encoding="utf-8") as fh:     # 0600: tracebacks quote members' details
            fh.write(f"--- {clock.stamp()}\n{text}\n")
    except OSError:
        log.error("%s", text)
    return _log_path


def install_excepthook(data_path: Path | None) -> None:
    """Unexpected errors: a sentence on screen, the traceback in ``<data>/logs/treasurer-errors.log``."""
    global _log_path
    _log_path = (data_path / "logs" / "treasurer-errors.log") if data_path else None

    def hook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        write_log("".join(traceback.format_exception(kind, value, tb)))
        if QApplication.instance() is not None:
            parent = QApplication.activeWindow()
            box = QMessageBox(QMessageBox.Icon.Critical, "Hall Treasurer", message_for(value),
                              QMessageBox.StandardButton.Ok, parent)
            box.setObjectName("error-box")
            box.exec()

    sys.excepthook = hook
