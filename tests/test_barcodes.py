"""Barcodes: rendered to PNG and scanned back with zxing-cpp (Code 128, QR, Data Matrix),
checked against the USPS-B-3200 test vectors (IMb), and mark by mark (OMR); the geometry
covers exactly the dark modules with non-overlapping rectangles."""

from __future__ import annotations

import random

import numpy as np
import pytest
import zxingcpp

from ccmcore import DataError, display
from ccmcore.barcodes import (
    DATAMATRIX_SIZES,
    BarcodeError,
    OmrSpec,
    Symbol,
    code128_values,
    encode_code128,
    encode_datamatrix,
    encode_imb,
    encode_qr,
    imb_bars,
    matrix_rects,
    omr_bits,
    omr_marks,
    rasterize,
)
from ccmcore.barcodes import code128 as c128
from ccmcore.units import to_mpt

try:
    from PIL import Image
except ImportError:  # pragma: no cover - Pillow comes with the test extra's readers
    Image = None


# ---------------------------------------------------------------- helpers


def _png_roundtrip(img: np.ndarray, tmp_path):
    """Write the grey image as a PNG and read it back (the reader sees a real image file)."""
    if Image is None:  # pragma: no cover
        return img
    path = tmp_path / "symbol.png"
    Image.fromarray(img).save(path)
    return Image.open(path)


def scan(sym: Symbol, tmp_path, fmt, px_per_module: int = 4, border: int = 24):
    """Render a symbol at px_per_module pixels a module, pad it white, decode it."""
    mw, mh = sym.cell
    ph = mh // 80 if mh > mw else mw // px_per_module  # linear: ~80 px tall bars
    img = rasterize(sym, (mw // px_per_module, ph))
    img = np.pad(img, border, constant_values=255)
    found = zxingcpp.read_barcodes(
        _png_roundtrip(img, tmp_path), formats=fmt, text_mode=zxingcpp.TextMode.Plain, try_rotate=False
    )
    return found


def assert_exact_cover(sym: Symbol) -> None:
    """The rectangles don't overlap and cover exactly the dark modules, nothing else."""
    assert sym.bars.dtype == np.int32 and sym.bars.shape[1] == 4
    assert not sym.bars.flags.writeable
    assert (sym.bars[:, 2] > 0).all() and (sym.bars[:, 3] > 0).all()
    cw, ch = sym.cell
    ox, oy = sym.origin
    rows, cols = sym.modules.shape
    assert sym.width >= ox + cols * cw and sym.height >= oy + rows * ch
    # module units: every rectangle sits on the grid
    b = sym.bars.astype(np.int64)
    assert ((b[:, 0] - ox) % cw == 0).all() and ((b[:, 1] - oy) % ch == 0).all()
    assert (b[:, 2] % cw == 0).all() and (b[:, 3] % ch == 0).all()
    cover = np.zeros((rows, cols), np.int32)
    for x, y, w, h in b.tolist():
        c0, r0 = (x - ox) // cw, (y - oy) // ch
        assert 0 <= c0 and c0 + w // cw <= cols and 0 <= r0 and r0 + h // ch <= rows
        cover[r0 : r0 + h // ch, c0 : c0 + w // cw] += 1
    assert cover.max() <= 1, "rectangles overlap"
    assert np.array_equal(cover.astype(bool), sym.modules), "rectangles differ from the module matrix"
    assert sym.dark_area == int(sym.modules.sum()) * cw * ch


# ---------------------------------------------------------------- Code 128

CODE128_DATA = [
    "HELLO",
    "Invoice 2024/000123",
    "12345678901234567890",  # digits only: code set C throughout
    "1234567",  # odd digit count
    "ACCT 0012345678 due 31.12.2024",  # digit runs in the middle go to C
    "9876543210abc",  # C first, then B
    "abc9876543210",  # B, then C to the end
    "tab\there\x01ctrl and lower",  # A/B shifts and latches
    "".join(chr(c) for c in range(32, 127)),  # all of B
    "".join(chr(c) for c in range(0, 32)),  # control characters: A
    "Grüße, café à 5 €uro".replace("€", "E"),  # ISO 8859-1 through FNC4
]


@pytest.mark.parametrize("data", CODE128_DATA)
def test_code128_scans_back(data, tmp_path):
    sym = encode_code128(data, module=0.72, height=36)
    found = scan(sym, tmp_path, zxingcpp.BarcodeFormat.Code128)
    assert [f.text for f in found] == [data]
    assert found[0].symbology_identifier == "]C0"
    assert_exact_cover(sym)


def test_code128_digits_use_code_set_c(tmp_path):
    vals = code128_values("12345678901234567890")
    assert vals[0] == 105 and len(vals) == 1 + 10 + 2  # start C, ten pairs, check, stop
    mixed = code128_values("ACCT 0012345678")
    assert 99 in mixed  # CODE C before the digit run
    assert mixed[0] == 104
    # the check character is the weighted sum modulo 103
    v = code128_values("PJJ123C")
    assert v[-2] == (v[0] + sum(i * x for i, x in enumerate(v[1:-2], 1))) % 103
    assert v[-1] == 106


def test_code128_choice_is_minimal():
    """The printable fast path gives as few symbol characters as the full search."""
    rng = random.Random(7)
    alphabet = "0123456789" * 3 + "ABCxyz -/"
    for _ in range(2000):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24)))
        toks = [ord(ch) for ch in data]
        assert len(c128._choose(toks, data)) == len(c128._choose(toks)), data


