"""Internal: the streaming AFP (MO:DCA-P) writer (public names re-exported by ccmcore.afp).

The print file it writes::

    BRG                                   print file level resource group
      BRS BOC OCD... EOC ERS              one per TrueType/OpenType font used: the job's
                                          subset, inline, with its object OID
      BRS BIM BOG...EOG IPD... EIM ERS    one per image (IOCA, see afp.images), by content
      BRS BMO BAG...EAG ... EMO ERS       one per overlay (see afp.overlays)
    ERG
    BDT                                   one document (CCSID 500 for names)
      NOP                                 "FORMDEF=name" when a form definition is given
      BNG                                 one named page group per customer document
        TLE...                            its index attributes (dl.tags)
        IMM                               when the page's medium map differs from the last one
        BPG                               a page, named by its document's record and its
                                          number in it (unique in the file, the same
                                          wherever the document goes)
          BAG [MCF] [MDR] [MPO] PGD PTD EAG  fonts (and overlays) of the page by local ID,
                                          size 1440/inch
          BPT PTX... EPT                  its text, rules and boxes (PTOCA)
          IOB / IPO                       images and overlays, in drawing order: a page's
                                          text is split into one BPT..EPT per run of items
                                          between them
        EPG
      ENG
    EDT

Images are encoded when a batch first uses them (into a second spool file, in the order
of first use); overlays are laid out into presentation text when first used too (held in
memory: their font OIDs are patched at close), so the glyphs they show are part of the
job's font subsets like the pages' glyphs.

Fonts are only known when the job ends, but they come first in the file: pages go to a
spool file (an unnamed temporary file next to the output) as they are made, and
:meth:`AfpWriter.close` writes the resource group, then copies the spool behind it. The
output holds nothing until ``close``, so an interrupted job leaves no file that looks
complete (and ``compose`` writes under a temporary name and renames at the end).

Form definition: the form map (formdef) is a print-server resource that is not in the
print file. Pass its name with the print request (for example ``-o formdef=F1INV`` for
InfoPrint Manager ``lpr``/``pdpr``, ``FORMDEF=F1INV`` on the z/OS OUTPUT statement, or the
form definition field of the job's print queue); ``AfpOptions(form_definition=...)``
records the name in a NOP at the start of the document so operators and tools can read
which formdef the file was made for, and the BNG of each document names the medium map
active when it starts (FQN type X'8D', used by archive viewers). Its medium maps must be
those the page templates name (``PageTemplate.medium_map``); for duplex, a medium map
invoked mid-document (the invoice's ``INVNEXT`` for continuation pages) should not force
a new sheet (Media Eject Control X'45' "eject to next side" in the medium map), or
continuation pages start new sheets.
"""

from __future__ import annotations

import os
import struct
import tempfile
from array import array
from dataclasses import dataclass
from typing import IO, NamedTuple

import numpy as np
from isal.isal_zlib import crc32

from ..display import DOC as _DOC
from ..display import FONT as _FONT
from ..display import GLYPHS as _GLYPHS
from ..display import HEIGHT as _HEIGHT
from ..display import I0 as _I0
from ..display import IMAGE, OVERLAY, TAG_VALUE_BYTES, DisplayList, Extent, JobResources, Overlay, resource_uses
from ..display import IN as _IN
from ..display import KIND as _KIND
from ..display import P0 as _P0
from ..display import PN as _PN
from ..display import RECORD as _RECORD
from ..display import TEMPLATE as _TEMPLATE
from ..display import WIDTH as _WIDTH
from ..display import H as _H
from ..display import W as _W
from ..display import X as _X
from ..display import Y as _Y
from ..errors import CcmError, EmptyJobError
from ..images import Image
from ..output import copy_rest
from . import overlays as OV
from . import sf as S
from ._ptx import PtxBuilder
from .fonts import OID_LEN, CodedFont, JobFont
from .images import IocaImage, image_name, include_object, ioca_image

__all__ = ["AfpWriter", "AfpOptions", "AfpEncodingError", "AfpPages"]

#: spool writes are gathered up to this size
_FLUSH = 1 << 20

# an empty display list's arrays
_NO_ITEMS = (
    np.zeros((0, 13), np.int32),
    np.zeros(0, np.uint16),
    np.zeros(0, np.int32),
    b"",
    np.zeros((0, 8), np.int64),
    np.zeros((0, 3), np.int64),
)

# fixed structured fields
_BAG = S.sf(S.BAG)
_EAG = S.sf(S.EAG)
_BPT = S.sf(S.BPT)
_EPT = S.sf(S.EPT)


def _intro(sfid: int, n: int) -> bytes:
    """X'5A' and the introducer of a structured field of ``n`` data bytes (no flags)."""
    return struct.pack(">BH", 0x5A, n + 8) + sfid.to_bytes(3, "big") + b"\x00\x00\x00"


# those of fields with an 8-byte name as their data
_SF_HEAD = {sfid: _intro(sfid, 8) for sfid in (S.BPG, S.EPG, S.IMM, S.ENG, S.BNG)}
_CCSID_500 = S.t_ccsid(500)
_CCSID_1200 = S.t_ccsid(1200)
#: code page 500 holds exactly the 256 characters of Latin-1, so text.encode("cp500") is
#: text.encode("latin-1").translate(_CP500) (and fails alike), minus the codec's Python-level call
_CP500 = bytes.maketrans(bytes(range(256)), bytes(range(256)).decode("latin-1").encode("cp500"))


class AfpEncodingError(CcmError, ValueError):
    """Text cannot be written in the font it is mapped to (a character outside a coded
    font's code page), or a page needs more fonts than AFP local IDs allow.

    Attributes:
        record: input record number of the document.
        char: the character that cannot be encoded ("" if not applicable).
    """

    def __init__(self, message: str, record: int = -1, char: str = ""):
        super().__init__(message)
        self.record = record
        self.char = char


class AfpPages(NamedTuple):
    """A batch of documents encoded as AFP page groups, apart from any file: what a part
    of a job holds and :meth:`AfpWriter.add` spools.

    Attributes:
        records: int64 (n_docs,) the documents' record numbers.
        doc_pages: int64 (n_docs,) pages per document.
        doc_bytes: int64 (n_docs,) bytes per document (BNG to ENG, one after another).
        content: the page groups.
        ends: int64 offset of each page's EPG (where a stamp goes, see :meth:`AfpWriter.add`).
        oids: int64 (k, 2): offset of a GLC font OID and its job font (patched at close,
            when the font's subset is known).
        uses: int64 (k, 3): (document row, IMAGE or OVERLAY, job index) of what each
            document draws, sorted.
        used: uint8 flags of the glyphs drawn, per job font, one after another.
        degraded: int64 (k, 2): (record, items) for documents with items AFP cannot draw
            (diagonal lines: PTOCA rules are horizontal or vertical), left out.
        crcs: uint32 (n_docs,) the CRC-32 of each document's bytes (final unless font OIDs
            are filled in later or a stamp is added).
    """

    records: np.ndarray
    doc_pages: np.ndarray
    doc_bytes: np.ndarray
    content: bytes
    ends: np.ndarray
    oids: np.ndarray
    uses: np.ndarray
    used: np.ndarray
    degraded: np.ndarray
    crcs: np.ndarray


