"""How long the command line takes to answer (issue 12): start-up included, as a treasurer feels it.

    .venv/bin/python bench/bench_cli.py [--hall DIR] [--members 5000] [--runs 15]

Times, as separate processes of the real console script on a demo hall (made fresh unless --hall names one):
``treasurer --version``, ``treasurer member show N``, ``treasurer arrears``, and ``python -c pass`` as the
baseline (Python's own start-up on this machine, in the same run).  ``member show`` and ``arrears`` read a
SQLite hall without SQLAlchemy (treasurer.member_quick); the same two commands on the normal path (SQLAlchemy
and the models, as on PostgreSQL) are timed too (``*_normal_path``).  The commands take turns, so a busy
moment of the machine falls on all of them alike; each figure is the median wall-clock time, with the median
CPU time beside it in the table and in a RESULT line of its own (``*_cpu``, against Python's start-up CPU).
The target: --version and member show under 0.3 s.

The commands only read, but a hall at an older schema revision is migrated by the normal path: point --hall
at a copy you may change.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREASURER = Path(sys.executable).with_name("treasurer")


# The normal path of the same command: the quick path switched off (as tests/test_member_quick.py does).
NORMAL_PATH = """
import sys
import treasurer.cli.arrears
import treasurer.cli.member
treasurer.cli.member.QUICK = treasurer.cli.arrears.QUICK = False
from treasurer.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_hall(members: int, home: Path) -> None:
    print(f"making a {members}-member demo hall in {home} ...", flush=True)
    run([str(TREASURER), "demo", "--data-dir", str(home), "--members", str(members)])


def first_member(home: Path) -> str:
    done = subprocess.run([str(TREASURER), "--data-dir", str(home), "members", "export"], capture_output=True,
                          text=True, check=True)
    return done.stdout.splitlines()[1].split(",")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hall", type=Path, help="an existing hall's data folder (default: a fresh demo hall)")
    parser.add_argument("--members", type=int, default=5000, help="members in the fresh demo hall (default 5000)")
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = args.hall or Path(tmp) / "hall"
        if args.hall is None:
            make_hall(args.members, home)
        number = first_member(home)
        tr = [str(TREASURER), "--data-dir", str(home)]
        commands = {
            "python_startup": [sys.executable, "-c", "pass"],
            "cli_version": [str(TREASURER), "--version"],
            "cli_member_show": [*tr, "member", "show", number],
            "cli_arrears": [*tr, "arrears"],
            "cli_member_show_normal_path": [sys.executable, "-c", NORMAL_PATH, "--data-dir", str(home), "member",
                                            "show", number],
            "cli_arrears_normal_path": [sys.executable, "-c", NORMAL_PATH, "--data-dir", str(home), "arrears"],
        }
        # An installed program has its .pyc files: let the warm-up write them (as bench_ui.py does).
        for name in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE"):
            os.environ.pop(name, None)
        for argv in commands.values():          # warm the file cache and the .pyc files
            run(argv)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                wall, cpu = run(argv)
                walls[name].append(wall)
                cpus[name].append(cpu)
    base_wall = statistics.median(walls["python_startup"])
    base_cpu = statistics.median(cpus["python_startup"])
    print(f"{'command':28} {'wall ms':>8} {'x python':>9} {'cpu ms':>7} {'x python':>9}   ({args.runs} runs, "
          f"medians; wall min-max)")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:28} {wall * 1000:>8.0f} {wall / base_wall:>9.1f} {cpu * 1000:>7.0f} {cpu / base_cpu:>9.1f}"
              f"   {min(walls[name]) * 1000:.0f}-{max(walls[name]) * 1000:.0f}")
    for name in commands:
        wall = statistics.median(walls[name])
        ratio = "-" if name == "python_startup" else f"{wall / base_wall:.2f}"
        print(f"RESULT {name} {wall * 1000:.0f} ms {ratio}")
    for name in commands:
        cpu = statistics.median(cpus[name])
        ratio = "-" if name == "python_startup" else f"{cpu / base_cpu:.2f}"
        print(f"RESULT {name}_cpu {cpu * 1000:.0f} ms {ratio}")


if __name__ == "__main__":
    main()
