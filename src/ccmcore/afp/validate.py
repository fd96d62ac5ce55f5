"""A strict AFP (MO:DCA-P / PTOCA) structure validator.

``validate(path_or_bytes)`` reads a print file field by field and returns the problems found,
each with the file offset, the structured field, the rule and a message. Its tables are its own
(from the AFP Consortium specifications, see :mod:`ccmcore.afp.reader`), independent of our
writer. The rules are listed in :data:`RULES`.

Where the specifications leave room, the validator is lenient rather than guessing: structured
fields it does not know are accepted wherever they appear, containers whose content model it does
not model (form maps, document environment groups, fonts, indexes) are only checked for begin/end
pairing, and SFs whose layout it does not know are not searched for triplets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from dataclasses import field as dc_field

from .reader import (
    FLAG_EXTENSION,
    FLAG_PADDING,
    FLAG_RESERVED,
    FLAG_SEGMENTED,
    MAX_SF_LENGTH,
    PTOCA_NAMES,
    AfpReadError,
    ControlSequence,
    Field,
    FontRef,
    Source,
    TextRun,
    ebcdic_name,
    fonts_mapped,
    iter_fields,
    parse_ptoca,
    parse_triplets,
    repeating_groups,
    triplet_offset,
)

__all__ = ["Problem", "RULES", "validate", "format_problems"]

RULES: dict[str, str] = {
    "SF-INTRODUCER": "every structured field starts with the X'5A' introducer",
    "SF-TRUNCATED": "the file does not end inside a structured field",
    "SF-LENGTH": f"SFLength is 8 to {MAX_SF_LENGTH} (MO:DCA: at most 32,759 bytes after the introducer)",
    "SF-ID": "the SF identifier has class code X'D3'",
    "SF-FLAGS": "reserved bits of the SFI flag byte are zero",
    "SF-RESERVED": "the two reserved SFI bytes are X'0000'",
    "SF-EXTENSION": "an SFI extension (flag X'80') has a length of 1 or more that fits the field",
    "SF-PADDING": "padding (flag X'08') ends with its length and fits the field",
    "SF-SEGMENT": "a segmented field (flag X'20') is followed by a field with the same identifier",
    "SF-DATA": "a field with a fixed layout has all its fixed parameters",
    "BEGIN-END": "an End SF closes the innermost open Begin SF of the same kind",
    "UNCLOSED": "every Begin SF is closed by its End SF before its container ends",
    "NAME-MISMATCH": "an End SF names its Begin SF (or uses the X'FFFF' wildcard)",
    "NEST": "a structured field appears only inside a container that allows it",
    "ORDER": "fields in a container come in the prescribed order",
    "PAGE-AEG": "a page or overlay begins with exactly one active environment group",
    "AEG-ORDER": "an AEG holds maps, then PGD (exactly one), then OBD/OBP, then PTD",
    "TRIPLET-LENGTH": "a triplet's length is 2 or more and stays within its field or group",
    "TRIPLET-FORMAT": "a fixed-size triplet has its architected length",
    "RG-LENGTH": "a repeating group's length is 2 or more and stays within its field",
    "PGD-UNITS": "PGD unit bases are X'00' (10 in) or X'01' (10 cm), X and Y alike, units 1-32767",
    "PGD-EXTENT": "PGD page extents are 1-32767 units",
    "PTD-UNITS": "PTD unit bases and units are valid and match the page's PGD",
    "PTD-EXTENT": "PTD text extents are positive",
    "PTOCA-LENGTH": "a control sequence's length is 2 or more and stays within the PTX",
    "PTOCA-CHAIN": "a control sequence chain ends with an unchained (even) function in the same PTX",
    "PTOCA-FORMAT": "a fixed-size control sequence has its architected length",
    "FONT-UNMAPPED": "an SCFL local id is mapped by an MCF or MDR of the page's (or object's) environment",
    "TEXT-ENCODING": "text is valid in its font's encoding (UTF-16BE: whole, paired code units)",
    "NO-DOCUMENT": "a print file holds at least one document (BDT..EDT)",
}
"""Rule name -> what the rule requires. Every :class:`Problem` carries one of these names."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One violation of a rule.

    Attributes:
        offset: file offset of the offending byte (the SF's X'5A', or the triplet or control
            sequence inside it).
        sf: abbreviation of the structured field concerned (``'PTX'``), ``''`` if none.
        rule: a key of :data:`RULES`.
        message: what is wrong, in words.
    """

    offset: int
    sf: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sf}: " if self.sf else ""
        return f"offset 0x{self.offset:06x}: {self.rule}: {where}{self.message}"


# ---------------------------------------------------------------------------------------------
# Content models (MO:DCA-P chapter 4 "MO:DCA Objects"). NOP may appear anywhere.
# ---------------------------------------------------------------------------------------------
_OBJECTS = {"BPT", "BIM", "BGR", "BBC", "BOC", "BII"}
_RESOURCES = {"BMO", "BPS", "BIM", "BGR", "BBC", "BOC", "BII", "BFM", "BCF", "BCP", "BFN", "BCA", "BDT", "BSG"}
ALLOWED: dict[str, frozenset[str]] = {
    "file": frozenset({"BPF", "BRG", "BDT"}),
    "BPF": frozenset({"BRG", "BDT"}),
    "BRG": frozenset({"BRS"} | _RESOURCES),
    "BRS": frozenset(_RESOURCES),
    "BDT": frozenset({"BRG", "BDG", "BDI", "IMM", "BNG", "BPG", "LLE"}),
    "BNG": frozenset({"TLE", "IMM", "BPG", "BNG", "LLE"}),
    "BPG": frozenset({"BAG", "IOB", "IPS", "IPO", "IPG", "TLE", "LLE"} | _OBJECTS),
    "BMO": frozenset({"BAG", "IOB", "IPS", "IPO", "LLE"} | _OBJECTS),
    "BPS": frozenset({"IOB"} | _OBJECTS),
    "BAG": frozenset({"MCF", "MCF-1", "MDR", "MPO", "MPS", "MPG", "MCA", "PEC", "PGD", "OBD", "OBP", "PTD", "PTD-1"}),
    "BPT": frozenset({"BOG", "PTX"}),
    "BIM": frozenset({"BOG", "IPD"}),
    "BGR": frozenset({"BOG", "GAD"}),
    "BBC": frozenset({"BOG", "BDA"}),
    "BOC": frozenset({"BOG", "OCD"}),
    "BII": frozenset({"IID", "IOC", "ICP", "IRD"}),
    "BOG": frozenset(
        {
            "OBD",
            "OBP",
            "MIO",
            "MGO",
            "MBC",
            "MCD",
            "MDR",
            "MPO",
            "MCF",
            "MCF-1",
            "MCA",
            "IDD",
            "GDD",
            "BDD",
            "CDD",
            "PTD",
            "PEC",
            "PPO",
        }
    ),
    "BFM": frozenset({"BDG", "BMM"}),
}
"""Container (Begin SF abbreviation, or ``'file'``) -> SFs it may contain (besides NOP)."""

# SFs that may only live in these containers, wherever they appear (also in unmodelled ones).
_PARENTS: dict[str, frozenset[str]] = {
    "PTX": frozenset({"BPT"}),
    "TLE": frozenset({"BPG", "BNG", "BDI"}),
    "IMM": frozenset({"BDT", "BNG"}),
    "IPD": frozenset({"BIM"}),
    "GAD": frozenset({"BGR"}),
    "BDA": frozenset({"BBC"}),
    "OCD": frozenset({"BOC"}),
    "PGD": frozenset({"BAG", "BDG"}),
    "BAG": frozenset({"BPG", "BMO"}),
}

# AEG order: maps, then PGD, then OBD, OBP, then PTD. PEC (presentation environment control)
# is accepted anywhere after the maps.
_AEG_RANK = {
    "MCF": 0,
    "MCF-1": 0,
    "MDR": 0,
    "MPO": 0,
    "MPS": 0,
    "MPG": 0,
    "MCA": 0,
    "PGD": 2,
    "OBD": 3,
    "OBP": 4,
    "PTD": 5,
    "PTD-1": 5,
}
_AEG_ONCE = {"PGD", "OBD", "OBP", "PTD", "PTD-1", "PEC"}

# Architected lengths (length byte) of fixed-size triplets.
_TRIPLET_LENGTHS: dict[int, tuple[int, ...]] = {
    0x01: (6,),
    0x04: (3,),
    0x24: (4,),
    0x26: (4,),
    0x43: (3,),
    0x4B: (8,),
    0x4C: (9,),
    0x50: (4, 6),
}
_TRIPLET_MIN: dict[int, int] = {0x02: 5, 0x36: 4}

# Architected length bytes of fixed-size PTOCA control sequences (by unchained type).
_CS_LENGTHS: dict[int, tuple[int, ...]] = {
    0xC6: (4,),
    0xD2: (4,),
    0xC8: (4,),
    0xD4: (4,),
    0xF0: (3,),
    0xC4: (4,),
    0xD0: (4,),
    0xC0: (4,),
    0xF6: (6,),
    0xD8: (2,),
    0xF2: (3,),
    0xF4: (3,),
    0xE4: (4, 7),
    0xE6: (4, 7),
    0xC2: (3, 4),
    0x74: (4, 5),
}

# Fixed parameter bytes that must be present.
_MIN_DATA = {"PGD": 15, "PTD": 12, "IOB": 27, "IPS": 14, "IPO": 16, "OBP": 24}


@dataclass
class _Frame:
    field: Field
    abbr: str
    children: int = 0  # non-NOP children seen
    seen: set[str] = dc_field(default_factory=set)
    rank: int = -1  # AEG order
    rank_sf: str = ""
    fonts: dict[int, FontRef] = dc_field(default_factory=dict)
    pgd: tuple[int, int, int, int] | None = None  # (xbase, ybase, xunits, yunits)
    codec: str = "cp500"  # PTOCA text state of a BPT
    pending_high: bool = False  # UTF-16: high surrogate at the end of the last text
    segments: list[tuple[int, int, bytes]] = dc_field(default_factory=list)  # PTX segments read so far


def _label(f: Field) -> str:
    """``BPG 'PGN00001'`` (or just ``BPG``)."""
    name = ebcdic_name(f.token) if len(f.token) == 8 else None
    return f"{f.abbr} '{name}'" if name else f.abbr


def _named(f: Field) -> str:
    """``'PGN00001' `` (with a trailing space), or ``''`` when the field has no readable name."""
    name = ebcdic_name(f.token) if len(f.token) == 8 else None
    return f"'{name}' " if name else ""


class _Validator:
    def __init__(self, max_problems: int):
        self.problems: list[Problem] = []
        self.max_problems = max_problems
        self.stack: list[_Frame] = []
        self.top = _Frame(Field(0, 0, b"", 0, b"", b"", b"", b"", b""), "file")
        self.prev: Field | None = None
        self.documents = 0
        self.fields = 0

    # -- reporting ----------------------------------------------------------------------------
    def add(self, offset: int, sf: str, rule: str, message: str) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(offset, sf, rule, message))

    @property
    def parent(self) -> _Frame:
        return self.stack[-1] if self.stack else self.top

    def ancestor(self, *abbrs: str) -> _Frame | None:
        for fr in reversed(self.stack):
            if fr.abbr in abbrs:
                return fr
        return None

    # -- per field ----------------------------------------------------------------------------
    def field(self, f: Field) -> None:
        self.fields += 1
        self.check_sfi(f)
        if f.sfid[0] != 0xD3:
            self.add(f.offset, f.hexid, "SF-ID", f"class code X'{f.sfid[0]:02X}' is not X'D3' (MO:DCA)")
            self.prev = f
            return
        if f.is_end:
            self.close(f)
        else:
            self.place(f)
            if f.is_begin:
                self.stack.append(_Frame(f, f.abbr))
                if f.abbr == "BDT":
                    self.documents += 1
        self.check_content(f)
        self.prev = f

    def check_sfi(self, f: Field) -> None:
        prev = self.prev
        if prev is not None and prev.flags & FLAG_SEGMENTED and prev.sfid != f.sfid:
            self.add(
                prev.offset,
                prev.abbr,
                "SF-SEGMENT",
                f"flagged as segmented but the next field is {f.abbr}({f.hexid}), not a continuation",
            )
        if f.length > MAX_SF_LENGTH:
            self.add(
                f.offset,
                f.abbr,
                "SF-LENGTH",
                f"SFLength {f.length} exceeds {MAX_SF_LENGTH} (X'7FFF'); at most 32,759 data bytes",
            )
        if f.flags & FLAG_RESERVED:
            self.add(f.offset, f.abbr, "SF-FLAGS", f"reserved flag bits set in X'{f.flags:02X}'")
        if f.reserved != b"\x00\x00":
            self.add(f.offset, f.abbr, "SF-RESERVED", f"reserved SFI bytes are X'{f.reserved.hex().upper()}'")
        body = f.body
        pos = 0
        if f.flags & FLAG_EXTENSION:
            n = body[0] if body else 0
            if n < 1 or n > len(body):
                self.add(
                    f.offset,
                    f.abbr,
                    "SF-EXTENSION",
                    f"extension length {n} does not fit the {len(body)} bytes after the introducer",
                )
                return
            pos = n
        if f.flags & FLAG_PADDING:
            rest = body[pos:]
            if not rest:
                self.add(f.offset, f.abbr, "SF-PADDING", "padding flag set but the field has no data")
                return
            n = rest[-1]
            if n == 0:
                n = int.from_bytes(rest[-3:-1], "big") if len(rest) >= 3 else 0
                if n < 3:
                    self.add(f.offset, f.abbr, "SF-PADDING", "padding length X'00' needs a 2-byte length of 3 or more")
                    return
            if n > len(rest):
                self.add(f.offset, f.abbr, "SF-PADDING", f"padding length {n} exceeds the {len(rest)} data bytes")

    # -- structure ----------------------------------------------------------------------------
    def place(self, f: Field) -> None:
        abbr = f.abbr
        parent = self.parent
        if abbr == "NOP":
            return
        parent.children += 1
        if abbr == "?":
            return
        allowed = ALLOWED.get(parent.abbr)
        where = "the print file" if parent.abbr == "file" else _label(parent.field)
        if allowed is not None and abbr not in allowed:
            need = _PARENTS.get(abbr)
            hint = f" (it belongs in {'/'.join(sorted(need))})" if need else ""
            self.add(f.offset, abbr, "NEST", f"not allowed in {where}{hint}")
        elif allowed is None and abbr in _PARENTS and parent.abbr not in _PARENTS[abbr]:
            self.add(
                f.offset, abbr, "NEST", f"not allowed in {where} (it belongs in {'/'.join(sorted(_PARENTS[abbr]))})"
            )
        pa = parent.abbr
        if pa in ("file", "BPF") and abbr == "BRG" and "BDT" in parent.seen:
            self.add(f.offset, abbr, "ORDER", "the print file's resource group must precede its documents")
        elif pa == "BDT" and abbr in ("BRG", "BDG", "BDI") and parent.seen & {"BNG", "BPG", "IMM"}:
            self.add(f.offset, abbr, "ORDER", f"{abbr} must precede the pages and page groups of the document")
        elif pa == "BNG" and abbr == "TLE" and parent.seen & {"BPG", "BNG"}:
            self.add(f.offset, abbr, "ORDER", "a page group's TLEs must follow BNG and precede its first page")
        elif pa in ("BPG", "BMO"):
            if abbr == "BAG" and ("BAG" in parent.seen or parent.children > 1):
                what = "a second AEG" if "BAG" in parent.seen else "the AEG must come first"
                self.add(f.offset, abbr, "PAGE-AEG", f"{what} in {where}")
            elif abbr != "BAG" and "BAG" not in parent.seen and parent.children == 1:
                self.add(f.offset, abbr, "PAGE-AEG", f"{where} must begin with its active environment group (BAG)")
        elif pa in ("BPT", "BIM", "BGR", "BBC", "BOC") and abbr == "BOG" and parent.children > 1:
            self.add(f.offset, abbr, "ORDER", f"the object environment group must come first in {where}")
        elif pa == "BAG":
            self.aeg_child(parent, f)
        parent.seen.add(abbr)

    def aeg_child(self, aeg: _Frame, f: Field) -> None:
        abbr = f.abbr
        if abbr in _AEG_ONCE and abbr in aeg.seen:
            self.add(f.offset, abbr, "AEG-ORDER", f"a second {abbr} in the active environment group")
        rank = _AEG_RANK.get(abbr)
        if rank is None:
            return
        if rank < aeg.rank:
            self.add(f.offset, abbr, "AEG-ORDER", f"{abbr} must precede {aeg.rank_sf} in the active environment group")
        elif rank > aeg.rank:
            aeg.rank, aeg.rank_sf = rank, abbr

    def close(self, f: Field) -> None:
        cat = f.sfid[2]
        depth = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].field.sfid[2] == cat:
                depth = i
                break
        if depth is None:
            inner = f" (innermost open: {_label(self.stack[-1].field)})" if self.stack else ""
            self.add(f.offset, f.abbr, "BEGIN-END", f"no open Begin field for this End{inner}")
            return
        while len(self.stack) - 1 > depth:
            fr = self.stack.pop()
            self.add(
                fr.field.offset,
                fr.abbr,
                "UNCLOSED",
                f"{_named(fr.field)}is not closed before {f.abbr} at 0x{f.offset:06x}",
            )
            self.finish(fr)
        fr = self.stack.pop()
        end_name = f.token
        begin_name = fr.field.token
        if end_name and end_name[:2] != b"\xff\xff" and begin_name and end_name != begin_name:
            shown = ebcdic_name(end_name) or end_name.hex().upper()
            self.add(
                f.offset,
                f.abbr,
                "NAME-MISMATCH",
                f"name '{shown}' does not match {_label(fr.field)} at 0x{fr.field.offset:06x}",
            )
        self.finish(fr)

    def finish(self, fr: _Frame) -> None:
        """Checks when a container closes."""
        if fr.abbr in ("BPG", "BMO") and "BAG" not in fr.seen:
            self.add(fr.field.offset, fr.abbr, "PAGE-AEG", f"{_named(fr.field)}has no active environment group")
        elif fr.abbr == "BAG" and "PGD" not in fr.seen:
            self.add(fr.field.offset, fr.abbr, "AEG-ORDER", "the active environment group has no PGD")

    def end_of_file(self, offset: int) -> None:
        while self.stack:
            fr = self.stack.pop()
            self.add(
                fr.field.offset,
                fr.abbr,
                "UNCLOSED",
                f"{_named(fr.field)}is not closed (the file ends at 0x{offset:06x})",
            )
        if self.prev is not None and self.prev.flags & FLAG_SEGMENTED:
            self.add(self.prev.offset, self.prev.abbr, "SF-SEGMENT", "flagged as segmented but the file ends")
        if self.fields == 0:
            self.add(0, "", "NO-DOCUMENT", "the file holds no structured fields")
        elif self.documents == 0:
            self.add(0, "", "NO-DOCUMENT", "the print file holds no document (BDT..EDT)")

    # -- content ------------------------------------------------------------------------------
    def check_content(self, f: Field) -> None:
        abbr = f.abbr
        need = _MIN_DATA.get(abbr)
        if need is not None and len(f.data) < need:
            self.add(f.offset, abbr, "SF-DATA", f"{len(f.data)} data bytes, the fixed parameters need {need}")
            return
        start = triplet_offset(f)
        if start is not None and len(f.data) > start:
            self.triplets(f, f.data[start:], f.data_offset + start)
        groups, err = repeating_groups(f)
        if err:
            self.add(err[0], abbr, "RG-LENGTH", err[1])
        for g in groups:
            self.triplets(f, g.data, g.offset + 2)
        if abbr in ("MCF", "MDR"):
            owner = self.stack[-2] if len(self.stack) >= 2 and self.parent.abbr in ("BAG", "BOG") else None
            if owner is not None:
                for ref in fonts_mapped(f):
                    owner.fonts[ref.lid] = ref
        elif abbr == "PGD":
            self.pgd(f)
        elif abbr == "PTD":
            self.ptd(f)
        elif abbr == "PTX":
            self.ptx(f)

    def triplets(self, f: Field, data: bytes, base: int) -> None:
        trips, err = parse_triplets(data, base)
        for t in trips:
            lengths = _TRIPLET_LENGTHS.get(t.tid)
            if lengths and t.length not in lengths:
                self.add(
                    t.offset,
                    f.abbr,
                    "TRIPLET-FORMAT",
                    f"{t.name} triplet X'{t.tid:02X}' has length {t.length}, architected "
                    + " or ".join(map(str, lengths)),
                )
            elif t.tid in _TRIPLET_MIN and t.length < _TRIPLET_MIN[t.tid]:
                self.add(
                    t.offset,
                    f.abbr,
                    "TRIPLET-FORMAT",
                    f"{t.name} triplet X'{t.tid:02X}' has length {t.length}, at least {_TRIPLET_MIN[t.tid]} needed",
                )
        if err:
            self.add(err[0], f.abbr, "TRIPLET-LENGTH", err[1])

    def pgd(self, f: Field) -> None:
        d = f.data
        xb, yb = d[0], d[1]
        xu, yu = int.from_bytes(d[2:4], "big"), int.from_bytes(d[4:6], "big")
        xs, ys = int.from_bytes(d[6:9], "big"), int.from_bytes(d[9:12], "big")
        ok = True
        for axis, base in (("XpgBase", xb), ("YpgBase", yb)):
            if base not in (0, 1):
                self.add(
                    f.offset, "PGD", "PGD-UNITS", f"{axis} X'{base:02X}' is not X'00' (10 inches) or X'01' (10 cm)"
                )
                ok = False
        if ok and xb != yb:
            self.add(f.offset, "PGD", "PGD-UNITS", f"XpgBase X'{xb:02X}' and YpgBase X'{yb:02X}' differ")
        for axis, units in (("XpgUnits", xu), ("YpgUnits", yu)):
            if not 1 <= units <= 32767:
                self.add(f.offset, "PGD", "PGD-UNITS", f"{axis} {units} is outside 1-32767")
        for axis, size in (("XpgSize", xs), ("YpgSize", ys)):
            if not 1 <= size <= 32767:
                self.add(f.offset, "PGD", "PGD-EXTENT", f"{axis} {size} is outside 1-32767")
        aeg = self.parent if self.parent.abbr == "BAG" else None
        if aeg is not None:
            aeg.pgd = (xb, yb, xu, yu)

    def ptd(self, f: Field) -> None:
        d = f.data
        xb, yb = d[0], d[1]
        xu, yu = int.from_bytes(d[2:4], "big"), int.from_bytes(d[4:6], "big")
        xe, ye = int.from_bytes(d[6:9], "big"), int.from_bytes(d[9:12], "big")
        if xb not in (0, 1) or yb not in (0, 1) or xb != yb:
            self.add(
                f.offset, "PTD", "PTD-UNITS", f"unit bases X'{xb:02X}'/X'{yb:02X}' are not both X'00' or both X'01'"
            )
        elif not (1 <= xu <= 32767 and 1 <= yu <= 32767):
            self.add(f.offset, "PTD", "PTD-UNITS", f"units per unit base {xu}/{yu} outside 1-32767")
        else:
            aeg = self.parent if self.parent.abbr == "BAG" else None
            if aeg is not None and aeg.pgd is not None and aeg.pgd != (xb, yb, xu, yu):
                self.add(
                    f.offset,
                    "PTD",
                    "PTD-UNITS",
                    f"units X'{xb:02X}' {xu}/{yu} differ from the page's PGD "
                    f"X'{aeg.pgd[0]:02X}' {aeg.pgd[2]}/{aeg.pgd[3]}",
                )
        if xe <= 0 or ye <= 0:
            self.add(f.offset, "PTD", "PTD-EXTENT", f"text extents {xe}x{ye} are not positive")
        if len(d) > 14:  # initial text conditions: PTOCA control sequences
            items, err = parse_ptoca(d[14:], f.data_offset + 14)
            if err:
                self.add(err[0], "PTD", err[1], err[2])

    def ptx(self, f: Field) -> None:
        bpt = self.parent if self.parent.abbr == "BPT" else None
        if bpt is None:
            return  # reported by NEST; the text state is unknown
        # A segmented PTX (flag X'20') continues in the next PTX: its PTOCA data, chains included,
        # is checked once the last segment is read, with offsets mapped back into the file.
        bpt.segments.append((sum(len(d) for _, _, d in bpt.segments), f.data_offset, f.data))
        if f.flags & FLAG_SEGMENTED:
            return
        segments, bpt.segments = bpt.segments, []

        def where(pos: int) -> int:
            for start, offset, _ in reversed(segments):
                if pos >= start:
                    return offset + pos - start
            return segments[0][1]

        data = segments[0][2] if len(segments) == 1 else b"".join(d for _, _, d in segments)
        env = self.ancestor("BPG", "BMO")
        fonts = dict(env.fonts) if env is not None else None
        if fonts is not None:
            fonts.update(bpt.fonts)
        items, err = parse_ptoca(data, 0)
        prev: ControlSequence | None = None
        for item in items:
            item = replace(item, offset=where(item.offset))
            if isinstance(item, ControlSequence):
                self.control(f, bpt, fonts, item)
                prev = item
            else:
                if prev is not None and not prev.chained:
                    self.lost_chain(bpt, prev, item)
                self.text(bpt, item.offset, item.data)
                prev = None
        if err:
            self.add(where(err[0]), "PTX", err[1], err[2])

    def control(self, f: Field, bpt: _Frame, fonts: dict[int, FontRef] | None, cs: ControlSequence) -> None:
        base = cs.ftype & 0xFE
        lengths = _CS_LENGTHS.get(base)
        if lengths and cs.length not in lengths:
            self.add(
                cs.offset,
                "PTX",
                "PTOCA-FORMAT",
                f"{cs.name} (X'{cs.ftype:02X}') has length {cs.length}, architected " + " or ".join(map(str, lengths)),
            )
            return
        if base == 0xF0:
            lid = cs.params[0]
            ref = fonts.get(lid) if fonts is not None else None
            if fonts is not None and ref is None:
                mapped = ", ".join(str(k) for k in sorted(fonts)) or "none"
                self.add(
                    cs.offset,
                    "PTX",
                    "FONT-UNMAPPED",
                    f"SCFL selects local id {lid}, which the environment group does not map (mapped: {mapped})",
                )
            bpt.codec = ref.codec if ref is not None else "cp500"
            bpt.pending_high = False
        elif base == 0xDA:
            self.text(bpt, cs.offset + (4 if cs.escape else 2), cs.params)

    def text(self, bpt: _Frame, offset: int, data: bytes) -> None:
        codec = bpt.codec
        if codec == "utf-16-be":
            if len(data) % 2:
                self.add(offset, "PTX", "TEXT-ENCODING", f"{len(data)} bytes of UTF-16BE text is an odd count")
                return
            for i in range(0, len(data), 2):
                u = (data[i] << 8) | data[i + 1]
                if 0xD800 <= u <= 0xDBFF:
                    if bpt.pending_high:
                        break
                    bpt.pending_high = True
                elif 0xDC00 <= u <= 0xDFFF:
                    if not bpt.pending_high:
                        self.add(
                            offset + i, "PTX", "TEXT-ENCODING", f"UTF-16BE low surrogate X'{u:04X}' without a high one"
                        )
                        return
                    bpt.pending_high = False
                elif bpt.pending_high:
                    break
            else:
                return
            self.add(offset + i, "PTX", "TEXT-ENCODING", "UTF-16BE high surrogate not followed by a low one")
            bpt.pending_high = False
        elif codec == "utf-8":
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.add(offset + exc.start, "PTX", "TEXT-ENCODING", f"invalid UTF-8 text: {exc.reason}")

    def lost_chain(self, bpt: _Frame, prev: ControlSequence, run: TextRun) -> None:
        """Text right after an unchained control sequence that reads as a control sequence.

        PTOCA lets code points follow a chain, so this is a heuristic: it fires only for text in a
        single-byte EBCDIC font whose first bytes are a length below X'40' (an EBCDIC control
        character, not text) and a known function type whose architected length they match.
        """
        if bpt.codec in ("utf-16-be", "utf-8"):
            return
        d = run.data
        if len(d) < 2 or not 2 <= d[0] < 0x40 or d[0] > len(d):
            return
        name = PTOCA_NAMES.get(d[1] & 0xFE)
        if name is None:
            return
        lengths = _CS_LENGTHS.get(d[1] & 0xFE)
        if lengths and d[0] not in lengths:
            return
        self.add(
            run.offset,
            "PTX",
            "PTOCA-CHAIN",
            f"after unchained {prev.name} (X'{prev.ftype:02X}') the bytes {d[:2].hex().upper()} read as text but "
            f"form a {name} control sequence without the X'2BD3' escape: chain bit lost?",
        )


def validate(source: Source, *, max_problems: int = 1000) -> list[Problem]:
    """Check an AFP print file against the MO:DCA-P and PTOCA rules in :data:`RULES`.

    Args:
        source: the file's bytes, a path, or a binary file object.
        max_problems: stop recording after this many problems (reading goes on).

    Returns:
        The problems in file order of discovery; an empty list means the file is valid.

    Raises:
        OSError: the path cannot be opened or read.
    """
    v = _Validator(max_problems)
    end = 0
    try:
        for f in iter_fields(source):
            v.field(f)
            end = f.offset + 1 + f.length
    except AfpReadError as exc:
        v.add(exc.offset, "", exc.rule, exc.detail)
        end = exc.offset
    v.end_of_file(end)
    return v.problems


def format_problems(problems: Iterable[Problem], limit: int = 20) -> list[str]:
    """Lines ``offset 0x…: RULE: message`` for the first ``limit`` problems, plus a count of the rest."""
    problems = list(problems)
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... {len(problems) - limit} more problem(s)")
    return lines
