"""What the engine adapters share: the job compiled on the driver, rows to and from pandas."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..partitions import PARTITION_SCHEMA
from ..parts import PartJob

__all__ = ["driver_job", "offsets_of", "rows_to_pandas", "rows_from_pandas", "rows_meta", "format_of", "finish"]


def driver_job(document, schema: pa.Schema, format: str, *, afp=None, key=None, control_totals=(), duplex=None) -> dict:
    """Compile the document against the data's schema on the driver (a template or binding
    mistake is an error before any task runs); the job's description every task compiles
    from (see :meth:`PartJob.description`)."""
    if format not in ("pdf", "afp"):
        raise ValueError(f"format must be 'pdf' or 'afp', not {format!r}")
    job = PartJob.compile(document, schema, format, afp=afp, key=key, control_totals=control_totals, duplex=duplex)
    if format == "afp":
        job.encoder()  # AFP options are checked before anything runs
    return job.description()


def offsets_of(lengths) -> list[int]:
    """The number of each partition's first record, from the partitions' lengths."""
    lengths = np.asarray(list(lengths), dtype=np.int64)
    return np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64).tolist() if len(lengths) else []


def rows_meta():
    """An empty pandas frame of the rows a partition returns (Arrow-backed columns)."""
    return rows_to_pandas(PARTITION_SCHEMA.empty_table())


def rows_to_pandas(rows: pa.Table):
    import pandas as pd

    return rows.to_pandas(types_mapper=pd.ArrowDtype)


def rows_from_pandas(frame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False).cast(PARTITION_SCHEMA)


def format_of(output, format: str | None) -> str:
    """The job's format: as given, or from the output's name (PDF when nothing is merged)."""
    from ..output import output_format

    return format or (output_format(output, None) if output is not None else "pdf")


def finish(rows: pa.Table, output, fmt: str, records: int, *, manifest=None, title=None, storage_options=None):
    """The adapters' last step: the rows merged into ``output``, or the rows (``output`` None)."""
    from ..merge_distributed import merge_parts

    if output is None:
        return rows
    return merge_parts(
        rows, output, format=fmt, manifest=manifest, title=title, storage_options=storage_options, records=records
    )
