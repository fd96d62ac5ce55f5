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

Each document's bytes begin with a comment line ``%ccmcore-document RECORD`` and end with
its last page's content stream: :meth:`PdfWriter.write` returns each document's
:class:`~ccmcore.display.Extent` (first page, pages, byte range), and a reader (or
``ccm reconcile``) can cut the file into its documents again.

An archive copy can carry an outline and page labels (:meth:`PdfWriter.outline`): one
top-level outline item per document, opening its first page, and one page label range per
document, so a viewer numbers each document's pages from 1 rather than by their place in
the file. Both are written at close(), after the page tree, when every page object number
is known; a writer never asked for them writes the same bytes as before.

A job's parts are encoded apart from the file (:class:`PdfEncoder`, in worker processes)
and joined by one writer made with the job's resources (:meth:`PdfWriter.add`): fonts,
images and overlays then keep their job numbers (``/F3`` is job font 3 in every part), so
an encoded page is the same bytes wherever and by whichever process it was made.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from array import array
from datetime import datetime, timezone
from typing import Any, NamedTuple

import numpy as np
from isal import isal_zlib
from isal.isal_zlib import crc32

from ..display import FONT as _FONT
from ..display import HEIGHT as _HEIGHT
from ..display import I0 as _I0
from ..display import IMAGE, ITEM_FIELDS, OVERLAY, DisplayList, Extent, JobResources, Overlay, resource_uses
from ..display import IN as _IN
from ..display import KIND as _KIND
from ..display import PN as _PN
from ..display import RECORD as _RECORD
from ..display import WIDTH as _WIDTH
from ..errors import EmptyJobError
from ..images import Image
from ._content import ContentBuilder
from ._objects import page_objects
from .fonts import font_objects, pdf_widths
from .images import encode_image
from .pdfa import output_intent, pdf_standard, srgb_profile, xmp_packet
from .structure import MCID_FIELDS, NODE_FIELDS, TreeWriter, item_nodes

__all__ = ["PdfWriter", "PdfEncoder", "PdfPages", "FileStart", "file_start", "PackedFile"]

#: kids per /Pages node; a balanced tree keeps viewers' page lookups logarithmic
FANOUT = 256

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

#: (key, value) pairs per /PageLabels number tree node, and kids per node above: arrays
#: stay well under the 8,191 elements older readers allow
LABELS_FANOUT = 1024

#: objects per object stream: a reader looking one up inflates and parses its whole stream
OBJECT_STREAM_OBJECTS = 1000


class _JobFont:
    """One font of the job: its PDF widths and the glyphs pages used."""

    __slots__ = ("font", "widths", "used")

    def __init__(self, font, widths: np.ndarray | None = None):
        self.font = font  # held so id(font) cannot be reused by another object
        self.widths = pdf_widths(font) if widths is None else widths
        self.used = np.zeros(len(self.widths), dtype=np.uint8)


def _content_builder(fonts: list[_JobFont]) -> ContentBuilder:
    """A content builder over the fonts; the fonts' used-glyph arrays become views of the
    one table the C loops mark, so each font sees the glyphs drawn with it."""
    widths = np.concatenate([jf.widths for jf in fonts]) if fonts else np.zeros(0, np.int32)
    used = np.concatenate([jf.used for jf in fonts]) if fonts else np.zeros(0, np.uint8)
    lens = np.array([len(jf.widths) for jf in fonts], dtype=np.int32)
    off = np.zeros(len(fonts), dtype=np.int64)
    if len(lens) > 1:
        off[1:] = np.cumsum(lens[:-1])
    for jf, o, n in zip(fonts, off.tolist(), lens.tolist()):
        jf.used = used[o : o + n]
    return ContentBuilder(widths, off, lens, used)


def _encode_pages(
    builder: ContentBuilder, pages: np.ndarray, level: int | None, tagged: bool = False
) -> tuple[np.ndarray, bytes, np.ndarray]:
    """Content streams of the page rows: ((n, 3) width, height, stream length; the streams
    one after another; ``tagged``: the (page row, MCID, node) of every marked-content
    sequence written)."""
    sizes = np.zeros((len(pages), 3), dtype=np.int64)
    streams: list = []
    compress = isal_zlib.compress
    page = builder.page
    if tagged:
        builder.take_marked()  # from these pages on
    for k, (w, h, i0, n) in enumerate(pages[:, [_WIDTH, _HEIGHT, _I0, _IN]].tolist()):
        data = page(i0, n, h)
        if level is not None:
            data = compress(data, level)
        sizes[k] = (w, h, len(data))
        streams.append(data)
    return sizes, b"".join(streams), builder.take_marked() if tagged else _NO_MCIDS


_NO_NODES = np.zeros((0, NODE_FIELDS), np.int32)
_NO_MCIDS = np.zeros((0, MCID_FIELDS), np.int32)
_NO_LANGS = np.zeros((0, 16), np.uint8)


class PdfPages(NamedTuple):
    """One batch of documents encoded for PDF, apart from any file: what a part of a job
    holds and what :meth:`PdfWriter.add` writes.

    Attributes:
        records: int64 (n_docs,) the documents' record numbers.
        doc_pages: int64 (n_docs,) pages per document (consecutive in ``sizes``).
        sizes: int64 (n_pages, 3): width, height (mpt), length of the content stream.
        content: the content streams, one after another.
        uses: int64 (k, 3): (document row, IMAGE or OVERLAY, job index) of every image and
            overlay a document draws, sorted.
        used: uint8 flags of the glyphs drawn, per job font, one after another.
        nodes: int32 (k, NODE_FIELDS) the structure nodes of a tagged PDF's documents
            (see :mod:`ccmcore.pdf.structure`); none for an untagged one.
        mcids: int32 (m, MCID_FIELDS): (page row, MCID, node row) of each marked-content
            sequence the content streams hold.
        langs: uint8 (n_docs, 16): each document's language tag (ASCII, zero-padded), when
            a tagged PDF's documents each have theirs; none otherwise.
    """

    records: np.ndarray
    doc_pages: np.ndarray
    sizes: np.ndarray
    content: bytes | memoryview
    uses: np.ndarray
    used: np.ndarray
    nodes: np.ndarray = _NO_NODES
    mcids: np.ndarray = _NO_MCIDS
    langs: np.ndarray = _NO_LANGS


