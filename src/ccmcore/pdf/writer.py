"""Internal: the streaming PDF writer (public name re-exported by ccmcore.pdf).

Pages go to the file as each display list arrives; only per-page object numbers and
offsets stay in memory (two array('q') entries a page). Object numbers for the page
tree root and the shared resources dictionary are fixed up front so every page can
point at them; fonts, the page tree and the cross-reference table follow at close().
"""

from __future__ import annotations

import hashlib
import os
from array import array
from datetime import datetime, timezone

import numpy as np
from isal import isal_zlib

from ..display import (
    DOC_FIELDS,
    GLYPHS,
    ITEM_FIELDS,
    PAGE_FIELDS,
    DisplayList,
)
from ..display import FONT as _FONT, G0 as _G0, GN as _GN, KIND as _KIND
from ..display import HEIGHT as _HEIGHT, I0 as _I0, IN as _IN, WIDTH as _WIDTH
from ..display import P0 as _P0, PN as _PN
from ._content import ContentBuilder
from .fonts import font_objects, pdf_widths

__all__ = ["PdfWriter"]

#: kids per /Pages node; a balanced tree keeps viewers' page lookups logarithmic
FANOUT = 256

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


class _JobFont:
    """One font of the job: its PDF widths and the glyphs pages used."""

    __slots__ = ("font", "widths", "used")

    def __init__(self, font):
        self.font = font  # held so id(font) cannot be reused by another object
        self.widths = pdf_widths(font)
        self.used = np.zeros(len(self.widths), dtype=np.uint8)


