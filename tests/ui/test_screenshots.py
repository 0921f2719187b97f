"""``python -m ui.screenshots``: every screen to PNG, leaving no scratch folder behind and no Qt noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(*args: str, tmp: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, TMPDIR=str(tmp), QT_QPA_PLATFORM="offscreen")
    for name in ("STRIPE_API_KEY", "TREASURER_STRIPE_API_BASE", "TREASURER_HOME", "TREASURER_DATABASE_URL"):
        env.pop(name, None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_screenshots_leave_no_scratch_folder_and_no_size_hint_warnings(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "shots"
    done = run_python("-m", "ui.screenshots", str(out), "--members", "30", tmp=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    written = [Path(line) for line in done.stdout.splitlines()]
    assert len(written) >= 15 and all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert [p.name for p in tmp.iterdir() if p.name.startswith("treasurer-shots-")] == []
    assert "propagateSizeHints" not in done.stderr
    assert "Traceback" not in done.stderr


def test_offscreen_drops_only_the_size_hints_warning(tmp_path):
    """A shown window whose minimum size changes makes the offscreen plugin warn; other messages still show."""
    script = (
        "from PySide6.QtCore import qWarning\n"
        "from PySide6.QtWidgets import QWidget\n"
        "from ui.app import application\n"
        "app = application()\n"
        "w = QWidget(); w.show(); app.processEvents()\n"
        "w.setMinimumSize(300, 300); app.processEvents()\n"
        "qWarning('a warning that matters')\n"
    )
    done = run_python("-c", script, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["a warning that matters"]
