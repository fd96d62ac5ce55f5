"""Data as it arrives: CSV values stay as written unless the template reads them as
numbers or dates (or their types are declared), and line items that come as a file of
their own are nested into their documents by a key, while both are read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from ccmcore import BindingError, Column, Document, Paragraph, SourceError, Table, When, col, compose, layout, money
from ccmcore.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE
from ccmcore.cli import main as ccm_main

sys.path.insert(0, str(Path(__file__).parent.parent / "examples" / "invoice"))
from generate import generate  # noqa: E402
from template import document as invoice  # noqa: E402

LETTER = Document(
    flow=[Paragraph("Customer {id}, {postcode} {city}: {total}")],
    formats={"total": money(currency="EUR")},
)
CSV = "id,postcode,city,total\n000123,01067,Dresden,1234\n000124,80331,München,99\n"


def pdf_text(path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


# ---------------------------------------------------------------------- 11: CSV keeps what the data says


def test_csv_text_keeps_its_leading_zeros_and_money_columns_are_numbers(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    report = compose(LETTER, tmp_path / "in.csv", tmp_path / "out.pdf")
    assert report.documents == 2 and not report.rejected
    text = pdf_text(tmp_path / "out.pdf")
    assert "Customer 000123, 01067 Dresden" in text and "Customer 000124, 80331 München" in text
    assert "12.34" in text and "0.99" in text  # total read as cents, an integer


def test_declared_types_win(tmp_path):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    ((dl, _, _),) = list(layout(LETTER, tmp_path / "in.csv", schema={"id": "int64", "total": "decimal(10,2)"}))
    text = "\n".join(dl.page_text(p)[0] for p in range(dl.page_count))
    # a declared decimal is in currency units: 1234 is EUR1,234.00, not cents
    assert "Customer 123, 01067 Dresden: EUR1,234.00" in text
    with pytest.raises(SourceError, match=r"column 'id': unknown type 'integr'"):
        list(layout(LETTER, tmp_path / "in.csv", schema={"id": "integr"}))


def test_cli_schema_file(tmp_path, capsys):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "letter.py").write_text(
        "from ccmcore import Document, Paragraph, money\n"
        "document = Document(flow=[Paragraph('Customer {id}, {postcode} {city}: {total}')],"
        " formats={'total': money(currency='EUR')})\n"
    )
    (tmp_path / "types.json").write_text(json.dumps({"postcode": "int64"}))
    args = ["compose", str(tmp_path / "letter.py"), str(tmp_path / "in.csv"), "-q"]
    assert ccm_main([*args, "-o", str(tmp_path / "a.pdf")]) == EXIT_OK
    assert "01067 Dresden" in pdf_text(tmp_path / "a.pdf")
    assert ccm_main([*args, "-o", str(tmp_path / "b.pdf"), "--schema", str(tmp_path / "types.json")]) == EXIT_OK
    assert ", 1067 Dresden" in pdf_text(tmp_path / "b.pdf")  # what was asked for: a number
    (tmp_path / "bad.json").write_text("[1, 2]")
    capsys.readouterr()
    assert ccm_main([*args, "-o", str(tmp_path / "c.pdf"), "--schema", str(tmp_path / "bad.json")]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "JSON object of column -> type" in err
    assert not (tmp_path / "c.pdf").exists()


# ---------------------------------------------------------------------- 12: header and detail records


@pytest.fixture(scope="module")
def split_invoices(tmp_path_factory):
    """The invoice example's data as one nested Parquet file and as two CSV files (headers
    and their items, keyed by invoice number), the usual CCM extract."""
    d = tmp_path_factory.mktemp("split")
    table = generate(60, seed=5)
    table = table.set_column(table.schema.get_field_index("items"), "items", table.column("items"))
    # three invoices without items: their documents get an empty table
    lists = table.column("items").to_pylist()
    for i in (3, 17, 40):
        lists[i] = []
    table = table.set_column(
        table.schema.get_field_index("items"), "items", pa.array(lists, table.schema.field("items").type)
    )
    pq.write_table(table, d / "nested.parquet")
    headers = table.drop_columns(["items"])
    pacsv.write_csv(headers, d / "headers.csv")
    flat = table.select(["invoice_no", "items"]).to_pylist()
    rows = [{"invoice_no": r["invoice_no"], **item} for r in flat for item in r["items"]]
    items = pa.Table.from_pylist(rows)
    pacsv.write_csv(items, d / "items.csv")
    return d, table


def test_details_nested_by_key_give_the_same_documents(split_invoices, tmp_path):
    d, table = split_invoices
    nested = compose(invoice, d / "nested.parquet", tmp_path / "nested.pdf")
    joined = compose(invoice, d / "headers.csv", tmp_path / "joined.pdf", details=d / "items.csv", join="invoice_no")
    assert joined.documents == nested.documents == 60 and joined.pages == nested.pages
    assert joined.unmatched_details == 0
    assert pdf_text(tmp_path / "joined.pdf") == pdf_text(tmp_path / "nested.pdf")


def test_details_in_small_batches_join_across_batch_edges(split_invoices):
    d, table = split_invoices
    got = []
    for dl, _, _ in layout(invoice, d / "headers.csv", details=d / "items.csv", join="invoice_no", batch_size=7):
        got += [dl.page_text(p) for p in range(dl.page_count)]
    want = []
    for dl, _, _ in layout(invoice, d / "nested.parquet", batch_size=7):
        want += [dl.page_text(p) for p in range(dl.page_count)]
    assert got == want


def test_the_cli_joins_details(split_invoices, tmp_path):
    d, _ = split_invoices
    template = str(Path(__file__).parent.parent / "examples" / "invoice" / "template.py")
    out = tmp_path / "cli.pdf"
    argv = ["compose", template, str(d / "headers.csv"), "-o", str(out), "--details", str(d / "items.csv")]
    assert ccm_main([*argv, "--join", "invoice_no", "-q"]) == EXIT_OK
    assert "Invoice INV-" in pdf_text(out)
    assert ccm_main([*argv, "-q"]) == EXIT_USAGE  # --details without --join


def test_unsorted_or_unmatched_details_are_named(tmp_path):
    headers = pa.table({"no": ["A1", "A2", "A3"], "name": ["x", "y", "z"]})
    doc = Document(flow=[Paragraph("{name}")])
    items = pa.table({"no": ["A1", "A3", "A2"], "d": ["p", "q", "r"]})
    with pytest.raises(SourceError, match=r"no 'A2' comes after 'A3'.*sorted by 'no'"):
        compose(doc, headers, tmp_path / "x.pdf", details=items, join="no")
    assert not (tmp_path / "x.pdf").exists()
    twice = pa.table({"no": ["A1", "A1"], "name": ["x", "y"]})
    with pytest.raises(SourceError, match="'A1' comes twice"):
        compose(doc, twice, tmp_path / "x.pdf", details=items.slice(0, 1), join="no")
    strays = pa.table({"no": ["A0", "A1", "A15", "A9"], "d": ["p", "q", "r", "s"]})
    report = compose(doc, headers, tmp_path / "y.pdf", details=strays, join="no")
    assert report.documents == 3 and report.unmatched_details == 3
    assert "3 detail records matched no record" in report.summary()
    with pytest.raises(BindingError, match="join key 'number' is not a column"):
        compose(doc, headers, tmp_path / "z.pdf", details=strays, join="number")


def test_nested_items_hold_every_detail_column_but_the_key():
    headers = pa.table({"no": [1, 2], "name": ["x", "y"]})
    items = pa.table({"no": [1, 1, 2], "d": ["p", "q", "r"], "n": [1, 2, 3]})
    from ccmcore.details import nest_details
    from ccmcore.sources import open_source

    src = nest_details(open_source(headers), open_source(items), "no")
    (batch,) = list(src)
    assert batch.column("items").to_pylist() == [[{"d": "p", "n": 1}, {"d": "q", "n": 2}], [{"d": "r", "n": 3}]]
    assert pc.list_value_length(batch.column("items")).to_pylist() == [2, 1]


# ---------------------------------------------------------------------- 11: the rest of the class


def test_every_kind_of_text_stays_as_written_with_or_without_a_byte_order_mark(tmp_path):
    doc = Document(flow=[Paragraph("{id}|{ref}|{account}|{postcode}")])
    rows = "id,ref,account,postcode\n000123,1e5,12345678901234567890123,01067\n"
    for name, prefix in (("plain.csv", b""), ("bom.csv", b"\xef\xbb\xbf")):
        (tmp_path / name).write_bytes(prefix + rows.encode())
        compose(doc, tmp_path / name, tmp_path / f"{name}.pdf")
        assert "000123|1e5|12345678901234567890123|01067" in pdf_text(tmp_path / f"{name}.pdf")


def test_a_rule_comparing_with_text_keeps_the_column_text_and_with_a_number_reads_a_number(tmp_path):
    doc = Document(
        flow=[
            Paragraph("{postcode} {total}"),
            When(col("postcode") == "01067", [Paragraph("DRESDEN CENTRE")]),
            When(col("postcode").isin(["80331"]), [Paragraph("MUNICH CENTRE")]),
            When(col("total") > 1000, [Paragraph("BIG ORDER")]),
        ]
    )
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    compose(doc, tmp_path / "in.csv", tmp_path / "out.pdf")
    pdf = pdfium.PdfDocument(str(tmp_path / "out.pdf"))
    try:
        pages = [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()
    assert len(pages) == 2
    assert "01067 1234" in pages[0] and "DRESDEN CENTRE" in pages[0] and "BIG ORDER" in pages[0]
    assert "80331 99" in pages[1] and "MUNICH CENTRE" in pages[1] and "BIG ORDER" not in pages[1]


def test_an_empty_csv_field_is_a_missing_value_in_every_column(tmp_path):
    doc = Document(
        flow=[Paragraph("{id}: {phone} {email}")],
        required=["email"],
        null_text={"phone": "no phone"},
    )
    (tmp_path / "in.csv").write_text("id,phone,email\n1,,a@b.de\n2,0351,\n", encoding="utf-8")
    report = compose(doc, tmp_path / "in.csv", tmp_path / "out.pdf")
    assert report.documents == 1 and [(r.record, r.field) for r in report.rejected] == [(1, "email")]
    assert "1: no phone a@b.de" in pdf_text(tmp_path / "out.pdf")


def test_a_declared_type_for_a_column_the_data_lacks_is_an_error(tmp_path, capsys):
    (tmp_path / "in.csv").write_text(CSV, encoding="utf-8")
    with pytest.raises(SourceError, match=r"declares a type for 'postcod', which is not a column of .*in\.csv"):
        compose(LETTER, tmp_path / "in.csv", tmp_path / "x.pdf", schema={"postcod": "string"})
    with pytest.raises(SourceError, match="'postcod'.*columns: id, postcode, city, total"):
        compose(
            LETTER,
            pa.table({"id": ["1"], "postcode": ["x"], "city": ["y"], "total": [1]}),
            tmp_path / "x.pdf",
            schema=pa.schema([("postcod", pa.string())]),
        )
    assert not (tmp_path / "x.pdf").exists()
    (tmp_path / "letter.py").write_text(
        "from ccmcore import Document, Paragraph\ndocument = Document(flow=[Paragraph('{id}')])\n"
    )
    (tmp_path / "types.json").write_text(json.dumps({"postcod": "string"}))
    argv = ["compose", str(tmp_path / "letter.py"), str(tmp_path / "in.csv"), "-o", str(tmp_path / "x.pdf")]
    capsys.readouterr()
    assert ccm_main([*argv, "--schema", str(tmp_path / "types.json"), "-q"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'postcod'" in err and not (tmp_path / "x.pdf").exists()


# ---------------------------------------------------------------------- 12: the rest of the class


def test_a_schema_types_the_detail_columns_too(tmp_path):
    (tmp_path / "h.csv").write_text("no,name\n7,Anna\n8,Ben\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("no,sku,qty\n7,0042,1\n8,0007,2\n8,0100,3\n", encoding="utf-8")
    doc = Document(
        flow=[
            Paragraph("{no} {name}"),
            Table(source="items", columns=[Column("SKU", "sku", 100), Column("Qty", "qty", 50)]),
        ]
    )
    report = compose(doc, tmp_path / "h.csv", tmp_path / "out.pdf", details=tmp_path / "d.csv", join="no")
    text = pdf_text(tmp_path / "out.pdf")
    assert report.documents == 2 and "0042" in text and "0007" in text and "0100" in text  # text, as written
    with pytest.raises(SourceError, match="'qtty', which is not a column of .*h.csv or .*d.csv"):
        compose(
            doc, tmp_path / "h.csv", tmp_path / "x.pdf", details=tmp_path / "d.csv", join="no", schema={"qtty": "int64"}
        )
    ((dl, _, _),) = list(
        layout(doc, tmp_path / "h.csv", details=tmp_path / "d.csv", join="no", schema={"sku": "int64"})
    )
    assert [row for p in range(dl.page_count) for row in dl.page_text(p) if row in ("42", "7", "100")] == [
        "42",
        "7",
        "100",
    ]


def test_numbers_sorted_as_numbers_but_read_as_text_get_a_hint(tmp_path):
    (tmp_path / "h.csv").write_text("no,name\n9,a\n10,b\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("no,sku\n9,x\n10,y\n", encoding="utf-8")
    doc = Document(flow=[Paragraph("{name}")])
    with pytest.raises(SourceError, match=r"h\.csv: no '10' comes after '9'.*declare its type .*'no': 'int64'"):
        compose(doc, tmp_path / "h.csv", tmp_path / "x.pdf", details=tmp_path / "d.csv", join="no")
    assert not (tmp_path / "x.pdf").exists()
    report = compose(
        doc, tmp_path / "h.csv", tmp_path / "x.pdf", details=tmp_path / "d.csv", join="no", schema={"no": "int64"}
    )
    assert report.documents == 2 and report.unmatched_details == 0


def test_details_without_a_record_are_named_and_the_cli_says_so(tmp_path, capsys):
    (tmp_path / "h.csv").write_text("no,name\nA1,Anna\nA3,Ben\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("no,sku\nA0,p\nA1,q\nA2,r\nA2,s\nA9,t\n", encoding="utf-8")
    doc = Document(flow=[Paragraph("{name}"), Table(source="items", columns=[Column("SKU", "sku", 100)])])
    report = compose(doc, tmp_path / "h.csv", tmp_path / "out.pdf", details=tmp_path / "d.csv", join="no")
    assert report.documents == 2 and report.unmatched_details == 4
    assert report.unmatched_keys == ["A0", "A2", "A9"]
    assert report.to_dict()["unmatched_keys"] == ["A0", "A2", "A9"]
    text = pdf_text(tmp_path / "out.pdf")
    assert "q" in text.split() and not {"p", "r", "s", "t"} & set(text.split())
    (tmp_path / "letter.py").write_text(
        "from ccmcore import Column, Document, Paragraph, Table\n"
        "document = Document(flow=[Paragraph('{name}'), Table(source='items', columns=[Column('SKU', 'sku', 100)])])\n"
    )
    capsys.readouterr()
    argv = ["compose", str(tmp_path / "letter.py"), str(tmp_path / "h.csv"), "-o", str(tmp_path / "cli.pdf")]
    code = ccm_main([*argv, "--details", str(tmp_path / "d.csv"), "--join", "no", "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_REJECTED and (tmp_path / "cli.pdf").exists()
    assert "unmatched: 4 detail records of" in err and "(no 'A0', 'A2', 'A9'): left out" in err


def test_a_detail_value_that_does_not_convert_names_the_details_file_and_line(tmp_path):
    (tmp_path / "h.csv").write_text("no,name\n" + "".join(f"{i:05d},n{i}\n" for i in range(3000)), encoding="utf-8")
    lines = "".join(f"{i:05d},{'7x' if i == 2500 else i}\n" for i in range(3000))
    (tmp_path / "d.csv").write_text("no,qty\n" + lines, encoding="utf-8")
    doc = Document(flow=[Paragraph("{name}"), Table(source="items", columns=[Column("Qty", "qty", 50)])])
    with pytest.raises(SourceError) as caught:
        compose(
            doc,
            tmp_path / "h.csv",
            tmp_path / "out.pdf",
            details=tmp_path / "d.csv",
            join="no",
            schema={"qty": "int64"},
            batch_size=256,
        )
    assert str(caught.value).endswith(
        "d.csv, line 2502: column 'qty': cannot read '7x' as int64 (as declared in the schema)"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "h.csv"]


def test_which_columns_a_rule_reads_as_values():
    from ccmcore.rules import Rule

    assert (col("postcode") == "01067").value_columns() == set()
    assert ("DE" == col("country")).value_columns() == set()
    assert col("country").isin(["DE", "AT"]).value_columns() == set()
    assert col("email").is_null().value_columns() == set()
    assert (col("total") > 1000).value_columns() == {"total"}
    assert col("code").isin([1, 2]).value_columns() == {"code"}
    assert (col("paid") < col("due")).value_columns() == {"paid", "due"}
    assert col("vip").value_columns() == {"vip"}  # a condition itself: a boolean
    assert (~col("vip") & (col("segment") == "gold")).value_columns() == {"vip"}

    class Custom(Rule):
        def columns(self):
            return {"a", "b"}

    assert (Custom() == 2).value_columns() == {"a", "b"}  # a rule of its own kind: all it reads
