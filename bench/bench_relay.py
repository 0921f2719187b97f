"""Webhook ingest: throughput and ack latency of the real relay, next to two baselines measured in the same run.

    .venv/bin/python bench/bench_relay.py [--events 3000] [--connections 8] [--kinds unmatched ignored] [--dir DIR]

For each kind of event (``unmatched``: checkout.session.completed for a member nobody knows, so processing
records a payment and a review item; ``ignored``: customer.updated, which the books store and ignore):

- relay: ``treasurer relay run --mode webhook`` in its own process on a fresh hall (the secret in
  STRIPE_WEBHOOK_SECRET), N signed events over C keep-alive connections (aiohttp, C worker tasks in this
  process); ack latency per request, throughput, then how long until every event was processed, a check
  that each event is in stripe_events exactly once, and ``treasurer audit verify`` on the books after the burst.
- baseline A: an aiohttp server of the same shape in its own process that verifies the signature and parses
  the event exactly like the receiver, then answers 200 without touching a database; same load generator.
- baseline B: raw durable SQLite inserts of the same rows (stdlib sqlite3, WAL, synchronous=FULL) into a
  table shaped like stripe_events: one transaction per row, and one per batch of 256.

Last, one line per figure (issue 12): ``RESULT <name> <value> <unit> <ratio to its baseline>``:
``relay_recorded_<kind>`` (events in the books per second, from the first request until the last is applied,
against baseline B's one-row commits), ``relay_acked_<kind>`` (acknowledgements per second, against A) and
``relay_cpu_<kind>`` (the relay process's CPU time per event, from the first request until the last is applied,
against A's server process for the same requests: less noisy than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TREASURER = Path(sys.executable).with_name("treasurer")
SECRET = "whsec_benchRelaySecret000000000000000"
PATH = "/stripe/webhook"


# Events ---------------------------------------------------------------------------------------------------

def make_events(n: int, kind: str, run: str) -> list[bytes]:
    now = int(time.time())
    bodies = []
    for i in range(n):
        if kind == "unmatched":
            obj = {"id": f"cs_{run}_{i}", "object": "checkout.session", "mode": "payment", "amount_total": 4500,
                   "currency": "usd", "payment_intent": f"pi_{run}_{i}", "payment_status": "paid",
                   "payment_method_types": ["card"], "customer_details": {"email": f"member{i}@example.org"},
                   "metadata": {"member_number": f"9{i:06d}", "period": "2026-10"}}
            etype = "checkout.session.completed"
        else:
            obj = {"id": f"cus_{run}_{i}", "object": "customer", "email": f"member{i}@example.org",
                   "metadata": {"member_number": f"9{i:06d}"}}
            etype = "customer.updated"
        event = {"id": f"evt_{run}_{i}", "object": "event", "api_version": "2025-09-30.clover", "created": now,
                 "livemode": False, "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                 "type": etype, "data": {"object": obj}}
        bodies.append(json.dumps(event).encode())
    return bodies


def sign(raw: bytes, timestamp: int) -> str:
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# Load generator -------------------------------------------------------------------------------------------

async def fire(url: str, bodies: list[bytes], connections: int) -> tuple[float, list[float], dict[int, int]]:
    import aiohttp

    timestamp = int(time.time())
    requests = [(raw, sign(raw, timestamp)) for raw in bodies]   # signed now: well inside the 300 s tolerance
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = iter(range(len(requests)))
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        async def worker():
            for i in next_index:
                raw, signature = requests[i]
                start = time.perf_counter()
                async with session.post(url, data=raw, headers={"Content-Type": "application/json",
                                                                "Stripe-Signature": signature}) as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - start)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, statuses


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Servers --------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STRIPE_API_KEY", "TREASURER_STRIPE_API_BASE",
                                                             "TREASURER_DATABASE_URL", "TREASURER_HOME")}
    env["STRIPE_WEBHOOK_SECRET"] = SECRET
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_server(args: list[str], port: int, ready: str) -> subprocess.Popen:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=child_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if ready in line:
            return proc
        if not line and proc.poll() is not None:
            raise SystemExit(f"{' '.join(args)} exited with {proc.returncode}")
    proc.kill()
    raise SystemExit(f"{' '.join(args)} did not start")


def cpu_seconds(proc: subprocess.Popen) -> float:
    """The process's CPU time so far (user + system, all threads), from /proc; 0.0 where there is none."""
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_baseline(port: int) -> None:
    """Baseline A: the receiver's checks (size, content type, signature, parse) and a 200, no database."""
    from aiohttp import web

    from treasurer import inbox
    from treasurer.gateway import BadSignature, verify_webhook

    max_body = 512 * 1024

    async def handle(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > max_body:
            return web.json_response({"error": "too large"}, status=413)
        raw = await request.read()
        if not request.content_type.startswith("application/json"):
            return web.json_response({"error": "content type"}, status=415)
        try:
            verify_webhook(raw, request.headers.get("Stripe-Signature"), [SECRET])
            inbox.parse(raw, "webhook")
        except (BadSignature, ValueError):
            return web.json_response({"error": "refused"}, status=400)
        return web.json_response({"received": True, "duplicate": False})

    async def main() -> None:
        app = web.Application(client_max_size=max_body + 1024)
        app.router.add_post(PATH, handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"baseline ready on port {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# Runs -----------------------------------------------------------------------------------------------------

def run_relay(bodies: list[bytes], kind: str, connections: int, tmp: Path) -> dict:
    from treasurer.hall import init_hall, open_hall

    home = tmp / f"hall-{kind}"
    hall = open_hall(str(home), actor="bench")
    init_hall(hall, "IBEW Local 000", "usd")
    db_path = hall.db.sqlite_path
    hall.close()
    port = free_port()
    proc = start_server([str(TREASURER), "--data-dir", str(home), "relay", "run", "--mode", "webhook",
                         "--port", str(port)], port, "relay ready")
    try:
        cpu_before = cpu_seconds(proc)
        started = time.perf_counter()
        elapsed, latencies, statuses = asyncio.run(fire(f"http://127.0.0.1:{port}{PATH}", bodies, connections))
        conn = sqlite3.connect(db_path, timeout=30)
        try:
            while conn.execute("SELECT count(*) FROM stripe_events WHERE outcome = 'pending'").fetchone()[0]:
                time.sleep(0.05)
            processed = time.perf_counter() - started
            ids = [json.loads(raw)["id"] for raw in bodies]
            stored = dict(conn.execute("SELECT id, count(*) FROM stripe_events GROUP BY id").fetchall())
            outcomes = dict(conn.execute("SELECT outcome, count(*) FROM stripe_events GROUP BY outcome").fetchall())
            payments = conn.execute("SELECT count(*), coalesce(sum(amount_cents), 0) FROM payments").fetchone()
            reviews = conn.execute("SELECT count(*) FROM review_items WHERE kind = 'unmatched_payment' "
                                   "AND resolved_at IS NULL").fetchone()[0]
        finally:
            conn.close()
        cpu = cpu_seconds(proc) - cpu_before
    finally:
        stop_server(proc)
    verify = subprocess.run([str(TREASURER), "--data-dir", str(home), "audit", "verify"], check=False, capture_output=True,
                            text=True, env=child_env())
    once = all(stored.get(i) == 1 for i in ids) and len(stored) == len(ids)
    expect_payments = len(bodies) if kind == "unmatched" else 0
    checks = {"every event stored exactly once": once,
              "every ack was 200": statuses == {200: len(bodies)},
              f"{expect_payments} payments, {expect_payments} open review items":
                  payments[0] == expect_payments and reviews == expect_payments
                  and payments[1] == 4500 * expect_payments,
              "treasurer audit verify passes after the burst": verify.returncode == 0}
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "processed": processed,
            "outcomes": outcomes, "checks": checks, "cpu": cpu}


def run_baseline_a(bodies: list[bytes], connections: int) -> dict:
    port = free_port()
    proc = start_server([sys.executable, str(Path(__file__).resolve()), "--serve-baseline", str(port)], port,
                        "baseline ready")
    try:
        cpu_before = cpu_seconds(proc)
        elapsed, latencies, statuses = asyncio.run(fire(f"http://127.0.0.1:{port}{PATH}", bodies, connections))
        cpu = cpu_seconds(proc) - cpu_before
    finally:
        stop_server(proc)
    return {"elapsed": elapsed, "latencies": latencies, "statuses": statuses, "cpu": cpu,
            "checks": {"every ack was 200": statuses == {200: len(bodies)}}}


STRIPE_EVENTS = """CREATE TABLE stripe_events (
    id VARCHAR(255) NOT NULL PRIMARY KEY, type VARCHAR(80) NOT NULL, created BIGINT NOT NULL,
    livemode BOOLEAN NOT NULL, api_version VARCHAR(40), payload TEXT NOT NULL, source VARCHAR(10) NOT NULL,
    received_at VARCHAR(32) NOT NULL, outcome VARCHAR(10) NOT NULL, detail TEXT NOT NULL, attempts INTEGER NOT NULL,
    processed_at VARCHAR(32),
    CONSTRAINT ck_event_outcome CHECK (outcome IN ('pending', 'applied', 'ignored', 'held', 'failed')))"""


def run_baseline_b(bodies: list[bytes], batch: int, tmp: Path) -> dict:
    path = tmp / f"raw-{batch}-{time.monotonic_ns()}.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(STRIPE_EVENTS)
    conn.execute("CREATE INDEX ix_stripe_events_outcome ON stripe_events (outcome)")
    conn.execute("CREATE INDEX ix_stripe_events_created ON stripe_events (created)")
    rows = []
    for raw in bodies:
        text = raw.decode()
        e = json.loads(text)
        rows.append((e["id"], e["type"], e["created"], bool(e["livemode"]), e["api_version"], text, "webhook"))
    latencies = []
    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        t0 = time.perf_counter()
        stamp = dt.datetime.now(dt.UTC).isoformat()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO stripe_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', '', 0, NULL)",
                         [r + (stamp,) for r in rows[i:i + batch]])
        conn.execute("COMMIT")
        latencies.extend([time.perf_counter() - t0] * len(rows[i:i + batch]))
    elapsed = time.perf_counter() - start
    stored = conn.execute("SELECT count(DISTINCT id) FROM stripe_events").fetchone()[0]
    conn.close()
    return {"elapsed": elapsed, "latencies": latencies, "checks": {"every row stored": stored == len(rows)}}


