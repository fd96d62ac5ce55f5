"""Run a composition job: data in, a finished print file out, and a report of every record.

    report = compose(document, "invoices.parquet", "invoices.pdf")
    print(report.summary())

The template is checked against the data's schema before the output file is created; the
output is written under a temporary name and renamed only when complete, so an interrupted
job never leaves a file that looks finished. Every input record ends up either rendered or
listed in ``report.rejected`` with its record number, field and reason (and its value in a
key column the caller names: ``compose(..., key="customer_id")``).

The output format follows the file's extension (``.pdf``, ``.afp``); ``format=`` names it
for other names, and a format that contradicts the extension is an error. The output is
checked before anything is composed (directory, permissions, name length) and every
failure to write it is an :class:`~ccmcore.errors.OutputError` of one line; nothing is
left at the output path, not even the temporary part. Parts left by jobs that were killed
outright are removed by the next job writing the same output (see ``ccmcore.output``).

``compose(..., max_rejected=N)`` fails a job with more than N rejected records:
:class:`~ccmcore.errors.RejectionLimitError` (carrying the report so far) is raised at the
batch where the limit is passed, and no print file is written.

A job with no document to write (no records, or every record rejected) writes no print
file at all: a PDF or AFP file without pages is one readers and print servers refuse.
:func:`compose` raises :class:`~ccmcore.errors.EmptyJobError` carrying the report (with
the rejections), and ``ccm compose`` says so in one line and exits with status 3.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from .barcode_layout import JobSheets, add_barcodes
from .details import nest_details
from .display import DisplayList, rebuild
from .errors import BindingError, CcmError, EmptyJobError, OutputError, RejectionLimitError
from .output import (
    FORMATS,
    check_not_an_input,
    check_output,
    output_error,
    output_format,
    part_path,
    remove_part,
    remove_stale_parts,
    write_text_atomically,
)
from .program import (
    R_TEXT_OVERFLOW,
    W_OVERLONG_WORD,
    W_ROW_SPLIT,
    W_TEXT_CUT,
    W_TEXT_SHRUNK,
    Program,
    Rejection,
)
from .resources import home_of, relative_to, remember_home
from .sources import check_declared, open_source
from .template import Document, columns_read_as_values

__all__ = ["compose", "layout", "JobReport", "Warning_", "FORMATS"]


@dataclass
class Warning_:
    """Something rendered, but not as the template intended (an overlong word broken, ...)."""

    record: int
    element: str
    message: str

    def __str__(self) -> str:
        return f"record {self.record}, {self.element}: {self.message}"


@dataclass
class JobReport:
    """What a job did.

    Attributes:
        output: path of the finished file.
        format: "pdf" or "afp".
        records: records read.
        documents: documents rendered.
        pages: pages written.
        seconds: wall time of the job.
        rejected: why records were left out, sorted by record number: one entry per
            reason, so a record with two bad fields has two (see :attr:`rejected_records`
            and :meth:`rejections_by_record`), each with the record's key when the job
            has a key column.
        warnings: rendered records with something worth a look.
        messages: (record, message name) for every message placed.
        key: the key column naming records in rejections (None: record numbers only).
        unmatched_details: detail records (``compose(details=...)``) whose key matched no
            record: left out, counted here.
        unmatched_keys: the keys of the first of them (at most 20, in the order read).
    """

    output: str
    format: str
    records: int = 0
    documents: int = 0
    pages: int = 0
    seconds: float = 0.0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    messages: list[tuple[int, str]] = field(default_factory=list)
    key: str | None = None
    unmatched_details: int = 0
    unmatched_keys: list = field(default_factory=list)

    @property
    def rejected_records(self) -> int:
        """How many records were rejected (a record with several reasons counts once)."""
        return len({r.record for r in self.rejected})

    def rejections_by_record(self) -> list[tuple[int, str | None, list[Rejection]]]:
        """(record, key, its rejections) for each rejected record, in record order."""
        out: list[tuple[int, str | None, list[Rejection]]] = []
        for r in sorted(self.rejected, key=lambda r: r.record):
            if out and out[-1][0] == r.record:
                if r not in out[-1][2]:
                    out[-1][2].append(r)
            else:
                out.append((r.record, r.key, [r]))
        return out

    def message_counts(self) -> dict[str, int]:
        """How many documents got each message."""
        counts: dict[str, int] = {}
        for _, name in self.messages:
            counts[name] = counts.get(name, 0) + 1
        return counts

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One line: documents, pages, time, throughput, rejections."""
        line = (
            f"{self.documents} documents, {self.pages} pages in {self.seconds:.2f} s "
            f"({self.pages_per_second:,.0f} pages/s) -> {self.output}"
        )
        if self.rejected:
            n = self.rejected_records
            line += f"; {n} record{'s' if n != 1 else ''} rejected"
        if self.warnings:
            line += f"; {len(self.warnings)} warnings"
        if self.unmatched_details:
            n = self.unmatched_details
            line += f"; {n} detail record{'s' if n != 1 else ''} matched no record"
        return line

    def to_dict(self) -> dict:
        return {
            "output": self.output,
            "format": self.format,
            "records": self.records,
            "documents": self.documents,
            "pages": self.pages,
            "seconds": round(self.seconds, 3),
            "key": self.key,
            "rejected_records": self.rejected_records,
            "unmatched_details": self.unmatched_details,
            "unmatched_keys": self.unmatched_keys,
            "rejected": [vars(r) for r in sorted(self.rejected, key=lambda r: r.record)],
            "warnings": [vars(w) for w in self.warnings],
            "messages": {
                "counts": self.message_counts(),
                "placed": [{"record": r, "message": m} for r, m in self.messages],
            },
        }

    def write_json(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_dict` as JSON, whole or not at all (through a part file and a rename).

        Raises:
            OutputError: the file cannot be written (one line naming it and the cause).
        """
        write_text_atomically(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", "the report ")


def _warning_text(code: int, detail: int) -> str:
    if code == W_OVERLONG_WORD:
        return "a word wider than its line was broken between characters"
    if code == W_ROW_SPLIT:
        return "a table row taller than a page was split across pages"
    if code == W_TEXT_SHRUNK:
        return f"the text was set at {detail / 1000:g}pt to fit its box"
    if code == W_TEXT_CUT:
        return f"the text needed {detail} lines; it was cut to fit its box (ending in '…')"
    return f"layout warning {code} ({detail})"


def _rejection_text(program: Program, element: int, code: int, detail: int) -> str:
    if code == R_TEXT_OVERFLOW:
        fields = program.text_fields.get(element)
        shown = f" (fields: {fields})" if fields else ""
        return (
            f"the text{shown} needs {detail} lines, more than its box holds; give the Text a larger box "
            "or overflow='cut' or 'shrink'"
        )
    return f"layout rejection {code} ({detail})"


def _nothing_to_write(report: JobReport) -> str:
    if report.records == 0:
        return "no documents to write: the data has no records; no print file was written"
    return f"no documents to write: all {report.records:,} records were rejected; no print file was written"


def _writer(format: str, fh, *, title, afp):
    """The device backend for a format (imported on demand: a PDF job never loads AFP code)."""
    if format == "afp":
        from .afp import AfpWriter

        return AfpWriter(fh, options=afp)
    if afp is not None:
        raise ValueError("afp options were given for a PDF job")
    from .pdf import PdfWriter

    return PdfWriter(fh, title=title)


def layout(
    document: Document,
    data,
    *,
    batch_size: int = 1024,
    columns=None,
    duplex: bool | None = None,
    schema=None,
    details=None,
    join: str | None = None,
    items: str = "items",
):
    """Lay out documents without writing a device file: yields (DisplayList, Bound, records) per batch.

    For tests, previews and custom backends. Takes the data as :func:`compose` does and
    raises what it raises.
    """
    document = with_duplex(document, duplex)
    source = open_data(
        document, data, batch_size=batch_size, columns=columns, schema=schema, details=details, join=join, items=items
    )
    with relative_to(home_of(document)):
        program = Program(document, source.schema)
    for dl, bound, batch in _batches(program, source):
        yield dl, bound, batch.num_rows


def open_data(
    document: Document, data, *, batch_size: int, columns=None, schema=None, details=None, join=None, items="items"
):
    """The job's records: ``data`` opened for the document (a CSV file keeps as text what
    the document does not read as a number or a date), with ``details`` nested into it by
    ``join`` when the line items come as a source of their own."""
    values = columns_read_as_values(document)
    if details is None:
        if join is not None:
            raise ValueError("join= names the key of a detail source: give details= too")
        return open_source(data, batch_size=batch_size, columns=columns, schema=schema, infer=values)
    if not isinstance(join, str) or not join:
        raise ValueError("details= needs join=, the key column the header and detail records share")
    headers = open_source(
        data, batch_size=batch_size, columns=columns, schema=schema, infer=values, partial_schema=True
    )
    prefix = f"{items}."
    item_values = {name[len(prefix) :] for name in values if name.startswith(prefix)}
    opened = [headers]
    try:
        lines = open_source(
            details, batch_size=batch_size, schema=schema, infer=item_values | ({join} & values), partial_schema=True
        )
        opened.append(lines)
        check_declared(schema, opened)
        return nest_details(headers, lines, join, items)
    except BaseException:
        for source in opened:
            source.close()
        raise


def with_duplex(document: Document, duplex: bool | None) -> Document:
    """The document with its duplex setting overridden (None: as it is)."""
    if duplex is None or bool(duplex) == document.duplex:
        return document
    if not isinstance(duplex, bool):
        raise ValueError(f"duplex must be True, False or None, not {duplex!r}")
    changed = replace(document, duplex=duplex)
    home = home_of(document)
    if home is not None:
        remember_home(changed, home)
    return changed


def _batches(program: Program, source):
    record0 = 0
    sheets = JobSheets()
    for batch in source:
        bound = program.bind(batch, record0)
        res = program.kernel.layout(
            bound.sources, bound.lists, bound.masks, bound.pool, bound.reject, record0, bound.sums
        )
        rows = (res["docs"][:, 0] - record0).tolist()
        warnings = res["warnings"]
        if len(warnings) > 1:  # a fixed text repeated on every page warns once per document
            _, first = np.unique(warnings, axis=0, return_index=True)
            warnings = warnings[np.sort(first)]
        rejects = warnings[:, 2] >= R_TEXT_OVERFLOW
        if rejects.any():  # documents the kernel left out while writing their pages
            bound.rejections.extend(
                Rejection(record0 + int(doc), program.labels[element], _rejection_text(program, element, code, detail))
                for doc, element, code, detail in warnings[rejects].tolist()
            )
            warnings = warnings[~rejects]
        dl = DisplayList.from_layout(
            res,
            fonts=program.fonts,
            templates=program.template_names,
            medium_maps=program.medium_maps,
            warnings=warnings,
            tags={tag: [values[r] for r in rows] for tag, values in bound.tags.items()},
            images=program.images,
            overlays=program.overlays,
        )
        dl.messages = [(record0 + int(d), program.message_names[int(m)]) for d, m in res["messages"]]
        dl, rejected = add_barcodes(dl, program, bound, record0, sheets)
        bound.rejections.extend(rejected)
        yield dl, bound, batch
        record0 += batch.num_rows


def _key_column(key: str | None, schema: pa.Schema) -> str | None:
    """Check the key column naming rejected records: one value per record, in the data."""
    if key is None:
        return None
    if not isinstance(key, str):
        raise TypeError(f"key must be a column name (str), got {type(key).__name__}")
    if key not in schema.names:
        raise BindingError(
            f"key column {key!r} is not a column of the data (columns: {', '.join(schema.names)})", column=key
        )
    if pa.types.is_nested(schema.field(key).type):
        raise BindingError(
            f"key column {key!r} holds {schema.field(key).type}: it needs one value per record "
            "(a string or number column)",
            column=key,
        )
    return key


def _name_rejections(rejections: list[Rejection], batch: pa.RecordBatch, record0: int, key: str | None) -> list:
    """The batch's rejections in record order, each named by its key (only rejected rows are read)."""
    rejections = sorted(rejections, key=lambda r: r.record)
    if key is not None and rejections:
        column = batch.column(key)
        for r in rejections:
            value = column[r.record - record0].as_py()
            r.key = None if value is None else str(value)
    return rejections


def _too_many(report: JobReport, most: int, last: int) -> str:
    n = report.rejected_records
    return (
        f"more than {most:,} record{'s' if most != 1 else ''} rejected ({n:,} by record {last}): the job was stopped "
        "and no print file was written"
    )


def compose(
    document: Document,
    data,
    output: str | os.PathLike,
    *,
    format: str | None = None,
    batch_size: int = 1024,
    progress: Callable[[int, int, int | None], None] | None = None,
    title: str | None = None,
    afp=None,
    key: str | None = None,
    max_rejected: int | None = None,
    duplex: bool | None = None,
    schema=None,
    details=None,
    join: str | None = None,
    items: str = "items",
) -> JobReport:
    """Compose every record of data into one output file.

    Args:
        document: the document definition.
        data: any Arrow source: a pyarrow Table/RecordBatch/RecordBatchReader/Dataset, a
            Parquet, Arrow IPC or CSV path, or an object with ``__arrow_c_stream__``
            (polars, DuckDB, ...).
        output: the file to write.
        format: "pdf" or "afp" (MO:DCA-P print file); None (the default) takes it from
            the output's extension (``.pdf``, ``.afp``). A format that contradicts the
            extension is an error; for other names it must be given.
        batch_size: records per batch (memory grows with it, not with the job).
        progress: called after each batch with (records done, pages done, total records or None).
        title: document title for the file's metadata (PDF).
        afp: :class:`ccmcore.afp.AfpOptions` for AFP output (form definition,
            printer-resident coded fonts); None for the defaults.
        key: a column naming each rejected record in the report (``Rejection.key``),
            beside its record number: a customer or account number.
        max_rejected: fail the job when more than this many records are rejected
            (None: no limit; 0: any rejection fails it). No print file is written then.
        duplex: print on both sides (True) or one (False), whatever the document says;
            None: as ``Document.duplex``. The one duplex setting for every format: layout
            gives an odd document a blank back, so the file's pages, the report's page
            count, ``{sheet}`` and the OMR marks all count it.
        schema: declared column types, a dict of column -> type name (``"string"``,
            ``"int64"``, ``"decimal(12,2)"``, ``"date32"``, ``"timestamp[s]"``) or a pyarrow
            Schema; for a CSV file they are how it is read. Without them a CSV column is
            read as text, exactly as written (``01067`` stays ``01067``), unless the
            document reads it as a number or a date (a number, money or date format, a
            rule comparing it with a number or a date, a table's carry): those are
            inferred. An empty CSV field is a null. With ``details`` the schema holds
            the columns of both sources; a declared column neither has is an error.
        details: line items as a source of their own (any kind ``data`` can be), nested
            into each record's list column ``items`` by the key column ``join``; both
            sources sorted by the key (see :mod:`ccmcore.details`). Detail records no
            header claims are left out, counted in ``report.unmatched_details`` and
            named in ``report.unmatched_keys``.
        join: the key column the records and their details share.
        items: the list column the details go into (a Table's ``source``).

    Returns:
        a :class:`JobReport`.

    Raises:
        BindingError: the template (or the key column) does not fit the data (nothing is written).
        EmptyJobError: no document to write, because the data has no records or every record
            was rejected (nothing is written; ``error.report`` lists the rejections).
        RejectionLimitError: more than ``max_rejected`` records were rejected (nothing is
            written; ``error.report`` lists the rejections so far).
        OutputError: the output cannot be written (a missing or read-only directory, a
            full disk, a name too long, the output is the data file ...); nothing is left
            at the output path. Checked before anything is composed where it can be.
        SourceError: the data cannot be read (in the middle of a CSV file: the message
            names the file and the line; nothing is written).
        ValueError: an unknown format, or one the output's name contradicts.
    """
    if max_rejected is not None and (
        isinstance(max_rejected, bool) or not isinstance(max_rejected, int) or max_rejected < 0
    ):
        raise ValueError(f"max_rejected must be an int >= 0 or None, got {max_rejected!r}")
    out = check_output(output)
    format = output_format(output, format)
    overwritten = check_not_an_input(out, {"the data file": data})
    if overwritten:
        raise OutputError(f"the output {out} is {overwritten}: write the output elsewhere")
    t0 = time.perf_counter()
    document = with_duplex(document, duplex)
    with relative_to(home_of(document)):  # pictures and fonts beside the template file it came from
        source = open_data(
            document, data, batch_size=batch_size, schema=schema, details=details, join=join, items=items
        )
        program = Program(document, source.schema)  # every binding check happens here
        key = _key_column(key, source.schema)
        report = JobReport(output=str(out), format=format, key=key)
        try:
            _write(program, source, out, report, format, title, afp, key, max_rejected, progress)
        finally:  # also in the report an EmptyJobError or RejectionLimitError carries
            report.unmatched_details, report.unmatched_keys = source.unmatched_details, source.unmatched_keys
    report.seconds = time.perf_counter() - t0
    return report


def _write(program, source, out: Path, report: JobReport, format, title, afp, key, max_rejected, progress) -> None:
    """Compose the batches into a part file and rename it to ``out`` when complete."""
    total = getattr(source, "num_rows", None)
    remove_stale_parts(out)
    tmp = part_path(out)
    t0 = time.perf_counter()
    rejected_records = 0
    try:
        with open(tmp, "wb") as fh, _writer(format, fh, title=title, afp=afp) as writer:
            for dl, bound, batch in _batches(program, source):
                if format == "afp":
                    # a character a printer-resident coded font cannot show rejects its record
                    bad = writer.unencodable(dl)
                    if bad:
                        bound.rejections.extend(
                            Rejection(int(dl.docs[d][0]), "text", msg) for d, msg in sorted(bad.items())
                        )
                        dl = rebuild(dl, None, set(bad))
                writer.write(dl)
                record0 = report.records
                report.records += batch.num_rows
                report.documents += dl.doc_count
                report.pages += dl.page_count
                named = _name_rejections(bound.rejections, batch, record0, key)
                report.rejected.extend(named)
                rejected_records += len({r.record for r in named})  # batches hold disjoint records
                report.messages.extend(dl.messages)
                for doc, element, code, detail in dl.warnings.tolist():
                    # the kernel numbers documents by their row in the batch
                    report.warnings.append(
                        Warning_(record0 + doc, program.labels[element], _warning_text(code, detail))
                    )
                if max_rejected is not None and rejected_records > max_rejected:
                    report.seconds = time.perf_counter() - t0
                    raise RejectionLimitError(_too_many(report, max_rejected, report.rejected[-1].record), report)
                if progress is not None:
                    progress(report.records, report.pages, total)
            if report.documents == 0:
                report.seconds = time.perf_counter() - t0
                raise EmptyJobError(_nothing_to_write(report), report)
        os.replace(tmp, out)
    except BaseException as exc:
        remove_part(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, CcmError):
            # the data is read through SourceError and fonts through FontError: an
            # operating-system error left here is the output's (full disk, quota, ...)
            raise output_error(out, exc) from exc
        raise