class PdfEncoder:
    """Encodes display lists into pages (:class:`PdfPages`) with the job's resources, apart
    from any file: the work of a job's worker processes.

    Args:
        resources: the job's :class:`~ccmcore.display.JobResources`.
        compress_level: as :class:`PdfWriter` takes it.
        structure: for a tagged PDF (PDF/UA), the template's
            :class:`~ccmcore.pdf.structure.Structure`: the pages then carry marked content
            and their structure nodes.
    """

    def __init__(self, resources: JobResources, *, compress_level: int | None = 1, structure=None):
        if compress_level is not None and compress_level not in (0, 1, 2, 3):
            raise ValueError(f"compress_level must be 0-3 or None, not {compress_level!r}")
        self._res = resources
        self._level = compress_level
        self._fonts = [_JobFont(f) for f in resources.fonts]
        self._builder = _content_builder(self._fonts)
        self._heights = np.array([ov.height for ov in resources.overlays], dtype=np.int32)
        self._maps: dict = {}
        self._structure = structure

    def _map(self, objs, what) -> np.ndarray:
        key = (what, id(objs), len(objs))
        hit = self._maps.get(key)
        if hit is None or hit[0] is not objs:
            hit = self._maps[key] = (objs, self._res.indices(objs, what))
        return hit[1]

    def encode(self, dl: DisplayList, *, trusted: bool = False) -> PdfPages:
        """The pages of a display list laid out with the job's resources (``trusted``: made
        by the layout kernel, so its structure is not checked again).

        Raises:
            ValueError: the display list is inconsistent, or uses a font, image or overlay
                that is not one of the job's.
        """
        items, gids, advances, _, pages, docs, _, _ = dl.arrays() if trusted else dl.check(text=False, image_size=False)
        font_map = self._map(dl.fonts, "font")
        image_map = self._map(dl.images, "image")
        overlay_map = self._map(dl.overlays, "overlay")
        heights = self._heights[overlay_map] if len(overlay_map) else np.zeros(0, np.int32)
        for jf in self._fonts:
            jf.used[:] = 0
        tagged = self._structure is not None
        nodes, node_roles = None, None
        node_rows = _NO_NODES
        if tagged:
            if dl.struct is None:
                raise ValueError("a tagged PDF needs display lists with structure tags (DisplayList.struct)")
            nodes, node_rows, node_roles = item_nodes(dl.struct, pages, self._structure)
        self._builder.bind(items, gids, advances, font_map, image_map, overlay_map, heights, nodes, node_roles)
        sizes, content, mcids = _encode_pages(self._builder, pages, self._level, tagged)
        uses = resource_uses(items, pages)
        if len(uses):
            img = uses[:, 1] == IMAGE
            uses[img, 2] = image_map[uses[img, 2]]
            uses[~img, 2] = overlay_map[uses[~img, 2]]
            uses = np.unique(uses, axis=0)
        used = np.concatenate([jf.used for jf in self._fonts]) if self._fonts else np.zeros(0, np.uint8)
        return PdfPages(
            docs[:, _RECORD].astype(np.int64),
            docs[:, _PN].astype(np.int64),
            sizes,
            content,
            uses,
            used,
            node_rows,
            mcids,
        )


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
        resources: the job's :class:`~ccmcore.display.JobResources`: fonts, images and
            overlays keep their job numbers, and :meth:`add` takes pages encoded by a
            :class:`PdfEncoder`. None: numbered as display lists first use them.
        standard: "pdfa-2b" or "pdfa-3b" for a PDF/A file (XMP metadata repeating the
            Info entries, the sRGB output intent; see :mod:`ccmcore.pdf.pdfa`), None for
            a plain PDF.
        structure: for a standard with PDF/UA, the template's
            :class:`~ccmcore.pdf.structure.Structure`: pages added (encoded with it) carry
            marked content, and the file gets their structure tree.
        start: a :class:`FileStart` (:func:`file_start`): the file begins with its bytes,
            the fonts, images, overlays and resource dictionary every file of a job shares,
            made once; pages added must draw only what it holds.

    Raises:
        ValueError: compress_level is not None or 0-3; a standard this writer does not
            make.

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
        resources: JobResources | None = None,
        standard: str | None = None,
        start: FileStart | None = None,
        structure=None,
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
        self._standard = pdf_standard(standard)
        self._info = {"Title": title, "Author": author, "Producer": producer}
        self._creation_date = creation_date
        # the file ID: SHA-256 of every byte before it outside the documents and object
        # streams, and of the CRC-32 of each of those (hashing their bytes themselves cost a
        # tenth of a merge)
        self._digest = hashlib.sha256()
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
        # XObjects of the job: /ImN and /OvN name the objects of these maps' entry N
        self._image_objs: dict[int, int] = {}
        self._image_num: dict[str, int] = {}  # Image.key -> N
        self._overlay_objs: dict[int, int] = {}
        self._overlay_num: dict[int, int] = {}  # id(Overlay) -> N
        self._overlays_held: list[Overlay] = []  # so an id cannot be reused by another object
        self._overlays_open: set[int] = set()  # overlays being built (a cycle is an error)
        #: the CRC-32 of each document's bytes as written, in the order written
        self.checksums = array("I")
        # outline(): first page (0-based) of each document, its title, the page label prefix
        self._outline: tuple[array, list[str], str | None] | None = None
        self._job = resources
        self._attachments: list[tuple] = []
        self._facturx: tuple[str, str] | None = None
        self._job_image: dict[str, int] = {}
        self._job_overlay: dict[int, int] = {}
        if resources is not None:
            for slot, f in enumerate(resources.fonts):
                self._font_slot[id(f)] = len(self._fonts)
                widths = start.widths[slot] if start is not None else None  # many files, one job: once
                self._fonts.append(_JobFont(f, widths))
            self._job_image = {im.key: i for i, im in enumerate(resources.images)}
            self._job_overlay = {id(ov): i for i, ov in enumerate(resources.overlays)}
            if start is None:  # a started file adds encoded pages only: it builds content on demand
                self._rebuild_builder()
        self._root = self._alloc()
        self._resources = self._alloc()
        self._shared = False  # fonts, xobjects and the resource dictionary written already
        self._tree: TreeWriter | None = None
        self._packed = False  # some objects are in object streams: the xref is a stream
        self._packed_crcs = array("I")  # the CRC-32 of each object stream, for the file ID
        if self._standard is not None and self._standard.ua is not None:
            if structure is None:
                raise ValueError(f"{self._standard.name} is a tagged PDF: the writer needs the template's structure")
            self._tree = TreeWriter(structure, self._alloc, self._objects, self._packed_objects, _pdf_text)
        if start is None:
            self._emit(_HEADER)
        else:
            self._begin_with(start)

    def _begin_with(self, start: FileStart) -> None:
        if start.resources is not self._job:
            raise ValueError("a FileStart is for the job resources it was made with")
        self._f.write(start.prefix)
        self._pos = len(start.prefix)
        self._digest = start.digest.copy()
        self._offsets = array("q", start.offsets)
        self._image_objs, self._image_num = dict(start.image_objs), dict(start.image_num)
        self._overlay_objs, self._overlay_num = dict(start.overlay_objs), dict(start.overlay_num)
        self._shared = True
        self._start_used = start.used

    # ------------------------------------------------------------------ plumbing

    def _alloc(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _emit(self, data, *, documents: bool = False) -> None:
        """Write bytes; ``documents``: they are whole documents or an object stream, whose
        CRC-32 (in ``checksums`` or ``_packed_crcs``) goes into the file ID instead."""
        self._f.write(data)
        if not documents:
            self._digest.update(data)
        self._pos += len(data)

    def _object(self, num: int, body: bytes) -> None:
        self._offsets[num] = self._pos
        self._emit(indirect(num, body))

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
                if self._job is not None:
                    raise ValueError(f"display list font {i} ({font.name}) is not one of the job's fonts")
                slot = len(self._fonts)
                self._fonts.append(_JobFont(font))
                self._font_slot[id(font)] = slot
                added = True
            font_map[i] = slot
        if added or self._builder is None:
            self._rebuild_builder()
        return font_map

    def _rebuild_builder(self) -> ContentBuilder:
        self._builder = _content_builder(self._fonts)
        return self._builder

    # ------------------------------------------------------------------ pages

    def write(self, dl: DisplayList) -> list[Extent]:
        """Write every page of a display list now.

        Args:
            dl: one batch of laid-out documents.

        Returns:
            Per row of ``dl.docs`` its :class:`~ccmcore.display.Extent`: record, first page
            (0-based, in the file), pages, and byte range (from its ``%ccmcore-document``
            line to the end of its last page).

        Raises:
            ValueError: the writer is closed, or the display list is inconsistent (array
                shapes, font, image or overlay indices, glyph or item slices out of range,
                page sizes, an overlay that is not one page or contains itself).
            ImageError: a JPEG's markers are malformed.
        """
        self._check_open()
        if self._tree is not None:
            raise ValueError("a tagged PDF takes pages encoded with the template's structure (add()), not write()")
        # the text is not needed (ToUnicode maps glyphs); empty images are skipped when drawn
        items, gids, advances, _, pages, docs, _, glyph_fonts = dl.check(text=False, image_size=False)
        # images and overlays first: building an overlay binds its own items and may add fonts
        image_map, overlay_map, overlay_height = self._use_xobjects(dl, items)
        font_map = self._register_fonts(dl, glyph_fonts)
        builder = self._builder
        if builder is None:
            builder = self._rebuild_builder()
        builder.bind(items, gids, advances, font_map, image_map, overlay_map, overlay_height)
        sizes, content, _ = _encode_pages(builder, pages, self._level)
        return self._write_docs(docs[:, _RECORD].tolist(), docs[:, _PN].tolist(), sizes, content, None, None)

    def stamps(self, items: np.ndarray, starts: np.ndarray, heights) -> list[bytes]:
        """Content streams drawing rectangle items (barcodes the merge adds to pages once
        their place in the job is known), one per page, to follow the page's own:
        :meth:`add` takes them as ``stamps[page]``.

        Args:
            items: int32 RECT (or RULE) item rows of every page, one page after another.
            starts: int64 (n + 1,): where each page's items start, and the end.
            heights: per page its height (mpt), a sequence or an int64 array.
        """
        if len(heights) == 0:
            return []
        builder = self._builder if self._builder is not None else self._rebuild_builder()
        none = np.zeros(0, np.int32)
        rows = np.ascontiguousarray(items, dtype=np.int32).reshape(-1, ITEM_FIELDS)
        builder.bind(rows, np.zeros(0, np.uint16), none, none)
        made = builder.pages(
            np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(heights, dtype=np.int64), False
        )
        if self._tree is not None:  # marks and codes for the machines, not the reader: artifacts
            made = [b"/Artifact BMC\n" + m + b"EMC\n" for m in made]
        return made

    def add(self, part: PdfPages, stamps: dict | None = None) -> list[Extent]:
        """Write pages a :class:`PdfEncoder` made with this writer's job resources.

        Images and overlays are stored just before the first document that draws them.

        Args:
            part: the encoded pages.
            stamps: page row -> a content stream (:meth:`stamps`) drawn after the page's.

        Returns:
            Per document its :class:`~ccmcore.display.Extent`.

        Raises:
            ValueError: the writer was made without job resources, or is closed.
        """
        self._check_open()
        if self._job is None:
            raise ValueError("PdfWriter.add() takes encoded pages only when the writer has the job's resources")
        if len(part.used) != sum(len(jf.widths) for jf in self._fonts):
            raise ValueError("the encoded pages were made with other fonts than this writer's job resources")
        sizes = np.asarray(part.sizes, dtype=np.int64).reshape(-1, 3)
        offs = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes[:, 2], out=offs[1:])
        if offs[-1] != len(part.content):
            raise ValueError("encoded pages: the content streams' lengths do not add up to the content")
        uses = self._new_uses(np.asarray(part.uses, dtype=np.int64).reshape(-1, 3))
        page0 = len(self._page_objs)
        extents = self._write_docs(
            np.asarray(part.records).tolist(), np.asarray(part.doc_pages).tolist(), sizes, part.content, uses, stamps
        )
        if self._tree is not None:
            self._tree.add(part, self._page_objs, page0)
        if self._shared:  # the fonts are written: the pages may draw only what they hold
            if np.any(np.asarray(part.used, dtype=np.uint8) & ~self._start_used):
                self._broken = True
                raise ValueError("the pages draw glyphs the FileStart's fonts do not hold")
            return extents
        used = self._builder_used()
        np.bitwise_or(used, part.used, out=used)
        return extents

    def _builder_used(self) -> np.ndarray:
        # the fonts' arrays are views of the builder's table: one OR marks them all
        if not self._fonts:
            return np.zeros(0, np.uint8)
        if self._builder is None:
            self._rebuild_builder()
        base = self._fonts[0].used.base
        assert base is not None and all(jf.used.base is base for jf in self._fonts)
        return base

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("write() on a closed PdfWriter")
        if self._broken:
            raise ValueError("an earlier write() failed part-way; this PDF cannot be finished")

    def _write_docs(self, records: list, doc_pages: list, sizes: np.ndarray, content, uses, stamps) -> list[Extent]:
        """Each document's marker line, page and content stream objects; their extents.

        ``content`` holds the pages' streams one after another (lengths in ``sizes[:, 2]``).
        """
        if sum(doc_pages) != len(sizes):
            raise ValueError("a document's page slice lies outside the pages")
        try:
            return self._put_docs(records, doc_pages, sizes, content, uses, stamps or {})
        except BaseException:
            # object numbers and offsets of pages not on disk are recorded: this file
            # can no longer be finished correctly
            self._broken = True
            raise

    def _put_docs(self, records: list, doc_pages: list, sizes: np.ndarray, content, uses, stamps) -> list[Extent]:
        n_docs = len(records)
        records_a = np.asarray(records, dtype=np.int64).reshape(-1)
        doc_pages_a = np.asarray(doc_pages, dtype=np.int64).reshape(-1)
        lengths = np.ascontiguousarray(sizes[:, 2], dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        boxes, box_of_page = media_boxes(sizes, self._mediabox)
        stamp_list: list | None = None
        if stamps:
            stamp_list = [None] * len(sizes)
            for k, data in stamps.items():
                # thousands of small streams: the fastest level costs a third of level 1's time
                stamp_list[k] = data if self._level is None else isal_zlib.compress(data, 0)
        page_at = np.cumsum(doc_pages_a) - doc_pages_a
        view = memoryview(content).cast("B") if not isinstance(content, (bytes, bytearray)) else content
        extents: list[Extent] = []
        cuts = [*self._first_uses(uses), n_docs]
        d0 = 0
        for d1 in cuts:
            if d1 > d0:
                p0 = int(page_at[d0])
                p1 = int(page_at[d1 - 1] + doc_pages_a[d1 - 1])
                extents += self._put_run(
                    records_a[d0:d1],
                    doc_pages_a[d0:d1],
                    boxes,
                    box_of_page[p0:p1],
                    view,
                    starts[p0:p1],
                    lengths[p0:p1],
                    stamp_list[p0:p1] if stamp_list is not None else None,
                )
            if d1 < n_docs and self._shared:
                raise ValueError("the pages draw an image or overlay the FileStart does not hold")
            if d1 < n_docs:  # resources go to the file before the document's bytes
                for kind, idx in uses[d1]:
                    if kind == IMAGE:
                        self._image(self._job.images[idx])  # type: ignore[union-attr]
                    else:
                        self._overlay(self._job.overlays[idx])  # type: ignore[union-attr]
            d0 = d1
        if extents and self._pos != extents[-1].offset + extents[-1].length:
            raise AssertionError("PDF writer offset bookkeeping is off")
        return extents

    def _new_uses(self, uses: np.ndarray) -> dict[int, list]:
        """document row -> the (kind, job index) it draws, for the documents that are the
        first of the part to draw an image or overlay the file may not hold yet."""
        if not len(uses):
            return {}
        # rows are sorted by document: a resource's first row is its first document
        _, first = np.unique(uses[:, 1] * (1 << 32) + uses[:, 2], return_index=True)
        docs = np.unique(uses[first, 0])
        out: dict[int, list] = {}
        for d, kind, idx in uses[np.isin(uses[:, 0], docs)].tolist():
            out.setdefault(d, []).append((kind, idx))
        return out

    def _first_uses(self, uses: dict | None) -> list[int]:
        """The documents that draw an image or overlay the file does not hold yet, in order:
        those resources are written just before them."""
        if not uses:
            return []
        held = {(IMAGE, im.key) for im in self._job.images if im.key in self._image_num}  # type: ignore[union-attr]
        held |= {(OVERLAY, id(ov)) for ov in self._job.overlays if id(ov) in self._overlay_num}  # type: ignore[union-attr]
        out = []
        for d in sorted(uses):
            keys = {
                (IMAGE, self._job.images[i].key) if k == IMAGE else (OVERLAY, id(self._job.overlays[i]))  # type: ignore[union-attr]
                for k, i in uses[d]
            }
            if not keys <= held:
                out.append(d)
                held |= keys
        return out

    def _put_run(self, records, doc_pages, boxes, box_of_page, content, starts, lengths, stamps) -> list[Extent]:
        """Write a run of documents that draw nothing the file does not hold yet."""
        blob, offsets, page_nums, leaves, doc_at, doc_len, _ = page_objects(
            records,
            doc_pages,
            box_of_page,
            boxes,
            content,
            starts,
            lengths,
            stamps,
            len(self._offsets),
            len(self._page_objs),
            self._leaves[-1] if len(self._leaves) else -1,
            self._resources,
            self._pos,
            self._level is not None,
            FANOUT,
            self._tree is not None,
        )
        first = len(self._page_objs) + np.cumsum(doc_pages) - doc_pages
        self._offsets.extend(offsets.tolist())
        self._page_objs.extend(page_nums.tolist())
        self._leaves.extend(leaves.tolist())
        view = memoryview(blob)
        self.checksums.extend(crc32(view[a : a + n]) for a, n in zip((doc_at - self._pos).tolist(), doc_len.tolist()))
        self._emit(blob, documents=True)
        return [
            Extent(*row)
            for row in zip(records.tolist(), first.tolist(), doc_pages.tolist(), doc_at.tolist(), doc_len.tolist())
        ]

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
            chunk = indirect(num, body)
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
        n = self._image_num[image.key] = self._job_image.get(image.key, len(self._image_objs))
        self._image_objs[n] = num
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
        n = self._overlay_num[id(ov)] = self._job_overlay.get(id(ov), len(self._overlay_objs))
        self._overlay_objs[n] = num
        self._overlays_held.append(ov)
        return n

    # ------------------------------------------------------------------ outline and page labels

    def outline(self, entries, *, label_prefix: str | None = None) -> None:
        """Write, at close(), a document outline and page labels: one outline item and one
        page label range per document.

        Each outline item is titled with the document's title and opens its first page
        (``/Fit``); the catalog asks viewers to show the outline (``/PageMode
        /UseOutlines``). Each label range starts at a document's first page and numbers
        its pages 1, 2, ... (decimal), after ``label_prefix`` when given; pages before the
        first document are numbered the same way. May be called any time before close();
        a later call replaces what an earlier one gave, and an empty list writes neither.

        Args:
            entries: (first page, title) per document, in page order: the page's 0-based
                index in the file (as :class:`~ccmcore.display.Extent` gives it) and a str.
            label_prefix: text shown before each page number (``/P``), or None.

        Raises:
            ValueError: the writer is closed, an entry is not an (int, str) pair, a page
                index is negative or not after the one before, or the prefix is not a str.
                (A page index past the last page written is reported by close().)
        """
        if self._closed:
            raise ValueError("outline() on a closed PdfWriter")
        if label_prefix is not None and not isinstance(label_prefix, str):
            raise ValueError(f"outline: label_prefix must be a str or None, not {label_prefix!r}")
        firsts = array("q")
        titles: list[str] = []
        for k, entry in enumerate(entries):
            try:
                page, title = entry
            except (TypeError, ValueError):
                raise ValueError(f"outline entry {k}: expected (first page, title), not {entry!r}") from None
            if isinstance(page, bool) or not isinstance(page, (int, np.integer)) or not isinstance(title, str):
                raise ValueError(f"outline entry {k}: expected (int, str), not {entry!r}")
            if page < 0 or (firsts and page <= firsts[-1]):
                after = f"after page {firsts[-1]}" if firsts else "0 or more"
                raise ValueError(f"outline entry {k}: first page {page} must be {after} (entries go in page order)")
            firsts.append(int(page))
            titles.append(title)
        self._outline = (firsts, titles, label_prefix) if firsts else None

    def _check_outline(self) -> None:
        """Raise ValueError when the outline names a page the file does not have."""
        if self._outline is not None and self._outline[0][-1] >= len(self._page_objs):
            raise ValueError(
                f"outline: a document starts at page index {self._outline[0][-1]}, "
                f"but the file has {len(self._page_objs)} pages"
            )

    def _write_outline(self) -> bytes:
        """The outline, its items and the page labels number tree; the catalog's entries
        naming them."""
        assert self._outline is not None
        firsts, titles, prefix = self._outline
        pages = self._page_objs
        root = self._alloc()
        nums = [self._alloc() for _ in titles]
        last = len(nums) - 1
        bodies = []
        for k, (num, page, title) in enumerate(zip(nums, firsts, titles)):
            prev = b"/Prev %d 0 R" % nums[k - 1] if k else b""
            nxt = b"/Next %d 0 R" % nums[k + 1] if k < last else b""
            dest = b"/Dest[%d 0 R/Fit]" % pages[page]
            bodies.append((num, b"<</Title%s/Parent %d 0 R%s%s%s>>" % (_pdf_text(title), root, prev, nxt, dest)))
        bodies.append((root, b"<</Type/Outlines/First %d 0 R/Last %d 0 R/Count %d>>" % (nums[0], nums[-1], len(nums))))
        self._objects(bodies)
        label = b"<</S/D/St 1%s>>" % (b"/P" + _pdf_text(prefix) if prefix else b"")
        starts = list(firsts) if firsts[0] == 0 else [0, *firsts]  # the tree must say what page 0 is
        labels = self._number_tree([(start, label) for start in starts])
        return b"/Outlines %d 0 R/PageLabels %d 0 R/PageMode/UseOutlines" % (root, labels)

    def _number_tree(self, pairs: list[tuple[int, bytes]]) -> int:
        """Write a number tree of (key, value) pairs sorted by key; its root's number.

        Leaves hold LABELS_FANOUT pairs, each level above LABELS_FANOUT kids, each node
        but the root with the /Limits of the keys below it.
        """
        root = self._alloc()
        if len(pairs) <= LABELS_FANOUT:
            self._objects([(root, _nums(pairs))])
            return root
        nodes = []  # (number, lowest key, highest key) of the level being built
        bodies = []
        for at in range(0, len(pairs), LABELS_FANOUT):
            leaf = pairs[at : at + LABELS_FANOUT]
            num = self._alloc()
            nodes.append((num, leaf[0][0], leaf[-1][0]))
            bodies.append((num, _nums(leaf, (leaf[0][0], leaf[-1][0]))))
        while len(nodes) > LABELS_FANOUT:
            upper = []
            for at in range(0, len(nodes), LABELS_FANOUT):
                group = nodes[at : at + LABELS_FANOUT]
                num = self._alloc()
                low, high = group[0][1], group[-1][2]
                upper.append((num, low, high))
                bodies.append((num, _kids(group, (low, high))))
            nodes = upper
        bodies.append((root, _kids(nodes, None)))
        self._objects(bodies)
        return root

    def _packed_objects(self, make) -> None:
        """Write the objects that ``make(first_num, sink, per_stream)`` numbers from the next
        free number on and hands to ``sink`` in object streams of at most ``per_stream``
        objects (it returns the next free number and each number's place in the streams).
        Compressed, a tagged PDF's hundred structure elements a page take little room. The
        file then ends with a cross-reference stream."""
        streams: list[tuple[int, int]] = []  # (number, offset)

        def sink(num: int, data, count: int, first: int) -> None:
            flate = b""
            if self._level is not None:
                data, flate = isal_zlib.compress(data, self._level), b"/Filter/FlateDecode"
            streams.append((num, self._pos))
            chunk = b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Length %d%s>>\nstream\n%s\nendstream\nendobj\n" % (
                num,
                count,
                first,
                len(data),
                flate,
                bytes(data),
            )
            self._emit(chunk, documents=True)  # into the file ID by its CRC-32, as documents are
            self._packed_crcs.append(crc32(chunk))

        first = len(self._offsets)
        next_num, where = make(first, sink, OBJECT_STREAM_OBJECTS)
        if len(where) != next_num - first:  # pragma: no cover - a place for every number made
            raise AssertionError("object streams: the numbers made and their places disagree")
        self._offsets.frombytes(np.ascontiguousarray(where, dtype=np.int64).data.cast("B"))
        for num, at in streams:
            self._offsets[num] = at
        self._packed = self._packed or bool(streams)

    def _objects(self, bodies: list[tuple[int, bytes]]) -> None:
        """Write numbered objects, a megabyte at a time (an outline may have millions)."""
        chunks: list[bytes] = []
        pos = self._pos
        for num, body in bodies:
            chunk = indirect(num, body)
            self._offsets[num] = pos
            pos += len(chunk)
            chunks.append(chunk)
            if pos - self._pos >= 1 << 20:
                self._emit(b"".join(chunks))
                chunks.clear()
        if chunks:
            self._emit(b"".join(chunks))

    # ------------------------------------------------------------------ finishing

    def close(self) -> None:
        """Write fonts, resources, page tree, info, cross-reference table and trailer.

        Closes the file if the writer opened it. Calling close() again does nothing.

        Raises:
            EmptyJobError: no page was written (a file the writer opened is removed; a file
                object holds only the unfinished header).
            FontError: a font cannot be subset (the file is left without trailer).
            ValueError: an earlier write() failed part-way (the file is left unfinished);
                or the :meth:`outline` names a page past the last one written (nothing
                is written then and the writer stays open: give another outline, or
                abort()).
        """
        if self._closed:
            return
        if self._page_objs and not self._broken:
            self._check_outline()  # before anything is written: the caller can still mend it
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
        if not self._shared:
            self._write_shared()
        self._write_page_tree()
        outline = self._write_outline() if self._outline is not None else b""

        info = self._info_dict()
        info_num = None
        if info:
            info_num = self._alloc()
            self._object(info_num, info)
        conformance = self._conformance() if self._standard is not None else b""
        if self._tree is not None:
            conformance += self._tree.finish(self._number_tree)
        attached = self._write_attachments() if self._attachments else b""
        catalog = self._alloc()
        self._object(catalog, catalog_object(self._root, outline + conformance + attached))

        missing = np.flatnonzero(np.frombuffer(self._offsets, dtype=np.int64)[1:] == 0) + 1
        if len(missing):  # an object number handed out but never written: a bug here, not input
            raise AssertionError(f"PDF objects reserved but not written: {missing[:10].tolist()}")
        if self._packed:
            self._xref_stream(catalog, info_num)
        else:
            self._xref_table(catalog, info_num)
        flush = getattr(self._f, "flush", None)
        if flush is not None:
            flush()
        if self._owns_file:
            self._f.close()

    def _trailer_entries(self, catalog: int, info_num: int | None) -> bytes:
        """/Root, /Info and /ID: the ID from the digest of the file so far and of the
        CRC-32s of its documents and object streams."""
        self._digest.update(np.asarray(self.checksums, dtype="<u4").tobytes())
        self._digest.update(np.asarray(self._packed_crcs, dtype="<u4").tobytes())
        doc_id = self._digest.hexdigest()[:32].upper().encode()
        return b"/Root %d 0 R%s/ID[<%s><%s>]" % (
            catalog,
            b"/Info %d 0 R" % info_num if info_num else b"",
            doc_id,
            doc_id,
        )

    def _xref_table(self, catalog: int, info_num: int | None) -> None:
        xref_pos = self._pos
        size = len(self._offsets)
        self._emit(b"xref\n0 %d\n0000000000 65535 f \n" % size + _xref_entries(self._offsets[1:]))
        self._emit(
            b"trailer\n<</Size %d%s>>\nstartxref\n%d\n%%%%EOF\n"
            % (size, self._trailer_entries(catalog, info_num), xref_pos)
        )

    def _xref_stream(self, catalog: int, info_num: int | None) -> None:
        """The cross-reference stream (with the trailer's entries) of a file with object
        streams: per object its type (1: at an offset, 2: in an object stream), offset or
        stream number, and 0 or its index in the stream."""
        num = self._alloc()
        xref_pos = self._offsets[num] = self._pos
        offs = np.frombuffer(self._offsets, dtype=np.int64)
        inside = offs < 0
        field2 = np.where(inside, (-offs) >> 16, offs)
        wide = int(field2.max()) >= 1 << 32
        rows = np.empty(len(offs), np.dtype([("type", "u1"), ("field2", ">u8" if wide else ">u4"), ("field3", ">u2")]))
        rows["type"] = np.where(inside, 2, 1)
        rows["field2"] = field2
        rows["field3"] = np.where(inside, (-offs) & 0xFFFF, 0)
        rows[0] = (0, 0, 65535)  # object 0: the head of the free list
        width = 8 if wide else 4
        data, size = rows.tobytes(), len(offs)
        del offs  # the view would keep the offsets from growing
        flate = b""
        if self._level is not None:
            data, flate = isal_zlib.compress(data, self._level), b"/Filter/FlateDecode"
        self._emit(
            b"%d 0 obj\n<</Type/XRef/Size %d/W[1 %d 2]%s%s/Length %d>>\nstream\n%s\nendstream\nendobj\n"
            b"startxref\n%d\n%%%%EOF\n"
            % (num, size, width, self._trailer_entries(catalog, info_num), flate, len(data), data, xref_pos)
        )

    def _write_shared(self) -> None:
        """The fonts some page drew glyphs with, and the resource dictionary naming them and
        the images and overlays."""
        compress = None if self._level is None else self._compress
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
        xobjects = b"".join(b"/Im%d %d 0 R" % ref for ref in sorted(self._image_objs.items()))
        xobjects += b"".join(b"/Ov%d %d 0 R" % ref for ref in sorted(self._overlay_objs.items()))
        self._object(
            self._resources,
            b"<</Font<<%s>>%s/ProcSet[/PDF/Text%s]>>"
            % (
                fonts,
                b"/XObject<<%s>>" % xobjects if xobjects else b"",
                b"/ImageB/ImageC" if self._image_objs else b"",
            ),
        )
        self._shared = True

    def attach(
        self,
        name: str,
        data: bytes | PackedFile,
        *,
        mime: str = "text/xml",
        relationship: str = "Alternative",
        description: str | None = None,
        facturx_level: str | None = None,
    ) -> None:
        """Embed a file in the PDF, for the whole document (written at close()).

        The file is listed under the catalog's ``/Names /EmbeddedFiles`` and, as PDF/A-3
        wants of an associated file, in the catalog's ``/AF`` array, its specification
        carrying ``/AFRelationship``; the stream has its MIME type as ``/Subtype`` and
        its size and MD5 in ``/Params``.

        Args:
            name: the file's name (``factur-x.xml``).
            data: its bytes, or a :class:`PackedFile` (deflated already, where it was made).
            mime: its MIME type.
            relationship: how it relates to the PDF: Source, Data, Alternative,
                Supplement or Unspecified.
            description: ``/Desc``, shown by viewers.
            facturx_level: the Factur-X conformance level (``EN 16931``) when the file is a
                Factur-X / ZUGFeRD invoice: the XMP metadata then names it.

        Raises:
            ValueError: a PDF/A-2 file (PDF/A-2 may embed only PDF/A files: use pdfa-3b),
                an unknown relationship, or a second Factur-X invoice.
        """
        self._check_open()
        if self._standard is not None and self._standard.part is not None and self._standard.part < 3:
            raise ValueError(f"{self._standard.name} cannot embed {name}: only PDF/A-3 (pdfa-3b) may carry other files")
        if relationship not in ("Source", "Data", "Alternative", "Supplement", "Unspecified"):
            raise ValueError(
                f"relationship {relationship!r} is not Source, Data, Alternative, Supplement or Unspecified"
            )
        if facturx_level is not None:
            if self._facturx is not None:
                raise ValueError("a PDF carries one Factur-X invoice")
            self._facturx = (name, facturx_level)
        held = data if isinstance(data, PackedFile) else bytes(data)
        self._attachments.append((name, held, mime, relationship, description))

    def _write_attachments(self) -> bytes:
        """The embedded files' objects; the catalog's entries naming them."""
        specs = []
        for name, data, mime, relationship, description in self._attachments:
            if not isinstance(data, PackedFile):
                flate = self._level is not None
                data = PackedFile(self._compress(data) if flate else data, len(data), hashlib.md5(data).digest(), flate)
            stream, spec = self._alloc(), self._alloc()
            stream_body, spec_body = attachment_objects(stream, name, data, mime, relationship, description)
            self._object(stream, stream_body)
            self._object(spec, spec_body)
            specs.append((name, spec))
        return attachment_entries(specs)

    def _write_page_tree(self) -> None:
        for num, body in page_tree(self._root, self._leaves, self._page_objs, self._alloc):
            self._object(num, body)

    def _conformance(self) -> bytes:
        """A PDF/A file's metadata stream and output intent; the catalog's entries naming them."""
        assert self._standard is not None
        info = self._info
        packet = xmp_packet(
            self._standard,
            title=info["Title"] or None,
            author=info["Author"] or None,
            producer=info["Producer"] or None,
            created=self._creation_date,
            facturx=self._facturx,
        )
        metadata = self._alloc()
        self._object(metadata, metadata_object(packet))
        if self._standard.part is None:  # PDF/UA alone: no output intent
            return b"/Metadata %d 0 R" % metadata
        profile = self._alloc()
        self._object(profile, _icc_object(self._level))
        return b"/Metadata %d 0 R/OutputIntents%s" % (metadata, output_intent(profile))

    def _info_dict(self) -> bytes:
        return info_dict(self._info, self._creation_date)

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


