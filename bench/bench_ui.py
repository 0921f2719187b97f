"""How fast the desktop app feels on a big hall (a benchmark, not a timed test: prints figures).

    .venv/bin/python bench/bench_ui.py [--members 5000] [--hall DIR] [--payments 1000] [--parts ...]
    .venv/bin/python bench/bench_ui.py --hall DIR --only-burst [--screens payments] [--stall-stacks]

``--hall DIR`` copies an existing hall (``treasurer demo --data-dir DIR --members 5000``) instead of filling a
new one (minutes at 5,000 members).  Each figure next to a baseline measured in the same run:

- burst_stall_<screen>: the longest gap between ticks of a 5 ms Qt timer while N signed
  ``checkout.session.completed`` webhooks for N different members arrive at the window's relay as fast as
  8 connections send them (a separate process), with the window open on that screen.  The relay is the
  window's, in its own thread (``ui.relay_runner.RelayThread``); Python's cyclic GC runs on the UI thread, as
  in the app.  Baseline: the same burst into the same relay with no window.  Target < 50 ms.
- burst_shown_<screen>: from the last payment written to the books to the screen showing every one of
  them (the Payments table lists them, the Members rows carry them, the Dashboard counts them).  Target < 1 s.
- start: a separate process from its start to the Dashboard's figures painted, through ``treasurer``'s own
  start-up on the hall.  Baseline: a process that only shows a QMainWindow with a label.  Target < 1.0 s.
- members_open: the Members screen from the click to painted, with the roll read ahead as the app does
  after start-up (and cold, without).  Baseline: reading the roll with standings.  Target < 200 ms.
- dashboard_figures: the Dashboard's figures (SQL aggregates).  Baseline: the same figures the old way, a
  Python loop over every member's row.  Target < 50 ms.
- filter_keystroke: one key in the Members search box (filter + repaint), median.  Target < 50 ms.

Prints, last, one line per figure: ``RESULT <name> <value> <unit> <ratio to its baseline or ->``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RESULTS: list[str] = []


def result(name: str, value: float, unit: str, baseline: float | None) -> None:
    ratio = f"{value / baseline:.2f}" if baseline else "-"
    RESULTS.append(f"RESULT {name} {value:.1f} {unit} {ratio}")


# Start-up, in separate processes ---------------------------------------------------------------------------

def probe_start(kind: str, data_dir: str, started: float) -> None:
    """Child: the time from ``started`` (the parent's clock, just before it started this process) to paint."""
    if kind == "app":               # first, as ``treasurer`` imports it: the order of imports costs time
        importlib.import_module("ui.app")
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and isinstance(obj, QLabel):
                wanted = ("expected" if kind == "app" else "bare")
                if obj.accessibleName() == wanted and obj.text() not in ("", "—"):
                    print(f"PAINTED {time.time() - started:.4f}", flush=True)
                    os._exit(0)
            return False

    watch = Watch()
    app.installEventFilter(watch)
    QTimer.singleShot(30_000, lambda: os._exit(3))
    if kind == "bare":
        window = QMainWindow()
        label = QLabel("A hall")
        label.setAccessibleName("bare")
        window.setCentralWidget(label)
        window.resize(1280, 800)
        window.show()
        app.exec()
    else:
        from treasurer.cli import main

        main(["--data-dir", data_dir])


def start_time(kind: str, data_dir: str, settings_dir: str) -> float:
    """One start in a new process; compiled modules cached (in the scratch folder) as an installed app has them."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=settings_dir, HOME=settings_dir,
               PYTHONPYCACHEPREFIX=str(Path(settings_dir) / "pycache"))
    for key in ("STRIPE_API_KEY", "TREASURER_STRIPE_API_BASE", "TREASURER_DATABASE_URL", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    started = time.time()
    out = subprocess.run([sys.executable, __file__, "--probe-start", kind, "--hall", data_dir,
                          "--started", repr(started)], check=False, capture_output=True, text=True, env=env, timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("PAINTED "):
            return float(line.split()[1])
    raise SystemExit(f"the start probe ({kind}) did not paint: {out.stdout[-500:]} {out.stderr[-2000:]}")


# The burst: a load generator in its own process ----------------------------------------------------------

def fire_events(url: str, numbers: list[str], run: str) -> None:
    """Child: one signed checkout.session.completed per member number, 8 connections, as fast as they go."""
    from bench_relay import fire

    now = int(time.time())
    bodies = []
    for i, number in enumerate(numbers):
        obj = {"id": f"cs_{run}_{i}", "object": "checkout.session", "mode": "payment", "amount_total": 4500,
               "currency": "usd", "payment_intent": f"pi_{run}_{i}", "payment_status": "paid",
               "payment_method_types": ["card"], "metadata": {"member_number": number}}
        event = {"id": f"evt_{run}_{i}", "object": "event", "api_version": "2025-09-30.clover", "created": now,
                 "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                 "type": "checkout.session.completed", "data": {"object": obj}}
        bodies.append(json.dumps(event).encode())
    elapsed, _, statuses = asyncio.run(fire(url, bodies, 8))
    print(f"FIRED {elapsed:.3f} {json.dumps(statuses)}", flush=True)


class Ticks:
    """A 5 ms timer on the UI thread; the longest gap between its ticks is the longest stall.

    Each gap also keeps the UI thread's own CPU time over it and its time waiting for a core (Linux's
    schedstat): a gap with little CPU is the thread waiting, for a core on a busy machine (the wait) or for
    Python's GIL while other threads run (the rest), not the window working.
    """

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[tuple[float, float, float]] = []      # (wall, UI thread CPU, waiting for a core)
        self.last = None
        self.last_cpu = self.last_wait = 0.0
        import threading

        try:
            self._schedstat: int | None = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat",
                                                  os.O_RDONLY)
        except OSError:
            self._schedstat = None

    def _waited(self) -> float:
        if self._schedstat is None:
            return 0.0
        return int(os.pread(self._schedstat, 128, 0).split()[1]) / 1e9

    def _tick(self) -> None:
        now, cpu, wait = time.perf_counter(), time.thread_time(), self._waited()
        if self.last is not None:
            self.gaps.append((now - self.last, cpu - self.last_cpu, wait - self.last_wait))
        self.last, self.last_cpu, self.last_wait = now, cpu, wait

    def start(self) -> None:
        self.gaps, self.last = [], None
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return max(wall for wall, *_ in self.gaps) if self.gaps else 0.0

    def longest(self, count: int = 5) -> str:
        worst = sorted(self.gaps, reverse=True)[:count]
        return ", ".join(f"{wall * 1000:.0f} ms (CPU {cpu * 1000:.0f}, waiting for a core {wait * 1000:.0f})"
                         for wall, cpu, wait in worst)

    def busiest(self) -> tuple[float, float]:
        """(the most UI-thread CPU in one gap, the longest gap less its wait for a core), in seconds."""
        if not self.gaps:
            return 0.0, 0.0
        return max(cpu for _, cpu, _ in self.gaps), max(wall - wait for wall, _, wait in self.gaps)


class UiWork:
    """Each piece of the window's work on the UI thread after relay events, timed (wall and CPU): what a
    follow-up shows (``MainWindow._show_followed``), what a relay notice does (``_relay_changed``), what the
    window does with what changed (``_take``), and each of Python's collections (``gc.callbacks``)."""

    def __init__(self):
        self.times: dict[str, list[tuple[float, float]]] = {}
        self._gc_started: tuple[float, float] | None = None

    current: UiWork | None = None

    @staticmethod
    def wrap(window_class) -> None:
        """Time these methods of every window (the class's, so that listeners added at start are timed too)."""
        if getattr(window_class, "_bench_timed", False):
            return
        window_class._bench_timed = True
        for name in ("_show_followed", "_relay_changed", "_take"):
            original = getattr(window_class, name)

            def timed(self, *args, _original=original, _name=name, **kwargs):
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return _original(self, *args, **kwargs)
                finally:
                    if UiWork.current is not None:
                        label = f"{_name}({args[0]})" if _name == "_show_followed" else _name
                        UiWork.current.times.setdefault(label, []).append(
                            (time.perf_counter() - wall, time.thread_time() - cpu))

            setattr(window_class, name, timed)

    census = False

    def gc_callback(self, phase: str, info: dict) -> None:
        if phase == "start" and self.census:
            import gc
            from collections import Counter

            young = gc.get_objects(0) + gc.get_objects(1)
            top = Counter(type(o).__module__ + "." + type(o).__qualname__ for o in young).most_common(8)
            print(f"  gc census, generation {info['generation']}: {len(young)} young objects: {top}")
        if phase == "start":
            self._gc_started = (time.perf_counter(), time.thread_time())
        elif self._gc_started is not None:
            wall, cpu = self._gc_started
            self.times.setdefault(f"gc.collect({info['generation']})", []).append(
                (time.perf_counter() - wall, time.thread_time() - cpu))
            self._gc_started = None

    def report(self) -> None:
        for label, values in sorted(self.times.items()):
            walls, cpus = [w for w, _ in values], [c for _, c in values]
            print(f"  UI work {label}: {len(values)} times, longest {max(walls) * 1000:.1f} ms "
                  f"(CPU {max(cpus) * 1000:.1f}), in all {sum(walls) * 1000:.0f} ms (CPU {sum(cpus) * 1000:.0f})")


