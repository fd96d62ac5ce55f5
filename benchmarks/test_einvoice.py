"""What e-invoices cost: the German invoice example (examples/invoice/einvoice.py).

    python -m pytest benchmarks/test_einvoice.py --benchmark-only -s            # 1,000 invoices
    python -m pytest benchmarks/test_einvoice.py --benchmark-only -s --runslow  # and 10,000

The same invoices from the same Parquet file, in pairs (one run of each in turn, so that a
drift of the machine's speed hits all of them):

- **plain**: the template without its e-invoice mapping, into one PDF;
- **pdfa3**: the same as one PDF/A-3b file;
- **files**: the e-invoice job: the CII XML of each record built and checked, one PDF/A-3b
  file per invoice with its XML embedded, into a folder.

Reported (medians): each run's wall and CPU seconds and pages per CPU-second; the files
run's CPU over the plain run's and over the one PDF/A-3 file's; its file stage
(``merge_seconds``: every file written) beside the PDF/A-3 run's merge (the composed parts
written as one file); what creating that many empty files costs the same
file system, measured beside it (a cost no writer avoids), and the files run's CPU less it
over the one PDF/A-3 file's; the peak memory of each in a fresh process. Nothing asserts on
a timing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ccmcore
from ccmcore.pdf import PdfOptions

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "invoice"
SEED = 42


def _examples():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import einvoice
        import generate
    finally:
        sys.path.remove(str(EXAMPLE))
    return generate, einvoice


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    import pyarrow.parquet as pq

    generate, einvoice = _examples()
    base = tmp_path_factory.mktemp("einvoice-data")
    made = {}

    def get(docs: int) -> Path:
        if docs not in made:
            path = base / f"rechnungen-{docs}.parquet"
            pq.write_table(einvoice.german(generate.generate(docs, seed=SEED)), path)
            made[docs] = path
        return made[docs]

    return get


def _timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    report = fn()
    return time.perf_counter() - w0, time.process_time() - c0, report


def _empty_files(folder: Path, n: int) -> float:
    """CPU seconds to create ``n`` empty files in a new folder beside the output."""
    folder.mkdir()
    c0 = time.process_time()
    for i in range(n):
        with open(folder / f"INV-{i:08d}.pdf", "wb"):
            pass
    return time.process_time() - c0


def _peak_mb(data: Path, out: Path, variant: str) -> float:
    """VmHWM of a run in a fresh process (started through a shell, so the peak is its own)."""
    code = (
        "import sys, dataclasses; sys.path.insert(0, sys.argv[1]); import einvoice, ccmcore; "
        "from ccmcore.pdf import PdfOptions; d = einvoice.document; "
        + (
            "ccmcore.compose(d, sys.argv[2], sys.argv[3]); "
            if variant == "files"
            else "ccmcore.compose(dataclasses.replace(d, einvoice=None), sys.argv[2], sys.argv[3] + '.pdf'); "
        )
        + "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    )
    cmd = f'"{sys.executable}" -c "{code}" "{EXAMPLE}" "{data}" "{out}"'
    done = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def _run(benchmark, data, tmp_path, docs: int, rounds: int):
    _, einvoice = _examples()
    path = data(docs)
    plain_doc = dataclasses.replace(einvoice.document, einvoice=None)

    def plain():
        return ccmcore.compose(plain_doc, str(path), str(tmp_path / "plain.pdf"))

    def pdfa3():
        return ccmcore.compose(plain_doc, str(path), str(tmp_path / "a3.pdf"), pdf=PdfOptions("pdfa-3b"))

    made = iter(range(1 << 30))

    def files():
        # a new folder each run, all removed at the end: a file system that has just
        # removed thousands of files creates the next ones slower (ext4 passes over
        # recently freed inodes), which would time the deletions, not the writer
        return ccmcore.compose(einvoice.document, str(path), str(tmp_path / f"rechnungen-{next(made)}"))

    plain()  # warm-up: fonts, program, page cache
    files()
    runs = []
    for k in range(rounds):
        p, a = _timed(plain), _timed(pdfa3)
        f = benchmark.pedantic(lambda: _timed(files), rounds=1, iterations=1) if k == 0 else _timed(files)
        runs.append((p, a, f, _empty_files(tmp_path / f"empty-{k}", docs)))
    med = statistics.median
    pages = runs[0][0][2].pages
    report = runs[0][2][2]
    assert report.documents == docs and not report.rejected
    assert len(list((tmp_path / f"rechnungen-{rounds}").iterdir())) == docs
    assert all(r[1][2].pages == pages == r[2][2].pages for r in runs)
    figures = {
        "docs": docs,
        "pages": pages,
        "plain_seconds": round(med(r[0][0] for r in runs), 3),
        "plain_pages_per_cpu_s": round(pages / med(r[0][1] for r in runs)),
        "pdfa3_pages_per_cpu_s": round(pages / med(r[1][1] for r in runs)),
        "files_seconds": round(med(r[2][0] for r in runs), 3),
        "files_pages_per_cpu_s": round(pages / med(r[2][1] for r in runs)),
        "files_cpu_over_plain": round(med(r[2][1] / r[0][1] for r in runs), 2),
        "files_cpu_over_pdfa3": round(med(r[2][1] / r[1][1] for r in runs), 2),
        "files_less_file_creation_over_pdfa3": round(med((r[2][1] - r[3]) / r[1][1] for r in runs), 2),
        "files_stage_seconds": round(med(r[2][2].merge_seconds for r in runs), 3),
        "pdfa3_merge_seconds": round(med(r[1][2].merge_seconds for r in runs), 3),
        "creating_empty_files_cpu_seconds": round(med(r[3] for r in runs), 3),
        "plain_peak_mb": round(_peak_mb(path, tmp_path / "peak-plain", "plain"), 1),
        "files_peak_mb": round(_peak_mb(path, tmp_path / "peak-files", "files"), 1),
        "cpus": os.cpu_count(),
    }
    benchmark.extra_info.update(figures)
    print("\ne-invoices:", json.dumps(figures))


def test_einvoice_files_1k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 1000, rounds=5)


@pytest.mark.slow
def test_einvoice_files_10k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 10_000, rounds=3)


@pytest.mark.slow
def test_einvoice_files_workers_10k(benchmark, data, tmp_path):
    """10,000 e-invoices with one and with two workers (wall seconds, median of three
    rounds), beside the same invoices as one PDF/A-3b file: the workers compose the parts
    and then write each part's files."""
    _, einvoice = _examples()
    path = str(data(10_000))
    plain_doc = dataclasses.replace(einvoice.document, einvoice=None)
    made = iter(range(1 << 30))

    def one_file(workers):
        return ccmcore.compose(plain_doc, path, str(tmp_path / "a3.pdf"), pdf=PdfOptions("pdfa-3b"), workers=workers)

    def files(workers):
        return ccmcore.compose(einvoice.document, path, str(tmp_path / f"rechnungen-{next(made)}"), workers=workers)

    files(2)  # warm-up
    runs = {k: [] for k in ("pdfa3_1", "pdfa3_2", "files_1", "files_2", "stage_1", "stage_2")}
    for k in range(3):
        for w in (1, 2):
            wall, _, _ = _timed(functools.partial(one_file, w))
            runs[f"pdfa3_{w}"].append(wall)
            if k == 0 and w == 2:
                wall, _, report = benchmark.pedantic(lambda: _timed(lambda: files(2)), rounds=1, iterations=1)
            else:
                wall, _, report = _timed(functools.partial(files, w))
            runs[f"files_{w}"].append(wall)
            runs[f"stage_{w}"].append(report.merge_seconds)
            assert report.documents == 10_000 and report.workers == w
    figures = {name: round(statistics.median(v), 3) for name, v in runs.items()}
    figures["files_speed_up"] = round(figures["files_1"] / figures["files_2"], 2)
    figures["pdfa3_speed_up"] = round(figures["pdfa3_1"] / figures["pdfa3_2"], 2)
    benchmark.extra_info.update(figures)
    print("\ne-invoices with workers:", json.dumps(figures))
