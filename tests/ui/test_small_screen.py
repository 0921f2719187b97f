"""The window on a 1280x720 screen (issue 11, item 8): it fits, whichever screen shows, and every table's
columns fit across it, without a horizontal scrollbar on an empty table and without a clipped title."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from helpers import standard_hall
from ui.table_view import SORT_ARROW_ROOM, RecordTableView

SMALL = (1280, 720)


def every_tab(screen):
    """Each tab of the screen's tab widgets in turn (tables on hidden tabs have no width until shown)."""
    tabs = screen.findChildren(QTabWidget)
    if not tabs:
        yield None
        return
    for widget in tabs:
        for i in range(widget.count()):
            widget.setCurrentIndex(i)
            yield widget.tabText(i)


def test_the_window_fits_a_1280_by_720_screen_on_every_screen(hall, make_window, qtbot):
    standard_hall(hall, members=2)
    window = make_window(hall)
    window.resize(*SMALL)
    assert window.minimumSizeHint().width() <= SMALL[0], window.minimumSizeHint()
    assert window.minimumSizeHint().height() <= SMALL[1], window.minimumSizeHint()
    for title, screen in window.screens.items():
        window.show_screen(title)
        qtbot.wait(10)
        assert screen.minimumSizeHint().width() <= SMALL[0] - window.nav.width(), (title, screen.minimumSizeHint())
        window.resize(*SMALL)
        qtbot.wait(10)
        assert (window.width(), window.height()) == SMALL, title


def test_every_table_fits_across_the_window_at_1280_by_720(hall, make_window, qtbot):
    standard_hall(hall, members=2)
    window = make_window(hall)
    window.resize(*SMALL)
    checked = 0
    for title, screen in window.screens.items():
        window.show_screen(title)
        for tab in every_tab(screen):
            qtbot.wait(10)
            for view in screen.findChildren(RecordTableView):
                if not view.isVisible():
                    continue
                header = view.horizontalHeader()
                assert header.length() <= view.viewport().width(), (title, tab, view.objectName(),
                                                                     header.length(), view.viewport().width())
                assert view.horizontalScrollBar().maximum() == 0, (title, tab, view.objectName())
                model = view.model()
                for section in range(header.count()):
                    text = str(model.headerData(section, header.orientation()) or "")
                    need = header.fontMetrics().horizontalAdvance(text) + 2 * SORT_ARROW_ROOM
                    assert header.sectionSize(section) >= need, (title, tab, view.objectName(), text)
                checked += 1
    assert checked >= 12


def test_a_sorted_right_aligned_title_ends_before_the_sort_arrow(hall, make_window, qtbot):
    """'Slip' sorted used to be painted through its arrow ("Sli▾p"); the title now ends left of the arrow."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtWidgets import QStyle, QStyleOptionHeader

    standard_hall(hall, members=2)
    screen = make_window(hall).show_screen("Slips")
    view = screen.table.view
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.wait(10)
    header = view.horizontalHeader()
    option = QStyleOptionHeader()
    header.initStyleOption(option)
    header.initStyleOptionForIndex(option, 0)
    left = header.sectionViewportPosition(0)
    option.rect = QRect(left, 0, header.sectionSize(0), header.height())
    assert option.text == "Slip" and option.textAlignment & Qt.AlignmentFlag.AlignRight
    arrow = header.style().subElementRect(QStyle.SubElement.SE_HeaderArrow, option, header)
    image = header.grab().toImage()
    ink = [(x, y) for x in range(left, left + header.sectionSize(0) - 1) for y in range(2, header.height() - 2)
           if image.pixelColor(x, y).lightness() < 110]
    # A clear gap just left of the arrow's box, and the whole title (not elided) left of the gap.
    assert not [(x, y) for x, y in ink if arrow.left() - 2 <= x < arrow.left()], (ink, arrow)
    title = [x for x, y in ink if x < arrow.left() - 2]
    assert title and max(title) - min(title) + 1 >= header.fontMetrics().horizontalAdvance("Slip") - 4, (title, arrow)


def test_the_selected_discrepancy_reads_in_full_below_its_table(hall, gateway, sandbox_url, make_window, qtbot):
    """Its explanation and ids are cut short in their columns at 1280 wide; the line below says them whole."""
    import types

    from helpers import SANDBOX_KEY, officers
    from sandbox.testing import control
    from test_reconcile import _advance, _pay
    from treasurer.dues import assess
    from treasurer.sync import catch_up

    standard_hall(hall, members=3)
    officers(hall)
    for period in ("2026-09", "2026-10"):
        assess(hall, period)
    _, charge = _pay(hall, gateway, sandbox_url, "1001")
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    control(sandbox_url, f"charges/{charge}/refund", amount=2000)
    _pay(hall, gateway, sandbox_url, "1002")
    catch_up(hall, gateway)
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    window = make_window(hall, types.SimpleNamespace(data_dir=None, database_url=None, stripe=types.SimpleNamespace(
        mode="sandbox", api_key=SANDBOX_KEY, api_base=sandbox_url)))
    window.resize(*SMALL)
    tab = window.show_screen("Reconciliation").payouts
    tab.sync_button.click()
    qtbot.waitUntil(lambda: tab.discrepancies.proxy.rowCount() > 0, timeout=10000)
    assert tab.discrepancy_details.text() == "Select a discrepancy to read it in full."
    tab.discrepancies.view.setCurrentIndex(tab.discrepancies.proxy.index(0, 0))
    (d,) = tab.discrepancies.view.selected_records()
    shown = tab.discrepancy_details.text()
    assert shown.startswith(f"{d.label}: {d.explanation}") and d.payout in shown
    column = tab.discrepancies.view
    explanation = column.horizontalHeader().sectionSize(2)
    assert column.fontMetrics().horizontalAdvance(d.explanation) > explanation     # cut short up there