def test_code128_gs1(tmp_path):
    data = "0109501101530003\x1d10AB12"  # GTIN, then a variable-length batch number
    vals = code128_values(data, gs1=True)
    assert vals[:2] == [105, 102] and vals.count(102) == 2  # FNC1 first and as separator
    found = scan(encode_code128(data, gs1=True), tmp_path, zxingcpp.BarcodeFormat.Code128)
    assert found[0].symbology_identifier == "]C1"
    assert found[0].text == data


def test_code128_geometry():
    sym = encode_code128("1234", module=1, height=20)
    # start C, 12, 34, check, stop: 4 * 11 + 13 modules, 10 quiet modules each side
    assert sym.width == (4 * 11 + 13 + 20) * 1000
    assert sym.height == 20_000 and sym.origin == (10_000, 0)
    assert sym.bars[0].tolist() == [10_000, 0, 2000, 20_000]  # start C: 2 1 1 2 3 2
    assert (np.diff(sym.bars[:, 0]) > 0).all()
    assert sym.modules.shape == (1, 57)
    assert encode_code128("1234", module=1, height=20, quiet_zone=False).width == 57_000
    assert encode_code128("1234", module=1, height=20) is sym  # cached
    assert encode_code128("1234", module="1pt", height="20pt").width == sym.width


def test_code128_errors():
    with pytest.raises(BarcodeError) as e:
        encode_code128("price 5 €")
    assert isinstance(e.value, ValueError) and isinstance(e.value, DataError)
    assert "Code 128" in str(e.value) and "'€'" in str(e.value) and "position 8" in str(e.value)
    assert e.value.char == "€" and e.value.position == 8
    with pytest.raises(ValueError, match="Code 128"):
        encode_code128("")


# ---------------------------------------------------------------- QR Code

QR_DATA = [
    "https://example.com/invoice/2024/000123?c=42",
    "0123456789012345678901234567890",
    "Grüße aus Köln — naïve café",
    "日本語のテキスト",
    "emoji 📬 ok",
]


@pytest.mark.parametrize("data", QR_DATA)
def test_qr_scans_back(data, tmp_path):
    sym = encode_qr(data, module=1.44, ecc="M")
    found = scan(sym, tmp_path, zxingcpp.BarcodeFormat.QRCode)
    assert [f.text for f in found] == [data]
    assert found[0].ec_level == "M"
    assert_exact_cover(sym)
    assert sym.origin == (4 * 1440, 4 * 1440)
    assert sym.width == sym.height == (sym.modules.shape[0] + 8) * 1440


