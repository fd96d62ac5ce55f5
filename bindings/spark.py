"""Compose a Spark DataFrame inside ``mapInArrow``, one set of part files per partition.

    from ccmcore.bindings.spark import compose

    df = spark.read.parquet("invoices.parquet")
    report = compose(document, df, "invoices.pdf", storage="/shared/run-7")

Each Spark task composes its partition with :func:`ccmcore.compose_partition`, writes the
part files to ``storage`` (a folder every executor and the driver see, or an fsspec URL)
and yields one manifest row per record back to Spark; :func:`compose` collects the rows
and merges the part files into one print file, byte-identical to a local
:func:`ccmcore.compose` of the same data in the same order.

Records are numbered in the DataFrame's order: partition by partition (Spark's partition
ids), row by row within each. A first Spark job counts each partition's rows; so that the
composing sees the very partitions counted (a range partitioning samples the data, and
samples differ between two runs of a plan), the DataFrame is persisted (memory and disk)
for the run, and :func:`compose` unpersists it at the end. For a presorted run (by
postcode, by customer), order the DataFrame first::

    df = df.repartitionByRange(64, "postcode").sortWithinPartitions("postcode", "customer_id")

Householding (every document of one recipient together, in one task) goes through
:func:`compose_grouped`, ``groupBy(...).applyInArrow`` (Spark 4): the groups are hashed
into buckets, each bucket is composed in one call with its groups' records consecutive,
and the merge joins the buckets.

A task Spark runs again (a lost executor, ``spark.task.maxFailures``) writes the same part
files again, and only the rows of the attempt that succeeded reach the driver, so every
record is in the print file exactly once.
"""

from __future__ import annotations

import os

import pyarrow as pa

from ..partitions import PARTITION_SCHEMA, compose_partition
from ..parts import PartJob
from ..workers import DEFAULT_PART_SIZE
from ._common import driver_job, finish, format_of

__all__ = ["compose", "compose_partitions", "compose_grouped", "ROWS_DDL"]

#: the rows each task yields, as Spark reads them (``PARTITION_SCHEMA`` in Spark's words)
ROWS_DDL = (
    "record BIGINT, key STRING, status STRING, field STRING, reason STRING, part INT, pages INT, sheets INT, "
    "messages ARRAY<STRING>, warnings ARRAY<STRING>, index MAP<STRING, STRING>, part_file STRING"
)


def _arrow_schema(df) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(df.schema)


