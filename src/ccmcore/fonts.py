"""Fonts: metrics, HarfBuzz shaping, and the tables the layout kernel shapes Latin text with.

Shaping every word through HarfBuzz from Python costs about 4 µs a call, far too much for
millions of table cells. So a font keeps *fast-path tables*: for each code point the data
has actually used, its glyph, and for each pair of such code points the kerning HarfBuzz
applies between them. The tables are filled lazily by asking HarfBuzz itself (a probe
string that puts a new character next to every known one), so the kernel's result for a
word is exactly HarfBuzz's as long as the font's interactions are pairwise (kerning), which
is how Latin text fonts work. Characters outside that model (combining marks, right-to-left
and complex scripts, ligature-forming pairs, characters the font lacks) are marked complex:
strings holding them are shaped whole by HarfBuzz in Python, and cached.
"""

from __future__ import annotations

import hashlib
import os
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import uharfbuzz as hb

from .bidi import has_rtl
from .bidi import levels as bidi_levels
from .errors import FontError
from .resources import resolve

__all__ = ["Font", "FontFamily", "default_family", "Shaped", "SUBSET_DROP_TABLES"]

#: slot_of value of a code point not yet probed
UNKNOWN = 0
#: slot_of value of a code point that always takes the HarfBuzz path
COMPLEX = 0xFFFF
#: how many distinct fast-path characters a font tracks (the pair matrix is MAX_SLOTS²)
MAX_SLOTS = 512
#: pair-matrix value meaning "these two characters interact beyond kerning"
PAIR_COMPLEX = -32768
#: glyph id used in a shaped stream for a forced line break ("\n")
NEWLINE_GID = 0xFFFF

#: Tables :meth:`Font.subset` leaves out by default: no device reads them from an embedded
#: font, as layout (shaping, kerning, justification) happened before the output was made,
#: and colour and bitmap glyphs are not what PDF and AFP show.
SUBSET_DROP_TABLES = (
    b"GSUB",
    b"GPOS",
    b"GDEF",
    b"BASE",
    b"JSTF",
    b"MATH",
    b"kern",
    b"morx",
    b"mort",
    b"kerx",
    b"feat",
    b"trak",
    b"DSIG",
    b"STAT",
    b"meta",
    b"COLR",
    b"CPAL",
    b"SVG ",
    b"sbix",
    b"CBDT",
    b"CBLC",
    b"EBDT",
    b"EBLC",
    b"EBSC",
    b"hdmx",
    b"LTSH",
    b"VDMX",
    b"PCLT",
)

_FAST_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x1E00, 0x1EFF),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
)


def _fast_candidate(cp: int) -> bool:
    """Can this code point be shaped by cmap + kerning alone (given the font agrees)?"""
    if not any(lo <= cp <= hi for lo, hi in _FAST_RANGES):
        return False
    cat = unicodedata.category(chr(cp))
    if cat[0] in "MC":
        return False
    if cat[0] == "Z" and cp not in (0x20, 0xA0):
        return False
    return unicodedata.bidirectional(chr(cp)) not in ("R", "AL", "AN")


@dataclass
class Shaped:
    """A string shaped by HarfBuzz: glyph ids, advances in font units, UTF-8 byte clusters."""

    gids: np.ndarray  # uint16
    advances: np.ndarray  # int32, font units
    clusters: np.ndarray  # int32, byte offset in the UTF-8 string
    missing: list[int]  # code points the font has no glyph for
    levels: np.ndarray | None = None  # uint8 bidi level per glyph (None: all left-to-right)


def _level_runs(line: str) -> list[tuple[int, int, int]]:
    """(start, end, level) of each run of equal bidi level in a line, in logical order."""
    lv = bidi_levels(line)
    runs = []
    start = 0
    for i in range(1, len(lv) + 1):
        if i == len(lv) or lv[i] != lv[start]:
            runs.append((start, i, lv[start]))
            start = i
    return runs


