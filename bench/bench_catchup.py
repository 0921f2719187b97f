"""Catch-up: N events through the relay's Events API poller, next to fetching the same pages only, in one run.

    .venv/bin/python bench/bench_catchup.py [--events 10000] [--dir DIR]

The sandbox (``python -m sandbox``, its own process) is loaded with N ``checkout.session.completed`` events, each
a card payment for a member number nobody knows (so processing records a payment and a review item, audited),
after one event the hall has already read (its cursor): the relay was offline while N events happened.

- fetch only (the baseline): the relay's gateway reads every page after the cursor (``events_after``, 100 a page,
  oldest first), and nothing else. Measured before and after the catch-up; the baseline is their mean.
- catch-up: the relay's ``Ingest.catch_up`` (what its poller runs) on a fresh hall with that cursor: pages read in
  the network thread, stored with the cursor, processed in batches, until every event is in the books.
- then ``treasurer audit verify`` (the chain and the books against their snapshots) must pass.

Last, ``RESULT`` lines: the catch-up's time against fetching only, the fetch's time, and this process's CPU time
during the catch-up against the CPU time of fetching only (fairer than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TREASURER = Path(sys.executable).with_name("treasurer")
KEY = "sk_test_bench_catchup_0000000000"


def seed_state(path: Path, n: int, run: str) -> tuple[str, int]:
    """Sandbox state holding a first event (the hall's cursor) and n more; returns the cursor event (id, created)."""
    from sandbox.events import EventBus
    from sandbox.store import Store

    store = Store()
    bus = EventBus(store)
    first = None
    for i in range(n + 1):
        session = {"id": f"cs_{run}_{i}", "object": "checkout.session", "mode": "payment", "amount_total": 4500,
                   "currency": "usd", "payment_intent": f"pi_{run}_{i}", "payment_status": "paid",
                   "status": "complete", "payment_method_types": ["card"],
                   "customer_details": {"email": f"member{i}@example.org"},
                   "metadata": {"member_number": f"9{i:06d}", "period": "2026-10"}}
        event = bus.emit("checkout.session.completed", session)
        first = first or event
    store.save(path)
    return first["id"], first["created"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(state: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--state", str(state)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "listening" in line:
            return proc, f"http://127.0.0.1:{port}"
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the sandbox did not start")


def fetch_only(base: str, cursor: str) -> tuple[float, int, float]:
    from treasurer.gateway import Gateway

    gateway = Gateway(KEY, base, backoff_seconds=0.05)
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in gateway.events_after(cursor))
    return time.perf_counter() - start, count, time.process_time() - cpu


def catch_up(base: str, cursor: tuple[str, int], home: Path) -> tuple[float, object, float]:
    from relay.ingest import Ingest
    from treasurer import inbox, sync
    from treasurer.gateway import Gateway
    from treasurer.hall import init_hall, open_hall

    hall = open_hall(str(home), actor="bench")
    init_hall(hall, "IBEW Local 000", "usd")
    inbox.set_state(hall, sync.CURSOR, cursor[0])
    inbox.set_state(hall, sync.CURSOR_CREATED, str(cursor[1]))
    gateway = Gateway(KEY, base, backoff_seconds=0.05)

    async def run():
        ingest = Ingest(hall, gateway)
        await ingest.start()
        try:
            start, cpu = time.perf_counter(), time.process_time()
            report = await ingest.catch_up()
            return time.perf_counter() - start, report, time.process_time() - cpu
        finally:
            await ingest.stop()

    try:
        return asyncio.run(run())
    finally:
        hall.close()


def books(home: Path, n: int) -> dict[str, bool]:
    conn = sqlite3.connect(home / "treasurer.sqlite3")
    try:
        outcomes = dict(conn.execute("SELECT outcome, count(*) FROM stripe_events GROUP BY outcome").fetchall())
        payments = conn.execute("SELECT count(*), count(DISTINCT stripe_payment_intent_id), "
                                "coalesce(sum(amount_cents), 0) FROM payments").fetchone()
        reviews = conn.execute("SELECT count(*) FROM review_items WHERE kind = 'unmatched_payment'").fetchone()[0]
    finally:
        conn.close()
    verify = subprocess.run([str(TREASURER), "--data-dir", str(home), "audit", "verify"], check=False, capture_output=True,
                            text=True)
    return {f"{n} events applied": outcomes == {"applied": n},
            f"{n} payments once each, {n} review items": payments == (n, n, 4500 * n) and reviews == n,
            "treasurer audit verify passes": verify.returncode == 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--dir", help="where the scratch files go (default: the system temp folder)")
    args = parser.parse_args()
    n = args.events
    print(f"{n} events through the Events API poller; python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"sqlite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory(prefix="bench-catchup-", dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        cursor = seed_state(tmp / "sandbox.json", n, f"c{int(time.time())}")
        proc, base = start_sandbox(tmp / "sandbox.json")
        try:
            before, fetched, cpu_before = fetch_only(base, cursor[0])
            took, report, cpu = catch_up(base, cursor, tmp / "hall")
            after, fetched_again, cpu_after = fetch_only(base, cursor[0])
        finally:
            proc.terminate()
            proc.wait(30)
        checks = books(tmp / "hall", n)
        checks[f"fetch only read {n} events"] = fetched == fetched_again == n
        checks[f"the catch-up saw {n}, all new"] = (report.seen, report.new) == (n, n)
    baseline = (before + after) / 2
    cpu_baseline = (cpu_before + cpu_after) / 2
    print(f"\nfetch only (before, after)  {before:8.2f} s {after:8.2f} s   {n / baseline:8.0f} events/s   "
          f"CPU here {cpu_before:.2f} s, {cpu_after:.2f} s")
    print(f"catch-up (store + process)  {took:8.2f} s              {n / took:8.0f} events/s   CPU here {cpu:.2f} s")
    print(f"outcomes {report.outcomes}")
    for what, ok in checks.items():
        print(f"  {what}: {'OK' if ok else 'FAILED'}")
    print(f"RESULT catchup_{n}_events {took:.2f} s {took / baseline:.2f}")
    print(f"RESULT catchup_fetch_only_{n}_events {baseline:.2f} s -")
    # This process's CPU time (every thread; the sandbox is another process): the catch-up against fetching only.
    print(f"RESULT catchup_cpu_{n}_events {cpu:.2f} s {cpu / cpu_baseline:.2f}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
