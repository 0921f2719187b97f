"""Dashboard: this month's money, arrears by age, a year of expected vs collected, the relay's health."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QMargins, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .. import fmt
from ..context import AppContext
from ..dashboard_data import Dashboard, dashboard
from ..errors import guarded
from ..relay_status import Dot, relay_view
from .base import Screen

# What the figures are made of: a change to any of these reads them again.
MONEY_TABLES = frozenset({"payments", "charges", "adjustments", "adjustment_decisions", "members", "refunds",
                          "disputes"})


def card(title: str, name: str) -> tuple[QFrame, QLabel, QLabel]:
    frame = QFrame()
    frame.setObjectName("card")
    column = QVBoxLayout(frame)
    heading = QLabel(title)
    heading.setObjectName("card-title")
    value = QLabel("—")
    value.setObjectName("card-value")
    value.setAccessibleName(name)
    detail = QLabel(" ")
    detail.setObjectName("card-detail")
    detail.setWordWrap(True)
    column.addWidget(heading)
    column.addWidget(value)
    column.addWidget(detail)
    return frame, value, detail


class DashboardScreen(Screen):
    title = "Dashboard"
    icon_name = "dashboard"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.data: Dashboard | None = None
        self._painted = False            # the reconciliation check waits for the figures' first paint
        self._check_when_painted = False
        layout = QVBoxLayout(self)
        self.subtitle = self.page_header(layout, " ")
        cards = QGridLayout()
        self.values: dict[str, QLabel] = {}
        self.details: dict[str, QLabel] = {}
        for i, (key, title) in enumerate((("expected", "Expected this month"), ("collected", "Collected this month"),
                                          ("rate", "Collection rate"), ("pending", "Pending bank payments"),
                                          ("outstanding", "Outstanding, all members"))):
            frame, value, detail = card(title, key)
            self.values[key], self.details[key] = value, detail
            cards.addWidget(frame, 0, i)
        layout.addLayout(cards)
        middle = QHBoxLayout()
        arrears_frame = QFrame()
        arrears_frame.setObjectName("card")
        self.arrears_grid = QGridLayout(arrears_frame)
        heading = QLabel("Members in arrears, by how far behind")
        heading.setObjectName("card-title")
        self.arrears_grid.addWidget(heading, 0, 0, 1, 3)
        self.arrears_labels: list[tuple[QLabel, QLabel, QLabel]] = []
        for row in range(4):
            labels = (QLabel(), QLabel(), QLabel())
            for col, label in enumerate(labels):
                if col:
                    label.setAlignment(Qt.AlignmentFlag.AlignRight)
                self.arrears_grid.addWidget(label, row + 1, col)
            self.arrears_labels.append(labels)
        self.remind_button = QPushButton("Send reminders…")
        self.remind_button.setObjectName("send-reminders")
        self.remind_button.setToolTip("Email a reminder, with the slip's payment link, to members whose slip is unpaid "
                                      "past the days set in Settings (each reminder once)")
        self.remind_button.clicked.connect(self.send_reminders)
        self.arrears_grid.addWidget(self.remind_button, 5, 0, 1, 3)
        middle.addWidget(arrears_frame, 1)
        relay_frame = QFrame()
        relay_frame.setObjectName("card")
        relay_column = QVBoxLayout(relay_frame)
        relay_heading = QLabel("Online payments relay")
        relay_heading.setObjectName("card-title")
        relay_column.addWidget(relay_heading)
        state_row = QHBoxLayout()
        self.relay_dot = Dot()
        self.relay_state = QLabel()
        self.relay_state.setObjectName("dashboard-relay-state")
        state_row.addWidget(self.relay_dot)
        state_row.addWidget(self.relay_state, 1)
        relay_column.addLayout(state_row)
        self.relay_detail = QLabel()
        self.relay_detail.setWordWrap(True)
        relay_column.addWidget(self.relay_detail)
        self.reconciliation = QLabel("Reconciliation: not checked yet")
        self.reconciliation.setObjectName("dashboard-reconciliation")
        self.reconciliation.setWordWrap(True)
        relay_column.addWidget(self.reconciliation)
        relay_column.addStretch(1)
        middle.addWidget(relay_frame, 1)
        layout.addLayout(middle)
        self.chart = QChart()
        self.chart.setTitle("Expected and collected, last 12 months")
        self.chart.setBackgroundVisible(False)
        if self.palette().window().color().lightness() < 128:      # follow a dark desktop
            self.chart.setTheme(QChart.ChartTheme.ChartThemeDark)
            self.chart.setBackgroundVisible(False)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setObjectName("chart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(260)
        layout.addWidget(self.chart_view, 1)

    @guarded
    def send_reminders(self, *args) -> None:
        from ..mail_actions import send_reminders

        send_reminders(self, self.ctx)

    def refresh(self) -> None:
        self.show_data(dashboard(self.hall))

    def follow(self, changes) -> Callable[[], None] | None:
        """In a pool thread, after relay events: the figures read again (a few SQL aggregates)."""
        if not changes.tables & MONEY_TABLES:
            return None
        d, name = dashboard(self.hall), self.hall.setting("hall_name")
        return lambda: self.show_data(d, name)

    def show_data(self, d: Dashboard, hall_name: str | None = None) -> None:
        self.data = d
        cur = self.currency
        name = hall_name if hall_name is not None else self.hall.setting("hall_name")
        self.subtitle.setText(f"{name} · {d.month.strftime('%B %Y')}")
        self.values["expected"].setText(fmt.money(d.expected_cents, cur))
        self.details["expected"].setText("dues charged for periods starting this month")
        self.values["collected"].setText(fmt.money(d.collected_cents, cur))
        self.details["collected"].setText(", ".join(f"{fmt.method(m)} {fmt.money(c, cur)}" for m, c in
                                                    sorted(d.collected_by_method.items(), key=lambda x: -x[1]))
                                          or "nothing yet this month")
        rate = d.collection_rate
        self.values["rate"].setText("—" if rate is None else f"{rate:.0%}")
        self.details["rate"].setText("collected ÷ expected, this month")
        self.values["pending"].setText(fmt.money(d.pending_cents, cur))
        self.details["pending"].setText("bank (ACH) payments not yet settled: shown, not counted")
        self.values["outstanding"].setText(fmt.money(d.outstanding_cents, cur))
        self.details["outstanding"].setText(f"owed by {d.members_owing:,} members")
        for (label, members, cents), (a, b, c) in zip(d.arrears, self.arrears_labels):
            a.setText(label)
            b.setText(f"{members:,} members")
            c.setText(fmt.money(cents, cur))
        self._chart(d)
        self.refresh_relay()
        if self._painted:
            self.refresh_reconciliation()
        else:
            self._check_when_painted = True

    def paintEvent(self, event) -> None:
        """The first paint (the figures on screen) comes first; then the reconciliation check starts, which loads
        the reconciliation module and walks every synced payout in the background (a tenth of a second of Python
        on a big hall that would compete with start-up for the interpreter)."""
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._check_when_painted:
            self._check_when_painted = False
            self.refresh_reconciliation()

    def refresh_reconciliation(self) -> None:
        """The open discrepancies with Stripe, counted off the UI thread (it walks every synced payout)."""
        from treasurer.reconcile import open_discrepancy_count

        from ..workers import run_in_background

        hall = self.hall

        def shown(count, error) -> None:
            if error is not None:
                self.reconciliation.setText("Reconciliation: could not be checked")
            elif count:
                self.reconciliation.setText(f"Reconciliation: {count} open discrepanc{'ies' if count != 1 else 'y'}"
                                            f" with Stripe (see Reconciliation)")
            else:
                self.reconciliation.setText("Reconciliation: no open discrepancies with Stripe")

        run_in_background(lambda: open_discrepancy_count(hall), shown, owner=self)

    def refresh_relay(self) -> None:
        view = relay_view(self.ctx.relay, self.hall)      # the last event is the books', relay or not
        self.relay_dot.set_colour(view.colour)
        self.relay_state.setText(view.words.capitalize())
        lines = [f"Last event: {view.last_event}."]
        if view.held or view.failed:
            lines.append(f"{view.held} held for review, {view.failed} failed.")
        lines.extend(view.messages)                       # each state and error a sentence on its own line
        self.relay_detail.setText("\n".join(lines))

    def _chart(self, d: Dashboard) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        expected, collected = QBarSet("Expected"), QBarSet("Collected")
        expected.setColor(QColor("#9db4d6"))
        collected.setColor(QColor("#1f4e8c"))
        top = max([*d.expected_by_month, *d.collected_by_month, 100]) / 100
        # printf-style axis labels have no thousands separator: from $1,000 up the axis counts thousands.
        scale, unit = (1000, "k") if top >= 1000 else (1, "")
        expected.append([c / 100 / scale for c in d.expected_by_month])
        collected.append([c / 100 / scale for c in d.collected_by_month])
        series = QBarSeries()
        series.append(expected)
        series.append(collected)
        self.chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append([m.strftime("%b %Y") for m in d.months])      # "Dec 2026", not "Dec 26" (a day?)
        y = QValueAxis()
        y.setRange(0, top * 1.1 / scale)
        y.setLabelFormat(f"$%.{1 if unit and top < 10_000 else 0}f{unit}")
        y.applyNiceNumbers()
        self.chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
