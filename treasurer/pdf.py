"""A minimal PDF writer for monospaced text pages (Courier), so the core needs no Qt to print a packet."""

from __future__ import annotations

from pathlib import Path

from .private_files import write_private

PAGE_W, PAGE_H = 612, 792        # US letter, in points
MARGIN, FONT_SIZE, LEADING = 40, 8, 10
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING
CHARS_PER_LINE = 130


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def paginate(lines: list[str]) -> list[list[str]]:
    """Long lines are wrapped; a line that is exactly "\\f" starts a new page."""
    pages: list[list[str]] = [[]]
    for raw in lines:
        if raw == "\f":
            if pages[-1]:
                pages.append([])
            continue
        chunks = [raw[i:i + CHARS_PER_LINE] for i in range(0, len(raw), CHARS_PER_LINE)] or [""]
        for chunk in chunks:
            if len(pages[-1]) == LINES_PER_PAGE:
                pages.append([])
            pages[-1].append(chunk)
    return pages


def qr_drawing(data: str, x: float, y: float, size: float) -> str:
    """A QR code for ``data`` as filled squares, bottom-left corner at (x, y): vector, so it scans at any zoom."""
    import segno

    matrix = [list(row) for row in segno.make(data, error="m").matrix_iter(border=4)]
    cell = size / len(matrix)
    ops = ["0 g"]
    for r, row in enumerate(matrix):
        top = y + size - (r + 1) * cell
        for c, dark in enumerate(row):
            if dark:
                ops.append(f"{x + c * cell:.2f} {top:.2f} {cell:.2f} {cell:.2f} re")
    ops.append("f")
    return "\n".join(ops)


def write_text_pdf(path: Path, lines: list[str], title: str = "",
                   codes: list[tuple[str, str]] = ()) -> int:
    """Write the lines as pages of text (the file 0600); returns the number of pages.

    ``codes`` are (caption, data) pairs printed after the text, as QR codes with their caption and data
    beside them, four to a page.
    """
    pages = paginate(lines)
    drawings: list[str] = []
    for start in range(0, len(codes), 4):
        page, art = [], []
        for n, (caption, data) in enumerate(codes[start:start + 4]):
            top = PAGE_H - MARGIN - n * 170
            art.append(qr_drawing(data, MARGIN, top - 150, 150))
            page += [caption, *[data[i:i + 60] for i in range(0, len(data), 60)]]
            page += [""] * (17 - len(page) % 17 if len(page) % 17 else 0)
        pages.append([f"{' ' * 34}{line}" for line in page])
        drawings.append("\n".join(art))
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, 4 info; then a page and its content stream per page.
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>")
    objects.append(f"<< /Title ({_escape(title)}) /Producer (Hall Treasurer) >>".encode("latin-1"))
    for number, page in enumerate(pages, start=1):
        text = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {PAGE_H - MARGIN} Td"]
        for line in page:
            text.append(f"({_escape(line)}) Tj T*")
        footer = f"{title}  page {number} of {len(pages)}"
        text.append(f"ET BT /F1 {FONT_SIZE} Tf {MARGIN} {MARGIN // 2} Td ({_escape(footer)}) Tj ET")
        first_code_page = len(pages) - len(drawings)
        if number > first_code_page:
            text.append(drawings[number - first_code_page - 1])
        stream = "\n".join(text).encode("latin-1")
        content_id = 5 + 2 * (number - 1) + 1
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    write_private(path, bytes(out))       # statements and packets name members and amounts: 0600
    return len(pages)
