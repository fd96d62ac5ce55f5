"""Internal: the marks a mail production draws on the front of every sheet, counted in
the piece: OMR marks (sheet n of m of the piece, end of collation on its last sheet, the
output's sheet sequence, the inserts' feeders) and the piece's 2D code.

A run of 10,000 statements has some 18,000 sheets, each with its own code, so the marks of
a chunk of sheets are made together: OMR patterns repeat (their sequence wraps) and are
made once per distinct pattern; a digit-only Data Matrix (the default piece code) is
encoded for the whole chunk in numpy (:mod:`ccmcore.barcodes.datamatrix_digits`), its
digits taken from the columns when the code is zero-padded integers; anything else is
encoded sheet by sheet. The result is one array of RECT items for the chunk
(:class:`~ccmcore.merge.PageMarks`), which the merge hands to the writer.
"""

from __future__ import annotations

import re
import string
import time
from dataclasses import replace

import numpy as np
import pyarrow as pa

from ..merge import PageMarks
from ..reorder import index_ranges
from .plan import MailPlan, OmrMarks, PieceCode

__all__ = ["SheetMarks"]


class SheetMarks:
    """The RECT items of the plan's marks, for the front of every sheet of a chunk of pages.

    OMR marks repeat (their sequence wraps), so each pattern is made once. A piece code is
    new on every sheet: digit-only Data Matrix codes (the default piece code) are encoded
    for the whole chunk at once, anything else one by one.
    """

    def __init__(self, plan: MailPlan, table: pa.Table, duplex: bool):
        from .. import barcodes
        from ..units import to_mpt

        self.bc = barcodes
        self.duplex = duplex
        self.omr = []
        for m in plan.marks:
            if isinstance(m, OmrMarks):
                spec = replace(m.spec, duplex=True) if duplex and not m.spec.duplex else m.spec
                seq = [int(k[3:]) for k in spec.marks if k.startswith("seq")]
                self.omr.append((to_mpt(m.x), to_mpt(m.y), spec, 2 * max(seq) if seq else 1))
        self.codes = [m for m in plan.marks if isinstance(m, PieceCode)]
        self.encode = {"datamatrix": barcodes.encode_datamatrix, "qr": barcodes.encode_qr}
        self.cache: dict = {}
        self.seconds = 0.0
        self.piece = {
            "piece": table.column("piece").to_numpy(),
            "pages": table.column("pages").to_numpy(),
            "sheets": table.column("sheets").to_numpy(),
            "feeds": table.column("feeders").to_numpy(),
            "documents": table.column("documents").to_numpy(),
        }

    def chunk(self, rows: np.ndarray, numbers: np.ndarray, job_sheet: int) -> tuple[PageMarks, int]:
        """The marks of a run of pages.

        Args:
            rows: each page's row in the pieces table.
            numbers: each page's number in its piece (1-based).
            job_sheet: the output's sheets before these pages.

        Returns:
            (the marks of the fronts among these pages, the output's sheets after them).
        """
        t0 = time.perf_counter()
        numbers = np.asarray(numbers, np.int64)
        fronts = np.flatnonzero(numbers % 2 == 1) if self.duplex else np.arange(len(numbers))
        r = np.asarray(rows, np.int64)[fronts]
        page = numbers[fronts]
        v = {
            "piece": self.piece["piece"][r],
            "sheet": (page + 1) // 2 if self.duplex else page,
            "sheets": self.piece["sheets"][r],
            "job_sheet": job_sheet + np.arange(1, len(fronts) + 1),
            "feeds": self.piece["feeds"][r],
            "documents": self.piece["documents"][r],
        }
        # per mark a layer: its items, and where each sheet's start in them and how many
        layers = [self._omr_layer(k, page, self.piece["pages"][r], v) for k in range(len(self.omr))]
        layers += [self._code_layer(code, v) for code in self.codes]
        # sheet after sheet, each sheet's marks in the plan's order: one gather
        base = np.cumsum([0] + [len(items) for items, _, _ in layers[:-1]])
        first = np.stack([at + b for (_, at, _), b in zip(layers, base.tolist())], axis=1).reshape(-1)
        count = np.stack([c for _, _, c in layers], axis=1)
        source = np.concatenate([items for items, _, _ in layers])
        items = source[index_ranges(first, count.reshape(-1))]
        starts = np.zeros(len(fronts) + 1, np.int64)
        np.cumsum(count.sum(axis=1), out=starts[1:])
        self.seconds += time.perf_counter() - t0
        return PageMarks(fronts.astype(np.int64), items, starts), job_sheet + len(fronts)

    def _omr_layer(self, k: int, page: np.ndarray, pages: np.ndarray, v: dict) -> tuple:
        """OMR marks ``k`` on each sheet: each distinct pattern made once (their sequence
        wraps), the sheets pointing at theirs."""
        x, y, spec, period = self.omr[k]
        sheet = v["job_sheet"]
        columns = np.stack([page, pages, sheet % period, v["feeds"]], axis=1)
        # one int64 key per sheet (each column below 2**15 in any real piece): a 1-D unique
        if len(columns) and columns.max() < 1 << 15:
            keys = ((columns[:, 0] << 15 | columns[:, 1]) << 15 | columns[:, 2]) << 15 | columns[:, 3]
            _, at, inverse = np.unique(keys, return_index=True, return_inverse=True)
        else:
            _, at, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        patterns = []
        for (number, count, wrapped, feeds), i in zip(columns[at].tolist(), at.tolist()):
            key = (k, number, count, wrapped, feeds)
            items = self.cache.get(key)
            if items is None:
                if len(self.cache) > 4096:
                    self.cache.clear()
                sym = self.bc.omr_marks(page=number, pages=count, sheet=int(sheet[i]), spec=spec, feeds=feeds)
                items = self.cache[key] = sym.items(x, y)
            patterns.append(items)
        lengths = np.array([len(p) for p in patterns], np.int64)
        offsets = np.cumsum(lengths) - lengths
        inverse = inverse.reshape(-1)
        return np.concatenate(patterns), offsets[inverse], lengths[inverse]

    def _code_layer(self, code: PieceCode, v: dict) -> tuple:
        """The piece code on each sheet: (items, each sheet's first item, item count)."""
        got = self._code_items(code, v)
        if isinstance(got, tuple):
            return got
        lengths = np.array([len(i) for i in got], np.int64)
        return np.concatenate(got), np.cumsum(lengths) - lengths, lengths

    def _code_items(self, code: PieceCode, v: dict[str, np.ndarray]) -> list[np.ndarray] | tuple:
        """The code's RECT items on each sheet: a list, or for a batch already in one
        array the layer (items, each sheet's first item, item count)."""
        from ..barcodes.datamatrix_digits import MAX_DIGITS, datamatrix_digit_bars

        n = len(v["piece"])
        x, y = code.x_mpt, code.y_mpt
        kw = {} if code.module is None else {"module": code.module}
        out: list = [None] * n
        digits = _digits(code.data, v) if code.kind == "datamatrix" else None
        if digits is not None and 0 < digits.shape[1] <= MAX_DIGITS:
            # the whole chunk in one batch: no text is made at all
            _, bars, starts = datamatrix_digit_bars(digits, **kw)
            return _rect_items(bars, x, y), starts[:-1], np.diff(starts)
        lists = {name: col.tolist() for name, col in v.items()}
        texts = [code.text(**dict(zip(lists, vals))) for vals in zip(*lists.values())]
        if code.kind == "datamatrix":
            lengths = np.fromiter(map(len, texts), np.int64, len(texts))
            joined = "".join(texts)
            if joined.isascii() and joined.isdigit():
                raw = np.frombuffer(joined.encode("ascii"), np.uint8)
                ends = np.cumsum(lengths)
                for length in np.unique(lengths).tolist():
                    if not 0 < length <= MAX_DIGITS:
                        continue
                    which = np.flatnonzero(lengths == length)
                    idx = (ends[which] - length)[:, None] + np.arange(length)
                    _, bars, starts = datamatrix_digit_bars(raw[idx], **kw)
                    items = _rect_items(bars, x, y)
                    for s, a, b in zip(which.tolist(), starts[:-1].tolist(), starts[1:].tolist()):
                        out[s] = items[a:b]
        encode = self.encode.get(code.kind, self.bc.encode_code128)
        for s, text in enumerate(texts):
            if out[s] is None:
                out[s] = encode(text, **kw).items(x, y)
        return out


