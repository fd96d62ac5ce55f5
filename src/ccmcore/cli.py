"""The ``ccm`` command line.

    ccm compose TEMPLATE DATA -o OUT [--format pdf|afp] [--key COLUMN] [--max-rejected N]
                [--batch-size N] [--report report.json] [-q] [--schema types.json]
                [--details ITEMS.csv --join KEY [--items COLUMN]]
                [-j N] [--part-size N] [--manifest PATH] [--work-dir DIR] [--resume]
                [--control-total COLUMN ...] [--mail PLAN.json]
    ccm reconcile PRINTFILE MANIFEST  check a print file against its manifest, document by document
    ccm merge MANIFEST... -o OUT [--order-by KEY ...] [--records N] [--template T] [--manifest PATH]
                                 join the part files of a distributed run into one print file
                                 (or, with --mail PLAN.json, into a mail production)
    ccm reprint RUN.mailrun.json RESULTS.csv -o OUT
                                 the pieces of a mail production the inserter did not finish
    ccm afp inspect FILE         structured fields, triplets and PTOCA as readable text
    ccm afp validate FILE        strict MO:DCA/PTOCA checks; exit 1 with offsets and rules
    ccm --version

TEMPLATE is a Python file defining a :class:`ccmcore.Document` (the attribute ``document``,
or the only Document in the file) or ``package.module:attribute``. The template file may
import modules beside it, and relative paths of its pictures and font files are relative
to the template file, whatever the working directory. DATA is a Parquet, Arrow IPC or CSV
file. The output format follows OUT's extension (``.pdf``, ``.afp``) unless ``--format``
is given; a ``--format`` that contradicts the extension is an error.

Every failure is one line on stderr (``ccm: error: ...``) and leaves nothing at the output
path. Exit status of ``ccm compose`` (distinct, so a scheduler can tell them apart):

====  ==========================================================================
0     every record was composed
1     an unexpected internal error (a bug: the traceback is printed)
2     usage error, or the template, the data or the key column is wrong
3     no document to write: no records, or every record rejected (no file)
4     the file was written, but some records were rejected, or some ``--details``
      records matched no record (listed on stderr and in ``--report``)
5     more records were rejected than ``--max-rejected`` allows (no file)
6     input/output error: the output or the report cannot be written
7     a worker process died (killed, out of memory); the finished parts are kept
      for ``--resume``
130   interrupted by SIGINT (Ctrl-C); 143 for SIGTERM, handled the same way (no file)
====  ==========================================================================

The job runs on ``-j N`` processes (default: every core this process may use) and writes
the same bytes for every N. Beside the output it writes the manifest (``OUT.manifest.parquet``,
one row per record: status, key, part, pages, sheets, byte range and CRC-32 of each
document). Parts live in ``--work-dir`` (default ``.OUT.parts`` beside the output) until the
job succeeds, when they are removed; an interrupted, killed or failed run keeps the parts
it finished, and ``--resume`` goes on from them (``ccm compose`` without ``--resume``
starts afresh and removes them). ``ccm reconcile`` exits 0 when every document of the
manifest is in the print file as written, 1 naming the first mismatches when not.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import CcmError, EmptyJobError, OutputError, RejectionLimitError
from .output import check_not_an_input, check_output, output_format
from .resources import relative_to, remember_home
from .template import Document
from .workers import DEFAULT_PART_SIZE, WorkerError, available_cores

__all__ = [
    "main",
    "load_document",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_NO_DOCUMENTS",
    "EXIT_REJECTED",
    "EXIT_TOO_MANY_REJECTED",
    "EXIT_IO",
    "EXIT_WORKER",
    "EXIT_INTERRUPTED",
]

#: Every record was composed and the output written.
EXIT_OK = 0
#: A usage error, or the template, the data or the key column is wrong (nothing written).
EXIT_USAGE = 2
#: There is no document to write: no records, or every record rejected (no file is written).
EXIT_NO_DOCUMENTS = 3
#: The output was written, but some records were rejected, or some detail records matched
#: no record (see the report).
EXIT_REJECTED = 4
#: More records were rejected than ``--max-rejected`` allows (no file is written).
EXIT_TOO_MANY_REJECTED = 5
#: The output or the report cannot be written (missing directory, read-only, disk full ...).
EXIT_IO = 6
#: A worker process died (killed, out of memory): no output; the finished parts are kept.
EXIT_WORKER = 7
#: Interrupted by SIGINT (128 + 2); SIGTERM gives 128 + 15.
EXIT_INTERRUPTED = 130

_SHOWN_REJECTIONS = 20


def load_document(spec: str) -> Document:
    """Load a Document from 'path/to/file.py', 'path/to/file.py:attr' or 'module:attr'.

    While a template file is run, its directory is on ``sys.path`` (it may import modules
    beside it) and relative picture and font paths are relative to it; the Document
    returned keeps that directory for when it is composed, so the job finds its files from
    any working directory.

    Raises:
        CcmError: the file or module cannot be loaded or defines no Document.
    """
    target, attr = spec.rsplit(":", 1) if ":" in spec else (spec, "")
    path = Path(target)
    home: Path | None
    if target.endswith(".py") or path.exists():
        if not path.is_file():
            raise CcmError(f"template file {target} does not exist")
        home = path.resolve().parent
        module = _run_template_file(path, target, home)
    else:
        home = _module_directory(target)
        try:
            with relative_to(home):
                module = importlib.import_module(target)
        except ImportError as exc:
            raise CcmError(f"cannot import template module {target!r}: {exc}") from exc
    doc = _find_document(module, spec, attr)
    if home is not None:
        remember_home(doc, home)
    return doc


def _run_template_file(path: Path, target: str, home: Path):
    mod_name = f"_ccm_template_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:  # no loader for the file's suffix
        raise CcmError(f"template file {target} is not a Python (.py) file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    directory = str(home)
    sys.path.insert(0, directory)  # `import helpers` finds helpers.py beside the template
    try:
        with relative_to(home):
            module_spec.loader.exec_module(module)
    except CcmError as exc:
        # a template mistake found while the file runs: say which line made it
        where = _line_in(exc, path, target)
        if not where:
            raise
        try:
            named = type(exc)(f"{where}: {exc}")
        except TypeError:
            named = CcmError(f"{where}: {exc}")
        raise named from exc
    except Exception as exc:
        where = _line_in(exc, path, target) or target
        raise CcmError(f"template {where} failed to load: {type(exc).__name__}: {exc}") from exc
    finally:
        try:
            sys.path.remove(directory)
        except ValueError:  # the template took it off itself
            pass
    return module


def _line_in(exc: BaseException, path: Path, target: str) -> str:
    """'template.py:12' for the template file's line that the error came from ('' if none)."""
    found = ""
    tb = exc.__traceback__
    real = os.path.realpath(path)
    while tb is not None:
        if os.path.realpath(tb.tb_frame.f_code.co_filename) == real:
            found = f"{target}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _module_directory(name: str) -> Path | None:
    """The directory of an importable module's file (None when it has none or cannot be found)."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not os.path.isfile(found.origin):
        return None
    return Path(found.origin).resolve().parent


def _find_document(module, spec: str, attr: str) -> Document:
    if attr:
        doc = getattr(module, attr, None)
        if not isinstance(doc, Document):
            raise CcmError(f"{spec}: {attr!r} is not a ccmcore Document")
        return doc
    doc = getattr(module, "document", None)
    if isinstance(doc, Document):
        return doc
    found = [v for v in vars(module).values() if isinstance(v, Document)]
    if len(found) == 1:
        return found[0]
    raise CcmError(f"{spec}: define one Document (as `document`) or name it as {spec}:NAME")


class _Progress:
    """A one-line progress bar on a terminal; silent when stderr is not one."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, records: int, pages: int, total: int | None) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.1 and records != total):
            return
        self.last = now
        rate = pages / max(now - self.t0, 1e-9)
        if total:
            frac = records / total
            bar = "#" * int(frac * 30)
            sys.stderr.write(f"\r[{bar:<30}] {records:,}/{total:,} records, {pages:,} pages, {rate:,.0f} pages/s ")
        else:
            sys.stderr.write(f"\r{records:,} records, {pages:,} pages, {rate:,.0f} pages/s ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class _UsageError(CcmError):
    """A command line that cannot work (exit status 2)."""


def _check_paths(args, einvoice: bool = False) -> str:
    """Refuse, before anything is read, a job that would overwrite its own inputs or cannot
    write its output or report; return the output format. An e-invoice job (``einvoice``)
    writes a folder of PDF files."""
    if einvoice:
        from .einvoice.files import check_folder

        check_folder(Path(args.output))
        if args.format not in (None, "pdf"):
            raise _UsageError(f"the template is an e-invoice: it writes PDF/A-3 files, not --format {args.format}")
        fmt = "pdf"
    else:
        check_output(args.output)
        try:
            fmt = output_format(args.output, args.format, option="--format ")
        except ValueError as exc:
            raise _UsageError(str(exc)) from None
    out = Path(args.output)
    template = args.template.rsplit(":", 1)[0] if ":" in args.template else args.template
    inputs = {"the data file": args.data, "the template file": template}
    if args.details:
        inputs["the details file"] = args.details
    overwritten = check_not_an_input(out, inputs)
    if overwritten:
        raise _UsageError(f"-o {args.output} is {overwritten}: write the output elsewhere")
    if args.report:
        report = Path(args.report)
        clash = check_not_an_input(report, {**inputs, "the output (-o)": args.output})
        if clash:
            raise _UsageError(f"--report {args.report} is {clash}: write the report elsewhere")
    if args.report:
        check_output(args.report, "the report ")
    if (args.details is None) != (args.join is None):
        raise _UsageError("--details FILE and --join KEY go together: the detail records and the key they share")
    if fmt != "afp" and args.form_definition:
        raise _UsageError("--form-definition applies to AFP output (-o NAME.afp or --format afp)")
    if fmt != "pdf" and args.pdf_standard:
        raise _UsageError("--pdf-standard applies to PDF output (-o NAME.pdf or --format pdf)")
    return fmt


def _read_schema(path: str | None) -> dict | None:
    """The column types of ``--schema FILE``: a JSON object of column name -> type name."""
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            types = json.load(fh)
    except OSError as exc:
        raise _UsageError(f"--schema {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise _UsageError(f"--schema {path}: not JSON: {exc}") from None
    if not isinstance(types, dict) or not all(isinstance(t, str) for t in types.values()):
        raise _UsageError(f'--schema {path}: write a JSON object of column -> type, e.g. {{"postcode": "string"}}')
    return types


def _compose(args) -> int:
    from .job import compose

    doc = load_document(args.template)
    fmt = _check_paths(args, einvoice=doc.einvoice is not None)
    progress = _Progress(sys.stderr.isatty() and not args.quiet)
    afp = None
    if fmt == "afp":
        from .afp import AfpOptions

        afp = AfpOptions(form_definition=args.form_definition)
    pdf = None
    if args.pdf_standard:
        from .pdf import PdfOptions

        try:
            pdf = PdfOptions(standard=args.pdf_standard, lang=args.lang, lang_column=args.lang_column)
        except ValueError as exc:
            raise _UsageError(f"--lang: {exc}") from None
    failed: CcmError | None = None
    try:
        report = compose(
            doc,
            args.data,
            args.output,
            format=fmt,
            batch_size=args.batch_size,
            progress=progress,
            afp=afp,
            pdf=pdf,
            key=args.key,
            max_rejected=args.max_rejected,
            duplex=args.duplex,
            schema=_read_schema(args.schema),
            details=args.details,
            join=args.join,
            items=args.items,
            workers=args.jobs,
            part_size=args.part_size,
            manifest=args.manifest,
            work_dir=args.work_dir,
            resume=args.resume,
            control_totals=tuple(args.control_total or ()),
            mail=args.mail,
        )
    except (EmptyJobError, RejectionLimitError) as exc:
        report, failed = exc.report, exc
    finally:
        progress.done()
    _tell_rejections(report, args.report)
    if isinstance(failed, EmptyJobError):
        print(f"ccm: {failed}", file=sys.stderr)
        return EXIT_NO_DOCUMENTS
    if failed is not None:
        print(f"ccm: error: {failed}", file=sys.stderr)
        return EXIT_TOO_MANY_REJECTED
    _tell_unmatched(report, args)
    _say(report.summary())
    if report.mail is not None:
        _say(report.mail.summary())
    if args.control_total:
        _say(_control_line(report))
    return EXIT_REJECTED if report.rejected or report.unmatched_details else EXIT_OK


def _control_line(report) -> str:
    """The job's control totals in one line."""
    line = (
        f"control totals: {report.records:,} records = {report.documents:,} rendered + "
        f"{report.rejected_records:,} rejected; {report.pages:,} pages on {report.sheets:,} sheets"
    )
    for column, sums in report.control_totals.items():
        line += f"; {column}: {sums['rendered']:,} rendered, {sums['rejected']:,} rejected"
    return line


def _tell_unmatched(report, args) -> None:
    """Name the detail records left out for want of a record with their key."""
    from .details import UNMATCHED_KEYS_KEPT

    n = report.unmatched_details
    if n:
        keys = ", ".join(repr(k) for k in report.unmatched_keys)
        more = ", ..." if len(report.unmatched_keys) >= UNMATCHED_KEYS_KEPT else ""
        print(
            f"unmatched: {n:,} detail record{'s' if n != 1 else ''} of {args.details} matched no record of "
            f"{args.data} ({args.join} {keys}{more}): left out",
            file=sys.stderr,
        )


def _tell_rejections(report, json_path: str | None) -> None:
    """Write the report when asked, and list the rejected records (at most 20) on stderr."""
    if json_path:
        try:
            report.write_json(json_path)
        except OutputError as exc:
            raise OutputError(f"{exc}; the job itself finished (its print file, if any, is complete)") from exc
    records = report.rejections_by_record()
    for record, key, reasons in records[:_SHOWN_REJECTIONS]:
        who = f" ({report.key} {key})" if key is not None else ""
        why = "; ".join(f"field {r.field!r}: {r.reason}" if r.field else r.reason for r in reasons)
        print(f"rejected: record {record}{who}: {why}", file=sys.stderr)
    if len(records) > _SHOWN_REJECTIONS:
        more = len(records) - _SHOWN_REJECTIONS
        where = "see the report" if json_path else "--report FILE lists them all"
        print(f"rejected: ... {more:,} more record{'s' if more != 1 else ''} ({where})", file=sys.stderr)


def _say(line: str) -> None:
    """Print to stdout; a reader that went away (``| head``) is not an error."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # stdout is gone: point it at nothing so the interpreter's last flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``ccm compose: error: ... (see --help)``)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the job is, so it stops the way Ctrl-C stops it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise _Terminated(signum)


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a scheduler's kill, a container stop) interrupts the job like SIGINT."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _reconcile(args) -> int:
    from .reconciliation import reconcile

    result = reconcile(args.printfile, args.manifest)
    for line in result.problems[: args.show]:
        print(f"ccm reconcile: {line}", file=sys.stderr)
    if len(result.problems) > args.show:
        print(f"ccm reconcile: ... and {len(result.problems) - args.show:,} more", file=sys.stderr)
    _say(result.summary())
    return EXIT_OK if result.ok else 1


def _merge(args) -> int:
    from .merge_distributed import merge_parts

    document = load_document(args.template) if args.template else None
    try:
        report = merge_parts(
            args.manifests,
            args.output,
            format=args.format,
            document=document,
            manifest=args.manifest,
            records=args.records,
            order_by=args.order_by,
            mail=args.mail,
        )
    except EmptyJobError as exc:
        _tell_rejections(exc.report, args.report)
        print(f"ccm: {exc}", file=sys.stderr)
        return EXIT_NO_DOCUMENTS
    _tell_rejections(report, args.report)
    _say(report.summary())
    if report.mail is not None:
        _say(report.mail.summary())
    _say(_control_line(report))
    return EXIT_REJECTED if report.rejected else EXIT_OK


def _reprint(args) -> int:
    from .post.reprint import reprint

    document = load_document(args.template) if args.template else None
    result = reprint(args.run, args.results, args.output, document=document)
    _say(result.summary())
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ccm", description="ccmcore document composition")
    parser.add_argument("--version", action="version", version=f"ccm (ccmcore) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "compose",
        help="compose documents from data with a template",
        description="Compose documents from data with a template. Exit status: 0 done; 2 usage, template or "
        "data error; 3 no document to write; 4 done with rejected records; 5 more rejected than --max-rejected; "
        "6 output or report cannot be written; 7 a worker process died; 130/143 interrupted (SIGINT/SIGTERM).",
    )
    p.add_argument("template", help="template .py file (or module:attribute)")
    p.add_argument("data", help="data file: Parquet, Arrow IPC/Feather or CSV")
    p.add_argument("-o", "--output", required=True, help="output file: NAME.pdf or NAME.afp")
    p.add_argument(
        "--format",
        choices=["pdf", "afp"],
        help="output format (default: from the output's extension; must agree with it)",
    )
    p.add_argument(
        "--duplex",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print both sides (PDF and AFP): a blank back after an odd page count, so each document starts "
        "a new sheet; pages, sheets and OMR marks count it (--no-duplex: one side; default: the template's "
        "Document(duplex=...))",
    )
    p.add_argument("--form-definition", metavar="NAME", help="AFP: the form definition the print server uses")
    p.add_argument(
        "--pdf-standard",
        choices=["pdfa-2b", "pdfa-3b", "pdfua-1", "pdfa-2b+pdfua-1", "pdfa-3b+pdfua-1"],
        help="PDF: write PDF/A-2b or PDF/A-3b (XMP metadata, sRGB output intent), PDF/UA-1 (tagged: structure "
        "tree, marked content), or both; a template drawing what the part forbids stops the job before "
        "anything is composed",
    )
    p.add_argument(
        "--lang", metavar="TAG", default="en", help="PDF/UA: the documents' language, a BCP 47 tag (default: en)"
    )
    p.add_argument(
        "--lang-column",
        metavar="COLUMN",
        help="PDF/UA: the column giving each document's own language (a record whose value is no language tag "
        "is rejected)",
    )
    p.add_argument(
        "--key", metavar="COLUMN", help="name rejected records by this column (e.g. customer_id) in messages and report"
    )
    p.add_argument(
        "--max-rejected",
        type=_count,
        metavar="N",
        help="fail the job (exit 5, no output file) when more than N records are rejected",
    )
    p.add_argument(
        "--schema",
        metavar="FILE",
        help='column types as JSON, e.g. {"postcode": "string", "total": "decimal(12,2)"} (a CSV column is '
        "otherwise text unless the template reads it as a number or date)",
    )
    p.add_argument("--details", metavar="FILE", help="line items as a file of their own, nested by --join")
    p.add_argument("--join", metavar="KEY", help="the key column DATA and --details share (both sorted by it)")
    p.add_argument(
        "--items", metavar="COLUMN", default="items", help="the list column the details go into (default: items)"
    )
    p.add_argument("--batch-size", type=_positive_int, default=1024, help="records per batch (default 1024)")
    p.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=available_cores(),
        metavar="N",
        help=f"processes composing at once (default: the {available_cores()} cores here); the output is the same "
        "for any N",
    )
    p.add_argument(
        "--part-size",
        type=_positive_int,
        default=DEFAULT_PART_SIZE,
        metavar="N",
        help=f"records per part, the unit of work and of restart (default {DEFAULT_PART_SIZE})",
    )
    p.add_argument("--manifest", metavar="PATH", help="where to write the manifest (default: OUT.manifest.parquet)")
    p.add_argument(
        "--work-dir", metavar="DIR", help="where parts live until the job succeeds (default: .OUT.parts beside OUT)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on from the parts an interrupted run of the same job left (each checked; damaged ones redone)",
    )
    p.add_argument(
        "--control-total",
        action="append",
        metavar="COLUMN",
        help="sum this number or money column over rendered and rejected records in the report (repeatable)",
    )
    p.add_argument("--report", help="write the job report (rejections, warnings) as JSON here")
    p.add_argument(
        "--mail",
        metavar="PLAN.json",
        help="a mail production: envelopes, presort and split by this plan, with inserter files, "
        "archive index and production report (see docs/mail.md)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_compose)
    r = sub.add_parser(
        "reconcile",
        help="check a print file against its manifest, document by document",
        description="Read a PDF or AFP print file back and check every document of its manifest: offset, length, "
        "checksum, page count and index values. Exit status: 0 all match; 1 mismatches (the first are named); "
        "2 usage error.",
    )
    r.add_argument("printfile", help="the print file (PDF or AFP)")
    r.add_argument("manifest", help="its manifest (Parquet)")
    r.add_argument("--show", type=_positive_int, default=10, metavar="N", help="name at most N mismatches")
    r.set_defaults(run=_reconcile)
    m = sub.add_parser(
        "merge",
        help="join the part files of a distributed run (Ray, Spark, Dask) into one print file",
        description="Join the part files a distributed run left, in record order, into one print file, byte-identical "
        "to a local ccm compose of the same data, with its manifest. Every record must be in the manifests "
        "exactly once. Exit status: 0 done; 2 a record missing or twice, a damaged part, a usage error; 3 no "
        "document to write; 4 done with rejected records; 6 the output cannot be written.",
    )
    m.add_argument(
        "manifests", nargs="+", metavar="MANIFEST", help="the rows the partitions returned (Parquet files or folders)"
    )
    m.add_argument("-o", "--output", required=True, help="the print file to write (.pdf or .afp, as the parts)")
    m.add_argument("--format", choices=("pdf", "afp"), help="for an output name without .pdf or .afp")
    m.add_argument("--template", help="compile this template instead of the one the part files name")
    m.add_argument("--manifest", help="where to write the merged manifest (default: OUT.manifest.parquet)")
    m.add_argument(
        "--order-by",
        action="append",
        metavar="KEY",
        help="write the documents in this key's order, not record order: a manifest column (key, pages, sheets) "
        "or an index value of the documents, such as a postcode (repeatable: the first decides first)",
    )
    m.add_argument("--records", type=_count, help="the job's number of records (checked: none may be missing)")
    m.add_argument("--report", help="write the job report as JSON here")
    m.add_argument("--mail", metavar="PLAN.json", help="a mail production of the parts, by this plan")
    m.set_defaults(run=_merge)
    rp = sub.add_parser(
        "reprint",
        help="reprint the pieces of a mail production an inserter did not finish",
        description="Write a print file of exactly the pieces of a mail production that the "
        "inserter's result file does not report completed, with their original ids.",
    )
    rp.add_argument("run", help="the production's OUT.mailrun.json")
    rp.add_argument("results", help="the inserter's result file (CSV with piece and status columns)")
    rp.add_argument("-o", "--output", required=True, help="the reprint's print file (.pdf or .afp, as the run)")
    rp.add_argument("--template", help="the template, when the run's document was defined in no file")
    rp.set_defaults(run=_reprint)
    from .afp.cli import add_commands

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ccm`` console script; returns the exit status (see the module docs)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    with _sigterm_as_interrupt():
        try:
            return args.run(args)
        except OutputError as exc:
            print(f"ccm: error: {exc}", file=sys.stderr)
            return EXIT_IO
        except WorkerError as exc:
            print(f"ccm: error: {exc}", file=sys.stderr)
            return EXIT_WORKER
        except CcmError as exc:
            print(f"ccm: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt as exc:
            signum = exc.signum if isinstance(exc, _Terminated) else signal.SIGINT
            name = signal.Signals(signum).name
            print(f"ccm: interrupted ({name}); no output written", file=sys.stderr)
            return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
