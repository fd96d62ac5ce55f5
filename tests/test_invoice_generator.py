"""Tests for the standard invoice job's data generator and its ReportLab peer."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    """Import a module from a file path (examples/ and benchmarks/ are not packages)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("ccm_examples_invoice_generate", ROOT / "examples" / "invoice" / "generate.py")


@pytest.fixture(scope="module")
def big() -> pa.Table:
    return gen.generate(5000, seed=42)


def _flat_items(table: pa.Table) -> tuple[pa.StructArray, np.ndarray]:
    items = table.column("items").combine_chunks()
    offsets = items.offsets.to_numpy()
    return items.flatten(), offsets


def test_schema_is_exactly_the_documented_one():
    item = pa.struct(
        [
            ("date", pa.date32()),
            ("description", pa.string()),
            ("quantity", pa.int32()),
            ("unit_price_cents", pa.int64()),
            ("amount_cents", pa.int64()),
        ]
    )
    expected = pa.schema(
        [
            ("customer_id", pa.string()),
            ("name", pa.string()),
            ("street", pa.string()),
            ("postcode", pa.string()),
            ("city", pa.string()),
            ("country", pa.string()),
            ("invoice_no", pa.string()),
            ("invoice_date", pa.date32()),
            ("segment", pa.string()),
            ("language", pa.string()),
            ("items", pa.list_(item)),
            ("total_cents", pa.int64()),
        ]
    )
    assert gen.SCHEMA.equals(expected)
    table = gen.generate(20)
    assert table.schema.equals(expected)
    assert table.num_rows == 20
    for col in table.columns:
        assert col.null_count == 0


def test_same_seed_same_table_different_seed_different():
    a = gen.generate(300, seed=7)
    b = gen.generate(300, seed=7)
    c = gen.generate(300, seed=8)
    assert a.equals(b)
    assert not a.equals(c)
    assert a.column("name").to_pylist() != c.column("name").to_pylist()
    assert not a.column("items").equals(c.column("items"))


def test_ids_follow_the_global_row_number():
    t = gen.generate(3, start=42)
    assert t.column("customer_id").to_pylist() == ["C000000042", "C000000043", "C000000044"]
    assert t.column("invoice_no").to_pylist()[0] == "INV-2026-00000042"
    t0 = gen.generate(1)
    assert t0.column("customer_id")[0].as_py() == "C000000000"
    assert t0.column("invoice_no")[0].as_py() == "INV-2026-00000000"


def test_item_counts_in_range_and_one_in_ten_full(big):
    counts = pc.list_value_length(big.column("items")).to_numpy()
    assert counts.min() >= 3 and counts.max() == 120
    full = counts == 120
    assert 0.08 < full.mean() < 0.12
    short = counts[~full]
    assert short.min() == 3 and short.max() == 25
    # 1,000 rows make ~1,400 A4 pages at ~45 items a page: the mean sits near 23
    assert 18 < counts.mean() < 28


def test_totals_amounts_quantities_prices(big):
    flat, offsets = _flat_items(big)
    qty = flat.field("quantity").to_numpy()
    price = flat.field("unit_price_cents").to_numpy()
    amount = flat.field("amount_cents").to_numpy()
    assert qty.min() >= 1 and qty.max() <= 20
    assert np.array_equal(amount, qty.astype(np.int64) * price)
    price_list = dict(gen.PRICE_LIST)
    assert len(price_list) >= 50
    desc = flat.field("description").to_pylist()
    assert set(desc) <= set(price_list)
    assert len(set(desc)) >= 50
    assert all(price_list[d] == p for d, p in zip(desc[:2000], price[:2000].tolist()))
    totals = np.add.reduceat(amount, offsets[:-1])
    assert np.array_equal(totals, big.column("total_cents").to_numpy())


def test_dates_in_2026_and_sorted_within_an_invoice(big):
    inv = big.column("invoice_date").to_pylist()
    assert min(inv) >= dt.date(2026, 1, 1) and max(inv) <= dt.date(2026, 12, 31)
    flat, offsets = _flat_items(big)
    days = flat.field("date").cast(pa.int32()).to_numpy()
    inv_days = big.column("invoice_date").cast(pa.int32()).to_numpy()
    row_of = np.repeat(np.arange(big.num_rows), np.diff(offsets))
    assert (days < inv_days[row_of]).all()
    assert (days >= (dt.date(2026, 1, 1) - dt.date(1970, 1, 1)).days).all()
    same_row = row_of[1:] == row_of[:-1]
    assert (np.diff(days)[same_row] >= 0).all()


