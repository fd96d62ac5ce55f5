"""Test helper: build a DisplayList by hand, without the layout kernel.

Positions and sizes are millipoints, the display list's unit: this module's ``mm``,
``pt``, ``A4`` and ``LETTER`` give them (ccmcore's own give points, the template unit). Text is shaped with
Font.shape and advances scaled to millipoints (adv * size / upem, rounded), so a run's
glyphs sit exactly where HarfBuzz (kerning included) puts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccmcore import display as D
from ccmcore import units
from ccmcore.units import to_mpt


def mm(v: float) -> int:
    """Millimetres in millipoints."""
    return to_mpt(units.mm(v))


def pt(v: float) -> int:
    """Points in millipoints."""
    return to_mpt(v)


A4 = (mm(210), mm(297))
LETTER = (to_mpt(units.inch(8.5)), to_mpt(units.inch(11)))

__all__ = ["A4", "LETTER", "mm", "pt", "Text", "Rule", "Rect", "Picture", "Place", "build", "one_page", "make_overlay"]


@dataclass
class Text:
    text: str
    x: int
    y: int  # baseline, from the page top
    font: object
    size: int
    color: int = 0


@dataclass
class Rule:
    x: int
    y: int
    dx: int
    dy: int
    width: int = 500
    color: int = 0


@dataclass
class Rect:
    x: int
    y: int
    w: int
    h: int
    fill: int = -1
    stroke: int = -1
    width: int = 0


@dataclass
class Picture:
    """An IMAGE item: a ccmcore.images.Image with its top-left corner at x, y, size w x h."""

    image: object
    x: int
    y: int
    w: int
    h: int


@dataclass
class Place:
    """An OVERLAY item: a ccmcore.display.Overlay with its top-left corner at x, y."""

    overlay: object
    x: int = 0
    y: int = 0


def shaped_advances(font, text: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(gids, advances in mpt) of a single-line string."""
    if "\n" in text:
        raise ValueError("one line per Text item")
    sh = font.shape(text)
    adv = np.round(sh.advances.astype(np.float64) * size / font.upem).astype(np.int32)
    return sh.gids.astype(np.uint16), adv


def build(docs, page_size=A4, records=None) -> D.DisplayList:
    """A DisplayList of documents → pages → items.

    Args:
        docs: list of documents; a document is a list of pages; a page is a list of
            Text / Rule / Rect items or (text, x, y, font, size) tuples.
        page_size: (width, height) in mpt for every page.
            Items may also be Picture and Place (images and overlays are listed once
            per display list, in order of first use).
        records: input record number per document (default 0, 1, 2, ...).
    """
    items: list[list[int]] = []
    gids: list[np.ndarray] = []
    advs: list[np.ndarray] = []
    text = bytearray()
    pages: list[list[int]] = []
    doc_rows: list[list[int]] = []
    fonts: list = []
    font_index: dict[int, int] = {}
    images: list = []
    overlays: list = []
    obj_index: dict[int, int] = {}

    def index_of(obj, into: list) -> int:
        k = obj_index.get(id(obj))
        if k is None:
            k = obj_index[id(obj)] = len(into)
            into.append(obj)
        return k

    n_glyphs = 0
    w, h = page_size
    for d, doc in enumerate(docs):
        p0 = len(pages)
        for number, page in enumerate(doc, start=1):
            i0 = len(items)
            for it in page:
                if isinstance(it, tuple):
                    it = Text(*it)
                if isinstance(it, Text):
                    fi = font_index.get(id(it.font))
                    if fi is None:
                        fi = font_index[id(it.font)] = len(fonts)
                        fonts.append(it.font)
                    g, a = shaped_advances(it.font, it.text, it.size)
                    raw = it.text.encode("utf-8")
                    items.append(
                        [
                            D.GLYPHS,
                            it.x,
                            it.y,
                            int(a.sum()),
                            0,
                            fi,
                            it.size,
                            it.color,
                            -1,
                            n_glyphs,
                            len(g),
                            len(text),
                            len(raw),
                        ]
                    )
                    gids.append(g)
                    advs.append(a)
                    n_glyphs += len(g)
                    text += raw
                elif isinstance(it, Rule):
                    items.append([D.RULE, it.x, it.y, it.dx, it.dy, -1, it.width, it.color, -1, 0, 0, 0, 0])
                elif isinstance(it, Rect):
                    items.append([D.RECT, it.x, it.y, it.w, it.h, -1, it.width, it.fill, it.stroke, 0, 0, 0, 0])
                elif isinstance(it, Picture):
                    items.append([D.IMAGE, it.x, it.y, it.w, it.h, index_of(it.image, images), 0, -1, -1, 0, 0, 0, 0])
                elif isinstance(it, Place):
                    items.append([D.OVERLAY, it.x, it.y, 0, 0, index_of(it.overlay, overlays), 0, -1, -1, 0, 0, 0, 0])
                else:
                    raise TypeError(f"not a display item: {it!r}")
            pages.append([d, number, len(doc), 0, w, h, i0, len(items) - i0])
        rec = records[d] if records is not None else d
        doc_rows.append([rec, p0, len(pages) - p0])
    return D.DisplayList(
        items=np.array(items, dtype=np.int32).reshape(-1, D.ITEM_FIELDS),
        gids=np.concatenate(gids) if gids else np.zeros(0, np.uint16),
        advances=np.concatenate(advs) if advs else np.zeros(0, np.int32),
        text=bytes(text),
        pages=np.array(pages, dtype=np.int32).reshape(-1, D.PAGE_FIELDS),
        docs=np.array(doc_rows, dtype=np.int64).reshape(-1, D.DOC_FIELDS),
        fonts=fonts,
        templates=["default"],
        images=images,
        overlays=overlays,
    )


def one_page(items, page_size=A4) -> D.DisplayList:
    """A DisplayList of one document with one page."""
    return build([[list(items)]], page_size=page_size)


def make_overlay(name: str, items, size) -> D.Overlay:
    """An Overlay of the given (width, height) in mpt drawing items (positions relative
    to its top-left corner)."""
    return D.Overlay(name, size[0], size[1], one_page(items, page_size=size))
