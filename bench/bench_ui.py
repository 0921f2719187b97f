"""How fast the desktop app feels on a big hall (not a timed test: prints figures).

    .venv/bin/python bench/bench_ui.py [--members 5000]

Targets: the Members screen opens in under 1 s; a filter keystroke takes under 50 ms.  Also shows what a
whole-window refresh (every screen reloaded, as after a relay event) and the window's start cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest

    from treasurer.demo import fill_demo
    from treasurer.hall import open_hall
    from ui.app import application, create_window
    from ui.context import AppContext, StripeSetup
    from ui.screens.members import MembersScreen
    from ui.settings import AppSettings

    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qsettings"))
    app = application()
    hall = open_hall(str(tmp / "hall"), actor="bench")
    t = time.perf_counter()
    fill_demo(hall, members=args.members, months=24)
    print(f"demo hall: {args.members} members in {time.perf_counter() - t:.1f} s")

    ctx = AppContext(hall, AppSettings(), StripeSetup("none"))
    opens = []
    for _ in range(3):
        ctx.forget_cached()
        t = time.perf_counter()
        screen = MembersScreen(ctx)
        screen.resize(1200, 800)
        screen.refresh()
        screen.show()
        app.processEvents()
        opens.append(time.perf_counter() - t)
        screen.close()
        screen.deleteLater()
        app.processEvents()
    print(f"members screen open (query + standings + model + first paint): "
          f"best {min(opens) * 1000:.0f} ms, worst {max(opens) * 1000:.0f} ms   (target < 1000 ms)")

    screen = MembersScreen(ctx)
    screen.resize(1200, 800)
    screen.refresh()
    screen.show()
    app.processEvents()
    keystrokes = []
    for word in ("smith", "100", "garcia maria", "zz"):
        for ch in word:
            t = time.perf_counter()
            QTest.keyClick(screen.search, ch)
            app.processEvents()           # includes the repaint of the table
            keystrokes.append(time.perf_counter() - t)
        for _ in word:
            QTest.keyClick(screen.search, Qt.Key.Key_Backspace)
            app.processEvents()
    print(f"filter keystroke (filter + repaint), {len(keystrokes)} keys: median "
          f"{statistics.median(keystrokes) * 1000:.1f} ms, worst {max(keystrokes) * 1000:.1f} ms   (target < 50 ms)")
    for label, index in (("sort by balance", 5), ("sort by name", 1)):
        t = time.perf_counter()
        screen.table.view.sortByColumn(index, Qt.SortOrder.DescendingOrder)
        app.processEvents()
        print(f"{label}: {(time.perf_counter() - t) * 1000:.0f} ms")
    screen.close()

    t = time.perf_counter()
    window = create_window(hall, argparse.Namespace(stripe=StripeSetup("none")), AppSettings())
    window.show()
    app.processEvents()
    print(f"main window start (every screen built and loaded): {(time.perf_counter() - t) * 1000:.0f} ms")
    t = time.perf_counter()
    window.refresh()
    app.processEvents()
    print(f"window.refresh() (every screen reloaded): {(time.perf_counter() - t) * 1000:.0f} ms")
    window.ctx.forget_cached()
    parts = []
    for title, one in window.screens.items():
        t = time.perf_counter()
        one.refresh()
        parts.append(f"{title} {(time.perf_counter() - t) * 1000:.0f}")
    print("  of which, per screen (ms): " + ", ".join(parts))
    window.close()
    hall.close()


if __name__ == "__main__":
    main()