class Font:
    """A TrueType/OpenType font: metrics for layout, tables for the kernel, bytes for embedding.

    Args:
        data: the font file's bytes (a single font, not a collection).
        source: where it came from, for messages.

    Raises:
        FontError: the bytes are not a font ccmcore can use.
    """

    def __init__(self, data: bytes, source: str = "<memory>"):
        self.data = bytes(data)
        self.source = source
        # metrics come straight from the tables (fontTools' import and name decoding cost
        # ~150 ms per job start; HarfBuzz and struct read the same numbers in ~3 ms)
        self.hb_face = hb.Face(self.data)
        face = self.hb_face
        tags = set(face.table_tags)
        if face.glyph_count == 0 or not {"head", "hhea", "hmtx", "maxp"} <= tags:
            raise FontError(f"{source}: not a usable TrueType/OpenType font (no glyphs or missing tables)")
        try:
            head = face.reference_table("head").data
            hhea = face.reference_table("hhea").data
            os2 = face.reference_table("OS/2").data if "OS/2" in tags else b""
            post = face.reference_table("post").data if "post" in tags else b""
            self.upem = struct.unpack_from(">H", head, 18)[0]
            self.bbox = struct.unpack_from(">4h", head, 36)
            if len(os2) >= 74:
                self.ascender, self.descender, self.line_gap = struct.unpack_from(">3h", os2, 68)
                self.weight = struct.unpack_from(">H", os2, 4)[0]
            else:
                self.ascender, self.descender, self.line_gap = struct.unpack_from(">3h", hhea, 4)
                self.weight = 400
            cap = struct.unpack_from(">h", os2, 88)[0] if len(os2) >= 90 else 0
            self.cap_height = cap or round(self.ascender * 0.7)
            self.italic_angle = struct.unpack_from(">i", post, 4)[0] / 65536 if len(post) >= 8 else 0.0
        except struct.error as exc:
            raise FontError(f"{source}: damaged font tables ({exc})") from exc
        if not 16 <= self.upem <= 16384:
            raise FontError(f"{source}: implausible unitsPerEm {self.upem}")
        self.num_glyphs = face.glyph_count
        self.is_truetype = "glyf" in tags
        self.name = (face.get_name(6) or "CcmFont").replace(" ", "")
        self.family = face.get_name(1) or self.name
        self.hb_font = hb.Font(face)
        get = self.hb_font.get_nominal_glyph
        self.cmap: dict[int, int] = {cp: g for cp in face.unicodes if (g := get(cp))}
        adv = self.hb_font.get_glyph_h_advance
        self.advances = np.array([adv(g) for g in range(self.num_glyphs)], dtype=np.int32)
        self.fingerprint = hashlib.sha1(self.data).hexdigest()[:16]
        # gid -> text, for glyphs that are not the cmap glyph of one character (ligatures)
        self.glyph_text: dict[int, str] = {}
        self._rev_cmap: dict[int, int] | None = None
        # fast-path tables, read by the kernel through their buffers
        self.slot_of = np.zeros(0x10000, dtype=np.uint16)
        self.slot_gid = np.zeros(MAX_SLOTS, dtype=np.uint16)
        self.pair = np.zeros(MAX_SLOTS * MAX_SLOTS, dtype=np.int16)
        self._slots: list[int] = [0]  # slot -> code point; slot 0 unused
        self._shape_cache: dict[str, Shaped] = {}

    @classmethod
    def from_path(cls, path: str | Path) -> Font:
        """Load a font file.

        A relative path in a template file loaded by ``ccm compose`` (or
        :func:`ccmcore.cli.load_document`) is relative to that file.

        Raises:
            FontError: the file is missing or not a usable font.
        """
        p = resolve(path)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise FontError(f"cannot read font file {p}: {exc.strerror}") from exc
        return cls(data, source=str(p))

    def __repr__(self) -> str:
        return f"Font({self.name!r}, {self.source!r})"

    # ------------------------------------------------------------------ metrics

    def unicode_for(self, gid: int) -> str | None:
        """The text a glyph stands for (for ToUnicode maps), or None when unknown."""
        if gid in self.glyph_text:
            return self.glyph_text[gid]
        if self._rev_cmap is None:
            rev: dict[int, int] = {}
            for c, g in sorted(self.cmap.items()):
                rev.setdefault(g, c)
            self._rev_cmap = rev
        cp = self._rev_cmap.get(gid)
        return None if cp is None else chr(cp)

    def has_char(self, ch: str) -> bool:
        return ord(ch) in self.cmap

    # ------------------------------------------------------------------ embedding

    def subset(self, gids, drop_tables=SUBSET_DROP_TABLES) -> bytes:
        """The font program reduced to some glyphs (plus .notdef), glyph ids unchanged.

        Backends subset once per job, at its end, over the glyphs its pages used: HarfBuzz
        keeps every glyph id where it was (RETAIN_GIDS), so pages written earlier by glyph
        id stay valid, and adds no layout closure (glyphs were chosen by shaping already:
        alternates would be dead weight).

        Args:
            gids: the glyph ids to keep (an iterable of ints, e.g. ``np.flatnonzero(used)``).
            drop_tables: tags (4 bytes each) of the tables to leave out.

        Raises:
            FontError: HarfBuzz cannot subset the font, or makes an empty subset.
        """
        inp = hb.SubsetInput()
        gset = inp.sets(hb.SubsetInputSets.GLYPH_INDEX)
        gset.add(0)
        for g in np.asarray(gids).reshape(-1).tolist():
            gset.add(int(g))
        drop = inp.sets(hb.SubsetInputSets.DROP_TABLE_TAG)
        for tag in drop_tables:
            drop.add(int.from_bytes(tag, "big"))
        inp.flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_LAYOUT_CLOSURE
        face = hb.subset(self.hb_face, inp)
        if face is None:
            raise FontError(f"{self.source}: HarfBuzz could not subset {self.name}")
        data = face.blob.data
        if not data:
            raise FontError(f"{self.source}: HarfBuzz produced an empty subset of {self.name}")
        return bytes(data)

    # ------------------------------------------------------------------ fast path

    def probe(self, codepoints) -> None:
        """Extend the fast-path tables to these code points (those not probed yet).

        Each new character is shaped by HarfBuzz alone and next to every character already
        in the tables; whatever HarfBuzz does beyond "cmap glyph plus pair kerning" marks the
        character (or the pair) complex, so the kernel hands it back to HarfBuzz.
        """
        slot_of = self.slot_of
        for cp in sorted({int(c) for c in codepoints}):
            if cp > 0xFFFF or slot_of[cp] != UNKNOWN:
                continue
            gid = self.cmap.get(cp, 0)
            if gid == 0 or not _fast_candidate(cp) or len(self._slots) >= MAX_SLOTS:
                slot_of[cp] = COMPLEX
                continue
            alone = self._hb(chr(cp))
            if len(alone[0]) != 1 or alone[0][0] != gid or alone[2]:
                slot_of[cp] = COMPLEX
                continue
            slot = len(self._slots)
            self._slots.append(cp)
            slot_of[cp] = slot
            self.slot_gid[slot] = gid
            self._probe_pairs(slot)

    def _probe_pairs(self, slot: int) -> None:
        c = chr(self._slots[slot])
        others = [chr(o) for o in self._slots[1:]]  # includes c itself
        probe = c + c.join(others) + c
        if not self._record_pairs(probe):
            # something in the long probe formed a ligature or moved a mark: ask pair by pair
            for o in others:
                for pair in (c + o, o + c):
                    if not self._record_pairs(pair):
                        sa, sb = int(self.slot_of[ord(pair[0])]), int(self.slot_of[ord(pair[1])])
                        self.pair[sa * MAX_SLOTS + sb] = PAIR_COMPLEX

    def _record_pairs(self, probe: str) -> bool:
        """Store the kerning of every adjacent pair in probe; False if HarfBuzz did more.

        A font's first pages probe every character they use against every other (some
        thousands of glyphs per font), so the checks compare whole lists and the pairs are
        stored with numpy rather than glyph by glyph."""
        gids, xadv, offsets, clusters = self._hb(probe, with_clusters=True)
        n = len(probe)
        if len(gids) != n or offsets or clusters != list(range(n)):
            return False
        cmap = self.cmap
        if gids != [cmap[ord(ch)] for ch in probe]:
            return False
        if n < 16:  # a pair or two: numpy's set-up would cost more than it saves
            for i in range(n - 1):
                sa, sb = int(self.slot_of[ord(probe[i])]), int(self.slot_of[ord(probe[i + 1])])
                kern = int(xadv[i]) - int(self.advances[gids[i]])
                self.pair[sa * MAX_SLOTS + sb] = max(-32767, min(32767, kern))
            return True
        slots = self.slot_of[np.fromiter(map(ord, probe), dtype=np.intp, count=n)].astype(np.intp)
        keys = slots[:-1] * MAX_SLOTS + slots[1:]
        kerns = np.asarray(xadv[:-1], dtype=np.int64) - self.advances[np.asarray(gids[:-1], dtype=np.intp)]
        # a pair met twice keeps its last kerning, as storing them in probe order would
        last = dict(zip(keys.tolist(), np.clip(kerns, -32767, 32767).tolist()))
        self.pair[np.fromiter(last.keys(), dtype=np.intp, count=len(last))] = list(last.values())
        return True

    def _hb(self, text: str, with_clusters: bool = False):
        buf = hb.Buffer()
        buf.add_codepoints([ord(ch) for ch in text])
        buf.direction = "ltr"
        buf.script = "Latn"
        buf.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
        hb.shape(self.hb_font, buf, {})
        infos, pos = buf.glyph_infos, buf.glyph_positions
        gids = [i.codepoint for i in infos]
        xadv = [p.x_advance for p in pos]
        offsets = {k for k, p in enumerate(pos) if p.x_offset or p.y_offset}
        if with_clusters:
            return gids, xadv, offsets, [i.cluster for i in infos]
        return gids, xadv, offsets

    # ------------------------------------------------------------------ slow path

    def shape(self, text: str) -> Shaped:
        """Shape a whole string with HarfBuzz (script and direction guessed), cached.

        Lines (split at "\\n") are shaped separately; each "\\n" becomes a NEWLINE_GID entry
        so the kernel sees forced breaks. Clusters are UTF-8 byte offsets into ``text``.
        """
        hit = self._shape_cache.get(text)
        if hit is not None:
            return hit
        gids: list[int] = []
        advs: list[int] = []
        clus: list[int] = []
        lvls: list[int] = []
        missing: list[int] = []
        rtl = has_rtl(text)
        base = 0
        for k, line in enumerate(text.split("\n")):
            if k:
                gids.append(NEWLINE_GID)
                advs.append(0)
                clus.append(base - 1)
                lvls.append(0)
            if line:
                # uharfbuzz numbers clusters by character; the kernel wants byte offsets
                byte_at = np.cumsum([0] + [len(ch.encode("utf-8")) for ch in line])
                if rtl:
                    runs = _level_runs(line)
                else:
                    runs = [(0, len(line), 0)]
                for start, end, level in runs:
                    buf = hb.Buffer()
                    buf.add_str(line[start:end])
                    buf.guess_segment_properties()
                    if rtl:
                        buf.direction = "rtl" if level % 2 else "ltr"
                    hb.shape(self.hb_font, buf, {})
                    infos, pos = buf.glyph_infos, buf.glyph_positions
                    order = range(len(infos) - 1, -1, -1) if buf.direction == "rtl" else range(len(infos))
                    # right-to-left runs come back in visual order: store them in logical order,
                    # the kernel puts each line back in visual order after breaking it
                    for i in order:
                        gids.append(infos[i].codepoint)
                        advs.append(pos[i].x_advance)
                        clus.append(base + int(byte_at[start + infos[i].cluster]))
                        lvls.append(level)
                    self._learn_glyph_texts(line[start:end], buf)
                missing.extend(ord(ch) for ch in line if ord(ch) not in self.cmap and ch not in "\r\t")
            base += len(line.encode("utf-8")) + 1
        result = Shaped(
            np.array(gids, dtype=np.uint16),
            np.array(advs, dtype=np.int32),
            np.array(clus, dtype=np.int32),
            sorted(set(missing)),
            np.array(lvls, dtype=np.uint8) if rtl else None,
        )
        if len(self._shape_cache) > 200_000:  # bounded memory on endless unique strings
            self._shape_cache.clear()
        self._shape_cache[text] = result
        return result

    def _learn_glyph_texts(self, line: str, buf) -> None:
        """Remember the text of glyphs that are not a plain cmap glyph (ligatures, forms)."""
        infos = buf.glyph_infos
        bounds = sorted({i.cluster for i in infos}) + [len(line)]
        nxt = {c: bounds[k + 1] for k, c in enumerate(bounds[:-1])}
        seen_cluster: set[int] = set()
        for info in infos:
            gid, c = info.codepoint, info.cluster
            if gid == 0 or gid in self.glyph_text:
                continue
            chunk = line[c : nxt[c]]
            if len(chunk) == 1 and self.cmap.get(ord(chunk)) == gid:
                continue
            # only the first glyph of a cluster carries its text
            if c not in seen_cluster and self.unicode_for(gid) is None:
                self.glyph_text[gid] = chunk
            seen_cluster.add(c)


