"""OMR marks: a ladder of short lines in the margin that drives a folder-inserter.

An OMR (optical mark recognition) code is a column of equally spaced positions; at each
position a mark is printed or not. The reader syncs on the first mark, reads the others
as bits, and checks them before it folds and inserts the sheets of one document into one
envelope. The sequence is configured with :class:`OmrSpec`; each position is one of:

==========  =================================================================================
``start``   start / benchmark mark: always printed; the reader's reference for the others
``stop``    stop (end-of-code) mark: always printed; closes the code (some readers require it)
``on``      a mark always printed (clock or safety mark)
``off``     a position never printed (reserved, kept blank)
``eoc``     end of collation / end of set: printed on the document's last sheet; the
            inserter collates the sheets up to this one and inserts them
``boc``     begin of collation: printed on the document's first sheet (for readers that
            start a set on a mark instead of ending one)
``seqN``    bit N (1, 2, 4, ...) of the wrap-around sheet sequence counter, ``sheet`` modulo
            2**k (k the number of ``seq`` bits): consecutive sheets count up by one, so a
            missing, doubled or out-of-order sheet is caught
``pageN``   bit N of the page number within the document (``page`` modulo 2**k)
``feedN``   selective feed: printed when bit N-1 of ``feeds`` is set (add the insert from
            feeder N to this envelope)
``parity``  parity mark: printed when needed so that the number of printed marks, this one
            included, is even (``parity="even"``) or odd
==========  =================================================================================

"Page n of m" is carried by ``boc``/``eoc`` (first and last sheet of the set) and,
optionally, by ``pageN`` bits. With ``duplex`` the marks go on front pages only and the
last sheet is the one whose front page is ``pages - 1`` or ``pages``.

Geometry: by default (``vertical``) the marks are horizontal lines ``length`` long and
``thickness`` thick, one ``pitch`` below the other, position 0 at the top; with
``vertical=False`` they are upright lines side by side, position 0 on the left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..units import points, to_mpt
from .geometry import Symbol, _frozen

__all__ = ["OmrSpec", "omr_marks", "omr_bits"]

_KINDS = {"start", "stop", "on", "off", "eoc", "boc", "parity"}
_WEIGHTED = re.compile(r"(seq|page|feed)([0-9]+)")


@dataclass(frozen=True)
class OmrSpec:
    """The layout of an OMR code: which mark sits at which position, and their size.

    Attributes:
        marks: the kind of each position, top to bottom (see the module's table): e.g.
            ``("start", "eoc", "seq1", "seq2", "seq4", "parity", "stop")``.
        length: a mark's length (default 10 mm); lengths are points, or strings with a
            unit such as "10mm" or "1.5pt", and are kept in points.
        thickness: a mark's line thickness (default 1.5 pt).
        pitch: distance between positions (default 12 pt = 1/6 in = 4.23 mm).
        vertical: marks stacked downwards (True) or side by side (False).
        duplex: the job prints both sides; marks go on front pages only.
        parity: "even" or "odd": the number of printed marks the parity mark makes.
    """

    marks: tuple[str, ...] = ("start", "eoc", "seq1", "seq2", "seq4", "parity", "stop")
    length: float | str = "10mm"
    thickness: float | str = 1.5
    pitch: float | str = 12.0
    vertical: bool = True
    duplex: bool = False
    parity: str = "even"

    def __post_init__(self):
        object.__setattr__(self, "marks", tuple(self.marks))
        for name in ("length", "thickness", "pitch"):  # kept in points: replace() stays right
            object.__setattr__(self, name, points(getattr(self, name), f"OMR: {name}"))
        if not self.marks:
            raise ValueError("OMR: the spec has no marks")
        seen: set[str] = set()
        for m in self.marks:
            w = _WEIGHTED.fullmatch(m)
            if w:
                n = int(w.group(2))
                if w.group(1) == "feed" and n < 1:
                    raise ValueError(f"OMR: feeders count from 1 ({m!r})")
                if w.group(1) != "feed" and (n < 1 or n & (n - 1)):
                    raise ValueError(f"OMR: {m!r}: counter bits are powers of two (seq1, seq2, seq4...)")
            elif m not in _KINDS:
                raise ValueError(f"OMR: unknown mark kind {m!r}")
            if m in seen and m not in ("on", "off"):
                raise ValueError(f"OMR: mark {m!r} appears twice")
            seen.add(m)
        if self.parity not in ("even", "odd"):
            raise ValueError(f"OMR: parity must be 'even' or 'odd' (got {self.parity!r})")
        thickness, pitch, length = (points(getattr(self, n)) for n in ("thickness", "pitch", "length"))
        if not (0 < thickness <= pitch and length > 0):
            raise ValueError("OMR: need 0 < thickness <= pitch and length > 0")

    def _modulus(self, kind: str) -> int:
        top = max(
            (int(m[len(kind) :]) for m in self.marks if m.startswith(kind) and m[len(kind) :].isdigit()), default=0
        )
        return top * 2 if top else 1

    def describe(self) -> str:
        """One line per position: its offset from the first and what the mark means."""
        seq, page = self._modulus("seq"), self._modulus("page")
        meaning = {
            "start": "start mark (always)",
            "stop": "stop mark (always)",
            "on": "always printed",
            "off": "never printed",
            "eoc": "end of set: last sheet of the document",
            "boc": "begin of set: first sheet of the document",
            "parity": f"parity: makes the number of marks {self.parity}",
        }
        out = []
        for i, m in enumerate(self.marks):
            w = _WEIGHTED.fullmatch(m)
            if w:
                kind, n = w.group(1), int(w.group(2))
                text = {
                    "seq": f"sheet sequence bit {n} (sheet mod {seq})",
                    "page": f"page number bit {n} (page mod {page})",
                    "feed": f"selective feed from feeder {n}",
                }[kind]
            else:
                text = meaning[m]
            out.append(f"{i:2d} +{i * self.pitch:g}pt {m}: {text}")
        return "\n".join(out)


def omr_bits(page: int, pages: int, sheet: int, *, spec: OmrSpec, feeds: int = 0) -> tuple[int, ...]:
    """Which positions carry a mark (1) for one sheet.

    Args:
        page: the page (1-based within its document) the marks are printed on; with
            ``spec.duplex``, a front page.
        pages: the document's page count.
        sheet: the sheet's sequence number in the job (or the inserter run); only
            ``sheet`` modulo the counter's range is printed.
        spec: the mark layout.
        feeds: bit mask of selective feeders (bit 0 = feeder 1).

    Returns:
        one 0/1 per position of ``spec.marks``.

    Raises:
        ValueError: for page outside 1..pages or a negative sheet.
    """
    if not 1 <= page <= pages:
        raise ValueError(f"OMR: page {page} is not within 1..{pages}")
    if sheet < 0 or feeds < 0:
        raise ValueError("OMR: sheet and feeds must be >= 0")
    last = page + (1 if spec.duplex else 0) >= pages
    first = page <= (2 if spec.duplex else 1)
    bits = []
    parity_at = -1
    for i, m in enumerate(spec.marks):
        c = m[0]
        if m in ("start", "stop", "on"):
            b = 1
        elif m == "off":
            b = 0
        elif m == "eoc":
            b = last
        elif m == "boc":
            b = first
        elif m == "parity":
            b = 0
            parity_at = i
        elif c == "s":  # seqN
            b = (sheet & int(m[3:])) != 0
        elif c == "p":  # pageN
            b = (page & int(m[4:])) != 0
        else:  # feedN
            b = (feeds >> (int(m[4:]) - 1)) & 1
        bits.append(int(b))
    if parity_at >= 0 and (sum(bits) % 2) != (spec.parity == "odd"):
        bits[parity_at] = 1
    return tuple(bits)


def omr_marks(page: int, pages: int, sheet: int, *, spec: OmrSpec, feeds: int = 0) -> Symbol:
    """The OMR marks for one sheet, as rectangles.

    Args: as :func:`omr_bits`.

    Returns:
        a :class:`Symbol` spanning every position (``text`` holds the bits, e.g.
        "1010011"); ``modules`` is None. Cached per bit pattern and spec.

    Raises:
        ValueError: for page outside 1..pages or a negative sheet.
    """
    return _marks(omr_bits(page, pages, sheet, spec=spec, feeds=feeds), spec)


@lru_cache(maxsize=1024)
def _marks(bits: tuple[int, ...], spec: OmrSpec) -> Symbol:
    on = [i for i, b in enumerate(bits) if b]
    length, thickness, pitch = to_mpt(spec.length), to_mpt(spec.thickness), to_mpt(spec.pitch)
    span = (len(bits) - 1) * pitch + thickness
    bars = np.zeros((len(on), 4), np.int32)
    if spec.vertical:
        bars[:, 1] = np.array(on, np.int32) * pitch
        bars[:, 2] = length
        bars[:, 3] = thickness
        w, h = length, span
    else:
        bars[:, 0] = np.array(on, np.int32) * pitch
        bars[:, 2] = thickness
        bars[:, 3] = length
        w, h = span, length
    return Symbol(width=w, height=h, bars=_frozen(bars), text="".join(map(str, bits)))
