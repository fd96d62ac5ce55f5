"""AFP writer: structured fields, resources, page groups, PTOCA text and positions, options.

The checks read the output with a small parser of their own (below), independent of the
writer's helpers and of ccmcore.afp.reader; the strict validator (ccmcore.afp.validate)
and the ``afp`` package from PyPI read it as well.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from fractions import Fraction

import pytest
from dl_helpers import A4, Rect, Rule, Text, build, mm, pt

from ccmcore import display as D
from ccmcore.afp import AfpEncodingError, AfpOptions, AfpWriter, CodedFont
from ccmcore.fonts import default_family

# ---------------------------------------------------------------------------- a tiny reader

NAMES = {
    0xD3A8C6: "BRG",
    0xD3A9C6: "ERG",
    0xD3A8CE: "BRS",
    0xD3A9CE: "ERS",
    0xD3A892: "BOC",
    0xD3EE92: "OCD",
    0xD3A992: "EOC",
    0xD3A8A8: "BDT",
    0xD3A9A8: "EDT",
    0xD3A8AD: "BNG",
    0xD3A9AD: "ENG",
    0xD3A090: "TLE",
    0xD3ABCC: "IMM",
    0xD3A8AF: "BPG",
    0xD3A9AF: "EPG",
    0xD3A8C9: "BAG",
    0xD3A9C9: "EAG",
    0xD3AB8A: "MCF",
    0xD3ABC3: "MDR",
    0xD3A6AF: "PGD",
    0xD3B19B: "PTD",
    0xD3A89B: "BPT",
    0xD3EE9B: "PTX",
    0xD3A99B: "EPT",
    0xD3EEEE: "NOP",
}


@dataclass
class SF:
    offset: int
    length: int
    sfid: int
    flags: int
    reserved: bytes
    data: bytes

    @property
    def name(self) -> str:
        return NAMES.get(self.sfid, f"{self.sfid:06X}")


def read_sfs(data: bytes) -> list[SF]:
    out, i = [], 0
    while i < len(data):
        assert data[i] == 0x5A, f"no X'5A' at {i}"
        n = int.from_bytes(data[i + 1 : i + 3], "big")
        assert i + 1 + n <= len(data), "truncated structured field"
        out.append(
            SF(
                i,
                n,
                int.from_bytes(data[i + 3 : i + 6], "big"),
                data[i + 6],
                data[i + 7 : i + 9],
                data[i + 9 : i + 1 + n],
            )
        )
        i += 1 + n
    return out


def triplets(data: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(data):
        n = data[i]
        assert n >= 2 and i + n <= len(data), "bad triplet length"
        out.append((data[i + 1], data[i + 2 : i + n]))
        i += n
    return out


def groups(data: bytes) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i : i + 2], "big")
        out.append(data[i + 2 : i + n])
        i += n
    return out


def control_sequences(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """(even function type, parameters, trailing UCT text) of one PTX; asserts chains close."""
    out, i, chained = [], 0, False
    while i < len(data):
        if not chained:
            assert data[i : i + 2] == b"\x2b\xd3", f"text outside a chain at {i}"
            i += 2
        n, t = data[i], data[i + 1]
        assert n >= 2 and i + n <= len(data)
        params = data[i + 2 : i + n]
        i += n
        tail = b""
        if t == 0x6A:  # UCT: its code points follow the control sequence
            k = int.from_bytes(params[2:4], "big")
            tail = data[i : i + k]
            i += k
        out.append((t & 0xFE, params, tail))
        chained = bool(t & 1)
    assert not chained, "a control sequence chain is left open at the end of a PTX"
    return out


def s16(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True)


def u16(b: bytes) -> int:
    return int.from_bytes(b, "big")


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def noto():
    return default_family().regular


@pytest.fixture(scope="module")
def noto_bold():
    return default_family().bold


def write(dl_or_dls, **options) -> tuple[bytes, AfpWriter]:
    buf = io.BytesIO()
    with AfpWriter(buf, options=AfpOptions(**options)) as w:
        for dl in dl_or_dls if isinstance(dl_or_dls, list) else [dl_or_dls]:
            w.write(dl)
    return buf.getvalue(), w


def small_docs(noto, noto_bold):
    """Three documents: 1 page, 2 pages, 1 page; text in two fonts, a rule and a box."""
    p1 = [
        Text("Invoice INV-2026-00000001", mm(20), mm(30), noto_bold, pt(14)),
        Text("Dear Łukasz Öztürk, thank you — AVAWAY.", mm(20), mm(40), noto, pt(9.5), color=0x3A5A8C),
        Rule(mm(20), mm(45), mm(170), 0, width=mm(0.3)),
        Rule(mm(100), mm(50), 0, mm(20), width=pt(1), color=0x888888),
        Rect(mm(145), mm(20), mm(45), mm(22), fill=0xE8EEF7, stroke=0x3A5A8C, width=mm(0.3)),
    ]
    p2 = [Text("Page 2 of 2", mm(90), mm(283), noto, pt(8))]
    dl = build([[p1], [p1, p2], [[Text("Chloé Dubois", mm(20), mm(30), noto, pt(9.5))]]], records=[7, 8, 9])
    dl.tags = {
        "Customer ID": ["C0000007", "C0000008", "C0000009"],
        "Name": ["Łukasz Öztürk", "O'Brien", "Chloé Dubois"],
    }
    return dl


# ---------------------------------------------------------------------------- structure


def test_structured_fields_are_well_formed(noto, noto_bold):
    data, _ = write(small_docs(noto, noto_bold))
    sfs = read_sfs(data)
    assert sum(1 + s.length for s in sfs) == len(data)
    for s in sfs:
        assert 8 <= s.length <= 32_766 and len(s.data) <= 32_752
        assert s.reserved == b"\x00\x00" and s.flags == 0
        assert s.sfid >> 16 == 0xD3
    names = [s.name for s in sfs]
    assert names[0] == "BRG" and names[-1] == "EDT"
    erg = names.index("ERG")
    assert names[erg + 1] == "BDT"
    # Begin/End pairs nest and carry the same 8-byte EBCDIC names
    stack = []
    for s in sfs:
        if (s.sfid >> 8) & 0xFF == 0xA8:
            stack.append(s)
        elif (s.sfid >> 8) & 0xFF == 0xA9:
            begin = stack.pop()
            assert begin.sfid & 0xFF == s.sfid & 0xFF
            if s.data[:8]:
                assert s.data[:8] == begin.data[:8]
    assert not stack


def test_names_are_ebcdic_padded(noto, noto_bold):
    sfs = read_sfs(write(small_docs(noto, noto_bold), form_definition="F1INV")[0])
    bdt = next(s for s in sfs if s.name == "BDT")
    assert bdt.data[:8] == "CCMDOC".encode("cp500") + b"\x40\x40"
    assert (0x01, b"\x00\x00\x01\xf4") in triplets(bdt.data[10:])  # CCSID 500
    bng = [s for s in sfs if s.name == "BNG"]
    assert [b.data[:8].decode("cp500") for b in bng] == ["00000007", "00000008", "00000009"]
    # a page is named by its record (base 36) and its number in its document: unique in the
    # file, and the same wherever its document goes
    pages = [s.data[:8].decode("cp500") for s in sfs if s.name == "BPG"]
    assert pages == ["P0000701", "P0000801", "P0000802", "P0000901"]
    assert [s.data[:8].decode("cp500") for s in sfs if s.name == "EPG"] == pages
    nop = next(s for s in sfs if s.name == "NOP")
    assert nop.data.decode("cp500") == "FORMDEF=F1INV"
    assert [s.name for s in sfs].index("NOP") == [s.name for s in sfs].index("BDT") + 1


def test_resource_group_holds_each_font_once(noto, noto_bold):
    dl = small_docs(noto, noto_bold)
    sfs = read_sfs(write([dl, small_docs(noto, noto_bold)])[0])
    names = [s.name for s in sfs]
    group = sfs[: names.index("ERG") + 1]
    brs = [s for s in group if s.name == "BRS"]
    assert len(brs) == 2 and [s.name for s in group].count("BOC") == 2
    full = set()
    for s in brs:
        trip = triplets(s.data[10:])
        assert (0x21, b"\x92" + b"\x00" * 7) in trip  # object container
        fqn = [v for t, v in trip if t == 0x02 and v[0] == 0x01]
        assert (0x01, b"\x00\x00\x04\xb0") in trip  # UTF-16BE names follow
        full.add(fqn[0][2:].decode("utf-16-be"))
        oc = next(v for t, v in trip if t == 0x10)
        assert oc[1] == 0x41 and oc[6:15] == bytes.fromhex("06072B120004010133")
    assert full == {noto.hb_face.get_name(4), noto_bold.hb_face.get_name(4)}
    # the containers carry complete, subset TrueType programs with glyph ids kept
    from fontTools.ttLib import TTFont

    k = 0
    while k < len(group):
        if group[k].name == "BOC":
            program = b""
            k += 1
            while group[k].name == "OCD":
                program += group[k].data
                k += 1
            tt = TTFont(io.BytesIO(program))
            assert len(program) < len(noto.data) // 4
            font = noto if ord("Ł") in tt.getBestCmap() else noto_bold
            cmap, order = tt.getBestCmap(), tt.getGlyphOrder()
            for ch in "Invoice" if font is noto_bold else "Dear Łukasz Öztürk":
                gid = order.index(cmap[ord(ch)])  # same glyph id as in the layout font
                assert gid == font.cmap[ord(ch)]
                assert tt["hmtx"][cmap[ord(ch)]][0] == font.advances[gid]
        k += 1


def test_pages_measure_1440_per_inch(noto, noto_bold):
    sfs = read_sfs(write(small_docs(noto, noto_bold))[0])
    a4 = ((A4[0] + 25) // 50, (A4[1] + 25) // 50)
    assert a4 == (11906, 16838)
    pgd = [s for s in sfs if s.name == "PGD"]
    ptd = [s for s in sfs if s.name == "PTD"]
    assert len(pgd) == len(ptd) == 4
    for s in pgd + ptd:
        assert s.data[0:2] == b"\x00\x00"  # unit base 10 inches
        assert u16(s.data[2:4]) == u16(s.data[4:6]) == 14400
        assert (int.from_bytes(s.data[6:9], "big"), int.from_bytes(s.data[9:12], "big")) == a4
    # page layout: BPG, BAG [MDR] PGD PTD EAG, BPT PTX.. EPT, EPG
    names = [s.name for s in sfs]
    k = names.index("BPG")
    assert names[k : k + 7] == ["BPG", "BAG", "MDR", "PGD", "PTD", "EAG", "BPT"]


def test_page_groups_carry_tags(noto, noto_bold):
    sfs = read_sfs(write(small_docs(noto, noto_bold))[0])
    names = [s.name for s in sfs]
    assert names.count("BNG") == names.count("ENG") == 3
    found = []
    for k, s in enumerate(sfs):
        if s.name != "TLE":
            continue
        assert names[k - 1] in ("BNG", "TLE")
        trip = triplets(s.data)
        codec = "cp500"
        attrs = {}
        for t, v in trip:
            if t == 0x01:
                codec = {500: "cp500", 1200: "utf-16-be"}[u16(v[2:4])]
            elif t == 0x02:
                assert v[0] == 0x0B
                attrs["name"] = v[2:].decode(codec)
            elif t == 0x36:
                attrs["value"] = v[2:].decode(codec)
        found.append((attrs["name"], attrs["value"]))
    assert found == [
        ("Customer ID", "C0000007"),
        ("Name", "Łukasz Öztürk"),
        ("Customer ID", "C0000008"),
        ("Name", "O'Brien"),
        ("Customer ID", "C0000009"),
        ("Name", "Chloé Dubois"),
    ]


def test_medium_maps_invoked_by_each_document_and_when_they_change(noto):
    """A document invokes its first page's medium map itself (it must print the same
    wherever it lands in a file: parts, presorted runs), then each change."""
    t = lambda s: [Text(s, mm(20), mm(30), noto, pt(10))]  # noqa: E731
    dl = build([[t("a"), t("b"), t("c")], [t("d")], [t("e"), t("f")]])
    # template 0: first pages, 1: continuation pages, 2: no medium map
    dl.pages[:, D.TEMPLATE] = [0, 1, 2, 0, 0, 1]
    dl.templates = ["first", "next", "plain"]
    dl.media = ["INVFRST", "INVNEXT", None]
    sfs = read_sfs(write(dl)[0])
    seq = []
    for s in sfs:
        if s.name == "IMM":
            seq.append(s.data[:8].decode("cp500").strip())
        elif s.name == "BPG":
            seq.append("page")
        elif s.name == "BNG":
            seq.append("doc")
    assert seq == [
        "doc",
        "INVFRST",
        "page",
        "INVNEXT",
        "page",
        "page",
        "doc",
        "INVFRST",
        "page",
        "doc",
        "INVFRST",
        "page",
        "INVNEXT",
        "page",
    ]
    bad = build([[t("x")]])
    bad.media = ["TOO-LONG-NAME"]
    with pytest.raises(ValueError, match="medium map name"):
        write(bad)


def test_duplex_is_not_an_afp_option():
    """Duplex is the document's: the writer adds no pages the layout did not make."""
    with pytest.raises(ValueError, match=r"decided by the document.*Document\(duplex=True\)"):
        AfpOptions(duplex=True)


