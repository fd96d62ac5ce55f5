"""Template mistakes are named before anything is composed: lengths and their units, wrong
arguments, content off its page or wider than its frame (issue: nothing wrong goes out
silently). Positions are read back from the PDF a job writes."""

from __future__ import annotations

import math

import pyarrow as pa
import pypdfium2 as pdfium
import pytest

from ccmcore import (
    Barcode,
    Column,
    Document,
    FontError,
    FontFamily,
    Frame,
    Line,
    Message,
    PageTemplate,
    Paragraph,
    Picture,
    Rect,
    Slot,
    Spacer,
    Style,
    Table,
    TemplateError,
    Text,
    compose,
    date,
    inch,
    layout,
    mm,
    money,
    pt,
)
from ccmcore.display import GLYPHS, KIND, X
from ccmcore.units import points, to_mpt

ITEMS = pa.table(
    {
        "name": ["Ada", "Grace"],
        "items": [[{"d": "one", "amt": 100}], [{"d": "two", "amt": 250}]],
    }
)


def page(frame=None, content=(), size=None):
    return PageTemplate("p", frame or Frame(mm(20), mm(20), mm(170), mm(250)), content, size=size)


def first_glyph_x(doc, data) -> list[float]:
    ((dl, _, _),) = list(layout(doc, data))
    return [it[X] for it in dl.page_items(0) if it[KIND] == GLYPHS]


# ---------------------------------------------------------------------- units


def test_a_bare_number_is_points_everywhere():
    assert points(12) == 12.0 and points("12pt") == 12.0 == pt(12)
    assert points("4mm") == mm(4) and math.isclose(points("2.54 cm"), inch(1)) and inch(1) == 72.0
    assert math.isclose(points("1in"), mm(25.4))
    # the frame of the report: 25 points in, not 25 millipoints
    doc = Document(flow=[Paragraph("Dear {name},")], first=page(Frame(25, 103, 165, 180)))
    xs = first_glyph_x(doc, ITEMS)
    assert xs and min(xs) == 25_000


def test_unit_strings_work_in_every_length_field(tmp_path):
    """Style spacing, frames, text positions and table paddings take "4mm"; the PDF puts
    the text where the same lengths given with mm() put it."""

    def doc(u):
        return Document(
            flow=[
                Paragraph("Dear {name},", Style(size=u("10pt"), space_after=u("4mm"))),
                Table("items", [Column("Item", "d", u("60mm"))], padding_x=u("3mm")),
            ],
            first=page(Frame(u("20mm"), u("30mm"), u("170mm"), u("200mm")), [Text("Fixed", x=u("20mm"), y=u("10mm"))]),
        )

    same, dear = [], []
    for u in (lambda s: s, lambda s: mm(float(s[:-2])) if s.endswith("mm") else float(s[:-2])):
        out = tmp_path / f"u{len(same)}.pdf"
        compose(doc(u), ITEMS, out)
        pdf = pdfium.PdfDocument(out)
        tp = pdf[0].get_textpage()
        boxes = [tp.get_charbox(i) for i in range(tp.count_chars())]
        same.append([tuple(round(v, 2) for v in b) for b in boxes])
        text = tp.get_text_range()
        assert "Fixed" in text and "Dear Ada," in text and "one" in text
        dear.append(text.index("Dear"))
    assert same[0] == same[1]
    # the ink of "Dear" starts at the frame's left edge (20 mm = 56.69 pt) plus the D's side bearing
    assert 0 <= same[0][dear[0]][0] - mm(20) < 1.5


@pytest.mark.parametrize(
    "make, names",
    [
        (lambda: Frame("abc", 0, 100, 100), ["Frame", "x", "'abc'", "not a length"]),
        (lambda: Frame(0, 0, -100, 100), ["Frame", "width", "positive"]),
        (lambda: Style(space_after="4 furlongs"), ["Style", "space_after"]),
        (lambda: Style(size=None), ["Style", "size"]),
        (lambda: Style(size=float("nan")), ["Style", "size", "finite"]),
        (lambda: Rect(0, 0, 10, 10, line_width=[1]), ["Rect", "line_width"]),
        (lambda: Rect(0, 0, -10, 10, name="logo box"), ["Rect 'logo box'", "width", "negative"]),
        (lambda: Column("Amount", "amt", "0mm"), ["Column 'Amount'", "width", "positive"]),
        (lambda: Table("items", [Column("x", "d", 50)], padding_y=True), ["Table over 'items'", "padding_y"]),
        (lambda: Text("x", x=None, y=0), ["Text", "x"]),
        (lambda: Spacer("big"), ["Spacer", "height"]),
        (lambda: Slot("side", 0, 0, "wide", 10), ["Slot 'side'", "width"]),
        (lambda: Barcode("qr", "{id}", 0, 0, module="0.5 mm!"), ["Barcode", "module"]),
        (lambda: PageTemplate("p", Frame(0, 0, 10, 10), size=(100,)), ["PageTemplate 'p'", "size"]),
        (lambda: Document(page_size=("210mm", "x")), ["Document", "page_size"]),
    ],
)
def test_wrong_lengths_name_the_element_and_the_field(make, names):
    with pytest.raises(TemplateError) as exc:
        make()
    msg = str(exc.value)
    assert "\n" not in msg
    for n in names:
        assert n in msg, msg


