"""Data Matrix ECC 200 for many digit strings at once: the mail merge's per-sheet codes.

A mail production draws one Data Matrix on every sheet (piece id, sheet n of m), tens of
thousands per run, all digits and mostly of one length. Encoding them one by one costs
more than the rest of the merge; here a whole batch of one length is encoded in numpy
steps over the batch: digit pairs to ASCII-mode codewords, pad codewords, Reed-Solomon
over GF(256) for the batch at once, and one fixed module placement per symbol size
(ISO/IEC 16022, annex F) applied by fancy indexing. The square symbol sizes up to 48x48
(one Reed-Solomon block, up to 348 digits) are covered; the matrices are the ones
:func:`~ccmcore.barcodes.encode_datamatrix` makes, module for module.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..units import to_mpt
from .datamatrix import DATAMATRIX_QUIET_ZONE
from .geometry import BarcodeError, matrix_rects

__all__ = ["datamatrix_digit_matrices", "datamatrix_digit_bars", "MAX_DIGITS"]

_NAME = "Data Matrix"

#: square ECC 200 sizes with one Reed-Solomon block:
#: (symbol size, data region size, regions per side, data codewords, ECC codewords)
_SQUARE = (
    (10, 8, 1, 3, 5),
    (12, 10, 1, 5, 7),
    (14, 12, 1, 8, 10),
    (16, 14, 1, 12, 12),
    (18, 16, 1, 18, 14),
    (20, 18, 1, 22, 18),
    (22, 20, 1, 30, 20),
    (24, 22, 1, 36, 24),
    (26, 24, 1, 44, 28),
    (32, 14, 2, 62, 36),
    (36, 16, 2, 86, 42),
    (40, 18, 2, 114, 48),
    (44, 20, 2, 144, 56),
    (48, 22, 2, 174, 68),
)

#: the most digits one batch may carry (two per codeword in the largest size covered)
MAX_DIGITS = 2 * _SQUARE[-1][3]

# GF(256) with the ECC 200 field polynomial x^8 + x^5 + x^3 + x^2 + 1
_EXP = np.zeros(512, np.int64)
_LOG = np.zeros(256, np.int64)
_v = 1
for _i in range(255):
    _EXP[_i] = _v
    _LOG[_v] = _i
    _v <<= 1
    if _v & 0x100:
        _v ^= 0x12D
_EXP[255:510] = _EXP[:255]


@cache
def _generator(n: int) -> np.ndarray:
    """The coefficients of prod (x - a^i), i = 1..n, highest power first (leading 1 dropped)."""
    g = [1]
    for i in range(1, n + 1):
        nxt = [0] * (len(g) + 1)
        for k, c in enumerate(g):
            nxt[k] ^= c
            if c:
                nxt[k + 1] ^= int(_EXP[(_LOG[c] + i) % 255])
        g = nxt
    return np.array(g[1:], np.int64)


@cache
def _placement(nrow: int, ncol: int) -> np.ndarray:
    """Annex F: for every module of the mapping matrix, the bit it shows.

    Returns:
        int64 (nrow, ncol): ``8 * codeword + bit`` (bit 0 the most significant), or -1 for
        a light and -2 for a dark fixed module of the lower right corner.
    """
    grid = np.full((nrow, ncol), -3, np.int64)

    def module(row: int, col: int, cw: int, bit: int) -> None:
        if row < 0:
            row += nrow
            col += 4 - ((nrow + 4) % 8)
        if col < 0:
            col += ncol
            row += 4 - ((ncol + 4) % 8)
        grid[row, col] = 8 * cw + bit

    def utah(row: int, col: int, cw: int) -> None:
        for bit, (dr, dc) in enumerate(((-2, -2), (-2, -1), (-1, -2), (-1, -1), (-1, 0), (0, -2), (0, -1), (0, 0))):
            module(row + dr, col + dc, cw, bit)

    def corner(cw: int, cells: tuple) -> None:
        for bit, (r, c) in enumerate(cells):
            module(r, c, cw, bit)

    n, m = nrow, ncol
    corners = {
        1: ((n - 1, 0), (n - 1, 1), (n - 1, 2), (0, m - 2), (0, m - 1), (1, m - 1), (2, m - 1), (3, m - 1)),
        2: ((n - 3, 0), (n - 2, 0), (n - 1, 0), (0, m - 4), (0, m - 3), (0, m - 2), (0, m - 1), (1, m - 1)),
        3: ((n - 3, 0), (n - 2, 0), (n - 1, 0), (0, m - 2), (0, m - 1), (1, m - 1), (2, m - 1), (3, m - 1)),
        4: ((n - 1, 0), (n - 1, m - 1), (0, m - 3), (0, m - 2), (0, m - 1), (1, m - 3), (1, m - 2), (1, m - 1)),
    }
    cw, row, col = 0, 4, 0
    while True:
        if row == n and col == 0:
            corner(cw, corners[1])
            cw += 1
        if row == n - 2 and col == 0 and m % 4:
            corner(cw, corners[2])
            cw += 1
        if row == n - 2 and col == 0 and m % 8 == 4:
            corner(cw, corners[3])
            cw += 1
        if row == n + 4 and col == 2 and m % 8 == 0:
            corner(cw, corners[4])
            cw += 1
        while True:  # up and to the right
            if row < n and col >= 0 and grid[row, col] == -3:
                utah(row, col, cw)
                cw += 1
            row -= 2
            col += 2
            if not (row >= 0 and col < m):
                break
        row += 1
        col += 3
        while True:  # down and to the left
            if row >= 0 and col < m and grid[row, col] == -3:
                utah(row, col, cw)
                cw += 1
            row += 2
            col -= 2
            if not (row < n and col >= 0):
                break
        row += 3
        col += 1
        if not (row < n or col < m):
            break
    if grid[n - 1, m - 1] == -3:  # the fixed pattern of sizes that leave the corner empty
        grid[n - 1, m - 1] = grid[n - 2, m - 2] = -2
        grid[n - 1, m - 2] = grid[n - 2, m - 1] = -1
    return grid


@cache
def _layout(size: int, region: int, per_side: int) -> tuple[np.ndarray, np.ndarray]:
    """The symbol's finder patterns, and where each mapping-matrix module goes.

    Returns:
        (bool (size, size) with the finder and alignment patterns dark, int64 (size, size)
        of placement values (see :func:`_placement`) with -1 on the patterns).
    """
    mapping = _placement(region * per_side, region * per_side)
    finder = np.zeros((size, size), bool)
    source = np.full((size, size), -1, np.int64)
    step = region + 2
    for i in range(per_side):
        for j in range(per_side):
            r0, c0 = i * step, j * step
            finder[r0 + step - 1, c0 : c0 + step] = True  # solid bottom
            finder[r0 : r0 + step, c0] = True  # solid left
            finder[r0, c0 : c0 + step : 2] = True  # dotted top
            finder[r0 + 1 : r0 + step : 2, c0 + step - 1] = True  # dotted right
            source[r0 + 1 : r0 + 1 + region, c0 + 1 : c0 + 1 + region] = mapping[
                i * region : (i + 1) * region, j * region : (j + 1) * region
            ]
    return finder, source


def _size_for(codewords: int) -> tuple[int, int, int, int, int]:
    for spec in _SQUARE:
        if spec[3] >= codewords:
            return spec
    raise BarcodeError(_NAME, f"{codewords} codewords do not fit the square sizes the batch encoder covers")


def datamatrix_digit_matrices(digits: np.ndarray) -> np.ndarray:
    """The module matrices of many digit strings of one length, in ASCII mode.

    Args:
        digits: uint8 (n, length) of ASCII digits ``b"0"``..``b"9"``, one row per symbol.

    Returns:
        bool (n, size, size): dark modules, no quiet zone; the smallest square size that
        holds ``length`` digits, the same for every row.

    Raises:
        BarcodeError: a byte is not a digit, a row is empty, or longer than :data:`MAX_DIGITS`.
    """
    digits = np.asarray(digits, dtype=np.uint8)
    if digits.ndim != 2 or digits.shape[1] == 0:
        raise BarcodeError(_NAME, "no data to encode")
    n, length = digits.shape
    d = digits.astype(np.int64) - 48
    if d.size and (d.min() < 0 or d.max() > 9):
        raise BarcodeError(_NAME, "the batch encoder takes digits only")
    pairs = length // 2
    used = pairs + length % 2
    size, region, per_side, capacity, n_ecc = _size_for(used)
    cw = np.empty((n, capacity + n_ecc), np.int64)
    cw[:, :pairs] = 130 + 10 * d[:, 0 : 2 * pairs : 2] + d[:, 1 : 2 * pairs : 2]
    if length % 2:
        cw[:, pairs] = d[:, -1] + 49  # a lone digit: its ASCII value plus one
    if used < capacity:
        cw[:, used] = 129
        position = np.arange(used + 2, capacity + 1)  # 1-based positions of the later pads
        pad = 129 + (149 * position) % 253 + 1
        cw[:, used + 1 : capacity] = np.where(pad > 254, pad - 254, pad)
    # Reed-Solomon: the remainder of data * x^n_ecc by the generator, for every row at once
    gen_log = _LOG[_generator(n_ecc)]
    rem = np.zeros((n, n_ecc), np.int64)
    for k in range(capacity):
        feedback = cw[:, k] ^ rem[:, 0]
        rem[:, :-1] = rem[:, 1:]
        rem[:, -1] = 0
        live = feedback != 0
        if live.any():
            term = _EXP[_LOG[feedback[live]][:, None] + gen_log[None, :]]
            rem[live] ^= term
    cw[:, capacity:] = rem
    bits = np.unpackbits(cw.astype(np.uint8)[:, :, None], axis=2).reshape(n, -1)
    finder, source = _layout(size, region, per_side)
    fixed = np.concatenate([bits, np.zeros((n, 1), np.uint8), np.ones((n, 1), np.uint8)], axis=1)
    # -1 (light) and -2 (dark) index the two constant columns appended after the bits
    index = np.where(source >= 0, source, bits.shape[1] + (-1 - source))
    out = fixed[:, index].astype(bool)
    out |= finder
    return out


def datamatrix_digit_bars(digits: np.ndarray, module: float | str = 1.44) -> tuple[int, np.ndarray, np.ndarray]:
    """Dark rectangles of many digit-string symbols of one length, as
    :func:`~ccmcore.barcodes.encode_datamatrix` draws each (quiet zone of one module).

    Args:
        digits: as :func:`datamatrix_digit_matrices`.
        module: the module size.

    Returns:
        (symbol width in mpt, quiet zone included; int32 (m, 4) rectangles (x, y, w, h) in
        mpt relative to their symbol's top-left corner, symbol by symbol, each symbol's by
        y then x; int64 (n + 1,) where each symbol's rectangles start, and the end).
    """
    module = to_mpt(module)
    if module <= 0:
        raise ValueError(f"{_NAME}: module must be positive (got {module})")
    m = datamatrix_digit_matrices(digits)
    n, size, _ = m.shape
    # one tall matrix with a light row after each symbol: no rectangle spans two symbols
    tall = np.zeros((n, size + 1, size), np.uint8)
    tall[:, :size] = m
    rects = matrix_rects(tall.reshape(n * (size + 1), size)).astype(np.int64)
    symbol = rects[:, 1] // (size + 1)
    rects[:, 1] -= symbol * (size + 1)
    q = DATAMATRIX_QUIET_ZONE * module
    bars = rects * module
    bars[:, :2] += q
    starts = np.searchsorted(symbol, np.arange(n + 1))
    return size * module + 2 * q, bars.astype(np.int32), starts
