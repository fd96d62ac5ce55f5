"""Read AFP (MO:DCA-P) files: structured fields, triplets and PTOCA control sequences.

The reader is deliberately independent of :mod:`ccmcore.afp.writer`: its tables come from the
AFP Consortium specifications (MO:DCA AFPC-0004, PTOCA AFPC-0009, FOCA AFPC-0007), so that the
validator built on it checks our output against the architecture, not against the writer's idea
of itself.

A structured field (SF) in a file is::

    X'5A'  SFLength(2)  SFTypeID(3)  FlagByte(1)  Reserved(2)  [ExtLength(1) ExtData]  Data  [Padding]

SFLength counts everything after the X'5A' (8 to 32,767). Flag bits: X'80' SFI extension present,
X'20' data continues in the next SF (segmented), X'08' padding present; the other bits are
reserved. Padding ends with its own length: one byte (1-255), or X'00' and two bytes (256 and up).

Reading is streaming: :func:`iter_fields` takes bytes or a binary file and yields one
:class:`Field` at a time; framing errors raise :class:`AfpReadError` with the offset and rule.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import CcmError

__all__ = [
    "AfpReadError",
    "Field",
    "Triplet",
    "Group",
    "ControlSequence",
    "TextRun",
    "FontRef",
    "SF_IDS",
    "SF_NAMES",
    "TRIPLET_NAMES",
    "PTOCA_NAMES",
    "FQN_TYPES",
    "iter_fields",
    "read_fields",
    "parse_triplets",
    "triplet_offset",
    "repeating_groups",
    "parse_ptoca",
    "ebcdic_name",
    "name_codec",
    "cgcsgid_codec",
    "decode_fqn_name",
    "codec_for_ccsid",
    "codec_for_code_page",
    "fonts_mapped",
    "MAX_SF_LENGTH",
    "INTRODUCER",
]

Source = bytes | bytearray | memoryview | str | os.PathLike | BinaryIO

INTRODUCER = 0x5A
#: MO:DCA, "Structured Field Introducer": SFLength is X'0008'-X'7FFF', so the data after the
#: 8-byte introducer is at most 32,759 bytes (less any SFI extension and padding).
MAX_SF_LENGTH = 32767

FLAG_EXTENSION = 0x80
FLAG_SEGMENTED = 0x20
FLAG_PADDING = 0x08
FLAG_RESERVED = 0xFF & ~(FLAG_EXTENSION | FLAG_SEGMENTED | FLAG_PADDING)

# ---------------------------------------------------------------------------------------------
# Structured field identifiers (MO:DCA "Structured Field Identifiers", FOCA, IOCA/GOCA/BCOCA
# wrappers). Type code, second byte: A8 begin, A9 end, A6 descriptor, A7 control, AB map,
# AC position, AF include, B1 migration, EE data. Category, third byte: what is begun/ended.
# ---------------------------------------------------------------------------------------------
_SF_TABLE = """
D3A8C9 BAG Begin Active Environment Group
D3A9C9 EAG End Active Environment Group
D3A8EB BBC Begin Bar Code Object
D3A9EB EBC End Bar Code Object
D3A877 BCA Begin Color Attribute Table
D3A977 ECA End Color Attribute Table
D3A88A BCF Begin Coded Font
D3A98A ECF End Coded Font
D3A887 BCP Begin Code Page
D3A987 ECP End Code Page
D3A8C4 BDG Begin Document Environment Group
D3A9C4 EDG End Document Environment Group
D3A8A7 BDI Begin Document Index
D3A9A7 EDI End Document Index
D3A8A8 BDT Begin Document
D3A9A8 EDT End Document
D3A8CD BFM Begin Form Map
D3A9CD EFM End Form Map
D3A889 BFN Begin Font
D3A989 EFN End Font
D3A8BB BGR Begin Graphics Object
D3A9BB EGR End Graphics Object
D3A87B BII Begin IM Image Object
D3A97B EII End IM Image Object
D3A8FB BIM Begin Image Object
D3A9FB EIM End Image Object
D3A8CC BMM Begin Medium Map
D3A9CC EMM End Medium Map
D3A8DF BMO Begin Overlay
D3A9DF EMO End Overlay
D3A8AD BNG Begin Named Page Group
D3A9AD ENG End Named Page Group
D3A892 BOC Begin Object Container
D3A992 EOC End Object Container
D3A8C7 BOG Begin Object Environment Group
D3A9C7 EOG End Object Environment Group
D3A8A5 BPF Begin Print File
D3A9A5 EPF End Print File
D3A8AF BPG Begin Page
D3A9AF EPG End Page
D3A85F BPS Begin Page Segment
D3A95F EPS End Page Segment
D3A89B BPT Begin Presentation Text Object
D3A99B EPT End Presentation Text Object
D3A8C6 BRG Begin Resource Group
D3A9C6 ERG End Resource Group
D3A8CE BRS Begin Resource
D3A9CE ERS End Resource
D3A8D9 BSG Begin Resource Environment Group
D3A9D9 ESG End Resource Environment Group
D3EEEB BDA Bar Code Data
D3A6EB BDD Bar Code Data Descriptor
D3B077 CAT Color Attribute Table
D3A692 CDD Container Data Descriptor
D3A79B CTC Composed Text Control
D3A6C5 FGD Form Environment Group Descriptor
D3EEBB GAD Graphics Data
D3A6BB GDD Graphics Data Descriptor
D3AC7B ICP IM Image Cell Position
D3A6FB IDD Image Data Descriptor
D3B2A7 IEL Index Element
D3A67B IID IM Image Input Descriptor
D3ABCC IMM Invoke Medium Map
D3AFC3 IOB Include Object
D3A77B IOC IM Image Output Control
D3EEFB IPD Image Picture Data
D3AFAF IPG Include Page
D3AFD8 IPO Include Page Overlay
D3AF5F IPS Include Page Segment
D3EE7B IRD IM Image Raster Data
D3B490 LLE Link Logical Element
D3ABEB MBC Map Bar Code Object
D3AB77 MCA Map Color Attribute Table
D3A288 MCC Medium Copy Count
D3AB92 MCD Map Container Data
D3AB8A MCF Map Coded Font
D3B18A MCF-1 Map Coded Font Format-1
D3A688 MDD Medium Descriptor
D3ABC3 MDR Map Data Resource
D3A088 MFC Medium Finishing Control
D3ABBB MGO Map Graphics Object
D3ABFB MIO Map Image Object
D3A788 MMC Medium Modification Control
D3ABCD MMD Map Media Destination
D3B1DF MMO Map Medium Overlay
D3AB88 MMT Map Media Type
D3ABAF MPG Map Page
D3ABD8 MPO Map Page Overlay
D3B15F MPS Map Page Segment
D3ABEA MSU Map Suppression
D3EEEE NOP No Operation
D3A66B OBD Object Area Descriptor
D3AC6B OBP Object Area Position
D3EE92 OCD Object Container Data
D3A7A8 PEC Presentation Environment Control
D3B288 PFC Presentation Fidelity Control
D3A6AF PGD Page Descriptor
D3B1AF PGP Page Position
D3ACAF PGP-1 Page Position Format-1
D3A7AF PMC Page Modification Control
D3ADC3 PPO Preprocess Presentation Object
D3B19B PTD Presentation Text Data Descriptor
D3A69B PTD-1 Presentation Text Descriptor Format-1
D3EE9B PTX Presentation Text Data
D3A090 TLE Tag Logical Element
D3A78A CFC Coded Font Control
D38C8A CFI Coded Font Index
D3A787 CPC Code Page Control
D3A687 CPD Code Page Descriptor
D38C87 CPI Code Page Index
D3A789 FNC Font Control
D3A689 FND Font Descriptor
D3EE89 FNG Font Patterns
D38C89 FNI Font Index
D3A289 FNM Font Patterns Map
D3AB89 FNN Font Names
D3AE89 FNO Font Orientation
D3AC89 FNP Font Position
"""

SF_IDS: dict[bytes, str] = {}
"""SF identifier (3 bytes) -> abbreviation, e.g. ``b'\\xd3\\xa8\\xa8' -> 'BDT'``."""
SF_NAMES: dict[str, str] = {}
"""Abbreviation -> full name, e.g. ``'BDT' -> 'Begin Document'``."""
_SF_BY_ABBR: dict[str, bytes] = {}
for _line in _SF_TABLE.strip().splitlines():
    _hex, _abbr, _title = _line.split(" ", 2)
    SF_IDS[bytes.fromhex(_hex)] = _abbr
    SF_NAMES[_abbr] = _title
    _SF_BY_ABBR[_abbr] = bytes.fromhex(_hex)

TYPE_BEGIN = 0xA8
TYPE_END = 0xA9

# MO:DCA triplet identifiers (chapter "MO:DCA Triplets").
TRIPLET_NAMES: dict[int, str] = {
    0x01: "CGCSGID",
    0x02: "FQN",
    0x04: "MappingOption",
    0x10: "ObjectClassification",
    0x18: "InterchangeSet",
    0x1F: "FontDescriptorSpec",
    0x20: "FontCGCSGID",
    0x21: "ResourceObjectType",
    0x22: "ExtResourceLocalId",
    0x24: "ResourceLocalId",
    0x25: "ResourceSectionNumber",
    0x26: "CharacterRotation",
    0x2D: "ObjectByteOffset",
    0x36: "AttributeValue",
    0x43: "DescriptorPosition",
    0x45: "MediaEjectControl",
    0x46: "OverlayConditionalProcessing",
    0x47: "ResourceUsageAttribute",
    0x4B: "MeasurementUnits",
    0x4C: "ObjectAreaSize",
    0x4D: "AreaDefinition",
    0x4E: "ColorSpecification",
    0x50: "EncodingSchemeId",
    0x56: "MediumMapPageNumber",
    0x57: "ObjectByteExtent",
    0x58: "ObjectSFOffset",
    0x59: "ObjectSFExtent",
    0x5A: "ObjectOffset",
    0x5D: "FontHorizontalScale",
    0x5E: "ObjectCount",
    0x62: "LocalDateTime",
    0x65: "Comment",
    0x68: "MediumOrientation",
    0x6C: "ResourceObjectInclude",
    0x70: "PresentationSpaceResetMixing",
    0x71: "PresentationSpaceMixingRules",
    0x72: "UniversalDateTime",
    0x74: "TonerSaving",
    0x75: "ColorFidelity",
    0x78: "FontFidelity",
    0x80: "AttributeQualifier",
    0x81: "PagePositionInformation",
    0x82: "ParameterValue",
    0x83: "PresentationControl",
    0x84: "FontResolutionMetricTechnology",
    0x85: "FinishingOperation",
    0x86: "TextFidelity",
    0x87: "MediaFidelity",
    0x88: "FinishingFidelity",
    0x8B: "DataObjectFontDescriptor",
    0x8C: "LocaleSelector",
    0x8E: "UP3iFinishingOperation",
    0x91: "ColorManagementResourceDescriptor",
    0x95: "RenderingIntent",
    0x96: "CMRTagFidelity",
    0x97: "DeviceAppearance",
    0x9A: "ImageResolution",
    0x9C: "ObjectContainerPresentationSpaceSize",
}

# Fully Qualified Name (X'02') triplet, FQNType values.
FQN_TYPES: dict[int, str] = {
    0x01: "replace first GID",
    0x07: "font family name",
    0x08: "font typeface name",
    0x09: "MO:DCA resource hierarchy reference",
    0x0A: "begin resource group reference",
    0x0B: "attribute GID",
    0x0C: "process element GID",
    0x0D: "begin page group reference",
    0x11: "media type reference",
    0x12: "media destination reference",
    0x41: "color management resource reference",
    0x6E: "data-object font base font",
    0x7E: "data-object font linked font",
    0x83: "begin document reference",
    0x84: "resource object reference",
    0x85: "code page name reference",
    0x86: "font character set name reference",
    0x87: "begin page reference",
    0x8D: "begin medium map reference",
    0x8E: "coded font name reference",
    0x98: "begin document index reference",
    0xB0: "begin overlay reference",
    0xBE: "data object internal resource reference",
    0xCA: "index element GID",
    0xCE: "other object data reference",
    0xDE: "data object external resource reference",
}

# PTOCA control sequence function types, by the unchained (even) value; value | 1 is the
# chained form of the same function.
PTOCA_NAMES: dict[int, str] = {
    0x6A: "UCT",
    0x6C: "GLC",
    0x72: "OVS",
    0x74: "STC",
    0x76: "USC",
    0x78: "TBM",
    0x80: "SEC",
    0x8A: "GIR",
    0x8C: "GAR",
    0x8E: "GOR",
    0xC0: "SIM",
    0xC2: "SIA",
    0xC4: "SVI",
    0xC6: "AMI",
    0xC8: "RMI",
    0xD0: "SBI",
    0xD2: "AMB",
    0xD4: "RMB",
    0xD8: "BLN",
    0xDA: "TRN",
    0xE4: "DIR",
    0xE6: "DBR",
    0xEE: "RPS",
    0xF0: "SCFL",
    0xF2: "BSU",
    0xF4: "ESU",
    0xF6: "STO",
    0xF8: "NOP",
}


class AfpReadError(CcmError, ValueError):
    """The byte stream cannot be split into structured fields any further.

    Attributes:
        offset: file offset of the structured field (its X'5A') where reading stopped.
        rule: the broken rule, e.g. ``"SF-TRUNCATED"`` or ``"SF-INTRODUCER"``.
    """

    def __init__(self, offset: int, rule: str, message: str):
        super().__init__(f"offset 0x{offset:06x}: {rule}: {message}")
        self.offset = offset
        self.rule = rule
        self.detail = message


@dataclass(frozen=True, slots=True)
class Field:
    """One structured field as read from the file.

    Attributes:
        offset: file offset of the X'5A' introducer.
        length: SFLength (bytes after the X'5A': 8-byte introducer, extension, data, padding).
        sfid: the 3-byte SF identifier.
        flags: the SFI flag byte.
        reserved: the two reserved SFI bytes (should be X'0000').
        ext: SFI extension data (without its length byte), ``b''`` if none.
        data: the SF's parameters (extension and padding removed).
        pad: the padding bytes, ``b''`` if none.
        body: everything after the introducer (extension, data, padding) as stored.
    """

    offset: int
    length: int
    sfid: bytes
    flags: int
    reserved: bytes
    ext: bytes
    data: bytes
    pad: bytes
    body: bytes

    @property
    def abbr(self) -> str:
        """The SF's abbreviation (``'BPG'``), or ``'?'`` for an identifier not in the tables."""
        return SF_IDS.get(self.sfid, "?")

    @property
    def hexid(self) -> str:
        """The identifier as upper-case hex, e.g. ``'D3A8AF'``."""
        return self.sfid.hex().upper()

    @property
    def data_offset(self) -> int:
        """File offset of ``data[0]``."""
        skip = 1 + len(self.ext) if self.flags & FLAG_EXTENSION and self.body else 0
        return self.offset + 9 + skip

    @property
    def is_begin(self) -> bool:
        """True for a Begin SF (type code X'A8')."""
        return self.sfid[0] == 0xD3 and self.sfid[1] == TYPE_BEGIN

    @property
    def is_end(self) -> bool:
        """True for an End SF (type code X'A9')."""
        return self.sfid[0] == 0xD3 and self.sfid[1] == TYPE_END

    @property
    def token(self) -> bytes:
        """The 8-byte name token of a Begin/End SF (may be shorter or empty)."""
        return self.data[:8]


