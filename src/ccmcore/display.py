"""The device-neutral page description: what layout produces and every backend consumes.

A :class:`DisplayList` holds the pages of one batch of documents as a handful of flat
numpy arrays, so backends can walk them in compiled loops. It carries no PDF or AFP
notions: positions are integer millipoints (1/1000 pt) measured from the page's top-left
corner with y growing downwards; colours are 0xRRGGBB integers.

Layout of ``items`` (one row per drawing item, ``ITEM_FIELDS`` int32 columns):

========  =============================  ==============================  ==========================
field     GLYPHS (a run of shaped text)  RULE (a straight line)           RECT (a rectangle)
========  =============================  ==============================  ==========================
KIND      ``GLYPHS``                     ``RULE``                         ``RECT``
X, Y      pen origin on the baseline     start point                      top-left corner
W, H      run width, 0                   end point minus start (dx, dy)   width, height
FONT      font index in ``fonts``        -1                               -1
SIZE      font size (mpt)                line width (mpt)                 stroke width (mpt, 0: none)
COLOR     text colour                    line colour                      fill colour (-1: no fill)
COLOR2    -1                             -1                               stroke colour (-1: none)
G0, GN    slice of ``gids``/``advances``  0, 0                             0, 0
T0, TN    UTF-8 slice of ``text``        0, 0                             0, 0
========  =============================  ==============================  ==========================

IMAGE items place a raster image: X, Y its top-left corner, W, H its size on the page,
FONT the index into ``images`` (:class:`ccmcore.images.Image`, stored once per job by the
backends however many pages show it); the other fields are 0 / -1.

OVERLAY items place static page content defined once per job (a letterhead, form lines):
X, Y the offset of the overlay's top-left corner on the page, FONT the index into
``overlays`` (:class:`Overlay`: its own items, glyphs and text, drawn by the backends as a
PDF Form XObject or an AFP page overlay, stored once per job); other fields 0 / -1.

Barcodes reach the display list as RECT items (vector fills, one per run of dark modules).

``advances[i]`` is the pen movement after glyph ``i`` in millipoints, kerning and
justification included, so a backend places glyph ``i`` at ``x + sum(advances[G0:i])``.
``text[T0:T0+TN]`` is the text the run shows (for search, AFP code points and dumps).

``pages`` has one row per page: ``DOC`` (row in ``docs``), ``NUMBER`` (1-based within
its document), ``COUNT`` (pages in that document), ``TEMPLATE`` (index into
``templates``), ``WIDTH``, ``HEIGHT`` (mpt), ``I0``, ``IN`` (slice of ``items``).

``docs`` has one row per rendered document: ``RECORD`` (0-based row number in the job's
input), ``P0``, ``PN`` (slice of ``pages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DisplayList", "Overlay", "GLYPHS", "RULE", "RECT", "IMAGE", "OVERLAY", "ITEM_FIELDS", "PAGE_FIELDS",
           "DOC_FIELDS"]

# item kinds
GLYPHS = 1
RULE = 2
RECT = 3
IMAGE = 4
OVERLAY = 5

# item columns
KIND, X, Y, W, H, FONT, SIZE, COLOR, COLOR2, G0, GN, T0, TN = range(13)
ITEM_FIELDS = 13

# page columns
DOC, NUMBER, COUNT, TEMPLATE, WIDTH, HEIGHT, I0, IN = range(8)
PAGE_FIELDS = 8

# doc columns
RECORD, P0, PN = range(3)
DOC_FIELDS = 3

_KIND_NAMES = {GLYPHS: "text", RULE: "rule", RECT: "rect", IMAGE: "image", OVERLAY: "overlay"}


def _pt(v: int) -> str:
    """Millipoints as a compact decimal point value (exact: three decimals at most)."""
    s = f"{v / 1000:.3f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _rgb(c: int) -> str:
    return "none" if c < 0 else f"#{c:06x}"


@dataclass
class DisplayList:
    """Pages of one batch of documents, device-neutral.

    Attributes:
        items: int32 array (n_items, ITEM_FIELDS).
        gids: uint16 array of glyph ids, sliced by the GLYPHS items.
        advances: int32 array, pen advance after each glyph (mpt).
        text: UTF-8 bytes the GLYPHS items slice.
        pages: int32 array (n_pages, PAGE_FIELDS).
        docs: int64 array (n_docs, DOC_FIELDS).
        fonts: the job's fonts (:class:`ccmcore.fonts.Font`), indexed by FONT.
        templates: page template names, indexed by TEMPLATE.
        medium_maps: per template, the medium map its pages invoke (None: default).
        tags: index attributes per document: name -> list of str (one per row of docs).
        warnings: int32 (n, 4) layout warnings (doc row in batch, element, code, detail).
        images: the job's images (:class:`ccmcore.images.Image`), indexed by IMAGE items.
        overlays: the job's overlays (:class:`Overlay`), indexed by OVERLAY items.
        messages: (record, message name) of each message placed in this batch.
    """

    items: np.ndarray
    gids: np.ndarray
    advances: np.ndarray
    text: bytes
    pages: np.ndarray
    docs: np.ndarray
    fonts: list = field(default_factory=list)
    templates: list = field(default_factory=list)
    medium_maps: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)
    warnings: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int32))
    images: list = field(default_factory=list)
    overlays: list = field(default_factory=list)
    messages: list = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return int(self.pages.shape[0])

    @property
    def doc_count(self) -> int:
        return int(self.docs.shape[0])

    def page_items(self, page: int) -> np.ndarray:
        """The item rows of one page (a view)."""
        p = self.pages[page]
        return self.items[p[I0] : p[I0] + p[IN]]

    def run_text(self, item: np.ndarray) -> str:
        """The text a GLYPHS item shows."""
        return self.text[item[T0] : item[T0] + item[TN]].decode("utf-8")

    def page_text(self, page: int) -> list[str]:
        """Texts of the page's glyph runs, in drawing order."""
        return [self.run_text(it) for it in self.page_items(page) if it[KIND] == GLYPHS]

    def dump(self, glyphs: bool = False) -> str:
        """A readable, stable text dump of every page, for golden tests and debugging.

        Args:
            glyphs: also list each run's glyph ids and advances.
        """
        out: list[str] = []
        for d in range(self.doc_count):
            rec, p0, pn = (int(v) for v in self.docs[d])
            out.append(f"document {d} (record {rec}): {pn} page(s)")
            for p in range(p0, p0 + pn):
                row = self.pages[p]
                tname = self.templates[row[TEMPLATE]] if self.templates else str(row[TEMPLATE])
                out.append(
                    f"  page {row[NUMBER]}/{row[COUNT]} template={tname} "
                    f"size={_pt(row[WIDTH])}x{_pt(row[HEIGHT])}pt"
                )
                for it in self.page_items(p):
                    out.append("    " + self._item_line(it, glyphs))
        return "\n".join(out) + "\n"

    def _item_line(self, it: np.ndarray, glyphs: bool) -> str:
        kind = int(it[KIND])
        name = _KIND_NAMES.get(kind, f"kind{kind}")
        if kind == GLYPHS:
            font = self.fonts[it[FONT]].name if self.fonts else f"F{it[FONT]}"
            line = (
                f"{name} x={_pt(it[X])} y={_pt(it[Y])} w={_pt(it[W])} {font} {_pt(it[SIZE])}pt "
                f"{_rgb(it[COLOR])} {self.run_text(it)!r}"
            )
            if glyphs:
                g = slice(int(it[G0]), int(it[G0] + it[GN]))
                pairs = " ".join(f"{gid}:{adv}" for gid, adv in zip(self.gids[g], self.advances[g]))
                line += f" [{pairs}]"
            return line
        if kind == RULE:
            return (
                f"{name} x={_pt(it[X])} y={_pt(it[Y])} dx={_pt(it[W])} dy={_pt(it[H])} "
                f"width={_pt(it[SIZE])} {_rgb(it[COLOR])}"
            )
        if kind == IMAGE:
            img = self.images[it[FONT]] if self.images else None
            label = img.name if img is not None else f"#{it[FONT]}"
            return f"{name} x={_pt(it[X])} y={_pt(it[Y])} w={_pt(it[W])} h={_pt(it[H])} {label}"
        if kind == OVERLAY:
            ov = self.overlays[it[FONT]] if self.overlays else None
            label = ov.name if ov is not None else f"#{it[FONT]}"
            return f"{name} x={_pt(it[X])} y={_pt(it[Y])} {label}"
        return (
            f"{name} x={_pt(it[X])} y={_pt(it[Y])} w={_pt(it[W])} h={_pt(it[H])} "
            f"fill={_rgb(it[COLOR])} stroke={_rgb(it[COLOR2])} width={_pt(it[SIZE])}"
        )


@dataclass
class Overlay:
    """Static page content stored once per job: a one-page display list of its own.

    Attributes:
        name: the overlay's name (also its resource name in AFP, 8 characters at most there).
        width, height: its extent (mpt).
        content: a :class:`DisplayList` of one document with one page holding the items
            (its fonts and images are the job's own objects, so backends share them).
    """

    name: str
    width: int
    height: int
    content: DisplayList