def test_output_is_deterministic(noto, noto_bold):
    a = write(small_docs(noto, noto_bold))[0]
    b = write(small_docs(noto, noto_bold))[0]
    assert a == b


def test_nothing_written_before_close(tmp_path, noto):
    out = tmp_path / "job.afp"
    w = AfpWriter(out)
    w.write(build([[[Text("x", mm(20), mm(30), noto, pt(10))]]]))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the spool is an unnamed temporary file
    w.close()
    assert out.read_bytes()[:1] == b"\x5a"
    with pytest.raises(ValueError, match="closed"):
        w.write(build([[[Text("x", mm(20), mm(30), noto, pt(10))]]]))
    with pytest.raises(RuntimeError):
        with AfpWriter(tmp_path / "failed.afp") as w2:
            w2.write(build([[[Text("x", mm(20), mm(30), noto, pt(10))]]]))
            raise RuntimeError("job failed")
    assert not (tmp_path / "failed.afp").exists()


# ---------------------------------------------------------------------------- PTOCA


class Printer:
    """Plays a page's PTOCA the way a printer would, recording where each glyph lands."""

    def __init__(self, fonts_by_lid):
        self.fonts = fonts_by_lid  # lid -> (Font, vfs)
        self.i = Fraction(0)
        self.b = 0
        self.lid = None
        self.color = None
        self.glyphs = []  # (gid, i in mpt, b in mpt, color)
        self.texts = []  # text of each TRN sequence / GLC chain
        self.rules = []  # (kind, i, b, length, width, color) in L-units
        self.oids = []

    def run(self, seqs):
        for t, p, tail in seqs:
            if t == 0xF0:
                self.lid = p[0]
            elif t == 0x80:
                assert p[1] == 0x01 and p[6:10] == b"\x08\x08\x08\x00"
                self.color = int.from_bytes(p[10:13], "big")
            elif t == 0xD2:
                self.b = s16(p)
            elif t == 0xC6:
                self.i = Fraction(s16(p))
            elif t == 0xC8:
                self.i += s16(p)
            elif t == 0xDA:
                font, vfs = self.fonts[self.lid]
                text = p.decode("utf-16-be")
                for ch in text:
                    gid = font.cmap.get(ord(ch), 0)
                    self.glyphs.append((gid, self.i * 50, self.b * 50, self.color))
                    self.i += Fraction(int(font.advances[gid]) * vfs, font.upem)
                self.texts.append(text)
            elif t == 0x6C:  # GLC
                self.glc_start = self.i
                self.glc_adv = s16(p[0:2])
                n = p[2]
                self.oids.append(p[8 : 8 + n])
                self.pending = []
            elif t == 0x8A:  # GIR
                self.pending = [u16(p[k : k + 2]) for k in range(2, len(p), 2)]
            elif t == 0x8C:  # GAR
                offs = [u16(p[k : k + 2]) for k in range(2, len(p), 2)]
                assert len(offs) == len(self.pending)
                for gid, off in zip(self.pending, offs):
                    self.glyphs.append((gid, (self.glc_start + off) * 50, self.b * 50, self.color))
                self.i = self.glc_start + self.glc_adv
            elif t == 0x6A:
                self.texts.append(tail.decode("utf-16-be"))
            elif t in (0xE4, 0xE6):
                width = Fraction(s16(p[2:4]) * 256 + p[4], 256)
                self.rules.append(("I" if t == 0xE4 else "B", self.i, self.b, s16(p[0:2]), width, self.color))