class FontFamily:
    """Regular, bold, italic and bold-italic faces of one family.

    Each face is a :class:`Font`, the path of a font file (``FontFamily("Brand.ttf",
    bold="Brand-Bold.ttf")``) or a zero-argument callable that loads one; files and
    callables are loaded the first time the face is used. A missing face falls back to
    regular (or bold).

    Raises:
        FontError: a face is none of those, or names a file that does not exist.
    """

    def __init__(self, regular, bold=None, italic=None, bold_italic=None, name: str = ""):
        self.name = name
        faces = {"regular": regular, "bold": bold, "italic": italic, "bold_italic": bold_italic}
        for key, face in faces.items():
            faces[key] = _face_loader(face, key, required=key == "regular")
        self._faces = faces

    def _get(self, key: str):
        face = self._faces[key]
        if face is not None and not isinstance(face, Font):
            face = self._faces[key] = face()
        return face

    @property
    def regular(self) -> Font:
        return self._get("regular")

    @property
    def bold(self) -> Font:
        return self._get("bold") or self.regular

    @property
    def italic(self) -> Font:
        return self._get("italic") or self.regular

    @property
    def bold_italic(self) -> Font:
        return self._get("bold_italic") or self.bold

    def face(self, bold: bool = False, italic: bool = False) -> Font:
        """The face for a weight and style."""
        if bold and italic:
            return self.bold_italic
        if italic:
            return self.italic
        return self.bold if bold else self.regular

    @classmethod
    def from_paths(cls, regular, bold=None, italic=None, bold_italic=None, name: str = "") -> FontFamily:
        """A family from font files, each loaded when first used (the same as giving the
        paths to the constructor).

        Relative paths are fixed when the family is made: in a template file loaded by
        ``ccm compose`` they are relative to that file, elsewhere to the working directory.

        Raises:
            FontError: a file does not exist; (when a face is first used) it is not a font.
        """
        return cls(regular, bold, italic, bold_italic, name=name)


