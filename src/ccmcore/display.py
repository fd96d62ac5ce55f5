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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from .images import Image

__all__ = [
    "DisplayList",
    "DisplayArrays",
    "Overlay",
    "GLYPHS",
    "RULE",
    "RECT",
    "IMAGE",
    "OVERLAY",
    "ITEM_FIELDS",
    "PAGE_FIELDS",
    "DOC_FIELDS",
    "TAG_VALUE_BYTES",
    "STRUCT_FIELDS",
    "TAG_DECOR",
    "TAG_REPEAT",
    "TAG_BULLET",
    "TAG_FIXED",
    "TAG_BARCODE",
    "Extent",
    "JobResources",
]

# item kinds
GLYPHS = 1
RULE = 2
RECT = 3
IMAGE = 4
OVERLAY = 5

# item columns
KIND, X, Y, W, H, FONT, SIZE, COLOR, COLOR2, G0, GN, T0, TN = range(13)
ITEM_FIELDS = 13

#: columns of ``DisplayList.struct``, an item's structure tag: the template element it
#: shows (the id ``program.labels`` is indexed by, -1: none), its part (a table row's kind
#: plus one, 0 for other content, with the TAG_* flags), its table row within the
#: document (-1: none) and its table column (-1: none). Mirrors the layout kernel.
STRUCT_FIELDS = 4
TAG_DECOR = 0x10  # a table's rule, stripe or border, not its content
TAG_REPEAT = 0x20  # a table header repeated on a continuation page
TAG_BULLET = 0x40  # a paragraph's bullet
TAG_FIXED = 0x80  # page-template content (and what is drawn with it: barcodes)
TAG_BARCODE = 0x100  # a barcode's modules; the row column holds the barcode's number in the program

# page columns
DOC, NUMBER, COUNT, TEMPLATE, WIDTH, HEIGHT, I0, IN = range(8)
PAGE_FIELDS = 8

# doc columns
RECORD, P0, PN = range(3)
DOC_FIELDS = 3

#: the most bytes one index attribute value (a tag) may need, as an AFP TLE holds it: a value
#: is one byte a character when every character is Latin-1 (code page 500), else UTF-16. Binding
#: rejects a record whose tag value needs more, so every backend gets the same documents.
TAG_VALUE_BYTES = 250

_KIND_NAMES = {GLYPHS: "text", RULE: "rule", RECT: "rect", IMAGE: "image", OVERLAY: "overlay"}


def _pt(v: int) -> str:
    """Millipoints as a compact decimal point value (exact: three decimals at most)."""
    s = f"{v / 1000:.3f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _rgb(c: int) -> str:
    return "none" if c < 0 else f"#{c:06x}"