def play_pages(data: bytes, fonts) -> list[Printer]:
    """One Printer per page; fonts: the job's Font objects (matched by full font name)."""
    by_name = {f.hb_face.get_name(4): f for f in fonts}
    out, printer = [], None
    for s in read_sfs(data):
        if s.name == "BPG":
            lids = {}
        elif s.name == "MDR":
            for g in groups(s.data):
                trip = triplets(g)
                name = next(v[2:] for t, v in trip if t == 0x02 and v[0] == 0xDE).decode("utf-16-be")
                lid = next(v[2] for t, v in trip if t == 0x02 and v[0] == 0xBE)
                dof = next(v for t, v in trip if t == 0x8B)
                assert dof[0] == 0x40 and dof[1] == 0x20 and dof[8:12] == b"\x00\x03\x00\x01"
                lids[lid] = (by_name[name], u16(dof[2:4]))
        elif s.name == "BPT":
            printer = Printer(lids)
        elif s.name == "PTX":
            printer.run(control_sequences(s.data))
        elif s.name == "EPG":
            out.append(printer)
            printer = None
    return out


def expected_glyphs(dl, page):
    out = []
    for it in dl.page_items(page):
        if it[D.KIND] != D.GLYPHS:
            continue
        g0, gn = int(it[D.G0]), int(it[D.GN])
        x = int(it[D.X])
        for gid, adv in zip(dl.gids[g0 : g0 + gn].tolist(), dl.advances[g0 : g0 + gn].tolist()):
            out.append((gid, x, int(it[D.Y]), max(int(it[D.COLOR]), 0)))
            x += adv
    return out