@pytest.mark.parametrize("ecc", ["L", "Q", "H"])
def test_qr_ecc_levels(ecc, tmp_path):
    found = scan(encode_qr("ECC test 12345", ecc=ecc), tmp_path, zxingcpp.BarcodeFormat.QRCode)
    assert found[0].text == "ECC test 12345" and found[0].ec_level == ecc


def test_qr_bytes_and_version(tmp_path):
    sym = encode_qr(b"\x00\x01binary\xff", version=3)
    assert sym.modules.shape == (29, 29)
    found = scan(sym, tmp_path, zxingcpp.BarcodeFormat.QRCode)
    assert found[0].bytes == b"\x00\x01binary\xff"


def test_qr_errors():
    with pytest.raises(BarcodeError, match="QR Code"):
        encode_qr("x" * 200, version=1)
    with pytest.raises(BarcodeError, match="QR Code.*U\\+D800"):
        encode_qr("bad \ud800 surrogate")
    with pytest.raises(ValueError, match="ecc"):
        encode_qr("x", ecc="Z")


# ---------------------------------------------------------------- Data Matrix


@pytest.mark.parametrize(
    "data,kw",
    [
        ("D0001234567S0001P01/03", {}),
        ("D0001234567S0001P01/03", {"size": (16, 48)}),
        ("D0001234567S0001P01/03", {"shape": "any"}),
        ("0000123456", {"size": (12, 12)}),
        ("Grüße ✓", {}),
        (b"\x02\x10raw\x00", {}),
    ],
)
def test_datamatrix_scans_back(data, kw, tmp_path):
    sym = encode_datamatrix(data, module=1.44, **kw)
    if "size" in kw:
        assert sym.modules.shape == kw["size"]
    found = scan(sym, tmp_path, zxingcpp.BarcodeFormat.DataMatrix)
    assert len(found) == 1
    if isinstance(data, bytes):
        assert found[0].bytes == data
    else:
        assert found[0].text == data
    assert_exact_cover(sym)
    # the finder pattern: solid left column and bottom row
    assert sym.modules[:, 0].all() and sym.modules[-1, :].all()


def test_datamatrix_square_by_default():
    rows, cols = encode_datamatrix("ABCDEF12345").modules.shape
    assert rows == cols
    rows, cols = encode_datamatrix("ABCDEF12345", shape="any").modules.shape
    assert (rows, cols) in DATAMATRIX_SIZES and rows != cols


def test_datamatrix_gs1(tmp_path):
    sym = encode_datamatrix("[01]09501101530003[17]250101[10]AB12", gs1=True)
    found = scan(sym, tmp_path, zxingcpp.BarcodeFormat.DataMatrix)
    assert found[0].symbology_identifier == "]d2"


def test_datamatrix_errors():
    with pytest.raises(BarcodeError, match="Data Matrix"):
        encode_datamatrix("X" * 40, size=(10, 10))
    with pytest.raises(ValueError, match="no symbol size"):
        encode_datamatrix("X", size=(11, 11))
    with pytest.raises(ValueError, match="shape"):
        encode_datamatrix("X", shape="round")


# ---------------------------------------------------------------- geometry


def test_matrix_rects_random():
    rng = np.random.default_rng(3)
    for _ in range(300):
        m = rng.random((int(rng.integers(1, 25)), int(rng.integers(1, 25)))) < rng.random()
        rects = matrix_rects(m)
        cover = np.zeros(m.shape, np.int32)
        for x, y, w, h in rects.tolist():
            cover[y : y + h, x : x + w] += 1
        assert cover.max(initial=0) <= 1
        assert np.array_equal(cover.astype(bool), m)
        order = np.lexsort((rects[:, 0], rects[:, 1]))
        assert np.array_equal(order, np.arange(len(rects)))  # by y, then x


def test_matrix_rects_merges():
    m = np.array(
        [
            [1, 1, 0, 1],
            [1, 1, 0, 1],
            [1, 1, 1, 1],
            [0, 0, 0, 0],
        ],
        bool,
    )
    assert matrix_rects(m).tolist() == [[0, 0, 2, 2], [3, 0, 1, 2], [0, 2, 4, 1]]
    assert matrix_rects(np.zeros((3, 3), bool)).shape == (0, 4)


