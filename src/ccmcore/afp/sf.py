"""Internal: MO:DCA structured fields and triplets as bytes (the writer's vocabulary).

Every structured field (SF) is ``X'5A'``, a two-byte length that counts itself and
everything after it (introducer and data, not the X'5A'), the three-byte SF identifier,
a flag byte and two reserved zero bytes, then the data. The writer never sets flags (no
extension, no segmentation, no padding), so the introducer is always 8 bytes after X'5A'.

Names (``CHAR`` parameters such as the 8-byte page or resource name) are EBCDIC code page
500, padded with blanks (X'40'); the print file declares CCSID 500 on BDT and on every
structured field that carries a name, as the MO:DCA reference recommends.

References are to the AFP Consortium's MO:DCA Reference (AFPC-0004), chapter 5
(structured fields) and chapter 6 (triplets).
"""

from __future__ import annotations

import re
import struct

__all__ = [
    "MAX_SF_DATA",
    "sf",
    "sf_chunks",
    "name8",
    "rg",
    "t_ccsid",
    "t_fqn",
    "t_object_classification",
    "t_resource_object_type",
    "t_resource_local_id",
    "t_attribute_value",
    "t_data_object_font",
    "t_font_descriptor",
    "t_comment",
    "encode_oid",
    "BRG",
    "ERG",
    "BRS",
    "ERS",
    "BOC",
    "OCD",
    "EOC",
    "BDT",
    "EDT",
    "BNG",
    "ENG",
    "TLE",
    "IMM",
    "BPG",
    "EPG",
    "BAG",
    "EAG",
    "MCF",
    "MDR",
    "PGD",
    "PTD",
    "BPT",
    "PTX",
    "EPT",
    "NOP",
    "TRUETYPE_OTYPE_OID",
    "BIM",
    "EIM",
    "BOG",
    "EOG",
    "OBD",
    "OBP",
    "MIO",
    "IDD",
    "IPD",
    "IOB",
    "BMO",
    "EMO",
    "MPO",
    "IPO",
    "t_descriptor_position",
    "t_measurement_units",
    "t_object_area_size",
    "t_mapping_option",
    "lunits_to_bytes",
]

#: The writer's limit for data in one structured field. MO:DCA allows up to 32,759 data
#: bytes (SF length 32,767); staying at 32,752 leaves room for readers that count the
#: X'5A' or an introducer extension, and keeps every SF length at or below 32,760.
MAX_SF_DATA = 32_752

# structured field identifiers (MO:DCA Appendix E, table 53)
BRG = 0xD3A8C6  # Begin Resource Group
ERG = 0xD3A9C6
BRS = 0xD3A8CE  # Begin Resource
ERS = 0xD3A9CE
BOC = 0xD3A892  # Begin Object Container
OCD = 0xD3EE92  # Object Container Data
EOC = 0xD3A992
BDT = 0xD3A8A8  # Begin Document
EDT = 0xD3A9A8
BNG = 0xD3A8AD  # Begin Named Page Group
ENG = 0xD3A9AD
TLE = 0xD3A090  # Tag Logical Element
IMM = 0xD3ABCC  # Invoke Medium Map
BPG = 0xD3A8AF  # Begin Page
EPG = 0xD3A9AF
BAG = 0xD3A8C9  # Begin Active Environment Group
EAG = 0xD3A9C9
MCF = 0xD3AB8A  # Map Coded Font format 2
MDR = 0xD3ABC3  # Map Data Resource
PGD = 0xD3A6AF  # Page Descriptor
PTD = 0xD3B19B  # Presentation Text Data Descriptor format 2
BPT = 0xD3A89B  # Begin Presentation Text Object
PTX = 0xD3EE9B  # Presentation Text Data
EPT = 0xD3A99B
NOP = 0xD3EEEE  # No Operation
BIM = 0xD3A8FB  # Begin Image Object (IOCA)
EIM = 0xD3A9FB
BOG = 0xD3A8C7  # Begin Object Environment Group
EOG = 0xD3A9C7
OBD = 0xD3A66B  # Object Area Descriptor
OBP = 0xD3AC6B  # Object Area Position
MIO = 0xD3ABFB  # Map Image Object
IDD = 0xD3A6FB  # Image Data Descriptor
IPD = 0xD3EEFB  # Image Picture Data
IOB = 0xD3AFC3  # Include Object
BMO = 0xD3A8DF  # Begin Overlay
EMO = 0xD3A9DF
MPO = 0xD3ABD8  # Map Page Overlay
IPO = 0xD3AFD8  # Include Page Overlay