def _open(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False


def _split_body(flags: int, body: bytes) -> tuple[bytes, bytes, bytes]:
    """Split SF body into (extension, data, padding), leniently (the validator checks)."""
    pos = 0
    ext = b""
    if flags & FLAG_EXTENSION and body:
        n = body[0]
        ext = body[1 : max(n, 1)]
        pos = max(n, 1)
        pos = min(pos, len(body))
    data = body[pos:]
    pad = b""
    if flags & FLAG_PADDING and data:
        n = data[-1]
        if n == 0 and len(data) >= 3:
            n = int.from_bytes(data[-3:-1], "big")
        if 0 < n <= len(data):
            pad = data[-n:]
            data = data[:-n]
    return ext, data, pad


def iter_fields(source: Source) -> Iterator[Field]:
    """Yield the structured fields of an AFP file, one at a time (bounded memory).

    Args:
        source: the file's bytes, a path, or a binary file object (read from its current position).

    Raises:
        AfpReadError: a field does not start with X'5A' (rule ``SF-INTRODUCER``), its length is
            below 8 (``SF-LENGTH``), or the file ends inside it (``SF-TRUNCATED``).
        OSError: the path cannot be opened.
    """
    f, close = _open(source)
    try:
        try:
            offset = f.tell()
        except (OSError, AttributeError):
            offset = 0
        while True:
            head = f.read(3)
            if not head:
                return
            if head[0] != INTRODUCER:
                raise AfpReadError(
                    offset,
                    "SF-INTRODUCER",
                    f"expected X'5A' at the start of a structured field, found X'{head[0]:02X}'",
                )
            if len(head) < 3:
                raise AfpReadError(offset, "SF-TRUNCATED", "the file ends inside a structured field introducer")
            length = int.from_bytes(head[1:3], "big")
            if length < 8:
                raise AfpReadError(offset, "SF-LENGTH", f"SFLength {length} is below the minimum 8")
            rest = f.read(length - 2)
            if len(rest) < length - 2:
                if len(rest) >= 3:
                    name = SF_IDS.get(rest[:3], rest[:3].hex().upper())
                    what = f"{name} needs {length + 1} bytes, {len(rest) + 3} left"
                else:
                    what = f"a structured field of {length + 1} bytes has {len(rest) + 3} left"
                if len(rest) < 6:
                    what += " (introducer incomplete)"
                raise AfpReadError(offset, "SF-TRUNCATED", f"the file ends inside the field: {what}")
            sfid, flags, reserved, body = rest[:3], rest[3], rest[4:6], rest[6:]
            ext, data, pad = _split_body(flags, body)
            yield Field(offset, length, sfid, flags, reserved, ext, data, pad, body)
            offset += 1 + length
    finally:
        if close:
            f.close()


def read_fields(source: Source) -> list[Field]:
    """All structured fields of a file as a list (see :func:`iter_fields` for errors)."""
    return list(iter_fields(source))


# ---------------------------------------------------------------------------------------------
# Triplets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Triplet:
    """One MO:DCA triplet: ``length(1) id(1) data``.

    Attributes:
        offset: file offset of the triplet's length byte.
        tid: the triplet identifier.
        data: the parameters after the length and id bytes.
    """

    offset: int
    tid: int
    data: bytes

    @property
    def length(self) -> int:
        """The triplet's length byte (id, length and data)."""
        return len(self.data) + 2

    @property
    def name(self) -> str:
        """Readable name from :data:`TRIPLET_NAMES`, or ``'T{id:02X}'``."""
        return TRIPLET_NAMES.get(self.tid, f"T{self.tid:02X}")


@dataclass(frozen=True, slots=True)
class Group:
    """A repeating group (MCF, MDR, MIO and other map SFs): ``RGLength(2) triplets``.

    Attributes:
        offset: file offset of the RGLength.
        data: the group's bytes after RGLength.
    """

    offset: int
    data: bytes


def parse_triplets(data: bytes, base: int) -> tuple[list[Triplet], tuple[int, str] | None]:
    """Split ``data`` (whose first byte is at file offset ``base``) into triplets.

    Returns:
        The triplets read, and ``None`` or ``(offset, message)`` for the first triplet whose
        length is below 2 or runs past the end of ``data`` (reading stops there).
    """
    out: list[Triplet] = []
    i, n = 0, len(data)
    while i < n:
        length = data[i]
        if length < 2:
            return out, (base + i, f"triplet length {length} is below 2")
        if i + length > n:
            tid = f"X'{data[i + 1]:02X}' " if i + 1 < n else ""
            return out, (
                base + i,
                f"triplet {tid}of length {length} runs {i + length - n} byte(s) past the end "
                f"of its field ({n - i} left)",
            )
        out.append(Triplet(base + i, data[i + 1], bytes(data[i + 2 : i + length])))
        i += length
    return out, None


# Offset of the triplets in the data of SFs whose layout is fixed by MO:DCA. Begin and End SFs
# carry an 8-byte name then triplets, except those listed with a 2-byte reserved field too.
_TRIPLETS_AT: dict[str, int] = {
    "BDT": 10,
    "BRS": 10,
    "PGD": 15,
    "IOB": 27,
    "IPS": 14,
    "IPO": 16,
    "IMM": 8,
    "OBD": 0,
    "TLE": 0,
    "IEL": 0,
}
# Map SFs whose data are repeating groups of RGLength(2) + triplets.
_GROUP_SFS = frozenset({"MCF", "MDR", "MIO", "MGO", "MBC", "MCD", "MPO", "MPG", "MCA"})
# Begin/End SFs whose data are not "name + triplets".
_NO_TRIPLETS = frozenset({"BII", "EII"})


def triplet_offset(field: Field) -> int | None:
    """Where the triplets start in ``field.data``, or ``None`` if it has none we know of."""
    abbr = field.abbr
    if abbr in _TRIPLETS_AT:
        return _TRIPLETS_AT[abbr]
    if (field.is_begin or field.is_end) and abbr != "?" and abbr not in _NO_TRIPLETS:
        return 8
    return None


def repeating_groups(field: Field) -> tuple[list[Group], tuple[int, str] | None]:
    """The repeating groups of a map SF (MCF, MDR, MIO...), and the first framing error if any."""
    out: list[Group] = []
    if field.abbr not in _GROUP_SFS:
        return out, None
    data, base = field.data, field.data_offset
    i, n = 0, len(data)
    while i < n:
        if i + 2 > n:
            return out, (base + i, "repeating group length is cut off by the end of the field")
        rg = int.from_bytes(data[i : i + 2], "big")
        if rg < 2:
            return out, (base + i, f"repeating group length {rg} is below 2")
        if i + rg > n:
            return out, (
                base + i,
                f"repeating group of length {rg} runs {i + rg - n} byte(s) past the end of the field",
            )
        out.append(Group(base + i, bytes(data[i + 2 : i + rg])))
        i += rg
    return out, None


# ---------------------------------------------------------------------------------------------
# PTOCA
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlSequence:
    """One PTOCA control sequence.

    Attributes:
        offset: file offset of the sequence (of its X'2BD3' escape when ``escape`` is true).
        escape: True when the sequence starts a chain with the X'2BD3' escape.
        ftype: the function type byte; odd means another control sequence follows (chained).
        params: the parameter bytes after the length and type.
    """

    offset: int
    escape: bool
    ftype: int
    params: bytes

    @property
    def length(self) -> int:
        """The length byte (counts itself, the type byte and the parameters)."""
        return len(self.params) + 2

    @property
    def chained(self) -> bool:
        """True if the next control sequence follows without an escape."""
        return bool(self.ftype & 1)

    @property
    def name(self) -> str:
        """Abbreviation such as ``'TRN'``, or ``'X'..''`` for an unknown function type."""
        return PTOCA_NAMES.get(self.ftype & 0xFE, f"X'{self.ftype:02X}'")


@dataclass(frozen=True, slots=True)
class TextRun:
    """Code points between control sequence chains (graphic characters, PTOCA)."""

    offset: int
    data: bytes


def parse_ptoca(data: bytes, base: int) -> tuple[list[ControlSequence | TextRun], tuple[int, str, str] | None]:
    """Split PTOCA data (of one PTX) into control sequences and text runs.

    A chain starts with the X'2BD3' escape; each control sequence is ``length(1) type(1) params``;
    an odd type chains the next one (no escape), an even type ends the chain. Bytes outside
    chains are code points.

    Returns:
        The items read, and ``None`` or ``(offset, rule, message)`` for the first error:
        ``PTOCA-LENGTH`` (a length below 2 or past the end of the data) or ``PTOCA-CHAIN``
        (the data ends while a chained control sequence waits for its successor).
    """
    items: list[ControlSequence | TextRun] = []
    i, n = 0, len(data)
    chained = False
    last: ControlSequence | None = None
    while i < n:
        start = i
        escape = False
        if not chained:
            if data[i] == 0x2B and i + 1 < n and data[i + 1] == 0xD3:
                escape = True
                i += 2
            else:
                j = data.find(b"\x2b\xd3", i)
                j = n if j < 0 else j
                items.append(TextRun(base + i, bytes(data[i:j])))
                i = j
                continue
        if i + 2 > n:
            where = "after the X'2BD3' escape" if escape else f"after chained {last.name if last else '?'}"
            return items, (base + start, "PTOCA-LENGTH", f"control sequence cut off by the end of the PTX data {where}")
        length, ftype = data[i], data[i + 1]
        if length < 2:
            return items, (base + start, "PTOCA-LENGTH", f"control sequence length {length} is below 2")
        if i + length > n:
            name = PTOCA_NAMES.get(ftype & 0xFE, f"X'{ftype:02X}'")
            return items, (
                base + start,
                "PTOCA-LENGTH",
                f"{name} of length {length} runs {i + length - n} byte(s) past the end of the PTX data",
            )
        last = ControlSequence(base + start, escape, ftype, bytes(data[i + 2 : i + length]))
        items.append(last)
        i += length
        chained = last.chained
    if chained and last is not None:
        return items, (
            last.offset,
            "PTOCA-CHAIN",
            f"the chain is not closed: {last.name} (X'{last.ftype:02X}') is chained but ends the PTX data",
        )
    return items, None


# ---------------------------------------------------------------------------------------------
# Names and encodings
# ---------------------------------------------------------------------------------------------


def ebcdic_name(raw: bytes) -> str | None:
    """Decode an EBCDIC (cp500) name token; ``None`` if it holds non-graphic bytes."""
    if not raw or any(b < 0x40 or b == 0xFF for b in raw):
        return None
    return raw.decode("cp500")


# CCSIDs (CDRA) whose encodings Python knows: EBCDIC SBCS code pages decode as cp<N>.
_CCSID_CODECS = {
    1200: "utf-16-be",
    13488: "utf-16-be",
    17584: "utf-16-be",
    1201: "utf-16-be",
    1208: "utf-8",
    819: "latin-1",
    367: "ascii",
    850: "cp850",
    1252: "cp1252",
}


def _have_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
        return True
    except LookupError:
        return False


def codec_for_ccsid(ccsid: int) -> str | None:
    """Python codec for a CCSID or code page id (500 -> cp500, 1200 -> utf-16-be), else None."""
    if ccsid in _CCSID_CODECS:
        return _CCSID_CODECS[ccsid]
    name = f"cp{ccsid:03d}"
    return name if _have_codec(name) else None


def codec_for_code_page(name: str) -> str | None:
    """Python codec for an IBM code page resource name such as ``'T1V10500'`` (-> cp500)."""
    digits = "".join(ch for ch in name[-4:] if ch.isdigit())
    if len(digits) < 3:
        return None
    return codec_for_ccsid(int(digits))


@dataclass(frozen=True, slots=True)
class FontRef:
    """A font mapped to a local id in an environment group (from MCF or MDR).

    Attributes:
        lid: the local id used by PTOCA SCFL.
        name: coded font / character set / data-object font name, as decoded.
        code_page: the code page name, if mapped by name.
        codec: the Python codec for text set in this font (``'cp500'`` when unknown).
        offset: file offset of the repeating group that maps it.
    """

    lid: int
    name: str
    code_page: str
    codec: str
    offset: int


def cgcsgid_codec(t: Triplet) -> str | None:
    """The Python codec named by a X'01' CGCSGID triplet (CCSID, or GCSGID + CPGID), else None."""
    if t.tid != 0x01 or len(t.data) < 4:
        return None
    return codec_for_ccsid(int.from_bytes(t.data[2:4], "big"))


def name_codec(triplets: list[Triplet]) -> str:
    """The encoding of character data in an SF or group: its (last) X'01' CGCSGID triplet, else cp500.

    MO:DCA: a X'01' triplet sets the encoding of the character data in the triplets after it;
    :func:`fonts_mapped` and the inspect dump apply it in order, this gives the final one.
    """
    codec = "cp500"
    for t in triplets:
        codec = cgcsgid_codec(t) or codec
    return codec


def decode_fqn_name(data: bytes, codec: str) -> str:
    """Decode the name part of an FQN triplet (format X'00') with a fallback to hex."""
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        text = ""
    if text and text.isprintable():
        return text
    alt = ebcdic_name(data)
    return alt if alt is not None else "X'" + data.hex().upper() + "'"


def fonts_mapped(field: Field) -> list[FontRef]:
    """Fonts mapped by one MCF or MDR structured field, with the local ids SCFL uses.

    MCF: each repeating group maps a local id (Resource Local Id X'24', type X'05') to a coded
    font or a character set + code page pair (FQN X'8E', X'86', X'85'). MDR: a data-object font
    (TrueType/OpenType) mapped with X'24' type X'05', or - as Apache FOP writes it - with an FQN
    type X'BE' holding the one-byte local id; its text encoding comes from the group's X'01'
    CGCSGID triplet (CCSID 1200: UTF-16BE) or X'50' encoding scheme triplet.
    """
    if field.abbr not in ("MCF", "MDR"):
        return []
    groups, _ = repeating_groups(field)
    out: list[FontRef] = []
    for g in groups:
        triplets, _ = parse_triplets(g.data, g.offset + 2)
        text_codec = "cp500"
        lids: list[int] = []
        name, code_page, codec = "", "", ""
        for t in triplets:
            text_codec = cgcsgid_codec(t) or text_codec
            if t.tid == 0x24 and len(t.data) >= 2 and t.data[0] == 0x05:
                lids.append(t.data[1])
            elif t.tid == 0x02 and len(t.data) >= 3:
                fqn_type, fmt, raw = t.data[0], t.data[1], t.data[2:]
                if fqn_type == 0xBE and fmt == 0x00 and len(raw) == 1:
                    lids.append(raw[0])
                elif fmt == 0x00 and fqn_type in (0x8E, 0x86, 0xDE, 0x6E) and not name:
                    name = decode_fqn_name(raw, text_codec)
                elif fmt == 0x00 and fqn_type == 0x85:
                    code_page = decode_fqn_name(raw, text_codec)
                    codec = codec or codec_for_code_page(code_page) or ""
            elif t.tid == 0x50 and len(t.data) >= 4:
                es_ud = int.from_bytes(t.data[2:4], "big")
                codec = {0x7200: "utf-16-be", 0x7807: "utf-8"}.get(es_ud, codec)
        if field.abbr == "MDR" and not codec:
            c = name_codec(triplets)
            codec = c if any(t.tid == 0x01 for t in triplets) else ""
        if not codec and field.abbr == "MCF":
            for t in triplets:  # coded font names X0xxxxxx carry no code page: default EBCDIC
                if t.tid == 0x01 and len(t.data) >= 4:
                    codec = codec_for_ccsid(int.from_bytes(t.data[2:4], "big")) or ""
        for lid in lids:
            out.append(FontRef(lid, name, code_page, codec or "cp500", g.offset))
    return out