def _face_loader(face, key: str, required: bool):
    """A face as given to FontFamily: a Font, a loader, or None; a path becomes a loader."""
    if face is None and not required:
        return None
    if isinstance(face, Font) or (callable(face) and not isinstance(face, type)):
        return face
    if isinstance(face, (str, os.PathLike)):
        path = resolve(Path(face).expanduser())  # a template file's fonts lie beside it
        if not path.is_file():
            raise FontError(f"FontFamily: the {key.replace('_', ' ')} face's font file {str(face)!r} does not exist")
        path = path.resolve()  # loaded later, maybe from another working directory
        return lambda: Font.from_path(path)
    raise FontError(
        f"FontFamily: the {key.replace('_', ' ')} face must be a Font, the path of a font file or a function "
        f"that loads one, not {face!r}"
    )


_DEFAULT: FontFamily | None = None


def default_family() -> FontFamily:
    """Noto Sans (regular, bold, italic, bold italic) from the pymupdf-fonts package (OFL)."""
    global _DEFAULT
    if _DEFAULT is None:
        import pymupdf_fonts

        def loader(code: str, label: str):
            return lambda: Font(pymupdf_fonts.myfont(code), source=f"pymupdf-fonts:{label}")

        _DEFAULT = FontFamily(
            loader("notos", "NotoSans-Regular"),
            loader("notosbo", "NotoSans-Bold"),
            loader("notosit", "NotoSans-Italic"),
            loader("notosbi", "NotoSans-BoldItalic"),
            name="Noto Sans",
        )
    return _DEFAULT