class DisplayArrays(NamedTuple):
    """A checked display list's arrays, as the compiled backends take them (see
    :meth:`DisplayList.check`)."""

    items: np.ndarray  #: int32 (n_items, ITEM_FIELDS), C-contiguous
    gids: np.ndarray  #: uint16, contiguous
    advances: np.ndarray  #: int32, contiguous
    text: np.ndarray  #: uint8 view of ``text``
    pages: np.ndarray  #: int64 (n_pages, PAGE_FIELDS), C-contiguous
    docs: np.ndarray  #: int64 (n_docs, DOC_FIELDS)
    glyph_rows: np.ndarray  #: row numbers of the GLYPHS items, ascending
    glyph_fonts: np.ndarray  #: their FONT column (int32), each an index into ``fonts``


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
        media: per template, the name of the medium its pages are printed on (a paper,
            a tray, a finishing: ``PageTemplate(medium_map=...)``), None for the default.
            A neutral page attribute: each device maps it to its own setting (the AFP
            backend invokes the medium map of that name; PDF has no such setting).
        tags: index attributes per document: name -> list of str (one per row of docs);
            each value fits ``TAG_VALUE_BYTES`` and holds no control character.
        warnings: int32 (n, 4) layout warnings (doc row in batch, element, code, detail).
        images: the job's images (:class:`ccmcore.images.Image`), indexed by IMAGE items.
        overlays: the job's overlays (:class:`Overlay`), indexed by OVERLAY items.
        messages: (record, message name) of each message placed in this batch.
        struct: int32 (n_items, STRUCT_FIELDS): per item what it shows in the document's
            structure (see :data:`STRUCT_FIELDS`), for tagged PDF; None when not known.
    """

    items: np.ndarray
    gids: np.ndarray
    advances: np.ndarray
    text: bytes
    pages: np.ndarray
    docs: np.ndarray
    fonts: list = field(default_factory=list)
    templates: list = field(default_factory=list)
    media: list = field(default_factory=list)
    tags: dict = field(default_factory=dict)
    warnings: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int32))
    images: list = field(default_factory=list)
    overlays: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    struct: np.ndarray | None = None

    @classmethod
    def from_layout(cls, res: Mapping[str, Any], **resources: Any) -> DisplayList:
        """The display list of one kernel ``layout()`` result, with the job's resources."""
        return cls(
            res["items"],
            res["gids"],
            res["advances"],
            res["text"],
            res["pages"],
            res["docs"],
            struct=res.get("struct"),
            **resources,
        )

    @property
    def page_count(self) -> int:
        return int(self.pages.shape[0])

    @property
    def doc_count(self) -> int:
        return int(self.docs.shape[0])

    def arrays(self) -> DisplayArrays:
        """The arrays as :meth:`check` gives them, without checking: for display lists the
        layout kernel made (a job's encoders take thousands a second)."""
        items = np.ascontiguousarray(self.items, dtype=np.int32).reshape(-1, ITEM_FIELDS)
        glyph_rows = np.flatnonzero(items[:, KIND] == GLYPHS)
        return DisplayArrays(
            items,
            np.ascontiguousarray(self.gids, dtype=np.uint16).reshape(-1),
            np.ascontiguousarray(self.advances, dtype=np.int32).reshape(-1),
            np.frombuffer(bytes(self.text), dtype=np.uint8),
            np.ascontiguousarray(self.pages, dtype=np.int64).reshape(-1, PAGE_FIELDS),
            np.asarray(self.docs, dtype=np.int64).reshape(-1, DOC_FIELDS),
            glyph_rows,
            items[glyph_rows, FONT],
        )

    def check(self, *, text: bool = True, image_size: bool = True) -> DisplayArrays:
        """Check the display list's structure, as a backend needs before it writes a byte.

        Checks that glyph ids and advances pair up, that the slices of GLYPHS items (into
        ``gids``/``advances`` and, with ``text``, into ``text``), of pages (into ``items``)
        and of documents (into ``pages``) lie inside their arrays, that GLYPHS items name
        one of ``fonts``, that pages have a size, and that IMAGE and OVERLAY items name an
        :class:`ccmcore.images.Image` / :class:`Overlay` of ``images`` / ``overlays``.

        Args:
            text: also check the GLYPHS items' text slices (for backends that write text).
            image_size: also require a positive width and height of IMAGE items (a
                backend that skips empty images passes False).

        Returns:
            :class:`DisplayArrays`: the arrays in the dtypes and layout the compiled
            backends take (views where they already are), the GLYPHS rows and their fonts.

        Raises:
            ValueError: the first inconsistency found, described.
        """
        items = np.ascontiguousarray(self.items, dtype=np.int32).reshape(-1, ITEM_FIELDS)
        gids = np.ascontiguousarray(self.gids, dtype=np.uint16).reshape(-1)
        advances = np.ascontiguousarray(self.advances, dtype=np.int32).reshape(-1)
        text_arr = np.frombuffer(bytes(self.text), dtype=np.uint8)
        pages = np.ascontiguousarray(self.pages, dtype=np.int64).reshape(-1, PAGE_FIELDS)
        docs = np.asarray(self.docs, dtype=np.int64).reshape(-1, DOC_FIELDS)
        kinds = items[:, KIND]
        glyph_rows = np.flatnonzero(kinds == GLYPHS)
        if len(gids) != len(advances):
            raise ValueError(f"display list has {len(gids)} glyph ids but {len(advances)} advances")
        if self.struct is not None and np.shape(self.struct) != (len(items), STRUCT_FIELDS):
            raise ValueError(f"display list struct must have one row of {STRUCT_FIELDS} per item")
        if len(glyph_rows):
            g0 = items[glyph_rows, G0].astype(np.int64)
            gn = items[glyph_rows, GN].astype(np.int64)
            if (g0 < 0).any() or (gn < 0).any() or (g0 + gn > len(gids)).any():
                raise ValueError("a GLYPHS item's glyph slice lies outside the display list's gids")
            if text:
                t0 = items[glyph_rows, T0].astype(np.int64)
                tn = items[glyph_rows, TN].astype(np.int64)
                if (t0 < 0).any() or (tn < 0).any() or (t0 + tn > len(text_arr)).any():
                    raise ValueError("a GLYPHS item's text slice lies outside the display list's text")
        glyph_fonts = items[glyph_rows, FONT]
        if len(glyph_fonts):
            lo, hi = int(glyph_fonts.min()), int(glyph_fonts.max())
            if lo < 0 or hi >= len(self.fonts):
                raise ValueError(
                    f"a GLYPHS item uses font index {lo if lo < 0 else hi}, "
                    f"but the display list has {len(self.fonts)} font(s)"
                )
        if len(pages):
            i0, n = pages[:, I0], pages[:, IN]
            if (i0 < 0).any() or (n < 0).any() or (i0 + n > len(items)).any():
                raise ValueError("a page's item slice lies outside the display list's items")
            if (pages[:, WIDTH] <= 0).any() or (pages[:, HEIGHT] <= 0).any():
                raise ValueError("every page needs a positive WIDTH and HEIGHT")
        if len(docs):
            p0, pn = docs[:, P0], docs[:, PN]
            if (p0 < 0).any() or (pn < 0).any() or (p0 + pn > len(pages)).any():
                raise ValueError("a document's page slice lies outside the display list's pages")
        for kind, objs, cls in ((IMAGE, self.images, Image), (OVERLAY, self.overlays, Overlay)):
            rows = items[kinds == kind]
            if not len(rows):
                continue
            name = _KIND_NAMES[kind].upper()
            col = rows[:, FONT]
            lo, hi = int(col.min()), int(col.max())
            if lo < 0 or hi >= len(objs):
                raise ValueError(
                    f"an {name} item uses index {lo if lo < 0 else hi}, "
                    f"but the display list has {len(objs)} {_KIND_NAMES[kind]}s"
                )
            for i in np.unique(col).tolist():
                if not isinstance(objs[i], cls):
                    raise ValueError(f"display list {name.lower()}s[{i}] is not a {cls.__module__}.{cls.__name__}")
            if image_size and kind == IMAGE and ((rows[:, W] <= 0).any() or (rows[:, H] <= 0).any()):
                raise ValueError("an IMAGE item needs a positive width and height")
        return DisplayArrays(items, gids, advances, text_arr, pages, docs, glyph_rows, glyph_fonts)

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
                    f"  page {row[NUMBER]}/{row[COUNT]} template={tname} size={_pt(row[WIDTH])}x{_pt(row[HEIGHT])}pt"
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