def test_symbol_items():
    sym = encode_qr("items")
    items = sym.items(100_000, 200_000, color=0x112233)
    assert items.shape == (sym.bars.shape[0], display.ITEM_FIELDS)
    assert (items[:, display.KIND] == display.RECT).all()
    assert np.array_equal(items[:, display.X], sym.bars[:, 0] + 100_000)
    assert np.array_equal(items[:, display.Y], sym.bars[:, 1] + 200_000)
    assert (items[:, display.COLOR] == 0x112233).all() and (items[:, display.COLOR2] == -1).all()


# ---------------------------------------------------------------- Intelligent Mail

# USPS-B-3200 appendix C (tracking 01234567094987654321 with each routing length), and
# one from the USPS online encoder (barcode id 23, STID 270, MID 592831).
IMB_VECTORS = [
    ("01234567094987654321", "", "ATTFATTDTTADTAATTDTDTATTDAFDDFADFDFTFFFFFTATFAAAATDFFTDAADFTFDTDT"),
    ("01234567094987654321", "01234", "DTTAFADDTTFTDTFTFDTDDADADAFADFATDDFTAAAFDTTADFAAATDFDTDFADDDTDFFT"),
    ("01234567094987654321", "012345678", "ADFTTAFDTTTTFATTADTAAATFTFTATDAAAFDDADATATDTDTTDFDTDATADADTDFFTFA"),
    ("01234567094987654321", "01234567891", "AADTFFDFTDADTAADAATFDTDDAAADDTDTTDAFADADDDTFFFDDTTTADFAAADFTDAADA"),
    ("23270592831482031240", "96713024817", "DDADATADTAATDTTTDFDTTFTFFADTFTDFTATAAFTTFATDAATATDATATFADAADDTFDT"),
]


@pytest.mark.parametrize("tracking,routing,expected", IMB_VECTORS)
def test_imb_test_vectors(tracking, routing, expected):
    assert imb_bars(tracking, routing) == expected
    sym = encode_imb(tracking, routing)
    assert sym.text == expected
    assert sym.bars.shape == (65, 4)
    # bar types from the geometry: ascender reaches the top, descender the bottom
    tracker, full, qy = 3456, 10_440, 2016
    ext = (full - tracker) // 2
    for (_, y, w, h), letter in zip(sym.bars.tolist(), expected):
        top, bottom = y - qy, y - qy + h
        has_asc, has_desc = top == 0, bottom == full
        assert letter == "TDAF"[has_asc * 2 + has_desc]
        assert top in (0, ext) and bottom in (ext + tracker, full)
        assert w == 1440


def test_imb_dimensions():
    sym = encode_imb("01234567094987654321", "01234567891")
    x = sym.bars[:, 0]
    pitch = np.diff(x)
    assert pitch.min() >= 3272 and pitch.max() <= 3273  # 22 bars per inch
    length = int(x[-1] + 1440 - x[0])
    assert 2.667 * 72_000 <= length <= 3.225 * 72_000  # USPS-B-3200 barcode length
    assert sym.width == length + 2 * 9000 and sym.height == 10_440 + 2 * 2016
    assert encode_imb("01234567094987654321", "01234567891", quiet_zone=False).width == length
    # bars never overlap
    assert (pitch > 1440).all()


def test_imb_errors():
    with pytest.raises(BarcodeError, match="Intelligent Mail.*'x'.*position 3"):
        imb_bars("012x4567094987654321")
    with pytest.raises(BarcodeError, match="20 digits"):
        imb_bars("0123")
    with pytest.raises(BarcodeError, match="routing code must have 0, 5, 9, 11 digits"):
        imb_bars("01234567094987654321", "1234")
    with pytest.raises(BarcodeError, match="second digit"):
        imb_bars("05234567094987654321")


# ---------------------------------------------------------------- OMR

SPEC = OmrSpec(marks=("start", "eoc", "seq1", "seq2", "seq4", "parity", "stop"), length=28, thickness=1, pitch=12)


