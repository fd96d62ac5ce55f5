"""Data sources: any Arrow-compatible input, read one RecordBatch at a time.

:func:`open_source` accepts files (Parquet, Arrow IPC file or stream, Feather, CSV),
in-memory Arrow objects (Table, RecordBatch, RecordBatchReader, Dataset, Scanner),
pandas DataFrames and anything exporting the Arrow C stream interface
(``__arrow_c_stream__``: polars, DuckDB, ...). The schema is known as soon as the
source is open, before any batch is read, so a template can be bound and checked
first. Batches are produced lazily and hold at most ``batch_size`` rows; bigger batches
are sliced (zero-copy), smaller ones are passed on as they are. Memory therefore does
not grow with the number of batches.

Example::

    with open_source("customers.parquet", columns=["id", "name", "total"]) as src:
        print(src.schema, src.num_rows)
        for batch in src:
            ...
"""

from __future__ import annotations

import csv as csv_module
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from .errors import BindingError, SourceError

__all__ = ["Source", "open_source", "arrow_type", "check_declared"]

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
IPC_SUFFIXES = (".arrow", ".feather", ".ipc", ".arrows")
CSV_SUFFIXES = (".csv", ".tsv")
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".zst", ".lz4")

_IPC_FILE_MAGIC = b"ARROW1"
_IPC_CONTINUATION = b"\xff\xff\xff\xff"
_FEATHER_V1_MAGIC = b"FEA1"
_PARQUET_MAGIC = b"PAR1"

_SUPPORTED = (
    "a Parquet (.parquet), Arrow IPC/Feather (.arrow, .feather, .ipc) or CSV (.csv) path, "
    "a pyarrow Table, RecordBatch, RecordBatchReader or Dataset, a pandas DataFrame, "
    "or an object with __arrow_c_stream__ (polars, DuckDB, ...)"
)

_READ_ERRORS = (pa.ArrowException, OSError, ValueError)


class Source:
    """An open data source: a schema and an iterable of RecordBatches.

    Attributes:
        schema: the schema of every batch (after ``columns`` projection), known before
            any batch is read.
        num_rows: the number of rows when it is known without reading the data
            (in-memory tables, Parquet and Arrow IPC files, Parquet datasets), else None.
        batch_size: the largest number of rows in one batch.
        name: a short description (the path, or the kind of object) for messages.
        unmatched_details, unmatched_keys: of a source with details nested
            (:func:`ccmcore.details.nest_details`), once read: how many detail records no
            record claimed, and the first of their keys.

    Iterating yields ``pa.RecordBatch`` objects of at most ``batch_size`` rows (empty
    batches are skipped). Files and in-memory tables can be iterated again; streams
    (RecordBatchReader, ``__arrow_c_stream__`` objects) only once. Use it as a context
    manager, or call :meth:`close`, to release open files early.
    """

    def __init__(
        self,
        schema: pa.Schema,
        batches: Callable[[], Iterator[pa.RecordBatch]],
        *,
        batch_size: int,
        num_rows: int | None,
        name: str,
        once: bool = False,
        close: Callable[[], None] | None = None,
        locate: Callable[[BaseException, int], str | None] | None = None,
    ):
        self.schema = schema
        self.num_rows = num_rows
        self.batch_size = batch_size
        self.name = name
        self._batches = batches
        self._once = once
        self._used = False
        self._close = close
        self._locate = locate
        self.unmatched_details = 0  # of a joined source: detail records no header claimed
        self.unmatched_keys: list = []  # ... and the first of their keys

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self._once and self._used:
            raise SourceError(f"{self.name}: this source is a stream and was already read")
        self._used = True
        return self._iterate()

    def _iterate(self) -> Iterator[pa.RecordBatch]:
        size = self.batch_size
        it = self._batches()
        done = 0  # records read so far: where an error in the middle of the data is
        while True:
            try:
                batch = next(it)
            except StopIteration:
                return
            except SourceError:
                raise
            except _READ_ERRORS as e:
                raise SourceError(self._where(e, done)) from e
            n = batch.num_rows
            done += n
            if n == 0:
                continue
            if n <= size:
                yield batch
            else:
                for start in range(0, n, size):
                    yield batch.slice(start, size)

    def _where(self, e: BaseException, done: int) -> str:
        """One line naming the source and the place of a read error: the line of a CSV
        file, else the first record that could not be read (numbered from 0, as in reports)."""
        if self._locate is not None:
            try:
                found = self._locate(e, done)
            except (OSError, ValueError, UnicodeError, csv_module.Error):
                found = None  # finding the line is a courtesy: the error itself still goes out
            if found:
                return found
        return f"{self.name}, record {done}: cannot read the data: {_one_line(e)}"

    def close(self) -> None:
        """Release the open file, if any. Idempotent."""
        if self._close is not None:
            close, self._close = self._close, None
            close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        rows = "?" if self.num_rows is None else f"{self.num_rows:,}"
        return f"<Source {self.name}: {len(self.schema)} columns, {rows} rows, batch_size={self.batch_size}>"