class PackedFile(NamedTuple):
    """A file to embed, deflated where it was made (a worker composing its part), with its
    size and MD5 (``/Params``): :meth:`PdfWriter.attach` then only copies it.

    ``deflated`` is the stream's data: FlateDecode unless ``flate`` is False."""

    deflated: bytes
    size: int
    md5: bytes
    flate: bool = True

    @classmethod
    def of(cls, data: bytes | memoryview, level: int = 1) -> PackedFile:
        """``data`` deflated at an isal level (0-3)."""
        return cls(isal_zlib.compress(data, level), len(data), hashlib.md5(data).digest())


class FileStart(NamedTuple):
    """The beginning every file of a job's one-file-per-document output shares: header,
    fonts, images, overlays and resource dictionary, written once (see :func:`file_start`).

    Attributes:
        resources: the job resources it was made for.
        used: uint8 flags of the glyphs its fonts hold, per job font, one after another.
        widths: per job font its PDF widths.
        prefix: the file's first bytes.
        offsets: the object offsets so far (array('q')).
        digest: the file ID's hash over the prefix.
        image_objs, image_num, overlay_objs, overlay_num: the XObjects it holds.
    """

    resources: JobResources
    used: np.ndarray
    widths: list
    prefix: bytes
    offsets: array
    digest: Any
    image_objs: dict
    image_num: dict
    overlay_objs: dict
    overlay_num: dict


