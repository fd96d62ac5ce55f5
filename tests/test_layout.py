"""The layout kernel through the public API: line breaking, tables, pages, conditions."""

from __future__ import annotations

import pyarrow as pa
import pytest
import uharfbuzz as hb

from ccmcore import (
    A4,
    BindingError,
    Column,
    Document,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Style,
    Table,
    TemplateError,
    Text,
    When,
    col,
    default_family,
    layout,
    mm,
    money,
)
from ccmcore.display import COUNT, G0, GLYPHS, GN, KIND, NUMBER, RULE, W, X, Y
from ccmcore.units import to_mpt

PAGE_W, PAGE_H = A4


def one_batch(doc, data, **kw):
    batches = list(layout(doc, data, **kw))
    assert len(batches) == 1
    return batches[0][0], batches[0][1]


def runs(dl, page=0):
    return [it for it in dl.page_items(page) if it[KIND] == GLYPHS]


def small_doc(flow, body_h=mm(100), width=mm(100), footer=True, **kw):
    content = (
        [Text("Page {page} of {pages}", x=mm(10), y=body_h + mm(15), width=width, style=Style(size=8, align="center"))]
        if footer
        else []
    )
    tpl = PageTemplate("p", Frame(mm(10), mm(10), width, body_h), content)
    return Document(flow=flow, first=tpl, **kw)


# ---------------------------------------------------------------------- shaping


def test_fast_path_matches_harfbuzz():
    """The kernel's table-driven shaping gives HarfBuzz's glyphs and advances, kerning included."""
    words = "AVATAR Wavy Tower Łukasz Öztürk Chloé O'Brien 1,234.56 T. Yo! fjord"
    doc = small_doc([Paragraph("{t}", Style(size=10))], width=mm(190), footer=False)
    dl, _ = one_batch(doc, pa.table({"t": [words]}))
    (run,) = runs(dl)
    font = default_family().regular
    buf = hb.Buffer()
    buf.add_str(words)
    buf.guess_segment_properties()
    hb.shape(font.hb_font, buf, {})
    want_g = [i.codepoint for i in buf.glyph_infos]
    want_a = [round(p.x_advance * 10000 / font.upem) for p in buf.glyph_positions]
    g = slice(run[G0], run[G0] + run[GN])
    assert dl.gids[g].tolist() == want_g
    assert dl.advances[g].tolist() == want_a
    assert dl.run_text(run) == words


def test_complex_text_takes_harfbuzz_path():
    """Combining marks, Greek and Cyrillic go through HarfBuzz whole; text and glyphs stay right."""
    s = "Cafe\u0301 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1 \u041c\u043e\u0441\u043a\u0432\u0430"
    doc = small_doc([Paragraph("{t}")], width=mm(190), footer=False)
    dl, bound = one_batch(doc, pa.table({"t": [s]}))
    (run,) = runs(dl)
    assert dl.run_text(run) == s
    assert not bound.rejections
    assert run[GN] == len(default_family().regular.shape(s).gids)


# ---------------------------------------------------------------------- paragraphs


def test_first_fit_breaks_at_spaces_and_keeps_every_word():
    text = " ".join(f"word{i}" for i in range(60))
    doc = small_doc([Paragraph("{t}", Style(size=10))], width=mm(60), footer=False)
    dl, _ = one_batch(doc, pa.table({"t": [text]}))
    lines = [dl.run_text(r) for r in runs(dl)]
    assert len(lines) > 5
    assert " ".join(lines) == text
    for r in runs(dl):
        assert r[W] <= to_mpt(mm(60))


def test_justified_lines_fill_the_width_but_the_last():
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma"
    doc = small_doc([Paragraph("{t}", Style(size=10, align="justify"))], width=mm(50), footer=False)
    dl, _ = one_batch(doc, pa.table({"t": [text]}))
    rs = runs(dl)
    assert len(rs) >= 3
    for r in rs[:-1]:
        total = int(dl.advances[r[G0] : r[G0] + r[GN]].sum())
        assert total == to_mpt(mm(50))  # the glyph advances really add up to the frame width
    last = rs[-1]
    assert int(dl.advances[last[G0] : last[G0] + last[GN]].sum()) < to_mpt(mm(50))


