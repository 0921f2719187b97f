"""A batch of slips has its QR codes made by a worker process while the pages are painted (issue 12: 1,000
slips to PDF in under 5 s).  The worker's codes are the very ones made in the painting process, a text out
of turn is still drawn right, every page of a big batch reads back as its own slip's link, and the worker
never outlives the painting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import segno
import zxingcpp
from PySide6.QtGui import QImage

from helpers import standard_hall
from treasurer.dues import assess
from treasurer.slips import create_slips, list_slips
from ui.qr import QRBatch, module_rects
from ui.slip_pdf import render_slips_pdf

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker is forked on Linux")


def links(n: int) -> list[str]:
    return [f"http://127.0.0.1:45123/pay/plink_{i:06d}WorkerMadeCode" for i in range(n)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_worker_makes_the_same_codes_as_this_process_and_leaves():
    texts = links(QRBatch.MIN_FOR_WORKER + 20) + ["x" * 900, "HELLO WORLD", "Dues for Ana Müller — €45"]
    with QRBatch(texts) as batch:
        pid = batch.worker_pid
        assert pid is not None and pid != os.getpid()
        made = [batch.rects(text) for text in texts]
    assert made == [module_rects(text) for text in texts]      # QRectF compares by value
    assert gone(pid)


def test_a_text_out_of_turn_is_made_here_and_the_rest_still_right():
    texts = links(QRBatch.MIN_FOR_WORKER + 10)
    with QRBatch(texts) as batch:
        pid = batch.worker_pid
        first = batch.rects(texts[0])
        other = batch.rects("https://buy.stripe.com/test_somewhere_else")
        assert batch.worker_pid is None and gone(pid)          # its order no longer holds: stopped
        rest = [batch.rects(text) for text in texts[1:]]
    assert [first, *rest] == [module_rects(text) for text in texts]
    assert other == module_rects("https://buy.stripe.com/test_somewhere_else")


def test_stopping_part_way_ends_the_worker():
    texts = links(400)
    with QRBatch(texts) as batch:
        pid = batch.worker_pid
        batch.rects(texts[0])
    assert gone(pid)


def test_a_few_codes_are_made_here():
    with QRBatch(links(QRBatch.MIN_FOR_WORKER - 1)) as batch:
        assert batch.worker_pid is None


def test_every_page_of_a_big_batch_reads_back_as_its_own_link(hall, gateway, tmp_path):
    members = QRBatch.MIN_FOR_WORKER + 3
    standard_hall(hall, members=members)
    assess(hall, "2026-10")
    create_slips(hall, gateway, "2026-10")
    slips = list_slips(hall, "open")
    assert len(slips) == members
    out = tmp_path / "slips.pdf"
    assert render_slips_pdf(hall, slips, out, layout="1up") == members
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(out), str(tmp_path / "page")], check=True, timeout=120)
    pages = []
    for png in sorted(tmp_path.glob("page-*.png")):
        image = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
        pages.append([code.text for code in zxingcpp.read_barcodes(image)])
    assert pages == [[s.url] for s in slips]


def test_a_text_too_long_for_a_code_fails_here_as_it_always_did_and_the_worker_says_nothing(capfd):
    texts = links(QRBatch.MIN_FOR_WORKER) + ["x" * 5000] + links(3)
    with QRBatch(texts) as batch:
        pid = batch.worker_pid
        made = [batch.rects(text) for text in texts[:QRBatch.MIN_FOR_WORKER]]
        with pytest.raises(segno.DataOverflowError):
            batch.rects("x" * 5000)
        rest = [batch.rects(text) for text in texts[-3:]]
    assert made + rest == [module_rects(t) for t in texts[:QRBatch.MIN_FOR_WORKER] + texts[-3:]]
    assert gone(pid) and capfd.readouterr().err == ""