@dataclass
class AfpOptions:
    """Options of :class:`AfpWriter`.

    Args:
        duplex: not an AFP option: whether a job is duplex is decided by the document
            (``Document(duplex=True)``, ``compose(..., duplex=True)``, ``ccm compose
            --duplex``), so that layout adds the blank backs, and the report, the sheet
            numbers and the OMR marks count them; True here is an error saying so.
        form_definition: name of the form definition (form map) the file is meant to be
            printed with; recorded in a NOP (the print request names the formdef).
        coded_fonts: layout font PostScript name -> :class:`CodedFont`: print that font's
            text with a printer-resident FOCA coded font instead of embedding it.
        medium_maps: medium name (a page template's ``medium_map``) -> the name of the
            medium map of the form definition that prints it; a medium not listed is
            invoked by its own name.
    """

    duplex: bool = False
    form_definition: str | None = None
    coded_fonts: dict | None = None
    medium_maps: dict | None = None

    def __post_init__(self):
        if self.duplex:
            raise ValueError(
                "AfpOptions(duplex=True): duplex is decided by the document, for every format: "
                "Document(duplex=True), compose(..., duplex=True) or ccm compose --duplex"
            )


class _Font:
    """A font of the job: an inline TrueType font or a mapping to a FOCA coded font."""

    __slots__ = ("font", "job", "coded")

    def __init__(self, font, job: JobFont | None, coded: CodedFont | None):
        self.font = font  # held so id(font) cannot be reused
        self.job = job
        self.coded = coded


