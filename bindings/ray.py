"""Compose a Ray Dataset with ``map_batches`` and a pool of actors, one compiled job per actor.

    import ray
    from ccmcore.bindings.ray import compose

    ds = ray.data.read_parquet("invoices.parquet")
    report = compose(document, ds, "invoices.pdf", storage="/shared/run-7", actors=8)

Each actor compiles the job once (its fonts, its kernel) and composes the batches Ray
hands it with :func:`ccmcore.compose_partition`, writing part files to ``storage`` (a
folder every node and the driver see, or an fsspec URL); the result is a Ray Dataset of
manifest rows. :func:`compose` merges them into one print file, byte-identical to a local
:func:`ccmcore.compose` of the same data.

Records are numbered in the Dataset's order: the blocks are materialized in the object
store (``Dataset.to_arrow_refs``), each block's rows are numbered after the blocks before
it, and the work handed to the actors is a block's rows cut at the job's part boundaries
with the number of their first record (so every actor has parts to compose, and an actor
reads its rows from the object store without a copy through the driver). An actor that dies (a lost
node, out of memory) is restarted and its batch run again (Ray Data's defaults for an
actor pool); the same part files are written again, and only the rows of the attempt
that succeeded are in the result.
"""

from __future__ import annotations

import os

import pyarrow as pa

from ..partitions import PARTITION_SCHEMA, compose_partition
from ..parts import PartJob
from ..workers import DEFAULT_PART_SIZE
from ._common import driver_job, finish, format_of, offsets_of

__all__ = ["compose", "compose_partitions", "Composer", "work_of"]


class Composer:
    """The callable class ``map_batches`` runs in each actor: the job compiled once, then one
    call per piece of work (a part's rows of one block of the data, and their first record)."""

    def __init__(self, description: dict, blocks: list, storage: str, part_size: int, print_files: bool, options=None):
        self.job = PartJob.from_description(description)
        self.schema = self.job.program.source_schema
        self.blocks = blocks  # references to the data's blocks in the object store
        self.storage = storage
        self.part_size = part_size
        self.print_files = print_files
        self.storage_options = options

    def __call__(self, work: pa.Table) -> pa.Table:
        import ray

        out = []
        for block, start, stop, first in zip(*(work.column(c).to_pylist() for c in _WORK)):
            rows = ray.get(self.blocks[block]).slice(start, stop - start)
            out.append(
                compose_partition(
                    self.job,
                    rows.select(self.schema.names).cast(self.schema).to_batches(),
                    self.storage,
                    record0=first,
                    part_size=self.part_size,
                    print_files=self.print_files,
                    storage_options=self.storage_options,
                )
            )
        return pa.concat_tables(out) if out else PARTITION_SCHEMA.empty_table()


#: a piece of work: rows start:stop of a block, whose first record is ``first``
_WORK = ("block", "start", "stop", "first")


def work_of(ds, part_size: int = DEFAULT_PART_SIZE) -> tuple[list, pa.Table, int]:
    """The Dataset's blocks in the object store, in order, and the work they make: each
    block's rows cut at the job's part boundaries and numbered after the blocks before it.

    Returns:
        (block references, a table of work (block, start, stop, first record), records).
    """
    import ray

    refs = ds.to_arrow_refs()
    counts = ray.get([_rows.remote(r) for r in refs])
    work: list[tuple[int, int, int, int]] = []
    for k, (first, n) in enumerate(zip(offsets_of(counts), counts)):
        start = 0
        while start < n:
            record = first + start
            stop = min(n, start + (record // part_size + 1) * part_size - record)
            work.append((k, start, stop, record))
            start = stop
    columns = list(zip(*work)) if work else [[] for _ in _WORK]
    table = pa.table({name: pa.array(col, pa.int64()) for name, col in zip(_WORK, columns)})
    return refs, table, int(sum(counts))


class _Lazy:
    """A Ray remote function made on first use (so importing this module needs no Ray)."""

    def __init__(self, fn):
        self.fn = fn
        self.made = None

    def remote(self, *args):
        if self.made is None:
            import ray

            self.made = ray.remote(num_cpus=0)(self.fn)
        return self.made.remote(*args)


def _count_rows(table: pa.Table) -> int:
    return table.num_rows


_rows = _Lazy(_count_rows)


def compose_partitions(
    document,
    ds,
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
    actors: int = 2,
):
    """The manifest rows of every record as a Ray Dataset, and the job's records.

    Args:
        actors: the size of the actor pool (each composes on one CPU).

    Returns:
        (the rows' Dataset, the number of records).
    """
    import ray.data

    description = driver_job(
        document, ds.schema().base_schema, format, afp=afp, key=key, control_totals=control_totals, duplex=duplex
    )
    blocks, work, records = work_of(ds, part_size)
    pieces = [work.slice(i, 1) for i in range(work.num_rows)] or [work]  # a block per piece of work
    rows = ray.data.from_arrow(pieces).map_batches(
        Composer,
        fn_constructor_kwargs={
            "description": description,
            "blocks": blocks,
            "storage": os.fspath(storage),
            "part_size": part_size,
            "print_files": print_files,
            "options": storage_options,
        },
        batch_format="pyarrow",
        batch_size=1,  # one part at a time, to whichever actor is free
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
    )
    return rows, records


def compose(
    document,
    ds,
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
    actors: int = 2,
):
    """Compose every record of a Ray Dataset; merge into ``output`` (None: no merge).

    Returns:
        the merged job's :class:`~ccmcore.JobReport` (``output`` given), or the manifest
        rows as an Arrow table (``output=None``: merge later with ``ccm merge``).
    """
    fmt = format_of(output, format)
    rows, records = compose_partitions(
        document,
        ds,
        storage,
        format=fmt,
        part_size=part_size,
        key=key,
        control_totals=control_totals,
        afp=afp,
        duplex=duplex,
        print_files=print_files,
        storage_options=storage_options,
        actors=actors,
    )
    import ray

    got = ray.get(rows.to_arrow_refs())
    table = pa.concat_tables([t.select(PARTITION_SCHEMA.names).cast(PARTITION_SCHEMA) for t in got])
    return finish(table, output, fmt, records, manifest=manifest, title=title, storage_options=storage_options)
