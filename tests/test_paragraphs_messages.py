"""Paragraph keeps (widows, orphans, keep-with-next), bullets, and messages (TransPromo)."""

from __future__ import annotations

import pyarrow as pa

from ccmcore import (
    Document,
    Frame,
    Message,
    PageTemplate,
    Paragraph,
    Slot,
    Style,
    col,
    compose,
    layout,
    mm,
)
from ccmcore.display import GLYPHS, KIND, X, Y
from ccmcore.units import to_mpt

LEAD = 12  # pt


def page(body_h_lines: int):
    return PageTemplate("p", Frame(mm(10), mm(10), mm(100), LEAD * body_h_lines))


def lines(prefix: str, n: int) -> str:
    return "\n".join(f"{prefix}{i}" for i in range(n))


def st(**kw):
    return Style(**{"size": 10, "leading": LEAD, **kw})


def one(doc, data=None):
    ((dl, bound, _),) = list(layout(doc, data if data is not None else pa.table({"a": [1]})))
    return dl, bound


def per_page(dl, prefix):
    return [[t for t in dl.page_text(p) if t.startswith(prefix)] for p in range(dl.page_count)]


def test_widows_take_lines_over_to_the_next_page():
    flow = [Paragraph(lines("f", 7), st()), Paragraph(lines("w", 4), st(widows=2))]
    dl, _ = one(Document(flow=flow, first=page(10)))  # 3 lines of room for 4: one would be a widow
    assert per_page(dl, "w") == [["w0", "w1"], ["w2", "w3"]]
    flow[1] = Paragraph(lines("w", 4), st(widows=1, orphans=1))
    dl, _ = one(Document(flow=flow, first=page(10)))
    assert per_page(dl, "w") == [["w0", "w1", "w2"], ["w3"]]


def test_orphans_move_the_paragraph_when_too_few_lines_fit():
    flow = [Paragraph(lines("f", 9), st()), Paragraph(lines("o", 4), st(orphans=2))]
    dl, _ = one(Document(flow=flow, first=page(10)))  # one line of room: an orphan
    assert per_page(dl, "o") == [[], ["o0", "o1", "o2", "o3"]]


def test_keep_with_next_moves_a_heading_to_its_text():
    flow = [
        Paragraph(lines("f", 9), st()),
        Paragraph("Heading", st(bold=True), keep_with_next=True),
        Paragraph(lines("t", 3), st()),
    ]
    dl, _ = one(Document(flow=flow, first=page(10)))
    assert "Heading" not in dl.page_text(0)
    assert dl.page_text(1)[:2] == ["Heading", "t0"]
    flow[1] = Paragraph("Heading", st(bold=True))
    dl, _ = one(Document(flow=flow, first=page(10)))
    assert "Heading" in dl.page_text(0)


def test_bullets_hang_in_the_indent():
    text = "A long item that needs more than one line in a narrow frame to show the hanging indent well"
    flow = [Paragraph(text, st(), bullet="•", indent=mm(5))]
    dl, _ = one(Document(flow=flow, first=PageTemplate("p", Frame(mm(10), mm(10), mm(60), mm(100)))))
    runs = [it for it in dl.page_items(0) if it[KIND] == GLYPHS]
    bullet, first, second = runs[0], runs[1], runs[2]
    assert dl.run_text(bullet) == "•" and bullet[X] == to_mpt(mm(10))
    assert first[X] == second[X] == to_mpt(mm(10)) + to_mpt(mm(5))
    assert bullet[Y] == first[Y] < second[Y]


def messages_doc(**kw):
    msgs = [
        Message("low", [Paragraph("LOW priority offer", st())], priority=1),
        Message("premium", [Paragraph("PREMIUM upgrade", st())], rule=col("seg") == "premium", priority=9),
        Message("big", [Paragraph(lines("BIG", 5), st())], priority=5),
        Message("side", [Paragraph("SIDE note", st(size=7))], slot="side"),
    ]
    return Document(
        flow=[Paragraph("{body}", st())],
        first=page(10),
        messages=msgs,
        slots=[Slot("side", mm(120), mm(10), mm(40), mm(20))],
        **kw,
    )


def test_messages_fill_the_free_space_by_priority_without_new_pages():
    data = pa.table({"body": [lines("b", 2), lines("b", 2), lines("b", 8)], "seg": ["premium", "consumer", "premium"]})
    dl, _ = one(messages_doc(), data)
    assert dl.page_count == 3  # never an extra page for a message
    got = {rec: [m for r, m in dl.messages if r == rec] for rec in range(3)}
    # room for 8 lines: premium (1) + big (5) + low (1)
    assert got[0] == ["side", "premium", "big", "low"]
    assert got[1] == ["side", "big", "low"]
    # room for 2 lines: premium fits, big does not, low does
    assert got[2] == ["side", "premium", "low"]
    texts = dl.page_text(2)
    assert "PREMIUM upgrade" in texts and "BIG0" not in texts and "LOW priority offer" in texts