class AfpWriter:
    """Writes display lists to one AFP print file: pages spooled as they come, fonts first at close.

    Args:
        fileobj: a binary file object with ``write`` (need not be seekable), or a path,
            which the writer creates at :meth:`close`.
        options: :class:`AfpOptions`.

    Raises:
        ValueError: an invalid form definition name or coded font mapping.

    Used as a context manager, the writer closes on success and writes nothing when the
    block raises.
    """

    def __init__(self, fileobj, *, options: AfpOptions | None = None, resources: JobResources | None = None):
        self.options = options or AfpOptions()
        if self.options.form_definition is not None:
            S.name8(self.options.form_definition, "form definition name")
        for key, cf in (self.options.coded_fonts or {}).items():
            if not isinstance(cf, CodedFont):
                raise ValueError(f"coded_fonts[{key!r}] must be a CodedFont, not {type(cf).__name__}")
        self._f: IO[bytes] | None
        spool_dir: str | None
        if isinstance(fileobj, (str, os.PathLike)):
            self._path = os.fspath(fileobj)
            self._f = None
            spool_dir = os.path.dirname(os.path.abspath(self._path))
        else:
            self._path = None
            self._f = fileobj
            name = getattr(fileobj, "name", None)
            spool_dir = (
                os.path.dirname(os.path.abspath(name)) if isinstance(name, str) and os.path.exists(name) else None
            )
        self._spool_dir = spool_dir
        # an encoder (no file) keeps no spool: its pages go to a part, not to a print file
        self._spool: IO[bytes] | None = (
            tempfile.TemporaryFile(prefix=".ccm-afp-", dir=spool_dir) if fileobj is not None else None
        )
        self._res_spool: IO[bytes] | None = None  # image resources, in order of first use (made on first image)
        self._res_size = 0
        self._parts: list[bytes] = []
        self._pending = 0
        self._spool_pos = 0  # bytes of the document part so far (spooled + pending)
        self._closed = False
        self._broken = False
        self._pages = 0
        self._last_mm: str | None = None
        self._fonts: list[_Font] = []
        self._font_slot: dict[int, int] = {}
        self._n_truetype = 0
        self._builder: PtxBuilder | None = None
        self._used_all: np.ndarray | None = None
        self._oid_patches: list[array] = []  # per slot: spool offsets of GLC font OIDs
        self._aeg_cache: dict = {}
        self._mm_names: dict = {}
        self._tle_pre: dict = {}  # tag name -> its TLE prefixes by value length (see _tle_prefixes)
        self._bng_tail: dict = {}  # medium map name -> (BNG introducer, FQN X'8D' naming it)
        self._images: dict[str, IocaImage] = {}  # by content hash
        self._image_info: dict[str, IocaImage] = {}  # named, not stored (an encoder's)
        self._image_names: set[str] = set()
        self._iob_cache: dict = {}
        self._ipo_cache: dict = {}
        self._ov_token: dict[int, bytes] = {}  # id(Overlay) -> resource name token
        self._ov_names: dict[str, int] = {}  # resource name -> id(Overlay)
        self._ov_held: list = []  # the Overlay objects stored (so their ids stay theirs)
        self._ov_open: set[int] = set()  # overlays being laid out (a cycle is an error)
        self._ov_data: list[tuple[bytes, list]] = []  # (resource bytes, [(offset, font slot)])
        self.document_offset = 0  # where the document part starts in the file (after close)
        #: the CRC-32 of each document's bytes as in the file, in the order written (at close)
        self.checksums = array("I")
        self._doc_ends = array("q")  # where each document ends in the spool
        self._crcs = array("I")  # each document's CRC-32 as encoded (without OIDs filled in)
        self._job = resources
        self._job_image_names: dict[str, str] = {}
        self._job_overlay_names: dict[int, str] = {}
        if resources is not None:
            # names follow the job's order, so every part and process gives the same ones
            taken: set[str] = set()
            for im in resources.images:
                if im.key not in self._job_image_names:
                    self._job_image_names[im.key] = name = image_name(im.key, taken)
                    taken.add(name)
            ov_taken: set[str] = set()
            for ov in resources.overlays:
                name = OV.overlay_name(ov.name, ov_taken)
                if name in ov_taken:
                    raise ValueError(
                        f"two different overlays ({ov.name!r} and another) have the AFP name {name!r}; "
                        "overlays stored in one job need different names"
                    )
                ov_taken.add(name)
                self._job_overlay_names[id(ov)] = name
            fonts = list(resources.fonts)
            self._register_fonts(DisplayList(*_NO_ITEMS, fonts=fonts), np.arange(len(fonts), dtype=np.int32))

    # ------------------------------------------------------------------ info

    @property
    def page_count(self) -> int:
        """Pages written so far (a duplex document's blank backs are pages of its display list)."""
        return self._pages

    @property
    def skipped_items(self) -> int:
        """Display items AFP text cannot draw (diagonal lines), skipped so far."""
        return self._builder.skipped if self._builder is not None else 0

    # ------------------------------------------------------------------ fonts

    def _register_fonts(self, dl: DisplayList, font_col: np.ndarray) -> np.ndarray:
        """Job font numbers for the display list's font indices (-1: not drawn with).

        Args:
            font_col: the FONT column of the GLYPHS items (checked: indices into dl.fonts).
        """
        font_map = np.full(len(dl.fonts), -1, dtype=np.int32)
        present = np.zeros(len(dl.fonts), dtype=bool)
        present[font_col] = True
        added = False
        coded = self.options.coded_fonts or {}
        for i in np.flatnonzero(present).tolist():
            font = dl.fonts[i]
            slot = self._font_slot.get(id(font))
            if slot is None:
                slot = len(self._fonts)
                cf = coded.get(font.name)
                if cf is not None:
                    entry = _Font(font, None, cf)
                else:
                    self._n_truetype += 1
                    job = JobFont(font, self._n_truetype)
                    entry = _Font(font, job, None)
                    names = {f.job.full_name for f in self._fonts if f.job is not None}
                    if job.full_name in names:
                        raise ValueError(
                            f"two different fonts of the job share the full font name "
                            f"{job.full_name!r}; AFP maps fonts by that name"
                        )
                self._fonts.append(entry)
                self._oid_patches.append(array("q"))
                self._font_slot[id(font)] = slot
                added = True
            font_map[i] = slot
        if added or self._builder is None:
            self._rebuild_builder()
        return font_map

    def _rebuild_builder(self) -> None:
        fonts = self._fonts
        advs, used, codetabs, widths = [], [], [], []
        for f in fonts:
            adv = np.asarray(f.font.advances, dtype=np.int32)
            advs.append(adv)
            if f.job is not None:
                used.append(f.job.used)
                codetabs.append(_glyph_code_table(f.font))
                widths.append(np.full(256, -1, dtype=np.int32))
            else:
                assert f.coded is not None  # a font is inline (job) or a coded font
                used.append(np.zeros(len(adv), dtype=np.uint8))
                codetabs.append(f.coded.table())
                widths.append(f.coded.width_table())
        lens = np.array([len(a) for a in advs], dtype=np.int32)
        off = np.zeros(len(fonts), dtype=np.int64)
        if len(lens) > 1:
            off[1:] = np.cumsum(lens[:-1])

        def cat(xs: list[np.ndarray], dt: type[np.generic]) -> np.ndarray:
            return np.concatenate(xs).astype(dt, copy=False) if xs else np.zeros(0, dt)

        used_all = self._used_all = cat(used, np.uint8)
        for f, o, n in zip(fonts, off.tolist(), lens.tolist()):
            if f.job is not None:
                f.job.used = used_all[o : o + n]  # the C loops mark glyphs in the font's own array
        skipped = self._builder.skipped if self._builder is not None else 0
        self._builder = PtxBuilder(
            cat(advs, np.int32),
            off,
            lens,
            np.array([f.font.upem for f in fonts], dtype=np.int32),
            np.array([0 if f.job is not None else 1 for f in fonts], dtype=np.int8),
            cat(codetabs, np.uint16),
            cat(widths, np.int32),
            used_all,
        )
        self._builder.skipped = skipped
        self._aeg_cache.clear()

    # ------------------------------------------------------------------ structured fields

    def _aeg(self, lids: bytes, w: int, h: int, ovs: tuple = ()) -> bytes:
        """BAG, MCF/MDR for the page's local IDs, MPO for its overlays, PGD, PTD, EAG (cached)."""
        key = (lids, w, h, ovs)
        hit = self._aeg_cache.get(key)
        if hit is not None:
            return hit
        xu, yu = _lunits(w, "width"), _lunits(h, "height")
        mcf, mdr = [], []
        pairs = np.frombuffer(lids, dtype=np.int32).reshape(-1, 2).tolist() if lids else []
        for k, (slot, vfs) in enumerate(pairs, start=1):
            f = self._fonts[slot]
            if f.job is not None:
                mdr.append(f.job.mdr_group(k, vfs))
            else:
                assert f.coded is not None  # a font is inline (job) or a coded font
                mcf.append(f.coded.mcf_group(k, vfs))
        sizes = b"\x00\x00" + struct.pack(">HH", 14400, 14400) + xu.to_bytes(3, "big") + yu.to_bytes(3, "big")
        parts = [_BAG]
        if mcf:
            parts.append(S.sf(S.MCF, b"".join(mcf)))
        if mdr:
            parts.append(S.sf(S.MDR, b"".join(mdr)))
        if ovs:
            parts.append(OV.mpo(ovs))
        parts += [S.sf(S.PGD, sizes + b"\x00\x00\x00"), S.sf(S.PTD, sizes + b"\x00\x00"), _EAG]
        out = b"".join(parts)
        if len(self._aeg_cache) > 4096:
            self._aeg_cache.clear()
        self._aeg_cache[key] = out
        return out

    def _medium_maps(self, dl: DisplayList) -> list:
        """Per template, the medium map its medium is printed with (validated), or None."""
        out = []
        mapped = self.options.medium_maps or {}
        for medium in dl.media or []:
            name = mapped.get(medium, medium)
            if name is not None and name not in self._mm_names:
                self._mm_names[name] = S.name8(name, "medium map name")
            out.append(name)
        return out

    def _tle_blocks(self, dl: DisplayList, records: list) -> tuple[list, int, Exception | None]:
        """The TLEs of each document of a batch (one bytes per document), and the first
        document whose tags cannot be written with the error to raise there (-1, None: none).

        A tag's values are encoded together, in one piece per tag and batch; a tag whose
        values in the batch include one that is not a str, has a character code page 500
        lacks (it goes in UTF-16BE), holds a NUL or is too long goes value by value.
        """
        ndocs = len(records)
        if not ndocs:
            return [], -1, None
        cols = []
        bad, exc = ndocs, None
        for attr, values in dl.tags.items():
            pre = self._tle_pre.get(attr)
            if pre is None:
                pre = self._tle_pre[attr] = _tle_prefixes(attr)
            pre500, pre1200 = pre
            values = list(values[:ndocs])
            datas = _cp500_each(values)
            if datas is not None and max(map(len, datas)) <= TAG_VALUE_BYTES:
                cols.append([pre500[len(b)] + b for b in datas])
                continue
            col = []
            for d, value in enumerate(values):
                value = "" if value is None else str(value)
                try:
                    data, head = value.encode("latin-1").translate(_CP500), pre500
                except UnicodeEncodeError:
                    data, head = value.encode("utf-16-be"), pre1200
                if len(data) > TAG_VALUE_BYTES:
                    # binding rejects such records in a job (ccmcore.program): only a display
                    # list made by hand gets here
                    if d < bad:
                        bad, exc = (
                            d,
                            ValueError(
                                f"record {records[d]}: tag {attr!r} value of {len(value)} characters does not fit "
                                f"an AFP attribute value ({TAG_VALUE_BYTES} bytes)"
                            ),
                        )
                    data = b""  # never written: the batch stops at document ``bad``
                col.append(head[len(data)] + data)
            cols.append(col)
        blocks = cols[0] if len(cols) == 1 else [b"".join(t) for t in zip(*cols)]
        return blocks, (bad if exc is not None else -1), exc

    def _flush(self) -> None:
        if self._parts and self._spool is not None:
            self._spool.write(b"".join(self._parts))
            self._parts.clear()
            self._pending = 0

    # ------------------------------------------------------------------ pages

    def write(self, dl: DisplayList) -> list[Extent]:
        """Write every page of a display list (to the spool; the file is made at close).

        Args:
            dl: one batch of laid-out documents.

        Returns:
            Per row of ``dl.docs`` its :class:`~ccmcore.display.Extent`, the offset counted
            from the start of the document part (its BNG): after :meth:`close` the offset
            in the file is ``document_offset`` plus this offset.

        Raises:
            ValueError: the writer is closed or broken, the display list is inconsistent
                (also image or overlay indices, an overlay that is not one page, contains
                itself or shares its AFP name with another), a medium map or tag cannot
                be written, or a page size or an image or overlay position is out of range.
            AfpEncodingError: a character is outside a coded font's code page, or a page
                (or overlay) uses more than 127 font/size pairs.
            ImageError: an image is larger than IOCA allows, or its JPEG markers are malformed.
        """
        self._check_open()
        return self.add(self.encode(dl))

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("write() on a closed AfpWriter")
        if self._broken:
            raise ValueError("an earlier write() failed part-way; this AFP file cannot be finished")

    def encode(self, dl: DisplayList, *, trusted: bool = False) -> AfpPages:
        """The documents of a display list as AFP page groups, not yet in any file.

        A writer made with the job's resources (and ``fileobj=None`` in a job's worker
        processes) names images and overlays without storing them: :meth:`add` stores
        them when it takes the pages. ``trusted``: the display list was made by the layout
        kernel, so its structure is not checked again. Raises what :meth:`write` raises.
        """
        if self._closed:
            raise ValueError("encode() on a closed AfpWriter")
        items, gids, advances, text, pages, docs, _, glyph_fonts = dl.arrays() if trusted else dl.check()
        for attr, values in dl.tags.items():
            if len(values) < len(docs):
                raise ValueError(f"tag {attr!r} has {len(values)} values for {len(docs)} documents")
        # images and overlays first: laying out an overlay binds its own items and may add fonts
        image_map, overlay_map = self._use_resources(dl, items, store=self._job is None)
        font_map = self._register_fonts(dl, glyph_fonts)
        builder = self._builder
        assert builder is not None  # made by _register_fonts
        builder.bind(items, gids, advances, text, font_map)
        special = _special_rows(items)
        out = self._encode_docs(dl, builder, pages, docs, items, special, image_map, overlay_map)
        if self._job is None:
            return out
        # the job's numbers for the images and overlays each document draws
        uses = resource_uses(items, pages)
        if len(uses):
            img = uses[:, 1] == IMAGE
            uses[img, 2] = self._job.indices(dl.images, "image")[uses[img, 2]]
            uses[~img, 2] = self._job.indices(dl.overlays, "overlay")[uses[~img, 2]]
            uses = np.unique(uses, axis=0)
        return out._replace(uses=uses)

    def stamps(self, items: np.ndarray, starts: np.ndarray) -> list[bytes]:
        """Presentation text objects drawing rectangle items (barcodes the merge adds to
        pages once their place in the job is known), one per page: :meth:`add` takes them
        as ``stamps[page]``.

        Args:
            items: int32 RECT (or RULE) item rows of every page, one page after another.
            starts: int64 (n + 1,): where each page's items start, and the end.

        Raises:
            ValueError: an item is not a rule or rectangle.
        """
        rows = np.ascontiguousarray(items, dtype=np.int32).reshape(-1, 13)
        at = np.asarray(starts, dtype=np.int64).tolist()
        if len(at) < 2:
            return []
        kinds = rows[:, _KIND]
        if ((kinds != 2) & (kinds != 3)).any():
            raise ValueError("a stamp draws rules and rectangles only")
        builder = self._builder
        if builder is None:
            self._rebuild_builder()
            builder = self._builder
        assert builder is not None  # made just now
        none = np.zeros(0, np.int32)
        builder.bind(rows, np.zeros(0, np.uint16), none, np.zeros(0, np.uint8), none)
        out = []
        for i0, i1 in zip(at, at[1:]):
            res = builder.page(i0, i1 - i0)
            assert res is not None  # rules and rectangles always encode
            out.append(b"".join((_BPT, res[0], _EPT)) if res[0] else b"")
        return out

    def add(self, part: AfpPages, stamps: dict | None = None) -> list[Extent]:
        """Spool page groups :meth:`encode` made (here or in another process, with the same
        job resources): images and overlays are stored on first use; ``stamps`` (page row
        -> one of :meth:`stamps`) go at the end of their pages.

        Returns:
            Per document its :class:`~ccmcore.display.Extent` (offset counted as
            :meth:`write` says).
        """
        self._check_open()
        if self._job is not None and len(part.uses):
            seen: set = set()
            for _, kind, idx in np.asarray(part.uses).tolist():
                if (kind, idx) in seen:
                    continue
                seen.add((kind, idx))
                if kind == IMAGE:
                    self._image(self._job.images[idx], store=True)
                else:
                    self._overlay(self._job.overlays[idx], store=True)
        if stamps:
            part = _spliced(part, stamps)
        self._crcs.extend(np.asarray(part.crcs, dtype=np.uint32).tolist())
        buf = part.content
        npages = self._pages
        base = self._spool_pos
        extents = []
        pos = base
        first = npages
        for record, pn, length in zip(
            np.asarray(part.records).tolist(), np.asarray(part.doc_pages).tolist(), np.asarray(part.doc_bytes).tolist()
        ):
            extents.append(Extent(record, first, pn, pos, length))
            pos += length
            first += pn
            self._doc_ends.append(pos)
        if pos - base != len(buf):
            raise ValueError("encoded page groups: the documents' lengths do not add up to the content")
        oid_patches = self._oid_patches
        for at, slot in np.asarray(part.oids, dtype=np.int64).reshape(-1, 2).tolist():
            oid_patches[slot].append(base + at)
        if self._job is not None:
            used = self._builder_used()
            if len(part.used) != len(used):
                raise ValueError("the encoded pages were made with other fonts than this writer's job resources")
            np.bitwise_or(used, part.used, out=used)
        self._pages = first
        self._spool_pos = pos
        self._parts.append(buf)
        self._pending += len(buf)
        if self._pending >= _FLUSH:
            try:
                self._flush()
            except BaseException:
                self._broken = True
                raise
        return extents

    def _builder_used(self) -> np.ndarray:
        assert self._used_all is not None  # the job's fonts are registered when the writer is made
        return self._used_all

    def unencodable(self, dl: DisplayList) -> dict[int, str]:
        """Documents whose text a printer-resident coded font cannot show.

        Returns:
            doc row -> message (record, character, code page), for the documents of dl
            with a character outside the code page of a font mapped to a coded font.
            Cheap when the batch's text is ASCII or every character encodes.
        """
        coded = {
            i: self.options.coded_fonts[f.name]
            for i, f in enumerate(dl.fonts)
            if self.options.coded_fonts and f.name in self.options.coded_fonts
        }
        if not coded or not dl.text:
            return {}
        raw = np.frombuffer(dl.text, dtype=np.uint8)
        chars = {chr(c) for c in np.unique(raw).tolist()} if raw.max() < 0x80 else set(dl.text.decode("utf-8"))

        def fits(ch: str, codec: str) -> bool:
            try:
                ch.encode(codec)
                return True
            except UnicodeEncodeError:
                return False

        bad_chars = {i: {ch for ch in chars if not fits(ch, cf.encoding)} for i, cf in coded.items()}
        if not any(bad_chars.values()):
            return {}
        out: dict[int, str] = {}
        starts = dl.pages[:, _I0]
        for row in np.flatnonzero((dl.items[:, _KIND] == _GLYPHS) & np.isin(dl.items[:, _FONT], list(coded))):
            it = dl.items[row]
            hit = set(dl.run_text(it)) & bad_chars[int(it[_FONT])]
            if not hit:
                continue
            page = int(np.searchsorted(starts, row, side="right") - 1)
            doc = int(dl.pages[page, _DOC])
            if doc not in out:
                cf = coded[int(it[_FONT])]
                ch = sorted(hit)[0]
                out[doc] = (
                    f"character {ch!r} (U+{ord(ch):04X}) is not in code page {cf.code_page} "
                    f"({cf.encoding}) of the coded font {cf.character_set}"
                )
        return out

    def _encode_docs(self, dl, builder, pages, docs, items, special, image_map, overlay_map) -> AfpPages:
        """The page groups of a batch's documents (whatever their place in the file: a page is
        named by its document's record and its number in it)."""
        page_rows = pages[:, [_TEMPLATE, _WIDTH, _HEIGHT, _I0, _IN]].tolist()
        # per page: its image and overlay items are special[lo:hi]
        if len(special):
            s_lo = np.searchsorted(special, pages[:, _I0]).tolist()
            s_hi = np.searchsorted(special, pages[:, _I0] + pages[:, _IN]).tolist()
        else:
            s_lo = s_hi = [0] * len(page_rows)
        special_rows = special.tolist()
        special_vals = _special_values(items, special)
        doc_rows = docs[:, [_RECORD, _P0, _PN]].tolist()
        tles, tle_bad, tle_exc = self._tle_blocks(dl, [r[0] for r in doc_rows]) if dl.tags else (None, -1, None)
        mms = self._medium_maps(dl)
        n_mm = len(mms)
        mm_names = self._mm_names
        bng_tails = self._bng_tail
        imm, bpg, epg, eng = _SF_HEAD[S.IMM], _SF_HEAD[S.BPG], _SF_HEAD[S.EPG], _SF_HEAD[S.ENG]
        bng16 = _SF_HEAD[S.BNG]
        aeg_cache = self._aeg_cache
        page_fn = builder.page
        parts: list[bytes] = []
        ends = array("q")  # offset of each page's EPG
        oids = array("q")  # (offset, font slot) of each GLC font OID
        doc_bytes = array("q")
        suffixes = _PAGE_SUFFIXES
        lb = len(bpg)  # a BPG, EPG, ENG or IMM introducer: its name follows
        pos = 0
        degraded = array("q")
        for d, (record, p0, pn) in enumerate(doc_rows):
            start = pos
            skipped = builder.skipped
            gname = (b"%08d" % record).translate(_CP500) if 0 <= record < 100_000_000 else _seq_name("", record)
            pprefix = _page_prefix(record)
            # every document invokes its own medium map: it reads the same wherever it goes
            last_mm = None
            first_mm = mms[page_rows[p0][0]] if pn and page_rows[p0][0] < n_mm else None
            if first_mm is None:
                dp = [bng16, gname]
            else:
                tail = bng_tails.get(first_mm)
                if tail is None:
                    fqn = S.t_fqn(0x8D, first_mm.encode("cp500"))
                    tail = bng_tails[first_mm] = (_intro(S.BNG, 8 + len(fqn)), fqn)
                dp = [tail[0], gname, tail[1]]
            if tles is not None:
                if d == tle_bad:
                    assert tle_exc is not None  # tle_bad is -1 without an error
                    raise tle_exc
                dp.append(tles[d])
            size = sum(map(len, dp))
            for p in range(p0, p0 + pn):
                template, w, h, i0, n = page_rows[p]
                if template < n_mm:
                    mm = mms[template]
                    if mm is not None and mm != last_mm:
                        dp.append(imm + mm_names[mm])
                        size += lb + 8
                        last_mm = mm
                at = pos + size  # the page's BPG
                pname = pprefix + suffixes[(p - p0 + 1) % 1296]
                lo = s_lo[p]
                if lo != s_hi[p]:
                    # images or overlays: text objects between them, in drawing order
                    hi = s_hi[p]
                    res = self._objects(
                        builder, special_rows[lo:hi], special_vals[lo:hi], i0, n, image_map, overlay_map
                    )
                    if res is None:
                        raise self._encoding_error(builder, dl, record)
                    body, lids, o, ovs = res
                    aeg = self._aeg(lids, w, h, ovs)
                    body_at = at + lb + 8 + len(aeg)
                    for off, slot in o:
                        oids.append(body_at + off)
                        oids.append(slot)
                    ends.append(body_at + len(body))
                    dp += (bpg, pname, aeg, body, epg, pname)
                    size += 2 * (lb + 8) + len(aeg) + len(body)
                    continue
                res = page_fn(i0, n)
                if res is None:
                    raise self._encoding_error(builder, dl, record)
                ptx, lids, o = res
                cached = aeg_cache.get((lids, w, h, ()))
                aeg = cached if cached is not None else self._aeg(lids, w, h)
                body_at = at + lb + 8 + len(aeg)
                if not ptx:
                    ends.append(body_at)
                    dp += (bpg, pname, aeg, epg, pname)
                    size += 2 * (lb + 8) + len(aeg)
                    continue
                if o is not None:
                    for off, slot in o.tolist():
                        oids.append(body_at + len(_BPT) + off)
                        oids.append(slot)
                body_len = len(_BPT) + len(ptx) + len(_EPT)
                ends.append(body_at + body_len)
                dp += (bpg, pname, aeg, _BPT, ptx, _EPT, epg, pname)
                size += 2 * (lb + 8) + len(aeg) + body_len
            dp += (eng, gname)
            size += lb + 8
            parts += dp  # joined once per batch, not per document
            pos += size
            doc_bytes.append(pos - start)
            if builder.skipped != skipped:
                degraded.append(record)
                degraded.append(builder.skipped - skipped)
        content = b"".join(parts)
        if len(content) != pos:
            raise AssertionError("AFP writer offset bookkeeping is off")
        view = memoryview(content)
        crcs = np.zeros(len(doc_bytes), dtype=np.uint32)
        a = 0
        for d, n_bytes in enumerate(doc_bytes):
            crcs[d] = crc32(view[a : a + n_bytes])
            a += n_bytes
        view.release()
        used = self._used_all.copy() if self._used_all is not None else np.zeros(0, np.uint8)
        return AfpPages(
            docs[:, _RECORD].astype(np.int64),
            docs[:, _PN].astype(np.int64),
            np.frombuffer(doc_bytes, dtype=np.int64).copy(),
            content,
            np.frombuffer(ends, dtype=np.int64).copy(),
            np.frombuffer(oids, dtype=np.int64).reshape(-1, 2).copy(),
            np.zeros((0, 3), np.int64),
            used,
            np.frombuffer(degraded, dtype=np.int64).reshape(-1, 2).copy(),
            crcs,
        )

    def _encoding_error(self, builder: PtxBuilder, dl: DisplayList, record: int) -> Exception:
        kind, item = builder.err_kind, builder.err_item
        if kind == 1:
            cp = builder.err_cp
            ch = chr(cp) if cp <= 0x10FFFF else "\ufffd"
            font = dl.fonts[int(dl.items[item, _FONT])]
            cf = self._fonts[self._font_slot[id(font)]].coded
            assert cf is not None  # only a coded font's code page lacks characters
            return AfpEncodingError(
                f"record {record}: character {ch!r} (U+{cp:04X}) in {dl.run_text(dl.items[item])!r} is not in "
                f"code page {cf.code_page} ({cf.encoding}) of the coded font {cf.character_set} mapped to "
                f"{font.name}",
                record=record,
                char=ch,
            )
        if kind == 2:
            return AfpEncodingError(
                f"record {record}: a page uses more than 127 font/size pairs (AFP local IDs)", record=record
            )
        return ValueError(f"record {record}: a text size is outside 1..32,767 L-units (1/1440 inch)")

    # ------------------------------------------------------------------ images and overlays

    def _objects(
        self, builder: PtxBuilder, rows: list, vals: list, i0: int, n: int, image_map: dict, overlay_map: dict
    ):
        """The objects of a page (or overlay) whose items ``i0 .. i0+n`` include the image
        and overlay items ``rows`` (sorted; ``vals``: their KIND, X, Y, W, H, FONT fields):
        presentation text objects for the runs between them, an IOB per image, an IPO per
        overlay.

        Returns:
            None when the builder reports an error (see :meth:`PtxBuilder.page`), else
            (body, lids, oids, ovs): the objects' bytes; the local IDs of every text run
            (one table for the page); [(offset in body of a GLC font OID, job font)]; the
            overlay name tokens included, in order of first inclusion (MPO local IDs).
        """
        parts: list[bytes] = []
        pos = 0
        lids = b""
        oids: list = []
        ovs: list[bytes] = []
        started = False
        a = i0
        end = i0 + n
        for k, r in enumerate(rows + [end]):
            if r > a:
                res = builder.page(a, r - a, started)
                if res is None:
                    return None
                started = True
                ptx, lids, o = res
                if ptx:
                    if o is not None:
                        base = pos + len(_BPT)
                        oids.extend((base + at, slot) for at, slot in o.tolist())
                    chunk = b"".join((_BPT, ptx, _EPT))
                    parts.append(chunk)
                    pos += len(chunk)
            if r >= end:
                break
            kind, x, y, w, h, idx = vals[k]
            if kind == IMAGE:
                chunk = self._iob(image_map[idx], x, y, w, h)
            else:
                tok = overlay_map[idx]
                if tok not in ovs:
                    ovs.append(tok)
                key = (tok, x, y)
                ipo = self._ipo_cache.get(key)
                if ipo is None:
                    ipo = OV.include_page_overlay(tok, _rdiv(x), _rdiv(y))
                    if len(self._ipo_cache) > 4096:
                        self._ipo_cache.clear()
                    self._ipo_cache[key] = ipo
                chunk = ipo
            parts.append(chunk)
            pos += len(chunk)
            a = r + 1
        return b"".join(parts), lids, oids, tuple(ovs)

    def _iob(self, img: IocaImage, x: int, y: int, w: int, h: int) -> bytes:
        """The IOB of an image item at (x, y), w x h millipoints (edges rounded to L-units)."""
        key = (img.token, x, y, w, h)
        hit = self._iob_cache.get(key)
        if hit is None:
            x0, y0 = _rdiv(x), _rdiv(y)
            lw, lh = max(1, _rdiv(x + w) - x0), max(1, _rdiv(y + h) - y0)
            if lw > 32767 or lh > 32767:
                raise ValueError(f"image {img.name} of {w}x{h} mpt is larger than 32,767 L-units (1/1440 inch)")
            hit = include_object(img, x0, y0, lw, lh)
            if len(self._iob_cache) > 4096:
                self._iob_cache.clear()
            self._iob_cache[key] = hit
        return hit

    def _use_resources(self, dl: DisplayList, items: np.ndarray, store: bool = True) -> tuple[dict, dict]:
        """(image_map, overlay_map): per image / overlay index the items use, its
        :class:`IocaImage` / name token; stores those the job has not stored yet (with
        ``store``; else only names them, by the job's resources)."""
        kinds = items[:, _KIND]
        image_map = {i: self._image(dl.images[i], store) for i in np.unique(items[kinds == IMAGE, _FONT]).tolist()}
        overlay_map = {
            i: self._overlay(dl.overlays[i], store) for i in np.unique(items[kinds == OVERLAY, _FONT]).tolist()
        }
        return image_map, overlay_map

    def _image(self, image: Image, store: bool = True) -> IocaImage:
        """The stored form of an image, encoding it into the resource spool on first use
        (only its description without ``store``)."""
        hit = self._images.get(image.key)
        if hit is not None:
            return hit
        if self._job is not None:
            name = self._job_image_names.get(image.key)
            if name is None:
                raise ValueError(f"image {image.name!r} is not one of the job's images")
            if not store:
                info = self._image_info.get(image.key)
                if info is None:
                    info = self._image_info[image.key] = ioca_image(image, name)[0]
                return info
        else:
            name = image_name(image.key, self._image_names)
        info, fields = ioca_image(image, name)
        blob = b"".join(fields)
        if self._res_spool is None:
            self._res_spool = tempfile.TemporaryFile(prefix=".ccm-afp-res-", dir=self._spool_dir)
        try:
            self._res_spool.write(blob)
        except BaseException:
            self._broken = True  # a resource half written
            raise
        self._res_size += len(blob)
        self._image_names.add(name)
        self._images[image.key] = info
        return info

    def _overlay(self, ov, store: bool = True) -> bytes:
        """The name token of an overlay, laying it out and storing it on first use (only
        naming it without ``store``).

        Raises:
            ValueError: not an Overlay, no positive size, not one page, inconsistent
                content, contains itself, or another overlay has the same AFP name.
            AfpEncodingError: its text cannot be written in its fonts.
        """
        tok = self._ov_token.get(id(ov))
        if tok is not None:
            return tok
        if self._job is not None:
            job_name = self._job_overlay_names.get(id(ov))
            if job_name is None:
                raise ValueError(f"overlay {getattr(ov, 'name', ov)!r} is not one of the job's overlays")
            if not store:
                return S.name8(job_name, "overlay name")
        if not isinstance(ov, Overlay):
            raise ValueError(f"display list overlays hold ccmcore.display.Overlay objects, not {type(ov).__name__}")
        if id(ov) in self._ov_open:
            raise ValueError(f"overlay {ov.name!r} contains itself")
        for what, v in (("width", ov.width), ("height", ov.height)):
            if not 1 <= _rdiv(v) <= 32767:
                raise ValueError(f"overlay {ov.name!r} {what} of {v} mpt is outside 1..32,767 L-units (1/1440 inch)")
        c = ov.content
        try:
            items, gids, advances, text, pages, docs, _, glyph_fonts = c.check()
        except ValueError as exc:
            raise ValueError(f"overlay {ov.name!r}: {exc}") from None
        if len(pages) != 1:
            raise ValueError(f"overlay {ov.name!r} must hold exactly one page, not {len(pages)}")
        self._ov_open.add(id(ov))
        try:
            image_map, overlay_map = self._use_resources(c, items)
        finally:
            self._ov_open.discard(id(ov))
        # named once the overlays it includes have their names
        name = self._job_overlay_names[id(ov)] if self._job is not None else OV.overlay_name(ov.name, self._ov_names)
        if name in self._ov_names:
            raise ValueError(
                f"two different overlays ({ov.name!r} and another) have the AFP name {name!r}; "
                f"overlays stored in one job need different names"
            )
        font_map = self._register_fonts(c, glyph_fonts)
        builder = self._builder
        assert builder is not None  # made by _register_fonts
        builder.bind(items, gids, advances, text, font_map)
        i0, n = int(pages[0, _I0]), int(pages[0, _IN])
        special = _special_rows(items)
        special = special[(special >= i0) & (special < i0 + n)]
        res = self._objects(builder, special.tolist(), _special_values(items, special), i0, n, image_map, overlay_map)
        if res is None:
            err = self._encoding_error(builder, c, -1)
            msg = str(err).replace("record -1: ", "")
            if isinstance(err, AfpEncodingError):
                raise AfpEncodingError(f"overlay {ov.name!r}: {msg}", char=err.char)
            raise ValueError(f"overlay {ov.name!r}: {msg}")
        body, lids, oids, ovs = res
        tok = S.name8(name, "overlay name")
        brs, bmo = OV.begin(tok)
        head = b"".join((brs, bmo, self._aeg(lids, ov.width, ov.height, ovs)))
        self._ov_data.append((head + body + OV.end(tok), [(len(head) + at, slot) for at, slot in oids]))
        self._ov_names[name] = id(ov)
        self._ov_token[id(ov)] = tok
        self._ov_held.append(ov)
        return tok

    # ------------------------------------------------------------------ finishing

    def close(self) -> None:
        """Write the resource group, the document start, the spooled pages and EDT.

        Creates (or writes to) the output only now. Calling close() again does nothing.

        Raises:
            EmptyJobError: no page was written (nothing is written).
            FontError: a font cannot be subset.
            ValueError: an earlier write() failed part-way (nothing is written).
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self._broken:
                raise ValueError("an earlier write() failed part-way; the AFP file was not written")
            if not self._pages:
                # consistent with PDF: a print file without a page is never made
                raise EmptyJobError("no page was written: no AFP file was made")
            if self._spool is None:
                raise ValueError("an AfpWriter made without a file only encodes pages")
            self._flush()
            head = [S.sf(S.BRG, S.name8("CCMRES"))]
            oids: dict[int, bytes] = {}
            for slot, f in enumerate(self._fonts):
                if f.job is not None and f.job.used.any():
                    head.append(f.job.resource())
                    oids[slot] = f.job.oid
            prefix = b"".join(head)
            # overlays follow the fonts and images they use; their GLC font OIDs patched now
            tail = []
            for data, patches in self._ov_data:
                if patches:
                    buf = bytearray(data)
                    for at, slot in patches:
                        buf[at : at + OID_LEN] = oids[slot]
                    data = bytes(buf)
                tail.append(data)
            tail.append(S.sf(S.ERG, S.name8("CCMRES")))
            tail.append(S.sf(S.BDT, S.name8("CCMDOC") + b"\x00\x00" + S.t_ccsid(500)))
            if self.options.form_definition:
                tail.append(S.sf(S.NOP, f"FORMDEF={self.options.form_definition}".encode("cp500")))
            doc_head = b"".join(tail)
            self.document_offset = len(prefix) + self._res_size + len(doc_head)
            out = open(self._path, "wb") if self._path is not None else self._f
            assert out is not None  # a writer has a path or a file object
            try:
                out.write(prefix)
                if self._res_spool is not None:
                    self._res_spool.seek(0)
                    copy_rest(self._res_spool, out)
                out.write(doc_head)
                self._copy_spool(out, oids)
                out.write(S.sf(S.EDT, S.name8("CCMDOC")))
                flush = getattr(out, "flush", None)
                if flush is not None:
                    flush()
            finally:
                if self._path is not None:
                    out.close()
        finally:
            if self._spool is not None:
                self._spool.close()
            if self._res_spool is not None:
                self._res_spool.close()

    def _copy_spool(self, out, oids: dict[int, bytes]) -> None:
        """Copy the spooled documents behind the resources, font OIDs filled in, taking
        each document's CRC-32 on the way (the bytes pass through memory anyway)."""
        patches = sorted((at, slot) for slot, arr in enumerate(self._oid_patches) for at in arr)
        spool = self._spool
        assert spool is not None  # close() checked it
        spool.seek(0)
        if not patches:  # the documents are as encoded: so are their checksums
            self.checksums = self._crcs
            copy_rest(spool, out)
            return
        ends = self._doc_ends.tolist()
        d, crc = 0, 0
        k = 0
        pos = 0
        while True:
            chunk = spool.read(_FLUSH)
            if not chunk:
                break
            end = pos + len(chunk)
            buf = None
            # patches that start before this chunk may reach into it
            while k > 0 and patches[k - 1][0] + OID_LEN > pos:
                k -= 1
            while k < len(patches) and patches[k][0] < end:
                at, slot = patches[k]
                lo, hi = max(at, pos), min(at + OID_LEN, end)
                if lo < hi:
                    if buf is None:
                        buf = bytearray(chunk)
                    buf[lo - pos : hi - pos] = oids[slot][lo - at : hi - at]
                k += 1
            data = buf if buf is not None else chunk
            view = memoryview(data)
            a = pos
            while d < len(ends) and a < end:
                b = min(ends[d], end)
                crc = crc32(view[a - pos : b - pos], crc)
                a = b
                if b == ends[d]:
                    self.checksums.append(crc)
                    d, crc = d + 1, 0
            view.release()
            out.write(data)
            pos = end

    # ------------------------------------------------------------------ context manager

    def __enter__(self) -> AfpWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        """Give up: write nothing and release the spool files. Calling it again does nothing."""
        self._closed = True
        if self._spool is not None:
            self._spool.close()
        if self._res_spool is not None:
            self._res_spool.close()


