"""Run a composition job: data in, a finished print file out, a manifest of every record.

    report = compose(document, "invoices.parquet", "invoices.pdf", workers=2)
    print(report.summary())

The template is checked against the data's schema before the output file is created. The
records are cut into parts of ``part_size`` records; each part is composed (by this
process, or by ``workers`` processes at once) into a part file in the job's work
directory, and the parts are merged in record order into the print file, which is
byte-identical for any number of workers (see :mod:`ccmcore.parts` and
:mod:`ccmcore.merge`). The print file is written under a temporary name and renamed
only when complete, so an interrupted job never leaves a file that looks finished; the
parts it finished stay in the work directory, and ``resume=True`` (``ccm compose
--resume``) goes on from them.

Every input record ends up either rendered or rejected, with its record number, field and
reason (and its value in a key column the caller names: ``compose(..., key="customer_id")``)
in ``report.rejected`` and in the manifest: one row per record with its status, part,
first page, pages, sheets, byte range in the print file and the CRC-32 of its bytes. The
manifest is written as Parquet beside the output (``OUTPUT.manifest.parquet``) and
returned as ``report.manifest``; ``ccm reconcile`` checks a print file against it.

The output format follows the file's extension (``.pdf``, ``.afp``); ``format=`` names it
for other names, and a format that contradicts the extension is an error. The output is
checked before anything is composed (directory, permissions, name length) and every
failure to write it is an :class:`~ccmcore.errors.OutputError` of one line; nothing is
left at the output path, not even the temporary part. Parts left by jobs that were killed
outright are removed by the next job writing the same output (see ``ccmcore.output``).

``compose(..., max_rejected=N)`` fails a job with more than N rejected records:
:class:`~ccmcore.errors.RejectionLimitError` (carrying the report so far) is raised at the
part where the limit is passed, and no print file is written.

A job with no document to write (no records, or every record rejected) writes no print
file at all: a PDF or AFP file without pages is one readers and print servers refuse.
:func:`compose` raises :class:`~ccmcore.errors.EmptyJobError` carrying the report (with
the rejections), and ``ccm compose`` says so in one line and exits with status 3.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from . import parts
from .barcode_layout import JobSheets
from .details import nest_details
from .errors import BindingError, CcmError, EmptyJobError, OutputError, RejectionLimitError
from .merge import Merger
from .output import (
    FORMATS,
    check_not_an_input,
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
from .parts import Part, PartJob, lay_out, load_part, save_part
from .program import Program
from .report import JobReport, Warning_
from .resources import home_of, relative_to, remember_home
from .restart import fingerprint, kept_message, work_dir_of
from .sources import check_declared, open_source
from .template import Document, columns_read_as_values
from .workers import DEFAULT_PART_SIZE, WorkerError, WorkerPool, can_fork, read_batches, write_batches

__all__ = ["compose", "layout", "JobReport", "Warning_", "FORMATS", "DEFAULT_PART_SIZE"]


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
    raises what it raises. Every barcode is drawn (the batches come in order, so the
    sheet's number in the job is known).
    """
    document = with_duplex(document, duplex)
    source = open_data(
        document, data, batch_size=batch_size, columns=columns, schema=schema, details=details, join=join, items=items
    )
    with relative_to(home_of(document)):
        program = Program(document, source.schema)
    sheets = JobSheets()
    record0 = 0
    for batch in source:
        dl, bound, _ = lay_out(program, batch, record0, sheets)
        yield dl, bound, batch.num_rows
        record0 += batch.num_rows


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


def _too_many(report: JobReport, most: int, last: int) -> str:
    n = report.rejected_records
    return (
        f"more than {most:,} record{'s' if most != 1 else ''} rejected ({n:,} by record {last}): the job was stopped "
        "and no print file was written"
    )


def _files_label(task) -> str:
    """A files task's words in a worker's error."""
    return f"the files of part {task.part}"