_ZERO_PADDED = re.compile(r"0[1-9][0-9]*d")


def _digits(data: str, v: dict[str, np.ndarray]) -> np.ndarray | None:
    """uint8 (n, length): the ASCII digits ``data.format(**values)`` gives on each sheet,
    computed on the columns; None unless the format is digits and zero-padded integer
    fields (``"{piece:08d}{sheet:02d}"``) and every value fits its width."""
    n = len(v["piece"])
    columns: list[np.ndarray] = []
    for literal, field, spec, conversion in string.Formatter().parse(data):
        if literal:
            if not (literal.isascii() and literal.isdigit()):
                return None
            columns.append(np.broadcast_to(np.frombuffer(literal.encode("ascii"), np.uint8), (n, len(literal))))
        if field is None:
            continue
        if conversion or spec is None or not _ZERO_PADDED.fullmatch(spec) or field not in v:
            return None
        width = int(spec[1:-1])
        values = np.asarray(v[field], np.int64)
        if width > 18 or (len(values) and (values.min() < 0 or values.max() >= 10**width)):
            return None  # wider than its field, or negative: the text path says what it prints
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        columns.append((values[:, None] // powers % 10 + 48).astype(np.uint8))
    if not columns:
        return None
    return np.ascontiguousarray(np.concatenate(columns, axis=1))


def _rect_items(bars: np.ndarray, x: int, y: int) -> np.ndarray:
    """Filled black RECT items of (x, y, w, h) rectangles placed at (x, y)."""
    from .. import display as d

    out = np.zeros((len(bars), d.ITEM_FIELDS), np.int32)
    out[:, d.KIND] = d.RECT
    out[:, d.X] = bars[:, 0] + x
    out[:, d.Y] = bars[:, 1] + y
    out[:, d.W] = bars[:, 2]
    out[:, d.H] = bars[:, 3]
    out[:, d.FONT] = -1
    out[:, d.COLOR2] = -1
    return out