def compose_partitions(
    document,
    df,
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
):
    """The manifest rows of every partition, as a (lazy) Spark DataFrame, and the job's records.

    Counting each partition's rows runs at once (one Spark job); composing runs when the
    returned DataFrame is collected or written. ``df`` is persisted (memory and disk) so
    both see the same partitions: ``df.unpersist()`` once the rows are written.

    Returns:
        (the rows' DataFrame in :data:`ROWS_DDL`, the number of records).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    description = driver_job(
        document, _arrow_schema(df), format, afp=afp, key=key, control_totals=control_totals, duplex=duplex
    )
    df.persist(StorageLevel.MEMORY_AND_DISK)
    counts = dict(df.groupBy(F.spark_partition_id().alias("p")).count().collect())
    offsets, total = {}, 0
    for p in range(df.rdd.getNumPartitions()):
        offsets[p] = total
        total += int(counts.get(p, 0))
    storage = os.fspath(storage)

    def compose_task(batches):
        from pyspark import TaskContext

        job = PartJob.from_description(description)
        schema = job.program.source_schema
        pid = TaskContext.get().partitionId()
        converted = (pa.Table.from_batches([b]).select(schema.names).cast(schema) for b in batches)
        rows = compose_partition(
            job,
            (b for t in converted for b in t.to_batches()),
            storage,
            record0=offsets[pid],
            part_size=part_size,
            print_files=print_files,
            storage_options=storage_options,
        )
        yield from rows.to_batches()

    return df.mapInArrow(compose_task, ROWS_DDL), total


def compose(
    document,
    df,
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
):
    """Compose every record of a Spark DataFrame; merge into ``output`` (None: no merge).

    Returns:
        the merged job's :class:`~ccmcore.JobReport` (``output`` given), or the manifest
        rows as an Arrow table (``output=None``: merge later with ``ccm merge``).
    """
    fmt = format_of(output, format)
    rows, records = compose_partitions(
        document,
        df,
        storage,
        format=fmt,
        part_size=part_size,
        key=key,
        control_totals=control_totals,
        afp=afp,
        duplex=duplex,
        print_files=print_files,
        storage_options=storage_options,
    )
    try:
        table = _collect(rows)
    finally:
        df.unpersist()
    return finish(table, output, fmt, records, manifest=manifest, title=title, storage_options=storage_options)


def _collect(rows) -> pa.Table:
    """The rows on the driver, as Arrow (without a detour through Python objects where Spark can)."""
    to_arrow = getattr(rows, "toArrow", None)  # Spark 4
    if to_arrow is not None:
        table = to_arrow()
    else:  # Spark 3.5: the batches its toPandas collects, before pandas
        table = pa.Table.from_batches(rows._collect_as_arrow(), schema=_arrow_schema(rows))
    return table.select(PARTITION_SCHEMA.names).cast(PARTITION_SCHEMA)


#: the column the groups' buckets are computed in (dropped before composing)
_BUCKET = "__ccm_bucket"


def compose_grouped(
    document,
    df,
    by,
    output: str | os.PathLike | None,
    *,
    storage: str | os.PathLike,
    within=(),
    buckets: int | None = None,
    format: str | None = None,
    part_size: int = DEFAULT_PART_SIZE,
    key: str | None = None,
    control_totals=(),
    afp=None,
    duplex: bool | None = None,
    manifest=None,
    title: str | None = None,
    storage_options: dict | None = None,
):
    """Compose with every group's records together (householding), through ``applyInArrow``.

    The groups (the rows sharing the values of the columns ``by``, such as a household or
    a customer) are hashed into ``buckets`` (default: the DataFrame's partitions); each
    bucket is composed in one call, sorted by ``by`` and then by ``within``, so a group's
    documents are consecutive in the print file. Records are numbered bucket by bucket in
    that order. One call per bucket, not per group, keeps the part files few: a million
    households make as many part files as a million records in partitions do.

    Returns:
        as :func:`compose`.

    Raises:
        BindingError: ``by`` or ``within`` names a column the data lacks.
        NotImplementedError: this Spark has no ``applyInArrow`` (before 4.0): sort the
            DataFrame by the group instead (``repartitionByRange`` + ``sortWithinPartitions``)
            and use :func:`compose`.
    """
    from pyspark.sql import functions as F

    from ..errors import BindingError

    by = [by] if isinstance(by, str) else list(by)
    within = [within] if isinstance(within, str) else list(within)
    for c in by + within:
        if c not in df.columns:
            raise BindingError(f"group column {c!r} is not a column of the data (columns: {', '.join(df.columns)})")
    grouped = df.groupBy(F.lit(0))
    if not hasattr(grouped, "applyInArrow"):
        raise NotImplementedError(
            "grouping needs Spark 4.0 or newer (applyInArrow); sort the DataFrame by the group instead: "
            "df.repartitionByRange(n, *by).sortWithinPartitions(*by), then compose()"
        )
    fmt = format_of(output, format)
    description = driver_job(
        document, _arrow_schema(df), fmt, afp=afp, key=key, control_totals=control_totals, duplex=duplex
    )
    n = buckets or df.rdd.getNumPartitions()
    bucketed = df.withColumn(_BUCKET, F.pmod(F.hash(*by), F.lit(n)))
    counts = dict(bucketed.groupBy(_BUCKET).count().collect())
    offsets, records = {}, 0
    for b in sorted(counts):
        offsets[b] = records
        records += int(counts[b])
    order = [(c, "ascending") for c in by + within]
    target = os.fspath(storage)

    def compose_bucket(group_key, table):  # no type hints: Spark reads them as a request for another form
        job = PartJob.from_description(description)
        schema = job.program.source_schema
        rows = table.sort_by(order).select(schema.names).cast(schema)
        return compose_partition(
            job,
            rows.to_batches(),
            target,
            record0=offsets[group_key[0].as_py()],
            part_size=part_size,
            storage_options=storage_options,
        )

    rows = bucketed.groupBy(_BUCKET).applyInArrow(compose_bucket, ROWS_DDL)
    table = _collect(rows)
    return finish(table, output, fmt, records, manifest=manifest, title=title, storage_options=storage_options)