def _one_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def _project_schema(schema: pa.Schema, columns: Sequence[str] | None, name: str) -> list[str] | None:
    """Check ``columns`` against ``schema``; return them as a list (None: all columns)."""
    if columns is None:
        return None
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of column names, not a single str")
    cols = list(columns)
    names = schema.names
    for c in cols:
        if not isinstance(c, str):
            raise TypeError(f"column names must be str, got {type(c).__name__}")
        if names.count(c) != 1:
            problem = "is not in" if c not in names else "is ambiguous in"
            raise BindingError(f"column {c!r} {problem} {name} (columns: {', '.join(names)})", column=c)
    if len(set(cols)) != len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise BindingError(f"column {dup!r} is requested twice", column=dup)
    return cols


def _select_schema(schema: pa.Schema, cols: list[str] | None) -> pa.Schema:
    if cols is None:
        return schema
    return pa.schema([schema.field(c) for c in cols], metadata=schema.metadata)


def _conform(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Reorder/select columns so every batch has exactly ``schema`` (zero-copy)."""
    names = schema.names
    for b in batches:
        if b.schema.names != names:
            b = pa.RecordBatch.from_arrays([b.column(c) for c in names], schema=schema)
        elif not b.schema.equals(schema, check_metadata=True):
            b = pa.RecordBatch.from_arrays(b.columns, schema=schema)
        yield b


# ---------------------------------------------------------------- in-memory objects


def _from_table(table: pa.Table, cols, batch_size: int, name: str) -> Source:
    cols = _project_schema(table.schema, cols, name)
    if cols is not None:
        table = table.select(cols)
    return Source(
        table.schema,
        lambda: iter(table.to_reader(max_chunksize=batch_size)),
        batch_size=batch_size,
        num_rows=table.num_rows,
        name=name,
    )


def _from_reader(
    reader: pa.RecordBatchReader, cols, batch_size: int, name: str, close: Callable[[], None] | None = None
) -> Source:
    cols = _project_schema(reader.schema, cols, name)
    schema = _select_schema(reader.schema, cols)
    return Source(
        schema,
        lambda: _conform(reader, schema),
        batch_size=batch_size,
        num_rows=None,
        name=name,
        once=True,
        close=close or reader.close,
    )


def _from_dataset(dataset, cols, batch_size: int, name: str) -> Source:
    import pyarrow.dataset as ds

    cols = _project_schema(dataset.schema, cols, name)
    schema = _select_schema(dataset.schema, cols)
    num_rows = None
    if isinstance(dataset, ds.InMemoryDataset) or (
        isinstance(dataset, ds.FileSystemDataset) and isinstance(dataset.format, ds.ParquetFileFormat)
    ):
        try:
            num_rows = dataset.count_rows()  # Parquet: from the footers only
        except _READ_ERRORS as e:
            raise SourceError(f"{name}: cannot read dataset: {_one_line(e)}") from e

    def batches():
        return _conform(dataset.to_batches(columns=cols, batch_size=batch_size), schema)

    return Source(schema, batches, batch_size=batch_size, num_rows=num_rows, name=name)


def _from_pandas(df, cols, batch_size: int) -> Source:
    if cols is not None:
        _project_schema(pa.schema([(str(c), pa.null()) for c in df.columns]), cols, "pandas DataFrame")
        df = df[[c for c in df.columns if str(c) in cols]]
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except _READ_ERRORS as e:
        raise SourceError(f"pandas DataFrame: cannot convert to Arrow: {_one_line(e)}") from e
    return _from_table(table.replace_schema_metadata(None), cols, batch_size, "pandas DataFrame")


def _from_stream_object(obj, cols, batch_size: int) -> Source:
    name = f"{type(obj).__module__.split('.')[0]} {type(obj).__name__}"
    num_rows = None
    module = type(obj).__module__
    if cols is not None:
        # push the projection down where the producer makes it cheap
        if module.startswith("polars") and hasattr(obj, "select"):
            _project_schema(pa.schema([(c, pa.null()) for c in obj.columns]), cols, name)
            obj = obj.select(cols)
        elif module.startswith("duckdb") and hasattr(obj, "project") and hasattr(obj, "columns"):
            _project_schema(pa.schema([(c, pa.null()) for c in obj.columns]), cols, name)
            obj = obj.project(", ".join('"' + c.replace('"', '""') + '"' for c in cols))
    if module.startswith("polars") and type(obj).__name__ == "DataFrame":
        num_rows = obj.height
    try:
        reader = pa.RecordBatchReader.from_stream(obj)
    except _READ_ERRORS as e:
        raise SourceError(f"{name}: cannot open its Arrow stream: {_one_line(e)}") from e
    src = _from_reader(reader, cols, batch_size, name)
    src.num_rows = num_rows
    return src


# ---------------------------------------------------------------- files


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(8)
    except OSError as e:
        raise SourceError(f"cannot open data file {path}: {e.strerror or _one_line(e)}") from e


def _open_parquet(path: Path, cols, batch_size: int) -> Source:
    import pyarrow.parquet as pq

    try:
        # pre_buffer=True (pyarrow's default) would read every selected column chunk of the
        # whole file up front: memory would grow with the file instead of one page at a time
        pf = pq.ParquetFile(path, pre_buffer=False)
        file_schema = pf.schema_arrow
        num_rows = pf.metadata.num_rows
    except _READ_ERRORS as e:
        raise SourceError(f"cannot read {path} as Parquet: {_one_line(e)}") from e
    cols = _project_schema(file_schema, cols, str(path))
    schema = _select_schema(file_schema, cols)

    def batches():
        return _conform(pf.iter_batches(batch_size=batch_size, columns=cols), schema)

    return Source(schema, batches, batch_size=batch_size, num_rows=num_rows, name=str(path), close=pf.close)


def _ipc_options(schema: pa.Schema, cols) -> pa.ipc.IpcReadOptions:
    if cols is None:
        return pa.ipc.IpcReadOptions()
    return pa.ipc.IpcReadOptions(included_fields=sorted(schema.get_field_index(c) for c in cols))


def _open_ipc(path: Path, cols, batch_size: int, head: bytes) -> Source:
    name = str(path)
    if head.startswith(_FEATHER_V1_MAGIC):  # legacy Feather v1: no streaming reader exists
        import pyarrow.feather as feather

        try:
            table = feather.read_table(path)
        except _READ_ERRORS as e:
            raise SourceError(f"cannot read {path} as Feather: {_one_line(e)}") from e
        return _from_table(table, cols, batch_size, name)
    if head.startswith(_IPC_FILE_MAGIC):
        try:
            mm = pa.memory_map(str(path), "r")
        except _READ_ERRORS as e:
            raise SourceError(f"cannot open data file {path}: {_one_line(e)}") from e
        try:
            full = pa.ipc.open_file(mm).schema
            cols = _project_schema(full, cols, name)
            reader = pa.ipc.open_file(mm, options=_ipc_options(full, cols))
            if hasattr(reader, "count_rows"):  # pyarrow >= 26
                num_rows = reader.count_rows()
            else:  # batches of a memory-mapped file are zero-copy: only their metadata is read
                num_rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        except BindingError:
            mm.close()
            raise
        except _READ_ERRORS as e:
            mm.close()
            raise SourceError(f"cannot read {path} as an Arrow IPC file: {_one_line(e)}") from e
        schema = _select_schema(full, cols)

        def file_batches():
            return _conform((reader.get_batch(i) for i in range(reader.num_record_batches)), schema)

        return Source(schema, file_batches, batch_size=batch_size, num_rows=num_rows, name=name, close=mm.close)

    # stream format (possibly without the continuation marker of older writers)
    def open_stream(options=None):
        f = pa.OSFile(str(path), "rb")
        try:
            return f, pa.ipc.open_stream(f, options=options)
        except BaseException:
            f.close()
            raise

    try:
        f, reader = open_stream()
        full = reader.schema
    except _READ_ERRORS as e:
        raise SourceError(f"cannot read {path} as an Arrow IPC file or stream: {_one_line(e)}") from e
    try:
        cols = _project_schema(full, cols, name)
    except BindingError:
        f.close()
        raise
    schema = _select_schema(full, cols)
    if cols is not None:
        f.close()
        f, reader = open_stream(_ipc_options(full, cols))
    state = {"file": f, "reader": reader}

    def batches():
        if state["reader"] is None:  # a second pass: open the file again
            state["file"], state["reader"] = open_stream(_ipc_options(full, cols))
        reader, state["reader"] = state["reader"], None
        return _conform(reader, schema)

    def close():
        state["reader"] = None
        state["file"].close()

    return Source(schema, batches, batch_size=batch_size, num_rows=None, name=name, close=close)


_CSV_CONVERSION = re.compile(
    r"In CSV column #(\d+): CSV conversion error to (\S+?): (?:invalid value '(.*)'|(.*))$", re.S
)
_CSV_COLUMNS = re.compile(r"CSV parse error: Expected (\d+) columns, got (\d+)")


def _csv_locate(path: Path, delimiter: str, e: BaseException, done: int, declared: Iterable[str] = ()) -> str | None:
    """The line of a CSV file pyarrow could not read, and what is wrong there, as one line.

    pyarrow names the column and the value (or the column counts) but not the line. The
    file is scanned again from its start, on this error path only: the bad row is the first
    one from record ``done`` on (the rows before were read) that shows the same fault.
    ``declared`` are the columns whose type was declared rather than inferred.
    """
    text = str(e)
    conversion, columns = _CSV_CONVERSION.search(text), _CSV_COLUMNS.search(text)
    if conversion is None and columns is None:
        return None
    with pa.input_stream(str(path), compression="detect") as raw:
        lines = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        rows = csv_module.reader(lines, delimiter=delimiter)
        header: list[str] | None = None
        record = -1
        for row in rows:
            if not row:  # pyarrow skips empty lines
                continue
            if header is None:
                header = row
                continue
            record += 1
            if record < done:
                continue
            if columns is not None:
                if len(row) != int(columns.group(1)):
                    return (
                        f"{path}, line {rows.line_num}: expected {columns.group(1)} columns "
                        f"(as in the header), got {len(row)}"
                    )
            elif conversion is not None:
                k, to = int(conversion.group(1)), conversion.group(2)
                value, why = conversion.group(3), conversion.group(4)
                cell = row[k] if k < len(row) else None
                if cell is None:
                    continue
                name = header[k] if k < len(header) else f"#{k}"
                if value is not None and cell == value:
                    how = (
                        "as declared in the schema"
                        if name in declared
                        else "the column's type was inferred from the first rows of the file"
                    )
                    return f"{path}, line {rows.line_num}: column {name!r}: cannot read {value!r} as {to} ({how})"
                if value is None and "\ufffd" in cell and "UTF8" in (why or ""):
                    return f"{path}, line {rows.line_num}: column {name!r}: the text is not valid UTF-8"
    return None


def _csv_header(path: Path, delimiter: str) -> list[str]:
    """The column names of a CSV file: its first record (without a byte order mark, as
    pyarrow reads them)."""
    with pa.input_stream(str(path), compression="detect") as raw:
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", errors="replace", newline="")
        return next(csv_module.reader(text, delimiter=delimiter), [])


def _open_csv(path: Path, cols, batch_size: int, suffix: str, types: dict, infer) -> Source:
    import pyarrow.csv as csv

    name = str(path)
    delimiter = "\t" if suffix == ".tsv" else ","
    parse = csv.ParseOptions(delimiter=delimiter)
    column_types = dict(types)
    if infer is not None:  # what the data says: text, but for the columns read as values
        for column in _csv_header(path, delimiter):
            if column not in infer and column not in column_types:
                column_types[column] = pa.string()

    def locate(e: BaseException, done: int) -> str | None:
        return _csv_locate(path, delimiter, e, done, types)

    def open_reader(include):
        stream = pa.input_stream(str(path), compression="detect")
        try:
            # an empty field is a missing value in every column, text or number alike, so
            # that required=, null_text= and is_null() see it as one
            convert = csv.ConvertOptions(
                include_columns=include or [], column_types=column_types, strings_can_be_null=True
            )
            return stream, csv.open_csv(stream, parse_options=parse, convert_options=convert)
        except BaseException:
            stream.close()
            raise

    try:
        stream, reader = open_reader(cols)
    except pa.ArrowKeyError:  # a requested column is missing: report it with the real names
        try:
            stream, reader = open_reader(None)
        except _READ_ERRORS as e:
            raise SourceError(_csv_open_error(path, e, locate)) from e
        stream.close()
        _project_schema(reader.schema, cols, name)
        raise  # pragma: no cover - _project_schema raised
    except _READ_ERRORS as e:
        raise SourceError(_csv_open_error(path, e, locate)) from e
    cols = _project_schema(reader.schema, cols, name)
    schema = _select_schema(reader.schema, cols)
    state = {"stream": stream, "reader": reader}

    def batches():
        if state["reader"] is None:  # a second pass: open the file again
            state["stream"], state["reader"] = open_reader(cols)
        reader, state["reader"] = state["reader"], None
        return _conform(reader, schema)

    def close():
        state["reader"] = None
        state["stream"].close()

    return Source(schema, batches, batch_size=batch_size, num_rows=None, name=name, close=close, locate=locate)


def _csv_open_error(path: Path, e: BaseException, locate: Callable[[BaseException, int], str | None]) -> str:
    """The message for a CSV file that fails in its first block (read to infer the types)."""
    try:
        found = locate(e, 0)
    except (OSError, ValueError, UnicodeError, csv_module.Error):
        found = None
    return found or f"cannot read {path} as CSV: {_one_line(e)}"


def _open_path(path: Path, cols, batch_size: int, types: dict, infer) -> Source:
    if not path.exists():
        raise SourceError(f"data file not found: {path}")
    if path.is_dir():
        raise SourceError(f"{path} is a directory; open it with pyarrow.dataset.dataset(...) and pass the Dataset")
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    suffix = suffixes[-1] if suffixes else ""
    head = _sniff(path)
    if not head:
        raise SourceError(f"data file is empty: {path}")
    if suffix in PARQUET_SUFFIXES or (suffix not in CSV_SUFFIXES and head.startswith(_PARQUET_MAGIC)):
        return _with_types(_open_parquet(path, cols, batch_size), types)
    if suffix in IPC_SUFFIXES or head.startswith((_IPC_FILE_MAGIC, _IPC_CONTINUATION, _FEATHER_V1_MAGIC)):
        return _with_types(_open_ipc(path, cols, batch_size, head), types)
    if suffix in CSV_SUFFIXES:
        return _open_csv(path, cols, batch_size, suffix, types, infer)
    raise SourceError(
        f"unknown data file type: {path} (expected .parquet, .arrow/.feather/.ipc or .csv, or Parquet/Arrow content)"
    )


# ---------------------------------------------------------------- declared types

_DECIMAL = re.compile(r"decimal(?:128)?\(\s*(\d+)\s*,\s*(-?\d+)\s*\)")
_TYPE_HELP = "string, int64, int32, float64, bool, decimal(12,2), date32, timestamp[s] ..."


def arrow_type(spec, column: str = "") -> pa.DataType:
    """A column type from its name ('string', 'int64', 'decimal(12,2)', 'date32',
    'timestamp[ms]', ...) or a pyarrow DataType.

    Raises:
        SourceError: an unknown type name, naming the column.
    """
    if isinstance(spec, pa.DataType):
        return spec
    where = f"column {column!r}: " if column else ""
    if not isinstance(spec, str):
        raise SourceError(f"{where}a type is a name such as 'string' or 'int64', not {spec!r}")
    name = spec.strip().lower()
    m = _DECIMAL.fullmatch(name)
    if m:
        precision, scale = int(m.group(1)), int(m.group(2))
        if not 1 <= precision <= 38:
            raise SourceError(f"{where}decimal precision must be 1..38, not {precision}")
        return pa.decimal128(precision, scale)
    try:
        return pa.type_for_alias({"text": "string", "date": "date32", "integer": "int64"}.get(name, name))
    except (ValueError, KeyError):
        raise SourceError(f"{where}unknown type {spec!r} (use {_TYPE_HELP})") from None


def _declared_types(schema) -> dict[str, pa.DataType]:
    """``schema`` (None, a dict of column -> type, or a pyarrow Schema) as a dict."""
    if schema is None:
        return {}
    if isinstance(schema, pa.Schema):
        return {f.name: f.type for f in schema}
    if not isinstance(schema, dict):
        raise SourceError(f"schema must be a dict of column -> type name or a pyarrow Schema, not {schema!r}")
    return {str(c): arrow_type(t, str(c)) for c, t in schema.items()}


def _with_types(source: Source, types: dict[str, pa.DataType]) -> Source:
    """The source with the declared column types (cast batch by batch; a value that does not
    convert is a SourceError naming the column)."""
    types = {c: t for c, t in types.items() if c in source.schema.names and source.schema.field(c).type != t}
    if not types:
        return source
    schema = pa.schema(
        [pa.field(f.name, types.get(f.name, f.type)) for f in source.schema], metadata=source.schema.metadata
    )
    inner = source._batches

    def batches():
        for b in inner():
            cols = []
            for f in schema:
                col = b.column(f.name)
                if f.name in types:
                    try:
                        col = col.cast(f.type)
                    except _READ_ERRORS as e:
                        raise SourceError(f"{source.name}: column {f.name!r}: {_one_line(e)}") from e
                cols.append(col)
            yield pa.RecordBatch.from_arrays(cols, schema=schema)

    source.schema = schema
    source._batches = batches
    return source


# ---------------------------------------------------------------- entry point


def open_source(
    data,
    *,
    batch_size: int = 2048,
    columns: Sequence[str] | None = None,
    schema=None,
    infer: Iterable[str] | None = None,
    partial_schema: bool = False,
) -> Source:
    """Open any Arrow-compatible data as a :class:`Source` of RecordBatches.

    Args:
        data: one of

            * a path (``str`` or ``os.PathLike``) to a Parquet file (``.parquet``,
              ``.pq``; streamed page by page), an Arrow IPC file or stream
              (``.arrow``, ``.feather``, ``.ipc``; the format is detected from the
              content) or a CSV file (``.csv``, ``.tsv``, optionally ``.gz``/``.bz2``/
              ``.zst``-compressed; the types of the columns in ``infer`` (all of them
              when it is None) inferred by pyarrow from the first block, the others
              read as text; an empty field is a null in every column — for other CSV
              options pass ``pyarrow.csv.open_csv(...)`` instead);
            * a ``pa.Table``, ``pa.RecordBatch``, ``pa.RecordBatchReader``,
              ``pyarrow.dataset.Dataset`` or ``pyarrow.dataset.Scanner``;
            * a pandas DataFrame (converted with ``preserve_index=False``);
            * any object with ``__arrow_c_stream__`` (polars DataFrame, DuckDB relation,
              ...), read through ``pa.RecordBatchReader.from_stream``.
        batch_size: the most rows per batch (bigger batches are sliced, zero-copy).
        columns: only these columns, in this order (pushed down to the Parquet, IPC and
            CSV readers, datasets, polars and DuckDB).
        schema: declared column types, a dict of column -> type name (``"string"``,
            ``"int64"``, ``"decimal(12,2)"``, ``"date32"``, ``"timestamp[s]"``...) or a
            pyarrow Schema: a CSV file is read with them, other sources are cast to them.
        infer: for a CSV file, the columns whose type pyarrow may infer (numbers, dates);
            every other column not in ``schema`` is read as text, exactly as written
            (``01067`` stays ``01067``). None: infer every column.
        partial_schema: ``schema`` may also name columns of another source (the detail
            source joined with this one): a declared column this source lacks is not an
            error here (the caller checks). Otherwise it is.

    Returns:
        a :class:`Source` whose ``schema`` is known before any batch is read.

    Raises:
        SourceError: unknown kind of data, missing, empty or unreadable file (the message
            names the path); also raised while iterating when the data turns out unreadable.
            Also: a ``schema`` that names a column the data lacks, or an unknown type.
        BindingError: a name in ``columns`` is not a column of the data.
        ValueError: ``batch_size`` is not a positive int.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    types = _declared_types(schema)
    if isinstance(data, (str, os.PathLike)):
        source = _open_path(Path(os.fspath(data)), columns, batch_size, types, None if infer is None else set(infer))
    else:
        source = _with_types(_open_object(data, columns, batch_size), types)
    if not partial_schema:
        check_declared(schema, [source])
    return source


def check_declared(schema, sources: Sequence[Source]) -> None:
    """A declared type for a column none of the sources has is a mistake (a misspelt name
    would otherwise leave the column as it was read, without a word).

    Raises:
        SourceError: naming the column and the columns there are.
    """
    declared = _declared_types(schema)
    have = {name for source in sources for name in source.schema.names}
    missing = [c for c in declared if c not in have]
    if missing:
        where = " or ".join(source.name for source in sources)
        names = ", ".join(dict.fromkeys(n for source in sources for n in source.schema.names))
        raise SourceError(
            f"the schema declares a type for {missing[0]!r}, which is not a column of {where} (columns: {names})"
        )


def _open_object(data, columns, batch_size: int) -> Source:
    if isinstance(data, pa.Table):
        return _from_table(data, columns, batch_size, "pyarrow Table")
    if isinstance(data, pa.RecordBatch):
        return _from_table(pa.Table.from_batches([data]), columns, batch_size, "pyarrow RecordBatch")
    if isinstance(data, pa.RecordBatchReader):
        return _from_reader(data, columns, batch_size, "pyarrow RecordBatchReader")
    ds = sys.modules.get("pyarrow.dataset")
    if ds is not None:
        if isinstance(data, ds.Dataset):
            return _from_dataset(data, columns, batch_size, f"pyarrow {type(data).__name__}")
        if isinstance(data, ds.Scanner):
            if columns is not None:
                raise SourceError(
                    "pyarrow Scanner: give the columns to the scanner itself "
                    "(Dataset.scanner(columns=...)) or pass the Dataset"
                )
            return _from_reader(data.to_reader(), None, batch_size, "pyarrow Scanner")
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        return _from_pandas(data, columns, batch_size)
    if hasattr(data, "__arrow_c_stream__"):
        return _from_stream_object(data, columns, batch_size)
    if hasattr(data, "__arrow_c_array__"):
        try:
            batch = pa.record_batch(data)
        except _READ_ERRORS as e:
            raise SourceError(f"{type(data).__name__}: cannot import its Arrow array: {_one_line(e)}") from e
        return _from_table(pa.Table.from_batches([batch]), columns, batch_size, type(data).__name__)
    raise SourceError(f"cannot read {type(data).__module__}.{type(data).__qualname__} as data: expected {_SUPPORTED}")
