"""AFP writer: images (IOCA objects, IOB) and page overlays (BMO, MPO, IPO).

Display lists are built by hand here (text through tests/dl_helpers' shaping), images are
made with Pillow in the test. The output is read back with ccmcore.afp.reader (which is
independent of the writer), checked by the strict validator and by the ``afp`` package
from PyPI.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import uharfbuzz as hb
from dl_helpers import Picture as Img
from dl_helpers import Place as Ovl
from dl_helpers import Rect, Rule, Text, mm, pt, shaped_advances
from dl_helpers import build as make_dl
from dl_helpers import make_overlay as shared_overlay
from PIL import Image as PILImage

from ccmcore import display as D
from ccmcore.afp import AfpEncodingError, AfpOptions, AfpWriter, CodedFont
from ccmcore.afp.reader import fonts_mapped, iter_fields, parse_ptoca, parse_triplets, repeating_groups
from ccmcore.afp.validate import format_problems, validate
from ccmcore.fonts import default_family
from ccmcore.images import Image

# ---------------------------------------------------------------------------- display lists


def make_overlay(name: str, w: int, h: int, items) -> D.Overlay:
    return shared_overlay(name, items, (w, h))


def write(dls, **options) -> tuple[bytes, AfpWriter]:
    buf = io.BytesIO()
    with AfpWriter(buf, options=AfpOptions(**options)) as w:
        for dl in dls:
            w.write(dl)
    return buf.getvalue(), w


def encoded(arr: np.ndarray, fmt: str, dpi=None, **kw) -> Image:
    im = PILImage.fromarray(arr)
    buf = io.BytesIO()
    if dpi:
        kw["dpi"] = (dpi, dpi)
    im.save(buf, fmt, **kw)
    return Image(buf.getvalue(), name=f"test.{fmt.lower()}")


def rgb_array(w=48, h=24) -> np.ndarray:
    a = np.zeros((h, w, 3), np.uint8)
    a[..., 0] = (np.arange(w) * 5)[None, :]
    a[..., 1] = (np.arange(h) * 9)[:, None]
    a[..., 2] = 200
    return a


@pytest.fixture(scope="module")
def fonts():
    fam = default_family()
    return fam.regular, fam.bold


@pytest.fixture(scope="module")
def pics():
    grey = np.tile(np.arange(32, dtype=np.uint8) * 8, (16, 1))
    bw = np.zeros((10, 13), np.uint8)
    bw[::2, ::3] = 255
    alpha = np.zeros((8, 8, 4), np.uint8)
    alpha[..., 0] = 255
    alpha[..., 3] = np.arange(8, dtype=np.uint8)[None, :] * 36
    return {
        "logo": encoded(rgb_array(), "PNG", dpi=150),
        "photo": encoded(rgb_array(64, 40), "JPEG", quality=90),
        "grey_jpeg": encoded(rgb_array(20, 10)[..., 0].copy(), "JPEG", quality=90),
        "progressive": encoded(rgb_array(30, 20), "JPEG", quality=90, progressive=True),
        "grey": encoded(grey, "PNG"),
        "bw": encoded(bw, "PNG", dpi=300),
        "alpha": encoded(alpha, "PNG"),
    }


# ---------------------------------------------------------------------------- reading back


def fields_of(data: bytes):
    return list(iter_fields(data))


def name_of(f) -> str:
    return f.data[:8].decode("cp500").rstrip()


def blocks(fields, begin: str, end: str):
    """Lists of fields from each ``begin`` to its ``end`` (inclusive)."""
    out, cur = [], None
    for f in fields:
        if f.abbr == begin:
            cur = []
        if cur is not None:
            cur.append(f)
        if f.abbr == end and cur is not None:
            out.append(cur)
            cur = None
    return out


def resources(fields) -> dict[str, tuple[int, list]]:
    """Resource group: BRS name -> (resource object type, the fields inside)."""
    out = {}
    for blk in blocks(fields, "BRS", "ERS"):
        brs = blk[0]
        types = [t.data[0] for t in parse_triplets(brs.data[10:], 0)[0] if t.tid == 0x21]
        name = name_of(brs)
        assert name not in out, f"resource {name} stored twice"
        out[name] = (types[0], blk[1:-1])
    return out


def signed3(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True)


def iob_of(f) -> dict:
    d = f.data
    trip = {t.tid: t.data for t in parse_triplets(d[27:], 0)[0]}
    size = trip[0x4C]
    return {
        "name": name_of(f),
        "type": d[9],
        "x": signed3(d[10:13]),
        "y": signed3(d[13:16]),
        "orient": d[16:20].hex(),
        "refcsys": d[26],
        "units": trip[0x4B].hex(),
        "w": int.from_bytes(size[1:4], "big"),
        "h": int.from_bytes(size[4:7], "big"),
        "map": trip[0x04][0],
    }


def ipo_of(f) -> dict:
    d = f.data
    return {"name": name_of(f), "x": signed3(d[8:11]), "y": signed3(d[11:14]), "orient": d[14:16].hex()}


def mpo_of(f) -> dict[str, int]:
    """Overlay name -> local ID mapped by an MPO."""
    out = {}
    for g in repeating_groups(f)[0]:
        trip = {t.tid: t.data for t in parse_triplets(g.data, 0)[0]}
        assert trip[0x02][0] == 0x84 and trip[0x24][0] == 0x02
        out[trip[0x02][2:].decode("cp500").rstrip()] = trip[0x24][1]
    return out


def objects_of(page_fields) -> list[tuple[str, object]]:
    """What a page or overlay draws after its AEG, in order: ('text', PTX fields) per
    presentation text object, ('image', IOB) and ('overlay', IPO)."""
    out = []
    in_aeg = False
    for f in page_fields:
        if f.abbr == "BAG":
            in_aeg = True
        elif f.abbr == "EAG":
            in_aeg = False
        elif in_aeg:
            continue
        elif f.abbr == "BPT":
            out.append(("text", []))
        elif f.abbr == "PTX":
            out[-1][1].append(f)
        elif f.abbr == "IOB":
            out.append(("image", iob_of(f)))
        elif f.abbr == "IPO":
            out.append(("overlay", ipo_of(f)))
    return out


def aeg_fields(page_fields):
    i0 = next(i for i, f in enumerate(page_fields) if f.abbr == "BAG")
    i1 = next(i for i, f in enumerate(page_fields) if f.abbr == "EAG")
    return page_fields[i0 + 1 : i1]


def text_of(page_fields) -> str:
    """The text a page or overlay shows: TRN and code points after UCT, decoded in the
    encoding of the font SCFL selects (from the environment group's MDR/MCF)."""
    codecs = {}
    for f in aeg_fields(page_fields):
        for ref in fonts_mapped(f):
            codecs[ref.lid] = ref.codec
    out, codec = [], "cp500"
    for f in page_fields:
        if f.abbr != "PTX":
            continue
        items, err = parse_ptoca(f.data, 0)
        assert err is None
        for it in items:
            if hasattr(it, "ftype"):
                if it.ftype & 0xFE == 0xF0:
                    codec = codecs[it.params[0]]
                elif it.ftype & 0xFE == 0xDA:
                    out.append(it.params.decode(codec))
            else:
                out.append(it.data.decode(codec))
    return "".join(out)


def lu(v: int) -> int:
    return (v + 25) // 50 if v >= 0 else -((-v + 25) // 50)


def ioca_stream(blk) -> bytes:
    return b"".join(f.data for f in blk if f.abbr == "IPD")


def ioca_parse(stream: bytes) -> tuple[dict[int, bytes], bytes]:
    """IOCA self-defining fields of one image segment: {id: params}, image data joined."""
    params, data = {}, bytearray()
    i = 0
    while i < len(stream):
        if stream[i] == 0xFE:
            sid, n = stream[i : i + 2], int.from_bytes(stream[i + 2 : i + 4], "big")
            assert sid == b"\xfe\x92"
            data += stream[i + 4 : i + 4 + n]
            i += 4 + n
        else:
            sid, n = stream[i], stream[i + 1]
            params.setdefault(sid, stream[i + 2 : i + 2 + n])
            i += 2 + n
    assert i == len(stream)
    return params, bytes(data)


# ---------------------------------------------------------------------------- the job


def job(fonts, pics):
    """Two batches: pages with a letterhead overlay (text, a rule and the logo inside), the
    logo, a photo and a second overlay; the logo arrives again in batch 2 as another
    Image object with the same bytes."""
    noto, bold = fonts
    head = make_overlay(
        "LETTERHD",
        mm(210),
        mm(40),
        [
            Text("Example Insurance Ltd.", mm(15), mm(15), bold, pt(14)),
            Text("1 Main Street, Springfield", mm(15), mm(22), noto, pt(8)),
            Rule(mm(15), mm(26), mm(180), 0, width=mm(0.4)),
            Img(pics["logo"], mm(170), mm(5), mm(30), mm(15)),
        ],
    )
    foot = make_overlay(
        "footer with spaces",
        mm(210),
        mm(20),
        [
            Text("Registered office: Springfield", mm(15), mm(8), bold, pt(7)),
            Rect(mm(10), mm(2), mm(190), mm(14), stroke=0x888888, width=mm(0.2)),
        ],
    )

    def page(k, logo):
        return [
            Ovl(head),
            Text(f"Dear customer {k},", mm(20), mm(60), noto, pt(10)),
            Img(logo, mm(20 + k), mm(80), mm(40), mm(20)),
            Text("Your policy is attached.", mm(20), mm(110), noto, pt(10)),
            Img(pics["photo"], mm(100), mm(120), mm(50), mm(50)),
            Ovl(foot, 0, mm(277)),
        ]

    batch1 = make_dl([[page(0, pics["logo"]), page(1, pics["logo"])], [page(2, pics["logo"])]], records=[0, 1])
    logo2 = Image(pics["logo"].data, name="logo-again.png")
    batch2 = make_dl([[page(3, logo2)], [page(4, logo2), [Ovl(foot, mm(-2), mm(3))]]], records=[2, 3])
    return [batch1, batch2], head, foot


def test_each_image_and_overlay_is_stored_once(fonts, pics):
    dls, head, foot = job(fonts, pics)
    data, w = write(dls)
    fields = fields_of(data)
    res = resources(fields)
    kinds = {name: t for name, (t, _) in res.items()}
    images = sorted(n for n, t in kinds.items() if t == 0x06)
    overlays = sorted(n for n, t in kinds.items() if t == 0xFC)
    assert len(images) == 2  # the logo (twice as objects, once by content) and the photo
    assert len(overlays) == 2
    assert "LETTERHD" in overlays
    other = next(n for n in overlays if n != "LETTERHD")
    assert len(other) == 8 and other.startswith("O")
    assert all(len(n) == 8 and n.startswith("I") for n in images)
    assert sum(1 for f in fields if f.abbr == "BIM") == 2
    assert sum(1 for f in fields if f.abbr == "BMO") == 2
    # everything in the resource group, before the document
    erg = next(i for i, f in enumerate(fields) if f.abbr == "ERG")
    assert all(i < erg for i, f in enumerate(fields) if f.abbr in ("BIM", "BMO", "BRS"))
    assert w.page_count == 6


def test_iob_and_ipo_sit_at_the_items_lunit_positions(fonts, pics):
    dls, head, foot = job(fonts, pics)
    data, _ = write(dls)
    fields = fields_of(data)
    res = resources(fields)
    by_bytes = {}
    for name, (t, blk) in res.items():
        if t == 0x06:
            stream = ioca_stream(blk)
            by_bytes[name] = ioca_parse(stream)[1]
    photo = next(n for n, d in by_bytes.items() if d == pics["photo"].data)
    logo = next(n for n in by_bytes if n != photo)
    foot_name = next(n for n, (t, _) in res.items() if t == 0xFC and n != "LETTERHD")
    want_pages = [(dl, p) for dl in dls for p in range(dl.page_count)]
    got_pages = blocks(fields, "BPG", "EPG")
    assert len(got_pages) == len(want_pages)
    for (dl, p), pf in zip(want_pages, got_pages):
        objs = objects_of(pf)
        want = []
        for it in dl.page_items(p):
            kind, x, y, w, h = (int(v) for v in it[[D.KIND, D.X, D.Y, D.W, D.H]])
            if kind == D.IMAGE:
                img = dl.images[it[D.FONT]]
                name = photo if img.key == pics["photo"].key else logo
                want.append(
                    (
                        "image",
                        {
                            "name": name,
                            "type": 0xFB,
                            "x": lu(x),
                            "y": lu(y),
                            "orient": "00002d00",
                            "refcsys": 1,
                            "units": "00003840" + "3840",
                            "w": lu(x + w) - lu(x),
                            "h": lu(y + h) - lu(y),
                            "map": 0x20 if img is not pics["photo"] else 0x60,
                        },
                    )
                )
            elif kind == D.OVERLAY:
                ov = dl.overlays[it[D.FONT]]
                want.append(
                    (
                        "overlay",
                        {"name": "LETTERHD" if ov is head else foot_name, "x": lu(x), "y": lu(y), "orient": "0000"},
                    )
                )
            elif not want or want[-1][0] != "text":
                want.append(("text", None))
        assert [k for k, _ in objs] == [k for k, _ in want]
        for (k, got), (_, exp) in zip(objs, want):
            if k != "text":
                assert got == exp
        # every overlay the page includes is mapped by the page's MPO, local IDs 1, 2, ...
        mpos = [mpo_of(f) for f in aeg_fields(pf) if f.abbr == "MPO"]
        included = list(dict.fromkeys(o["name"] for k, o in objs if k == "overlay"))
        assert len(mpos) == 1 and mpos[0] == {n: k for k, n in enumerate(included, start=1)}
    # the overlay's own image: an IOB inside the BMO at the item's position
    ov_objs = objects_of(res["LETTERHD"][1])
    assert [k for k, _ in ov_objs] == ["text", "image"]
    assert ov_objs[1][1]["name"] == logo
    assert (ov_objs[1][1]["x"], ov_objs[1][1]["y"]) == (lu(mm(170)), lu(mm(5)))


def test_output_validates_and_the_afp_package_reads_every_field(fonts, pics, tmp_path):
    dls, _, _ = job(fonts, pics)
    data, _ = write(dls, form_definition="F1TEST")
    problems = validate(data)
    assert not problems, format_problems(problems)
    afp = pytest.importorskip("afp")
    path = tmp_path / "job.afp"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        parsed = list(
            afp.stream(
                fh, allow_unknown_fields=True, allow_unknown_triplets=True, allow_unknown_functions=True, strict=True
            )
        )
    assert len(parsed) == len(fields_of(data))
    assert not [f for f in parsed if f.get("_exceptions")]
    ipos = [f for f in parsed if f.get("SFTypeID") == 0xD3AFD8]
    assert ipos and all(f["OvlyName"] and f["OvlyOrent"] == 0 for f in ipos)
    assert {f["OvlyName"] for f in ipos} == {
        "LETTERHD",
        next(n for n in resources(fields_of(data)) if n.startswith("O")),
    }
    mpos = [f for f in parsed if f.get("SFTypeID") == 0xD3ABD8]
    assert mpos and all(g["Triplets"][1]["ResType"] == 2 for f in mpos for g in f["RepeatingGroup"])


def test_overlay_text_is_the_overlays_text(fonts, pics):
    dls, head, foot = job(fonts, pics)
    data, _ = write(dls)
    res = resources(fields_of(data))
    for ov in (head, foot):
        name = "LETTERHD" if ov is head else next(n for n, (t, _) in res.items() if t == 0xFC and n != "LETTERHD")
        blk = res[name][1]
        assert text_of(blk) == "".join(ov.content.page_text(0))
        # its extent is the overlay's size in L-units, 1440 per inch
        pgd = next(f for f in aeg_fields(blk) if f.abbr == "PGD")
        assert (int.from_bytes(pgd.data[6:9], "big"), int.from_bytes(pgd.data[9:12], "big")) == (
            lu(ov.width),
            lu(ov.height),
        )
    # the pages' own text is still the pages' text
    pages = blocks(fields_of(data), "BPG", "EPG")
    assert text_of(pages[0]) == "".join(dls[0].page_text(0))


def test_overlay_glyphs_join_the_job_font_subset(fonts, pics):
    """A font only an overlay uses is embedded; glyphs only an overlay shows are in the
    subset, and a glyph run (GLC) in an overlay names the subset's OID."""
    noto, bold = fonts
    ov = make_overlay("ONLYOVL", mm(100), mm(30), [Text("Zebra Cafe\u0301", mm(5), mm(10), bold, pt(12))])
    dl = make_dl([[[Ovl(ov), Text("plain", mm(20), mm(60), noto, pt(10))]]])
    data, w = write([dl])
    fields = fields_of(data)
    res = resources(fields)
    fonts_stored = {n: blk for n, (t, blk) in res.items() if t == 0x92}
    assert len(fonts_stored) == 2  # the page's font and the overlay-only bold
    boc_fonts = {}
    for blk in fonts_stored.values():
        boc = next(f for f in blk if f.abbr == "BOC")
        oid = next(t.data[2:] for t in parse_triplets(boc.data[8:], 0)[0] if t.tid == 0x02 and t.data[1] == 0x10)
        program = b"".join(f.data for f in blk if f.abbr == "OCD")
        boc_fonts[oid] = program
    # the glyphs the overlay shows have outlines in the embedded subset of its font
    gids, _ = shaped_advances(bold, "Zebra Cafe\u0301", pt(12))
    glc_oids = []
    for f in res["ONLYOVL"][1]:
        if f.abbr == "PTX":
            items, _ = parse_ptoca(f.data, 0)
            glc_oids += [
                it.params[8 : 8 + it.params[2]] for it in items if hasattr(it, "ftype") and it.ftype & 0xFE == 0x6C
            ]
    assert glc_oids, "a combining mark should make a glyph run"
    assert all(o in boc_fonts for o in glc_oids)
    program = boc_fonts[glc_oids[0]]
    font = hb.Font(hb.Face(program))
    full = hb.Font(bold.hb_face)
    for g in set(gids.tolist()):
        assert font.get_glyph_extents(g) == full.get_glyph_extents(g), f"glyph {g} missing from the subset"
    # and a glyph no page or overlay shows is not
    unused = bold.cmap[ord("Q")]
    assert full.get_glyph_extents(unused).width != 0
    assert font.get_glyph_extents(unused).width == 0


def test_ioca_encodings(fonts, pics):
    """JPEG (baseline) travels as it is; PNG is decoded: RGB, grey, bilevel; progressive
    JPEG and transparency decoded (composed onto white)."""
    items = [Img(pics[k], mm(10), mm(10 + 20 * i), mm(30), mm(15)) for i, k in enumerate(pics)]
    data, _ = write([make_dl([[items]])])
    assert not validate(data)
    res = resources(fields_of(data))
    got = {}
    for name, (t, blk) in res.items():
        if t != 0x06:
            continue
        params, pix = ioca_parse(ioca_stream(blk))
        idd = next(f for f in blk if f.abbr == "IDD").data
        got[name] = (params, pix, idd)
    by_key = {}
    for k, img in pics.items():
        matches = [
            n
            for n, (p, _, _) in got.items()
            if int.from_bytes(p[0x94][5:7], "big") == img.width_px
            and int.from_bytes(p[0x94][7:9], "big") == img.height_px
        ]
        assert len(matches) == 1, k
        by_key[k] = got[matches[0]]
    for k, (params, pix, idd) in by_key.items():
        img = pics[k]
        assert params[0x70] == b"" and params[0x91] == b"\xff"
        assert idd[5:9] == params[0x94][5:9]  # IDD and Image Size agree on the size
        assert idd[1:5] == params[0x94][1:5]  # and on the resolution
        comp, rec = params[0x95][0], params[0x95][1]
        size = params[0x96][0]
        if k in ("photo", "grey_jpeg"):
            assert (comp, rec) == (0x83, 0x01) and pix == img.data
            assert params[0x9F][0] == 0x10 and params[0x9F][2] == 0x83 and params[0x9F][6] == 0xC0
            assert idd[-1] == 0x0B
            if k == "photo":
                assert size == 24 and params[0x9B] == bytes((0, 0x12, 0, 0, 0, 8, 8, 8))
            else:
                assert size == 8 and params[0x9B] == bytes((0, 0x12, 0, 0, 0, 8))
            continue
        assert (comp, rec) == (0x03, 0x01)
        rgb = img.pixels("RGB")
        if k == "bw":
            assert size == 1 and 0x9B not in params and idd[-1] == 0x0A
            bits = np.unpackbits(np.frombuffer(pix, np.uint8).reshape(img.height_px, -1), axis=1)
            assert np.array_equal(bits[:, : img.width_px] == 1, rgb[..., 0] == 0)
        elif k == "grey":
            assert size == 8 and params[0x9B] == bytes((0, 0x12, 0, 0, 0, 8)) and idd[-1] == 0x0B
            assert pix == rgb[..., 0].tobytes()
        else:  # logo, progressive JPEG, alpha: 24-bit RGB
            assert size == 24 and params[0x9B] == bytes((0, 0x01, 0, 0, 0, 8, 8, 8)) and idd[-1] == 0x0B
            assert pix == rgb.tobytes()
    # resolution: the file's (150 dpi: 1500 per 10 inches) or 96 dpi
    assert int.from_bytes(by_key["logo"][0][0x94][1:3], "big") == 1500
    assert int.from_bytes(by_key["grey"][0][0x94][1:3], "big") == 960
    # transparency composed onto white
    a = pics["alpha"].pixels("RGB")
    assert tuple(a[0, 0]) == (255, 255, 255) and tuple(a[0, 7])[0] == 255 and a[0, 7, 1] < 20


def test_overlay_names():
    from ccmcore.afp.overlays import overlay_name

    assert overlay_name("LETTERHD") == "LETTERHD"
    assert overlay_name("letterhead-en") == "letterhe"
    other = overlay_name("letterhead-de", {"letterhe"})
    assert other != "letterhe" and other == overlay_name("letterhead-de", {"letterhe"})
    assert len(other) == 8 and other.startswith("O")
    assert overlay_name("Brief Kopf") == overlay_name("Brief Kopf") != overlay_name("Brief Kopf 2")


def test_image_names_are_deterministic_and_distinct(pics):
    from ccmcore.afp.images import image_name

    a = image_name(pics["logo"].key, set())
    assert a == image_name(pics["logo"].key, set()) and len(a) == 8 and a.startswith("I")
    b = image_name(pics["logo"].key, {a})
    assert b != a and len(b) == 8 and b.startswith("I")


def test_mapping_option_follows_the_aspect_ratio(pics):
    logo = pics["logo"]  # 48 x 24 px at 150 dpi: 2:1
    same = [
        Img(logo, mm(10), mm(10), mm(40), mm(20)),
        Img(logo, mm(10), mm(40), mm(41), mm(20)),
        Img(logo, mm(10), mm(70), mm(20), mm(40)),
    ]
    data, _ = write([make_dl([[same]])])
    iobs = [iob_of(f) for f in fields_of(data) if f.abbr == "IOB"]
    assert [i["map"] for i in iobs] == [0x20, 0x60, 0x60]


def test_text_objects_split_around_images_keep_one_lid_table(fonts, pics):
    noto, bold = fonts
    dl = make_dl(
        [
            [
                [
                    Text("before", mm(10), mm(10), noto, pt(10)),
                    Img(pics["logo"], mm(10), mm(20), mm(20), mm(10)),
                    Text("after", mm(10), mm(40), bold, pt(12)),
                    Text("again", mm(10), mm(50), noto, pt(10)),
                    Img(pics["photo"], mm(10), mm(60), mm(20), mm(10)),
                ]
            ]
        ]
    )
    data, _ = write([dl])
    assert not validate(data)
    page = blocks(fields_of(data), "BPG", "EPG")[0]
    objs = objects_of(page)
    assert [k for k, _ in objs] == ["text", "image", "text", "image"]
    lids = {ref.lid for f in aeg_fields(page) for ref in fonts_mapped(f)}
    assert lids == {1, 2}
    assert text_of(page) == "beforeafteragain"


def test_page_with_only_images_and_overlays(pics):
    ov = make_overlay("BOXES", mm(50), mm(50), [Rect(mm(1), mm(1), mm(20), mm(20), fill=0xCCCCCC)])
    dl = make_dl([[[Img(pics["bw"], mm(10), mm(10), mm(13), mm(10)), Ovl(ov, mm(30), mm(30))]]])
    data, _ = write([dl])
    assert not validate(data)
    page = blocks(fields_of(data), "BPG", "EPG")[0]
    assert [k for k, _ in objects_of(page)] == ["image", "overlay"]
    assert not any(f.abbr in ("MDR", "MCF") for f in aeg_fields(page))


def test_nested_overlays_and_coded_fonts(fonts, pics):
    noto, _ = fonts
    inner = make_overlay("INNER", mm(40), mm(20), [Text("inner", mm(2), mm(8), noto, pt(9))])
    outer = make_overlay(
        "OUTER", mm(100), mm(50), [Ovl(inner, mm(10), mm(10)), Text("outer", mm(2), mm(40), noto, pt(9))]
    )
    dl = make_dl([[[Ovl(outer, mm(5), mm(5))]]])
    coded = {noto.name: CodedFont("C0H200B0", "T1V10500")}
    data, _ = write([dl], coded_fonts=coded)
    assert not validate(data), format_problems(validate(data))
    res = resources(fields_of(data))
    assert [n for n, (t, _) in res.items() if t == 0xFC] == ["INNER", "OUTER"]
    outer_blk = res["OUTER"][1]
    assert [mpo_of(f) for f in aeg_fields(outer_blk) if f.abbr == "MPO"] == [{"INNER": 1}]
    assert [o for k, o in objects_of(outer_blk) if k == "overlay"] == [
        {"name": "INNER", "x": lu(mm(10)), "y": lu(mm(10)), "orient": "0000"}
    ]
    assert text_of(outer_blk) == "outer" and text_of(res["INNER"][1]) == "inner"
    assert any(f.abbr == "MCF" for f in aeg_fields(outer_blk))


def test_output_is_deterministic(fonts, pics, tmp_path):
    a, _ = write(job(fonts, pics)[0])
    b, _ = write(job(fonts, pics)[0])
    assert a == b
    path = tmp_path / "out.afp"
    with AfpWriter(path) as w:
        for dl in job(fonts, pics)[0]:
            w.write(dl)
    assert path.read_bytes() == a
    # the document part (what follows BDT) starts at document_offset
    assert w.document_offset == next(f.offset for f in fields_of(a) if f.abbr == "BNG")


def test_bad_images_and_overlays_are_clear_errors(fonts, pics):
    noto, _ = fonts
    dl = make_dl([[[Img(pics["logo"], 0, 0, mm(10), mm(10))]]])
    dl.items[0, D.FONT] = 3
    with pytest.raises(ValueError, match="IMAGE item uses index 3"):
        write([dl])
    dl = make_dl([[[Img(pics["logo"], 0, 0, 0, mm(10))]]])
    with pytest.raises(ValueError, match="positive width and height"):
        write([dl])
    # an overlay that includes itself
    me = make_overlay("LOOP", mm(10), mm(10), [Text("x", 0, mm(5), noto, pt(8))])
    me.content = make_dl([[[Ovl(me)]]], page_size=(mm(10), mm(10)))
    with pytest.raises(ValueError, match="contains itself"):
        write([make_dl([[[Ovl(me)]]])])
    # two different overlays, one AFP name
    a = make_overlay("SAME", mm(10), mm(10), [Text("a", 0, mm(5), noto, pt(8))])
    b = make_overlay("SAME", mm(10), mm(10), [Text("b", 0, mm(5), noto, pt(8))])
    with pytest.raises(ValueError, match="AFP name 'SAME'"):
        write([make_dl([[[Ovl(a), Ovl(b)]]])])
    c = make_overlay("SAME", mm(10), mm(10), [Ovl(a)])  # the same name one level down
    with pytest.raises(ValueError, match="AFP name 'SAME'"):
        write([make_dl([[[Ovl(c)]]])])
    # an overlay of two pages
    two = D.Overlay("TWO", mm(10), mm(10), make_dl([[[], []]], page_size=(mm(10), mm(10))))
    with pytest.raises(ValueError, match="exactly one page"):
        write([make_dl([[[Ovl(two)]]])])
    # text an overlay's coded font cannot encode names the overlay
    ov = make_overlay("GREEK", mm(50), mm(10), [Text("Ωmega", 0, mm(5), noto, pt(8))])
    with pytest.raises(AfpEncodingError, match="overlay 'GREEK'"):
        write([make_dl([[[Ovl(ov)]]])], coded_fonts={noto.name: CodedFont("C0H200B0", "T1V10500")})
    # an image larger than IOCA allows
    from ccmcore.images import ImageError

    big = encoded(np.zeros((1, 33000), np.uint8), "PNG")
    with pytest.raises(ImageError, match="32,767"):
        write([make_dl([[[Img(big, 0, 0, mm(100), mm(1))]]])])


def test_a_failed_batch_leaves_earlier_pages_valid(fonts, pics):
    """Bad image/overlay input is found before anything of the batch is written: the
    writer goes on with later batches."""
    noto, _ = fonts
    buf = io.BytesIO()
    w = AfpWriter(buf)
    w.write(make_dl([[[Img(pics["logo"], 0, 0, mm(10), mm(5)), Text("one", mm(5), mm(20), noto, pt(9))]]]))
    bad = make_dl([[[Img(pics["logo"], 0, 0, mm(10), mm(5))]]])
    bad.items[0, D.FONT] = -1
    with pytest.raises(ValueError):
        w.write(bad)
    w.write(make_dl([[[Img(pics["photo"], 0, 0, mm(10), mm(5))]]]))
    w.close()
    data = buf.getvalue()
    assert not validate(data)
    assert sum(1 for f in fields_of(data) if f.abbr == "BPG") == 2
    assert sum(1 for f in fields_of(data) if f.abbr == "BIM") == 2