class Extent(NamedTuple):
    """Where a backend wrote one document: what it returns per document instead of
    forgetting it (the job's manifest, reconciliation and the archive index read these)."""

    record: int  #: input record number
    first_page: int  #: 0-based number of its first page in the file
    pages: int  #: its pages (blank backs included)
    offset: int  #: byte offset of its first byte in the file
    length: int  #: its bytes


@dataclass(frozen=True, eq=False)
class JobResources:
    """The fonts, images and overlays of a job, registered once when the template is
    compiled: display lists index them, and a backend stores each once however many
    parts and processes draw with it. Fonts and images that only overlays use are here
    too, after the pages' own.

    Attributes:
        fonts: :class:`ccmcore.fonts.Font` objects.
        images: :class:`ccmcore.images.Image` objects (distinct by ``key``).
        overlays: :class:`Overlay` objects.
    """

    fonts: tuple = ()
    images: tuple = ()
    overlays: tuple = ()

    @classmethod
    def of(cls, fonts, images, overlays) -> JobResources:
        """The resources of pages drawing with these, plus what their overlays draw with."""
        fs, ims = list(fonts), list(images)
        seen_f, seen_i = {id(f) for f in fs}, {im.key for im in ims}
        for ov in overlays:
            for f in ov.content.fonts:
                if id(f) not in seen_f:
                    seen_f.add(id(f))
                    fs.append(f)
            for im in ov.content.images:
                if im.key not in seen_i:
                    seen_i.add(im.key)
                    ims.append(im)
        return cls(tuple(fs), tuple(ims), tuple(overlays))

    def indices(self, objs, what: str) -> np.ndarray:
        """Per entry of a display list's ``fonts``, ``images`` or ``overlays`` (``what``:
        "font", "image", "overlay") its index among the job's: fonts and overlays are
        matched by identity, images by content.

        Raises:
            ValueError: an entry is not one of the job's.
        """
        values = {"font": self.fonts, "image": self.images, "overlay": self.overlays}[what]
        key = (lambda im: im.key) if what == "image" else id
        where = {key(v): i for i, v in enumerate(values)}
        out = np.empty(len(objs), dtype=np.int32)
        for i, o in enumerate(objs):
            j = where.get(key(o))
            if j is None:
                raise ValueError(f"display list {what} {i} is not one of the job's {what}s")
            out[i] = j
        return out


