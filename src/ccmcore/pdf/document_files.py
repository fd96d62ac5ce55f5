"""Files of one document each, made from a template: a job that writes every document as
a PDF of its own (e-invoices) makes what all its files share once, and per document only
its pages and the few objects that name them.

Shared, made once: the beginning (header, fonts subset over every file's glyphs, images,
overlays, resource dictionary: a :class:`~ccmcore.pdf.writer.FileStart`), its
cross-reference entries, the output intent's profile and the XMP packet around the title.
Made once per page count: the page tree, the profile's and the embedded file
specification's objects and the catalog, which differ only in their numbers. Per file: the
page and content stream objects (compiled), the information dictionary, the metadata, the
embedded file, the cross-reference table and the trailer.

A file is the bytes :class:`~ccmcore.pdf.PdfWriter` writes for the same document from the
same start, title and attachment (the tests hold them equal), at a fraction of its cost: a
writer per file spent more on setting itself up than on the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import numpy as np
from isal.isal_zlib import crc32

from ..display import IMAGE, Extent, JobResources
from ._objects import page_objects
from .pdfa import NOT_XML, output_intent, pdf_standard, xmp_packet
from .writer import (
    FANOUT,
    PackedFile,
    PdfPages,
    _icc_object,
    _xref_entries,
    attachment_entries,
    attachment_objects,
    catalog_object,
    file_start,
    indirect,
    info_dict,
    media_boxes,
    metadata_object,
    page_tree,
)

__all__ = ["DocumentFiles", "DocumentFile", "Attachment"]

_TITLE = "\ue000ccmcore-title\ue001"  # private-use marks: no title escapes to them


class Attachment(NamedTuple):
    """What every file embeds, but for the data (see :meth:`ccmcore.pdf.PdfWriter.attach`)."""

    name: str
    mime: str = "text/xml"
    relationship: str = "Alternative"
    description: str | None = None
    facturx_level: str | None = None


class DocumentFile(NamedTuple):
    """One document's file."""

    chunks: tuple  #: its bytes (bytes and bytearrays), in pieces to write one after another (``os.writev``)
    extent: Extent  #: where its document lies in it
    checksum: int  #: the CRC-32 of the document's bytes, as a print file's manifest has it