def assert_glyphs_placed(dl, data):
    printers = play_pages(data, dl.fonts)
    assert len(printers) == dl.page_count
    for page, pr in enumerate(printers):
        want = expected_glyphs(dl, page)
        got = pr.glyphs
        assert [g[0] for g in got] == [w[0] for w in want]
        for (gid, i, b, color), (_, x, y, wcolor) in zip(got, want):
            assert abs(i - x) <= 25, f"glyph {gid} at {float(i)} mpt, layout put it at {x}"
            assert abs(b - y) <= 25
            assert color == wcolor
    return printers


def test_text_chains_close_and_carry_the_runs_text(noto, noto_bold):
    dl = small_docs(noto, noto_bold)
    data, _ = write(dl)
    printers = assert_glyphs_placed(dl, data)
    texts = ["".join(p.texts) for p in printers]
    assert texts == ["".join(dl.page_text(k)) for k in range(dl.page_count)]


def test_glyphs_land_within_half_an_lunit(noto):
    """Kerned, tracked and justified runs: every glyph within 25 mpt of layout, no drift."""
    text = "AVAWAY To Ta LT Yo " * 30
    dl = build([[[Text(text, mm(10), mm(30), noto, pt(7.3))]]])
    # stretch every space like justification does, and nudge glyphs by odd amounts
    sp = noto.cmap[ord(" ")]
    adv = dl.advances
    adv[dl.gids == sp] += 1377
    adv[::7] += 13
    data, _ = write(dl)
    pr = assert_glyphs_placed(dl, data)[0]
    assert len(pr.glyphs) == len(text)


