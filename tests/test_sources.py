"""Data sources: every kind of input, batch sizes, projection, streaming and errors."""

from __future__ import annotations

import contextlib
import gzip
import os

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from ccmcore.errors import BindingError, SourceError
from ccmcore.sources import Source, open_source

N = 10_000


@pytest.fixture(scope="module")
def table() -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table(
        {
            "id": pa.array(np.arange(N, dtype=np.int64)),
            "name": pa.array([f"customer {i}" for i in range(N)]),
            "total_cents": pa.array(rng.integers(-(10**6), 10**8, N)),
            "rate": pa.array(rng.random(N)),
        }
    )


@pytest.fixture(scope="module")
def files(table, tmp_path_factory):
    d = tmp_path_factory.mktemp("sources")
    pq.write_table(table, d / "t.parquet", row_group_size=3000)
    with pa.OSFile(str(d / "t.arrow"), "wb") as f, pa.ipc.new_file(f, table.schema) as w:
        w.write_table(table, max_chunksize=4000)
    with pa.OSFile(str(d / "t.ipc"), "wb") as f, pa.ipc.new_stream(f, table.schema) as w:
        w.write_table(table, max_chunksize=4000)  # stream format behind an IPC suffix
    feather.write_feather(table, d / "t.feather")  # Feather v2 = IPC file
    # pyarrow >= 26 deprecates writing Feather V1; older releases write it without a warning
    v1_warns = int(pa.__version__.split(".")[0]) >= 26
    with pytest.warns(DeprecationWarning) if v1_warns else contextlib.nullcontext():
        feather.write_feather(table, d / "v1.feather", version=1)  # legacy, read via feather
    pcsv.write_csv(table, d / "t.csv")
    with open(d / "t.csv", "rb") as f, gzip.open(d / "t.csv.gz", "wb") as g:
        g.write(f.read())
    pq.write_table(table, d / "noext", row_group_size=5000)  # Parquet detected by content
    return d


def collect(src: Source) -> pa.Table:
    batches = list(src)
    for b in batches:
        assert isinstance(b, pa.RecordBatch)
        assert b.num_rows <= src.batch_size
        assert b.schema.equals(src.schema, check_metadata=True)
    return pa.Table.from_batches(batches, src.schema)


def same_data(got: pa.Table, want: pa.Table):
    assert got.column_names == want.column_names
    for name in want.column_names:
        assert got.column(name).to_pylist() == want.column(name).to_pylist(), name


# ---------------------------------------------------------------- every kind of input


FILE_KINDS = ["t.parquet", "t.arrow", "t.ipc", "t.feather", "v1.feather", "t.csv", "t.csv.gz", "noext"]


@pytest.mark.filterwarnings("ignore:Feather V1")
@pytest.mark.parametrize("name", FILE_KINDS)
@pytest.mark.parametrize("columns", [None, ["total_cents", "id"]])
def test_files(files, table, name, columns):
    path = files / name
    with open_source(path, batch_size=1500, columns=columns) as src:
        want = table if columns is None else table.select(columns)
        assert src.schema.names == want.column_names
        if name in ("t.parquet", "t.arrow", "t.feather", "v1.feather", "noext"):
            assert src.num_rows == N
        elif name in ("t.ipc", "t.csv", "t.csv.gz"):
            assert src.num_rows is None
        same_data(collect(src), want)
        # files can be read again
        assert sum(b.num_rows for b in src) == N
    assert str(path) in repr(src) or name == "v1.feather"


def test_str_path_and_batch_sizes(files, table):
    src = open_source(str(files / "t.parquet"), batch_size=2048)
    sizes = [b.num_rows for b in src]
    assert max(sizes) == 2048 and sum(sizes) == N
    assert sizes == [2048] * 4 + [N - 4 * 2048]


def in_memory_kinds(table):
    import duckdb
    import polars as pl

    return {
        "table": lambda: table,
        "chunked table": lambda: pa.Table.from_batches(table.to_batches(max_chunksize=777)),
        "record batch": lambda: table.combine_chunks().to_batches()[0],
        "reader": lambda: table.to_reader(max_chunksize=5000),
        "dataset": lambda: ds.dataset(table),
        "scanner": lambda: ds.dataset(table).scanner(),
        "polars": lambda: pl.from_arrow(table),
        "duckdb": lambda: duckdb.arrow(table) if hasattr(duckdb, "arrow") else duckdb.from_arrow(table),
        "pandas": lambda: table.to_pandas(),
        "c stream": lambda: _CStream(table),
    }