# ---------------------------------------------------------------------- helpers


def _spliced(part: AfpPages, stamps: dict) -> AfpPages:
    """The page groups with each stamp inserted before its page's EPG, offsets moved."""
    ends = np.asarray(part.ends, dtype=np.int64)
    cuts = sorted((int(ends[k]), k, data) for k, data in stamps.items() if data)
    if not cuts:
        return part
    source = memoryview(part.content)
    pieces: list = []
    last = 0
    for at, _, data in cuts:
        pieces += (source[last:at], data)
        last = at
    pieces.append(source[last:])
    ats = np.array([c[0] for c in cuts], dtype=np.int64)
    grow = np.concatenate([[0], np.cumsum([len(c[2]) for c in cuts])]).astype(np.int64)

    def moved(offsets: np.ndarray) -> np.ndarray:
        # an offset at a cut (that page's EPG) moves behind the stamp put there
        return offsets + grow[np.searchsorted(ats, offsets, side="right")]

    oids = np.asarray(part.oids, dtype=np.int64).reshape(-1, 2).copy()
    oids[:, 0] = moved(oids[:, 0])
    doc_of_page = np.repeat(np.arange(len(part.doc_pages)), np.asarray(part.doc_pages))
    doc_bytes = np.asarray(part.doc_bytes, dtype=np.int64).copy()
    np.add.at(doc_bytes, doc_of_page[[c[1] for c in cuts]], [len(c[2]) for c in cuts])
    content = b"".join(pieces)
    crcs = np.asarray(part.crcs, dtype=np.uint32).copy()
    starts = np.concatenate([[0], np.cumsum(doc_bytes)])
    for d in sorted({int(doc_of_page[c[1]]) for c in cuts}):
        crcs[d] = crc32(content[starts[d] : starts[d + 1]])
    return part._replace(content=content, ends=moved(ends), oids=oids, doc_bytes=doc_bytes, crcs=crcs)


