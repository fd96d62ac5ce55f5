"""Internal: fonts for AFP output: inline TrueType/OpenType resources and FOCA coded fonts.

TrueType/OpenType fonts travel inline, in the print file level resource group, as object
containers (MO:DCA chapter 5, "Using the BRS to Envelop Inline TrueType/OpenType
Resources"): BRS (resource object type X'92', full font name in UTF-16BE) / BOC (object
classification: data-object font, encoded object-type OID X'06072B120004010133', object
OID) / OCD... / EOC / ERS. Pages map them with MDR repeating groups that name the full
font name (FQN type X'DE'), the local ID PTOCA selects with SCFL (FQN type X'BE') and the
size (Data-Object Font Descriptor X'8B').

The font program is the job's font subset once, at close, by HarfBuzz with retained glyph
ids, so text written hours earlier by glyph id (GLC chains) and by code point (TRN: the
subset keeps the cmap entries of every retained glyph) stays valid.

A :class:`CodedFont` instead maps a layout font to a printer-resident FOCA coded font (a
font character set plus a code page): text is then encoded in that code page.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import FontError
from . import sf as S

__all__ = ["CodedFont", "JobFont", "object_oid", "full_font_name", "OID_PLACEHOLDER", "OID_LEN"]

#: X'10' StrucFlgs for the container itself (BRS, BOC): in an object container (B'11'),
#: no OEG (B'01'), data in OCDs (B'11').
_STRUC_CONTAINER = 0xDC00
#: X'10' StrucFlgs on a reference (MDR): container structure not known (B'10' each), as
#: the MO:DCA reference advises for referencing structured fields.
_STRUC_REFERENCE = 0xA800
#: X'10' object class: data-object font.
_CLASS_DATA_OBJECT_FONT = 0x41


def object_oid(program: bytes) -> bytes:
    """The object OID of a font program (encoded: X'06', length, content; always 22 bytes).

    MO:DCA identifies a TrueType/OpenType resource by an object OID that must change with
    the content, and PTOCA GLC chains name the font by it. It is derived here from the
    MD5 of the exact program bytes in the container, as a UUID under the ISO/ITU arc for
    UUIDs, {2.25.<uuid>} (ITU-T X.667): globally unique and content-derived, within the
    13..129 bytes MO:DCA allows. The top bit of the UUID is set so every OID has the same
    length (the writer patches GLC chains written before the subset existed). The BOC
    carries it (FQN type X'01', format X'10'), which associates it with the inline font.
    """
    digest = bytearray(hashlib.md5(program).digest())
    digest[0] |= 0x80  # fixed encoded length
    digest[6] = (digest[6] & 0x0F) | 0x30  # version 3 (MD5, name-based)
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return S.encode_oid([2, 25, int.from_bytes(bytes(digest), "big")])


#: Stand-in written into GLC chains until the subset (and so the OID) exists.
OID_PLACEHOLDER = S.encode_oid([2, 25, 1 << 127])
OID_LEN = len(OID_PLACEHOLDER)


def full_font_name(font) -> str:
    """The full font name (name ID 4) MDR and BRS use to match the font, or its PostScript name."""
    return font.hb_face.get_name(4) or font.name


class JobFont:
    """A TrueType/OpenType font of the job: the glyphs pages used, and its resource objects.

    Args:
        font: a :class:`ccmcore.fonts.Font`.
        number: 1-based number in the job; names the resource ``F0000001`` ...
    """

    __slots__ = ("font", "number", "used", "full_name", "utf16_name", "_program")

    def __init__(self, font, number: int):
        self.font = font
        self.number = number
        self.used = np.zeros(int(font.num_glyphs), dtype=np.uint8)
        self.full_name = full_font_name(font)
        self.utf16_name = self.full_name.encode("utf-16-be")
        if len(self.utf16_name) > 250:
            raise FontError(f"{font.source}: full font name {self.full_name!r} is longer than 125 characters")
        self._program: bytes | None = None

    @property
    def resource_name(self) -> str:
        return f"F{self.number:07d}"

    def program(self) -> bytes:
        """The subset font program (made once, at close: later glyphs would be missing)."""
        if self._program is None:
            # the default tables dropped: a printer reads no layout tables either
            self._program = self.font.subset(np.flatnonzero(self.used))
        return self._program

    @property
    def oid(self) -> bytes:
        """The object OID of the subset program."""
        return object_oid(self.program())

    def mdr_group(self, lid: int, vfs: int) -> bytes:
        """One MDR repeating group mapping local ID ``lid`` to this font at size ``vfs``."""
        return S.rg(
            S.t_ccsid(1200),
            S.t_fqn(0xDE, self.utf16_name),
            S.t_fqn(0xBE, bytes((lid,))),
            S.t_object_classification(_CLASS_DATA_OBJECT_FONT, _STRUC_REFERENCE, S.TRUETYPE_OTYPE_OID),
            S.t_data_object_font(vfs),
        )

    def resource(self) -> bytes:
        """BRS, BOC, OCD..., EOC, ERS carrying the subset font in the resource group.

        Raises:
            FontError: the font cannot be subset.
        """
        name = S.name8(self.resource_name)
        program = self.program()
        classification = S.t_object_classification(_CLASS_DATA_OBJECT_FONT, _STRUC_CONTAINER, S.TRUETYPE_OTYPE_OID)
        brs = S.sf(
            S.BRS,
            name
            + b"\x00\x00"
            + S.t_ccsid(500)
            + S.t_resource_object_type(0x92)
            + S.t_ccsid(1200)
            + S.t_fqn(0x01, self.utf16_name)
            + classification,
        )
        boc = S.sf(S.BOC, name + S.t_ccsid(500) + classification + S.t_fqn(0x01, self.oid, fmt=0x10))
        return b"".join([brs, boc, *S.sf_chunks(S.OCD, program), S.sf(S.EOC, name), S.sf(S.ERS, name)])


_CP_NAME = re.compile(r"T1(?:V1|00)(\d{3,4})\Z")


@dataclass
class CodedFont:
    """A printer-resident FOCA coded font to print a layout font's text with.

    Pass it in ``AfpOptions(coded_fonts={"NotoSans-Regular": CodedFont(...)})``, keyed by
    the layout font's PostScript name. Pages then map the font with an MCF naming the
    font character set and code page, and text is encoded in that code page.

    Positions: each run starts exactly where layout put it; inside a run the writer
    assumes the printer font advances like ``widths`` (1/1000 em per code point, when
    given) or, by default, like the TrueType font the layout used, and corrects the pen
    with relative moves where layout's advances differ (kerning, justified spaces). If the
    printer font's real widths differ from these, glyphs drift inside a run: give the
    coded font's widths (from its font character set) for exact positions.

    Args:
        character_set: font character set name, e.g. ``C0H200B0`` (8 characters at most).
        code_page: code page name, e.g. ``T1V10500``.
        encoding: Python codec for the code page (single-byte); derived from names of the
            form ``T1V10nnn``/``T100nnnn`` (``cp500``, ``cp037``, ``cp273``, ``cp1140`` ...)
            when omitted.
        widths: optional advance per code point byte (256 ints, 1/1000 em; negative or
            missing: use the layout font's advance).

    Raises:
        ValueError: a name is not a valid 8-character AFP name, or the encoding cannot be
            derived, is unknown, or is not a single-byte code page.
    """

    character_set: str = "C0H200B0"
    code_page: str = "T1V10500"
    encoding: str | None = None
    widths: list | None = None
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        S.name8(self.character_set, "font character set name")
        S.name8(self.code_page, "code page name")
        if self.encoding is None:
            m = _CP_NAME.match(self.code_page)
            if not m:
                raise ValueError(f"cannot derive a Python codec from code page name {self.code_page!r}; pass encoding=")
            self.encoding = f"cp{int(m.group(1)):03d}"
        try:
            codecs.lookup(self.encoding)
        except LookupError as exc:
            raise ValueError(f"unknown codec {self.encoding!r} for code page {self.code_page}") from exc
        if self.widths is not None and len(self.widths) != 256:
            raise ValueError("widths must have 256 entries (one per code point byte)")

    def table(self) -> np.ndarray:
        """uint16 per BMP code point: its byte in the code page, or 0xFFFF when it has none.

        Raises:
            ValueError: the codec is not a single-byte code page.
        """
        if self._table is None:
            codec = self.encoding
            assert codec is not None  # set by __post_init__
            t = np.full(0x10000, 0xFFFF, dtype=np.uint16)
            for b in range(256):
                try:
                    ch = bytes((b,)).decode(codec)
                except UnicodeDecodeError:
                    continue
                if len(ch) != 1:
                    raise ValueError(f"codec {self.encoding!r} is not a single-byte code page")
                cp = ord(ch)
                # keep the first byte for a character (a code page may map it twice)
                if cp <= 0xFFFF and t[cp] == 0xFFFF and ch.encode(codec, "strict") == bytes((b,)):
                    t[cp] = b
            self._table = t
        return self._table

    def width_table(self) -> np.ndarray:
        """int32 per code point byte: advance in 1/1000 em, -1 where the layout font's applies."""
        if self.widths is None:
            return np.full(256, -1, dtype=np.int32)
        return np.array([-1 if w is None or w < 0 else int(w) for w in self.widths], dtype=np.int32)

    def mcf_group(self, lid: int, vfs: int) -> bytes:
        """One MCF repeating group mapping local ID ``lid`` to this coded font at size ``vfs``."""
        return S.rg(
            S.t_fqn(0x85, S.name8(self.code_page)),
            S.t_fqn(0x86, S.name8(self.character_set)),
            S.t_resource_local_id(0x05, lid),
            S.t_font_descriptor(vfs),
        )
