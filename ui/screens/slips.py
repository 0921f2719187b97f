"""Slips: create payment links (in the background, cancellable), preview, print, save as PDF, void."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from treasurer.models import SLIP_STATUSES
from treasurer.slips import create_slips, void_slip

from .. import fmt, queries
from ..context import AppContext
from ..errors import confirm, guarded
from ..look import icon
from ..queries import SlipRow
from ..slip_pdf import LAYOUTS, faces_for, paint_slips, render_slips_pdf, short_url, slip_image
from ..table_model import Column
from ..workers import run_with_progress
from .base import Screen, Table, search_box, toolbar_row


def slip_columns(currency_of) -> list[Column]:
    return [
        Column("Slip", lambda r: r.id, numeric=True, width=60),
        Column("Member", lambda r: r.member_number, sort=lambda r: r.member_number.rjust(20), width=90),
        Column("Name", lambda r: r.member_name, width=180),
        Column("Covers", lambda r: fmt.periods(r.periods), width=200, tooltip=lambda r: r.periods.replace(",", ", ")),
        Column("Amount", lambda r: fmt.money(r.amount_cents, currency_of()), sort=lambda r: r.amount_cents,
               numeric=True, width=90),
        Column("Status", lambda r: r.status, warn=lambda r: r.status in ("void", "expired"), width=90),
        Column("Pay by", lambda r: fmt.day(r.pay_by), sort=lambda r: r.pay_by.isoformat(), width=95),
        Column("Payment link", lambda r: short_url(r.url) if r.url else "(no link yet)",
               tooltip=lambda r: r.url),
    ]


class SlipsScreen(Screen):
    title = "Slips"
    icon_name = "slips"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._currency = "usd"
        self.last_result = ""
        layout = QVBoxLayout(self)
        self.page_header(layout, "A slip is what one member owes and a Stripe payment link for exactly that. "
                                 "Reprinting reuses the link; voiding switches it off.")
        self.table = Table(ctx, "slips", slip_columns(lambda: self._currency), lambda r: r.search, self,
                           newest_first_by=0)
        self.search = search_box("Search by member, name, period or link (Ctrl+F)", self.table.proxy.set_search)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("slip-status-filter")
        self.status_filter.addItems(["All statuses", *SLIP_STATUSES])
        self.status_filter.setCurrentText("open")
        self.status_filter.currentTextChanged.connect(self._status_changed)
        self._status_changed("open")
        self.layout_choice = QComboBox()
        self.layout_choice.setObjectName("slip-layout")
        self.layout_choice.addItem("One per page", "1up")
        self.layout_choice.addItem("Three per page, with cut marks", "3up")
        self.layout_choice.setCurrentIndex(max(0, LAYOUTS.index(ctx.settings.slip_layout)
                                               if ctx.settings.slip_layout in LAYOUTS else 0))
        self.layout_choice.currentIndexChanged.connect(
            lambda _: setattr(ctx.settings, "slip_layout", self.layout_choice.currentData()))
        self.create_button = QPushButton(icon("slips"), "Create slips…")
        self.create_button.setObjectName("create-slips")
        self.create_button.clicked.connect(self.create_slips)
        self.print_button = QPushButton(icon("print"), "Print…")
        self.print_button.setObjectName("print-slips")
        self.print_button.setToolTip("Print the selected slips, or every slip shown (Ctrl+P)")
        self.print_button.clicked.connect(self.print_current)
        self.pdf_button = QPushButton(icon("pdf"), "Save as PDF…")
        self.pdf_button.setObjectName("pdf-slips")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.void_button = QPushButton(icon("void"), "Void")
        self.void_button.setObjectName("void-slip")
        self.void_button.clicked.connect(self.void_selected)
        self.email_button = QPushButton("Email slips…")
        self.email_button.setObjectName("email-slips")
        self.email_button.setToolTip("Email each open slip of a period to its member, with the slip as a PDF (once)")
        self.email_button.clicked.connect(self.email_slips)
        self.sent_mail_button = QPushButton("Sent mail…")
        self.sent_mail_button.setObjectName("sent-mail")
        self.sent_mail_button.setToolTip("Sandbox mode: what was \"sent\", as each member would see it")
        self.sent_mail_button.clicked.connect(self.show_sent_mail)
        self.sent_mail_button.setVisible(ctx.mode == "sandbox")
        # Finding slips (and the mail buttons) on one row, acting on them on the next: one row made the
        # window wider than 1280.
        find = toolbar_row(self.search, self.status_filter, self.email_button, self.sent_mail_button, stretch_at=4)
        find.setStretch(0, 1)
        find.setStretch(find.count() - 1, 0)        # the search box takes the room left, its hint in full
        layout.addLayout(find)
        layout.addLayout(toolbar_row(self.create_button, self.void_button, self.layout_choice, self.print_button,
                                     self.pdf_button, stretch_at=2))
        self.result_label = QLabel()
        self.result_label.setObjectName("slips-result")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        self.preview = QLabel("Select a slip to see it as it prints.")
        self.preview.setObjectName("slip-preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.preview)
        scroll.setWidgetResizable(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table.view)
        split.addWidget(scroll)
        split.setSizes([420, 300])
        layout.addWidget(split, 1)
        self.table.view.selectionModel().currentRowChanged.connect(self._show_preview)

    def refresh(self) -> None:
        self._currency = self.currency
        self.table.set_rows(queries.slip_rows(self.hall))

    def _status_changed(self, text: str) -> None:
        status = text if text in SLIP_STATUSES else None
        self.table.proxy.set_predicate("status", (lambda r: r.status == status) if status else None)

    def _show_preview(self, current, previous=None) -> None:
        if not current.isValid():
            return
        record: SlipRow = self.table.proxy.record_at(current.row())
        face = faces_for(self.hall, [record.id])[0]
        self.preview.setPixmap(QPixmap.fromImage(slip_image(face, 680)))

    def chosen(self) -> list[SlipRow]:
        """The selected slips, or every slip shown when none is selected; member-number order."""
        records = self.table.view.selected_records() or self.table.proxy.records()
        return sorted(records, key=lambda r: (r.member_number.rjust(20), r.id))

    @guarded
    def create_slips(self, selected: list[str] | None = None) -> None:
        from ..dialogs.create_slips_dialog import CreateSlipsDialog

        gateway = self.ctx.require_gateway()
        dialog = CreateSlipsDialog(self.ctx, self, selected if isinstance(selected, list) else None)
        if not dialog.exec() or dialog.request is None:
            return
        req = dialog.request
        try:
            (outcomes, notes), cancelled = run_with_progress(
                self, "Creating payment links", f"Creating payment links for {req.period}…",
                lambda progress: create_slips(self.hall, gateway, req.period, req.members, req.arrears, progress))
        finally:
            self.refresh()
        made = sum(1 for o in outcomes if not o.reused)
        text = f"{made:,} new payment link{'s' if made != 1 else ''}, {len(outcomes) - made:,} reused."
        if cancelled:
            text = f"Stopped: {text} Create slips again to finish; nothing is made twice."
        self.last_result = " ".join([text, *[n for n in notes if not n.startswith("Stopped after")]])
        self.result_label.setText(self.last_result)

    @guarded
    def email_slips(self, *args) -> None:
        from ..mail_actions import email_slips

        report = email_slips(self, self.ctx)
        if report is not None:
            self.last_result = f"Emailed {len(report.sent):,} slip{'' if len(report.sent) == 1 else 's'}."
            self.result_label.setText(self.last_result)

    @guarded
    def show_sent_mail(self, *args) -> None:
        from ..mail_actions import show_sent_mail

        show_sent_mail(self, self.ctx)

    def _faces(self):
        records = self.chosen()
        if not records:
            from treasurer.errors import UserFacingError

            raise UserFacingError("There are no slips to print: create slips first, or change the filter.")
        return records, faces_for(self.hall, [r.id for r in records])

    @guarded
    def save_pdf(self) -> None:
        records, _ = self._faces()
        default = str(Path.home() / "payment-slips.pdf")
        path, _ = QFileDialog.getSaveFileName(self, "Save slips as PDF", default, "PDF files (*.pdf)")
        if not path:
            return
        layout = self.layout_choice.currentData()
        pages, _ = run_with_progress(self, "Saving slips", f"Writing {len(records):,} slips to {path}…",
                                     lambda progress: render_slips_pdf(self.hall, [r.id for r in records], path,
                                                                       layout, self.ctx.settings.paper),
                                     cancellable=False)
        self.result_label.setText(f"Saved {len(records):,} slips on {pages:,} page{'s' if pages != 1 else ''} "
                                  f"to {path}.")

    @guarded
    def print_current(self) -> None:
        records, faces = self._faces()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName("Payment slips")
        dialog = QPrintDialog(printer, self)
        dialog.setObjectName("print-dialog")
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        layout = self.layout_choice.currentData()
        pages, cancelled = run_with_progress(
            self, "Printing slips", f"Printing {len(records):,} slips…",
            lambda progress: paint_slips(printer, faces, layout, printer.resolution(), progress))
        self.result_label.setText(("Printing stopped after " if cancelled else "Printed ") +
                                  f"{pages:,} page{'s' if pages != 1 else ''}.")

    @guarded
    def void_selected(self) -> None:
        records = [r for r in self.table.view.selected_records() if r.status == "open"]
        if not records:
            self.result_label.setText("Select the open slips to void first.")
            return
        names = ", ".join(f"{r.id} ({r.member_name})" for r in records[:5]) + ("…" if len(records) > 5 else "")
        if not confirm(self, "Void slips", f"Void {len(records)} slip{'s' if len(records) != 1 else ''}: "
                                           f"{names}? Their payment links stop taking payments; this cannot be "
                                           f"undone.", "Void"):
            return
        try:
            for record in records:
                void_slip(self.hall, self.ctx.gateway, record.id)
        finally:
            self.refresh()
        self.result_label.setText(f"Voided {len(records)} slip{'s' if len(records) != 1 else ''}.")
