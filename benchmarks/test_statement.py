"""Benchmarks of the bank statement job (examples/statement) to PDF and AFP.

Run from the repository root::

    python -m pytest benchmarks/test_statement.py --benchmark-only -s            # 1,000 statements
    python -m pytest benchmarks/test_statement.py --benchmark-only -s --runslow  # + 10,000 to PDF

Timed end to end, as for the invoice: the Parquet file on disk (generated once per
session, not timed) to the finished file. A statement is denser than an invoice (about
45 transactions a page, two barcodes a page: the OMR strip and a Data Matrix that differs
on every page) and duplex (blank back pages are counted as pages). Figures go into
``benchmark.extra_info`` and, with ``-s``, to stdout; nothing asserts on a timing.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path

import pytest

import ccmcore

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "statement"
#: the benchmark data's seed (the same as the invoice benchmarks')
SEED = 42
#: statements make about 3.7 pages each (duplex, 5 to 400 transactions); bounds catch nonsense
MIN_PAGES_PER_DOC, MAX_PAGES_PER_DOC = 2.0, 6.0


def _load(name: str, path: Path):
    """Import an example module by path (the invoice example owns the plain names)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def statement_parquet(tmp_path_factory):
    """Return a function ``docs -> (Path, transactions)``: a Parquet file of that many
    statements, generated once per session."""
    gen = _load("ccm_examples_statement_generate", EXAMPLE / "generate.py")
    base = tmp_path_factory.mktemp("statement-data")
    made: dict[int, tuple[Path, int]] = {}

    def get(docs: int) -> tuple[Path, int]:
        if docs not in made:
            path = base / f"statement-{docs}.parquet"
            rows, transactions = gen.write_parquet(str(path), docs, SEED)
            assert rows == docs
            made[docs] = (path, transactions)
        return made[docs]

    return get


@pytest.fixture(scope="session")
def statement_document():
    """The document definition of the statement job."""
    return _load("ccm_examples_statement_template", EXAMPLE / "template.py").document


def _compose_rounds(benchmark, document, data: Path, out: Path, *, rounds: int, warmup_rounds: int, fmt: str) -> dict:
    """Run compose under ``benchmark.pedantic``; figures are medians of the measured rounds."""
    runs: list[tuple[float, float, ccmcore.JobReport]] = []

    def job():
        c0 = time.process_time()
        w0 = time.perf_counter()
        report = ccmcore.compose(document, str(data), str(out), format=fmt)
        runs.append((time.perf_counter() - w0, time.process_time() - c0, report))
        return report

    report = benchmark.pedantic(job, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    measured = runs[warmup_rounds:] or runs
    wall = statistics.median(w for w, _, _ in measured)
    cpu = statistics.median(c for _, c, _ in measured)
    assert report.rejected == [], report.rejected[:3]
    assert all(r.pages == report.pages and r.documents == report.documents for _, _, r in measured)
    fig = {
        "format": fmt,
        "documents": report.documents,
        "pages": report.pages,
        "rounds": len(measured),
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "pages_per_s": round(report.pages / wall, 1),
        "pages_per_cpu_s": round(report.pages / cpu, 1) if cpu > 0 else None,
        "best_pages_per_s": round(report.pages / min(w for w, _, _ in measured), 1),
        "output_bytes": out.stat().st_size,
    }
    benchmark.extra_info.update(fig)
    return fig


def _check(fig: dict, docs: int) -> None:
    print(f"\n[statement {fig['format'].upper()} {docs:,}] " + ", ".join(f"{k}={v}" for k, v in fig.items()))
    assert fig["documents"] == docs
    assert MIN_PAGES_PER_DOC * docs <= fig["pages"] <= MAX_PAGES_PER_DOC * docs, fig
    assert fig["pages"] % 2 == 0  # duplex: whole sheets
    assert fig["output_bytes"] > 0


def test_statement_pdf_1k(benchmark, statement_parquet, statement_document, tmp_path):
    """1,000 statements, Parquet to PDF: 5 measured rounds after 1 warm-up round."""
    data, transactions = statement_parquet(1000)
    benchmark.extra_info["transactions"] = transactions
    fig = _compose_rounds(
        benchmark, statement_document, data, tmp_path / "statements.pdf", rounds=5, warmup_rounds=1, fmt="pdf"
    )
    _check(fig, 1000)


def test_statement_afp_1k(benchmark, statement_parquet, statement_document, tmp_path):
    """1,000 statements, Parquet to AFP (MO:DCA-P): the same job and rounds as the PDF one."""
    data, transactions = statement_parquet(1000)
    benchmark.extra_info["transactions"] = transactions
    fig = _compose_rounds(
        benchmark, statement_document, data, tmp_path / "statements.afp", rounds=5, warmup_rounds=1, fmt="afp"
    )
    _check(fig, 1000)


@pytest.mark.slow
def test_statement_pdf_10k(benchmark, statement_parquet, statement_document, tmp_path):
    """10,000 statements, Parquet to PDF (only with --runslow or CCM_BENCH_SLOW=1)."""
    data, transactions = statement_parquet(10_000)
    benchmark.extra_info["transactions"] = transactions
    fig = _compose_rounds(
        benchmark, statement_document, data, tmp_path / "statements.pdf", rounds=3, warmup_rounds=1, fmt="pdf"
    )
    _check(fig, 10_000)
