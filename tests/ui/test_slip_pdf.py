"""Slips on paper: page counts per layout, the printed QR code decodes to the payment link, and the 1-up page
has the full link in words, readable type and a stub to return with a check."""

from __future__ import annotations

import re
import subprocess
import unicodedata

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


def page_words(pdf, page: int) -> list[tuple[str, float, float, float]]:
    """(word, x, y, font size in points) for every word poppler finds on a page (1-based)."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    # DejaVu's box is 1.164 em tall (ascent + descent), so the box's height gives the size it was set in.
    return [(unicodedata.normalize("NFKC", w.replace("&amp;", "&")), float(x), float(y0), (float(y1) - float(y0)) / 1.164)
            for x, y0, y1, w in found]


def test_the_one_up_page_prints_the_full_link_and_a_stub_to_return_below_a_cut_line(slipped, tmp_path):
    slips = list_slips(slipped, "open")
    out = tmp_path / "slips.pdf"
    render_slips_pdf(slipped, slips, out, layout="1up")
    for number, slip in enumerate(slips, start=1):
        words = page_words(out, number)
        text = " ".join(w for w, *_ in words)
        # The whole payment address, character for character (wrapped lines joined), not a shortened one.
        assert slip.url in "".join(text.split()) and len(slip.url) > 44
        assert short_url(slip.url) != slip.url and "…" not in text
        # The stub: below the dashed cut line, saying who, what for, how much, and where to send it.
        cut_y = next(y for w, x, y, size in words if w == "cut")
        stub = " ".join(w for w, x, y, size in words if y > cut_y)
        member = slip.member
        for expected in ("Return this part with your payment", f"{member.first_name} {member.last_name}",
                         f"Member no. {member.member_number}", "Covers Dues 2026-10", "Amount due $45.00",
                         "IBEW Local 000", "1 Union Plaza Springfield, IL 62701", f"Slip no. {slip.id}"):
            assert expected in stub, f"{expected!r} not on the stub of page {number}: {stub}"
        assert "Other ways to pay" in text and "made out to IBEW Local 000" in text
        # Readable type: nothing under 9 pt on the page, and the ways to pay in body type of 10 pt or more.
        assert min(size for *_, size in words) >= 8.9
        body = [size for w, x, y, size in words if w in ("check", "money", "order", "memo", "receipt.")]
        assert body and min(body) >= 10.0


def test_the_stub_says_where_to_bring_it_when_the_hall_has_no_address(hall, gateway, tmp_path):
    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    create_slips(hall, gateway, "2026-10")
    out = tmp_path / "one.pdf"
    render_slips_pdf(hall, list_slips(hall, "open"), out)
    text = " ".join(w for w, *_ in page_words(out, 1))
    assert "Mail or bring to IBEW Local 000 the hall office" in text
    assert "bring it with the part below to the hall office" in text


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_three_up_prints_each_full_link_in_readable_type(slipped, tmp_path, paper):
    slips = list_slips(slipped, "open")
    out = tmp_path / "slips-3up.pdf"
    assert render_slips_pdf(slipped, slips, out, layout="3up", paper=paper) == 2
    for page, on_page in ((1, slips[:3]), (2, slips[3:])):
        words = page_words(out, page)
        text = " ".join(w for w, *_ in words)
        joined = "".join(text.split())
        for slip in on_page:
            # The whole payment address, character for character (wrapped lines joined), not a shortened one.
            assert slip.url in joined and len(slip.url) > 44, (slip.url, text)
            assert f"Member no. {slip.member.member_number}" in text
        assert "…" not in text and text.count("Other ways to pay") == len(on_page)
        # Readable type: nothing on the page under 9 pt ("cut here" included).
        assert min(size for *_, size in words) >= 8.9, sorted(words, key=lambda w: w[3])[:5]
    assert decode_pages(out, tmp_path) == [sorted(s.url for s in slips[:3]), [slips[3].url]]