#: Encoded object-type OID of a TrueType/OpenType font resource object (MO:DCA Appendix D,
#: component ID 51: {1.3.18.0.4.1.1.51}).
TRUETYPE_OTYPE_OID = bytes.fromhex("06072B120004010133")

_NAME_CHARS = re.compile(r"[A-Za-z0-9@#$._-]{1,8}\Z")


def sf(sfid: int, data: bytes = b"") -> bytes:
    """One structured field: introducer (flags and reserved bytes zero) plus data.

    Raises:
        ValueError: data longer than :data:`MAX_SF_DATA`.
    """
    n = len(data)
    if n > MAX_SF_DATA:
        raise ValueError(f"structured field X'{sfid:06X}' data of {n} bytes exceeds {MAX_SF_DATA}")
    return struct.pack(">BH", 0x5A, n + 8) + sfid.to_bytes(3, "big") + b"\x00\x00\x00" + data


def sf_chunks(sfid: int, data: bytes, limit: int = MAX_SF_DATA) -> list[bytes]:
    """Data too long for one structured field, split over several of the same kind."""
    if not data:
        return [sf(sfid)]
    return [sf(sfid, data[k : k + limit]) for k in range(0, len(data), limit)]


def name8(name: str, what: str = "name") -> bytes:
    """An 8-byte CHAR token name: EBCDIC (cp500), padded with blanks.

    Raises:
        ValueError: the name is empty, longer than 8 characters, or has characters other
            than letters, digits, @ # $ . _ -.
    """
    if not isinstance(name, str) or not _NAME_CHARS.match(name):
        raise ValueError(f"{what} {name!r} must be 1-8 characters of A-Z, a-z, 0-9, @, #, $, '.', '_', '-'")
    return name.encode("cp500").ljust(8, b"\x40")


def rg(*triplets: bytes) -> bytes:
    """A repeating group: a two-byte length (counting itself) followed by triplets."""
    body = b"".join(triplets)
    return struct.pack(">H", len(body) + 2) + body


def _triplet(tid: int, body: bytes) -> bytes:
    if len(body) + 2 > 254:
        raise ValueError(f"triplet X'{tid:02X}' of {len(body) + 2} bytes exceeds 254")
    return bytes((len(body) + 2, tid)) + body


def t_ccsid(ccsid: int) -> bytes:
    """Coded Graphic Character Set Global ID (X'01'), CCSID form: 500 EBCDIC, 1200 UTF-16BE."""
    return _triplet(0x01, struct.pack(">HH", 0, ccsid))


def t_fqn(fqn_type: int, name: bytes, fmt: int = 0x00) -> bytes:
    """Fully Qualified Name (X'02'): type, format (X'00' characters, X'10' OID), name bytes.

    Raises:
        ValueError: the name is longer than 250 bytes.
    """
    if len(name) > 250:
        raise ValueError(f"fully qualified name of {len(name)} bytes exceeds 250")
    return _triplet(0x02, bytes((fqn_type, fmt)) + name)


def t_object_classification(obj_class: int, struc_flags: int, oid: bytes) -> bytes:
    """Object Classification (X'10') without the optional names: class, flags, registered OID."""
    return _triplet(0x10, bytes((0, obj_class, 0, 0)) + struct.pack(">H", struc_flags) + oid.ljust(16, b"\x00"))


