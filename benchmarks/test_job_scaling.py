"""The production job: every core, memory per worker, restart after kill -9.

    python -m pytest benchmarks/test_job_scaling.py --benchmark-only -s --runslow

- ``test_workers_scale_*``: 10,000 invoices to PDF and to AFP, ``compose(workers=1)`` and
  ``compose(workers=2)`` in turn (3 rounds each after a warm-up of each), in this
  process. Figures: median wall seconds and pages per second of each, the speed-up
  (median of the pairwise ratios), pages per CPU-second of one worker, and whether every
  output of every round was byte-identical (asserted).
- ``test_memory_per_worker``: the memory probe in a fresh process with ``--workers 2``:
  the job process's peak and the forked worker's peak (VmHWM read while it runs).
- ``test_kill_9_then_resume_20k``: 20,000 invoices with ``ccm compose -j 2``, killed with
  SIGKILL (the job and its workers, as a power cut would) at ten moments drawn from a
  seeded random generator over the uninterrupted run's duration, each followed by
  ``--resume``; all ten results must be byte-identical to the uninterrupted file and pass
  ``ccm reconcile``. Figures: the moments, the parts each resume reused, its seconds.

Nothing asserts on a timing.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ccmcore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = ROOT / "examples" / "invoice" / "template.py"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cpu() -> float:
    import resource

    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _scaling(benchmark, document, data: Path, tmp_path: Path, fmt: str) -> dict:
    runs: dict[int, list] = {1: [], 2: []}
    digests = set()

    def once(workers: int, keep: bool):
        out = tmp_path / f"w{workers}.{fmt}"
        c0, w0 = _cpu(), time.perf_counter()
        report = ccmcore.compose(document, str(data), str(out), workers=workers)
        wall, cpu = time.perf_counter() - w0, _cpu() - c0
        digests.add(_sha(out))
        if keep:
            runs[workers].append((wall, cpu, report.pages))

    def rounds():
        for workers in (1, 2):
            once(workers, keep=False)  # warm-up: fonts, caches
        for _ in range(3):
            for workers in (1, 2):
                once(workers, keep=True)

    benchmark.pedantic(rounds, rounds=1, iterations=1)
    pages = runs[1][0][2]
    w1 = statistics.median(w for w, _, _ in runs[1])
    w2 = statistics.median(w for w, _, _ in runs[2])
    fig = {
        "format": fmt,
        "pages": pages,
        "j1_wall_s": round(w1, 3),
        "j2_wall_s": round(w2, 3),
        "j1_pages_per_s": round(pages / w1),
        "j2_pages_per_s": round(pages / w2),
        "speedup": round(statistics.median(a[0] / b[0] for a, b in zip(runs[1], runs[2])), 2),
        "j1_pages_per_cpu_s": round(pages / statistics.median(c for _, c, _ in runs[1])),
        "byte_identical": len(digests) == 1,
    }
    benchmark.extra_info.update(fig)
    print(f"\n[{fmt} -j1 vs -j2] " + ", ".join(f"{k}={v}" for k, v in fig.items()))
    assert len(digests) == 1, "the outputs of -j 1 and -j 2 differ"
    return fig


@pytest.mark.slow
def test_workers_scale_pdf(benchmark, invoice_parquet, invoice_document, tmp_path):
    _scaling(benchmark, invoice_document, invoice_parquet(10_000), tmp_path, "pdf")


@pytest.mark.slow
def test_workers_scale_afp(benchmark, invoice_parquet, invoice_document, tmp_path):
    _scaling(benchmark, invoice_document, invoice_parquet(10_000), tmp_path, "afp")


@pytest.mark.slow
def test_memory_per_worker(benchmark):
    probe = HERE / "memory_probe.py"

    def run():
        out = subprocess.run(
            ["sh", "-c", f'exec "{sys.executable}" "{probe}" --docs 10000 --workers 2'],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    fig = benchmark.pedantic(run, rounds=1, iterations=1)
    keep = ("pages", "seconds", "pages_per_s", "vmhwm_mb", "worker_peak_mb", "baseline_rss_mb")
    benchmark.extra_info.update({k: fig[k] for k in keep})
    print("\n[memory, -j 2, 10k] " + ", ".join(f"{k}={fig[k]}" for k in keep))
    assert fig["docs"] == 10_000 and fig["worker_peak_mb"] is not None


@pytest.mark.slow
def test_kill_9_then_resume_20k(benchmark, invoice_parquet, tmp_path):
    data = invoice_parquet(20_000)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    ccm = [sys.executable, "-m", "ccmcore.cli", "compose", str(TEMPLATE), str(data), "-q", "-j", "2"]
    ref = tmp_path / "ref.pdf"
    t0 = time.perf_counter()
    subprocess.run([*ccm, "-o", str(ref)], env=env, check=True)
    full = time.perf_counter() - t0
    rng = random.Random(9)
    moments = sorted(rng.uniform(0.3, full * 0.95) for _ in range(10))
    figures = []

    def kills():
        for k, moment in enumerate(moments):
            out = tmp_path / f"k{k}.pdf"
            proc = subprocess.Popen([*ccm, "-o", str(out)], env=env, start_new_session=True)
            time.sleep(moment)
            os.killpg(proc.pid, signal.SIGKILL)  # the job and its workers at once
            proc.wait()
            t = time.perf_counter()
            report = tmp_path / f"k{k}.json"
            subprocess.run([*ccm, "-o", str(out), "--resume", "--report", str(report)], env=env, check=True)
            saved = json.loads(report.read_text())
            figures.append(
                {
                    "killed_at_s": round(moment, 2),
                    "parts_reused": saved["parts_reused"],
                    "parts": saved["parts"],
                    "resume_s": round(time.perf_counter() - t, 2),
                    "identical": _sha(out) == _sha(ref),
                }
            )

    benchmark.pedantic(kills, rounds=1, iterations=1)
    benchmark.extra_info.update({"uninterrupted_s": round(full, 2), "runs": figures})
    print(f"\n[kill -9 then --resume, 20k] uninterrupted {full:.2f} s")
    for f in figures:
        print("  " + ", ".join(f"{k}={v}" for k, v in f.items()))
    assert all(f["identical"] for f in figures)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ccmcore.cli",
            "reconcile",
            str(tmp_path / "k9.pdf"),
            str(tmp_path / "k9.pdf.manifest.parquet"),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