def test_lengths_are_kept_in_points_so_copies_stay_right():
    st = Style(size="12pt", space_after="4mm")
    assert st.size == 12.0 and st.space_after == mm(4)
    assert st.but(bold=True).space_after == mm(4)  # converting twice changes nothing


# ---------------------------------------------------------------------- off the page, wider than the frame


@pytest.mark.parametrize(
    "element, words",
    [
        (Rect(mm(150), mm(20), mm(70), mm(10), name="badge"), ["Rect 'badge'", "right edge", "10.0mm"]),
        (Text("Footer", x=mm(20), y=mm(296)), ["Text", "bottom edge"]),
        (Line(mm(-5), mm(10), mm(100), mm(10)), ["Line", "left edge", "5.0mm"]),
        (Barcode("qr", "{name}", x=mm(20), y=mm(300)), ["Barcode", "bottom edge"]),
        (Text("Top", x=mm(20), y=mm(-2)), ["Text", "top edge"]),
    ],
)
def test_fixed_content_off_the_page_is_an_error_naming_it(element, words):
    doc = Document(flow=[Paragraph("x")], first=page(content=[element]))
    with pytest.raises(TemplateError) as exc:
        list(layout(doc, ITEMS))
    for w in words:
        assert w in str(exc.value), str(exc.value)


def test_a_picture_off_the_page_is_an_error(tmp_path):
    from PIL import Image as PILImage

    png = tmp_path / "logo.png"
    PILImage.new("RGB", (40, 20), (200, 0, 0)).save(png)
    doc = Document(flow=[Paragraph("x")], first=page(content=[Picture(png, x=mm(190), y=mm(10), width=mm(40))]))
    with pytest.raises(TemplateError, match="Picture.*right edge"):
        list(layout(doc, ITEMS))


def test_a_frame_off_the_page_is_an_error():
    doc = Document(flow=[Paragraph("x")], first=page(Frame(mm(20), mm(20), mm(200), mm(250))))
    with pytest.raises(TemplateError, match="page template 'p': body frame"):
        list(layout(doc, ITEMS))


def test_a_table_wider_than_its_frame_is_an_error_naming_it(tmp_path):
    cols = [Column("Item", "d", mm(120)), Column("Amount", "amt", mm(60), format=money())]
    doc = Document(flow=[Table("items", cols, name="lines")], first=page())
    with pytest.raises(TemplateError) as exc:
        compose(doc, ITEMS, tmp_path / "x.pdf")
    msg = str(exc.value)
    assert "Table 'lines'" in msg and "180.0mm" in msg and "170.0mm" in msg and "'p'" in msg
    assert not (tmp_path / "x.pdf").exists()
    # the continuation template is checked too
    narrow = PageTemplate("next", Frame(mm(20), mm(20), mm(100), mm(250)))
    ok = [Column("Item", "d", mm(80)), Column("Amount", "amt", mm(40), format=money())]
    with pytest.raises(TemplateError, match="page template 'next'"):
        list(layout(Document(flow=[Table("items", ok)], first=page(), next=narrow), ITEMS))


def test_message_content_wider_than_its_slot_is_an_error():
    doc = Document(
        flow=[Paragraph("x")],
        first=page(),
        slots=[Slot("side", mm(150), mm(20), mm(40), mm(40))],
        messages=[Message("offer", [Table("items", [Column("Item", "d", mm(60))])], slot="side")],
    )
    with pytest.raises(TemplateError, match="slot 'side'"):
        list(layout(doc, ITEMS))


# ---------------------------------------------------------------------- API misuse gets an answer


