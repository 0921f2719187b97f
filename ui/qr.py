"""QR codes as vector shapes: segno's module matrix, horizontal runs merged into one rectangle each.

segno picks the data mask by trying all eight and scoring each in pure Python, which is 80% of its time
(some 8-20 ms a code: 1,000 slips spent most of their PDF's time there).  ``qr_matrix`` builds the same
symbol with segno's own encoding steps and scores the eight masks on whole rows at once (rows as integers
and bytes: XOR for the masks, a regular expression for runs, ``bytes.find`` for the finder-like pattern),
with segno's exact rules, so the chosen mask and every module are the same as ``segno.make`` gives; a test
holds the two equal.  Should segno's internals ever move, it falls back to ``segno.make``.

Even so a code costs some 1.2 ms, a third of a 1-up page's painting; for a batch of slips ``QRBatch`` makes
them in a worker process, in order, while this one paints (one function, ``dark_runs``, makes every code
wherever it runs, so the pages are the same byte for byte), and the rectangles are shared between codes.
"""

from __future__ import annotations

import array
import collections
import functools
import gc
import itertools
import operator
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import Self

import segno
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPaintEngine, QPainter, QPainterPath

QUIET_ZONE = 4   # modules of white border the standard asks for

# A module's byte is 0 or 1, or 2 or 3 where segno leaves the remainder bits it never fills.
_ZERO_OR_ONE = bytes([0] + [1] * 255)
_SAME_RUNS = re.compile(rb"\x00{4,}")             # five or more modules alike in a line (penalty N1)
_DARK_RUN = re.compile(rb"[^\x00]+")              # dark modules side by side (one rectangle each)
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"    # 1:1:3:1:1 (penalty N3)
_LIGHT = b"\x00\x00\x00\x00"                         # four light modules beside it


def qr_matrix(text: str) -> tuple[bytes | bytearray, ...]:
    """The symbol's rows (a non-zero byte is a dark module), error level M, as ``segno.make`` makes them."""
    try:
        return _fast_matrix(text)
    except (AttributeError, ImportError, TypeError):       # segno's internals moved: its own, slower way
        return tuple(segno.make(text, error="m", micro=False).matrix)


def _fast_matrix(text: str) -> tuple[bytearray, ...]:
    # segno.encoder.encode and _encode, step by step, for error "m", no micro, automatic version and mask.
    from segno import consts
    from segno import encoder as enc

    segments = _segments(text)
    error = consts.ERROR_LEVEL_M
    version = enc.find_version(segments, error, eci=False, micro=False)
    error = enc.boost_error_level(version, error, segments, False, is_sa=False)
    buff = enc.Buffer()
    ver_range = enc.version_range(version)
    for segment in segments:
        enc.write_segment(buff, segment, None, ver_range, False)
    capacity = consts.SYMBOL_CAPACITY[version][error]
    enc.write_terminator(buff, capacity, None, len(buff))
    enc.write_padding_bits(buff, version, len(buff))
    enc.write_pad_codewords(buff, version, capacity, len(buff))
    bits = _final_message(version, error, buff)
    width = enc.calc_matrix_size(version)
    base, place = _placement(width, len(bits))
    placed = place(bits + base)
    matrix = tuple(bytearray(placed[i:i + width]) for i in range(0, width * width, width))
    mask, matrix = _best_mask(matrix, width)
    enc.add_format_info(matrix, version, error, mask)
    enc.add_version_info(matrix, version)
    return matrix


def _segments(text: str):
    """segno's prepare_data for one text: in byte mode (links are), the bits straight from a table."""
    from segno import consts
    from segno import encoder as enc

    data, length, encoding = enc.data_to_bytes(text, None)
    if enc.find_mode(data) != consts.MODE_BYTE:
        return enc.prepare_data(text, None, None)
    segments = enc.Segments()
    bits = bytearray(b"".join(map(_BITS.__getitem__, data)))
    segments.add_segment(enc._Segment(bits, length, consts.MODE_BYTE, encoding))
    return segments