def _positions(sym: Symbol) -> list[int]:
    return [y // to_mpt(SPEC.pitch) for y in sym.bars[:, 1].tolist()]


def test_omr_page_1_of_3():
    sym = omr_marks(1, 3, sheet=1, spec=SPEC)
    # start, seq1 (sheet 1 = 001), parity (3 marks so far -> one more), stop
    assert _positions(sym) == [0, 2, 5, 6]
    assert sym.text == "1010011"
    assert sym.bars[:, 2].tolist() == [28_000] * 4 and sym.bars[:, 3].tolist() == [1000] * 4
    assert sym.width == 28_000 and sym.height == 6 * 12_000 + 1000


def test_omr_end_of_set_on_last_page():
    sym = omr_marks(3, 3, sheet=3, spec=SPEC)
    # start, eoc, seq1 + seq2 (3 = 011), stop: 5 marks -> parity mark makes 6
    assert _positions(sym) == [0, 1, 2, 3, 5, 6]
    assert omr_bits(2, 3, 2, spec=SPEC)[1] == 0  # not the last page: no end-of-set mark


def test_omr_sheet_counter_wraps():
    counter = [omr_bits(1, 2, s, spec=SPEC)[2:5] for s in range(0, 17)]
    values = [b[0] + 2 * b[1] + 4 * b[2] for b in counter]
    assert values == [s % 8 for s in range(17)]


def test_omr_parity():
    for page, pages, sheet in [(1, 3, 0), (1, 3, 1), (2, 3, 6), (3, 3, 7), (1, 1, 5)]:
        bits = omr_bits(page, pages, sheet, spec=SPEC)
        assert sum(bits) % 2 == 0
    odd = OmrSpec(marks=SPEC.marks, parity="odd")
    for sheet in range(8):
        assert sum(omr_bits(1, 2, sheet, spec=odd)) % 2 == 1


def test_omr_duplex_boc_pages_and_feeds():
    spec = OmrSpec(marks=("start", "boc", "eoc", "page1", "page2", "feed1", "feed2", "off", "on"), duplex=True)
    assert omr_bits(1, 4, 0, spec=spec) == (1, 1, 0, 1, 0, 0, 0, 0, 1)
    # page 3 is the front of the last sheet of a 4-page duplex document
    assert omr_bits(3, 4, 1, spec=spec, feeds=0b10) == (1, 0, 1, 1, 1, 0, 1, 0, 1)
    assert omr_bits(3, 3, 1, spec=spec)[2] == 1


def test_omr_horizontal_and_cache():
    spec = OmrSpec(vertical=False, length="8mm", thickness="1pt")
    assert spec.thickness == 1.0  # kept in points
    sym = omr_marks(1, 2, 1, spec=spec)
    assert sym.height == to_mpt(spec.length) and (sym.bars[:, 1] == 0).all()
    assert (sym.bars[:, 2] == to_mpt(spec.thickness)).all()
    assert omr_marks(1, 2, 9, spec=spec) is sym  # same bits (9 wraps to 1): cached symbol


def test_omr_spec_checks_and_description():
    with pytest.raises(ValueError, match="unknown mark"):
        OmrSpec(marks=("start", "bogus"))
    with pytest.raises(ValueError, match="powers of two"):
        OmrSpec(marks=("start", "seq3"))
    with pytest.raises(ValueError, match="twice"):
        OmrSpec(marks=("start", "eoc", "eoc"))
    with pytest.raises(ValueError, match="page 4"):
        omr_bits(4, 3, 0, spec=SPEC)
    text = SPEC.describe()
    assert "end of set" in text and "sheet mod 8" in text and len(text.splitlines()) == 7


def test_compiled_rectangle_cover_equals_the_numpy_reference():
    import numpy as np

    from ccmcore.barcodes.geometry import _matrix_rects_reference, matrix_rects

    rng = np.random.default_rng(7)
    for _ in range(500):
        rows, cols = rng.integers(1, 45, 2)
        m = rng.random((rows, cols)) < rng.random()
        assert np.array_equal(matrix_rects(m), _matrix_rects_reference(m))
    assert matrix_rects(np.zeros((3, 3), bool)).shape == (0, 4)
