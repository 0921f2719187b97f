"""Case 8 of issue 10: another local user cannot read the books.

The real ``treasurer`` command in a separate process, as a treasurer runs it: the data folder is 0700,
the database with its -wal and -shm 0600, the crash log and the exports 0600; a folder left open to others
gets a warning with the command that closes it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import TREASURER, run_treasurer
from treasurer.hall import init_hall, open_hall
from treasurer.private_files import open_to_others, private_open, protect_database, write_private

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

ROLL = ("Member No,Name,Email,Classification\n"
        "1001,\"Lee, Ann\",ann@example.org,Journeyman Wireman\n")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def ok(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    done = run_treasurer(*args, data_dir=data_dir, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done


def books(data_dir: Path) -> None:
    ok("init", "--hall-name", "IBEW Local 000", data_dir=data_dir)
    ok("classes", "add", "Journeyman Wireman", "--rate", "45.00", "--frequency", "monthly", "--from", "2025-01-01",
       data_dir=data_dir)
    roll = data_dir.parent / "roll.csv"
    roll.write_text(ROLL)
    ok("members", "import", str(roll), data_dir=data_dir)


@pytest.fixture
def hall_dir(tmp_path) -> Path:
    os.chmod(tmp_path, 0o755)       # what sits around the data folder does not make it private
    data_dir = tmp_path / "nested" / "hall"
    books(data_dir)
    return data_dir


def test_a_fresh_hall_is_its_owners_alone(hall_dir):
    assert mode(hall_dir) == 0o700
    db = hall_dir / "treasurer.sqlite3"
    assert mode(db) == 0o600
    done = run_treasurer("arrears", data_dir=hall_dir)
    assert done.returncode == 0 and "warning" not in done.stderr


def test_the_wal_and_shared_memory_files_are_born_private(hall_dir):
    """While a command has the books open (here: waiting for the CSV on its standard input)."""
    proc = subprocess.Popen([str(TREASURER), "--data-dir", str(hall_dir), "members", "import", "/dev/stdin"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        companions = [hall_dir / "treasurer.sqlite3-wal", hall_dir / "treasurer.sqlite3-shm"]
        deadline = time.monotonic() + 30
        while not all(p.exists() for p in companions) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [oct(mode(p)) for p in companions] == [oct(0o600)] * 2
    finally:
        out, err = proc.communicate(ROLL, timeout=60)
    assert proc.returncode == 0, err


def test_exports_are_private_even_over_an_existing_file(hall_dir, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir(mode=0o755)
    roll = exports / "roll.csv"
    roll.write_text("old\n")
    os.chmod(roll, 0o644)
    ok("members", "export", str(roll), data_dir=hall_dir)
    assert "1001,Ann,Lee" in roll.read_text() and mode(roll) == 0o600
    ok("dues", "assess", "2026-10", data_dir=hall_dir)
    report = exports / "period.csv"
    ok("report", "period", "2026-10", "--csv", str(report), data_dir=hall_dir)
    assert mode(report) == 0o600
    statement = exports / "statement.pdf"
    ok("report", "statement", "1001", "--from", "2026-01-01", "--to", "2026-12-31", "--pdf", str(statement),
       data_dir=hall_dir)
    assert statement.read_bytes().startswith(b"%PDF") and mode(statement) == 0o600


CRASH = """
import sys
import treasurer.cli.arrears as commands
from treasurer.cli import main

def boom(args):
    raise RuntimeError("an injected fault")

commands.cmd_arrears = boom
sys.exit(main(["--data-dir", sys.argv[1], "arrears"]))
"""


def test_the_crash_log_is_private(hall_dir):
    """An unexpected error in a separate process: its traceback (which can quote members) is 0600."""
    done = subprocess.run([sys.executable, "-c", CRASH, str(hall_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "RuntimeError: an injected fault" in done.stderr
    log = hall_dir / "logs" / "treasurer-errors.log"
    assert "an injected fault" in log.read_text()
    assert mode(log.parent) == 0o700 and mode(log) == 0o600


def test_an_existing_folder_open_to_others_gets_a_warning_with_the_command_that_fixes_it(tmp_path):
    data_dir = tmp_path / "shared hall"          # a space: the command quotes the folder
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)
    done = ok("init", "--hall-name", "IBEW Local 000", data_dir=data_dir)
    warning = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, done.stderr
    assert str(data_dir) in warning[0] and f"chmod -R go= '{data_dir}'" in warning[0]
    assert mode(data_dir) == 0o755          # a folder someone set up is not changed behind their back
    # The books in it are private all the same, and the command it names closes the folder.
    assert mode(data_dir / "treasurer.sqlite3") == 0o600
    command = warning[0].split("make it yours alone with: ", 1)[1]
    subprocess.run(command, shell=True, check=True)
    assert mode(data_dir) == 0o700
    done = ok("arrears", data_dir=data_dir)
    assert "warning" not in done.stderr


def test_open_to_others_names_what_others_can_read(tmp_path):
    folder = tmp_path / "hall"
    folder.mkdir()
    os.chmod(folder, 0o700)
    (folder / "treasurer.sqlite3").write_bytes(b"")
    os.chmod(folder / "treasurer.sqlite3", 0o644)
    assert open_to_others(folder) is None          # closed folder: nothing inside can be reached
    os.chmod(folder, 0o750)
    (folder / "backups").mkdir()
    os.chmod(folder / "backups", 0o700)
    warning = open_to_others(folder)
    assert warning is not None
    assert "(the folder itself, treasurer.sqlite3)" in warning and warning.endswith(f"chmod -R go= {folder}")
    assert open_to_others(tmp_path / "not there") is None


def test_private_writers_take_an_existing_file_down_to_0600(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("x")
    os.chmod(path, 0o644)
    write_private(path, "a,b\n")
    assert path.read_text() == "a,b\n" and mode(path) == 0o600
    os.chmod(path, 0o666)
    with private_open(path, "a", encoding="utf-8") as fh:
        fh.write("c,d\n")
    assert path.read_text() == "a,b\nc,d\n" and mode(path) == 0o600


def test_opening_an_existing_hall_closes_its_database_files(tmp_path):
    """Books made by an earlier version (0644) are 0600 once the app opens them."""
    hall = open_hall(str(tmp_path / "hall"), actor="tester")
    init_hall(hall, "IBEW Local 000")
    db = hall.db.sqlite_path
    hall.close()
    os.chmod(db, 0o644)
    hall = open_hall(str(tmp_path / "hall"), actor="tester")
    try:
        assert mode(db) == 0o600
        assert [mode(Path(f"{db}{end}")) for end in ("-wal", "-shm")] == [0o600, 0o600]
    finally:
        hall.close()
    protect_database(None)      # PostgreSQL: no file, nothing to do


def test_slips_pdf_is_private_even_over_an_existing_file(hall, gateway, tmp_path):
    """Slips carry members' names, amounts and payment links (the window and 'slips print' write them)."""
    from helpers import standard_hall
    from treasurer.dues import assess
    from treasurer.slips import create_slips, list_slips
    from ui.slip_pdf import render_slips_pdf

    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    create_slips(hall, gateway, "2026-10")
    out = tmp_path / "slips.pdf"
    out.write_bytes(b"old")
    os.chmod(out, 0o644)
    assert render_slips_pdf(hall, list_slips(hall, "open"), out) == 1
    assert out.read_bytes().startswith(b"%PDF") and mode(out) == 0o600
