"""``treasurer slips pdf`` as a treasurer runs it: its own process, a hall's worth of slips, a clean exit.

The CLI tests run commands in-process, where an abort while the interpreter finalizes is never seen.  With
PySide6 6.12 on Python 3.11 the command wrote the PDF and then died with exit 134 ("Fatal Python error:
none_dealloc: deallocating None"): every call of a Qt method that returns nothing took one reference from
None (upstream PYSIDE-3474; see tests/test_qt_binding.py), and painting 200 slips makes some 20,000 of them.
"""

from __future__ import annotations

import re
import subprocess

import zxingcpp
from PySide6.QtGui import QImage

from helpers import run_treasurer, standard_hall
from treasurer.dues import assess
from treasurer.slips import create_slips

SLIPS = 210


def pdf_pages(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


def test_slips_pdf_for_a_whole_hall_exits_cleanly_in_its_own_process(hall, gateway, tmp_path):
    standard_hall(hall, members=SLIPS)
    assess(hall, "2026-10")
    outcomes, _ = create_slips(hall, gateway, "2026-10")
    assert len(outcomes) == SLIPS
    urls = sorted(o.url for o in outcomes)
    data_dir = tmp_path / "hall"      # the hall fixture's folder
    hall.close()

    for layout, pages in (("1up", SLIPS), ("3up", SLIPS // 3)):
        out = tmp_path / f"slips-{layout}.pdf"
        done = run_treasurer("slips", "pdf", "--out", str(out), "--layout", layout, data_dir=data_dir,
                             env={"PYTHONFAULTHANDLER": "1"})
        assert done.returncode == 0, f"exit {done.returncode}; stderr:\n{done.stderr[-3000:]}"
        assert done.stderr == ""
        assert done.stdout.strip() == f"Wrote {SLIPS} slips on {pages} pages to {out}."
        assert pdf_pages(out) == pages
        # Every slip's whole payment address is printed (wrapped lines joined), on either layout.
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True,
                              timeout=120).stdout
        joined = "".join(text.split())
        assert [u for u in urls if u not in joined] == [] and "…" not in text
    # The 3-up page's codes read back as its three links.
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "first")],
                   check=True, timeout=60)
    image = QImage(str(next(tmp_path.glob("first*.png")))).convertToFormat(QImage.Format.Format_Grayscale8)
    decoded = sorted(code.text for code in zxingcpp.read_barcodes(image))
    assert len(decoded) == 3 and set(decoded) <= set(urls)