@pytest.mark.parametrize("align", ["right", "center"])
def test_alignment(align):
    doc = small_doc([Paragraph("{t}", Style(size=10, align=align))], width=mm(100), footer=False)
    dl, _ = one_batch(doc, pa.table({"t": ["short"]}))
    (r,) = runs(dl)
    right_gap = to_mpt(mm(10)) + to_mpt(mm(100)) - (r[X] + r[W])
    left_gap = r[X] - to_mpt(mm(10))
    if align == "right":
        assert right_gap == 0 and left_gap > 0
    else:
        assert abs(left_gap - right_gap) <= 1


def test_forced_line_breaks():
    doc = small_doc([Paragraph("{t}")], footer=False)
    dl, _ = one_batch(doc, pa.table({"t": ["one\ntwo\n\nfour"]}))
    assert [dl.run_text(r) for r in runs(dl)] == ["one", "two", "four"]
    ys = [r[Y] for r in runs(dl)]
    assert ys[2] - ys[1] == 2 * (ys[1] - ys[0])  # the empty line keeps its space


def test_overlong_word_is_broken_and_reported():
    word = "x" * 400
    doc = small_doc([Paragraph("{t}")], width=mm(40), footer=False)
    dl, _ = one_batch(doc, pa.table({"t": [word]}))
    assert "".join(dl.run_text(r) for r in runs(dl)) == word
    assert all(r[W] <= to_mpt(mm(40)) for r in runs(dl))
    assert len(dl.warnings) >= 1 and dl.warnings[0][2] == 1