_BITS = tuple(bytes((value >> i) & 1 for i in range(7, -1, -1)) for value in range(256))


def _final_message(version: int, error: int, buff) -> bytes:
    """segno's make_final_message for a QR code (not micro) as bytes of 0 and 1: the data codewords and then
    the error correction codewords, block by block interleaved, and the remainder bits."""
    from segno import consts
    from segno import encoder as enc

    data_blocks, error_blocks = enc.make_blocks(consts.ECC[version][error], buff)
    words = bytes(x for x in itertools.chain.from_iterable(itertools.zip_longest(*data_blocks)) if x is not None)
    words += bytes(x for x in itertools.chain.from_iterable(itertools.zip_longest(*error_blocks)) if x is not None)
    remainder = (7 if 2 <= version <= 6 else 3 if 14 <= version <= 20 or 28 <= version <= 34
                 else 4 if 21 <= version <= 27 else 0)
    return b"".join(map(_BITS.__getitem__, words)) + b"\0" * remainder


@functools.cache
def _function_patterns(width: int) -> tuple[bytearray, ...]:
    """The matrix before the data goes in, as segno starts it: finder, timing and alignment patterns, the
    format and version areas reserved, every other module 0x2."""
    from segno import encoder as enc

    matrix = enc.make_matrix(width, width)
    enc.add_finder_patterns(matrix, width, width)
    enc.add_alignment_patterns(matrix, width, width)
    return matrix


@functools.cache
def _placement(width: int, n_bits: int) -> tuple[bytes, operator.itemgetter]:
    """segno's add_codewords as one lookup: the function patterns' modules as bytes, and a getter that,
    given the message's bits followed by those bytes, answers the whole matrix row after row."""
    matrix = [bytearray(row) for row in _function_patterns(width)]
    order: list[int] = []
    for right in range(width - 1, 0, -2):          # two-module columns, right to left, up and down in turn
        if right <= 6:
            right -= 1                             # the vertical timing pattern is skipped
        for vertical in range(width):
            for z in range(2):
                j = right - z
                upwards = ((right & 2) == 0) ^ (j < 6)
                i = (width - 1 - vertical) if upwards else vertical
                if matrix[i][j] == 0x2 and len(order) < n_bits:
                    matrix[i][j] = 0x0
                    order.append(i * width + j)
    if len(order) != n_bits:
        raise TypeError(f"placed {len(order)} of {n_bits} bits")     # segno's layout moved: its own way
    index = list(range(n_bits, n_bits + width * width))
    for k, position in enumerate(order):
        index[position] = k
    return b"".join(bytes(row) for row in _function_patterns(width)), operator.itemgetter(*index)


@functools.cache
def _mask_layers(width: int) -> tuple[int, ...]:
    """Each of the eight data masks as one integer, a byte a module row after row: 1 where it flips one."""
    from segno import encoder as enc

    function = [bytearray(row) for row in _function_patterns(width)]
    function[-8][8] = 0x1
    return tuple(int.from_bytes(bytes(int(bool(pattern(i, j))) if function[i][j] > 0x1 else 0
                                      for i in range(width) for j in range(width)), "big")
                 for pattern in enc.get_data_mask_functions(False))


def _best_mask(matrix, width: int) -> tuple[int, tuple[bytearray, ...]]:
    """segno's find_and_apply_best_mask: the first of the lowest penalty, applied."""
    whole = int.from_bytes(b"".join(matrix), "big")
    best: tuple[int, int, bytes] | None = None
    for number, layer in enumerate(_mask_layers(width)):
        masked = (whole ^ layer).to_bytes(width * width, "big")
        score = _penalty(masked, width)
        if best is None or score < best[0]:
            best = (score, number, masked)
    assert best is not None
    _, number, masked = best
    return number, tuple(bytearray(masked[i:i + width]) for i in range(0, width * width, width))


