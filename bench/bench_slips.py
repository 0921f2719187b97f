"""1,000 payment slips to PDF (issue 12's goal: 1-up, vector QR, under 5 s).

    .venv/bin/python bench/bench_slips.py [--slips 1000] [--repeat 3] [--hall DIR]

Builds a hall of ``--slips`` members with one period assessed, and a slip each with its payment link from
the offline sandbox (started through the ``treasurer`` command, as the window's sandbox mode does). Then
times, best of ``--repeat``:

- ``treasurer slips pdf`` as its own process, start-up included, as a treasurer runs it (1-up and 3-up);
- its baseline: a process of the same shape (the CLI's imports, the same slips read from the books, the same
  pages painted and written) with no QR code on the pages, nor the payment link's lines;
- ``render_slips_pdf`` in this process (the slips read from the books, painted, written), 1-up, and the same
  pages without the codes painted in this process: so the ratio shows what drawing the codes costs.

Each figure is wall-clock seconds, and the CPU seconds the work took: the command's and its QR worker's
together (on a shared machine the wall clock also counts the time others had the processor; the CPU seconds
do not).  In process, the painting process's CPU and the worker's are told apart.  Every run is printed; the
RESULT lines give the best (least wall clock; least CPU).  ``--hall DIR`` keeps the hall there and reuses it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
TREASURER = Path(sys.executable).with_name("treasurer")
SANDBOX_KEY = "sk_test_bench_slips_0000"


@contextlib.contextmanager
def sandbox() -> Iterator[str]:
    """The offline Stripe sandbox in its own process, as ``treasurer sandbox serve`` runs it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(TREASURER), "sandbox", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/v1/balance", timeout=0.5)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the offline sandbox did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def build_hall(data_dir: Path, slips: int, sandbox_url: str) -> None:
    from treasurer.dues import add_classification, assess
    from treasurer.gateway import Gateway
    from treasurer.hall import init_hall, open_hall
    from treasurer.members import MemberData, add_member
    from treasurer.slips import create_slips

    hall = open_hall(str(data_dir), actor="bench")
    init_hall(hall, "IBEW Local 000", "usd", "1 Union Plaza\nSpringfield, IL 62701")
    add_classification(hall, "Journeyman Wireman", 4500, "monthly", dt.date(2025, 1, 1), 1850)
    for i in range(slips):
        add_member(hall, MemberData(str(100001 + i), f"First{i}", f"Last{i}", "Journeyman Wireman",
                                    join_date=dt.date(2020, 1, 1)))
    assess(hall, "2026-10")
    outcomes, problems = create_slips(hall, Gateway(SANDBOX_KEY, sandbox_url, backoff_seconds=0.01), "2026-10")
    if len(outcomes) != slips:
        raise SystemExit(f"made {len(outcomes)} slips of {slips}: {problems[:3]}")
    hall.close()


def cli_pdf(data_dir: Path, out: Path, layout: str) -> tuple[float, float]:
    """Wall and CPU seconds of ``treasurer slips pdf`` run from this checkout (``python -m treasurer.cli``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "treasurer.cli", "--data-dir", str(data_dir), "slips", "pdf",
                           "--out", str(out), "--layout", layout], check=False, capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"slips pdf failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def baseline_process(data_dir: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of this file run as ``--no-qr-pdf``: the command's work without the codes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--no-qr-pdf", str(data_dir), str(out)],
                          check=False, capture_output=True, text=True, timeout=600, cwd=ROOT)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the baseline failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def no_qr_pdf(data_dir: Path, out: Path) -> None:
    """What ``treasurer slips pdf --layout 1up`` does (cmd_pdf, render_slips_pdf), every slip's link left off."""
    from treasurer.cli import build_parser

    argv = ["--data-dir", str(data_dir), "slips", "pdf", "--out", str(out), "--layout", "1up"]
    build_parser(argv).parse_args(argv)      # the command's start-up: what it imports

    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    from treasurer.hall import open_hall
    from treasurer.slips import list_slips
    from ui import slip_pdf

    hall = open_hall(str(data_dir), actor="bench")
    chosen = sorted(list_slips(hall, "open"), key=lambda s: (s.member.member_number, s.id))
    slip_pdf.ensure_gui()
    faces = [dataclasses.replace(f, url="") for f in slip_pdf.faces_for(hall, chosen)]
    writer = QPdfWriter(str(out))
    writer.setResolution(slip_pdf.PDF_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), QPageLayout.Orientation.Portrait,
                                     QMarginsF(0, 0, 0, 0)))
    slip_pdf.paint_slips(writer, faces, "1up", slip_pdf.PDF_DPI)
    del writer
    hall.close()