def pause(ms: int) -> None:
    """Let the UI thread's event loop run for ``ms`` milliseconds (as ``app.exec()`` would)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class StallStacks:
    """A watchdog thread: while the UI thread has not ticked for ``after`` seconds, sample its stack every 5 ms.

    What it was doing during the stalls, by where: the samples say whether the UI thread was busy in the
    window's code (which function) or waiting in Qt's event loop for the GIL (other threads working).
    """

    def __init__(self, ticks: Ticks, after: float = 0.02):
        import threading

        self.ticks, self.after = ticks, after
        self.ui = threading.get_ident()
        self.samples: dict[tuple[str, ...], int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import traceback

        while not self._stop.wait(0.005):
            last = self.ticks.last
            if last is None or time.perf_counter() - last < self.after:
                continue
            frame = sys._current_frames().get(self.ui)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            where = tuple(f"{Path(f.filename).name}:{f.name}" for f in stack
                          if "/ui/" in f.filename or "/treasurer/" in f.filename or "/relay/" in f.filename)
            inner = f"{Path(stack[-1].filename).name}:{stack[-1].name}" if stack else "?"
            key = (where[-6:] if where else ("(event loop)",)) + (f"[in {inner}]",)
            self.samples[key] = self.samples.get(key, 0) + 1

    def report(self, top: int = 12) -> None:
        total = sum(self.samples.values())
        if not total:
            print("  stall stacks: no stall over 20 ms sampled")
            return
        print(f"  stall stacks (UI thread sampled every 5 ms while it had not ticked for 20 ms: {total} samples)")
        for key, count in sorted(self.samples.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {count:4d}  {' > '.join(key)}")


def burst(hall, app, screen_title: str | None, numbers: list[str], run: str, settings,
          stacks: bool = False, profile: str | None = None) -> tuple[float, float, float]:
    """(longest stall, seconds from the last payment written to every one shown, seconds to write them all).

    The relay is the window's: in its own thread (``ui.relay_runner.RelayThread``), with its own asyncio
    loop; the UI thread runs Qt's event loop only.
    """
    import gc
    import threading

    from bench_relay import SECRET  # the load generator signs with it
    from sqlalchemy import func, select

    from relay.service import Relay
    from treasurer.models import Payment
    from ui.app import create_window
    from ui.context import StripeSetup
    from ui.main_window import MainWindow
    from ui.relay_runner import RelayThread

    UiWork.wrap(MainWindow)
    ticks = Ticks()
    work = UiWork()
    prefix = f"pi_{run}_"
    wanted = len(numbers)

    def recorded() -> int:
        with hall.read() as s:
            return s.scalar(select(func.count()).select_from(Payment).where(
                Payment.stripe_payment_intent_id.like(prefix + "%"))) or 0

    def shown(window) -> bool:
        if window is None:
            return True
        if screen_title == "Payments":
            rows = window.screens["Payments"].table.model.rows
            if len(rows) < rows_before + wanted:        # not yet: no need to look at every row (UI time)
                return False
            return sum(1 for r in rows if r.stripe_id.startswith(prefix)) >= wanted
        if screen_title == "Members":
            rows = window.screens["Members"].table.model.rows
            return sum(1 for r in rows if r.number in touched and r.standing.credited_cents >= before[r.number]
                       + 4500) >= wanted
        data = window.screens["Dashboard"].data
        return data is not None and data.collected_cents >= collected_before + 4500 * wanted

    touched = set(numbers)
    before: dict[str, int] = {}
    collected_before = rows_before = 0

    async def starting():
        relay = Relay(hall, None, mode="webhook", port=0)
        await relay.start()
        relay.add_webhook_secret(SECRET)
        return relay

    background = RelayThread().start()
    got: list = []
    background.start_relay(starting, lambda relay, error: got.append((relay, error)))
    deadline = time.monotonic() + 60
    while not got and time.monotonic() < deadline:
        pause(10)
    if not got or got[0][1] is not None:
        background.stop()
        raise SystemExit(f"the relay did not start: {got}")
    relay = got[0][0]
    window = None
    if screen_title is not None:
        window = create_window(hall, argparse.Namespace(stripe=StripeSetup("none")), settings, relay)
        window.resize(1280, 800)
        window.show()
        screen = window.show_screen(screen_title)
        if screen_title == "Members":
            before.update({r.number: r.standing.credited_cents for r in screen.table.model.rows})
        if screen_title == "Dashboard":
            collected_before = screen.data.collected_cents
        if screen_title == "Payments":
            rows_before = len(screen.table.model.rows)
        pause(1000)           # the window open a moment before the payments come, as in the app
    written: list[float] = []

    def watch_writes() -> None:       # off the UI thread, as the old bench did in an executor
        while recorded() < wanted:
            time.sleep(0.05)
        written.append(time.perf_counter())

    watcher = threading.Thread(target=watch_writes, daemon=True)
    fired: list[str] = []
    proc = subprocess.Popen([sys.executable, __file__, "--fire", relay.webhook_url, "--run", run,
                             "--numbers", ",".join(numbers)], stdout=subprocess.PIPE, text=True)
    reader = threading.Thread(target=lambda: fired.append(proc.communicate()[0]), daemon=True)
    ticks.start()
    watch = StallStacks(ticks) if stacks else None
    if watch:
        watch.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()      # this thread only: the UI thread's work
        profiler.enable()
    gc.callbacks.append(work.gc_callback)
    UiWork.current = work
    fire_start = time.perf_counter()
    reader.start()
    watcher.start()
    shown_at = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        pause(50)
        if written and shown(window):
            shown_at = time.perf_counter()
            break
    if profiler:
        profiler.disable()
    stall = ticks.stop()
    gc.callbacks.remove(work.gc_callback)
    UiWork.current = None
    if watch:
        watch.stop()
    reader.join(60)
    if window is not None:
        window.close()
        window.deleteLater()
    background.stop()
    pause(10)
    if not fired or "FIRED" not in fired[0]:
        raise SystemExit(f"the load generator failed: {fired}")
    if shown_at is None:
        raise SystemExit(f"burst on {screen_title}: not all shown within the deadline")
    print(f"  longest gaps between ticks: {ticks.longest()}")
    busiest_cpu, less_waiting = ticks.busiest()
    print(f"  the most UI-thread CPU in one gap: {busiest_cpu * 1000:.0f} ms; the longest gap less its wait for a "
          f"core: {less_waiting * 1000:.0f} ms")
    work.report()
    if watch:
        watch.report()
    if profiler:
        import pstats

        profiler.dump_stats(f"{profile}-{(screen_title or 'none').lower()}.prof")
        print(f"  UI thread profile: {profile}-{(screen_title or 'none').lower()}.prof; the top by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
    return stall, shown_at - written[0], written[0] - fire_start


# Python's old way for the dashboard, the baseline -------------------------------------------------------------

def dashboard_the_old_way(hall, today):
    from ui import dashboard_data, queries

    rows = queries.member_rows(hall, today)
    arrears = []
    for label, low, high in dashboard_data.BUCKETS:
        inside = [r for r in rows if low <= r.months_in_arrears <= high]
        arrears.append((label, len(inside), sum(r.standing.overdue_cents for r in inside)))
    months = [dashboard_data.month_start(today, back) for back in range(11, -1, -1)]
    queries.month_totals(hall, months[0])
    return (sum(r.balance_cents for r in rows if r.balance_cents > 0), sum(1 for r in rows if r.balance_cents > 0),
            arrears)


def timed(work, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--hall", help="copy this hall instead of filling a new one")
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--parts", default="figures,members,start,burst",
                        help="which figures to measure (comma-separated: figures, members, start, burst)")
    parser.add_argument("--only-burst", action="store_true", help="the burst part only (as --parts burst)")
    parser.add_argument("--screens", default="dashboard,members,payments",
                        help="the burst's screens (comma-separated: dashboard, members, payments)")
    parser.add_argument("--stall-stacks", action="store_true",
                        help="sample the UI thread's stack during the burst's stalls (over 20 ms) and print them")
    parser.add_argument("--profile-ui", metavar="PREFIX",
                        help="profile the UI thread during each burst (cProfile, PREFIX-<screen>.prof)")
    parser.add_argument("--gc-census", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--switch-interval", type=float,
                        help="Python's thread switch interval during the burst, in ms (default: the app's)")
    parser.add_argument("--probe-start", help=argparse.SUPPRESS)
    parser.add_argument("--started", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--fire", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--numbers", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_start:
        probe_start(args.probe_start, args.hall, args.started)
        return
    if args.fire:
        fire_events(args.fire, args.numbers.split(","), args.run)
        return

    from PySide6.QtCore import QSettings

    from treasurer import clock
    from treasurer.hall import open_hall
    from ui.app import application

    tmp = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "qsettings"))
    app = application()
    if args.hall:
        shutil.copytree(args.hall, tmp / "hall")
        hall = open_hall(str(tmp / "hall"), actor="bench")
    else:
        from treasurer.demo import fill_demo

        hall = open_hall(str(tmp / "hall"), actor="bench")
        t = time.perf_counter()
        fill_demo(hall, members=args.members, months=24)
        print(f"demo hall: {args.members} members in {time.perf_counter() - t:.1f} s")
    today = clock.today()

    UiWork.census = args.gc_census
    parts = {"burst"} if args.only_burst else set(args.parts.split(","))
    if "figures" in parts:
        measure_figures(hall, today)
    if "members" in parts:
        measure_members(app, hall, today)
    hall.close()
    if "start" in parts:
        measure_start(tmp)
    if "burst" in parts:
        measure_bursts(app, tmp, args.payments, args.screens.lower().split(","), args.stall_stacks, args.profile_ui,
                       args.switch_interval)
    shutil.rmtree(tmp, ignore_errors=True)
    for line in RESULTS:
        print(line)


def measure_figures(hall, today) -> None:
    from ui import dashboard_data

    figures = timed(lambda: dashboard_data.dashboard(hall, today))
    old_way = timed(lambda: dashboard_the_old_way(hall, today))
    print(f"dashboard figures: {figures * 1000:.0f} ms (the old Python loop over members: {old_way * 1000:.0f} ms)")
    result("dashboard_figures", figures * 1000, "ms", old_way * 1000)


def measure_members(app, hall, today) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from ui import queries
    from ui.app import create_window
    from ui.context import StripeSetup
    from ui.settings import AppSettings

    roll = timed(lambda: queries.member_rows(hall, today))

    def open_members(read_ahead: bool) -> float:
        settings = AppSettings()
        settings.last_page = "Dashboard"
        window = create_window(hall, argparse.Namespace(stripe=StripeSetup("none")), settings)
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        if read_ahead:
            window.ctx.keep_member_rows(queries.member_rows(hall, today), window.ctx.roll_generation)
        t = time.perf_counter()
        window.show_screen("Members")
        app.processEvents()
        took = time.perf_counter() - t
        window.close()
        window.deleteLater()
        app.processEvents()
        return took

    cold = min(open_members(False) for _ in range(2))
    warm = min(open_members(True) for _ in range(3))
    print(f"members screen open: {warm * 1000:.0f} ms with the roll read ahead, {cold * 1000:.0f} ms cold "
          f"(reading the roll alone: {roll * 1000:.0f} ms)")
    result("members_open", warm * 1000, "ms", roll * 1000)
    result("members_open_cold", cold * 1000, "ms", roll * 1000)

    window = create_window(hall, argparse.Namespace(stripe=StripeSetup("none")), AppSettings())
    window.resize(1280, 800)
    window.show()
    screen = window.show_screen("Members")
    app.processEvents()
    keystrokes = []
    for word in ("smith", "100", "garcia maria", "zz"):
        for ch in word:
            t = time.perf_counter()
            QTest.keyClick(screen.search, ch)
            app.processEvents()
            keystrokes.append(time.perf_counter() - t)
        for _ in word:
            QTest.keyClick(screen.search, Qt.Key.Key_Backspace)
            app.processEvents()
    print(f"filter keystroke: median {statistics.median(keystrokes) * 1000:.1f} ms, "
          f"worst {max(keystrokes) * 1000:.1f} ms")
    result("filter_keystroke", statistics.median(keystrokes) * 1000, "ms", None)
    t = time.perf_counter()
    window.reload()
    app.processEvents()
    print(f"window.reload() (every screen built so far read again: Members): {(time.perf_counter() - t) * 1000:.0f} ms")
    window.close()
    window.deleteLater()
    app.processEvents()


def measure_start(tmp: Path) -> None:
    """In separate processes, on the hall as it is now."""
    settings_dir = str(tmp / "probe-home")
    bare = min(start_time("bare", str(tmp / "hall"), settings_dir) for _ in range(3))
    start = min(start_time("app", str(tmp / "hall"), settings_dir) for _ in range(3))
    print(f"start to the Dashboard painted: {start * 1000:.0f} ms (a bare QMainWindow: {bare * 1000:.0f} ms)")
    result("start", start * 1000, "ms", bare * 1000)


def measure_bursts(app, tmp: Path, n: int, screens: list[str], stacks: bool = False,
                   profile: str | None = None, switch_ms: float | None = None) -> None:
    import gc

    from sqlalchemy import select

    from treasurer.hall import open_hall
    from treasurer.models import Member
    from ui.app import UI_SWITCH_INTERVAL, collect_on_ui_thread
    from ui.settings import AppSettings

    switch_before = sys.getswitchinterval()
    sys.setswitchinterval(switch_ms / 1000 if switch_ms else UI_SWITCH_INTERVAL)   # as the app does
    collector = collect_on_ui_thread(app)        # as the app does: Python's cyclic GC on the UI thread only
    collector.thorough()                         # as at the app's first quiet moment after start-up
    hall = open_hall(str(tmp / "hall"), actor="bench")
    with hall.read() as s:
        all_numbers = list(s.scalars(select(Member.member_number).order_by(Member.id)))
    settings = AppSettings()
    settings.last_page = "Dashboard"
    base_stall, _, base_write = burst(hall, app, None, all_numbers[:n], "base", settings, stacks)
    print(f"burst of {n} payments, no window: longest stall {base_stall * 1000:.0f} ms, "
          f"all written in {base_write:.1f} s")
    for i, title in enumerate(("Dashboard", "Members", "Payments")):
        if title.lower() not in screens:
            continue
        numbers = all_numbers[(i + 1) * n % len(all_numbers):][:n]
        cpu = time.thread_time()
        stall, shown, write = burst(hall, app, title, numbers, f"w{i}", settings, stacks, profile)
        cpu = time.thread_time() - cpu
        print(f"burst of {n} payments, window on {title}: longest stall {stall * 1000:.0f} ms, all shown "
              f"{shown * 1000:.0f} ms after the last was written ({write:.1f} s to write them; UI thread CPU "
              f"{cpu:.2f} s in all, window building included)")
        result(f"burst_stall_{title.lower()}", stall * 1000, "ms", base_stall * 1000)
        result(f"burst_shown_{title.lower()}", shown * 1000, "ms", None)
    hall.close()
    collector.stop()
    gc.enable()
    sys.setswitchinterval(switch_before)


if __name__ == "__main__":
    main()