def test_unknown_keywords_suggest_the_close_name():
    with pytest.raises(TemplateError, match=r"Style: no argument 'sise'; did you mean 'size'\?"):
        Style(sise=9)
    with pytest.raises(TemplateError, match=r"Paragraph: no argument 'stlye'; did you mean 'style'\?"):
        Paragraph("x", stlye=Style())
    with pytest.raises(TemplateError, match=r"Frame\(x, y, width, height\): missing"):
        Frame(0, 0, 100)


def test_align_centre_is_center_and_a_typo_gets_a_suggestion():
    assert Style(align="centre").align == "center"
    assert Column("Amount", "amt", 50, align="Centre").align == "center"
    with pytest.raises(TemplateError, match="did you mean 'right'"):
        Style(align="rigth")
    with pytest.raises(TemplateError, match="Picture: align"):
        Picture(b"", align="justify")
    a = first_glyph_x(Document(flow=[Paragraph("Dear {name},", Style(align="centre"))], first=page()), ITEMS)
    b = first_glyph_x(Document(flow=[Paragraph("Dear {name},", Style(align="center"))], first=page()), ITEMS)
    assert a == b and min(a) > to_mpt(mm(60))


def test_a_format_passed_uncalled_is_named():
    with pytest.raises(TemplateError, match=r"Document.formats\['total'\]: money is the function .* money\(\)"):
        Document(formats={"total": money})
    with pytest.raises(TemplateError, match=r"Column 'Date': format: date is the function"):
        Column("Date", "d", 50, format=date)
    with pytest.raises(TemplateError, match="is not a format"):
        Document(formats={"total": "%.2f"})


def test_font_family_takes_font_file_paths(tmp_path):
    import pymupdf_fonts  # the Noto Sans files the default family loads

    raw = pymupdf_fonts.myfont("notos")
    path = tmp_path / "Brand.ttf"
    path.write_bytes(raw)
    fam = FontFamily(str(path), bold=path)
    assert fam.regular.upem > 0 and fam.bold.upem == fam.regular.upem
    with pytest.raises(FontError, match="regular face's font file 'x.ttf' does not exist"):
        FontFamily("x.ttf")
    with pytest.raises(FontError, match="bold face must be a Font"):
        FontFamily(str(path), bold=12)
    with pytest.raises(TemplateError, match="family must be a FontFamily"):
        Style(family="Brand.ttf")


# ---------------------------------------------------------------------- fixed text that cannot fit its box


def address_doc(width=mm(80), **kw):
    window = Text("{name}\n{street}", x=mm(25), y=mm(50), width=width, height=mm(12), name="address", **kw)
    return Document(flow=[Paragraph("Dear {name},")], first=page(Frame(mm(20), mm(100), mm(170), mm(180)), [window]))


ADDRESSES = pa.table(
    {
        "name": ["Ada Lovelace", "Grace " + "Hopper-" * 1500, "Alan Turing of Bletchley Park, Buckinghamshire"],
        "street": ["1 Main St", "2 Side St", "3 Hut St"],
    }
)


def glyph_items(dl, p):
    return [it for it in dl.page_items(p) if it[KIND] == GLYPHS]


def test_a_text_too_long_for_its_box_rejects_its_record_by_default(tmp_path):
    out = tmp_path / "letters.pdf"
    report = compose(address_doc(), ADDRESSES, out)
    assert report.documents == 2
    (rej,) = report.rejected
    assert rej.record == 1 and rej.field == "Text 'address'"
    assert "name, street" in rej.reason and "overflow='cut' or 'shrink'" in rej.reason
    pdf = pdfium.PdfDocument(out)
    assert len(pdf) == 2
    texts = [pdf[i].get_textpage().get_text_range() for i in range(2)]
    assert "Hopper" not in "".join(texts) and "Alan Turing" in texts[1]


def test_cut_shows_what_fits_with_a_mark_and_warns():
    ((dl, bound, _),) = list(layout(address_doc(overflow="cut"), ADDRESSES))
    assert dl.doc_count == 3 and not bound.rejections
    p = int(dl.docs[1][1])  # the long name's first page
    box_top, box_bottom = to_mpt(mm(50)), to_mpt(mm(62))
    lines = [it for it in glyph_items(dl, p) if box_top <= it[3 - 1] <= box_bottom + to_mpt(mm(10))]
    window = [it for it in lines if it[X] >= to_mpt(mm(25)) and it[X] < to_mpt(mm(105)) and it[2] < box_bottom]
    text = "".join(dl.run_text(it) for it in window)
    assert text.startswith("GraceHopper-") and text.endswith("\u2026")  # two lines, the second cut
    assert all(it[2] <= box_bottom for it in window)  # baselines inside the box
    assert all(it[X] + it[3] <= to_mpt(mm(105)) for it in window)  # nothing past its right edge
    from ccmcore.program import W_TEXT_CUT

    assert [w[0] for w in dl.warnings.tolist() if w[2] == W_TEXT_CUT] == [1]