def test_paragraph_flows_over_pages_with_page_numbers():
    text = "\n".join(f"line {i}" for i in range(50))
    doc = small_doc([Paragraph("{t}", Style(size=10, leading=12))], body_h=mm(50))
    dl, _ = one_batch(doc, pa.table({"t": [text, "short"]}))
    assert dl.doc_count == 2
    pages_doc0 = int(dl.docs[0][2])
    per_page = to_mpt(mm(50)) // 12000
    assert pages_doc0 == -(-50 // per_page)
    for p in range(pages_doc0):
        texts = dl.page_text(p)
        assert texts[0] == f"Page {p + 1} of {pages_doc0}"  # template content comes first
        assert dl.pages[p][NUMBER] == p + 1 and dl.pages[p][COUNT] == pages_doc0
    # the second document counts its own pages
    assert dl.page_text(pages_doc0)[0] == "Page 1 of 1"
    # every line is there, in order, once
    body = [t for p in range(pages_doc0) for t in dl.page_text(p)[1:]]
    assert body == [f"line {i}" for i in range(50)]


# ---------------------------------------------------------------------- tables


def items_table(n_rows, desc=None):
    items = [[{"d": desc or f"item {i}", "amt": i * 1234} for i in range(k)] for k in n_rows]
    return pa.table({"items": items, "total": [sum(x["amt"] for x in it) for it in items]})


def table_doc(body_h=mm(60), **kw):
    t = Table(
        "items",
        [Column("Description", "d", mm(60)), Column("Amount", "amt", mm(30), align="right", format=money())],
        style=Style(size=9, leading=11),
        total=["Total", "{total}"],
        **kw,
    )
    return small_doc([t], body_h=body_h, width=mm(90), formats={"total": money()})


def test_table_rows_split_across_pages_with_repeated_header():
    dl, _ = one_batch(table_doc(), items_table([40]))
    assert dl.page_count > 1
    seen = []
    for p in range(dl.page_count):
        texts = [t for t in dl.page_text(p) if not t.startswith("Page ")]
        assert texts[:2] == ["Description", "Amount"], f"page {p + 1} lacks the header"
        seen += [t for t in texts[2:] if t.startswith("item ")]
        rules = [it for it in dl.page_items(p) if it[KIND] == RULE]
        assert rules, "the rule under the header repeats too"
    assert seen == [f"item {i}" for i in range(40)]
    last = dl.page_text(dl.page_count - 1)
    assert last[-2:] == ["Total", "9,625.20"]  # sum(i * 1234 for i < 40) = 962,520 cents


def test_table_money_and_total():
    dl, _ = one_batch(table_doc(), items_table([3]))
    texts = dl.page_text(0)
    assert "0.00" in texts and "12.34" in texts and "24.68" in texts
    assert texts[texts.index("Total") + 1] == "37.02"


def test_tall_row_is_split_between_lines_and_nothing_is_lost():
    long_desc = " ".join(f"w{i}" for i in range(600))
    dl, _ = one_batch(table_doc(), items_table([2], desc=long_desc))
    words = " ".join(t for p in range(dl.page_count) for t in dl.page_text(p) if t.startswith("w"))
    assert words == long_desc + " " + long_desc
    assert dl.page_count > 2
    assert any(w[2] == 2 for w in dl.warnings)


def test_empty_and_null_lists_render_header_only():
    data = pa.table(
        {
            "items": pa.array([[], None], type=pa.list_(pa.struct([("d", pa.string()), ("amt", pa.int64())]))),
            "total": pa.array([0, None], type=pa.int64()),
        }
    )
    dl, _ = one_batch(table_doc(), data)
    assert dl.doc_count == 2
    assert dl.page_text(0)[1:3] == ["Description", "Amount"]  # after the footer


# ---------------------------------------------------------------------- conditions, nulls


def test_conditional_content_per_document():
    doc = small_doc(
        [
            Paragraph("Hello {name}"),
            When(col("seg") == "premium", Paragraph("VIP")),
            When(~(col("seg") == "premium"), Paragraph("standard")),
        ],
        footer=False,
    )
    dl, _ = one_batch(doc, pa.table({"name": ["a", "b", "c"], "seg": ["premium", "consumer", None]}))
    texts = [dl.page_text(p) for p in range(dl.page_count)]
    # a null segment makes both rules null, and null counts as false
    assert texts == [["Hello a", "VIP"], ["Hello b", "standard"], ["Hello c"]]


def test_nulls_render_empty_or_as_configured():
    doc = small_doc([Paragraph("[{a}] [{b}]")], footer=False, null_text={"b": "n/a"})
    dl, _ = one_batch(doc, pa.table({"a": pa.array([None], pa.string()), "b": pa.array([None], pa.string())}))
    assert dl.page_text(0) == ["[] [n/a]"]


def test_required_null_rejects_the_record_and_keeps_the_others():
    doc = small_doc([Paragraph("{a}")], footer=False, required=["a"])
    dl, bound = one_batch(doc, pa.table({"a": ["x", None, "z"]}))
    assert dl.docs[:, 0].tolist() == [0, 2]
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "a")]


def test_missing_glyph_rejects_with_record_field_and_character():
    doc = small_doc([Paragraph("{name}")], footer=False)
    dl, bound = one_batch(doc, pa.table({"name": ["Ann", "Bob \U0001f600", "Cy"]}))
    assert dl.docs[:, 0].tolist() == [0, 2]
    (rej,) = bound.rejections
    assert rej.record == 1 and rej.field == "name" and "U+1F600" in rej.reason


# ---------------------------------------------------------------------- binding checks


def test_missing_column_names_element_and_column():
    doc = small_doc([Paragraph("Dear {nam},", name="greeting")], footer=False)
    with pytest.raises(BindingError) as e:
        one_batch(doc, pa.table({"name": ["x"]}))
    assert "greeting" in str(e.value) and "'nam'" in str(e.value)
    assert e.value.column == "nam"


def test_wrong_type_names_element_and_column():
    doc = small_doc([Paragraph("{amount}")], footer=False, formats={"amount": money()})
    with pytest.raises(BindingError, match="'amount' is string"):
        one_batch(doc, pa.table({"amount": ["12"]}))


def test_table_over_non_list_column_is_rejected():
    with pytest.raises(BindingError, match="list<struct"):
        one_batch(table_doc(), pa.table({"items": ["x"], "total": [1]}))


def test_missing_table_field():
    data = pa.table({"items": [[{"d": "x"}]], "total": [1]})
    with pytest.raises(BindingError, match="'amt'"):
        one_batch(table_doc(), data)