def _finder_like(text: bytes) -> int:
    """segno's n3_pattern_occurrences, as it counts them, over every line at once: the lines joined by four
    light modules, which stand for the line's ends (segno counts a pattern at either end, and looks for
    light modules only within the line), so four modules before and after a pattern are always there."""
    count = 0
    idx = text.find(_FINDER_LIKE)
    while idx != -1:
        if text[idx - 4:idx] == _LIGHT or text[idx + 7:idx + 11] == _LIGHT:
            count += 40
            idx = text.find(_FINDER_LIKE, idx + 7)
        else:
            idx = text.find(_FINDER_LIKE, idx + 4)
    return count


def _penalty(modules: bytes, size: int) -> int:
    """segno's evaluate_mask (N1 + N2 + N3 + N4) of a matrix given as its modules row after row, a byte each."""
    area = size * size
    lines = [modules[i:i + size] for i in range(0, area, size)] + [modules[j::size] for j in range(size)]
    # N1 from where each module differs from the one before it (lines apart by a byte no module has): a
    # run of k alike modules is k - 1 "same as before" in a row, and scores k - 2 from five on.
    joined = int.from_bytes(b"\xff" + b"\xff".join(lines), "big")
    same = ((joined ^ (joined >> 8)).to_bytes(len(lines) * (size + 1), "big")).translate(_ZERO_OR_ONE)
    runs = _SAME_RUNS.findall(same)
    n1 = sum(map(len, runs)) - len(runs)
    # N2: byte (i, j) is zero where that module, its left neighbour and the two above are all alike; the
    # first row and column have no such block.
    whole = int.from_bytes(modules, "big")
    across = whole ^ (whole >> 8)
    differ = (across | (across >> 8 * size) | (whole ^ (whole >> 8 * size))).to_bytes(area, "big")
    blocks = differ[size:].count(0) - differ[size::size].count(0)
    n3 = _finder_like(_LIGHT + _LIGHT.join(lines) + _LIGHT)
    n4 = 10 * int(abs(float(sum(modules)) / area * 100 - 50) / 5)
    return n1 + 3 * blocks + n3 + n4


def dark_runs(text: str) -> tuple[int, bytes]:
    """The symbol's width in modules, and its dark modules as a row's runs: one machine integer each
    (``x | y << 8 | length << 16``, in an ``array("I")``'s bytes), plain data a worker process can hand over."""
    matrix = qr_matrix(text)
    keys = array.array("I", [run.start() | y << 8 | (run.end() - run.start()) << 16
                             for y, row in enumerate(matrix) for run in _DARK_RUN.finditer(row)])
    return len(matrix), keys.tobytes()


class _Rects(dict):
    """One QRectF per run, made the first time that run is met: codes share most of them (a run is its place
    and length, and symbols of one size have the same finder patterns): 1,000 slips' codes fill 282,800 runs
    with 1,708 rectangles.  drawRects copies them; nobody changes them."""

    def __missing__(self, key: int) -> QRectF:
        rect = self[key] = QRectF(key & 0xFF, (key >> 8) & 0xFF, key >> 16, 1)
        return rect


_RECTS = _Rects()


def rects_of(code: tuple[int, bytes]) -> tuple[list[QRectF], int]:
    """``dark_runs``'s answer as the rectangles to fill, in module units, and the width in modules."""
    size, keys = code
    return list(map(_RECTS.__getitem__, array.array("I", keys))), size


@functools.lru_cache(maxsize=256)
def module_rects(text: str) -> tuple[list[QRectF], int]:
    """The dark modules as rectangles in module units (a row's dark neighbours make one), and the symbol's
    width in modules, without border.  (Merging them down the rows too saves 2% of the PDF and costs time.)"""
    return rects_of(dark_runs(text))


@functools.lru_cache(maxsize=256)
def module_path(text: str) -> QPainterPath:
    """The same rectangles as one path."""
    return _path(module_rects(text)[0])


def _path(rects: list[QRectF]) -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for r in rects:
        path.addRect(r)
    return path


