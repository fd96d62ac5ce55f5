"""Run the bank statement job as a full mail production, in one command.

    python examples/statement/mail.py [--docs 1000] [--seed 42] [--format pdf|afp] [-o out/mail/statements.pdf]

Generates the statements (about one in eight sent to the address of the one before it, a
second customer of the same household, so householding has work to do), composes them
and produces the mail run the plan ``mail.json`` beside this file describes: documents
householded by normalised address into C5/6 window envelopes (a statement too thick goes
in a C4), a leaflet for private-banking customers and a card offer for business ones,
weights and Deutsche Post letter classes, presorted by postcode, one print file per
postage class, pieces abroad flagged for the inserter to divert. Beside each print file
go its manifest, its mail run data files (CSV and fixed width) and its archive index; for
the job, the pieces table, the manifest and the production report (JSON and PDF).

The same run from the shell:

    ccm compose examples/statement/template.py:mail_document statements.parquet \\
        -o out/mail/statements.pdf --mail examples/statement/mail.json --key customer_id
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the generator beside this file)
from template import mail_document  # noqa: E402

from ccmcore import compose  # noqa: E402

#: every how many statements one shares the address of the statement before it
HOUSEHOLD_EVERY = 8


def with_households(table: pa.Table) -> pa.Table:
    """The statements with every eighth one sent to the address of the one before it."""
    n = table.num_rows
    source = np.arange(n)
    shared = np.arange(HOUSEHOLD_EVERY - 1, n, HOUSEHOLD_EVERY)
    source[shared] = shared - 1
    take = pa.array(source)
    for name in ("street", "postcode", "city", "country"):
        table = table.set_column(table.schema.get_field_index(name), name, table.column(name).take(take))
    return table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000, help="number of statements (default 1000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=("pdf", "afp"), default="pdf", help="output format (default pdf)")
    ap.add_argument("-o", "--output", default=None, help="output name (default out/mail/statements.<format>)")
    ap.add_argument("-j", "--workers", type=int, default=1, help="processes composing (default 1)")
    args = ap.parse_args(argv)
    out = Path(args.output or f"out/mail/statements.{args.format}")
    out.parent.mkdir(parents=True, exist_ok=True)
    data = out.with_suffix(".parquet")
    pq.write_table(with_households(generate.generate(args.docs, seed=args.seed)), data)
    report = compose(mail_document, str(data), out, mail=HERE / "mail.json", key="customer_id", workers=args.workers)
    production = report.mail.production
    print(f"records:   {report.records:,} ({report.rejected_records} rejected)")
    print(
        f"pieces:    {production['pieces']:,} ({production['households']:,} householded, "
        f"{production['diverted']:,} to divert)"
    )
    print(f"sheets:    {production['sheets']:,}, pages {report.pages:,}")
    print(f"postage:   {production['postage_cents'] / 100:,.2f} {production['currency']}")
    print(f"seconds:   {report.seconds:.2f} (of which mail production {report.mail.seconds:.2f})")
    print(report.mail.summary())
    print(f"report:    {Path(report.mail.files['production'][1]).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