def test_glyph_runs_for_shaped_text(noto):
    """Marks that shaping composes (4 glyphs for 5 characters) go out as a GLC chain."""
    dl = build(
        [
            [
                [
                    Text("Café résumé x\U0001f600y", mm(20), mm(30), noto, pt(10)),
                    Text("plain", mm(20), mm(40), noto, pt(10)),
                ]
            ]
        ]
    )
    dl2 = build([[[Text("Cafe\u0301 re\u0301sume\u0301", mm(20), mm(50), noto, pt(10))]]])
    for d in (dl, dl2):
        data, _ = write(d)
        pr = assert_glyphs_placed(d, data)[0]
        assert "".join(pr.texts) == "".join(d.page_text(0))
    # the GLC names the font by the OID on the font's BOC
    sfs = read_sfs(data)
    boc = next(s for s in sfs if s.name == "BOC")
    oid = next(v[2:] for t, v in triplets(boc.data[8:]) if t == 0x02 and v[0] == 0x01 and v[1] == 0x10)
    assert oid[0] == 0x06 and oid[1] == len(oid) - 2 and 13 <= len(oid) <= 129
    assert pr.oids == [oid]
    seqs = [t for s in sfs if s.name == "PTX" for t, _, _ in control_sequences(s.data)]
    assert 0x6C in seqs and 0x8A in seqs and 0x8C in seqs