def _nothing_to_write(report: JobReport) -> str:
    if report.records == 0:
        return "no documents to write: the data has no records; no print file was written"
    return f"no documents to write: all {report.records:,} records were rejected; no print file was written"


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
    pdf=None,
    key: str | None = None,
    max_rejected: int | None = None,
    duplex: bool | None = None,
    schema=None,
    details=None,
    join: str | None = None,
    items: str = "items",
    workers: int = 1,
    part_size: int = DEFAULT_PART_SIZE,
    manifest: str | os.PathLike | bool | None = None,
    work_dir: str | os.PathLike | None = None,
    resume: bool = False,
    control_totals=(),
    mail=None,
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
        pdf: :class:`ccmcore.pdf.PdfOptions` for PDF output: ``standard="pdfa-2b"`` or
            ``"pdfa-3b"`` for PDF/A (a template drawing what the part forbids stops the
            job before anything is composed).
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
        workers: processes composing parts at once (1: this process only). The print
            file is byte-identical for every number of workers.
        part_size: records per part (the unit of work, restart and memory; the same for
            any number of workers, and the output does not depend on it).
        manifest: where to write the manifest as Parquet: a path, None for
            ``OUTPUT.manifest.parquet`` beside the output, False for nowhere (it is still in
            ``report.manifest``).
        work_dir: where the parts live until the job is done (default: a hidden
            directory beside the output, ``.OUTPUT.parts``). It is removed when the job
            succeeds and kept when it fails or is killed, for ``resume``.
        resume: reuse the parts an interrupted run of the same job left in ``work_dir``
            (each verified by its checksum and made for the same template, data and
            options; a damaged or foreign one is made again). The result is byte-identical
            to an uninterrupted run; ``report.parts_reused`` and the manifest's
            ``part_reused`` say what was reused. Without it, leftover parts are removed.
        control_totals: columns (numbers or money) to total over the rendered and over
            the rejected records, in ``report.control_totals``.
        mail: a :class:`ccmcore.post.MailPlan` (or the path of its JSON file): a mail
            production instead of one print file in record order: the documents go into
            envelopes (householding, capacity, inserts, weight, postage class), sorted
            and split into output files named after ``output``, each with its manifest,
            mail run data files and archive index, plus the pieces table and the
            production report (see :mod:`ccmcore.post.mail`). ``report.mail`` says what
            was written. The parts stay in ``work_dir`` for reprints.

    Returns:
        a :class:`JobReport`, with the manifest.

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
        ValueError: an unknown format, or one the output's name contradicts; a title with a
            control character.
        WorkerError: a worker process died (the parts done are kept for ``resume``).
    """
    if max_rejected is not None and (
        isinstance(max_rejected, bool) or not isinstance(max_rejected, int) or max_rejected < 0
    ):
        raise ValueError(f"max_rejected must be an int >= 0 or None, got {max_rejected!r}")
    for name, v, least in (("workers", workers, 1), ("part_size", part_size, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < least:
            raise ValueError(f"{name} must be an int >= {least}, got {v!r}")
    if title is not None:
        from .pdf.pdfa import NOT_XML

        if NOT_XML.search(title):
            raise ValueError(f"the title {title!r} holds a control character, which a PDF's metadata cannot carry")
    if document.einvoice is not None:  # one file per e-invoice, in a folder
        from .einvoice.files import check_folder

        out = Path(os.fspath(output))
        check_folder(out)
        if format not in (None, "pdf"):
            raise ValueError(f"the document is an e-invoice, written as PDF/A-3 files, not {format}")
        format = "pdf"
    else:
        out = check_output(output)
        format = output_format(output, format)
    overwritten = check_not_an_input(out, {"the data file": data})
    if overwritten:
        raise OutputError(f"the output {out} is {overwritten}: write the output elsewhere")
    manifest_path = _manifest_path(out, manifest)
    t0 = time.perf_counter()
    plan = _mail_plan(mail, document)
    if plan is not None and document.einvoice is not None:
        raise ValueError("an e-invoice job writes one PDF/A-3 file per invoice: it cannot be a mail production")
    given = document
    document = with_duplex(document, duplex)
    with relative_to(home_of(document)):  # pictures and fonts beside the template file it came from
        source = open_data(
            document,
            data,
            batch_size=min(batch_size, part_size),
            schema=schema,
            details=details,
            join=join,
            items=items,
        )
        try:
            if pdf is not None and format != "pdf":
                raise ValueError("pdf options were given for an AFP job")
            job = PartJob.compile(given, source.schema, format, afp=afp, duplex=duplex, pdf=pdf)
            job.key = key = _key_column(_file_key(key, document), source.schema)
            job.control_totals = totals = _control_columns(control_totals, source.schema)
            if format == "afp":
                job.encoder()  # AFP options are checked before anything is composed
            elif afp is not None:
                raise ValueError("afp options were given for a PDF job")
            report = JobReport(output=str(out), format=format, key=key, workers=workers)
            run = _Run(
                job,
                report,
                out,
                manifest_path,
                work_dir_of(out, work_dir),
                title,
                max_rejected,
                progress,
                fingerprint=fingerprint(given, data, details, format, afp, title, key, totals, part_size, duplex),
                mail=plan,
            )
            try:
                run.go(source, part_size, workers, resume)
            finally:  # also in the report an EmptyJobError or RejectionLimitError carries
                report.unmatched_details, report.unmatched_keys = source.unmatched_details, source.unmatched_keys
        finally:
            source.close()
    report.seconds = time.perf_counter() - t0
    return report


def _file_key(key: str | None, document: Document) -> str | None:
    """The key column: for an e-invoice job, which names each file, the invoice number's
    column unless another is given."""
    e = document.einvoice
    if e is None or key is not None:
        return key
    from .rules import _Col

    number = getattr(e, "number", None)
    if not isinstance(number, _Col):
        raise ValueError("an e-invoice job names each file by a key column: give key= (the invoice number's column)")
    return number.name


def _mail_plan(mail, document: Document):
    """The mail plan (loaded from its file), checked against the document's tags before
    anything is composed."""
    if mail is None:
        return None
    from .post.plan import MailPlan, MailPlanError

    plan = mail if isinstance(mail, MailPlan) else MailPlan.load(mail)
    known = set(document.tags) | {"key", "record", "pages", "sheets"}
    missing = sorted(plan.values() - known)
    if missing:
        tags = ", ".join(sorted(document.tags)) or "none"
        raise MailPlanError(
            f"the mail plan reads {', '.join(repr(m) for m in missing)}: add "
            f"{'it' if len(missing) == 1 else 'them'} to the Document's tags (its tags: {tags})"
        )
    return plan


def _manifest_path(out: Path, manifest) -> Path | None:
    if manifest is False:
        return None
    if manifest is None or manifest is True:
        suffix = ".manifest.parquet"
        name = out.name
        while len((name + suffix).encode()) > 255:  # a long output name that fits: so must this
            name = name[:-1]
        return out.with_name(name + suffix)
    path = check_output(manifest)
    if path == out:
        raise OutputError(f"the manifest {path} is the print file: name another file")
    return path


def _control_columns(columns, schema: pa.Schema) -> tuple:
    if isinstance(columns, str):
        columns = (columns,)
    out = []
    for c in columns or ():
        if c not in schema.names:
            raise BindingError(
                f"control total column {c!r} is not a column of the data (columns: {', '.join(schema.names)})",
                column=c,
            )
        t = schema.field(c).type
        if not (pa.types.is_integer(t) or pa.types.is_decimal(t)):
            raise BindingError(
                f"control total column {c!r} holds {t}: it needs whole numbers (cents) or decimals, "
                "which add up exactly",
                column=c,
            )
        out.append(c)
    return tuple(out)


class _Run:
    """One run of a job: parts composed (here or by workers), merged in order, checked."""

    def __init__(
        self, job, report, out, manifest_path, work_dir, title, max_rejected, progress, *, fingerprint, mail=None
    ):
        self.job = job
        self.mail = mail
        self.t0 = time.perf_counter()
        self.report = report
        self.out = out
        self.manifest_path = manifest_path
        self.work_dir = work_dir
        self.title = title
        self.max_rejected = max_rejected
        self.progress = progress
        self.fingerprint = fingerprint
        self.rejected_records = 0

    def part_path(self, index: int) -> Path:
        return self.work_dir / f"part-{index:06d}.ccmpart"

    def go(self, source, part_size: int, workers: int, resume: bool) -> None:
        report, out = self.report, self.out
        total = getattr(source, "num_rows", None)
        remove_stale_parts(out)
        self._prepare_work_dir(resume)
        if self.mail is not None:
            self._go_mail(source, part_size, workers, resume, total)
            return
        if self.job.program.einvoice is not None:
            self._go_files(source, part_size, workers, resume, total)
            return
        tmp = part_path(out)
        pool = None
        try:
            with open(tmp, "wb") as fh:
                merger = Merger(self.job, fh, title=self.title)
                try:
                    if workers > 1 and can_fork():
                        # this process only hands parts out and merges them, so it answers a
                        # worker at once: composing too, it kept a worker waiting a whole part
                        pool = WorkerPool(workers, self._compose_task, depth=2)
                    else:
                        report.workers = 1
                    self._parts(source, part_size, pool, merger, total, resume)
                    if pool is not None:
                        pool.stop()  # the workers exit while the file is finished
                    if report.documents == 0:
                        raise EmptyJobError(_nothing_to_write(report), report)
                    t0 = time.perf_counter()
                    table = merger.close()
                    report.merge_seconds += time.perf_counter() - t0
                except BaseException:
                    merger.abort()
                    raise
            report.manifest = table
            if self.manifest_path is not None:
                write_parquet_atomically(table, self.manifest_path)
                report.manifest_path = str(self.manifest_path)
            publish(tmp, out)
            if pool is not None:
                pool.close()
                pool = None
        except BaseException as exc:
            if pool is not None:
                pool.close()
            remove_part(tmp)
            self._failed(exc)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def _failed(self, exc: BaseException):
        """Re-raise a job's failure in one line, keeping the finished parts where a resumed
        run can use them: an interruption, a full disk or a dead worker leaves them; a job
        that failed on its data or its rejections leaves nothing."""
        kept = sorted(self.work_dir.glob("part-*.ccmpart"))
        if not kept or not isinstance(exc, (KeyboardInterrupt, SystemExit, OSError, WorkerError)):
            shutil.rmtree(self.work_dir, ignore_errors=True)
            kept = []
        if isinstance(exc, OSError) and not isinstance(exc, CcmError):
            # the data is read through SourceError and fonts through FontError: an
            # operating-system error left here is the output's (full disk, quota, ...)
            exc = output_error(self.out, exc)
            if kept:
                exc = OutputError(f"{exc}; {kept_message(kept, self.work_dir)}")
            raise exc from None
        if kept and isinstance(exc, (OutputError, WorkerError)):
            raise type(exc)(f"{exc}; {kept_message(kept, self.work_dir)}") from None
        raise exc

    def _go_mail(self, source, part_size: int, workers: int, resume: bool, total) -> None:
        """Compose every part into the work directory, then the mail production from them
        (the parts stay for reprints)."""
        from .post.mail import produce

        report = self.report
        if self.mail.cover is not None:
            from .post.covers import cover_job

            cover_job(self.mail, self.job)  # a cover that cannot work stops the job before anything is composed
        try:
            held = self._compose_all(source, part_size, workers, resume, total)
            rows = pa.concat_tables([p.manifest for p in held])
            composed = time.perf_counter() - self.t0
            report.mail = produce(
                self.job,
                held,
                rows,
                self.mail,
                self.out,
                report,
                title=self.title,
                part_files=[str(self.part_path(i).resolve()) for i in range(report.parts)],
                compose_seconds=composed,
            )
            del held
            if self.manifest_path is not None:
                write_parquet_atomically(report.manifest, self.manifest_path)
                report.manifest_path = str(self.manifest_path)
        except BaseException as exc:
            self._failed(exc)

    def _go_files(self, source, part_size: int, workers: int, resume: bool, total) -> None:
        """Compose every part into the work directory, then write one file per document
        (the workers write each part's files, as they composed them)."""
        from .einvoice.files import unfinished_folder, write_files

        report = self.report

        def write(held, pool):
            t0 = time.perf_counter()
            report.manifest = write_files(
                self.job, held, self.out, report, title=self.title, pool=pool, label=_files_label
            )
            report.merge_seconds += time.perf_counter() - t0

        try:
            self._compose_all(source, part_size, workers, resume, total, then=write)
            if report.documents == 0:
                raise EmptyJobError(_nothing_to_write(report), report)
            if self.manifest_path is not None:
                write_parquet_atomically(report.manifest, self.manifest_path)
                report.manifest_path = str(self.manifest_path)
        except BaseException as exc:
            # the workers are gone (_compose_all closed them): none writes there any more
            shutil.rmtree(unfinished_folder(self.out), ignore_errors=True)
            self._failed(exc)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def _compose_all(self, source, part_size: int, workers: int, resume: bool, total, *, then=None) -> list:
        """Compose every part into the work directory (here or by workers); the parts, read
        back mapped, for a production that writes in an order or a shape of its own.

        ``then(parts, pool)``, if given, is called with them while the workers (None: no
        workers) are still there to take its tasks."""
        report = self.report
        pool = None
        try:
            if workers > 1 and can_fork():
                pool = WorkerPool(workers, self._compose_task, depth=2)
            else:
                report.workers = 1
            self._parts(source, part_size, pool, _Tally(), total, resume)
            if report.documents == 0:
                raise EmptyJobError(_nothing_to_write(report), report)
            held = [load_part(self.part_path(i), self.job.format, mapped=True)[0] for i in range(report.parts)]
            if then is not None:
                then(held, pool)
            if pool is not None:
                pool.stop()
        finally:
            if pool is not None:
                pool.close()
        return held

    def _prepare_work_dir(self, resume: bool) -> None:
        d = self.work_dir
        if d.exists() and not resume:
            for f in d.glob("part-*.ccmpart*"):
                f.unlink()
        for f in d.glob("input-*.arrow"):  # records handed to workers of a run that stopped
            f.unlink()
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot make the work directory {d}: {exc.strerror or exc}") from None

    def _compose_task(self, task):
        """In a worker: compose one part into its file, or write a composed part's files."""
        if type(task) is not tuple:  # an e-invoice job's PartFiles (composing parts takes plain tuples)
            from .einvoice.files import write_part_files

            part = load_part(self.part_path(task.part), self.job.format, mapped=True)[0]
            return write_part_files(self.job, part, task)
        index, record0, path = task
        part = parts.compose_part(self.job, index, record0, read_batches(path))
        save_part(part, self.part_path(index), self.fingerprint)
        return index

    def _reusable(self, index: int, record0: int, records: int):
        path = self.part_path(index)
        if not path.exists():
            return None
        try:
            part, fingerprint = load_part(path, self.job.format)
        except (PartFileError, OSError, ValueError, KeyError):
            return None  # damaged (a power cut, a full disk): made again
        if fingerprint != self.fingerprint or part.record0 != record0 or part.records != records:
            return None
        part.reused = True
        return part

    def _parts(self, source, part_size: int, pool, merger, total, resume: bool) -> None:
        done: dict[int, Part | None] = {}  # None: a worker's part, read from its file when merged
        next_merge = 0
        index = 0
        record0 = 0

        def merge_ready(most: int | None = None) -> None:
            nonlocal next_merge
            while next_merge in done and most != 0:
                part = done.pop(next_merge)
                self._merge(part if part is not None else self._load(next_merge), merger, total)
                next_merge += 1
                most = None if most is None else most - 1

        def collect(block: bool) -> None:
            """Take the parts workers finished (waiting for one with ``block``)."""
            while pool is not None and pool.in_flight:
                got = pool.next_result(block=block)
                if got is None:
                    return
                done[got[1]] = None
                block = False

        def wait() -> None:
            """Wait for a worker, merging the parts that are ready meanwhile: one at a time,
            so a worker that finishes gets its next part at once."""
            if next_merge in done:
                merge_ready(most=1)
                collect(block=False)
            else:
                collect(block=True)

        for batches, n in _cut(source, part_size):
            part = self._reusable(index, record0, n) if resume else None
            if part is not None:
                done[index] = part
                merge_ready()
            elif pool is not None:
                collect(block=False)
                depth = _depth(total, record0, part_size, pool.size)
                while not pool.room_within(depth):
                    wait()
                data = self.work_dir / f"input-{index:06d}.arrow"
                write_batches(data, batches)
                pool.submit(f"part {index} (records {record0}-{record0 + n - 1})", (index, record0, data))
            else:
                part = parts.compose_part(self.job, index, record0, batches)
                if (
                    self.mail is not None
                    or self.job.program.einvoice is not None
                    or total is None
                    or record0 + n < total
                ):
                    # kept for a resumed run; the last part is merged at once and the job
                    # ends, so a run killed after it would have little to reuse
                    try:
                        save_part(part, self.part_path(index), self.fingerprint)
                    except OSError as exc:
                        raise output_error(self.part_path(index), exc) from exc
                done[index] = part
                merge_ready()
            index += 1
            record0 += n
        while pool is not None and pool.in_flight:
            wait()
        merge_ready()
        self.report.parts = index

    def _load(self, index: int) -> Part:
        part, _ = load_part(self.part_path(index), self.job.format)
        return part

    def _merge(self, part: Part, merger, total) -> None:
        report = self.report
        t0 = time.perf_counter()
        merger.add(part)
        report.merge_seconds += time.perf_counter() - t0
        report.account(part, merger.pages, merger.job_sheets)
        self.rejected_records += len({r.record for r in part.rejected})
        if self.max_rejected is not None and self.rejected_records > self.max_rejected:
            raise RejectionLimitError(_too_many(report, self.max_rejected, report.rejected[-1].record), report)
        if self.progress is not None:
            self.progress(report.records, report.pages, total)


class _Tally:
    """Counts the parts of a mail production as they are done (they are merged later, in
    piece order): the pages and sheets so far, as a merger would."""

    def __init__(self):
        self.pages = 0
        self.job_sheets = 0

    def add(self, part: Part) -> None:
        import numpy as np

        self.pages += int(np.asarray(part.pages.doc_pages).sum())
        import pyarrow.compute as pc

        self.job_sheets += int(pc.sum(part.manifest.column("sheets")).as_py() or 0)


def _depth(total: int | None, record0: int, part_size: int, workers: int) -> int:
    """How many parts a worker may hold: two (the one it composes and the next, so it never
    waits for this process) until the last parts, which go to whoever is free, so that no
    worker still has two parts to compose when the others have none."""
    if total is not None and total - record0 <= part_size * workers * 2:
        return 1
    return 2


def _cut(source, part_size: int):
    """The source's batches cut into parts of ``part_size`` records: (batches, records)."""
    held: list[pa.RecordBatch] = []
    n = 0
    for batch in source:
        while batch.num_rows:
            take = min(part_size - n, batch.num_rows)
            held.append(batch.slice(0, take) if take < batch.num_rows else batch)
            n += take
            batch = batch.slice(take)
            if n == part_size:
                yield held, n
                held, n = [], 0
    if n:
        yield held, n
