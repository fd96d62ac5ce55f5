"""The result every barcode encoder returns: a :class:`Symbol`, a set of dark rectangles.

Barcodes are drawn as vector graphics, so an encoder's product is geometry, not pixels:
``Symbol.bars`` lists the dark rectangles in integer millipoints (1/1000 pt), relative to
the symbol's top-left corner (y grows downwards, as in :mod:`ccmcore.display`), quiet
zones included in ``width`` and ``height``. Adjacent dark modules are merged into one
rectangle, and the rectangles never overlap, so a backend fills each one once.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ..errors import DataError

__all__ = ["Symbol", "BarcodeError", "matrix_rects", "rasterize"]


class BarcodeError(DataError):
    """Data a symbology cannot encode (a ``ValueError``).

    Attributes:
        symbology: the symbology's name ("Code 128", "QR Code", ...).
        char: the offending character ('' when the problem is not one character).
        position: its index in the data (-1 when not one character).
    """

    def __init__(self, symbology: str, message: str, char: str = "", position: int = -1):
        if char:
            message = f"{message}: {char!r} (U+{ord(char):04X}) at position {position}"
        super().__init__(f"{symbology}: {message}")
        self.symbology = symbology
        self.char = char
        self.position = position


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Symbol:
    """An encoded barcode: its size and its dark rectangles, in millipoints.

    Attributes:
        width: total width (mpt), quiet zones included.
        height: total height (mpt), quiet zones included.
        bars: int32 array (n, 4) of (x, y, w, h) dark rectangles, mpt, relative to the
            symbol's top-left corner; read-only. Sorted by y then x (linear symbols: left
            to right).
        modules: bool array (rows, cols) of the symbol's module grid (True: dark), without
            quiet zone, or None for symbologies that are not a module grid (IMb, OMR);
            read-only. For linear symbols it is one row.
        origin: (x, y) of the module grid's top-left corner in the symbol (mpt).
        cell: (w, h) of one grid cell (mpt): the module size for 2D symbols,
            (module, bar height) for linear ones, (0, 0) without a grid.
        text: what the symbol carries in readable form (the data; for IMb the 65
            bar letters F/A/D/T; for OMR one '1'/'0' per mark position).
    """

    width: int
    height: int
    bars: np.ndarray
    modules: np.ndarray | None = None
    origin: tuple[int, int] = (0, 0)
    cell: tuple[int, int] = (0, 0)
    text: str = ""

    def items(self, x: int, y: int, color: int = 0x000000) -> np.ndarray:
        """The bars as display-list RECT rows (``ccmcore.display`` item layout).

        Args:
            x, y: page position of the symbol's top-left corner (mpt).
            color: fill colour, 0xRRGGBB.

        Returns:
            int32 array (n, ITEM_FIELDS): filled, unstroked rectangles.
        """
        from .. import display as d

        n = self.bars.shape[0]
        out = np.zeros((n, d.ITEM_FIELDS), np.int32)
        out[:, d.KIND] = d.RECT
        out[:, d.X] = self.bars[:, 0] + x
        out[:, d.Y] = self.bars[:, 1] + y
        out[:, d.W] = self.bars[:, 2]
        out[:, d.H] = self.bars[:, 3]
        out[:, d.FONT] = -1
        out[:, d.COLOR] = color
        out[:, d.COLOR2] = -1
        return out

    @property
    def dark_area(self) -> int:
        """Sum of the rectangles' areas (mpt²); equals the dark area as they never overlap."""
        b = self.bars.astype(np.int64)
        return int((b[:, 2] * b[:, 3]).sum())


def matrix_rects(m: np.ndarray) -> np.ndarray:
    """Cover the dark cells of a module matrix with few, non-overlapping rectangles.

    Each row's dark cells are first merged into horizontal runs; runs with the same
    start and end in consecutive rows are then merged into one taller rectangle (one C
    pass: a symbol per page made numpy's per-call cost show).

    Args:
        m: bool (or 0/1) array (rows, cols).

    Returns:
        int32 array (n, 4) of (x, y, w, h) in module units, sorted by y then x.
    """
    from ._rects import runs_to_rects

    return runs_to_rects(np.ascontiguousarray(np.asarray(m, dtype=bool), dtype=np.uint8))