def report(rows: list[tuple[str, dict]], n: int) -> None:
    print(f"\n{'':46} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'all processed s':>16} "
          f"{'server CPU ms/event':>20}")
    for name, r in rows:
        lat = r["latencies"]
        processed = f"{r['processed']:.2f}" if "processed" in r else "-"
        cpu = f"{r['cpu'] / n * 1e3:.3f}" if "cpu" in r else "-"
        print(f"{name:46} {n / r['elapsed']:>9.0f} {percentile(lat, 50) * 1e3:>8.2f} {percentile(lat, 99) * 1e3:>8.2f} "
              f"{max(lat) * 1e3:>8.2f} {processed:>16} {cpu:>20}")
    for name, r in rows:
        failed = [what for what, ok in r["checks"].items() if not ok]
        extra = f" outcomes {r['outcomes']}" if "outcomes" in r else ""
        print(f"  {name}: {'OK' if not failed else 'FAILED: ' + '; '.join(failed)}{extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--kinds", nargs="+", choices=("unmatched", "ignored"), default=["unmatched", "ignored"])
    parser.add_argument("--dir", help="where the scratch databases go (default: the system temp folder)")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return 0
    print(f"{args.events} signed events over {args.connections} connections; python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cpus, sqlite {sqlite3.sqlite_version}")
    ok = True
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-relay-", dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        print(f"scratch databases in {tmp}")
        for kind in args.kinds:
            run = f"{kind}{int(time.time())}"
            bodies = make_events(args.events, kind, run)
            size = statistics.mean(len(b) for b in bodies)
            what = ("checkout.session.completed, unknown member: a payment and a review item each"
                    if kind == "unmatched" else "customer.updated: stored, then ignored")
            print(f"\n== {kind}: {what} (mean body {size:.0f} bytes)")
            rows = [("relay (treasurer relay run --mode webhook)", run_relay(bodies, kind, args.connections, tmp)),
                    ("baseline A: same server shape, no database", run_baseline_a(bodies, args.connections)),
                    ("baseline B: raw SQLite, 1 transaction/row", run_baseline_b(bodies, 1, tmp)),
                    ("baseline B: raw SQLite, 1 transaction/256", run_baseline_b(bodies, 256, tmp))]
            report(rows, args.events)
            ok = ok and all(all(r["checks"].values()) for _, r in rows)
            relay, a, b = rows[0][1], rows[1][1], rows[2][1]
            recorded, acked = args.events / relay["processed"], args.events / relay["elapsed"]
            results.append(f"RESULT relay_recorded_{kind} {recorded:.0f} events/s {recorded / (args.events / b['elapsed']):.2f}")
            results.append(f"RESULT relay_acked_{kind} {acked:.0f} events/s {acked / (args.events / a['elapsed']):.2f}")
            if relay["cpu"] and a["cpu"]:   # the relay's CPU per event (storing and processing included), against A's
                results.append(f"RESULT relay_cpu_{kind} {relay['cpu'] / args.events * 1e3:.3f} ms/event "
                               f"{relay['cpu'] / a['cpu']:.2f}")
    print("\nlatency: relay and A, per request from send to full answer; B, per row the time of its commit.")
    print("\n".join(results))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
