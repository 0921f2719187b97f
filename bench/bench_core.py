"""How long the core's everyday commands take on a demo hall.

    .venv/bin/python bench/bench_core.py [--members 1200 5000]

Runs the real console script (start-up included, as a treasurer would feel it) on a fresh demo hall
for each size, and prints wall-clock seconds for: demo, arrears, audit verify, member show, backup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREASURER = Path(sys.executable).with_name("treasurer")


def timed(*args: str, home: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(TREASURER), "--data-dir", str(home), *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, nargs="+", default=[1200, 5000])
    args = parser.parse_args()
    print(f"{'members':>8} {'demo':>7} {'arrears':>8} {'verify':>7} {'show':>6} {'backup':>7}  audit entries")
    results = []
    for n in args.members:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            t_demo = timed("demo", "--members", str(n), home=home)
            t_arrears = timed("arrears", home=home)
            t_verify = timed("audit", "verify", home=home)
            t_show = timed("member", "show", "100001", home=home)
            t_backup = timed("backup", "--to", str(home / "copy.sqlite3"), home=home)
            out = subprocess.run([str(TREASURER), "--data-dir", str(home), "audit", "verify"],
                                 capture_output=True, text=True).stdout.split()
            print(f"{n:>8} {t_demo:>7.2f} {t_arrears:>8.2f} {t_verify:>7.2f} {t_show:>6.2f} {t_backup:>7.2f}  {out[3]}")
            # 'audit verify' is the whole check (chain, then every row against the log); its target is under
            # 5 s at 5,000 members.  The backup runs the same check on its copy.
            results += [(f"audit_verify_{n}_members", t_verify), (f"backup_{n}_members", t_backup),
                        (f"member_show_{n}_members", t_show), (f"arrears_{n}_members", t_arrears)]
    for name, seconds in results:
        print(f"RESULT {name} {seconds:.2f} s -")


if __name__ == "__main__":
    main()
