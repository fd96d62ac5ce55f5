"""One bad record never stops or spoils the job: a value that cannot be shown rejects its
record (record, field, reason in the report) and every other record is composed, in PDF
and in AFP alike; read back from the files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pypdfium2 as pdfium
import pytest
from afp_read import read_groups

from ccmcore import (
    BindingError,
    Column,
    Document,
    Frame,
    PageTemplate,
    Paragraph,
    Style,
    Table,
    TemplateError,
    Text,
    compose,
    date,
    layout,
    mm,
    money,
    text,
)
from ccmcore.afp.validate import validate

PAGE = PageTemplate("p", Frame(mm(20), mm(20), mm(170), mm(250)))


def broken_strings(values: list[bytes]) -> pa.Array:
    """A pa.string() array holding exactly these bytes, UTF-8 or not (Arrow does not check
    arrays built from buffers)."""
    raw = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(raw), raw.buffers(), null_count=raw.null_count)


def pdf_pages(path) -> list[str]:
    reader = pdfium.PdfDocument(str(path))
    try:
        return [reader[k].get_textpage().get_text_range() for k in range(len(reader))]
    finally:
        reader.close()


def both(doc, data, tmp_path):
    """(PDF report, PDF page texts, AFP report, AFP page groups) of one job."""
    pdf, afp = tmp_path / "out.pdf", tmp_path / "out.afp"
    pdf_report = compose(doc, data, pdf)
    afp_report = compose(doc, data, afp, format="afp")
    assert validate(afp) == []
    return pdf_report, pdf_pages(pdf), afp_report, read_groups(afp)


def rejected(report) -> list[tuple[int, str]]:
    return [(r.record, r.field) for r in report.rejected]


def name_doc(**kw):
    return Document(first=PAGE, flow=[Paragraph("Name: {name}")], **kw)


# ---------------------------------------------------------------- 6: values that cannot be rendered


def test_invalid_utf8_rejects_its_record_in_both_backends(tmp_path):
    data = pa.table({"name": broken_strings([b"Anna", b"Bad \xff\xfe bytes", b"Cem"])})
    pdf_report, pdf, afp_report, groups = both(name_doc(), data, tmp_path)
    for report in (pdf_report, afp_report):
        assert rejected(report) == [(1, "name")]
        assert "not valid UTF-8" in report.rejected[0].reason
        assert report.documents == 2
    assert ["Name: Anna" in p for p in pdf] == [True, False]
    assert "Name: Cem" in pdf[1]
    assert [g.pages[0].text for g in groups] == ["Name: Anna", "Name: Cem"]


@pytest.mark.parametrize(
    "make",
    [
        lambda v: pa.array(v, pa.binary()),
        lambda v: pa.array(v, pa.large_binary()),
        lambda v: broken_strings(v).cast(pa.large_string(), safe=False),
        lambda v: pa.array(v, pa.binary()).dictionary_encode(),
    ],
    ids=["binary", "large_binary", "large_string", "dictionary"],
)
def test_invalid_utf8_in_any_text_layout_names_its_row(make):
    arr = make([b"ok", b"\xc3(", None, b"fine", b"\xc3("])
    with pytest.raises(Exception) as e:
        text().apply(arr)
    assert e.value.records.tolist() == [1, 4]
    assert all("UTF-8" in r for r in e.value.reasons)


def test_an_unused_bad_dictionary_entry_is_no_rows_business():
    dictionary = broken_strings([b"ok", b"\xff", b"fine"])
    arr = pa.DictionaryArray.from_arrays(pa.array([0, 2, None, 0], pa.int32()), dictionary)
    assert text().apply(arr).to_pylist() == ["ok", "fine", None, "ok"]


def test_invalid_utf8_in_a_table_cell_rejects_the_document():
    items = pa.array(
        [[{"d": "first"}], [{"d": "x"}, {"d": "y"}], [{"d": "third"}]],
        pa.list_(pa.struct([("d", pa.string())])),
    )
    # the second document's second item: replace its bytes with ones that are not UTF-8
    flat = items.flatten().field("d")
    bad = broken_strings([b"first", b"x", b"\xe2\x28\xa1", b"third"])
    struct = pa.StructArray.from_arrays([bad], names=["d"])
    items = pa.ListArray.from_arrays(items.offsets, struct)
    assert flat.to_pylist()[2] == "y"
    doc = Document(first=PAGE, flow=[Table("items", [Column("Item", "d", mm(50))])])
    ((dl, bound, _),) = list(layout(doc, pa.table({"items": items})))
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "items.d")]
    assert dl.docs[:, 0].tolist() == [0, 2]
    assert dl.page_text(1) == ["Item", "third"]


def test_decimal_too_large_for_the_formatter_rejects_its_record(tmp_path):
    values = [Decimal("12.50"), Decimal("9" * 45 + ".00"), Decimal("-3.25"), None]
    data = pa.table({"amount": pa.array(values, pa.decimal256(60, 2))})
    doc = Document(first=PAGE, flow=[Paragraph("Amount: {amount}")], formats={"amount": money()})
    pdf_report, pdf, afp_report, groups = both(doc, data, tmp_path)
    for report in (pdf_report, afp_report):
        assert rejected(report) == [(1, "amount")]
        assert "more digits than the formatter handles" in report.rejected[0].reason
    assert [g.pages[0].text for g in groups] == ["Amount: 12.50", "Amount: -3.25", "Amount:"]
    assert "Amount: 12.50" in pdf[0] and "Amount: -3.25" in pdf[1]
    # every 38-digit decimal128 value still prints whole
    big = pa.array([Decimal("9" * 36 + ".99")], pa.decimal128(38, 2))
    assert money().apply(big).to_pylist() == [",".join(["999"] * 12) + ".99"]


def long_name(n_latin: int, extra: str = "") -> str:
    return "A" * n_latin + extra


def test_an_index_value_longer_than_a_tle_rejects_its_record_not_the_job(tmp_path):
    names = ["Short", long_name(125, "Ł"), long_name(250), long_name(251), long_name(124, "Ł"), "Tab\there"]
    doc = Document(first=PAGE, flow=[Paragraph("{name}", Style(size=6))], tags={"Customer": "{name}"})
    pdf_report, _, afp_report, groups = both(doc, pa.table({"name": names}), tmp_path)
    for report in (pdf_report, afp_report):  # the same records in either backend
        assert rejected(report) == [(1, "name"), (3, "name"), (5, "name")]
    reasons = [r.reason for r in afp_report.rejected]
    assert "needs 252 bytes" in reasons[0] and "250" in reasons[0]
    assert "needs 251 bytes" in reasons[1]
    assert "tab U+0009" in reasons[2]
    tags = [g.tags["Customer"] for g in groups]
    assert tags[0] == "Short".encode("cp500")
    assert tags[1] == long_name(250).encode("cp500")  # 250 Latin-1 characters fit exactly
    assert tags[2] == long_name(124, "Ł").encode("utf-16-be")  # 125 in UTF-16: 250 bytes


def test_a_tag_name_or_literal_that_cannot_be_an_index_attribute_is_a_template_error(tmp_path):
    data = pa.table({"name": ["x"]})
    with pytest.raises(TemplateError, match="attribute name"):
        compose(name_doc(tags={"N" * 251: "{name}"}), data, tmp_path / "a.afp", format="afp")
    with pytest.raises(TemplateError, match=r"line feed U\+000A"):
        compose(name_doc(tags={"Customer": "id\n{name}"}), data, tmp_path / "a.afp", format="afp")
    assert not list(tmp_path.iterdir())


def carry_doc(**kw):
    t = Table(
        "items",
        [Column("Text", "d", mm(60)), Column("Amount", "amt", mm(40), align="right", format=money())],
        carry="amt",
        style=Style(size=9, leading=11),
        **kw,
    )
    return Document(flow=[t], first=PageTemplate("p", Frame(mm(10), mm(10), mm(120), mm(40))))


def carried(pages: list[list[str]]) -> list[str]:
    return [p[p.index("Carried forward") + 1] for p in pages if "Carried forward" in p]


def test_a_sum_that_would_overflow_int64_rejects_its_record(tmp_path):
    big = 2**62
    docs = [
        [{"d": f"row {i}", "amt": 100} for i in range(12)],
        [{"d": "huge", "amt": big}, {"d": "huger", "amt": big}, {"d": "more", "amt": 1}],
        [{"d": f"row {i}", "amt": -250} for i in range(12)],
    ]
    data = pa.table({"items": pa.array(docs, pa.list_(pa.struct([("d", pa.string()), ("amt", pa.int64())])))})
    pdf_report, pdf, afp_report, groups = both(carry_doc(), data, tmp_path)
    for report in (pdf_report, afp_report):
        assert rejected(report) == [(1, "items.amt")]
        assert "64-bit" in report.rejected[0].reason
    # the other documents carry their own sums, right
    dls = [dl for dl, _, _ in layout(carry_doc(), data)]
    pages = [dls[0].page_text(p) for p in range(dls[0].page_count)]
    first = [p for p, k in zip(pages, dls[0].pages[:, 0].tolist()) if k == 0]
    assert carried(first)[0] == f"{sum(1 for t in first[0] if t.startswith('row')):,}.00"  # 100 cents a row
    assert all("huge" not in t for g in groups for p in g.pages for t in p.runs)
    assert not any("huge" in p for p in pdf)


def test_a_sum_that_fits_only_just_is_kept():
    half = (2**63 - 1) // 2
    data = pa.table({"items": [[{"d": "a", "amt": half}, {"d": "b", "amt": -half}]]})
    ((dl, bound, _),) = list(layout(carry_doc(), data))
    assert bound.rejections == [] and dl.doc_count == 1


def test_unsigned_amounts_beyond_int64_reject_their_record():
    t = pa.list_(pa.struct([("d", pa.string()), ("amt", pa.uint64())]))
    data = pa.table({"items": pa.array([[{"d": "a", "amt": 5}], [{"d": "b", "amt": 2**63}]], t)})
    ((dl, bound, _),) = list(layout(carry_doc(), data))
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "items.amt")]
    assert dl.docs[:, 0].tolist() == [0]


def test_a_zoned_timestamp_that_wraps_around_rejects_its_record():
    values = [0, 2**63 - 1, 86_400 * 365]
    data = pa.table({"at": pa.array(values, pa.timestamp("s", tz="Europe/Berlin"))})
    doc = Document(first=PAGE, flow=[Paragraph("At {at}")], formats={"at": date("%d.%m.%Y %H:%M")})
    ((dl, bound, _),) = list(layout(doc, data))
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "at")]
    assert "time zone Europe/Berlin" in bound.rejections[0].reason
    assert [dl.page_text(p) for p in range(dl.page_count)] == [["At 01.01.1970 01:00"], ["At 01.01.1971 01:00"]]


def test_text_of_dates_outside_what_iso_text_shows_rejects_the_record():
    values = [dt.date(2024, 3, 5), None, dt.date(9999, 12, 31)]
    arr = pa.array(values, pa.date32())
    assert text().apply(arr).to_pylist() == ["2024-03-05", None, "9999-12-31"]
    far = pa.array([0, 2**62, -(2**62)], pa.date64())
    with pytest.raises(Exception) as e:
        text().apply(far)
    assert e.value.records.tolist() == [1, 2]
    with pytest.raises(Exception) as e:
        text().apply(pa.array([1.5, float("inf"), float("nan")]))
    assert e.value.records.tolist() == [1]
    assert text().apply(pa.array([1.5, float("nan")])).to_pylist() == ["1.5", None]


# ---------------------------------------------------------------- 7: null items


def test_a_null_item_is_no_line_and_its_hidden_values_never_show(tmp_path):
    d = pa.array(["one", "GHOST", "two", "three"])
    amt = pa.array([100, 999_999_00, 250, 300], pa.int64())
    # the second item is a null struct whose children still hold values
    struct = pa.StructArray.from_arrays([d, amt], names=["d", "amt"], mask=pa.array([False, True, False, False]))
    items = pa.ListArray.from_arrays(pa.array([0, 3, 4], pa.int32()), struct)
    assert items.to_pylist()[0][1] is None
    data = pa.table({"items": items, "total": [350, 300]})
    t = Table(
        "items",
        [Column("Text", "d", mm(60)), Column("Amount", "amt", mm(40), align="right", format=money())],
        total=["Total", "{total}"],
        carry="amt",
    )
    doc = Document(flow=[t], first=PAGE, formats={"total": money()})
    pdf_report, pdf, afp_report, groups = both(doc, data, tmp_path)
    assert pdf_report.rejected == [] and afp_report.rejected == []
    for page in pdf:
        assert "GHOST" not in page and "999,999.00" not in page
    assert "one" in pdf[0] and "two" in pdf[0] and "three" in pdf[1]
    afp_text = [g.pages[0].text for g in groups]
    assert afp_text[0].split() == ["Text", "Amount", "one", "1.00", "two", "2.50", "Total", "3.50"]
    ((dl, _, _),) = list(layout(doc, data))
    body_rows = [t for t in dl.page_text(0) if t in ("one", "GHOST", "two")]
    assert body_rows == ["one", "two"]


# ---------------------------------------------------------------- 8: control characters


CONTROLS = ["bell\x07", "nul\x00", "del\x7f", "c1\x85", "sep\u2028x", "lone\rcr", "esc\x1b[0m"]


@pytest.mark.parametrize("value", CONTROLS, ids=[repr(v) for v in CONTROLS])
def test_control_characters_reject_the_record_in_both_backends(value, tmp_path):
    names = ["Anna", value, "Tab\there", "Line\nbreak", "Windows\r\nbreak"]
    pdf_report, pdf, afp_report, groups = both(name_doc(), pa.table({"name": names}), tmp_path)
    for report in (pdf_report, afp_report):
        assert rejected(report) == [(1, "name")]
        reason = report.rejected[0].reason
        assert "cannot be printed" in reason and "U+" in reason
    assert pdf_report.documents == afp_report.documents == 4
    afp_text = [" ".join(p.text for p in g.pages) for g in groups]
    assert afp_text == ["Name: Anna", "Name: Tab here", "Name: Line break", "Name: Windows break"]
    assert [" ".join(p.split()) for p in pdf] == afp_text
    for page in pdf:  # nothing invisible went out
        assert not any(ord(c) < 0x20 and c not in "\r\n\t" or 0x7F <= ord(c) <= 0x9F for c in page)


def test_control_characters_in_table_cells_reject_the_document():
    data = pa.table({"items": [[{"d": "fine"}], [{"d": "a\x0cb"}]]})
    doc = Document(first=PAGE, flow=[Table("items", [Column("Item", "d", mm(50))])])
    ((dl, bound, _),) = list(layout(doc, data))
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "items.d")]
    assert "U+000C" in bound.rejections[0].reason and dl.docs[:, 0].tolist() == [0]


def test_control_characters_in_template_text_are_template_errors(tmp_path):
    data = pa.table({"name": ["x"]})
    with pytest.raises(TemplateError, match=r"Paragraph: .*U\+0007"):
        compose(Document(first=PAGE, flow=[Paragraph("Hello\x07 {name}")]), data, tmp_path / "a.pdf")
    fixed = PageTemplate("p", PAGE.body, [Text("Page\x0b{page}", x=mm(20), y=mm(280))])
    with pytest.raises(TemplateError, match=r"U\+000B"):
        compose(Document(first=fixed, flow=[Paragraph("{name}")]), data, tmp_path / "a.pdf")
    with pytest.raises(TemplateError, match=r"null_text\['name'\]"):
        compose(name_doc(null_text={"name": "n/a\x00"}), data, tmp_path / "a.pdf")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- 9: the unit of money


def test_a_float_money_column_without_a_unit_is_a_binding_error(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"name": ["a", "b", "c"], "total": [1234, None, 500]})  # cents, made float64 by None
    assert frame["total"].dtype == np.float64
    doc = Document(first=PAGE, flow=[Paragraph("{name}: {total}")], formats={"total": money()})
    with pytest.raises(BindingError) as e:
        compose(doc, frame, tmp_path / "out.pdf")
    msg = str(e.value)
    assert "'total'" in msg and "unit='minor'" in msg and "unit='major'" in msg
    assert e.value.column == "total"
    assert not list(tmp_path.iterdir())
    # stated, the cents print as cents
    doc = Document(first=PAGE, flow=[Paragraph("{name}: {total}")], formats={"total": money(unit="minor")})
    report = compose(doc, frame, tmp_path / "out.pdf")
    assert report.rejected == []
    assert [" ".join(p.split()) for p in pdf_pages(tmp_path / "out.pdf")] == ["a: 12.34", "b:", "c: 5.00"]


def test_money_units_by_column_type():
    ints = pa.array([1234, -5])
    assert money().apply(ints).to_pylist() == ["12.34", "-0.05"]
    assert money(unit="minor").apply(ints).to_pylist() == ["12.34", "-0.05"]
    assert money(unit="major").apply(ints).to_pylist() == ["1,234.00", "-5.00"]
    decimals = pa.array([Decimal("12.34"), Decimal("1234")], pa.decimal128(10, 2))
    assert money().apply(decimals).to_pylist() == ["12.34", "1,234.00"]
    assert money(unit="major").apply(decimals).to_pylist() == ["12.34", "1,234.00"]
    floats = pa.array([12.5, 0.125, 1234.0])  # currency units, rounded half to even
    assert money(unit="major").apply(floats).to_pylist() == ["12.50", "0.12", "1,234.00"]
    assert money(unit="minor").apply(pa.array([1234.0, -5.0])).to_pylist() == ["12.34", "-0.05"]
    jpy = money(currency="JPY", locale="en", unit="minor")
    assert jpy.apply(pa.array([1234.0])).to_pylist() == ["¥1,234"]


def test_fractions_of_a_minor_unit_reject_the_record_never_round():
    doc = Document(first=PAGE, flow=[Paragraph("{amount}")], formats={"amount": money(unit="minor")})
    data = pa.table({"amount": pa.array([1234.0, 1234.5, None, 99.0, 0.25])})
    ((dl, bound, _),) = list(layout(doc, data))
    assert [(r.record, r.field) for r in bound.rejections] == [(1, "amount"), (4, "amount")]
    assert "1234.5 is not a whole number of minor units" in bound.rejections[0].reason
    assert [dl.page_text(p) for p in range(dl.page_count)] == [["12.34"], [], ["0.99"]]
    minor_decimals = pa.array([Decimal("1234"), Decimal("12.5")], pa.decimal128(10, 1))
    with pytest.raises(Exception) as e:
        money(unit="minor").apply(minor_decimals)
    assert e.value.records.tolist() == [1]


def test_money_unit_mistakes_are_answered():
    with pytest.raises(TemplateError, match="write unit='minor'"):
        money(unit="cents")
    with pytest.raises(TemplateError, match="write unit='major'"):
        money(unit="units")
    with pytest.raises(TemplateError, match="not both"):
        money(unit="minor", scale=2)
    assert repr(money(unit="major", currency="€")) == "money(unit='major', currency='€')"
    assert money(scale=2).apply(pa.array([1234.0])).to_pylist() == ["12.34"]  # a scale states the unit


def test_a_carried_sum_with_a_format_of_another_scale_is_a_binding_error():
    t = Table(
        "items",
        [Column("Amount", "amt", mm(40), format=money(unit="major"))],
        carry="amt",
    )
    doc = Document(flow=[t], first=PAGE)
    with pytest.raises(BindingError, match="carried sums of 'amt'"):
        list(layout(doc, pa.table({"items": [[{"amt": 1}]]})))


def test_the_statement_example_rejects_a_statement_whose_carried_sum_would_wrap(tmp_path):
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "examples" / "statement"

    def load(name, path):
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        return sys.modules[name]

    gen = load("ccm_examples_statement_generate", root / "generate.py")
    tpl = load("ccm_examples_statement_template", root / "template.py")
    table = gen.generate(4, seed=3)
    rows = table.to_pylist()
    for tx in rows[1]["transactions"][:2]:
        tx["amount_cents"] = 2**62 + 1  # two of them pass int64 together
    bad = pa.Table.from_pylist(rows, schema=table.schema)

    def texts(data):
        out = {}
        for dl, _, _ in layout(tpl.document, data):
            for d in range(dl.doc_count):
                rec, p0, pn = (int(v) for v in dl.docs[d])
                out[rec] = [dl.page_text(p) for p in range(p0, p0 + pn)]
        return out

    report = compose(tpl.document, bad, tmp_path / "st.afp", format="afp")
    assert rejected(report) == [(1, "transactions.amount_cents")]
    assert validate(tmp_path / "st.afp") == []
    good, spoiled = texts(table), texts(bad)
    assert sorted(spoiled) == [0, 2, 3]
    assert all(spoiled[r] == good[r] for r in (0, 2, 3))  # the others exactly as without the bad one


def test_control_characters_in_a_formats_own_text_are_template_errors():
    with pytest.raises(TemplateError, match=r"currency .*U\+0007"):
        money(currency="\x07EUR ")
    with pytest.raises(TemplateError, match=r"date pattern .*line feed U\+000A"):
        date("%d\n%m")
    with pytest.raises(TemplateError, match=r"U\+0085"):
        money(group="\x85")