class PdfWriter:
    """Writes display lists to one PDF file as they come, pages first, fonts at the end.

    Args:
        fileobj: a binary file object with ``write`` (not necessarily seekable), or a
            path, which the writer opens and closes itself.
        title: /Title of the document information dictionary.
        author: /Author.
        producer: /Producer (None to leave it out).
        compress_level: isal deflate level 0-3 for content streams and fonts, or None
            for uncompressed streams (for debugging).
        creation_date: a datetime for /CreationDate; left out by default so the same
            input gives the same bytes.

    Raises:
        ValueError: compress_level is not None or 0-3.

    The file is only a complete PDF after :meth:`close`; a job that stops before leaves a
    file without cross-reference table or trailer, which readers reject rather than show
    as a shorter document. Used as a context manager, the writer closes on success and
    leaves the file unfinished when the block raises.
    """

    def __init__(
        self,
        fileobj,
        *,
        title: str | None = None,
        author: str | None = None,
        producer: str | None = "ccmcore",
        compress_level: int | None = 1,
        creation_date: datetime | None = None,
    ):
        if compress_level is not None and compress_level not in (0, 1, 2, 3):
            raise ValueError(f"compress_level must be 0-3 or None, not {compress_level!r}")
        if isinstance(fileobj, (str, os.PathLike)):
            self._f = open(fileobj, "wb")
            self._owns_file = True
        else:
            self._f = fileobj
            self._owns_file = False
        self._level = compress_level
        self._info = {"Title": title, "Author": author, "Producer": producer}
        self._creation_date = creation_date
        self._md5 = hashlib.md5()
        self._pos = 0
        self._closed = False
        self._broken = False
        # object number -> byte offset (0 until written); entry 0 is the free-list head
        self._offsets = array("q", [0])
        self._page_objs = array("q")
        self._leaves = array("q")
        self._fonts: list[_JobFont] = []
        self._font_slot: dict[int, int] = {}
        self._builder: ContentBuilder | None = None
        self._mediabox: dict[tuple[int, int], bytes] = {}
        self._root = self._alloc()
        self._resources = self._alloc()
        self._emit(_HEADER)

    # ------------------------------------------------------------------ plumbing

    def _alloc(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _emit(self, data: bytes) -> None:
        self._f.write(data)
        self._md5.update(data)
        self._pos += len(data)

    def _object(self, num: int, body: bytes) -> None:
        self._offsets[num] = self._pos
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    def _compress(self, data: bytes) -> bytes:
        return isal_zlib.compress(data, self._level)

    @property
    def page_count(self) -> int:
        """Pages written so far."""
        return len(self._page_objs)

    @property
    def tell(self) -> int:
        """Bytes written so far."""
        return self._pos

    # ------------------------------------------------------------------ fonts

    def _register_fonts(self, dl: DisplayList, font_col: np.ndarray) -> np.ndarray:
        """Job font numbers for the display list's font indices (-1: not drawn with).

        Args:
            font_col: the FONT column of the GLYPHS items.
        """
        font_map = np.full(len(dl.fonts), -1, dtype=np.int32)
        if not len(font_col):
            return font_map
        lo, hi = int(font_col.min()), int(font_col.max())
        if lo < 0 or hi >= len(dl.fonts):
            raise ValueError(f"a GLYPHS item uses font index {lo if lo < 0 else hi}, "
                             f"but the display list has {len(dl.fonts)} font(s)")
        present = np.zeros(len(dl.fonts), dtype=bool)
        present[font_col] = True
        added = False
        for i in np.flatnonzero(present).tolist():
            font = dl.fonts[i]
            slot = self._font_slot.get(id(font))
            if slot is None:
                slot = len(self._fonts)
                self._fonts.append(_JobFont(font))
                self._font_slot[id(font)] = slot
                added = True
            font_map[i] = slot
        if added or self._builder is None:
            self._rebuild_builder()
        return font_map

    def _rebuild_builder(self) -> None:
        # one concatenated table for the C loops; the per-font arrays become views of it so
        # the used-glyph flags the loops set land in each font's own array
        widths = np.concatenate([jf.widths for jf in self._fonts]) if self._fonts else np.zeros(0, np.int32)
        used = np.concatenate([jf.used for jf in self._fonts]) if self._fonts else np.zeros(0, np.uint8)
        lens = np.array([len(jf.widths) for jf in self._fonts], dtype=np.int32)
        off = np.zeros(len(self._fonts), dtype=np.int64)
        if len(lens) > 1:
            off[1:] = np.cumsum(lens[:-1])
        for jf, o, n in zip(self._fonts, off.tolist(), lens.tolist()):
            jf.used = used[o : o + n]
        self._builder = ContentBuilder(widths, off, lens, used)

    # ------------------------------------------------------------------ pages

    def write(self, dl: DisplayList) -> list[tuple[int, int]]:
        """Write every page of a display list now.

        Args:
            dl: one batch of laid-out documents.

        Returns:
            Per row of ``dl.docs``: (0-based number of its first page in the job, byte
            offset of its first page object). A document's pages and their content
            streams lie between its offset and the next document's.

        Raises:
            ValueError: the writer is closed, or the display list is inconsistent (array
                shapes, font indices, glyph or item slices out of range, page sizes).
        """
        if self._closed:
            raise ValueError("write() on a closed PdfWriter")
        if self._broken:
            raise ValueError("an earlier write() failed part-way; this PDF cannot be finished")
        items = np.ascontiguousarray(dl.items, dtype=np.int32).reshape(-1, ITEM_FIELDS)
        gids = np.ascontiguousarray(dl.gids, dtype=np.uint16).reshape(-1)
        advances = np.ascontiguousarray(dl.advances, dtype=np.int32).reshape(-1)
        pages = np.ascontiguousarray(dl.pages, dtype=np.int64).reshape(-1, PAGE_FIELDS)
        docs = np.asarray(dl.docs, dtype=np.int64).reshape(-1, DOC_FIELDS)
        glyph_rows = np.flatnonzero(items[:, _KIND] == GLYPHS)
        self._check(items, glyph_rows, gids, advances, pages, docs)
        font_map = self._register_fonts(dl, items[glyph_rows, _FONT])
        builder = self._builder
        if builder is None:
            self._rebuild_builder()
            builder = self._builder
        builder.bind(items, gids, advances, font_map)

        first_page = len(self._page_objs)
        page_offsets = array("q")
        try:
            pos = self._write_pages(builder, pages, page_offsets)
        except BaseException:
            # object numbers and offsets of pages not on disk are recorded: this file
            # can no longer be finished correctly
            self._broken = True
            raise

        result = []
        for p0, pn in docs[:, [_P0, _PN]].tolist():
            # a document without pages gets the offset where its first page would be
            result.append((first_page + p0, page_offsets[p0] if p0 < len(page_offsets) else pos))
        return result

    def _write_pages(self, builder: ContentBuilder, pages: np.ndarray, page_offsets: array) -> int:
        """Page and content stream objects for each page row; returns the end offset."""
        parts: list[bytes] = []
        pending = 0
        pos = self._pos
        offsets = self._offsets
        page_objs = self._page_objs
        leaves = self._leaves
        level = self._level
        resources = self._resources
        mediabox = self._mediabox
        compress = isal_zlib.compress
        for w, h, i0, n in pages[:, [_WIDTH, _HEIGHT, _I0, _IN]].tolist():
            if len(page_objs) % FANOUT == 0:
                offsets.append(0)
                leaves.append(len(offsets) - 1)
            leaf = leaves[-1]
            pnum = len(offsets)
            offsets.append(pos)  # the page object starts here
            offsets.append(0)
            page_objs.append(pnum)
            page_offsets.append(pos)
            box = mediabox.get((w, h))
            if box is None:
                if len(mediabox) > 256:
                    mediabox.clear()
                box = mediabox[(w, h)] = b"[0 0 %s %s]" % (_num(w), _num(h))
            data = builder.page(i0, n, h)
            if level is None:
                head = b"<</Length %d>>" % len(data)
            else:
                data = compress(data, level)
                head = b"<</Length %d/Filter/FlateDecode>>" % len(data)
            page = b"%d 0 obj\n<</Type/Page/Parent %d 0 R/MediaBox%s/Resources %d 0 R/Contents %d 0 R>>\nendobj\n" % (
                pnum, leaf, box, resources, pnum + 1)
            pos += len(page)
            offsets[pnum + 1] = pos
            head = b"%d 0 obj\n%s\nstream\n" % (pnum + 1, head)
            parts += (page, head, data, b"\nendstream\nendobj\n")
            size = len(head) + len(data) + 18
            pos += size
            pending += len(page) + size
            # one write per megabyte: few system calls, bounded buffering
            if pending >= 1 << 20:
                self._emit(b"".join(parts))
                parts.clear()
                pending = 0
        if parts:
            self._emit(b"".join(parts))
        if self._pos != pos:
            raise AssertionError("PDF writer offset bookkeeping is off")
        return pos

    @staticmethod
    def _check(items, glyph_rows, gids, advances, pages, docs) -> None:
        if len(gids) != len(advances):
            raise ValueError(f"display list has {len(gids)} glyph ids but {len(advances)} advances")
        if len(glyph_rows):
            g0 = items[glyph_rows, _G0].astype(np.int64)
            gn = items[glyph_rows, _GN].astype(np.int64)
            if (g0 < 0).any() or (gn < 0).any() or (g0 + gn > len(gids)).any():
                raise ValueError("a GLYPHS item's glyph slice lies outside the display list's gids")
        if len(pages):
            i0, n = pages[:, _I0], pages[:, _IN]
            if (i0 < 0).any() or (n < 0).any() or (i0 + n > len(items)).any():
                raise ValueError("a page's item slice lies outside the display list's items")
            if (pages[:, _WIDTH] <= 0).any() or (pages[:, _HEIGHT] <= 0).any():
                raise ValueError("every page needs a positive WIDTH and HEIGHT")
        if len(docs):
            p0, pn = docs[:, _P0], docs[:, _PN]
            if (p0 < 0).any() or (pn < 0).any() or (p0 + pn > len(pages)).any():
                raise ValueError("a document's page slice lies outside the display list's pages")

    # ------------------------------------------------------------------ finishing

    def close(self) -> None:
        """Write fonts, resources, page tree, info, cross-reference table and trailer.

        Closes the file if the writer opened it. Calling close() again does nothing.

        Raises:
            FontError: a font cannot be subset (the file is left without trailer).
            ValueError: an earlier write() failed part-way (the file is left unfinished).
        """
        if self._closed:
            return
        self._closed = True
        if self._broken:
            if self._owns_file:
                self._f.close()
            raise ValueError("an earlier write() failed part-way; the PDF was left unfinished")
        compress = None if self._level is None else self._compress

        # fonts: only those some page drew glyphs with
        font_refs: list[tuple[int, int]] = []
        for slot, jf in enumerate(self._fonts):
            if not jf.used.any():
                continue
            _, makers = font_objects(jf.font, jf.used, compress)
            nums = [self._alloc() for _ in makers]
            for num, make in zip(nums, makers):
                self._object(num, make(nums))
            font_refs.append((slot, nums[0]))
        fonts = b"".join(b"/F%d %d 0 R" % ref for ref in font_refs)
        self._object(self._resources, b"<</Font<<%s>>/ProcSet[/PDF/Text]>>" % fonts)

        self._write_page_tree()

        info = self._info_dict()
        info_num = None
        if info:
            info_num = self._alloc()
            self._object(info_num, info)
        catalog = self._alloc()
        self._object(catalog, b"<</Type/Catalog/Pages %d 0 R>>" % self._root)

        xref_pos = self._pos
        size = len(self._offsets)
        missing = [i for i in range(1, size) if self._offsets[i] == 0]
        if missing:  # an object number handed out but never written: a bug here, not input
            raise AssertionError(f"PDF objects reserved but not written: {missing[:10]}")
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        xref.extend(b"%010d 00000 n \n" % o for o in self._offsets[1:])
        self._emit(b"".join(xref))
        doc_id = self._md5.hexdigest().upper().encode()
        trailer = b"trailer\n<</Size %d/Root %d 0 R%s/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n" % (
            size, catalog, b"/Info %d 0 R" % info_num if info_num else b"", doc_id, doc_id, xref_pos)
        self._emit(trailer)
        flush = getattr(self._f, "flush", None)
        if flush is not None:
            flush()
        if self._owns_file:
            self._f.close()

    def _write_page_tree(self) -> None:
        total = len(self._page_objs)
        # level 0: leaves over pages; each higher level groups FANOUT nodes until the root fits
        nodes = [(self._leaves[i], min(FANOUT, total - i * FANOUT)) for i in range(len(self._leaves))]
        kids_of: dict[int, list[tuple[int, int]]] = {}
        while len(nodes) > FANOUT:
            upper = []
            for k in range(0, len(nodes), FANOUT):
                group = nodes[k : k + FANOUT]
                num = self._alloc()
                kids_of[num] = group
                upper.append((num, sum(c for _, c in group)))
            nodes = upper
        kids_of[self._root] = nodes
        parent: dict[int, int] = {}
        for num, group in kids_of.items():
            for kid, _ in group:
                parent[kid] = num
        for i, leaf in enumerate(self._leaves):
            kids = self._page_objs[i * FANOUT : (i + 1) * FANOUT]
            refs = b" ".join(b"%d 0 R" % k for k in kids)
            self._object(leaf, b"<</Type/Pages/Parent %d 0 R/Kids[%s]/Count %d>>" % (parent[leaf], refs, len(kids)))
        for num, group in kids_of.items():
            refs = b" ".join(b"%d 0 R" % k for k, _ in group)
            count = sum(c for _, c in group)
            up = b"" if num == self._root else b"/Parent %d 0 R" % parent[num]
            self._object(num, b"<</Type/Pages%s/Kids[%s]/Count %d>>" % (up, refs, count))

    def _info_dict(self) -> bytes:
        entries = [b"/%s%s" % (k.encode(), _pdf_text(v)) for k, v in self._info.items() if v]
        if self._creation_date is not None:
            entries.append(b"/CreationDate" + _pdf_text(_pdf_date(self._creation_date)))
        return b"<<" + b"".join(entries) + b">>" if entries else b""

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> "PdfWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            # leave the file unfinished (no xref, no trailer) so it cannot pass as complete
            self._closed = True
            if self._owns_file:
                self._f.close()


def _num(mpt: int) -> bytes:
    """Millipoints as points, exact (at most three decimals)."""
    whole, frac = divmod(abs(int(mpt)), 1000)
    sign = b"-" if mpt < 0 else b""
    if not frac:
        return b"%s%d" % (sign, whole)
    return (b"%s%d.%03d" % (sign, whole, frac)).rstrip(b"0")


def _pdf_text(s: str) -> bytes:
    """A PDF text string: literal when plain ASCII, else UTF-16BE with a byte-order mark."""
    if all(32 <= ord(c) < 127 for c in s):
        return b"(" + s.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


def _pdf_date(d: datetime) -> str:
    if d.tzinfo is None:
        return d.strftime("D:%Y%m%d%H%M%S")
    off = d.utcoffset()
    d_utc = d.astimezone(timezone.utc) if off is None else d
    mins = int(off.total_seconds() // 60) if off is not None else 0
    if mins == 0:
        return d_utc.strftime("D:%Y%m%d%H%M%S") + "Z"
    sign = "+" if mins > 0 else "-"
    mins = abs(mins)
    return d.strftime("D:%Y%m%d%H%M%S") + f"{sign}{mins // 60:02d}'{mins % 60:02d}'"
