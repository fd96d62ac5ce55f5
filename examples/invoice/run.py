"""Run the standard invoice job end to end: generate data, compose the PDF, report.

    python examples/invoice/run.py [--docs 1000] [--seed 42] [-o out/invoices.pdf]
    python examples/invoice/run.py --einvoice [--docs 1000] [-o out/rechnungen]

``--einvoice`` composes the German e-invoice variant (``einvoice.py``): one PDF/A-3 file per
invoice, each with its EN 16931 XML, into the folder ``-o`` names.

Writes the generated data as Parquet next to the output, then composes from that file
(so the timing covers Arrow on disk to finished PDF) and prints documents, pages,
pages per second and where the PDF and its manifest are (``ccm reconcile PDF MANIFEST``
checks one against the other).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the generator beside this file)
from template import document  # noqa: E402

from ccmcore import compose  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000, help="number of invoices (default 1000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("-o", "--output", default=None, help="out/invoices.pdf (--einvoice: out/rechnungen)")
    ap.add_argument("--einvoice", action="store_true", help="German e-invoices: one PDF/A-3 per invoice")
    args = ap.parse_args(argv)
    out = Path(args.output or ("out/rechnungen" if args.einvoice else "out/invoices.pdf"))
    out.parent.mkdir(parents=True, exist_ok=True)
    data = out.with_name(out.name + ".parquet") if args.einvoice else out.with_suffix(".parquet")
    if args.einvoice:
        import einvoice
        import pyarrow.parquet as pq

        pq.write_table(einvoice.german(generate.generate(args.docs, args.seed)), data)
        report = compose(einvoice.document, str(data), out)
    else:
        generate.write_parquet(str(data), args.docs, args.seed)
        report = compose(document, str(data), out)
    print(f"documents: {report.documents}")
    print(f"pages:     {report.pages}")
    print(f"seconds:   {report.seconds:.2f}")
    print(f"pages/s:   {report.pages_per_second:,.0f}")
    if report.rejected:
        print(f"rejected:  {len(report.rejected)} (first: {report.rejected[0]})")
    print(f"{'folder:   ' if args.einvoice else 'pdf:      '} {out.resolve()}")
    print(f"manifest:  {report.manifest_path}  (one row per invoice: pages, byte range, checksum)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