def draw_qr(painter: QPainter, text: str, rect: QRectF, codes: QRBatch | None = None) -> None:
    """Fill ``rect`` (a square, quiet zone included) with the code: white ground, black modules.

    Into a PDF the modules go as one list of rectangles, which Qt writes as rectangles of one fill (nonzero
    winding, so they join without seams): the same page as one path of them gives, for a quarter of the
    bytes and time.  Elsewhere (the screen's preview, a printer's own engine) they go as that one path.
    ``codes``, when given, has the code made already (``QRBatch``).
    """
    engine = painter.paintEngine()
    to_pdf = engine is not None and engine.type() == QPaintEngine.Type.Pdf
    rects, size = codes.rects(text) if codes is not None else module_rects(text)
    total = size + 2 * QUIET_ZONE
    scale = min(rect.width(), rect.height()) / total
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.fillRect(rect, Qt.GlobalColor.white)
    painter.translate(rect.left() + QUIET_ZONE * scale, rect.top() + QUIET_ZONE * scale)
    painter.scale(scale, scale)
    painter.setPen(Qt.PenStyle.NoPen)
    if to_pdf:
        painter.setBrush(Qt.GlobalColor.black)
        painter.drawRects(rects)
    else:
        painter.fillPath(module_path(text) if codes is None else _path(rects), Qt.GlobalColor.black)
    painter.restore()


class QRBatch:
    """The codes of many texts, made in order by a worker process while this one paints (issue 12: on two
    cores the codes cost the painting nothing).  ``rects(text)`` answers the next text's rectangles; a text out
    of turn, or any trouble with the worker, and the code is made here instead, the same way: one function
    (``dark_runs``) makes every code, so the page is the same whichever process made it.

    The worker is a fork of this process (Linux only, where forking is cheap and safe for pure Python work:
    it touches no Qt object, collects no garbage and leaves through ``os._exit``).  Elsewhere, and for small
    batches where starting it costs more than it saves, every code is made here.
    """

    MIN_FOR_WORKER = 24

    def __init__(self, texts: Sequence[str]):
        self._pending = collections.deque(texts)
        self._conn = None
        self._worker = None
        if len(texts) >= self.MIN_FOR_WORKER and _can_fork():
            try:
                self._start(list(texts))
            except OSError:
                self._stop()

    @property
    def worker_pid(self) -> int | None:
        return self._worker.pid if self._worker is not None else None

    def _start(self, texts: list[str]) -> None:
        import multiprocessing  # 25 ms of imports, for batches only

        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self._conn = receive
        self._worker = context.Process(target=_make_codes, args=(texts, send), name="qr-codes", daemon=True)
        self._worker.start()
        send.close()

    def rects(self, text: str) -> tuple[list[QRectF], int]:
        if self._conn is not None and self._pending and self._pending[0] == text:
            self._pending.popleft()
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError):
                self._stop()
            else:
                return rects_of((data[0], data[1:]))
        elif self._conn is not None:
            self._stop()                            # out of turn: the worker's order no longer holds
        return module_rects(text)

    def _stop(self) -> None:
        worker, conn, finished = self._worker, self._conn, not self._pending
        self._worker = self._conn = None
        self._pending.clear()
        if conn is not None:
            conn.close()
        if worker is not None:
            if finished:
                worker.join(timeout=2)              # it has sent everything and is on its way out
            if worker.is_alive():
                worker.kill()
            worker.join()
            worker.close()

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


def _make_codes(texts: list[str], conn) -> None:
    """The worker: each text's ``dark_runs`` in turn, sent as one message (the width's byte, then the runs)."""
    gc.disable()                                   # no Qt wrapper this fork inherited is ever collected here
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C stops the command; the parent ends this worker
        for text in texts:
            size, keys = dark_runs(text)
            conn.send_bytes(bytes((size,)) + keys)
    except Exception:  # noqa: BLE001
        return      # the parent stopped listening, or a text makes no code: the parent makes the rest itself
    finally:
        conn.close()