def test_long_pages_split_into_several_ptx(noto):
    lines = [
        Text(f"Line {k} " + "lorem ipsum dolor sit amet " * 6, mm(10), mm(10) + k * 1200, noto, pt(6))
        for k in range(220)
    ]
    long_run = Text("W" * 3000, mm(1), mm(280), noto, pt(2))
    dl = build([[lines + [long_run]]])
    data, _ = write(dl)
    ptx = [s for s in read_sfs(data) if s.name == "PTX"]
    assert len(ptx) >= 2 and all(len(s.data) <= 32_752 for s in ptx)
    assert_glyphs_placed(dl, data)


def test_rules_and_boxes(noto):
    dl = build(
        [
            [
                [
                    Rule(mm(20), mm(45), mm(170), 0, width=1000, color=0x888888),
                    Rule(mm(50), mm(60), 0, mm(30), width=500),
                    Rule(mm(10), mm(10), mm(5), mm(5), width=500),  # diagonal: no PTOCA form
                    Rect(mm(145), mm(20), mm(45), mm(22), fill=0xE8EEF7, stroke=0x3A5A8C, width=mm(0.3)),
                ]
            ]
        ]
    )
    data, w = write(dl)
    assert w.skipped_items == 1
    pr = play_pages(data, [noto])[0]
    L = lambda v: Fraction(v, 50)  # noqa: E731  mpt -> L-units
    kind, i, b, length, width, color = pr.rules[0]
    assert (kind, color) == ("I", 0x888888)
    assert abs(i - L(mm(20))) <= Fraction(1, 2) and abs(i + length - L(mm(190))) <= Fraction(1, 2)
    assert abs(b - L(mm(45) - 500)) <= Fraction(1, 2) and abs(b + width - L(mm(45) + 500)) <= Fraction(1, 2)
    kind, i, b, length, width, color = pr.rules[1]
    assert (kind, color) == ("B", 0)
    assert abs(b - L(mm(60))) <= Fraction(1, 2) and abs(b + length - L(mm(90))) <= Fraction(1, 2)
    assert abs(i - L(mm(50) - 250)) <= Fraction(1, 2) and abs(i + width - L(mm(50) + 250)) <= Fraction(1, 2)
    fill, *stroke = pr.rules[2:]
    assert fill[0] == "I" and fill[5] == 0xE8EEF7
    assert abs(fill[4] - L(mm(22))) <= 1 and abs(fill[3] - L(mm(45))) <= 1
    assert len(stroke) == 4 and {r[5] for r in stroke} == {0x3A5A8C}
    assert [r[0] for r in stroke] == ["I", "I", "B", "B"]


# ---------------------------------------------------------------------------- FOCA coded fonts