def test_segments_language_and_addresses(big):
    seg = pc.value_counts(big.column("segment")).to_pylist()
    share = {d["values"]: d["counts"] / big.num_rows for d in seg}
    assert set(share) == {"consumer", "business", "premium"}
    assert share["consumer"] > share["business"] > share["premium"] > 0.03
    assert pc.all(pc.equal(big.column("language"), "en")).as_py()
    for col in ("street", "postcode", "city", "country"):
        assert pc.min(pc.utf8_length(big.column(col))).as_py() > 0
    assert len(set(big.column("country").to_pylist())) >= 10


def test_names_are_european_with_diacritics(big):
    names = big.column("name").to_pylist()
    assert all(re.fullmatch(r"\S.* \S.*", n) for n in names)
    non_ascii = [n for n in names if not n.isascii()]
    assert len(non_ascii) > len(names) * 0.5
    joined = "\n".join(names)
    for needle in ("Łukasz", "Öztürk", "Chloé", "Dubois", "O'Brien", "Müller", "Søren",
                   "Ñúñez", "Zoë", "Đorđević"):  # fmt: skip
        assert needle in joined, needle
    assert len(set(names)) > 1000


def test_generate_batches_concatenate_to_generate():
    whole = gen.generate(100, seed=3)
    batches = list(gen.generate_batches(100, 3, 7))
    assert [b.num_rows for b in batches] == [7] * 14 + [2]
    assert all(b.schema.equals(gen.SCHEMA) for b in batches)
    assert pa.Table.from_batches(batches).equals(whole)
    # splitting with start= gives the same rows as one call
    head, tail = gen.generate(40, seed=3), gen.generate(60, seed=3, start=40)
    assert pa.concat_tables([head, tail]).equals(whole)


def test_empty_and_bad_arguments():
    empty = gen.generate(0)
    assert empty.num_rows == 0 and empty.schema.equals(gen.SCHEMA)
    assert list(gen.generate_batches(0)) == []
    with pytest.raises(ValueError):
        gen.generate(-1)
    with pytest.raises(ValueError):
        list(gen.generate_batches(10, 42, 0))


def test_cli_writes_parquet(tmp_path):
    out = tmp_path / "invoice.parquet"
    assert gen.main(["--docs", "300", "--seed", "5", "--batch-size", "128", "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.schema.equals(gen.SCHEMA)
    assert table.equals(gen.generate(300, seed=5))


def test_reportlab_peer_renders_names_and_invoice_numbers(tmp_path):
    pytest.importorskip("reportlab")
    pdfium = pytest.importorskip("pypdfium2")
    peer = _load(
        "ccm_bench_peers_reportlab_invoice",
        ROOT / "benchmarks" / "peers" / "reportlab_invoice.py",
    )
    table = gen.generate(5, seed=42)
    out = tmp_path / "reportlab.pdf"
    pages = peer.render_reportlab(table, str(out))
    pdf = pdfium.PdfDocument(str(out))
    try:
        assert len(pdf) == pages >= 5
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
    text = "\n".join(texts)
    for row in table.to_pylist():
        assert row["name"] in text
        assert f"Invoice {row['invoice_no']}" in text
    # every document starts on a new page, and "Page n of m" counts per document
    first_pages = [t for t in texts if re.search(r"\bPage 1 of \d+", t)]
    assert len(first_pages) == 5
    total = 0
    for t, row in zip(first_pages, table.to_pylist()):
        assert row["invoice_no"] in t
        m = int(re.search(r"Page 1 of (\d+)", t).group(1))
        total += m
        if len(row["items"]) == 120:
            assert m >= 3
        elif len(row["items"]) <= 10:
            assert m == 1
    assert total == pages
    assert any(len(r["items"]) == 120 for r in table.to_pylist())  # seed 42 has one