def file_start(resources: JobResources, used: np.ndarray, uses, *, compress_level: int | None = 1) -> FileStart:
    """The shared beginning of the files of a job that writes one file per document.

    Args:
        resources: the job's resources.
        used: the glyphs the files' pages draw (uint8 flags per job font, one after
            another, as :class:`PdfPages` has them): the fonts are subset over them once.
        uses: (IMAGE or OVERLAY, job index) pairs of the XObjects the pages draw.
        compress_level: as :class:`PdfWriter`'s.
    """
    sink = io.BytesIO()
    w = PdfWriter(sink, resources=resources, compress_level=compress_level)
    for kind, idx in sorted(set(map(tuple, uses))):
        if kind == IMAGE:
            w._image(resources.images[idx])
        else:
            w._overlay(resources.overlays[idx])
    table = w._builder_used()
    if len(used) != len(table):
        raise ValueError("used: one flag per glyph of every job font")
    np.copyto(table, np.asarray(used, dtype=np.uint8))
    w._write_shared()
    return FileStart(
        resources,
        table.copy(),
        [jf.widths for jf in w._fonts],
        sink.getvalue(),
        array("q", w._offsets),
        w._digest.copy(),
        dict(w._image_objs),
        dict(w._image_num),
        dict(w._overlay_objs),
        dict(w._overlay_num),
    )


