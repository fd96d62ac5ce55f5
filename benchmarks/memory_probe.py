"""Peak memory and throughput of the standard invoice job, in a fresh process.

    python benchmarks/memory_probe.py --docs 100000 [--seed 42] [--batch-size 1024]
                                      [--row-group 65536] [--keep DIR] [--tracemalloc [TOP]]

1. Generates ``--docs`` invoice rows to a Parquet file in a temporary directory, in a
   *separate* subprocess (``examples/invoice/generate.py``, which streams batches through
   ``write_parquet``), so neither the generation time nor its memory counts here.
2. Composes that file to PDF with ``ccmcore.compose`` in this process, timing only the
   compose call (wall: ``perf_counter``, CPU: ``process_time``).
3. Prints one JSON object on stdout::

       {"docs", "pages", "seconds", "pages_per_s", "cpu_seconds", "pages_per_cpu_s",
        "maxrss_mb", "baseline_rss_mb", "output_mb", "rss_samples_mb", ...}

   ``maxrss_mb`` is ``getrusage(RUSAGE_SELF).ru_maxrss / 1024`` (peak resident set of this
   process: interpreter, imports, and the compose). ``vmhwm_mb`` is the same peak read
   from ``/proc/self/status`` (VmHWM). They agree when the probe is started from a shell;
   but Linux carries ``ru_maxrss`` over ``execve``, so when a big process (pytest with
   ReportLab loaded, say) spawns the probe directly, ``ru_maxrss`` reports the parent's
   peak instead. VmHWM belongs to this address space only and is always right; the
   benchmark starts the probe through ``sh -c`` (fork, then exec) so both are clean. ``baseline_rss_mb`` is the resident
   set just before compose (after imports and loading the template), so
   ``maxrss_mb - baseline_rss_mb`` is what the job itself added. ``rss_samples_mb`` is the
   current RSS after every tenth of the records, taken in compose's progress callback: a
   flat curve means bounded memory, a rising one means something grows with the job.

``--tracemalloc`` (optionally with a count, default 15) also traces Python allocations
(numpy arrays included, Arrow's memory pool and C mallocs not) and adds
``tracemalloc_top`` (the sites holding the most live memory when the last batch is
done), ``tracemalloc_growth`` (what grew between the first and the last batch: the
sites that scale with the job) and ``tracemalloc_peak_mb``. Tracing slows the job down several times, so its
timings are not comparable to an untraced run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVOICE_DIR = ROOT / "examples" / "invoice"


def _current_rss_mb() -> float:
    """Resident set size now, in MiB (Linux /proc; falls back to peak elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            resident_pages = int(fh.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _vm_hwm_mb() -> float | None:
    """Peak resident set of this address space (Linux VmHWM), in MiB, or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _generate(path: Path, docs: int, seed: int, row_group: int) -> float:
    """Write the Parquet file in a child process; returns its wall time."""
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(INVOICE_DIR / "generate.py"),
            "--docs",
            str(docs),
            "--seed",
            str(seed),
            "--batch-size",
            str(row_group),
            "-o",
            str(path),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - t0


def _children_hwm_mb() -> list[float]:
    """The peak resident set (VmHWM) of each child process running now (Linux)."""
    out = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/children") as fh:
                pids = fh.read().split()
        except OSError:
            continue
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmHWM:"):
                            out.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
    return out


def probe(
    docs: int,
    seed: int = 42,
    *,
    batch_size: int = 1024,
    row_group: int = 65_536,
    workdir: Path | None = None,
    trace: int = 0,
    workers: int = 1,
) -> dict:
    """Generate (in a child), compose (here) and measure; returns the JSON-able result."""
    own_tmp = None
    if workdir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="ccm-memprobe-")
        workdir = Path(own_tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"invoice-{docs}.parquet"
    pdf = workdir / f"invoice-{docs}.pdf"
    try:
        gen_seconds = _generate(data, docs, seed, row_group)

        for p in (str(ROOT / "src"), str(INVOICE_DIR)):
            if p not in sys.path:
                sys.path.insert(0, p)
        import tracemalloc

        import pyarrow as pa
        from template import document

        import ccmcore

        samples: list[tuple[int, float]] = []
        step = max(1, docs // 10)
        next_sample = [step]

        snaps: list = []  # tracemalloc snapshots: after the first batch, after the last

        worker_peaks: list[float] = []

        def progress(records: int, pages: int, total) -> None:
            worker_peaks.extend(_children_hwm_mb())
            last = total is not None and records >= total
            if trace and (not snaps or last):
                snaps.append(tracemalloc.take_snapshot())
            if records >= next_sample[0] or last:
                samples.append((records, round(_current_rss_mb(), 1)))
                while next_sample[0] <= records:
                    next_sample[0] += step

        if trace:
            tracemalloc.start(8)

        pandas_before = "pandas" in sys.modules
        baseline = _current_rss_mb()
        c0 = time.process_time()
        w0 = time.perf_counter()
        report = ccmcore.compose(
            document, str(data), str(pdf), batch_size=batch_size, progress=progress, workers=workers
        )
        wall = time.perf_counter() - w0
        cpu = time.process_time() - c0
        maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        hwm = _vm_hwm_mb()
        if hwm is not None and maxrss_mb > hwm * 1.05 + 1:
            print(
                f"memory_probe: ru_maxrss ({maxrss_mb:.0f} MB) is above this process's own peak "
                f"(VmHWM {hwm:.0f} MB): Linux carries ru_maxrss over execve from the process that "
                f"started this one; trust vmhwm_mb",
                file=sys.stderr,
            )

        result = {
            "docs": report.documents,
            "pages": report.pages,
            "seconds": round(wall, 3),
            "pages_per_s": round(report.pages / wall, 1) if wall > 0 else 0.0,
            "cpu_seconds": round(cpu, 3),
            "pages_per_cpu_s": round(report.pages / cpu, 1) if cpu > 0 else 0.0,
            "maxrss_mb": round(maxrss_mb, 1),
            # the largest peak (VmHWM) of the forked workers, read while they run: memory per worker
            "worker_peak_mb": round(max(worker_peaks), 1) if worker_peaks else None,
            "workers": workers,
            "vmhwm_mb": None if hwm is None else round(hwm, 1),
            "baseline_rss_mb": round(baseline, 1),
            "end_rss_mb": round(_current_rss_mb(), 1),
            "output_mb": round(pdf.stat().st_size / (1 << 20), 2),
            "input_mb": round(data.stat().st_size / (1 << 20), 2),
            "records": report.records,
            "rejected": len(report.rejected),
            "warnings": len(report.warnings),
            "batch_size": batch_size,
            "row_group": row_group,
            "generate_seconds": round(gen_seconds, 3),
            "arrow_pool_peak_mb": round(pa.default_memory_pool().max_memory() / (1 << 20), 1),
            "rss_samples_mb": [[r, mb] for r, mb in samples],
            # pyarrow imports pandas (when installed) on its first Python-object conversion,
            # which compose makes: ~0.3 s and ~35-45 MB of this process's figures
            "pandas_imported_by_compose": not pandas_before and "pandas" in sys.modules,
        }
        if trace:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            ignore = [
                tracemalloc.Filter(False, tracemalloc.__file__),
                tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
            ]
            first, end = (sn.filter_traces(ignore) for sn in (snaps[0], snaps[-1]))

            def sites(stats) -> list[dict]:
                return [
                    {
                        "kib": round(st.size / 1024, 1),
                        "kib_diff": round(getattr(st, "size_diff", 0) / 1024, 1),
                        "count": st.count,
                        "count_diff": getattr(st, "count_diff", 0),
                        "where": [f"{Path(f.filename).name}:{f.lineno}" for f in reversed(st.traceback)],
                    }
                    for st in stats[:trace]
                ]

            result["tracemalloc_peak_mb"] = round(peak / (1 << 20), 1)
            # live Python/numpy memory at the last batch, biggest sites first
            result["tracemalloc_top"] = sites(end.statistics("traceback"))
            # what grew between the first and the last batch: the sites that scale with the job
            result["tracemalloc_growth"] = sites(end.compare_to(first, "traceback"))
        return result
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000, help="invoices to generate and compose")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch-size", type=int, default=1024, help="compose batch size")
    ap.add_argument("--workers", type=int, default=1, help="processes composing (compose(workers=N))")
    ap.add_argument(
        "--row-group",
        type=int,
        default=65_536,
        help="rows per Parquet row group of the generated file (generate.py's default)",
    )
    ap.add_argument("--keep", metavar="DIR", help="write the Parquet and PDF here and keep them")
    ap.add_argument(
        "--tracemalloc",
        nargs="?",
        type=int,
        const=15,
        default=0,
        metavar="TOP",
        help="trace Python allocations and list the TOP biggest live sites",
    )
    args = ap.parse_args(argv)
    if args.docs < 1:
        ap.error("--docs must be >= 1")
    result = probe(
        args.docs,
        args.seed,
        batch_size=args.batch_size,
        row_group=args.row_group,
        workdir=Path(args.keep) if args.keep else None,
        trace=args.tracemalloc,
        workers=args.workers,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
