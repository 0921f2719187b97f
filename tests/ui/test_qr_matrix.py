"""The slips' QR codes are built faster than segno builds them (issue 12: 1,000 slips to PDF in under 5 s), and
are the very same symbols: the same mask chosen, every module alike, whatever the length of the text."""

from __future__ import annotations

import random
import string

import segno

from ui.qr import qr_matrix


def texts() -> list[str]:
    rng = random.Random(11)
    links = ["http://127.0.0.1:45123/pay/plink_" + "".join(rng.choices(string.ascii_letters + string.digits, k=24))
             for _ in range(60)]
    stripe = ["https://buy.stripe.com/test_" + "".join(rng.choices(string.ascii_letters + string.digits, k=n))
              for n in (14, 20, 24, 40)]
    other = ["".join(rng.choices(string.printable, k=rng.randint(1, 900))) for _ in range(60)]
    numbers = [str(rng.randint(0, 10 ** rng.randint(1, 60))) for _ in range(20)]
    return links + stripe + other + numbers + ["HELLO WORLD", "Dues for Ana Müller — €45", "a"]


def test_the_matrix_is_segnos_module_for_module():
    versions = set()
    for text in texts():
        code = segno.make(text, error="m", micro=False)
        versions.add(code.version)
        assert [bytes(row) for row in qr_matrix(text)] == [bytes(row) for row in code.matrix], text
    assert len(versions) >= 15        # small and large symbols, with and without version information