def t_resource_object_type(obj_type: int) -> bytes:
    """Resource Object Type (X'21') for BRS: X'92' object container, X'FE' form map, ..."""
    return _triplet(0x21, bytes((obj_type,)) + b"\x00" * 7)


def t_resource_local_id(res_type: int, lid: int) -> bytes:
    """Resource Local ID (X'24'): X'05' coded font."""
    return _triplet(0x24, bytes((res_type, lid)))


def t_attribute_value(value: bytes) -> bytes:
    """Attribute Value (X'36') carrying an already encoded value (at most 250 bytes)."""
    return _triplet(0x36, b"\x00\x00" + value)


def t_data_object_font(vfs: int, inline: bool = True) -> bytes:
    """Data-Object Font Descriptor (X'8B') for a TrueType/OpenType font at a vertical size.

    Args:
        vfs: vertical font size in 1440ths of an inch (1..32,767).
        inline: DOFtFlgs bit 1: the font is in the print file resource group and must be
            looked up there only.
    """
    flags = 0x40 if inline else 0x00
    # font technology X'20' TrueType/OpenType, horizontal scale = VFS (uniform scaling),
    # character rotation 0, encoding environment Microsoft (3), encoding Unicode (1)
    return _triplet(0x8B, struct.pack(">BBHHHHHH", flags, 0x20, vfs, vfs, 0, 3, 1, 0))


def t_font_descriptor(vfs: int) -> bytes:
    """Font Descriptor Specification (X'1F') giving the vertical font size (1440ths of an inch)."""
    return _triplet(0x1F, struct.pack(">BBHHB", 0, 0, vfs, 0, 0))


def t_descriptor_position(pos_id: int = 1) -> bytes:
    """Descriptor Position (X'43'): the OBP (by its OAPosID) that positions an object area."""
    return _triplet(0x43, bytes((pos_id,)))


def t_measurement_units(units: int = 14400) -> bytes:
    """Measurement Units (X'4B'): unit base 10 inches on both axes, ``units`` per unit base
    (14,400: the writer's L-unit of 1/1440 inch)."""
    return _triplet(0x4B, b"\x00\x00" + struct.pack(">HH", units, units))


def t_object_area_size(x: int, y: int) -> bytes:
    """Object Area Size (X'4C'), size type X'02' (object area size), in measurement units.

    Raises:
        ValueError: an extent outside 1..32,767.
    """
    for v in (x, y):
        if not 1 <= v <= 32767:
            raise ValueError(f"object area extent {v} is outside 1..32,767 units")
    return _triplet(0x4C, b"\x02" + x.to_bytes(3, "big") + y.to_bytes(3, "big"))


def t_mapping_option(option: int) -> bytes:
    """Mapping Option (X'04'): X'20' scale to fit, X'60' scale to fill, X'00' position..."""
    return _triplet(0x04, bytes((option,)))


def lunits_to_bytes(v: int) -> bytes:
    """A signed 3-byte offset (SBIN) as the position fields of IOB, IPO and OBP hold it."""
    return int(v).to_bytes(3, "big", signed=True)


def t_comment(text: bytes) -> bytes:
    """Comment (X'65'): unarchitected data."""
    return _triplet(0x65, text)


def encode_oid(components: list[int]) -> bytes:
    """An ASN.1 OID in the definite short form MO:DCA uses: X'06', length, content bytes.

    Raises:
        ValueError: fewer than two components, or more than 127 content bytes.
    """
    if len(components) < 2:
        raise ValueError("an OID has at least two components")
    first = components[0] * 40 + components[1]
    out = bytearray()
    for c in [first, *components[2:]]:
        if c < 0:
            raise ValueError("OID components are non-negative")
        chunk = [c & 0x7F]
        c >>= 7
        while c:
            chunk.append(0x80 | (c & 0x7F))
            c >>= 7
        out.extend(reversed(chunk))
    if len(out) > 127:
        raise ValueError("OID longer than 127 content bytes")
    return bytes((0x06, len(out))) + bytes(out)
