"""Compose a Dask DataFrame, partition by partition, into one print file.

    import dask.dataframe as dd
    from ccmcore.bindings.dask import compose

    ddf = dd.read_parquet("invoices.parquet", dtype_backend="pyarrow")
    report = compose(document, ddf, "invoices.pdf", storage="/shared/run-7")

Every partition is composed by :func:`ccmcore.compose_partition` inside a Dask task (on
the threaded, process or distributed scheduler), which writes its part files to
``storage`` and returns its manifest rows; :func:`compose` then merges them into the
print file (byte-identical to a local :func:`ccmcore.compose` of the same data) or, with
``output=None``, leaves the part files for ``ccm merge``. A task the distributed scheduler
runs again after a worker died writes the same part files again, so every record is in
the print file exactly once.

Read the data with Arrow-backed columns (``dtype_backend="pyarrow"``): NumPy-backed pandas
columns lose what the template may need (a date becomes a timestamp, a list of line items
an object column), and a partition whose columns do not convert to the job's schema is an
error naming the column.
"""

from __future__ import annotations

import os

import pyarrow as pa

from ..errors import BindingError
from ..partitions import compose_partition
from ..parts import PartJob
from ..workers import DEFAULT_PART_SIZE
from ._common import driver_job, finish, format_of, offsets_of, rows_from_pandas, rows_meta, rows_to_pandas

__all__ = ["compose", "compose_partitions", "schema_of"]


def schema_of(ddf) -> pa.Schema:
    """The Arrow schema of a Dask DataFrame's partitions (from its meta)."""
    return pa.Schema.from_pandas(ddf._meta, preserve_index=False).remove_metadata()


def compose_partitions(
    document,
    ddf,
    storage: str | os.PathLike,
    *,
    format: str = "pdf",
    part_size: int = DEFAULT_PART_SIZE,
    key: str | None = None,
    control_totals=(),
    afp=None,
    duplex: bool | None = None,
    print_files: bool = False,
    storage_options: dict | None = None,
    scheduler=None,
):
    """The manifest rows of every partition, as a lazy Dask DataFrame, and the job's records.

    Counting the partitions' records (to number them as a local job would) runs at once;
    composing runs when the returned frame is computed.

    Returns:
        (the rows' Dask DataFrame, the number of records).
    """
    schema = schema_of(ddf)
    description = driver_job(document, schema, format, afp=afp, key=key, control_totals=control_totals, duplex=duplex)
    lengths = ddf.map_partitions(len).compute(scheduler=scheduler)
    offsets = offsets_of(lengths)
    rows = ddf.map_partitions(
        _compose_one,
        description,
        offsets,
        os.fspath(storage),
        part_size,
        print_files,
        storage_options,
        meta=rows_meta(),
        enforce_metadata=False,
    )
    return rows, int(sum(int(n) for n in lengths))


def compose(
    document,
    ddf,
    output: str | os.PathLike | None,
    *,
    storage: str | os.PathLike,
    format: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    key: str | None = None,
    control_totals=(),
    afp=None,
    duplex: bool | None = None,
    manifest=None,
    title: str | None = None,
    print_files: bool = False,
    storage_options: dict | None = None,
    scheduler=None,
):
    """Compose every record of a Dask DataFrame; merge into ``output`` (None: no merge).

    Returns:
        the merged job's :class:`~ccmcore.JobReport` (``output`` given), or the manifest
        rows as an Arrow table (``output=None``: merge later with ``ccm merge``).
    """
    fmt = format_of(output, format)
    rows, records = compose_partitions(
        document,
        ddf,
        storage,
        format=fmt,
        part_size=part_size,
        key=key,
        control_totals=control_totals,
        afp=afp,
        duplex=duplex,
        print_files=print_files,
        storage_options=storage_options,
        scheduler=scheduler,
    )
    table = rows_from_pandas(rows.compute(scheduler=scheduler))
    return finish(table, output, fmt, records, manifest=manifest, title=title, storage_options=storage_options)


def _compose_one(frame, description, offsets, storage, part_size, print_files, storage_options, partition_info=None):
    """In a Dask task: compose one partition (its number from ``partition_info``)."""
    if partition_info is None or not len(frame):
        return rows_to_pandas(compose_partition_rows_empty())
    job = PartJob.from_description(description)
    schema = job.program.source_schema
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False).select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError) as exc:
        raise BindingError(
            f"a partition does not convert to the job's columns ({exc}): read the data with dtype_backend='pyarrow'"
        ) from None
    rows = compose_partition(
        job,
        table,
        storage,
        record0=offsets[partition_info["number"]],
        part_size=part_size,
        print_files=print_files,
        storage_options=storage_options,
    )
    return rows_to_pandas(rows)


def compose_partition_rows_empty() -> pa.Table:
    from ..partitions import PARTITION_SCHEMA

    return PARTITION_SCHEMA.empty_table()