def timed(work) -> tuple[float, float, float]:
    """Wall seconds, this process's CPU seconds, and its workers' (the children it waited for)."""
    start, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    work()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.perf_counter() - start, time.process_time() - cpu,
            (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime))


def in_process(data_dir: Path, out: Path, repeat: int) -> tuple[list, list]:
    """(wall, CPU, workers' CPU) seconds of each run of ``render_slips_pdf`` 1-up, and of the same pages
    without QR codes."""
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter

    from treasurer.hall import open_hall
    from treasurer.slips import list_slips
    from ui import slip_pdf

    hall = open_hall(str(data_dir), actor="bench")
    ids = [s.id for s in list_slips(hall, "open")]
    slip_pdf.ensure_gui()
    slip_pdf.render_slips_pdf(hall, ids[:3], out)          # Qt's fonts and the PDF engine warmed once
    full = [timed(lambda: slip_pdf.render_slips_pdf(hall, ids, out, layout="1up")) for _ in range(repeat)]
    no_qr = [dataclasses.replace(f, url="") for f in slip_pdf.faces_for(hall, ids)]
    hall.close()

    def baseline() -> None:
        writer = QPdfWriter(str(out.with_name("baseline.pdf")))
        writer.setResolution(slip_pdf.PDF_DPI)
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), QPageLayout.Orientation.Portrait,
                                         QMarginsF(0, 0, 0, 0)))
        slip_pdf.paint_slips(writer, no_qr, "1up", slip_pdf.PDF_DPI)

    bare = [timed(baseline) for _ in range(repeat)]
    return full, bare


def runs(figures: list[tuple[float, ...]]) -> str:
    return ", ".join(" / ".join(f"{x:.2f}" for x in run) for run in figures)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--no-qr-pdf":
        no_qr_pdf(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--slips", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hall", type=Path, help="build the hall here once and reuse it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-slips-") as tmp:
        work = Path(tmp)
        data_dir = args.hall or work / "hall"
        if not (data_dir / "built").exists():
            t = time.perf_counter()
            with sandbox() as url:
                build_hall(data_dir, args.slips, url)
            (data_dir / "built").write_text(str(args.slips))
            print(f"hall with {args.slips} slips built in {time.perf_counter() - t:.1f} s")
        n = int((data_dir / "built").read_text())

        one_up, base = [], []
        for _ in range(args.repeat):          # in turns, so both see the machine alike
            one_up.append(cli_pdf(data_dir, work / "slips-1up.pdf", "1up"))
            base.append(baseline_process(data_dir, work / "no-qr.pdf"))
        size = (work / "slips-1up.pdf").stat().st_size
        print(f"treasurer slips pdf --layout 1up, {n} pages, {size / 1e6:.1f} MB; wall / CPU s: {runs(one_up)}")
        print(f"  the same process without QR codes (baseline); wall / CPU s: {runs(base)}")
        three_up = [cli_pdf(data_dir, work / "slips-3up.pdf", "3up") for _ in range(args.repeat)]
        print(f"treasurer slips pdf --layout 3up; wall / CPU s: {runs(three_up)}")
        render, bare = in_process(data_dir, work / "inproc.pdf", args.repeat)
        print(f"render_slips_pdf 1-up in process; wall / CPU / the QR worker's CPU s: {runs(render)}")
        print(f"  the same pages without QR codes; wall / CPU s: {runs([b[:2] for b in bare])}")

    def best(figures: list[tuple[float, ...]], i: int) -> float:
        return min(f[i] for f in figures)

    print(f"RESULT slips_pdf_1up_{n}_cli {best(one_up, 0):.2f} s {best(one_up, 0) / best(base, 0):.2f}")
    print(f"RESULT slips_pdf_1up_{n}_cli_cpu {best(one_up, 1):.2f} s {best(one_up, 1) / best(base, 1):.2f}")
    print(f"RESULT slips_pdf_3up_{n}_cli {best(three_up, 0):.2f} s -")
    print(f"RESULT slips_pdf_1up_{n}_render {best(render, 0):.2f} s {best(render, 0) / best(bare, 0):.2f}")
    print(f"RESULT slips_pdf_1up_{n}_render_cpu {best(render, 1):.2f} s {best(render, 1) / best(bare, 1):.2f}")


if __name__ == "__main__":
    main()