class _CStream:
    """A minimal third-party object that only speaks the Arrow PyCapsule stream protocol."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


@pytest.mark.parametrize(
    "kind",
    [
        "table",
        "chunked table",
        "record batch",
        "reader",
        "dataset",
        "scanner",
        "polars",
        "duckdb",
        "pandas",
        "c stream",
    ],
)
def test_in_memory_objects(table, kind):
    make = in_memory_kinds(table)[kind]
    src = open_source(make(), batch_size=1024)
    got = collect(src)
    want = table
    if kind == "polars":  # polars exports strings as string_view
        assert src.schema.field("name").type in (pa.string(), pa.large_string(), pa.string_view())
        got = got.cast(pa.schema([pa.field(f.name, f.type) for f in table.schema]))
    same_data(got, want)
    if kind in ("table", "chunked table", "record batch", "dataset", "polars", "pandas"):
        assert src.num_rows == N
    if kind != "scanner":
        proj = open_source(make(), batch_size=4096, columns=["rate", "id"])
        assert proj.schema.names == ["rate", "id"]
        same_data(collect(proj), table.select(["rate", "id"]))


def test_reader_of_many_batches_is_rechunked_without_merging():
    schema = pa.schema([("x", pa.int64())])
    sizes = [1, 5000, 0, 100, 2048, 2049, 7]

    def gen():
        start = 0
        for n in sizes:
            yield pa.record_batch([pa.array(np.arange(start, start + n))], schema=schema)
            start += n

    src = open_source(pa.RecordBatchReader.from_batches(schema, gen()), batch_size=2048)
    got = [b.num_rows for b in src]
    assert got == [1, 2048, 2048, 904, 100, 2048, 2048, 1, 7]
    with pytest.raises(SourceError, match="already read"):
        list(src)


def test_schema_is_known_before_any_batch_is_read():
    schema = pa.schema([("a", pa.int32()), ("b", pa.string())])
    pulled = []

    def gen():
        pulled.append(1)
        yield pa.record_batch([pa.array([1], pa.int32()), pa.array(["x"])], schema=schema)

    src = open_source(pa.RecordBatchReader.from_batches(schema, gen()), columns=["b"])
    assert src.schema == pa.schema([("b", pa.string())]) and not pulled
    assert [b.to_pydict() for b in src] == [{"b": ["x"]}]


def test_empty_inputs(tmp_path):
    empty = pa.table({"a": pa.array([], pa.int64())})
    assert list(open_source(empty)) == [] and open_source(empty).num_rows == 0
    pq.write_table(empty, tmp_path / "e.parquet")
    src = open_source(tmp_path / "e.parquet")
    assert src.schema.names == ["a"] and list(src) == [] and src.num_rows == 0


# ---------------------------------------------------------------- streaming, bounded memory


def test_reader_memory_does_not_grow_with_batches():
    schema = pa.schema([("x", pa.float64())])
    batch_bytes = 8 * 100_000

    def gen():
        for i in range(300):  # 240 MB in total, made on demand
            yield pa.record_batch([pa.array(np.full(100_000, float(i)))], schema=schema)

    base = pa.total_allocated_bytes()
    peak, rows = 0, 0
    for b in open_source(pa.RecordBatchReader.from_batches(schema, gen()), batch_size=30_000):
        rows += b.num_rows
        peak = max(peak, pa.total_allocated_bytes() - base)
    assert rows == 30_000_000
    assert peak < 4 * batch_bytes


def test_parquet_is_streamed(tmp_path):
    n, groups = 2_000_000, 40
    t = pa.table({"x": pa.array(np.arange(n, dtype=np.int64)), "y": pa.array(np.ones(n))})
    pq.write_table(t, tmp_path / "big.parquet", row_group_size=n // groups, compression="none")
    del t
    base = pa.total_allocated_bytes()
    peak, total = 0, 0
    with open_source(tmp_path / "big.parquet", batch_size=10_000, columns=["x"]) as src:
        for b in src:
            total += int(np.asarray(b.column(0)).sum())
            peak = max(peak, pa.total_allocated_bytes() - base)
    assert total == n * (n - 1) // 2
    assert peak < 16 * n // 8  # the column is 16 MB; a streaming read holds a small part of it


# ---------------------------------------------------------------- errors


def test_missing_and_unknown(tmp_path):
    with pytest.raises(SourceError, match="not found: .*missing.parquet"):
        open_source(tmp_path / "missing.parquet")
    with pytest.raises(SourceError, match="directory"):
        open_source(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SourceError, match="unknown data file type: .*notes.txt"):
        open_source(tmp_path / "notes.txt")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SourceError, match="empty: .*empty.csv"):
        open_source(tmp_path / "empty.csv")
    with pytest.raises(SourceError, match="cannot read builtins.dict"):
        open_source({"a": [1, 2]})
    with pytest.raises(SourceError):
        open_source(42)


@pytest.mark.parametrize(
    "name,content",
    [
        ("bad.parquet", b"this is not parquet at all"),
        ("bad.arrow", b"ARROW1\x00\x00garbage"),
        ("bad.ipc", b"\xff\xff\xff\xff\x10\x00\x00\x00garbage-garbage-"),
        ("bad.feather", b"not an arrow file"),
    ],
)
def test_unreadable_files(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(SourceError, match=name) as e:
        open_source(tmp_path / name)
    assert "\n" not in str(e.value)


def test_csv_error_while_reading_names_the_file(tmp_path):
    rows = "\n".join(str(i) for i in range(200_000))
    (tmp_path / "mixed.csv").write_text("n\n" + rows + "\nnot-a-number\n")
    src = open_source(tmp_path / "mixed.csv")
    assert src.schema.field("n").type == pa.int64()
    with pytest.raises(SourceError, match="mixed.csv"):
        for _ in src:
            pass


def test_projection_errors(files, table):
    with pytest.raises(BindingError, match="'nope' is not in .*t.parquet") as e:
        open_source(files / "t.parquet", columns=["id", "nope"])
    assert e.value.column == "nope"
    for data in (files / "t.csv", files / "t.arrow", files / "t.ipc", table, table.to_reader()):
        with pytest.raises(BindingError, match="nope"):
            open_source(data, columns=["nope"])
    with pytest.raises(BindingError, match="twice"):
        open_source(table, columns=["id", "id"])
    with pytest.raises(TypeError):
        open_source(table, columns="id")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_bad_batch_size(table, bad):
    with pytest.raises(ValueError):
        open_source(table, batch_size=bad)


def test_close_releases_the_file(files, tmp_path):
    path = tmp_path / "copy.arrow"
    path.write_bytes((files / "t.arrow").read_bytes())
    src = open_source(path)
    next(iter(src))
    src.close()
    src.close()
    os.remove(path)