class DocumentFiles:
    """The template of a job's one-file-per-document output.

    Args:
        resources: the job's resources.
        used: the glyphs the files' pages draw (uint8 flags per job font, one after
            another): the fonts are subset over them once, and every file embeds them.
        uses: (IMAGE or OVERLAY, job index) of the images and overlays the pages draw.
        attachment: the file each document embeds.
        standard: the files' PDF standard (a PDF/A-3 part, to embed a file).
        producer: /Producer.
        compress_level: as :class:`~ccmcore.pdf.PdfWriter`'s.

    Raises:
        ValueError: a standard that cannot embed files or is tagged (a tagged file needs a
            structure tree per document, which this template does not make).
    """

    def __init__(
        self,
        resources: JobResources,
        used: np.ndarray,
        uses,
        attachment: Attachment,
        *,
        standard: str = "pdfa-3b",
        producer: str | None = "ccmcore",
        compress_level: int | None = 1,
    ):
        std = pdf_standard(standard)
        if std is None or std.part != 3 or std.ua is not None:
            raise ValueError(f"files from a template are PDF/A-3 and untagged, not {standard}")
        self._start = start = file_start(resources, used, uses, compress_level=compress_level)
        self._resources = resources
        self._attachment = attachment
        self._producer = producer
        self._level = compress_level
        self._first = len(start.offsets)  # the first object number a file's pages take
        # object 1, the page tree's root, is written after the pages: its entry differs
        # per file; those of objects 2.. (fonts, images, resources) are the same in all
        self._root, self._resources_num = 1, 2
        if start.offsets[self._root] != 0 or start.offsets[self._resources_num] == 0:
            raise AssertionError("a FileStart numbers the page tree root 1 and the resources 2")
        self._fixed_xref = _xref_entries(start.offsets[2:])
        facturx = (attachment.name, attachment.facturx_level) if attachment.facturx_level is not None else None
        packet = xmp_packet(std, title=_TITLE, author=None, producer=producer, created=None, facturx=facturx)
        head, tail = packet.split(_TITLE.encode("utf-8"))
        self._xmp = (head, tail)
        self._icc = _icc_object(compress_level)
        self._frames: dict[tuple, _Frame] = {}

    def files(self, pages: PdfPages, docs: Iterable[tuple[int, str, PackedFile]]) -> Iterator[DocumentFile]:
        """The files of documents of one part's encoded pages.

        Args:
            pages: the part's pages, encoded with the job's resources.
            docs: (document index in ``pages``, title, attached data) per file wanted.

        Raises:
            ValueError: the pages draw a glyph, image or overlay the shared beginning
                does not hold; a title holds a control character (which the metadata
                cannot carry).
        """
        start = self._start
        if np.any(np.asarray(pages.used, dtype=np.uint8) & ~start.used):
            raise ValueError("the pages draw glyphs the shared fonts do not hold")
        for kind, idx in set(map(tuple, np.asarray(pages.uses, dtype=np.int64).reshape(-1, 3)[:, 1:].tolist())):
            held = (
                self._resources.images[idx].key in start.image_num
                if kind == IMAGE
                else id(self._resources.overlays[idx]) in start.overlay_num
            )
            if not held:
                raise ValueError("the pages draw an image or overlay the shared beginning does not hold")
        sizes = np.asarray(pages.sizes, dtype=np.int64).reshape(-1, 3)
        lengths = np.ascontiguousarray(sizes[:, 2])
        starts = np.cumsum(lengths) - lengths
        if len(lengths) and starts[-1] + lengths[-1] != len(pages.content):
            raise ValueError("encoded pages: the content streams' lengths do not add up to the content")
        boxes, box_of_page = media_boxes(sizes, {})
        records = np.asarray(pages.records, dtype=np.int64).reshape(-1)
        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64).reshape(-1)
        page_at = (np.cumsum(doc_pages) - doc_pages).tolist()
        content = (
            pages.content if isinstance(pages.content, (bytes, bytearray)) else memoryview(pages.content).cast("B")
        )
        for d, title, data in docs:
            if not title or NOT_XML.search(title):
                raise ValueError(f"a file's title {title!r} is empty or holds a control character")
            p0, n = page_at[d], int(doc_pages[d])
            blob, offs, page_nums, leaves, doc_at, doc_len, _ = page_objects(
                records[d : d + 1],
                doc_pages[d : d + 1],
                box_of_page[p0 : p0 + n],
                boxes,
                content,
                starts[p0 : p0 + n],
                lengths[p0 : p0 + n],
                None,
                self._first,
                0,
                -1,
                self._resources_num,
                len(start.prefix),
                self._level is not None,
                FANOUT,
            )
            checksum = crc32(blob)
            extent = Extent(int(records[d]), 0, n, int(doc_at[0]), int(doc_len[0]))
            yield DocumentFile(
                self._file(blob, offs.tolist(), page_nums.tolist(), leaves.tolist(), title, data, checksum),
                extent,
                checksum,
            )

    def _frame(self, new: int, page_nums: list, leaves: list) -> _Frame:
        """What follows the pages of a file whose ``new`` objects after the shared
        beginning are its pages (numbered ``page_nums``) and page tree leaves: the same in
        every file whose pages are numbered so (every file of as many pages)."""
        first = self._first
        numbers = [first + new]

        def alloc() -> int:
            numbers[0] += 1
            return numbers[0] - 1

        tree = []
        at = 0
        placed = []  # (index among the new objects or -1 for the root, offset in the tree's bytes)
        for num, body in page_tree(self._root, leaves, page_nums, alloc):
            chunk = indirect(num, body)
            placed.append((-1 if num == self._root else num - first, at))
            tree.append(chunk)
            at += len(chunk)
        info, metadata, profile, stream, spec, catalog = (alloc() for _ in range(6))
        a = self._attachment
        _, spec_body = attachment_objects(
            stream, a.name, PackedFile(b"", 0, b""), a.mime, a.relationship, a.description
        )
        entries = b"/Metadata %d 0 R/OutputIntents%s" % (metadata, output_intent(profile))
        tree_bytes = b"".join(tree)
        digest = self._start.digest.copy()
        digest.update(tree_bytes)
        return _Frame(
            tree_bytes,
            placed,
            numbers[0] - first - new - 6,
            digest,
            (info, metadata, profile, stream, spec, catalog),
            indirect(profile, self._icc),
            indirect(spec, spec_body),
            indirect(catalog, catalog_object(self._root, entries + attachment_entries([(a.name, spec)]))),
        )

    def _file(self, blob, offsets: list, page_nums: list, leaves: list, title: str, data: PackedFile, checksum: int):
        """The file's bytes: the shared beginning, the pages, and what follows them."""
        key = (len(offsets), *page_nums, -1, *leaves)
        frame = self._frames.get(key)
        if frame is None:
            if len(self._frames) > 64:
                self._frames.clear()
            frame = self._frames[key] = self._frame(len(offsets), page_nums, leaves)
        info_num, metadata, _, stream, _, catalog = frame.numbers
        a = self._attachment
        head, tail = self._xmp
        info = indirect(info_num, info_dict({"Title": title, "Author": None, "Producer": self._producer}, None))
        meta = indirect(metadata, metadata_object(head + escape(title).encode("utf-8") + tail))
        stream_body, _ = attachment_objects(stream, a.name, data, a.mime, a.relationship, a.description)
        embedded = indirect(stream, stream_body)
        pos = len(self._start.prefix) + len(blob)
        offsets.extend([0] * frame.nodes)
        root_offset = 0
        for k, rel in frame.tree_at:
            if k < 0:
                root_offset = pos + rel
            else:
                offsets[k] = pos + rel
        pos += len(frame.tree)
        for chunk in (info, meta, frame.profile, embedded, frame.spec):
            offsets.append(pos)
            pos += len(chunk)
        offsets.append(pos)
        pos += len(frame.catalog)
        size = self._first + len(offsets)
        xref = b"xref\n0 %d\n0000000000 65535 f \n%010d 00000 n \n%s%s" % (
            size,
            root_offset,
            self._fixed_xref,
            _xref_entries(offsets),
        )
        digest = frame.digest.copy()
        for chunk in (info, meta, frame.profile, embedded, frame.spec, frame.catalog, xref):
            digest.update(chunk)
        digest.update(checksum.to_bytes(4, "little"))
        doc_id = digest.hexdigest()[:32].upper().encode()
        trailer = b"trailer\n<</Size %d/Root %d 0 R/Info %d 0 R/ID[<%s><%s>]>>\nstartxref\n%d\n%%%%EOF\n" % (
            size,
            catalog,
            info_num,
            doc_id,
            doc_id,
            pos,
        )
        return (
            self._start.prefix,
            blob,
            frame.tree,
            info,
            meta,
            frame.profile,
            embedded,
            frame.spec,
            frame.catalog,
            xref,
            trailer,
        )


class _Frame(NamedTuple):
    """The objects after a file's pages, but for its title and attachment (:meth:`DocumentFiles._frame`)."""

    tree: bytes  #: the page tree's objects
    tree_at: list  #: per page tree object: its index among the new objects (-1: the root), its offset in ``tree``
    nodes: int  #: page tree nodes numbered after the pages (above the leaves: files of more than 65,536 pages)
    digest: Any  #: the file ID's hash over the shared beginning and the page tree
    numbers: tuple  #: information dictionary, metadata, profile, embedded file, its specification, catalog
    profile: bytes  #: the output intent's profile object
    spec: bytes  #: the embedded file's specification object
    catalog: bytes  #: the catalog object