def test_coded_font_encodes_in_its_code_page(noto, noto_bold):
    dl = build(
        [
            [
                [
                    Text("Grüße, O'Brien: 1.234,56 €", mm(20), mm(30), noto, pt(10)),
                    Text("Bold stays TrueType", mm(20), mm(40), noto_bold, pt(10)),
                ]
            ]
        ]
    )
    cf = CodedFont(character_set="C0H200B0", code_page="T1V10500")
    with pytest.raises(AfpEncodingError, match="U\\+20AC") as err:
        write(dl, coded_fonts={noto.name: cf})
    assert err.value.char == "€" and err.value.record == 0
    dl = build(
        [
            [
                [
                    Text("Grüße, O'Brien: 1.234,56", mm(20), mm(30), noto, pt(10)),
                    Text("Bold stays TrueType", mm(20), mm(40), noto_bold, pt(10)),
                ]
            ]
        ]
    )
    data, _ = write(dl, coded_fonts={noto.name: cf})
    sfs = read_sfs(data)
    brs = [s for s in sfs if s.name == "BRS"]
    assert len(brs) == 1  # only the bold font travels inline
    mcf = next(s for s in sfs if s.name == "MCF")
    (g,) = groups(mcf.data)
    trip = {(t if t != 0x02 else (t, v[0])): v for t, v in triplets(g)}
    assert trip[(0x02, 0x85)][2:] == b"T1V10500".decode().encode("cp500")
    assert trip[(0x02, 0x86)][2:] == "C0H200B0".encode("cp500")
    lid = trip[0x24][1]
    assert trip[0x24][0] == 0x05
    assert u16(trip[0x1F][2:4]) == 200  # 10 pt
    trns = []
    cur = None
    for s in sfs:
        if s.name == "PTX":
            for t, p, _ in control_sequences(s.data):
                if t == 0xF0:
                    cur = p[0]
                elif t == 0xDA and cur == lid:
                    trns.append(p)
    assert b"".join(trns).decode("cp500") == "Grüße, O'Brien: 1.234,56"
    # cp037 by name, explicit codecs, and bad names
    assert CodedFont(code_page="T1V10037").encoding == "cp037"
    with pytest.raises(ValueError, match="codec"):
        CodedFont(code_page="MYPAGE01")
    with pytest.raises(ValueError, match="character set"):
        CodedFont(character_set="TOO-LONG-NAME")


# ---------------------------------------------------------------------------- readers


def test_invoice_job_validates(tmp_path):
    sys.path.insert(0, "examples/invoice")
    from generate import generate
    from template import document

    import ccmcore
    from ccmcore.afp.validate import format_problems, validate

    buf = io.BytesIO()
    w = AfpWriter(buf, options=AfpOptions(form_definition="F1INV"))
    dls = []
    for dl, _, _ in ccmcore.layout(document, generate(40, seed=3), duplex=True):
        w.write(dl)
        dls.append(dl)
    w.close()
    data = buf.getvalue()
    problems = validate(data)
    assert not problems, format_problems(problems)
    # every glyph of every page where layout put it
    printers = play_pages(data, dls[0].fonts)
    assert len(printers) == w.page_count
    assert w.page_count == sum(dl.page_count for dl in dls)  # the blank backs are layout's pages
    k = blanks = 0
    for dl in dls:
        for page in range(dl.page_count):
            want = expected_glyphs(dl, page)
            if printers[k] is None:  # a blank back has no text object
                assert not want
                blanks += 1
            else:
                got = printers[k].glyphs
                assert [g[0] for g in got] == [g[0] for g in want]
                assert max(abs(g[1] - w_[1]) for g, w_ in zip(got, want)) <= 25
            k += 1
    assert blanks > 0
    # the afp package from PyPI reads it too
    afp = pytest.importorskip("afp")
    path = tmp_path / "invoices.afp"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        fields = list(
            afp.stream(
                fh, allow_unknown_fields=True, allow_unknown_triplets=True, allow_unknown_functions=True, strict=True
            )
        )
    assert len(fields) == len(read_sfs(data))
    assert not [f for f in fields if f.get("_exceptions")]


