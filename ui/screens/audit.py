"""Audit: the hash-chained log, with filters, a plain "Verify chain" and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QCheckBox, QComboBox, QDateEdit, QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget
from sqlalchemy import select

from treasurer import audit, audit_check, clock
from treasurer.private_files import private_open
from treasurer.models import AuditEntry

from .. import fmt, queries
from ..context import AppContext
from ..errors import guarded
from ..look import icon
from ..table_model import Column
from ..workers import run_with_progress
from .base import Screen, Table, search_box, toolbar_row

LIMIT = 2000


class AuditScreen(Screen):
    title = "Audit"
    icon_name = "audit"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.page_header(layout, "Every change to members, rates and money, with who made it and when. Each entry "
                                 "is chained to the one before, so a change made behind the app's back shows.")
        self.table = Table(ctx, "audit", [
            Column("#", lambda r: r.seq, numeric=True, width=70),
            Column("When (UTC)", lambda r: fmt.stamp(r.at), sort=lambda r: r.at, width=130),
            Column("Who", lambda r: fmt.who(r.actor, r.after), width=130,
                   tooltip=lambda r: f"Run as {r.actor} on this computer"),
            Column("Action", lambda r: r.action, width=140),
            Column("Entity", lambda r: f"{r.entity_type} {r.entity_id}", sort=lambda r: r.entity_type, width=185),
            Column("Before", lambda r: fmt.change(r.before), width=220, tooltip=lambda r: fmt.change(r.before)),
            Column("After", lambda r: fmt.change(r.after), tooltip=lambda r: fmt.change(r.after)),
        ], lambda r: r.search, self, newest_first_by=0)
        self.search = search_box("Search the entries shown (Ctrl+F)", self.table.proxy.set_search)
        self.entity = QComboBox()
        self.entity.setObjectName("entity-filter")
        self.entity.currentIndexChanged.connect(lambda _: self.refresh())
        self.use_dates = QCheckBox("From")
        today = clock.today()
        self.since = QDateEdit(QDate(today.year, today.month, 1))
        self.until = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.dateChanged.connect(lambda _: self.use_dates.isChecked() and self.refresh())
        self.use_dates.toggled.connect(lambda _: self.refresh())
        self.verify_button = QPushButton(icon("audit"), "Verify the books")
        self.verify_button.setToolTip("Check the chain, and every row of the books against its last entry in the "
                                      "log (the same check as 'treasurer audit verify')")
        self.verify_button.setObjectName("verify")
        self.verify_button.clicked.connect(self.verify)
        self.export_button = QPushButton(icon("export"), "Export CSV…")
        self.export_button.setObjectName("export")
        self.export_button.clicked.connect(self.export)
        # Finding entries on one row, acting on them on the next: one row made the window wider than 1280.
        find = toolbar_row(self.search, self.entity, self.use_dates, self.since, QLabel("to"), self.until,
                           stretch_at=6)
        find.setStretch(0, 1)
        find.setStretch(find.count() - 1, 0)        # the search box takes the room left, its hint in full
        layout.addLayout(find)
        layout.addLayout(toolbar_row(self.verify_button, self.export_button, stretch_at=2))
        self.verdict = QLabel("The books have not been checked against the log in this session.")
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        layout.addWidget(self.verdict)
        layout.addWidget(self.table.view, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("page-subtitle")
        layout.addWidget(self.count_label)

    def filters(self) -> dict:
        since = until = None
        if self.use_dates.isChecked():
            q1, q2 = self.since.date(), self.until.date()
            since, until = dt.date(q1.year(), q1.month(), q1.day()), dt.date(q2.year(), q2.month(), q2.day())
        entity = self.entity.currentText() if self.entity.currentIndex() > 0 else None
        return dict(entity_type=entity, since=since, until=until)

    def refresh(self) -> None:
        types = queries.audit_entity_types(self.hall)
        current = self.entity.currentText()
        self.entity.blockSignals(True)
        self.entity.clear()
        self.entity.addItems(["Everything", *types])
        if current in types:
            self.entity.setCurrentText(current)
        self.entity.blockSignals(False)
        rows, total = queries.audit_rows(self.hall, LIMIT, **self.filters())
        self.table.set_rows(rows)
        self.count_label.setText(f"{total:,} entries match" + (
            f"; the newest {LIMIT:,} are shown (narrow the filters, or export them all)" if total > LIMIT else ""))

    @guarded
    def verify(self) -> None:
        def work(progress):
            return audit_check.check_hall(self.hall)

        report, _ = run_with_progress(self, "Verifying", "Checking the audit chain and every row of the books…",
                                      work, cancellable=False)
        self.verdict.setText(verdict_text(report))
        self.verdict.setObjectName("inline-ok" if report.ok else "inline-error")
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)
        self.last_report = report

    @guarded
    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", str(Path.home() / "audit-log.csv"),
                                              "CSV files (*.csv)")
        if path:
            count = export_csv(self.hall, Path(path), **self.filters())
            self.verdict.setText(f"Exported {count:,} entries to {path}.")


def verdict_text(report: audit_check.BooksReport, most: int = 5) -> str:
    """The check's result in words for the treasurer and the trustees."""
    chain = report.chain
    if not chain.ok:
        return (f"The audit chain is BROKEN at entry {chain.broken_seq}: {chain.problem}. Entries before it check "
                f"out, but the books cannot be trusted against it. Restore the latest backup and tell your "
                f"trustees.")
    if report.ok:
        return (f"The books are honest: the audit chain's {chain.entries:,} entries check out (head "
                f"{chain.head[:16]}…), and all {report.rows_checked:,} rows of the books agree with their last "
                f"entry in the log.")
    count = len(report.differences)
    shown = "\n".join(f"• {d}" for d in report.differences[:most])
    more = f"\n…and {count - most:,} more (run 'treasurer audit verify --all' for the whole list)." if count > most \
        else ""
    return (f"The chain is intact, but {count:,} row{'s' if count != 1 else ''} of the books "
            f"{'differ' if count != 1 else 'differs'} from the audit log: changed behind the app's back. Tell your "
            f"trustees and compare with the latest backup.\n{shown}{more}")


def export_csv(hall, path: Path, entity_type: str | None = None, since: dt.date | None = None,
               until: dt.date | None = None) -> int:
    """Every matching entry (not just those shown), oldest first, with its hashes."""
    query = select(*[getattr(AuditEntry, c) for c in audit.AUDIT_COLUMNS]).order_by(AuditEntry.seq)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if since:
        query = query.where(AuditEntry.at >= since.isoformat())
    if until:
        query = query.where(AuditEntry.at < (until + dt.timedelta(days=1)).isoformat())
    count = 0
    with hall.read() as s, private_open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(audit.AUDIT_COLUMNS)
        for row in s.execute(query.execution_options(yield_per=2000)):
            writer.writerow(row)
            count += 1
    return count
