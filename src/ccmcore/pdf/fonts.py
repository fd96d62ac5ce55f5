"""Internal: embedding a job's fonts in PDF (Type0 / Identity-H, subset once per job).

Pages show glyphs by glyph id (Identity-H codes, CIDToGIDMap /Identity), so the subset
must keep every glyph id where it was: HarfBuzz's subsetter runs once at close() with
RETAIN_GIDS over the glyphs the job used, and pages written hours earlier stay valid.
"""

from __future__ import annotations

import hashlib
import io
import struct

import numpy as np

from ..fonts import SUBSET_DROP_TABLES

__all__ = ["pdf_widths", "subset_tag", "width_array", "to_unicode_cmap", "font_objects"]

# Tables a PDF viewer never reads from an embedded font: layout happened before the PDF,
# and Identity-H text runs horizontally (vertical metrics are dead weight).
_DROP_TABLES = SUBSET_DROP_TABLES + (b"vhea", b"vmtx")


def pdf_widths(font) -> np.ndarray:
    """Glyph advances in 1/1000 em, rounded half up: the /W numbers, and what content
    streams compute TJ adjustments against (they must be the same integers).

    Args:
        font: a :class:`ccmcore.fonts.Font`.
    """
    adv = np.asarray(font.advances, dtype=np.int64)
    upem = int(font.upem)
    return ((adv * 1000 + upem // 2) // upem).astype(np.int32)


def subset_tag(font, used_gids: np.ndarray) -> str:
    """Six capital letters naming this subset, the same for the same font and glyphs."""
    h = hashlib.md5(font.fingerprint.encode() + np.asarray(used_gids, dtype="<u2").tobytes()).digest()
    return "".join(chr(65 + b % 26) for b in h[:6])


def width_array(gids: np.ndarray, widths: np.ndarray) -> bytes:
    """A compact CIDFont /W array for the used glyph ids (sorted, unique).

    Runs of consecutive ids become ``first [w w ...]``; four or more equal widths in a row
    become ``first last w``.
    """
    out: list[str] = []
    g = gids.tolist()
    w = widths[gids].tolist() if len(gids) else []
    i, n = 0, len(g)
    while i < n:
        j = i
        while j + 1 < n and g[j + 1] == g[j] + 1:
            j += 1
        # split the consecutive run [i, j] into equal-width ranges and lists
        k = i
        pending: list[int] = []
        pending_start = g[i]
        while k <= j:
            m = k
            while m + 1 <= j and w[m + 1] == w[k]:
                m += 1
            if m - k + 1 >= 4:
                if pending:
                    out.append(f"{pending_start}[{' '.join(map(str, pending))}]")
                    pending = []
                out.append(f"{g[k]} {g[m]} {w[k]}")
                pending_start = g[m] + 1
            else:
                if not pending:
                    pending_start = g[k]
                pending.extend(w[k : m + 1])
            k = m + 1
        if pending:
            out.append(f"{pending_start}[{' '.join(map(str, pending))}]")
        i = j + 1
    return ("[" + " ".join(out) + "]").encode("ascii")


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def to_unicode_cmap(font, used_gids: np.ndarray) -> bytes:
    """A ToUnicode CMap for the used glyph ids (2-byte codes = glyph ids).

    Glyphs the font cannot name (no cmap entry, no shaping record) get no entry.
    Consecutive glyph ids that stand for consecutive BMP characters share a bfrange;
    everything else (ligatures, characters beyond the BMP as surrogate pairs) is a bfchar.
    """
    pairs: list[tuple[int, str]] = []
    for g in used_gids.tolist():
        if g == 0:
            continue
        text = font.unicode_for(int(g))
        if text:
            pairs.append((int(g), text))
    ranges: list[str] = []
    chars: list[str] = []
    i, n = 0, len(pairs)
    while i < n:
        g, t = pairs[i]
        j = i
        if len(t) == 1 and ord(t) <= 0xFFFF and not 0xD800 <= ord(t) <= 0xDFFF:
            # a bfrange may only vary the last byte of both source and destination
            while (
                j + 1 < n
                and pairs[j + 1][0] == pairs[j][0] + 1
                and pairs[j + 1][0] >> 8 == g >> 8
                and len(pairs[j + 1][1]) == 1
                and ord(pairs[j + 1][1]) == ord(pairs[j][1]) + 1
                and ord(pairs[j + 1][1]) >> 8 == ord(t) >> 8
            ):
                j += 1
        if j > i:
            ranges.append(f"<{g:04X}> <{pairs[j][0]:04X}> <{_utf16_hex(t)}>")
        else:
            chars.append(f"<{g:04X}> <{_utf16_hex(t)}>")
        i = j + 1
    out = io.StringIO()
    out.write(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    )
    # a CMap section holds at most 100 entries
    for k in range(0, len(chars), 100):
        block = chars[k : k + 100]
        out.write(f"{len(block)} beginbfchar\n" + "\n".join(block) + "\nendbfchar\n")
    for k in range(0, len(ranges), 100):
        block = ranges[k : k + 100]
        out.write(f"{len(block)} beginbfrange\n" + "\n".join(block) + "\nendbfrange\n")
    out.write("endcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n")
    return out.getvalue().encode("ascii")


def _style_flags(font) -> tuple[int, bool]:
    """PDF FontDescriptor /Flags and whether the font has a CFF outline (not glyf)."""
    face = font.hb_face
    tags = set(face.table_tags)
    flags = 4  # Symbolic: glyphs are addressed by id, not through a standard encoding
    post = face.reference_table("post").data if "post" in tags else b""
    if len(post) >= 16 and struct.unpack_from(">I", post, 12)[0]:  # isFixedPitch
        flags |= 1
    os2 = face.reference_table("OS/2").data if "OS/2" in tags else b""
    if len(os2) >= 32:
        family_class = struct.unpack_from(">h", os2, 30)[0] >> 8
        if 1 <= family_class <= 7:
            flags |= 2  # Serif
        elif family_class == 10:
            flags |= 8  # Script
    if font.italic_angle:
        flags |= 64
    return flags, "CFF " in tags or "CFF2" in tags


def font_objects(font, used: np.ndarray, compress) -> tuple[str, list]:
    """The PDF objects of one embedded font, as templates the writer numbers.

    Args:
        font: a :class:`ccmcore.fonts.Font`.
        used: uint8 flags per glyph id (1: shown on some page).
        compress: bytes -> bytes (FlateDecode) or None for no compression.

    Returns:
        (base font name, [type0, cidfont, descriptor, fontfile, tounicode]) where each
        entry is a callable taking the list of the five object numbers and returning the
        object's bytes (without ``n 0 obj``/``endobj``).

    Raises:
        FontError: the font cannot be subset.
    """
    gids = np.flatnonzero(used).astype(np.int64)
    widths = pdf_widths(font)
    program = font.subset(gids, _DROP_TABLES)
    tag = subset_tag(font, gids)
    base = f"{tag}+{_pdf_name(font.name)}"
    flags, cff = _style_flags(font)
    scale = 1000.0 / font.upem

    def fu(v: float) -> int:
        return int(round(v * scale))

    x0, y0, x1, y1 = font.bbox
    # weight → StemV: PDF wants a dominant stem width; fonts do not store one, so estimate
    # it from the weight class (about 88 for regular, 166 for bold)
    stem_v = int(round(50 + (font.weight / 65) ** 2))
    cmap = to_unicode_cmap(font, gids)
    warr = width_array(gids, widths)

    def stream(data: bytes, extra: str = "") -> bytes:
        if compress is None:
            return f"<</Length {len(data)}{extra}>>\nstream\n".encode() + data + b"\nendstream"
        z = compress(data)
        return (f"<</Length {len(z)}/Filter/FlateDecode{extra}>>\nstream\n").encode() + z + b"\nendstream"

    def type0(nums):
        return (
            f"<</Type/Font/Subtype/Type0/BaseFont/{base}/Encoding/Identity-H"
            f"/DescendantFonts[{nums[1]} 0 R]/ToUnicode {nums[4]} 0 R>>"
        ).encode()

    def cidfont(nums):
        sub = "CIDFontType0" if cff else "CIDFontType2"
        gidmap = "" if cff else "/CIDToGIDMap/Identity"
        return (
            (
                f"<</Type/Font/Subtype/{sub}/BaseFont/{base}"
                f"/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>"
                f"/FontDescriptor {nums[2]} 0 R/DW 0/W "
            ).encode()
            + warr
            + f"{gidmap}>>".encode()
        )

    def descriptor(nums):
        ff = "FontFile3" if cff else "FontFile2"
        return (
            f"<</Type/FontDescriptor/FontName/{base}/Flags {flags}"
            f"/FontBBox[{fu(x0)} {fu(y0)} {fu(x1)} {fu(y1)}]/ItalicAngle {_num(font.italic_angle)}"
            f"/Ascent {fu(font.ascender)}/Descent {fu(font.descender)}/CapHeight {fu(font.cap_height)}"
            f"/StemV {stem_v}/{ff} {nums[3]} 0 R>>"
        ).encode()

    # an OpenType/CFF program embeds whole as FontFile3 /OpenType (PDF 1.6)
    fontfile_body = stream(program, "/Subtype/OpenType" if cff else f"/Length1 {len(program)}")
    tounicode_body = stream(cmap)

    def fontfile(nums):
        return fontfile_body

    def tounicode(nums):
        return tounicode_body

    return base, [type0, cidfont, descriptor, fontfile, tounicode]


def _num(v: float) -> str:
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pdf_name(name: str) -> str:
    """A PostScript name made safe for a PDF name token."""
    out = []
    for ch in name:
        o = ord(ch)
        if 33 <= o <= 126 and ch not in "()<>[]{}/%#":
            out.append(ch)
        else:
            out.extend(f"#{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out) or "Font"