_CODE_TABLES: dict[int, tuple] = {}


def _glyph_code_table(font) -> np.ndarray:
    """uint16 per BMP code point: its glyph in the font (made once per font and process:
    a job's encoder and its merge, and every job after, share it)."""
    hit = _CODE_TABLES.get(id(font))
    if hit is not None and hit[0] is font:
        return hit[1]
    tab = np.zeros(0x10000, dtype=np.uint16)
    cps = np.fromiter((cp for cp in font.cmap if cp <= 0xFFFF), dtype=np.int64)
    if len(cps):
        tab[cps] = np.fromiter((font.cmap[cp] for cp in cps.tolist()), dtype=np.int64)
    tab.flags.writeable = False
    if len(_CODE_TABLES) > 64:
        _CODE_TABLES.clear()
    _CODE_TABLES[id(font)] = (font, tab)  # the font is held, so its id stays its own
    return tab


def _rdiv(mpt: int) -> int:
    """Millipoints to L-units (1/1440 inch = 50 mpt), rounded half away from zero."""
    return (mpt + 25) // 50 if mpt >= 0 else -((-mpt + 25) // 50)


def _special_rows(items: np.ndarray) -> np.ndarray:
    """Rows of the image and overlay items (sorted)."""
    kinds = items[:, _KIND]
    return np.flatnonzero((kinds == IMAGE) | (kinds == OVERLAY))


