"""Internal: the streaming PDF writer (public name re-exported by ccmcore.pdf).

Pages go to the file as each display list arrives; only per-page object numbers and
offsets stay in memory (two array('q') entries a page). Object numbers for the page
tree root and the shared resources dictionary are fixed up front so every page can
point at them; fonts, the page tree and the cross-reference table follow at close().

Images and overlays are XObjects stored once per job: an image (keyed by its content
hash) or an overlay (keyed by the Overlay object) is written the first time a batch
uses it, just before that batch's pages, and named in the shared resources dictionary
(/ImN, /OvN) written at close(). An overlay is a Form XObject in the page's millipoint
space (/BBox [0 0 width height] in millipoints, identity /Matrix) whose /Resources is
that same shared dictionary, so the glyphs it shows go into the job's font subsets.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from datetime import datetime, timezone

import numpy as np
from isal import isal_zlib

from ..display import FONT as _FONT
from ..display import HEIGHT as _HEIGHT
from ..display import I0 as _I0
from ..display import IMAGE, OVERLAY, DisplayList, Overlay
from ..display import IN as _IN
from ..display import KIND as _KIND
from ..display import P0 as _P0
from ..display import PN as _PN
from ..display import WIDTH as _WIDTH
from ..errors import EmptyJobError
from ..images import Image
from ._content import ContentBuilder
from .fonts import font_objects, pdf_widths
from .images import encode_image

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
        self._path: str | None = None
        if isinstance(fileobj, (str, os.PathLike)):
            self._path = os.fspath(fileobj)
            self._f = open(self._path, "wb")
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
        # XObjects of the job: /ImN and /OvN name entry N of these object-number lists
        self._image_objs = array("q")
        self._image_num: dict[str, int] = {}  # Image.key -> N
        self._overlay_objs = array("q")
        self._overlay_num: dict[int, int] = {}  # id(Overlay) -> N
        self._overlays_held: list[Overlay] = []  # so an id cannot be reused by another object
        self._overlays_open: set[int] = set()  # overlays being built (a cycle is an error)
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
        assert self._level is not None  # used only when streams are compressed
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
            font_col: the FONT column of the GLYPHS items (checked: indices into dl.fonts).
        """
        font_map = np.full(len(dl.fonts), -1, dtype=np.int32)
        if not len(font_col):
            return font_map
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

    def _rebuild_builder(self) -> ContentBuilder:
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
        return self._builder

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
                shapes, font, image or overlay indices, glyph or item slices out of range,
                page sizes, an overlay that is not one page or contains itself).
            ImageError: a JPEG's markers are malformed.
        """
        if self._closed:
            raise ValueError("write() on a closed PdfWriter")
        if self._broken:
            raise ValueError("an earlier write() failed part-way; this PDF cannot be finished")
        # the text is not needed (ToUnicode maps glyphs); empty images are skipped when drawn
        items, gids, advances, _, pages, docs, _, glyph_fonts = dl.check(text=False, image_size=False)
        # images and overlays first: building an overlay binds its own items and may add fonts
        image_map, overlay_map, overlay_height = self._use_xobjects(dl, items)
        font_map = self._register_fonts(dl, glyph_fonts)
        builder = self._builder
        if builder is None:
            builder = self._rebuild_builder()
        builder.bind(items, gids, advances, font_map, image_map, overlay_map, overlay_height)

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
        for p0, _ in docs[:, [_P0, _PN]].tolist():
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
                pnum,
                leaf,
                box,
                resources,
                pnum + 1,
            )
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

    # ------------------------------------------------------------------ images and overlays

    def _use_xobjects(self, dl: DisplayList, items: np.ndarray):
        """(image_map, overlay_map, overlay_height) for a checked display list, writing the
        images and overlays the job has not stored yet."""
        image_map = np.full(len(dl.images), -1, dtype=np.int32)
        for i in np.unique(items[items[:, _KIND] == IMAGE, _FONT]).tolist():
            image_map[i] = self._image(dl.images[i])
        overlay_map = np.full(len(dl.overlays), -1, dtype=np.int32)
        overlay_height = np.zeros(len(dl.overlays), dtype=np.int32)
        for i in np.unique(items[items[:, _KIND] == OVERLAY, _FONT]).tolist():
            ov = dl.overlays[i]
            overlay_map[i] = self._overlay(ov)
            overlay_height[i] = ov.height
        return image_map, overlay_map, overlay_height

    def _store(self, count: int, make) -> list[int]:
        """Write ``count`` new objects in one piece; ``make(nums)`` gives their bodies."""
        nums = [self._alloc() for _ in range(count)]
        try:
            bodies = make(nums)
        except BaseException:
            del self._offsets[-count:]  # nothing written: hand the numbers back
            raise
        chunks = []
        pos = self._pos
        for num, body in zip(nums, bodies):
            chunk = b"%d 0 obj\n%s\nendobj\n" % (num, body)
            self._offsets[num] = pos
            pos += len(chunk)
            chunks.append(chunk)
        try:
            self._emit(b"".join(chunks))
        except BaseException:
            self._broken = True  # numbers handed out, bytes maybe half written
            raise
        return nums

    def _image(self, image: Image) -> int:
        """The job image number (/ImN) of an image, writing it on first use."""
        n = self._image_num.get(image.key)
        if n is not None:
            return n
        enc = encode_image(image, self._level)
        if enc.smask is None:
            num = self._store(1, lambda nums: enc.bodies(None))[0]
        else:
            num = self._store(2, lambda nums: enc.bodies(nums[1]))[0]  # the image, then its mask
        n = self._image_num[image.key] = len(self._image_objs)
        self._image_objs.append(num)
        return n

    def _overlay(self, ov: Overlay) -> int:
        """The job overlay number (/OvN) of an overlay, writing its Form XObject on first use."""
        n = self._overlay_num.get(id(ov))
        if n is not None:
            return n
        if id(ov) in self._overlays_open:
            raise ValueError(f"overlay {ov.name!r} contains itself")
        if ov.width <= 0 or ov.height <= 0:
            raise ValueError(f"overlay {ov.name!r} needs a positive width and height, not {ov.width}x{ov.height}")
        c = ov.content
        try:
            items, gids, advances, _, pages, docs, _, glyph_fonts = c.check(text=False, image_size=False)
        except ValueError as exc:
            raise ValueError(f"overlay {ov.name!r}: {exc}") from None
        if len(pages) != 1:
            raise ValueError(f"overlay {ov.name!r} must hold exactly one page, not {len(pages)}")
        self._overlays_open.add(id(ov))
        try:
            image_map, overlay_map, overlay_height = self._use_xobjects(c, items)
        finally:
            self._overlays_open.discard(id(ov))
        font_map = self._register_fonts(c, glyph_fonts)
        builder = self._builder
        if builder is None:
            builder = self._rebuild_builder()
        builder.bind(items, gids, advances, font_map, image_map, overlay_map, overlay_height)
        i0, n_items = int(pages[0, _I0]), int(pages[0, _IN])
        data = builder.page(i0, n_items, ov.height, False)
        head = b"/Type/XObject/Subtype/Form/BBox[0 0 %d %d]/Resources %d 0 R" % (ov.width, ov.height, self._resources)
        if self._level is not None:
            data = isal_zlib.compress(data, self._level)
            head += b"/Filter/FlateDecode"
        body = b"<<%s/Length %d>>\nstream\n%s\nendstream" % (head, len(data), data)
        num = self._store(1, lambda nums: [body])[0]
        n = self._overlay_num[id(ov)] = len(self._overlay_objs)
        self._overlay_objs.append(num)
        self._overlays_held.append(ov)
        return n

    # ------------------------------------------------------------------ finishing

    def close(self) -> None:
        """Write fonts, resources, page tree, info, cross-reference table and trailer.

        Closes the file if the writer opened it. Calling close() again does nothing.

        Raises:
            EmptyJobError: no page was written (a file the writer opened is removed; a file
                object holds only the unfinished header).
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
        if not self._page_objs:
            # a PDF without pages is invalid (readers refuse it): make none rather than finish one
            if self._owns_file:
                self._f.close()
                assert self._path is not None  # the writer opened the file at this path
                os.unlink(self._path)
            raise EmptyJobError("no page was written, and a PDF needs one: no file was made")
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
        xobjects = b"".join(b"/Im%d %d 0 R" % ref for ref in enumerate(self._image_objs))
        xobjects += b"".join(b"/Ov%d %d 0 R" % ref for ref in enumerate(self._overlay_objs))
        self._object(
            self._resources,
            b"<</Font<<%s>>%s/ProcSet[/PDF/Text%s]>>"
            % (
                fonts,
                b"/XObject<<%s>>" % xobjects if xobjects else b"",
                b"/ImageB/ImageC" if self._image_objs else b"",
            ),
        )

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
            size,
            catalog,
            b"/Info %d 0 R" % info_num if info_num else b"",
            doc_id,
            doc_id,
            xref_pos,
        )
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

    def __enter__(self) -> PdfWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        """Give up: leave the file unfinished (no cross-reference table, no trailer), so it
        cannot pass as complete, and close it if the writer opened it. Calling it again
        does nothing."""
        if self._closed:
            return
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
