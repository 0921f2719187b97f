"""Slips on paper: page counts per layout, and the printed QR code decodes to the payment link."""

from __future__ import annotations

import subprocess

import pytest
import zxingcpp
from PySide6.QtGui import QImage

from helpers import standard_hall
from treasurer.dues import assess
from treasurer.hall import set_setting
from treasurer.slips import create_slips, list_slips
from ui.slip_pdf import render_slips_pdf, short_url


@pytest.fixture
def slipped(hall, gateway):
    standard_hall(hall, members=4)
    with hall.write() as tx:
        set_setting(tx, "hall_address", "1 Union Plaza\nSpringfield, IL 62701")
    assess(hall, "2026-10")
    create_slips(hall, gateway, "2026-10")
    return hall


def decode_pages(pdf, tmp_path, dpi: int = 150) -> list[list[str]]:
    """Each page rendered by poppler, then every QR code on it read by zxing-cpp."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=60)
    pages = []
    for png in sorted(tmp_path.glob("page-*.png")):
        image = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
        pages.append(sorted(code.text for code in zxingcpp.read_barcodes(image)))
    return pages


def test_one_slip_per_page_and_the_qr_reads_back_as_the_link(slipped, tmp_path):
    slips = list_slips(slipped, "open")
    out = tmp_path / "slips.pdf"
    assert render_slips_pdf(slipped, slips, out, layout="1up") == 4
    assert out.read_bytes().startswith(b"%PDF")
    pages = decode_pages(out, tmp_path)
    assert pages == [[s.url] for s in slips]


def test_three_up_puts_three_slips_on_a_page_with_every_code_readable(slipped, tmp_path):
    slips = list_slips(slipped, "open")
    out = tmp_path / "slips-3up.pdf"
    assert render_slips_pdf(slipped, [s.id for s in slips], out, layout="3up", paper="a4") == 2
    pages = decode_pages(out, tmp_path)
    assert pages == [sorted(s.url for s in slips[:3]), [slips[3].url]]


def test_the_qr_is_vector_not_an_image(slipped, tmp_path):
    out = tmp_path / "one.pdf"
    render_slips_pdf(slipped, list_slips(slipped, "open")[:1], out)
    assert b"/Subtype /Image" not in out.read_bytes() and b"/DCTDecode" not in out.read_bytes()


def test_short_urls_stay_short():
    assert short_url("https://buy.stripe.com/test_abc") == "buy.stripe.com/test_abc"
    long = "https://checkout.example.com/c/pay/" + "x" * 80
    assert len(short_url(long)) < 45 and short_url(long).startswith("checkout.example.com/…")
