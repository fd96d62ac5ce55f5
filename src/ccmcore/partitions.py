"""Compose one partition of a distributed run: Arrow batches in, part files out, manifest rows back.

    rows = compose_partition(job, batches, "s3://bucket/run-7", record0=20_000)

This is the contract every batch-framework adapter stands on (``ccmcore.bindings``: Ray
Data, Spark, Dask): an engine hands a task some of the job's records, the task calls
:func:`compose_partition`, and gets back a small Arrow table, one row per record, to return
to the engine. :func:`ccmcore.merge_distributed` (``ccm merge``) then joins the part files in
record order into one print file, or each partition's files are kept as print files of
their own (``print_files=True``).

A document's bytes depend on its record number (an AFP page's name, a PDF document's
marker line), so a partition must know the numbers of its records: ``record0`` for a
partition whose records are consecutive from there, or ``record_column``, a column that
carries each record's number (the adapters add one). The records are cut into parts at
the same boundaries as a local job's (multiples of ``part_size``), so the merged file,
its manifest and its ``part`` column are those of a local :func:`ccmcore.compose` of the
same data, whatever the partitioning. Each part file is named by its first record: a
retried task writes the same file again, never a second copy.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa

from .arrow_values import strings, to_numpy
from .parts import MANIFEST_PART_SCHEMA, PartJob, compose_part
from .storage import PartStore
from .workers import DEFAULT_PART_SIZE

__all__ = ["compose_partition", "PARTITION_SCHEMA", "RECORD_COLUMN"]

#: the rows a partition returns: the part's manifest columns and the part file each record is in
PARTITION_SCHEMA = MANIFEST_PART_SCHEMA.append(pa.field("part_file", pa.string()))

#: the column the adapters number records in (dropped before composing)
RECORD_COLUMN = "__ccm_record"


def compose_partition(
    job: PartJob,
    batches: Iterable[pa.RecordBatch] | pa.RecordBatch | pa.Table,
    storage: str | os.PathLike,
    *,
    record0: int | None = None,
    record_column: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    storage_options: dict | None = None,
    print_files: bool = False,
) -> pa.Table:
    """Compose a partition's records into part files in ``storage``; its manifest rows.

    Args:
        job: the compiled job (:meth:`PartJob.compile`; picklable, so an engine ships it).
        batches: the partition's records: RecordBatches (an iterator is read once, a batch
            at a time), a RecordBatch or a Table, in the columns the job was compiled for.
        storage: a local folder or an fsspec URL (``s3://...``) for the part files.
        record0: the number of the partition's first record (its records follow in order).
        record_column: instead, an int64 column holding each record's number (runs of
            consecutive numbers; dropped before composing).
        part_size: records per part, as the local job's (the part boundaries of the job).
        storage_options: fsspec options for a URL.
        print_files: also write each part as a complete print file of its own
            (``part-RECORD0.pdf`` / ``.afp`` beside the part file), for a run that keeps one
            print file per partition rather than merging.

    Returns:
        an Arrow table in :data:`PARTITION_SCHEMA`: one row per record (rendered or
        rejected, pages, sheets, messages, warnings, index values) and its ``part_file``.

    Raises:
        ValueError: neither or both of ``record0`` and ``record_column``, or record numbers
            that are not whole numbers >= 0; an e-invoice job (written by :func:`compose`).
        OutputError: the storage cannot be written.
    """
    if job.program.einvoice is not None:
        raise ValueError(
            "the document is an e-invoice: it is written as one PDF/A-3 file per invoice by compose() "
            "(workers= uses every core); composing partitions for a merge would leave out the invoices' XML"
        )
    if (record0 is None) == (record_column is None):
        raise ValueError("give record0 (the partition's first record number) or record_column, not both")
    if isinstance(part_size, bool) or not isinstance(part_size, int) or part_size < 1:
        raise ValueError(f"part_size must be an int >= 1, got {part_size!r}")
    if isinstance(batches, (pa.RecordBatch, pa.Table)):
        batches = batches.to_batches() if isinstance(batches, pa.Table) else [batches]
    store = PartStore(storage, storage_options)
    description = job.description()
    rows = []
    for first, chunk in _parts(_numbered(batches, record0, record_column), part_size):
        part = compose_part(job, first // part_size, first, chunk)
        name = f"part-{first:012d}"
        where = store.write(part, name + ".ccmpart", description)
        if print_files and part.records > len({r.record for r in part.rejected}):
            _store_print_file(store, job, part, f"{name}.{job.format}")
        m = part.manifest
        rows.append(m.append_column("part_file", strings([where]).take(pa.array(np.zeros(m.num_rows, np.int64)))))
    if not rows:
        return PARTITION_SCHEMA.empty_table()
    return pa.concat_tables(rows)


def _store_print_file(store: PartStore, job: PartJob, part, name: str) -> None:
    """One part as a complete print file ``name``, its manifest beside it."""
    import pyarrow.parquet as pq

    made: list[pa.Table] = []
    store.write_with(name, lambda path: made.append(_print_file(job, part, path)))
    store.write_with(name + ".manifest.parquet", lambda path: pq.write_table(made[0], str(path), compression="zstd"))


def _print_file(job: PartJob, part, path) -> pa.Table:
    """One part as a complete print file; its manifest."""
    from .merge import Merger

    with open(path, "wb") as fh:
        merger = Merger(job, fh)
        try:
            merger.add(part)
            table = merger.close()
        except BaseException:
            merger.abort()
            raise
    return table


def _numbered(
    batches: Iterable[pa.RecordBatch], record0: int | None, column: str | None
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(first record, batch) for each run of consecutive records, the number column dropped."""
    if record0 is not None:
        if isinstance(record0, bool) or not isinstance(record0, (int, np.integer)) or record0 < 0:
            raise ValueError(f"record0 must be a whole number >= 0, got {record0!r}")
        r = int(record0)
        for b in batches:
            if b.num_rows:
                yield r, b
                r += b.num_rows
        return
    for b in batches:
        if not b.num_rows:
            continue
        if column not in b.schema.names:
            raise ValueError(f"record_column {column!r} is not a column of the partition's batches")
        numbers = to_numpy(b.column(column)).astype(np.int64, copy=False)
        if numbers.min() < 0:
            raise ValueError(f"record_column {column!r} holds a negative record number")
        b = b.drop_columns([column])
        breaks = np.flatnonzero(np.diff(numbers) != 1) + 1
        for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(numbers)]):
            yield int(numbers[lo]), b.slice(int(lo), int(hi - lo))


def _parts(runs: Iterator[tuple[int, pa.RecordBatch]], part_size: int) -> Iterator[tuple[int, list]]:
    """Runs of consecutive records cut at the job's part boundaries (multiples of part_size)
    and joined where they continue each other: (first record, batches) per part."""
    held: list[pa.RecordBatch] = []
    first = end = -1
    for r, b in runs:
        if held and r != end:
            yield first, held
            held = []
        while b.num_rows:
            if not held:
                first = end = r
            boundary = (r // part_size + 1) * part_size
            take = min(b.num_rows, boundary - r)
            held.append(b.slice(0, take) if take < b.num_rows else b)
            r += take
            end = r
            b = b.slice(take)
            if r == boundary:
                yield first, held
                held = []
    if held:
        yield first, held
