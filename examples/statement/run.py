"""Run the bank statement job end to end: generate data, compose the print file, report.

    python examples/statement/run.py [--docs 1000] [--seed 42] [--format pdf|afp] [-o out/statements.pdf]

Writes the generated statements as Parquet next to the output, then composes from that
file (so the timing covers Arrow on disk to the finished file) and prints documents,
pages, pages per second and where the file is. The statements are duplex: a document
with an odd page count gets a blank back page, and the page count includes it.
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
    ap.add_argument("--docs", type=int, default=1000, help="number of statements (default 1000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=("pdf", "afp"), default="pdf", help="output format (default pdf)")
    ap.add_argument("-o", "--output", default=None, help="output file (default out/statements.<format>)")
    args = ap.parse_args(argv)
    out = Path(args.output or f"out/statements.{args.format}")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = out.with_suffix(".parquet")
    generate.write_parquet(str(data), args.docs, args.seed)
    report = compose(document, str(data), out, format=args.format)
    print(f"documents: {report.documents}")
    print(f"pages:     {report.pages}")
    print(f"seconds:   {report.seconds:.2f}")
    print(f"pages/s:   {report.pages_per_second:,.0f}")
    if report.rejected:
        print(f"rejected:  {len(report.rejected)} (first: {report.rejected[0]})")
    counts = report.message_counts()
    if counts:
        print("messages:  " + ", ".join(f"{name} {n}" for name, n in sorted(counts.items())))
    print(f"{args.format}:       {out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
