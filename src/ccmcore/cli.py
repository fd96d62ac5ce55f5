"""The ``ccm`` command line.

    ccm compose TEMPLATE DATA -o OUT [--format pdf|afp] [--batch-size N] [--report report.json]
    ccm afp inspect FILE         structured fields, triplets and PTOCA as readable text
    ccm afp validate FILE        strict MO:DCA/PTOCA checks; exit 1 with offsets and rules

TEMPLATE is a Python file defining a :class:`ccmcore.Document` (the attribute ``document``,
or the only Document in the file) or ``package.module:attribute``. DATA is a Parquet, Arrow
IPC or CSV file. Errors in the template or data print one line and exit with status 2.
A job with no document to write (no records, or every record rejected) writes no print
file, lists the rejections, and exits with status 3.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import time
from pathlib import Path

from .errors import CcmError, EmptyJobError
from .template import Document

__all__ = ["main", "load_document", "EXIT_NO_DOCUMENTS"]

#: Exit status of ``ccm compose`` when there is no document to write (no file is written).
EXIT_NO_DOCUMENTS = 3


def load_document(spec: str) -> Document:
    """Load a Document from 'path/to/file.py', 'path/to/file.py:attr' or 'module:attr'.

    Raises:
        CcmError: the file or module cannot be loaded or defines no Document.
    """
    target, attr = spec.rsplit(":", 1) if ":" in spec else (spec, "")
    path = Path(target)
    if target.endswith(".py") or path.exists():
        if not path.is_file():
            raise CcmError(f"template file {target} does not exist")
        mod_name = f"_ccm_template_{abs(hash(str(path.resolve())))}"
        module_spec = importlib.util.spec_from_file_location(mod_name, path)
        if module_spec is None or module_spec.loader is None:  # no loader for the file's suffix
            raise CcmError(f"template file {target} is not a Python (.py) file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[mod_name] = module
        try:
            module_spec.loader.exec_module(module)
        except CcmError:
            raise
        except Exception as exc:
            raise CcmError(f"template {target} failed to load: {type(exc).__name__}: {exc}") from exc
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise CcmError(f"cannot import template module {target!r}: {exc}") from exc
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


def _compose(args) -> int:
    from .job import compose

    doc = load_document(args.template)
    progress = _Progress(sys.stderr.isatty() and not args.quiet)
    afp = None
    if args.format == "afp":
        from .afp import AfpOptions

        afp = AfpOptions(duplex=args.duplex, form_definition=args.form_definition)
    elif args.duplex or args.form_definition:
        raise CcmError("--duplex and --form-definition apply to --format afp")
    empty = None
    try:
        report = compose(
            doc, args.data, args.output, format=args.format, batch_size=args.batch_size, progress=progress, afp=afp
        )
    except EmptyJobError as exc:
        report, empty = exc.report, exc
    finally:
        progress.done()
    _tell_rejections(report, args.report)
    if empty is not None:
        print(f"ccm: {empty}", file=sys.stderr)
        return EXIT_NO_DOCUMENTS
    print(report.summary())
    return 0


def _tell_rejections(report, json_path: str | None) -> None:
    if json_path:
        report.write_json(json_path)
    for r in report.rejected[:20]:
        print(f"rejected: {r}", file=sys.stderr)
    if len(report.rejected) > 20:
        print(f"rejected: ... {len(report.rejected) - 20} more (see --report)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ccm`` console script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ccm", description="ccmcore document composition")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compose", help="compose documents from data with a template")
    p.add_argument("template", help="template .py file (or module:attribute)")
    p.add_argument("data", help="data file: Parquet, Arrow IPC/Feather or CSV")
    p.add_argument("-o", "--output", required=True, help="output file")
    p.add_argument("--format", default="pdf", choices=["pdf", "afp"], help="output format (default pdf)")
    p.add_argument(
        "--duplex",
        action="store_true",
        help="AFP: blank back page after odd page counts, so each document starts a new sheet",
    )
    p.add_argument("--form-definition", metavar="NAME", help="AFP: the form definition the print server uses")
    p.add_argument("--batch-size", type=int, default=1024, help="records per batch (default 1024)")
    p.add_argument("--report", help="write the job report (rejections, warnings) as JSON here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_compose)
    from .afp.cli import add_commands

    add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except CcmError as exc:
        print(f"ccm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ccm: interrupted; no output written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