def media_boxes(sizes: np.ndarray, made: dict) -> tuple[list[bytes], np.ndarray]:
    """The distinct MediaBox arrays of the pages (rows of width, height, ...), and each
    page's index among them; ``made``: (width, height) -> box, kept between calls."""
    wh = np.asarray(sizes[:, :2], dtype=np.int64)
    if len(wh) == 0:
        return [], np.zeros(0, np.int64)
    w0, h0 = int(wh[0, 0]), int(wh[0, 1])
    if len(wh) < 64 and all(w == w0 and h == h0 for w, h in wh.tolist()):  # a short run of one size
        box = made.get((w0, h0))
        if box is None:
            box = made[(w0, h0)] = b"[0 0 %s %s]" % (_num(w0), _num(h0))
        return [box], np.zeros(len(wh), np.int64)
    # one int64 per size (page sides are far below 2**31 mpt): a 1-D unique is fast
    unique, inverse = np.unique((wh[:, 0] << 32) | wh[:, 1], return_inverse=True)
    boxes = []
    for w, h in zip((unique >> 32).tolist(), (unique & 0xFFFFFFFF).tolist()):
        box = made.get((w, h))
        if box is None:
            if len(made) > 256:
                made.clear()
            box = made[(w, h)] = b"[0 0 %s %s]" % (_num(w), _num(h))
        boxes.append(box)
    return boxes, np.ascontiguousarray(inverse.reshape(-1), dtype=np.int64)


