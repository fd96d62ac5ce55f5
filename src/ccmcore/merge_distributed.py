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
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from .arrow_values import map_first, to_numpy
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
from .parts import Part, PartJob
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
    order_by: str | list[str] | None = None,
    mail=None,
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
        order_by: write the documents in the order of these keys instead of record order
            (ties in record order): a manifest column (``key``, ``pages``, ``sheets``) or an
            index value the template tags documents with (a postcode for a presorted mailing).
            Every part is then held at once, through memory maps.
        mail: a :class:`ccmcore.post.MailPlan` (or its JSON file): a mail production of the
            parts instead of one print file (see :func:`ccmcore.compose`'s ``mail``);
            ``order_by`` does not go with it (the plan sorts).

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
    if mail is not None:
        if order_by:
            raise MergeError("order_by does not go with a mail plan: the plan's sort_by orders the pieces")
        return _merge_mail(rows, files, mail, output, format, document, manifest, title, storage_options, t0)
    keys = [order_by] if isinstance(order_by, str) else list(order_by or ())
    order = _sort_order(rows, keys) if keys else None
    out = check_output(output)
    from .job import _manifest_path

    manifest_path = _manifest_path(out, manifest)
    tmp = part_path(out)
    remove_stale_parts(out)
    state: dict = {}
    try:
        with open(tmp, "wb") as fh, tempfile.TemporaryDirectory(prefix="ccm-merge-") as copies:
            parts = _checked_parts(files, state, document, output, format, storage_options, copies if keys else None)
            merger = None
            try:
                for part in parts:
                    if merger is None:
                        merger = Merger(state["job"], fh, title=title)
                        state["report"] = JobReport(
                            output=str(out), format=state["job"].format, key=state["job"].key, workers=0
                        )
                    report = state["report"]
                    if order is None:
                        merger.add(part)
                        report.account(part, merger.pages, merger.job_sheets)
                    else:
                        state.setdefault("held", []).append(part)
                        report.account(part, 0, 0)
                report = state["report"]
                assert merger is not None
                if order is not None:
                    _merge_in_order(merger, state["held"], rows, order)
                    report.pages, report.sheets = merger.pages, merger.job_sheets
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
            state.pop("held", None)
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


def _merge_mail(rows, files, mail, output, format, document, manifest, title, storage_options, t0) -> JobReport:
    """A mail production of a distributed run's parts (held at once, memory-mapped)."""
    from .job import _mail_plan, _manifest_path
    from .post.mail import produce

    out = check_output(output)
    manifest_path = _manifest_path(out, manifest)
    state: dict = {}
    with tempfile.TemporaryDirectory(prefix="ccm-merge-") as copies:
        held = list(_checked_parts(files, state, document, output, format, storage_options, copies))
        job = state["job"]
        plan = _mail_plan(mail, job.program.doc_given)
        report = JobReport(output=str(out), format=job.format, key=job.key, workers=0)
        for part in held:
            report.account(part, 0, 0)
        report.parts = len(files)
        if report.documents == 0:
            raise EmptyJobError(
                f"no documents to write: all {report.records:,} records were rejected; no print file was written",
                report,
            )
        report.mail = produce(
            job,
            held,
            pa.concat_tables([p.manifest for p in held]),
            plan,
            out,
            report,
            title=title,
            part_files=[where for where, _, _ in files],
            storage_options=storage_options,
        )
        del held
    if manifest_path is not None:
        write_parquet_atomically(report.manifest, manifest_path)
        report.manifest_path = str(manifest_path)
    report.seconds = time.perf_counter() - t0
    return report


def _checked_parts(files, state: dict, document, output, format, storage_options, keep_in):
    """The part files in record order, each checked against the rows naming it and the
    first part's job (compiled into ``state["job"]``)."""
    for k, (where, first, count) in enumerate(files):
        part = _load(where, storage_options, keep_in)
        if part.job is None:
            raise MergeError(f"{where} is a part of a local job, not of a distributed run")
        if "job" not in state:
            state["description"] = part.job
            state["kind"] = type(part.pages)
            job = state["job"] = PartJob.from_description(part.job, document)
            fmt = output_format(output, format)
            if fmt != job.format:
                raise MergeError(f"the parts are {job.format.upper()} pages: name the output .{job.format}")
        elif part.job != state["description"] or type(part.pages) is not state["kind"]:
            raise MergeError(f"{where} was made by another job (template, data schema or options differ)")
        if (part.record0, part.records) != (first, count):
            raise MergeError(
                f"{where} holds records {part.record0}-{part.record0 + part.records - 1}, the manifest "
                f"rows name it for {first}-{first + count - 1}: it was rewritten by another run"
            )
        part.index = k
        yield part


#: documents per piece of a merge in a sort key's order
_SORTED_PIECE = 1000


def _sort_order(rows: pa.Table, keys: list[str]) -> np.ndarray:
    """The rendered records in the order of the sort keys (ties in record order): their
    numbers. A key is a column of the rows (``key``, ``pages`` ...) or an index value the
    template tags documents with."""
    import pyarrow.compute as pc

    rendered = rows.filter(pc.equal(rows.column("status"), "rendered"))
    columns = {"record": rendered.column("record")}
    index = rendered.column("index").combine_chunks()
    tags = set(index.keys.unique().to_pylist()) if rendered.num_rows else set()
    for i, k in enumerate(keys):
        if k in rendered.schema.names and k not in ("index", "part_file", "messages", "warnings"):
            columns[f"k{i}"] = rendered.column(k)
        elif k in tags:
            columns[f"k{i}"] = map_first(index, k)
        else:
            known = ", ".join(sorted(tags)) or "none"
            raise MergeError(
                f"cannot order by {k!r}: it is neither a manifest column (key, record, pages, sheets) nor an index "
                f"value of the documents (their index values: {known})"
            )
    table = pa.table(columns)
    by = [(f"k{i}", "ascending") for i in range(len(keys))] + [("record", "ascending")]
    return to_numpy(table.sort_by(by).column("record")).astype(np.int64)


def _merge_in_order(merger: Merger, parts: list, rows: pa.Table, order: np.ndarray) -> None:
    """Write the documents of ``parts`` in the order of the records ``order``, a piece at a
    time; the rejected records' rows come last in the manifest."""
    from .reorder import take_documents

    where: dict[int, tuple[int, int]] = {}
    for s, part in enumerate(parts):
        for d, record in enumerate(np.asarray(part.pages.records).tolist()):
            where[record] = (s, d)
    picks = np.array([where[r] for r in order.tolist()], dtype=np.int64).reshape(-1, 2)
    import pyarrow.compute as pc

    rejected = [p.manifest.filter(pc.equal(p.manifest.column("status"), "rejected")) for p in parts]
    n = len(picks)
    for k, at in enumerate(range(0, max(n, 1), _SORTED_PIECE)):
        pages, manifest, stamps = take_documents(parts, picks[at : at + _SORTED_PIECE])
        if at + _SORTED_PIECE >= n:
            manifest = pa.concat_tables([manifest, *rejected])
        merger.add(Part(k, 0, manifest.num_rows, pages, manifest, stamps=stamps))


def _load(where: str, storage_options, keep_in=None):
    try:
        return read_part(where, None, storage_options, keep_in)
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