def test_flow_rejects_fixed_elements():
    with pytest.raises(TemplateError):
        one_batch(small_doc([Text("x", 0, 0)]), pa.table({"a": [1]}))


# ---------------------------------------------------------------------- batches and golden dump


def test_batches_number_records_across_the_job():
    doc = small_doc([Paragraph("{a}")], footer=False)
    data = pa.table({"a": [f"r{i}" for i in range(10)]})
    got = []
    for dl, _, _ in layout(doc, data, batch_size=3):
        got += dl.docs[:, 0].tolist()
    assert got == list(range(10))


def test_golden_dump(golden):
    from font_helpers import fixed_family  # a font package's release must not change the dump

    doc = small_doc(
        [Paragraph("Dear {name},", Style(size=10)), Spacer(mm(2)), Paragraph("{text}", Style(size=9, align="justify"))],
        body_h=mm(40),
        family=fixed_family(),
    )
    dl, _ = one_batch(doc, pa.table({"name": ["Łukasz Öztürk"], "text": ["Kerning: AVATAR Tower. " * 12]}))
    golden("layout_small.txt", dl.dump(glyphs=True))


def test_unformattable_value_rejects_its_record_only():
    doc = small_doc([Paragraph("{x}")], footer=False, formats={"x": money(unit="major")})
    dl, bound = one_batch(doc, pa.table({"x": [1.5, float("inf"), 2.25]}))
    assert dl.docs[:, 0].tolist() == [0, 2]
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "x")]
    assert dl.page_text(0) == ["1.50"] and dl.page_text(1) == ["2.25"]


def test_overlong_word_in_a_row_after_a_page_break_warns_once():
    word = "y" * 300
    data = pa.table(
        {"items": [[{"d": f"row {i}", "amt": 1} for i in range(30)] + [{"d": word, "amt": 2}]], "total": [32]}
    )
    dl, _ = one_batch(table_doc(body_h=mm(40)), data)
    assert dl.page_count > 1
    assert [w[2] for w in dl.warnings].count(1) == 1


def test_index_tags_per_rendered_document():
    doc = small_doc([Paragraph("{a}")], footer=False, required=["a"], tags={"Customer": "C-{a}", "Kind": "invoice"})
    dl, _ = one_batch(doc, pa.table({"a": ["x", None, "z"]}))
    assert dl.tags == {"Customer": ["C-x", "C-z"], "Kind": ["invoice", "invoice"]}


def test_tag_with_unknown_column_is_a_binding_error():
    doc = small_doc([Paragraph("x")], footer=False, tags={"Customer": "{nope}"})
    with pytest.raises(BindingError, match="tag 'Customer'.*'nope'"):
        one_batch(doc, pa.table({"a": ["x"]}))


@pytest.mark.parametrize(
    "key, says",
    [
        ("total_cent", "key 'total_cent' names no column of the data; did you mean 'total_cents'? (columns: "),
        ("lines.amount_cent", "'lines' items have no field 'amount_cent'; did you mean 'amount_cents'? (fields: "),
        ("name.x", "column 'name' is string, not a list of items with fields"),
        ("nothing.x", "key 'nothing.x' names no column of the data (columns: name, total_cents, lines)"),
    ],
)
def test_a_format_key_naming_no_column_is_a_binding_error(key, says):
    """A misspelt formats key would leave its column raw (cents printed as an amount): named before layout."""
    data = pa.table({"name": ["a"], "total_cents": [12345], "lines": [[{"amount_cents": 5}]]})
    doc = small_doc([Paragraph("{name} {total_cents}")], footer=False, formats={key: money()})
    with pytest.raises(BindingError) as e:
        one_batch(doc, data)
    assert says in str(e.value) and "Document.formats" in str(e.value) and "\n" not in str(e.value)
    assert e.value.column == key
    good = small_doc(
        [Paragraph("{name} {total_cents}")],
        footer=False,
        formats={"total_cents": money(), "lines.amount_cents": money()},
    )
    assert one_batch(good, data)[0].page_text(0) == ["a 123.45"]
