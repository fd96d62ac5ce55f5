"""Benchmarks of the standard invoice job to PDF (see /work/shared/jobs/invoice.md).

Run from the repository root::

    python -m pytest benchmarks --benchmark-only -s            # 1,000 documents
    python -m pytest benchmarks --benchmark-only -s --runslow  # + 10k / 100k documents

What is timed is end to end: the Parquet file on disk (generated once per session, not
timed) to the finished PDF, font subsetting and compression included. Figures go into
``benchmark.extra_info`` (so into ``--benchmark-json``) and, with ``-s``, to stdout.
Nothing here asserts on timings; the asserts check that the work was really done
(documents, page counts, a non-empty output).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ccmcore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: the standard job makes about 1.2-1.4 pages a document; these bounds only catch nonsense
MIN_PAGES_PER_DOC, MAX_PAGES_PER_DOC = 1.0, 4.0


def _plausible(pages: int, docs: int) -> bool:
    return MIN_PAGES_PER_DOC * docs <= pages <= MAX_PAGES_PER_DOC * docs


def _compose_rounds(
    benchmark, document, data: Path, out: Path, *, rounds: int, warmup_rounds: int, fmt: str = "pdf"
) -> dict:
    """Run compose under ``benchmark.pedantic`` and summarise the measured rounds.

    Returns a dict with documents, pages, wall and CPU seconds (median of the measured
    rounds, warm-up excluded), pages per second (wall) and per CPU-second, output bytes.
    """
    runs: list[tuple[float, float, ccmcore.JobReport]] = []

    def job():
        c0 = time.process_time()
        w0 = time.perf_counter()
        report = ccmcore.compose(document, str(data), str(out), format=fmt)
        wall = time.perf_counter() - w0
        cpu = time.process_time() - c0
        runs.append((wall, cpu, report))
        return report

    report = benchmark.pedantic(job, rounds=rounds, warmup_rounds=warmup_rounds, iterations=1)
    measured = runs[warmup_rounds:] or runs  # the warm-up rounds are not part of the figures
    wall = statistics.median(w for w, _, _ in measured)
    cpu = statistics.median(c for _, c, _ in measured)
    assert report.rejected == [], report.rejected[:3]
    assert all(r.pages == report.pages and r.documents == report.documents for _, _, r in measured)
    fig = {
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


def _show(title: str, fig: dict) -> None:
    print(f"\n[{title}] " + ", ".join(f"{k}={v}" for k, v in fig.items()))


# ---------------------------------------------------------------------------------------
# ccmcore, Parquet -> PDF
# ---------------------------------------------------------------------------------------


def test_invoice_pdf_1k(benchmark, invoice_parquet, invoice_document, side_by_side, tmp_path):
    """1,000 invoices, Parquet to PDF: 5 measured rounds after 1 warm-up round."""
    docs = 1000
    fig = _compose_rounds(
        benchmark, invoice_document, invoice_parquet(docs), tmp_path / "invoices.pdf", rounds=5, warmup_rounds=1
    )
    side_by_side["ccmcore"] = fig
    _show("ccmcore 1k", fig)
    assert fig["documents"] == docs
    assert _plausible(fig["pages"], docs), fig
    assert fig["output_bytes"] > 0


_JOBS_IN_A_PROCESS = """
import sys, time
sys.path.insert(0, sys.argv[1])
import ccmcore
from ccmcore.pdf import PdfOptions
from template import document
kw = {"pdf": PdfOptions(standard=sys.argv[4])} if sys.argv[4] != "plain" else {}
ccmcore.compose(document, sys.argv[2], sys.argv[3], **kw)  # warm-up: imports, fonts
cpu = []
for _ in range(int(sys.argv[5])):
    c0 = time.process_time()
    report = ccmcore.compose(document, sys.argv[2], sys.argv[3], **kw)
    cpu.append(time.process_time() - c0)
