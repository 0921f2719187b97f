"""This computer's own settings (not the hall's books): declared, typed, stored with QSettings.

Hall settings (name, address, currency) live in the database through ``hall.set_setting`` so they are
audited; the Stripe key lives only in the keyring.  What is here is about this window and this machine.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from relay.ports import DEFAULT_PORT

T = TypeVar("T")
ORGANISATION = "HallTreasurer"
APPLICATION = "HallTreasurer"
# auto: the Stripe CLI when installed, else the webhook receiver when a signing secret is set, else polling.
RELAY_MODES = ("auto", "cli", "polling", "webhook", "off")


@dataclasses.dataclass(frozen=True)
class Option(Generic[T]):
    key: str
    default: T
    kind: type

    def __get__(self, settings: AppSettings | None, owner=None):
        if settings is None:
            return self
        return settings.get(self)

    def __set__(self, settings: AppSettings, value: T) -> None:
        settings.put(self, value)


def qsettings() -> QSettings:
    # INI everywhere: one readable file per user; tests point it at a temp folder with QSettings.setPath.
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


class AppSettings:
    relay_mode = Option("relay/mode", "auto", str)        # works out of the box, Stripe CLI or not
    relay_port = Option("relay/port", DEFAULT_PORT, int)  # the same port as treasurer-relay and the README
    stripe_cli_path = Option("relay/stripe_cli_path", "", str)
    # Practise with the offline sandbox even when a Stripe key is stored (``treasurer gui`` reads it at start).
    # Off unless chosen (first-run wizard or Settings): a stored key is used as it is.
    sandbox = Option("stripe/use_sandbox", False, bool)
    backup_folder = Option("backup/folder", "", str)
    slip_layout = Option("slips/layout", "1up", str)
    paper = Option("slips/paper", "letter", str)
    window_geometry = Option("window/geometry", QByteArray(), QByteArray)
    window_state = Option("window/state", QByteArray(), QByteArray)
    last_page = Option("window/page", "Dashboard", str)

    def __init__(self, store: QSettings | None = None):
        self.store = store or qsettings()

    def get(self, option: Option[T]) -> T:
        value = self.store.value(option.key, option.default)
        return _coerce(value, option)

    def put(self, option: Option[T], value: T) -> None:
        self.store.setValue(option.key, value)

    # Table header state, per table name (column widths, order and sort).
    def header_state(self, name: str) -> QByteArray | None:
        value = self.store.value(f"tables/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_header_state(self, name: str, state: QByteArray) -> None:
        self.store.setValue(f"tables/{name}", state)

    def default_backup_folder(self, data_path: Path | None) -> str:
        return self.backup_folder or (str(data_path / "backups") if data_path else "")

    def sync(self) -> None:
        self.store.sync()


def _coerce(value: Any, option: Option) -> Any:
    if option.kind is bool:
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)
    if option.kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return option.default
    if option.kind is QByteArray:
        return value if isinstance(value, QByteArray) else QByteArray()
    return str(value) if value is not None else option.default