def test_slot_messages_sit_in_their_frame():
    dl, _ = one(messages_doc(), pa.table({"body": ["x"], "seg": ["consumer"]}))
    (side,) = [it for it in dl.page_items(0) if it[KIND] == GLYPHS and dl.run_text(it) == "SIDE note"]
    assert side[X] == to_mpt(mm(120)) and to_mpt(mm(10)) < side[Y] < to_mpt(mm(30))
    (body,) = [it for it in dl.page_items(0) if it[KIND] == GLYPHS and dl.run_text(it) == "x"]
    assert body[X] == to_mpt(mm(10))


def test_message_counts_in_the_job_report(tmp_path):
    data = pa.table({"body": ["a", "b"], "seg": ["premium", "consumer"]})
    report = compose(messages_doc(max_last_page_messages=1), data, tmp_path / "m.pdf")
    assert report.message_counts() == {"side": 2, "premium": 1, "big": 1}
    assert (0, "premium") in report.messages and (1, "big") in report.messages
    assert report.to_dict()["messages"]["counts"]["side"] == 2


def test_rich_text_spans_change_face_size_and_colour(tmp_path):
    import pypdfium2 as pdfium
    import pytest

    from ccmcore import Span, TemplateError

    flow = [
        Paragraph("Your balance is **{bal}**, *thank you*.", st(), markup=True),
        Paragraph(["Due: ", Span("{bal}", color="#cc0000", size=14), " now"], st()),
    ]
    doc = Document(flow=flow, first=page(10))
    dl, _ = one(doc, pa.table({"bal": ["1,234.56"]}))
    runs = [(dl.run_text(it), dl.fonts[it[5]].name, it[6], it[7]) for it in dl.page_items(0) if it[KIND] == GLYPHS]
    assert runs[:4] == [
        ("Your balance is ", "NotoSans-Regular", 10000, 0),
        ("1,234.56", "NotoSans-Bold", 10000, 0),
        (", ", "NotoSans-Regular", 10000, 0),
        ("thank you", "NotoSans-Italic", 10000, 0),
    ]
    assert ("1,234.56", "NotoSans-Regular", 14000, 0xCC0000) in runs
    items = [it for it in dl.page_items(0) if it[KIND] == GLYPHS]
    for a, b in zip(items[:3], items[1:4]):
        assert b[X] == a[X] + a[3]  # runs follow each other on the line (column W)
    out = tmp_path / "spans.pdf"
    compose(doc, pa.table({"bal": ["1,234.56"]}), out)
    pdf = pdfium.PdfDocument(str(out))
    text = " ".join(pdf[0].get_textpage().get_text_range().split())
    pdf.close()
    assert "Your balance is 1,234.56, thank you." in text and "Due: 1,234.56 now" in text
    with pytest.raises(TemplateError, match="unclosed"):
        one(Document(flow=[Paragraph("**open", markup=True)], first=page(10)))


def test_hyphenation_breaks_long_words_at_their_syllables(tmp_path):
    import pypdfium2 as pdfium

    text = (
        "Kontoauszugsinformationen und Überweisungsbestätigungen werden monatlich "
        "zusammengestellt und elektronisch bereitgestellt"
    )
    narrow = PageTemplate("p", Frame(mm(10), mm(10), mm(45), mm(100)))
    plain = Document(flow=[Paragraph("{t}", st())], first=narrow)
    hyph = Document(flow=[Paragraph("{t}", st(hyphenate="de"))], first=narrow)
    data = pa.table({"t": [text]})
    dl_plain, _ = one(plain, data)
    dl_hyph, _ = one(hyph, data)
    lines_h = dl_hyph.page_text(0)
    assert any(t.endswith("-") for t in lines_h), lines_h
    assert not any(t.endswith("-") for t in dl_plain.page_text(0))
    # every word is still there once the hyphens are taken out again
    joined = " ".join(t[:-1] if t.endswith("-") else t + " " for t in lines_h).replace("  ", " ")
    assert "".join(joined.split()) == "".join(text.split())

    # lines are fuller: the ragged right edge is shorter on average
    def slack(dl):
        runs = [it for it in dl.page_items(0) if it[KIND] == GLYPHS][:-1]
        return sum(mm(45) - it[3] for it in runs) / len(runs)

    assert slack(dl_hyph) < slack(dl_plain)
    # the PDF shows the hyphen and no invisible soft hyphens
    out = tmp_path / "h.pdf"
    compose(hyph, data, out)
    pdf = pdfium.PdfDocument(str(out))
    got = pdf[0].get_textpage().get_text_range()
    pdf.close()
    # PDFium reports a hyphen that ends a line as U+FFFE (its "hyphen at line end" marker)
    assert "\u00ad" not in got and got.count("\ufffe") + got.count("-") == sum(t.endswith("-") for t in lines_h)
