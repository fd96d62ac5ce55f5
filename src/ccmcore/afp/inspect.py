"""A readable, stable text dump of an AFP file (usable as golden test output).

One line per structured field::

    0x00002a BPG(D3A8AF) len=16 name='PGN00001'

then, indented, its decoded parameters, triplets (``FQN X'02': ...``), repeating groups, and for
PTX its PTOCA control sequences with their parameters and text (decoded with the encoding of the
font selected by SCFL: the code page mapped by the page's MCF, or UTF-16BE for a data-object font
mapped with CCSID 1200, else EBCDIC cp500). Binary object data (image, graphics, container) is
shown as its length and first bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from .reader import (
    FLAG_EXTENSION,
    FLAG_PADDING,
    FLAG_SEGMENTED,
    FQN_TYPES,
    AfpReadError,
    ControlSequence,
    Field,
    FontRef,
    Source,
    Triplet,
    cgcsgid_codec,
    decode_fqn_name,
    ebcdic_name,
    fonts_mapped,
    iter_fields,
    parse_ptoca,
    parse_triplets,
    repeating_groups,
    triplet_offset,
)

__all__ = ["iter_dump", "dump"]

_HEX_PREVIEW = 24
_UNIT_BASES = {0: "10in", 1: "10cm", 2: "logical"}
_MAPPING_OPTIONS = {
    0x00: "position",
    0x10: "position and trim",
    0x20: "scale to fit",
    0x30: "center and trim",
    0x41: "migration position and trim",
    0x42: "migration position",
    0x50: "replicate and trim",
    0x60: "scale to fill",
    0x70: "UP3i print data",
}
_RESOURCE_TYPES = {0x00: "usage-dependent", 0x02: "page overlay", 0x05: "coded font", 0x07: "color attribute table"}


def _hex(data: bytes, limit: int = _HEX_PREVIEW) -> str:
    if len(data) <= limit:
        return data.hex().upper()
    return data[:limit].hex().upper() + "…"


def _q(text: str) -> str:
    return repr(text)


def _num(b: bytes, signed: bool = False) -> int:
    return int.from_bytes(b, "big", signed=signed)


def _degrees(b: bytes) -> str:
    v = _num(b)
    deg, minutes = v >> 7, (v >> 1) & 0x3F
    return f"{deg}" if not minutes else f"{deg}d{minutes}m"


def _triplet(t: Triplet, codec: str) -> str:
    d = t.data
    head = f"{t.name} X'{t.tid:02X}':"
    try:
        if t.tid == 0x01 and len(d) >= 4:
            gcsgid, cp = _num(d[0:2]), _num(d[2:4])
            return f"{head} ccsid={cp}" if gcsgid == 0 else f"{head} gcsgid={gcsgid} cpgid={cp}"
        if t.tid == 0x02 and len(d) >= 2:
            kind, fmt, raw = d[0], d[1], d[2:]
            label = FQN_TYPES.get(kind, "?")
            if fmt == 0x00:
                if kind == 0xBE and len(raw) == 1:
                    value = f"X'{raw.hex().upper()}'"
                else:
                    value = _q(decode_fqn_name(raw, codec))
            elif fmt == 0x20:
                value = _q(raw.decode("latin-1"))
            else:
                value = f"X'{raw.hex().upper()}'"
            return f"{head} type=X'{kind:02X}' ({label}) fmt=X'{fmt:02X}' name={value}"
        if t.tid == 0x04 and len(d) == 1:
            return f"{head} option=X'{d[0]:02X}' ({_MAPPING_OPTIONS.get(d[0], '?')})"
        if t.tid == 0x10 and len(d) >= 22:
            text = f"{head} class=X'{d[1]:02X}' flags=X'{d[4:6].hex().upper()}' oid={d[6:22].hex().upper()}"
            if len(d) >= 54:
                name = d[22:54].decode("cp500").rstrip(" \x00")
                text += f" type={_q(name)}"
            return text
        if t.tid == 0x22 and len(d) >= 5:
            return f"{head} type=X'{d[0]:02X}' lid={_num(d[1:5])}"
        if t.tid == 0x24 and len(d) == 2:
            return f"{head} type=X'{d[0]:02X}' ({_RESOURCE_TYPES.get(d[0], '?')}) lid={d[1]}"
        if t.tid == 0x25 and len(d) == 1:
            return f"{head} section={d[0]}"
        if t.tid == 0x26 and len(d) == 2:
            return f"{head} rotation={_degrees(d)}"
        if t.tid == 0x36 and len(d) >= 2:
            return f"{head} value={_q(decode_fqn_name(d[2:], codec)) if d[2:] else _q('')}"
        if t.tid == 0x43 and len(d) == 1:
            return f"{head} id={d[0]}"
        if t.tid == 0x4B and len(d) == 6:
            return (
                f"{head} base={_UNIT_BASES.get(d[0], hex(d[0]))},{_UNIT_BASES.get(d[1], hex(d[1]))} "
                f"units={_num(d[2:4])},{_num(d[4:6])}"
            )
        if t.tid == 0x4C and len(d) == 7:
            return f"{head} type=X'{d[0]:02X}' size={_num(d[1:4])}x{_num(d[4:7])}"
        if t.tid == 0x50 and len(d) >= 2:
            ud = f" user-data=X'{d[2:4].hex().upper()}'" if len(d) >= 4 else ""
            return f"{head} code-points=X'{d[0:2].hex().upper()}'{ud}"
        if t.tid == 0x57 and len(d) in (4, 8):
            return f"{head} extent={_num(d)}"
        if t.tid == 0x65:
            return f"{head} {_q(decode_fqn_name(d, codec))}"
    except (ValueError, LookupError):
        pass
    return f"{head} {_hex(d)}" if d else head


def _triplet_lines(data: bytes, base: int, indent: str, codec: str | None = None) -> Iterator[str]:
    trips, err = parse_triplets(data, base)
    codec = codec or "cp500"
    for t in trips:
        codec = cgcsgid_codec(t) or codec  # X'01' sets the encoding of the triplets after it
        yield indent + _triplet(t, codec)
    if err:
        yield f"{indent}!! 0x{err[0]:06x}: {err[1]}"


class _TextState:
    """Fonts of the current page/overlay and the font selected in the current text object."""

    def __init__(self) -> None:
        self.page_fonts: dict[int, FontRef] = {}
        self.object_fonts: dict[int, FontRef] = {}
        self.codec = "cp500"
        self.in_object = False
        self.ptx_pending = b""
        self.ptx_base = 0

    def font(self, lid: int) -> FontRef | None:
        return self.object_fonts.get(lid) or self.page_fonts.get(lid)


def _cs_params(cs: ControlSequence, state: _TextState) -> str:
    p, base = cs.params, cs.ftype & 0xFE
    try:
        if base in (0xC6, 0xD2, 0xC0) and len(p) == 2:
            return f"displacement={_num(p, True)}"
        if base in (0xC8, 0xD4, 0xC4, 0xD0) and len(p) == 2:
            return f"increment={_num(p, True)}"
        if base == 0xF0 and len(p) == 1:
            ref = state.font(p[0])
            state.codec = ref.codec if ref else "cp500"
            if ref is None:
                return f"lid={p[0]} (unmapped)"
            return (
                f"lid={p[0]} font={_q(ref.name)}"
                + (f" codepage={_q(ref.code_page)}" if ref.code_page else "")
                + f" encoding={ref.codec}"
            )
        if base == 0xDA:
            try:
                return _q(p.decode(state.codec))
            except UnicodeDecodeError:
                return f"X'{p.hex().upper()}' (not {state.codec})"
        if base == 0xF6 and len(p) == 4:
            return f"i-axis={_degrees(p[0:2])} b-axis={_degrees(p[2:4])}"
        if base in (0xE4, 0xE6) and len(p) in (2, 5):
            text = f"length={_num(p[0:2], True)}"
            if len(p) == 5:
                text += f" width={_num(p[2:4], True)}+{p[4]}/256"
            return text
        if base == 0xC2 and len(p) >= 2:
            return f"adjustment={_num(p[0:2])}" + (f" direction={p[2]}" if len(p) > 2 else "")
        if base == 0x74 and len(p) >= 2:
            return f"color=X'{p[0:2].hex().upper()}'"
    except (ValueError, LookupError):
        pass
    return _hex(p) if p else ""


def _ptoca_lines(data: bytes, base: int, state: _TextState, indent: str = "  ") -> Iterator[str]:
    items, err = parse_ptoca(data, base)
    for item in items:
        if isinstance(item, ControlSequence):
            esc = "2BD3 " if item.escape else "     "
            params = _cs_params(item, state)
            chained = " chained" if item.chained else ""
            yield f"{indent}{esc}{item.name:<4} X'{item.ftype:02X}'{chained}" + (f"  {params}" if params else "")
        else:
            try:
                text = _q(item.data.decode(state.codec))
            except UnicodeDecodeError:
                text = f"X'{item.data.hex().upper()}'"
            yield f"{indent}text {text}"
    if err:
        yield f"{indent}!! 0x{err[0]:06x}: {err[1]}: {err[2]}"


def _fields(f: Field, state: _TextState) -> Iterator[str]:
    """The indented lines under one SF header."""
    d, abbr, base = f.data, f.abbr, f.data_offset
    if abbr == "PGD" and len(d) >= 15:
        yield (
            f"  base={_UNIT_BASES.get(d[0], hex(d[0]))},{_UNIT_BASES.get(d[1], hex(d[1]))} "
            f"units={_num(d[2:4])},{_num(d[4:6])} size={_num(d[6:9])}x{_num(d[9:12])}"
        )
    elif abbr == "PTD" and len(d) >= 12:
        yield (
            f"  base={_UNIT_BASES.get(d[0], hex(d[0]))},{_UNIT_BASES.get(d[1], hex(d[1]))} "
            f"units={_num(d[2:4])},{_num(d[4:6])} extent={_num(d[6:9])}x{_num(d[9:12])}"
            + (f" flags=X'{d[12:14].hex().upper()}'" if len(d) >= 14 else "")
        )
        if len(d) > 14:
            yield "  initial text conditions:"
            yield from _ptoca_lines(d[14:], base + 14, state, "    ")
        return
    elif abbr == "OBP" and len(d) >= 24:
        yield (
            f"  id={d[0]} area={_num(d[2:5], True)},{_num(d[5:8], True)} "
            f"orientation={_degrees(d[8:10])},{_degrees(d[10:12])} "
            f"content={_num(d[13:16], True)},{_num(d[16:19], True)} "
            f"content-orientation={_degrees(d[19:21])},{_degrees(d[21:23])} refcsys=X'{d[23]:02X}'"
        )
        return
    elif abbr == "IOB" and len(d) >= 27:
        name = ebcdic_name(d[:8]) or d[:8].hex().upper()
        yield (
            f"  object={_q(name)} type=X'{d[9]:02X}' area={_num(d[10:13], True)},{_num(d[13:16], True)} "
            f"orientation={_degrees(d[16:18])},{_degrees(d[18:20])} "
            f"content={_num(d[20:23], True)},{_num(d[23:26], True)} refcsys=X'{d[26]:02X}'"
        )
    elif abbr == "IPS" and len(d) >= 14:
        yield f"  segment={_q(ebcdic_name(d[:8]) or d[:8].hex())} at={_num(d[8:11], True)},{_num(d[11:14], True)}"
    elif abbr == "IPO" and len(d) >= 16:
        yield (
            f"  overlay={_q(ebcdic_name(d[:8]) or d[:8].hex())} at={_num(d[8:11], True)},{_num(d[11:14], True)} "
            f"orientation={_degrees(d[14:16])}"
        )
    elif abbr == "IDD" and len(d) >= 9:
        yield (
            f"  base={_UNIT_BASES.get(d[0], hex(d[0]))} resolution={_num(d[1:3])},{_num(d[3:5])} "
            f"size={_num(d[5:7])}x{_num(d[7:9])}" + (f" params={_hex(d[9:])}" if len(d) > 9 else "")
        )
        return
    elif abbr == "MPS":
        for i in range(4, len(d) - 11, 12):
            yield f"  segment {_q(ebcdic_name(d[i + 4 : i + 12]) or d[i + 4 : i + 12].hex())}"
        return
    elif abbr in ("BDT", "BRS") and len(d) >= 10 and d[8:10] != b"\0\0":
        yield f"  reserved=X'{d[8:10].hex().upper()}'"

    if abbr in ("MCF", "MDR"):
        for ref in fonts_mapped(f):
            (state.object_fonts if state.in_object else state.page_fonts)[ref.lid] = ref
    groups, gerr = repeating_groups(f)
    if groups or gerr:
        for g in groups:
            yield f"  group 0x{g.offset:06x} len={len(g.data) + 2}"
            yield from _triplet_lines(g.data, g.offset + 2, "    ")
        if gerr:
            yield f"  !! 0x{gerr[0]:06x}: {gerr[1]}"
        return
    start = triplet_offset(f)
    if start is not None:
        if len(d) > start:
            yield from _triplet_lines(d[start:], base + start, "  ")
        return
    if abbr == "PTX":
        if f.flags & FLAG_SEGMENTED:  # the PTOCA data continues in the next PTX: decode them together
            if not state.ptx_pending:
                state.ptx_base = base
            state.ptx_pending += d
            yield "  (PTOCA data continues in the next PTX)"
            return
        if state.ptx_pending:
            d, base = state.ptx_pending + d, state.ptx_base
            state.ptx_pending = b""
        yield from _ptoca_lines(d, base, state)
        return
    if d and abbr not in ("PGD", "IOB", "IPS", "IPO"):
        yield f"  data {len(d)} bytes {_hex(d)}"


def _header(f: Field) -> str:
    line = f"0x{f.offset:06x} {f.abbr}({f.hexid}) len={f.length}"
    if f.is_begin or f.is_end:
        token = f.token
        if token[:2] == b"\xff\xff":
            line += " name=X'FFFF' (any)"
        elif token:
            name = ebcdic_name(token)
            line += f" name={_q(name)}" if name is not None else f" name=X'{token.hex().upper()}'"
    flags = []
    if f.flags & FLAG_EXTENSION:
        flags.append(f"ext={_hex(f.ext)}")
    if f.flags & FLAG_SEGMENTED:
        flags.append("segmented")
    if f.flags & FLAG_PADDING:
        flags.append(f"padding={len(f.pad)}")
    if f.flags & ~(FLAG_EXTENSION | FLAG_SEGMENTED | FLAG_PADDING) & 0xFF:
        flags.append(f"flags=X'{f.flags:02X}'")
    if f.reserved != b"\0\0":
        flags.append(f"reserved=X'{f.reserved.hex().upper()}'")
    return line + ("".join(" " + x for x in flags))


def iter_dump(source: Source) -> Iterator[str]:
    """Yield the dump of an AFP file line by line (see the module docstring for the format).

    A framing error ends the dump with a line ``!! offset 0x…: RULE: message``.

    Args:
        source: the file's bytes, a path, or a binary file object.

    Raises:
        OSError: the path cannot be opened or read.
    """
    state = _TextState()
    try:
        for f in iter_fields(source):
            abbr = f.abbr
            if abbr in ("BPG", "BMO"):
                state.page_fonts = {}
            elif abbr in ("BPT", "BIM", "BGR", "BBC", "BOC"):
                state.object_fonts = {}
                state.codec = "cp500"
                state.in_object = True
            elif abbr in ("EPT", "EIM", "EGR", "EBC", "EOC"):
                state.in_object = False
            yield _header(f)
            yield from _fields(f, state)
    except AfpReadError as exc:
        yield f"!! offset 0x{exc.offset:06x}: {exc.rule}: {exc.detail}"


def dump(source: Source) -> str:
    """The whole dump of an AFP file as one string (lines joined with newlines, final newline)."""
    return "".join(line + "\n" for line in iter_dump(source))