def indirect(num: int, body: bytes) -> bytes:
    """Object ``num`` as the file holds it: ``N 0 obj``, the body, ``endobj``."""
    return b"%d 0 obj\n%s\nendobj\n" % (num, body)


def page_tree(root: int, leaves, page_objs, alloc) -> list[tuple[int, bytes]]:
    """The /Pages objects over the pages ``page_objs``: a leaf per FANOUT pages (numbered
    in ``leaves`` when the pages were written), then nodes of FANOUT kids (numbered by
    ``alloc``) up to ``root``."""
    total = len(page_objs)
    # level 0: leaves over pages; each higher level groups FANOUT nodes until the root fits
    nodes = [(leaves[i], min(FANOUT, total - i * FANOUT)) for i in range(len(leaves))]
    kids_of: dict[int, list[tuple[int, int]]] = {}
    while len(nodes) > FANOUT:
        upper = []
        for k in range(0, len(nodes), FANOUT):
            group = nodes[k : k + FANOUT]
            num = alloc()
            kids_of[num] = group
            upper.append((num, sum(c for _, c in group)))
        nodes = upper
    kids_of[root] = nodes
    parent: dict[int, int] = {}
    for num, group in kids_of.items():
        for kid, _ in group:
            parent[kid] = num
    out = []
    for i, leaf in enumerate(leaves):
        kids = page_objs[i * FANOUT : (i + 1) * FANOUT]
        refs = b" ".join(b"%d 0 R" % k for k in kids)
        out.append((leaf, b"<</Type/Pages/Parent %d 0 R/Kids[%s]/Count %d>>" % (parent[leaf], refs, len(kids))))
    for num, group in kids_of.items():
        refs = b" ".join(b"%d 0 R" % k for k, _ in group)
        count = sum(c for _, c in group)
        up = b"" if num == root else b"/Parent %d 0 R" % parent[num]
        out.append((num, b"<</Type/Pages%s/Kids[%s]/Count %d>>" % (up, refs, count)))
    return out