def resource_uses(items: np.ndarray, pages: np.ndarray) -> np.ndarray:
    """(document row, IMAGE or OVERLAY, index) of every image and overlay each document of
    checked display-list arrays draws, sorted: where a backend joining documents stores a
    resource (before the first document that draws it)."""
    rows = np.flatnonzero((items[:, KIND] == IMAGE) | (items[:, KIND] == OVERLAY))
    if not len(rows):
        return np.zeros((0, 3), dtype=np.int64)
    # the page whose item slice holds the row (an empty page shares its I0 with the next)
    page_of = np.searchsorted(pages[:, I0], rows, side="right") - 1
    out = np.stack([pages[page_of, DOC], items[rows, KIND], items[rows, FONT]], axis=1).astype(np.int64)
    return np.unique(out, axis=0)


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


def pages_kept(dl: DisplayList, bad_docs) -> dict[int, int]:
    """Page row -> its row once :func:`rebuild` has left out the documents ``bad_docs``."""
    kept = np.flatnonzero(~np.isin(dl.pages[:, DOC], list(bad_docs)))
    return {int(old): new for new, old in enumerate(kept.tolist())}


def rebuild(dl: DisplayList, per_page: list | None, bad_docs: set) -> DisplayList:
    """dl with extra items appended to pages (per_page[p]: arrays of item rows, or None)
    and the documents in bad_docs (rows of dl.docs) left out.

    An extra array may come as (item rows, struct rows); without struct rows its items
    are tagged as fixed content of no element."""
    pieces = []
    struct_pieces: list[np.ndarray] = []
    tagged = dl.struct is not None
    pages: list[np.ndarray] = []
    docs: list[list[int]] = []
    doc_map: dict[int, int] = {}
    cursor = 0
    for p in range(dl.page_count):
        row = dl.pages[p].copy()
        d = int(row[DOC])
        if d in bad_docs:
            continue
        if d not in doc_map:
            doc_map[d] = len(docs)
            docs.append([dl.docs[d][0], len(pages), dl.docs[d][2]])
        i0, n = int(row[I0]), int(row[IN])
        pieces.append(dl.items[i0 : i0 + n])
        if dl.struct is not None:
            struct_pieces.append(dl.struct[i0 : i0 + n])
        added = 0
        for extra in per_page[p] if per_page else ():
            rects, tags = extra if isinstance(extra, tuple) else (extra, None)
            pieces.append(rects)
            if tagged:
                if tags is None:
                    tags = np.tile(np.array([-1, TAG_FIXED, -1, -1], np.int32), (len(rects), 1))
                struct_pieces.append(tags)
            added += len(rects)
        row[DOC] = doc_map[d]
        row[I0] = cursor
        row[IN] = n + added
        cursor += n + added
        pages.append(row)
    keep = [d for d in range(dl.doc_count) if d not in bad_docs]
    dl.items = (
        np.ascontiguousarray(np.concatenate(pieces).astype(np.int32, copy=False))
        if pieces
        else np.zeros((0, ITEM_FIELDS), np.int32)
    )
    if tagged:
        dl.struct = (
            np.ascontiguousarray(np.concatenate(struct_pieces).astype(np.int32, copy=False))
            if struct_pieces
            else np.zeros((0, STRUCT_FIELDS), np.int32)
        )
    dl.pages = np.array(pages, dtype=np.int32).reshape(-1, dl.pages.shape[1])
    dl.docs = np.array(docs, dtype=np.int64).reshape(-1, 3)
    for tag, values in dl.tags.items():
        dl.tags[tag] = [values[d] for d in keep]
    return dl