def _special_values(items: np.ndarray, rows: np.ndarray) -> list:
    """KIND, X, Y, W, H, FONT of the given item rows, as lists."""
    return items[rows][:, [_KIND, _X, _Y, _W, _H, _FONT]].tolist()


def _lunits(mpt: int, what: str) -> int:
    v = (int(mpt) + 25) // 50
    if not 1 <= v <= 32767:
        raise ValueError(f"page {what} of {mpt} mpt is outside 1..32,767 L-units (1/1440 inch)")
    return v


_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: page number in its document (mod 36**2) -> the last two characters of a page name
_PAGE_SUFFIXES = [(_B36[k // 36] + _B36[k % 36]).encode("cp500") for k in range(36 * 36)]


def _page_prefix(record: int) -> bytes:
    """The first six characters of the names of a document's pages: a letter and the
    record number in base 36, so that every page of a file has its own name wherever its
    document goes (the letter counts the 60,466,176 records five digits hold, from P)."""
    high, low = divmod(max(record, 0), 1296)
    head = _PAGE_HEADS.get(high)
    if head is None:  # once per 1,296 records
        letter, n = divmod(high, 36**3)
        digits = ""
        for _ in range(3):
            n, r = divmod(n, 36)
            digits = _B36[r] + digits
        if len(_PAGE_HEADS) > 4096:
            _PAGE_HEADS.clear()
        head = _PAGE_HEADS[high] = ("PQRSTUVWXYZ"[letter % 11] + digits).encode("cp500")
    return head + _PAGE_SUFFIXES[low]


_PAGE_HEADS: dict[int, bytes] = {}


def _seq_name(prefix: str, n: int) -> bytes:
    """An 8-character EBCDIC name: prefix + decimal digits, or base 36 when they run out."""
    digits = 8 - len(prefix)
    if n < 10**digits:
        s = f"{prefix}{n:0{digits}d}"
    else:
        b36 = ""
        while n:
            n, r = divmod(n, 36)
            b36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r] + b36
        s = (prefix or "Z") + b36.rjust(8 - len(prefix or "Z"), "0")[-(8 - len(prefix or "Z")) :]
    return s.encode("cp500")


def _encode_attr(text: str) -> tuple[int, bytes]:
    """(CCSID, bytes): EBCDIC 500 when the text has only its characters, else UTF-16BE."""
    try:
        return 500, text.encode("cp500")
    except UnicodeEncodeError:
        return 1200, text.encode("utf-16-be")


def _tle_name(attr: str) -> bytes:
    ccsid, data = _encode_attr(str(attr))
    if len(data) > TAG_VALUE_BYTES:
        raise ValueError(f"tag attribute name {attr!r} is longer than {TAG_VALUE_BYTES} bytes in AFP")
    return S.t_ccsid(ccsid) + S.t_fqn(0x0B, data)


class _TlePrefixes(dict):
    """value length (bytes) -> the TLE of one tag up to its value, values in one CCSID
    (made on first use, then looked up)."""

    __slots__ = ("fixed",)

    def __init__(self, fixed: bytes):
        super().__init__()
        self.fixed = fixed

    def __missing__(self, n: int) -> bytes:
        # data: name triplets, CCSID of the value, Attribute Value triplet (4 bytes + value)
        head = self[n] = _intro(S.TLE, len(self.fixed) + 4 + n) + self.fixed + bytes((n + 4, 0x36, 0, 0))
        return head


def _tle_prefixes(attr: str) -> tuple[_TlePrefixes, _TlePrefixes]:
    """The TLE prefixes of tag ``attr`` for values in code page 500 and in UTF-16BE.

    Raises:
        ValueError: the name is longer than 250 bytes in AFP.
    """
    head = _tle_name(attr)
    return _TlePrefixes(head + _CCSID_500), _TlePrefixes(head + _CCSID_1200)


def _cp500_each(values: list) -> list[bytes] | None:
    """Each value in code page 500, encoded in one piece; None when a value is not a str,
    has a character code page 500 lacks, or holds a NUL (the separator)."""
    try:
        data = "\x00".join(values).encode("latin-1").translate(_CP500)
    except (TypeError, UnicodeEncodeError):
        return None
    out = data.split(b"\x00")
    return out if len(out) == len(values) else None