def attachment_objects(
    stream: int, name: str, data: PackedFile, mime: str, relationship: str, description: str | None
) -> tuple[bytes, bytes]:
    """An embedded file's stream (object ``stream``) and its file specification."""
    stream_body = (
        b"<</Type/EmbeddedFile/Subtype/%s/Params<</Size %d/CheckSum<%s>>>/Length %d%s>>\nstream\n%s\nendstream"
        % (
            _pdf_name(mime),
            data.size,
            data.md5.hex().upper().encode(),
            len(data.deflated),
            b"/Filter/FlateDecode" if data.flate else b"",
            data.deflated,
        )
    )
    text = _pdf_text(name)
    desc = b"/Desc" + _pdf_text(description) if description else b""
    spec_body = b"<</Type/Filespec/F%s/UF%s%s/AFRelationship/%s/EF<</F %d 0 R/UF %d 0 R>>>>" % (
        text,
        text,
        desc,
        relationship.encode(),
        stream,
        stream,
    )
    return stream_body, spec_body


def attachment_entries(specs: list[tuple[str, int]]) -> bytes:
    """The catalog's entries naming the embedded files: (name, file specification) pairs."""
    names = b" ".join(b"%s %d 0 R" % (_pdf_text(n), num) for n, num in sorted(specs))
    refs = b" ".join(b"%d 0 R" % num for _, num in specs)
    return b"/Names<</EmbeddedFiles<</Names[%s]>>>>/AF[%s]" % (names, refs)


