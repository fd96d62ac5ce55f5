"""Join the part files of a distributed run into one print file: ``ccm merge``.

    report = merge_parts(["run-7/manifest.parquet"], "invoices.pdf")

The partitions of a Ray, Spark or Dask run (:func:`ccmcore.compose_partition`) leave part
files in storage and return manifest rows; this reads the rows (Parquet files, folders
of them, or Arrow tables), checks that every record of the job is there exactly once,
and merges the part files in record order, as a local job merges its own: fonts subset
once over the whole job, images and overlays stored once, the AFP resource group first,
every offset and checksum in the merged manifest taken from the file written. The result
is byte-identical to a local :func:`ccmcore.compose` of the same data, and ``ccm
reconcile`` checks it the same way.

The job (template, schema, options) comes from the part files themselves; ``document=``
(``--template``) compiles another definition of the same document instead, for a merge
on a machine where the template lives elsewhere.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from .arrow_values import to_numpy
from .errors import CcmError, EmptyJobError
from .merge import Merger
from .output import (
    check_output,
    output_error,
    output_format,
    part_path,
    publish,
    remove_part,
    remove_stale_parts,
    write_parquet_atomically,
)
from .partfile import PartFileError
from .partitions import PARTITION_SCHEMA
from .parts import PartJob
from .report import JobReport
from .storage import read_part

__all__ = ["merge_parts", "MergeError"]


class MergeError(CcmError, ValueError):
    """The manifests or part files of a distributed run do not make one whole job."""


def merge_parts(
    manifests,
    output: str | os.PathLike,
    *,
    format: str | None = None,
    document=None,
    manifest: str | os.PathLike | bool | None = None,
    title: str | None = None,
    storage_options: dict | None = None,
    records: int | None = None,
) -> JobReport:
    """Merge the part files a distributed run's manifest rows name into one print file.

    Args:
        manifests: the rows the partitions returned: a Parquet file or a folder of them
            (local or an fsspec URL), an Arrow Table, or a list of these.
        output: the print file to write (its format is the job's; the extension must agree).
        format: "pdf" or "afp" for an output name without that extension.
        document: compile this document instead of the one the part files name.
        manifest: where to write the merged manifest (None: ``OUTPUT.manifest.parquet``,
            False: nowhere; it is in ``report.manifest`` either way).
        title: the PDF's title.
        storage_options: fsspec options for URLs.
        records: how many records the job has (checked: rows missing at the end are
            otherwise invisible); the adapters pass the count they made.

    Returns:
        the :class:`JobReport` of the merged job, with its manifest.

    Raises:
        MergeError: a record is missing or in two partitions, a part file is not the one
            the rows name, or the parts belong to different jobs.
        OutputError: the output cannot be written (nothing is left at its path).
    """
    t0 = time.perf_counter()
    rows = _read_manifests(manifests, storage_options)
    files = _part_files(rows, records)
    out = check_output(output)
    from .job import _manifest_path

    manifest_path = _manifest_path(out, manifest)
    report: JobReport | None = None
    tmp = part_path(out)
    remove_stale_parts(out)
    job: PartJob | None = None
    description = None
    first_pages = None
    try:
        with open(tmp, "wb") as fh:
            merger = None
            try:
                for k, (where, first, count) in enumerate(files):
                    part = _load(where, storage_options)
                    if part.job is None:
                        raise MergeError(f"{where} is a part of a local job, not of a distributed run")
                    if job is None:
                        description = part.job
                        job = PartJob.from_description(description, document)
                        fmt = output_format(output, format)
                        if fmt != job.format:
                            raise MergeError(f"the parts are {job.format.upper()} pages: name the output .{job.format}")
                        merger = Merger(job, fh, title=title)
                        first_pages = part.pages
                        report = JobReport(output=str(out), format=job.format, key=job.key, workers=0)
                    elif part.job != description or type(part.pages) is not type(first_pages):
                        raise MergeError(f"{where} was made by another job (template, data schema or options differ)")
                    if (part.record0, part.records) != (first, count):
                        raise MergeError(
                            f"{where} holds records {part.record0}-{part.record0 + part.records - 1}, the manifest "
                            f"rows name it for {first}-{first + count - 1}: it was rewritten by another run"
                        )
                    part.index = k
                    assert merger is not None and report is not None
                    merger.add(part)
                    report.account(part, merger.pages, merger.job_sheets)
                assert merger is not None and report is not None
                report.parts = len(files)
                if report.documents == 0:
                    raise EmptyJobError(
                        f"no documents to write: all {report.records:,} records were rejected; "
                        "no print file was written",
                        report,
                    )
                table = merger.close()
            except BaseException:
                if merger is not None:
                    merger.abort()
                raise
        report.manifest = table
        if manifest_path is not None:
            write_parquet_atomically(table, manifest_path)
            report.manifest_path = str(manifest_path)
        publish(tmp, out)
    except BaseException as exc:
        remove_part(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, CcmError):
            raise output_error(out, exc) from None
        raise
    report.seconds = time.perf_counter() - t0
    return report


def _load(where: str, storage_options):
    try:
        return read_part(where, None, storage_options)
    except FileNotFoundError:
        raise MergeError(f"the part file {where} is missing: run the partition again") from None
    except PartFileError as exc:
        raise MergeError(f"the part file {where} is damaged ({exc}): run the partition again") from None


def _read_manifests(manifests, storage_options) -> pa.Table:
    """The partitions' rows, from tables or Parquet files and folders."""
    if isinstance(manifests, (pa.Table, str, os.PathLike)):
        manifests = [manifests]
    tables = []
    for m in manifests:
        if isinstance(m, pa.Table):
            t = m
        else:
            import pyarrow.parquet as pq

            source = os.fspath(m)
            fs = None
            if "://" in source and not source.startswith("file://"):
                import fsspec

                fs, source = fsspec.core.url_to_fs(source, **(storage_options or {}))
            elif not Path(source).exists():
                raise MergeError(f"the manifest {source} does not exist")
            try:
                t = pq.read_table(source, filesystem=fs)
            except (OSError, pa.ArrowInvalid) as exc:
                raise MergeError(f"cannot read the manifest {source}: {exc}") from None
        missing = [f.name for f in PARTITION_SCHEMA if f.name not in t.schema.names]
        if missing:
            raise MergeError(
                f"a manifest lacks the columns {', '.join(missing)}: give the rows the partitions returned"
            )
        tables.append(t.select(PARTITION_SCHEMA.names).cast(PARTITION_SCHEMA))
    if not tables:
        raise MergeError("no manifest given")
    return pa.concat_tables(tables)


def _part_files(rows: pa.Table, records: int | None) -> list[tuple[str, int, int]]:
    """(part file, first record, records) in record order, once every record of the job
    is found exactly once."""
    if rows.num_rows == 0:
        raise MergeError("the manifests hold no record")
    record = to_numpy(rows.column("record")).astype(np.int64)
    order = np.argsort(record, kind="stable")
    rec = record[order]
    files = np.asarray(rows.column("part_file").to_pylist(), dtype=object)[order]
    if rec[0] != 0:
        raise MergeError(f"records 0-{rec[0] - 1} are in no manifest: a partition's rows are missing")
    step = np.diff(rec)
    dup = np.flatnonzero(step == 0)
    if len(dup):
        i = int(dup[0])
        raise MergeError(
            f"record {rec[i]} is in the manifests twice ({files[i]}, {files[i + 1]}): give each partition's rows once"
        )
    if records is not None and rec[-1] != records - 1:
        raise MergeError(
            f"the manifests hold records up to {rec[-1]}, the job has {records:,}: "
            + ("a partition's rows are missing" if rec[-1] < records - 1 else "they are of another job")
        )
    gap = np.flatnonzero(step > 1)
    if len(gap):
        i = int(gap[0])
        raise MergeError(f"records {rec[i] + 1}-{rec[i + 1] - 1} are in no manifest: a partition's rows are missing")
    out: list[tuple[str, int, int]] = []
    starts = np.r_[0, np.flatnonzero(files[1:] != files[:-1]) + 1]
    ends = np.r_[starts[1:], len(files)]
    seen: set[str] = set()
    for a, b in zip(starts.tolist(), ends.tolist()):
        name = str(files[a])
        if name in seen:
            raise MergeError(f"the part file {name} is named for records that are not consecutive")
        seen.add(name)
        out.append((name, int(rec[a]), b - a))
    return out