def _matrix_rects_reference(m: np.ndarray) -> np.ndarray:
    """The same cover as :func:`matrix_rects` in numpy (the reference its tests compare with).

    Each row's dark cells are first merged into horizontal runs; runs with the same
    start and end in consecutive rows are then merged into one taller rectangle.

    Args:
        m: bool (or 0/1) array (rows, cols).

    Returns:
        int32 array (n, 4) of (x, y, w, h) in module units, sorted by y then x.
    """
    m = np.asarray(m, dtype=bool)
    rows, cols = m.shape
    w = cols + 1  # a light column after each row ends its last run
    p = np.zeros(rows * w + 1, np.int8)
    p[1:].reshape(rows, w)[:, :cols] = m
    edges = np.flatnonzero(p[1:] != p[:-1])  # flat cell index: run start, one past its end, ...
    if edges.shape[0] == 0:
        return np.zeros((0, 4), np.int32)
    starts = edges[0::2]
    r = starts // w
    rw = r * w
    x0 = starts - rw
    x1 = edges[1::2] - rw
    # sorted by (x0, x1, row), a run continues the one above when its key is that key + 1
    key = (x0 * w + x1) * (rows + 1) + r  # rows + 1: keys of two different runs never touch
    order = np.argsort(key)
    key = key[order]
    n = key.shape[0]
    brk = np.empty(n + 1, bool)
    brk[0] = brk[n] = True
    np.not_equal(key[1:] - key[:-1], 1, out=brk[1:n])
    first = np.flatnonzero(brk)
    sel = order[first[:-1]]
    sel.sort()  # flat order of the top runs: rectangles by y, then x
    out = np.empty((sel.shape[0], 4), np.int32)
    out[:, 0] = x0[sel]
    out[:, 1] = r[sel]
    out[:, 2] = x1[sel] - x0[sel]
    height = np.empty(n, np.int64)
    height[order[first[:-1]]] = first[1:] - first[:-1]
    out[:, 3] = height[sel]
    return out


def grid_symbol(modules: np.ndarray, module: int, quiet: int, text: str) -> Symbol:
    """Internal: a 2D symbol from its module matrix, module size (mpt) and quiet zone (modules)."""
    rows, cols = modules.shape
    bars = matrix_rects(modules)
    bars *= module
    q = quiet * module
    bars[:, :2] += q
    return Symbol(
        width=cols * module + 2 * q,
        height=rows * module + 2 * q,
        bars=_frozen(bars),
        modules=_frozen(modules),
        origin=(q, q),
        cell=(module, module),
        text=text,
    )


_zxingcpp: ModuleType | None = None  # imported on first use


def zint_matrix(symbology: str, fmt_name: str, data: str | bytes, **options) -> np.ndarray:
    """Internal: the dark modules (bool, rows x cols, no quiet zone) as zint encodes them.

    zint is the encoder library bundled in the ``zxing-cpp`` wheel (imported on first use,
    so the linear encoders and OMR work without it).

    Raises:
        BarcodeError: (a ValueError) for empty data, text with unpaired surrogates, or
            data zint refuses (too long, too long for the asked size, bad GS1 data).
    """
    global _zxingcpp
    if _zxingcpp is None:
        try:
            import zxingcpp
        except ImportError as e:  # pragma: no cover
            raise ImportError(f"{symbology} needs the 'zxing-cpp' package (pip install zxing-cpp)") from e
        _zxingcpp = zxingcpp
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as e:
            raise BarcodeError(symbology, "not encodable as UTF-8", data[e.start], e.start) from None
    elif not isinstance(data, bytes):
        raise TypeError(f"{symbology}: data must be str or bytes, not {type(data).__name__}")
    if not data:
        raise BarcodeError(symbology, "no data to encode")
    try:
        bc = _zxingcpp.create_barcode(data, getattr(_zxingcpp.BarcodeFormat, fmt_name), **options)
    except ValueError as e:
        raise BarcodeError(symbology, str(e)) from None
    return np.asarray(bc.to_image(scale=1, add_quiet_zones=False)) == 0


def rasterize(symbol: Symbol, pixel: int | tuple[int, int]) -> np.ndarray:
    """Render a symbol to an 8-bit grey image (0 black, 255 white), for tests and previews.

    Args:
        symbol: the symbol.
        pixel: the size of one pixel in mpt, or (w, h) for non-square pixels. Edges that
            fall inside a pixel are rounded to the nearest pixel boundary.

    Returns:
        uint8 array (height_px, width_px).
    """
    pw, ph = (pixel, pixel) if isinstance(pixel, int) else pixel
    img = np.full((round(symbol.height / ph), round(symbol.width / pw)), 255, np.uint8)
    for x, y, w, h in symbol.bars.tolist():
        img[round(y / ph) : round((y + h) / ph), round(x / pw) : round((x + w) / pw)] = 0
    return img