def info_dict(info: dict, created: datetime | None) -> bytes:
    """The document information dictionary of these entries (empty ones left out), or b""."""
    entries = [b"/%s%s" % (k.encode(), _pdf_text(v)) for k, v in info.items() if v]
    if created is not None:
        entries.append(b"/CreationDate" + _pdf_text(_pdf_date(created)))
    return b"<<" + b"".join(entries) + b">>" if entries else b""


def metadata_object(packet: bytes) -> bytes:
    """The catalog's metadata stream: uncompressed, so that a reader that knows no PDF finds
    it by its packet header."""
    return b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n%s\nendstream" % (len(packet), packet)


def catalog_object(pages: int, entries: bytes) -> bytes:
    """The document catalog over the page tree ``pages``, with further ``entries``."""
    return b"<</Type/Catalog/Pages %d 0 R%s>>" % (pages, entries)


@functools.cache
def _icc_object(level: int | None) -> bytes:
    """The output intent's profile stream object, made once per compression level."""
    icc = srgb_profile()
    flate = b""
    if level is not None:
        icc, flate = isal_zlib.compress(icc, level), b"/Filter/FlateDecode"
    return b"<</N 3/Length %d%s>>\nstream\n%s\nendstream" % (len(icc), flate, icc)


def _num(mpt: int) -> bytes:
    """Millipoints as points, exact (at most three decimals)."""
    whole, frac = divmod(abs(int(mpt)), 1000)
    sign = b"-" if mpt < 0 else b""
    if not frac:
        return b"%s%d" % (sign, whole)
    return (b"%s%d.%03d" % (sign, whole, frac)).rstrip(b"0")


def _nums(pairs: list[tuple[int, bytes]], limits: tuple[int, int] | None = None) -> bytes:
    """A number tree leaf: its /Nums array, and /Limits unless it is the root."""
    nums = b" ".join(b"%d %s" % pair for pair in pairs)
    return b"<<%s/Nums[%s]>>" % (b"/Limits[%d %d]" % limits if limits else b"", nums)


def _kids(nodes: list[tuple[int, int, int]], limits: tuple[int, int] | None) -> bytes:
    """A number tree node above others: its /Kids, and /Limits unless it is the root."""
    refs = b" ".join(b"%d 0 R" % num for num, _, _ in nodes)
    return b"<<%s/Kids[%s]>>" % (b"/Limits[%d %d]" % limits if limits else b"", refs)


def _xref_entries(offsets) -> bytes:
    """The cross-reference entries ``OOOOOOOOOO 00000 n \\n`` of objects at these offsets."""
    if len(offsets) < 64:  # a small file: numpy's set-up would cost more than the loop
        if any(o >= 10**10 for o in offsets):
            raise ValueError("PDF files of 10 GB or more cannot be indexed by a cross-reference table")
        return (b"%010d 00000 n \n" * len(offsets)) % tuple(offsets)
    offs = np.frombuffer(offsets, dtype=np.int64) if len(offsets) else np.zeros(0, np.int64)
    if len(offs) and offs.max() >= 10**10:
        raise ValueError("PDF files of 10 GB or more cannot be indexed by a cross-reference table")
    rows = np.empty((len(offs), 20), np.uint8)
    rows[:, :10] = offs[:, None] // 10 ** np.arange(9, -1, -1, dtype=np.int64) % 10 + 48
    rows[:, 10:] = np.frombuffer(b" 00000 n \n", np.uint8)
    return rows.tobytes()


def _pdf_text(s: str) -> bytes:
    """A PDF text string: literal when plain ASCII, else UTF-16BE with a byte-order mark."""
    if s.isascii() and s.isprintable():
        return b"(" + s.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


@functools.lru_cache(maxsize=256)  # a file per document names the same MIME type each time
def _pdf_name(text: str) -> bytes:
    """A PDF name token: ``text/xml`` is ``/text#2Fxml`` (a bare '/' would end the name)."""
    out = []
    for b in text.encode("utf-8"):
        out.append(chr(b) if 33 <= b <= 126 and chr(b) not in "()<>[]{}/%#" else f"#{b:02X}")
    return "".join(out).encode("ascii")


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
