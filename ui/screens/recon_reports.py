"""Reports: a period's figures and its per capita, exported as CSV; the trustees' packet."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from treasurer import clock
from treasurer.packet import build_packet
from treasurer.private_files import write_private
from treasurer.reports import (
    ARREARS_BUCKETS,
    PerCapitaReport,
    PeriodReport,
    per_capita_csv,
    per_capita_report,
    period_csv,
    period_report,
)

from .. import fmt
from ..context import AppContext
from ..errors import guarded, inform
from ..look import icon
from ..recon_queries import period_codes
from ..table_model import Column
from ..workers import run_with_progress
from .base import Table, toolbar_row
from .recon_common import caption, section


@dataclasses.dataclass(frozen=True)
class Figure:
    order: int
    group: str
    label: str
    value: str


def figures(r: PeriodReport, money) -> list[Figure]:
    out: list[tuple[str, str, str]] = [
        ("Dues", "Members assessed", f"{r.members_assessed:,}"),
        ("Dues", "Amount assessed", money(r.assessed_cents)),
        ("Dues", "Per capita due", money(r.per_capita_cents)),
    ]
    for method, cents in sorted(r.collected_by_method.items()):
        out.append(("Collected", fmt.method(method), money(cents)))
    out += [("Collected", "Total collected", money(r.collected_cents)),
            ("Pending", f"Bank (ACH) payments pending ({r.pending_ach_count})", money(r.pending_ach_cents)),
            ("Stripe", "Gross collected by Stripe", money(r.stripe_gross_cents)),
            ("Stripe", "Stripe fees (the hall's expense)", money(r.fee_cents)),
            ("Stripe", "Refunds", money(r.refund_cents)),
            ("Stripe", "Disputes lost", money(r.disputes_lost_cents)),
            ("Bank", "Stripe payouts to the bank (net)", money(r.payouts_cents)),
            ("Bank", "Cash and check deposits", money(r.bank_deposits_cents)),
            ("Owed", "Outstanding on the period's dues", money(r.outstanding_cents))]
    for bucket in ARREARS_BUCKETS:
        members, cents = r.arrears.get(bucket, (0, 0))
        months = "1 month" if bucket == "1" else f"{bucket} months"
        out.append(("Arrears", f"{months} behind: {members} member{'' if members == 1 else 's'}", money(cents)))
    return [Figure(i, group, label, value) for i, (group, label, value) in enumerate(out)]


class ReportsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("recon-reports")
        self.ctx = ctx
        self._currency = "usd"
        self.report: PeriodReport | None = None
        self.per_capita: PerCapitaReport | None = None
        money = self._money
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.period = QComboBox()
        self.period.setObjectName("report-period")
        self.period.setEditable(True)
        self.period.setMinimumWidth(120)
        self.period.setToolTip("A month (2026-10) or a quarter (2026-Q4)")
        self.period.activated.connect(lambda *_: self.show_report())
        self.period.lineEdit().returnPressed.connect(self.show_report)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("show-report")
        self.show_button.clicked.connect(lambda: self.show_report())
        self.export_period = QPushButton(icon("export"), "&Export CSV…")
        self.export_period.setObjectName("export-period")
        self.export_period.clicked.connect(lambda: self.export("period"))
        self.export_pc = QPushButton(icon("export"), "Export per &capita CSV…")
        self.export_pc.setObjectName("export-per-capita")
        self.export_pc.clicked.connect(lambda: self.export("per-capita"))
        self.packet_button = QPushButton(icon("pdf"), "&Trustees' packet…")
        self.packet_button.setObjectName("packet")
        self.packet_button.clicked.connect(lambda: self.packet())
        layout.addLayout(toolbar_row(QLabel("Period"), self.period, self.show_button, self.export_period,
                                     self.export_pc, self.packet_button, stretch_at=3))
        self.figures = Table(ctx, "recon-period-report", [
            Column("Section", lambda f: f.group, sort=lambda f: f.order, width=110),
            Column("Item", lambda f: f.label, sort=lambda f: f.order, width=300),
            Column("Amount", lambda f: f.value, sort=lambda f: f.order, numeric=True, width=120),
            Column("", lambda f: "", sort=lambda f: f.order),
        ], lambda f: f"{f.group} {f.label}".casefold(), self)
        self.figures.view.setSortingEnabled(False)
        self.pc = Table(ctx, "recon-per-capita", [
            Column("Classification", lambda r: r.classification, width=160),
            Column("Status", lambda r: r.status, width=100),
            Column("Members", lambda r: r.members, sort=lambda r: r.members, numeric=True, width=80),
            Column("Assessed", lambda r: r.assessed, sort=lambda r: r.assessed, numeric=True, width=80),
            Column("Dues", lambda r: money(r.dues_cents), sort=lambda r: r.dues_cents, numeric=True, width=110),
            Column("Per capita", lambda r: money(r.per_capita_cents), sort=lambda r: r.per_capita_cents,
                   numeric=True, width=110),
            Column("", lambda r: ""),
        ], lambda r: f"{r.classification} {r.status}".casefold(), self)
        self.title = section("Period report")
        self.pc_title = section("Per capita")
        self.result_label = caption(name="report-result")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.title)
        left_layout.addWidget(self.figures.view, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.pc_title)
        right_layout.addWidget(self.pc.view, 1)
        # One above the other: side by side their columns did not fit across a 1280 or a 1440 wide window.
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 220])
        layout.addWidget(split, 1)
        layout.addWidget(self.result_label)
        for a, b in ((self.period, self.show_button), (self.show_button, self.export_period),
                     (self.export_period, self.export_pc), (self.export_pc, self.packet_button),
                     (self.packet_button, self.figures.view), (self.figures.view, self.pc.view)):
            QWidget.setTabOrder(a, b)

    def _money(self, cents: int | None) -> str:
        return fmt.money(cents, self._currency)

    def refresh(self) -> None:
        self._currency = self.ctx.hall.currency
        current = self.period.currentText().strip()
        hall_codes = period_codes(self.ctx.hall)
        this_month = clock.today().strftime("%Y-%m")
        codes = hall_codes if this_month in hall_codes else [this_month, *hall_codes]
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItems(codes)
        self.period.setCurrentText(current or (hall_codes[0] if hall_codes else this_month))
        self.period.blockSignals(False)
        self._load()

    def _load(self) -> None:
        code = self.period.currentText().strip()
        self.report = period_report(self.ctx.hall, code)
        self.per_capita = per_capita_report(self.ctx.hall, code)
        self.figures.set_rows(figures(self.report, self._money))
        self.pc.set_rows(self.per_capita.rows)
        r = self.report
        self.title.setText(f"Period report {r.period} ({r.starts_on.isoformat()} to {r.ends_on.isoformat()}), "
                           f"as of its last day")
        pc = self.per_capita
        self.pc_title.setText(f"Per capita {pc.period}: {pc.assessed:,} assessed, "
                              f"{self._money(pc.per_capita_cents)} due to the international")

    @guarded
    def show_report(self) -> None:
        self._load()
        self.result_label.setText("")

    @guarded
    def export(self, which: str) -> None:
        if self.report is None or self.per_capita is None:
            self._load()
        assert self.report is not None and self.per_capita is not None
        name = f"{'period' if which == 'period' else 'per-capita'}-{self.report.period}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", str(Path.home() / name), "CSV files (*.csv)")
        if not path:
            return
        text = period_csv([self.report]) if which == "period" else per_capita_csv(self.per_capita)
        write_private(path, text, newline="")
        self.result_label.setText(f"Exported the {'period report' if which == 'period' else 'per capita'} "
                                  f"{self.report.period} to {path}.")

    @guarded
    def packet(self) -> None:
        from ..dialogs.report_packet_dialog import PacketDialog

        dialog = PacketDialog(self.ctx, self)
        if not dialog.exec() or dialog.choice is None:
            return
        start, end, folder = dialog.choice
        hall = self.ctx.hall
        result, _ = run_with_progress(self, "Trustees' packet", f"Writing the packet to {folder}…",
                                      lambda progress: build_packet(hall, start, end, folder), cancellable=False)
        text = (f"The trustees' packet for {start.isoformat()} to {end.isoformat()} was written to {result.folder}: "
                f"{result.pdf.name} ({result.pages} pages) and {len(result.files)} more files. Audit chain "
                f"{'verified' if result.audit_ok else 'BROKEN'}: {result.audit_entries:,} entries, head "
                f"{result.audit_head[:16]}…; {result.open_discrepancies} open discrepancies, "
                f"{result.open_review_items} open review items.")
        self.result_label.setText(text)
        inform(self, "Trustees' packet", text)
