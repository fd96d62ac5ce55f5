"""What mail production costs on top of composing: the statement job (examples/statement).

    python -m pytest benchmarks/test_mail.py --benchmark-only -s            # 1,000 statements
    python -m pytest benchmarks/test_mail.py --benchmark-only -s --runslow  # and 10,000

Two runs of the same statements (about one in eight householded with the one before it):

- **plain**: the standard statement job, its own OMR strip and Data Matrix on every page,
  merged in record order into one PDF;
- **mail**: ``mail_document`` (the same statement without marks of its own) with the plan
  ``examples/statement/mail.json``: householding, capacity, inserts, classes, presort,
  split by class, marks per sheet of the piece, inserter files, archive indexes and the
  production report.

Reported: each run's wall and CPU time and pages per CPU-second; the mail run's own
post-processing time (planning, merging in piece order with its marks, every file) as a
share of its composing time, and the mail run's extra time over the plain run; the peak
memory of a mail run in a fresh process. Nothing asserts on a timing.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ccmcore
from ccmcore.post import MailPlan

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "statement"
SEED = 42


def _examples():
    sys.path.insert(0, str(EXAMPLE))
    try:
        import generate
        import mail
        import template
    finally:
        sys.path.remove(str(EXAMPLE))
    return generate, mail, template


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    import pyarrow.parquet as pq

    generate, mail, _ = _examples()
    base = tmp_path_factory.mktemp("mail-data")
    made = {}

    def get(docs: int) -> Path:
        if docs not in made:
            path = base / f"statements-{docs}.parquet"
            pq.write_table(mail.with_households(generate.generate(docs, seed=SEED)), path)
            made[docs] = path
        return made[docs]

    return get


def _timed(fn, rounds: int):
    runs = []
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        report = fn()
        runs.append((time.perf_counter() - w0, time.process_time() - c0, report))
    return runs


def _peak_mb(docs: int, data: Path, out: Path) -> float:
    """VmHWM of a mail run in a fresh process (started through a shell, so the peak is its own)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import template, ccmcore; "
        "ccmcore.compose(template.mail_document, sys.argv[2], sys.argv[3], mail=sys.argv[1] + '/mail.json'); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    )
    cmd = f'"{sys.executable}" -c "{code}" "{EXAMPLE}" "{data}" "{out}"'
    done = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def _run(benchmark, data, tmp_path, docs: int, rounds: int):
    _, _, template = _examples()
    path = data(docs)
    plan = MailPlan.load(EXAMPLE / "mail.json")
    plain = _timed(lambda: ccmcore.compose(template.document, str(path), str(tmp_path / "plain.pdf")), rounds)

    def mail():
        return ccmcore.compose(template.mail_document, str(path), str(tmp_path / "mail" / "s.pdf"), mail=plan)

    (tmp_path / "mail").mkdir(exist_ok=True)
    mailed = benchmark.pedantic(lambda: _timed(mail, 1)[0], rounds=rounds, iterations=1)
    runs = [mailed] + _timed(mail, rounds - 1)
    pages = runs[0][2].pages
    post = statistics.median(r[2].mail.seconds for r in runs)
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    plain_wall = statistics.median(r[0] for r in plain)
    plain_cpu = statistics.median(r[1] for r in plain)
    figures = {
        "docs": docs,
        "pages": pages,
        "pieces": runs[0][2].mail.production["pieces"],
        "plain_seconds": round(plain_wall, 3),
        "plain_pages_per_cpu_s": round(plain[0][2].pages / plain_cpu),
        "mail_seconds": round(wall, 3),
        "mail_pages_per_cpu_s": round(pages / cpu),
        "post_seconds": round(post, 3),
        "post_share_of_composing": round(post / (wall - post), 3),
        "extra_over_plain": round((wall - plain_wall) / plain_wall, 3),
        "mail_peak_mb": round(_peak_mb(docs, path, tmp_path / "peak" / "s.pdf"), 1)
        if (tmp_path / "peak").mkdir() is None
        else None,
    }
    benchmark.extra_info.update(figures)
    print("\nmail production:", json.dumps(figures))
    assert pages > 2 * docs  # a statement is at least one duplex sheet


def test_mail_production_1k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 1000, rounds=3)


@pytest.mark.slow
def test_mail_production_10k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 10_000, rounds=2)