def test_golden_inspect_dump_of_a_small_document(golden, tmp_path):
    """A two-document job with printer-resident coded fonts (no embedded font bytes, so the
    dump does not depend on the HarfBuzz version) laid out with a font built here (so no
    font package's release changes it): every structured field, triplet and PTOCA control
    as `ccm afp inspect` prints it."""
    import pyarrow as pa
    from font_helpers import fixed_family

    from ccmcore import Document, Frame, Line, PageTemplate, Paragraph, Rect, Style, Text, compose, mm
    from ccmcore.afp import AfpOptions, CodedFont
    from ccmcore.afp.inspect import dump

    tpl = PageTemplate(
        "letter",
        Frame(mm(20), mm(40), mm(120), mm(60)),
        [
            Text("Page {page} of {pages}", x=mm(20), y=mm(110), width=mm(120), style=Style(size=8)),
            Rect(mm(120), mm(20), mm(30), mm(10), fill="#3a5a8c", stroke=None),
            Line(mm(20), mm(35), mm(140), mm(35), width=mm(0.3)),
        ],
        size=(mm(160), mm(120)),
        medium_map="LETTER",
    )
    doc = Document(
        flow=[
            Paragraph("Dear {name},", Style(size=10)),
            Paragraph("Your AVATAR order is ready.", Style(size=10, bold=True)),
        ],
        first=tpl,
        tags={"Name": "{name}"},
        family=fixed_family(),
    )
    coded = {
        f: CodedFont(character_set="C0H200B0", code_page="T1V10500") for f in ("CcmFixed-Regular", "CcmFixed-Bold")
    }
    out = tmp_path / "small.afp"
    compose(
        doc,
        pa.table({"name": ["Chloé", "Zoë"]}),
        out,
        format="afp",
        afp=AfpOptions(form_definition="F1SMALL", coded_fonts=coded),
        duplex=True,
    )
    golden("afp_small_coded.txt", dump(out))


def test_unencodable_character_in_a_coded_font_rejects_only_its_record(tmp_path):
    """FOCA coded fonts: a character outside the code page leaves its record out (reported)."""
    import pyarrow as pa

    from ccmcore import Document, Frame, PageTemplate, Paragraph, Style, compose, mm
    from ccmcore.afp import AfpOptions, CodedFont
    from ccmcore.afp.validate import validate

    doc = Document(
        flow=[Paragraph("Dear {name},", Style(size=10))],
        first=PageTemplate("p", Frame(mm(20), mm(20), mm(120), mm(200))),
        tags={"Name": "{name}"},
    )
    coded = {"NotoSans-Regular": CodedFont(character_set="C0H200B0", code_page="T1V10500")}
    out = tmp_path / "coded.afp"
    report = compose(
        doc, pa.table({"name": ["Chloé", "Łukasz", "Zoë"]}), out, format="afp", afp=AfpOptions(coded_fonts=coded)
    )
    assert report.documents == 2
    (rej,) = report.rejected
    # found when the batch is bound, before layout: an ordinary rejection naming the field
    assert rej.record == 1 and rej.field == "name" and "U+0141" in rej.reason and "cp500" in rej.reason
    assert validate(out) == []
    # in a template's own text it is a mistake named before anything is composed
    from ccmcore.errors import TemplateError

    literal = Document(flow=[Paragraph("Łódź office: {name}", Style(size=10))], first=doc.first)
    with pytest.raises(TemplateError, match="U\\+0141.*code page"):
        compose(literal, pa.table({"name": ["Chloé"]}), tmp_path / "l.afp", afp=AfpOptions(coded_fonts=coded))


def test_a_pages_medium_is_mapped_to_a_medium_map_by_the_options(noto):
    """The display list names a medium; which medium map prints it is the AFP backend's business."""
    dl = build([[[Text("a", mm(20), mm(30), noto, pt(10))]]])
    dl.media = ["letterhead"]
    sfs = read_sfs(write(dl, medium_maps={"letterhead": "LETTERHD"})[0])
    assert [s.data[:8].decode("cp500") for s in sfs if s.name == "IMM"] == ["LETTERHD"]