cpu.sort()
print(report.pages / cpu[len(cpu) // 2])
"""


def _own_process(data: str, out: Path, standard: str, jobs: int = 5) -> float:
    """Pages per CPU-second of the job run ``jobs`` times in a fresh process of its own (the
    median, after a warm-up run): a job as the command line runs it, with no other kind
    of job before it in the process."""
    example = str(ROOT / "examples" / "invoice")
    done = subprocess.run(
        [sys.executable, "-c", _JOBS_IN_A_PROCESS, example, data, str(out), standard, str(jobs)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _paired_standard(benchmark, invoice_parquet, invoice_document, tmp_path, standard: str, label: str):
    """1,000 invoices with a PDF standard against the plain PDF: five pairs, one run of
    each in turn, so a drift of the machine hits both; the median of the pairs'
    throughput ratios. Then the same in fresh processes, one kind of job each (five
    pairs of processes): alternating in one process costs each kind of job memory the
    other kind gave back."""
    from ccmcore.pdf import PdfOptions

    docs = 1000
    data = str(invoice_parquet(docs))
    options = PdfOptions(standard=standard)

    def run(**kw):
        c0 = time.process_time()
        report = ccmcore.compose(invoice_document, data, str(tmp_path / "invoices.pdf"), **kw)
        return report, time.process_time() - c0

    run()
    run(pdf=options)  # warm-up of both
    pairs = []
    for k in range(5):
        plain, plain_cpu = run()
        if k == 0:
            report, cpu = benchmark.pedantic(lambda: run(pdf=options), rounds=1, iterations=1)
        else:
            report, cpu = run(pdf=options)
        pairs.append((plain.pages / plain_cpu, report.pages / cpu))
    fig = {
        "standard": standard,
        "documents": report.documents,
        "pages": report.pages,
        "plain_pages_per_cpu_s": round(statistics.median(p for p, _ in pairs), 1),
        "standard_pages_per_cpu_s": round(statistics.median(a for _, a in pairs), 1),
        "share_of_plain": round(statistics.median(a / p for p, a in pairs), 3),
    }
    procs = [
        (_own_process(data, tmp_path / "plain.pdf", "plain"), _own_process(data, tmp_path / "std.pdf", standard))
        for _ in range(5)
    ]
    fig["own_process_share_of_plain"] = round(statistics.median(a / p for p, a in procs), 3)
    benchmark.extra_info.update(fig)
    _show(f"ccmcore 1k {label}", fig)
    assert report.documents == docs and _plausible(report.pages, docs)


def test_invoice_pdfa_1k(benchmark, invoice_parquet, invoice_document, tmp_path):
    """PDF/A-2b (XMP metadata, sRGB output intent) against the plain PDF."""
    _paired_standard(benchmark, invoice_parquet, invoice_document, tmp_path, "pdfa-2b", "PDF/A-2b")


def test_invoice_pdfua_1k(benchmark, invoice_parquet, invoice_document, tmp_path):
    """PDF/UA-1 with PDF/A-2b (marked content, the structure tree) against the plain PDF."""
    _paired_standard(benchmark, invoice_parquet, invoice_document, tmp_path, "pdfa-2b+pdfua-1", "PDF/UA-1 + PDF/A-2b")


def test_invoice_afp_1k(benchmark, invoice_parquet, invoice_document, side_by_side, tmp_path):
    """1,000 invoices, Parquet to AFP (MO:DCA-P): the same job and rounds as the PDF one."""
    docs = 1000
    fig = _compose_rounds(
        benchmark,
        invoice_document,
        invoice_parquet(docs),
        tmp_path / "invoices.afp",
        rounds=5,
        warmup_rounds=1,
        fmt="afp",
    )
    side_by_side["ccmcore_afp"] = fig
    _show("ccmcore AFP 1k", fig)
    if "ccmcore" in side_by_side:
        pdf = side_by_side["ccmcore"]
        print(f"[AFP vs PDF] {fig['pages_per_cpu_s'] / pdf['pages_per_cpu_s']:.2f}x pages per CPU-second")
    assert fig["documents"] == docs
    assert _plausible(fig["pages"], docs), fig
    assert fig["output_bytes"] > 0


@pytest.mark.slow
def test_invoice_pdf_10k(benchmark, invoice_parquet, invoice_document, tmp_path):
    """10,000 invoices, Parquet to PDF (only with --runslow or CCM_BENCH_SLOW=1)."""
    docs = 10_000
    fig = _compose_rounds(
        benchmark, invoice_document, invoice_parquet(docs), tmp_path / "invoices.pdf", rounds=5, warmup_rounds=1
    )
    _show("ccmcore 10k", fig)
    assert fig["documents"] == docs
    assert _plausible(fig["pages"], docs), fig


# ---------------------------------------------------------------------------------------
# ReportLab side by side (same Parquet file, same invoice)
# ---------------------------------------------------------------------------------------


def _reportlab_job(data: Path, out: Path) -> tuple[int, int]:
    """Parquet on disk -> PDF with the ReportLab peer; returns (documents, pages)."""
    import pyarrow.parquet as pq

    from benchmarks.peers.reportlab_invoice import render_reportlab

    table = pq.read_table(str(data))
    pages = render_reportlab(table, str(out))
    return table.num_rows, pages


def _pdf_page_count(path: Path) -> int | None:
    """Pages of a PDF as a real reader sees them (None if no reader is installed)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return None
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def test_reportlab_invoice_1k(benchmark, invoice_parquet, side_by_side, tmp_path):
    """The same 1,000 invoices with ReportLab (one round: it takes ~10 s)."""
    pytest.importorskip("reportlab")
    docs = 1000
    data = invoice_parquet(docs)
    out = tmp_path / "invoices-reportlab.pdf"
    timings: list[tuple[float, float]] = []

    def job():
        c0 = time.process_time()
        w0 = time.perf_counter()
        result = _reportlab_job(data, out)
        timings.append((time.perf_counter() - w0, time.process_time() - c0))
        return result

    documents, pages = benchmark.pedantic(job, rounds=1, warmup_rounds=0, iterations=1)
    wall, cpu = timings[-1]
    fig = {
        "documents": documents,
        "pages": pages,
        "rounds": 1,
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "pages_per_s": round(pages / wall, 1),
        "pages_per_cpu_s": round(pages / cpu, 1) if cpu > 0 else None,
        "output_bytes": out.stat().st_size,
    }
    benchmark.extra_info.update(fig)
    side_by_side["reportlab"] = fig
    _show("reportlab 1k", fig)
    assert documents == docs
    assert _plausible(pages, docs), fig
    read = _pdf_page_count(out)
    assert read is None or read == pages, (read, pages)


def test_ratio_ccmcore_vs_reportlab(benchmark, side_by_side):
    """ccmcore pages/s ÷ ReportLab pages/s, from the two benchmarks above (not re-run).

    Takes the ``benchmark`` fixture only so that ``--benchmark-only`` keeps it and the
    ratio lands in the JSON report; the timed function is trivial.
    """
    missing = [k for k in ("ccmcore", "reportlab") if k not in side_by_side]
    if missing:
        pytest.skip(
            f"needs test_invoice_pdf_1k and test_reportlab_invoice_1k in the same session "
            f"(missing: {', '.join(missing)})"
        )
    ccm, rl = side_by_side["ccmcore"], side_by_side["reportlab"]

    # same input, same job: the same documents and about the same pages on both sides
    assert ccm["documents"] == rl["documents"] == 1000
    assert _plausible(ccm["pages"], ccm["documents"]) and _plausible(rl["pages"], rl["documents"])
    assert 0.67 <= ccm["pages"] / rl["pages"] <= 1.5, (ccm["pages"], rl["pages"])

    def ratios() -> dict:
        return {
            "ratio_pages_per_s": round(ccm["pages_per_s"] / rl["pages_per_s"], 1),
            "ratio_pages_per_cpu_s": round(ccm["pages_per_cpu_s"] / rl["pages_per_cpu_s"], 1),
            "ratio_seconds_per_document": round(
                (rl["wall_s"] / rl["documents"]) / (ccm["wall_s"] / ccm["documents"]), 1
            ),
        }

    result = benchmark.pedantic(ratios, rounds=1, iterations=1)
    info = {
        **result,
        "ccmcore_pages": ccm["pages"],
        "ccmcore_pages_per_s": ccm["pages_per_s"],
        "ccmcore_pages_per_cpu_s": ccm["pages_per_cpu_s"],
        "reportlab_pages": rl["pages"],
        "reportlab_pages_per_s": rl["pages_per_s"],
        "reportlab_pages_per_cpu_s": rl["pages_per_cpu_s"],
    }
    benchmark.extra_info.update(info)
    print(
        f"\n[ccmcore vs ReportLab, 1,000 invoices] ccmcore {ccm['pages_per_s']:,.0f} pages/s "
        f"({ccm['pages']} pages), ReportLab {rl['pages_per_s']:,.0f} pages/s ({rl['pages']} pages): "
        f"ratio {result['ratio_pages_per_s']}x (per CPU-second {result['ratio_pages_per_cpu_s']}x, "
        f"per document {result['ratio_seconds_per_document']}x)"
    )


# ---------------------------------------------------------------------------------------
# Peak memory, each size in a fresh process (benchmarks/memory_probe.py)
# ---------------------------------------------------------------------------------------


def _probe(docs: int, timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, str(HERE / "memory_probe.py"), "--docs", str(docs)]
    if os.name == "posix" and os.path.exists("/bin/sh"):
        # a small shell forks the probe: started straight from this (big) process, the probe's
        # ru_maxrss would begin at pytest's peak, which Linux carries over execve
        cmd = ["/bin/sh", "-c", '"$0" "$@"; exit $?', *cmd]
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _memory_case(benchmark, docs: int, timeout: float) -> dict:
    results: list[dict] = []
    benchmark.pedantic(lambda: results.append(_probe(docs, timeout)), rounds=1, warmup_rounds=0, iterations=1)
    res = results[-1]
    benchmark.extra_info.update(res)
    print(f"\n[memory probe {docs:,} documents] {json.dumps(res)}")
    assert res["docs"] == docs and res["rejected"] == 0
    assert _plausible(res["pages"], docs), res
    assert res["maxrss_mb"] > 0 and res["output_mb"] > 0
    return res


def test_memory_1k(benchmark):
    """Peak RSS of composing 1,000 invoices in a fresh process (the benchmark time includes
    process start-up and data generation; the probe's own ``seconds`` is compose only)."""
    _memory_case(benchmark, 1000, timeout=300)


@pytest.mark.slow
def test_memory_10k(benchmark):
    """Peak RSS for 10,000 invoices (only with --runslow or CCM_BENCH_SLOW=1)."""
    _memory_case(benchmark, 10_000, timeout=900)


@pytest.mark.slow
def test_memory_100k(benchmark):
    """Peak RSS for 100,000 invoices (only with --runslow or CCM_BENCH_SLOW=1)."""
    _memory_case(benchmark, 100_000, timeout=3600)
