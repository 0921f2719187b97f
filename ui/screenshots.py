"""Render every screen with demo data to PNG files, offscreen: ``python -m ui.screenshots OUT_DIR``.

The demo hall is the one ``treasurer demo`` makes (through the composition root, which starts the offline
Stripe sandbox with its state in the hall's folder): slips and their QR codes, online payments, payouts, the
refund, dispute and unmatched payment in Review, deposits and the bank statement are all real. The window then
talks to the same sandbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

def settle(app, ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def wait_for(app, condition, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        settle(app, 50)


def _history(hall) -> None:
    """What a hall a year in has besides dues: a closed period, and an officer who left."""
    from treasurer import clock
    from treasurer.demo import OFFICERS
    from treasurer.officers import add_officer, deactivate_officer
    from treasurer.periods import close_period, period_for_date

    today = clock.today()
    two_back = period_for_date(today.replace(day=1) - dt.timedelta(days=40), "monthly").code
    pins = {name: pin for name, _, pin in OFFICERS}
    close_period(hall, two_back, "Pat Morales", "closed at the monthly meeting", pins["Pat Morales"])
    add_officer(hall, "Chris Doyle", "staff", "135791",
                vouchers=[("Pat Morales", pins["Pat Morales"]), ("Sam Okafor", pins["Sam Okafor"])])
    deactivate_officer(hall, "Chris Doyle", "Pat Morales", pins["Pat Morales"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--size", default="1360x860", help="the window's size, WIDTHxHEIGHT (1440x900, 1280x720...)")
    args = parser.parse_args(argv)
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEvent, QSettings
    from PySide6.QtWidgets import QApplication

    # The demo halls and the window's settings live in a scratch folder, gone when the shots are taken.
    with tempfile.TemporaryDirectory(prefix="treasurer-shots-", ignore_cleanup_errors=True) as scratch:
        work = Path(scratch)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(work / "qsettings"))
        size = tuple(int(n) for n in args.size.lower().split("x"))
        shots = _shoot(out, work, args.members, size)
        # Every window, its settings and the halls closed before the folder goes: nothing writes into it after.
        app = QApplication.instance()
        for widget in QApplication.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        gc.collect()
    for path in shots:
        print(path)
    return 0


def _shoot(out: Path, work: Path, members_count: int, size: tuple[int, int] = (1360, 860)) -> list[Path]:
    """Every screen and dialog of a demo hall in ``work``, saved as PNG files in ``out``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from treasurer.cli import SANDBOX_KEY
    from treasurer.cli.demo_online import demo_sandbox, make_demo
    from treasurer.hall import open_hall
    from treasurer.slips import create_slips

    from .app import application, create_window
    from .context import StripeSetup
    from .settings import AppSettings

    app = application()
    hall = open_hall(str(work / "hall"), actor="Pat Morales")
    with demo_sandbox(work / "hall") as url:
        make_demo(hall, work / "hall", members_count, 24, sandbox_url=url)
        _history(hall)
        setup = StripeSetup("sandbox", SANDBOX_KEY, url)
        window = create_window(hall, argparse.Namespace(stripe=setup), AppSettings())
        if window.ctx.gateway is not None:
            from .queries import member_rows

            owing = [r.number for r in member_rows(hall) if r.months_in_arrears][:9]
            from treasurer import clock
            from treasurer.periods import period_for_date

            create_slips(hall, window.ctx.gateway, period_for_date(clock.today(), "monthly").code, owing, True)
            window.refresh()
        window.resize(*size)
        window.show()
        settle(app, 300)
        shots = []
        for i, title in enumerate(window.screens, start=1):
            screen = window.show_screen(title)
            if title == "Slips" and screen.table.proxy.rowCount():
                screen.table.view.selectRow(0)
            if title == "Dues":
                screen.tabs.setCurrentIndex(1)
            if title == "Audit":
                screen.verify()          # the verdict in words: the chain and the books against it
            settle(app)
            path = out / f"{i:02d}-{title.lower()}.png"
            window.grab().save(str(path))
            shots.append(path)

        def dialog_shot(name: str, open_it, tweak=None) -> None:
            def grab():
                widget = QApplication.activeModalWidget()
                if widget is None:
                    QTimer.singleShot(50, grab)
                    return
                if tweak:
                    tweak(widget)
                settle(app)
                widget.grab().save(str(out / name))
                shots.append(out / name)
                widget.reject()

            QTimer.singleShot(100, grab)
            open_it()

        members = window.show_screen("Members")
        dialog_shot("10-member-page.png", lambda: members.open_member(members.table.proxy.records()[2]))
        dialog_shot("11-new-member.png", members.new_member)
        dues = window.show_screen("Dues")
        dialog_shot("12-assess.png", dues.assess_period)
        dues.tabs.setCurrentIndex(1)
        dialog_shot("16-reopen-period.png", dues.reopen_period)
        dialog_shot("17-suspend-arrears.png", members.suspend_in_arrears,
                    lambda d: wait_for(app, d.ok_button.isEnabled))
        payments = window.show_screen("Payments")
        payments.table.view.selectRow(0)
        dialog_shot("18-receipt-copy.png", payments.show_receipt)
        settings = window.show_screen("Settings")
        settings.officers.view.selectRow(next(i for i, r in enumerate(settings.officers.proxy.records())
                                              if r.name == "Pat Morales"))
        dialog_shot("19-change-pin.png", settings.change_pin)
        dialog_shot("20-deactivate-officer.png", settings.deactivate_officer)
        dialog_shot("21-add-officer.png", settings.add_officer)
        review = window.show_screen("Review")
        if review.table.proxy.rowCount():
            review.table.view.selectRow(0)
            dialog_shot("13-approve.png", lambda: review.decide(True))
        window.close()
    hall.close()

    from .wizard import FirstRunWizard

    fresh = open_hall(str(work / "fresh"), actor="Pat Morales")
    wizard = FirstRunWizard(fresh, AppSettings())
    wizard.hall_page.name.setText("IBEW Local 000")
    wizard.hall_page.address.setPlainText("1 Union Plaza\nSpringfield, IL 62701")
    wizard.show()
    for name in ("14-first-run-hall.png", "15-first-run-stripe.png"):
        settle(app)
        wizard.grab().save(str(out / name))
        shots.append(out / name)
        wizard.next()
    wizard.reject()
    fresh.close()
    return shots


if __name__ == "__main__":
    sys.exit(main())