def test_shrink_sets_the_text_smaller_until_it_fits(tmp_path):
    out = tmp_path / "shrunk.pdf"
    doc = address_doc(width=mm(60), overflow="shrink", style=Style(size=10))
    report = compose(doc, ADDRESSES, out)
    # the third name needs two lines at 10 pt and fits one at a smaller size; the 10,000
    # characters fit at no size: that record is rejected
    assert report.documents == 2 and [r.record for r in report.rejected] == [1]
    (warning,) = report.warnings
    assert warning.record == 2 and "pt to fit its box" in warning.message
    size = float(warning.message.split(" at ")[1].split("pt")[0])
    assert 6 <= size < 10
    pdf = pdfium.PdfDocument(out)
    tp = pdf[1].get_textpage()
    text = tp.get_text_range()
    assert "Alan Turing of Bletchley Park, Buckinghamshire" in text


def test_a_text_above_the_body_never_runs_into_it():
    """Without a height, a text above the frame ends where the frame begins."""
    window = Text("{name}", x=mm(25), y=mm(90), width=mm(80), name="window")  # frame starts at 100 mm
    doc = Document(flow=[Paragraph("x")], first=page(Frame(mm(20), mm(100), mm(170), mm(180)), [window]))
    ((dl, bound, _),) = list(layout(doc, ADDRESSES))
    assert [r.record for r in bound.rejections] == [1]
    for p in range(dl.page_count):
        assert all(it[2] < to_mpt(mm(100)) for it in glyph_items(dl, p) if dl.run_text(it) != "x")


def test_overflow_rule_is_checked():
    with pytest.raises(TemplateError, match="overflow must be one of reject, cut, shrink.*did you mean 'shrink'"):
        Text("x", x=0, y=0, overflow="shrnk")
    with pytest.raises(TemplateError, match="less than one line"):
        list(layout(Document(flow=[Paragraph("x")], first=page(content=[Text("{name}", 0, 0, 100, height=2)])), ITEMS))


# ---------------------------------------------------------------------- wrong kinds of values


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: Paragraph(123), ["Paragraph", "text"]),
        (lambda: Style(bold="yes"), ["Style", "bold must be bool"]),
        (lambda: Column(None, "d", 50), ["header must be str"]),
        (lambda: Document(first=Frame(0, 0, 10, 10)), ["Document", "first must be PageTemplate"]),
        (lambda: Document(formats={1: money()}), ["formats must be a dict of column"]),
        (lambda: Document(tags={"Name": 5}), ["tags must be a dict of names to texts"]),
        (lambda: Document(flow=[Frame(0, 0, 10, 10)]), ["flow holds Frame", "not one of elements"]),
        (lambda: Table("items", [Column("a", "d", 10), Column("b", "d", 10)], total="Total"), ["total has 1 cells"]),
        (lambda: Message("m", "Thanks!"), ["Message 'm'", "content must be a list of elements"]),
    ],
)
def test_values_of_the_wrong_kind_are_named(make, words):
    with pytest.raises(TemplateError) as exc:
        make()
    for w in words:
        assert w in str(exc.value), str(exc.value)


def test_one_element_where_a_list_is_expected_is_a_list_of_one(tmp_path):
    doc = Document(flow=Paragraph("Dear {name},"), first=page(content=Text("Header", x=mm(20), y=mm(10))))
    assert isinstance(doc.flow, list) and len(doc.flow) == 1
    report = compose(doc, ITEMS, tmp_path / "one.pdf")
    assert report.documents == 2
    assert Document(required="name").required == ["name"]  # one column, not its letters


def test_barcode_options_are_tried_when_the_template_is_compiled(tmp_path):
    for options, words in [({"eccc": "Q"}, "unexpected keyword argument 'eccc'"), ({"ecc": "Z"}, "ecc must be")]:
        bad = Barcode("qr", "{name}", x=mm(20), y=mm(10), options=options, name="qr")
        with pytest.raises(TemplateError, match=words):
            compose(Document(flow=[Paragraph("x")], first=page(content=[bad])), ITEMS, tmp_path / "bc.pdf")
        assert not (tmp_path / "bc.pdf").exists()
