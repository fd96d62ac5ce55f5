"""What mail production costs on top of composing: the statement job (examples/statement).

    python -m pytest benchmarks/test_mail.py --benchmark-only -s            # 1,000 statements
    python -m pytest benchmarks/test_mail.py --benchmark-only -s --runslow  # and 10,000

The same statements (about one in eight householded with the one before it), composed
from the same template ``mail_document`` (the statement without marks of its own), in
pairs, one run of each in turn so that a drift of the machine's speed hits both:

- **plain**: composed and merged in record order into one PDF;
- **mail**: with the plan ``examples/statement/mail.json``: householding, capacity,
  inserts, classes, presort, split by class, OMR marks and a Data Matrix on every sheet of
  every piece, inserter files, archive indexes and the production report.

Reported (medians of the pairs): each run's wall and CPU time and pages per CPU-second;
the mail run's post stage (planning, the piece-order merge with the marks, every file, the
report) as a share of its composing stage; the cost of post-processing, that post stage
less the record-order merge the plain run does instead (``merge_seconds`` of its report),
as a share of the plain run's composing; the mail run's extra time over the plain run;
the peak memory of each in a fresh process. Nothing asserts on a timing.
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


def _peak_mb(docs: int, data: Path, out: Path, mail: bool) -> float:
    """VmHWM of a run in a fresh process (started through a shell, so the peak is its own)."""
    plan = ", mail=sys.argv[1] + '/mail.json'" if mail else ""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import template, ccmcore; "
        f"ccmcore.compose(template.mail_document, sys.argv[2], sys.argv[3]{plan}); "
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    )
    cmd = f'"{sys.executable}" -c "{code}" "{EXAMPLE}" "{data}" "{out}"'
    done = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def _run(benchmark, data, tmp_path, docs: int, rounds: int):
    _, _, template = _examples()
    path = data(docs)
    plan = MailPlan.load(EXAMPLE / "mail.json")
    (tmp_path / "mail").mkdir()

    def plain():
        return ccmcore.compose(template.mail_document, str(path), str(tmp_path / "plain.pdf"))

    def mail():
        return ccmcore.compose(template.mail_document, str(path), str(tmp_path / "mail" / "s.pdf"), mail=plan)

    plain()  # warm-up: fonts, program, page cache
    pairs = []
    for k in range(rounds):
        p = _timed(plain, 1)[0]
        m = benchmark.pedantic(lambda: _timed(mail, 1)[0], rounds=1, iterations=1) if k == 0 else _timed(mail, 1)[0]
        pairs.append((p, m))
    med = statistics.median
    pages = pairs[0][1][2].pages
    post = [m[2].mail.seconds for _, m in pairs]
    composing = [m[2].mail.production["timing"]["compose_seconds"] for _, m in pairs]
    peaks = {}
    for name, is_mail in (("plain", False), ("mail", True)):
        (tmp_path / f"peak-{name}").mkdir()
        peaks[name] = round(_peak_mb(docs, path, tmp_path / f"peak-{name}" / "s.pdf", is_mail), 1)
    figures = {
        "docs": docs,
        "pages": pages,
        "pieces": pairs[0][1][2].mail.production["pieces"],
        "plain_seconds": round(med(p[0] for p, _ in pairs), 3),
        "plain_pages_per_cpu_s": round(pages / med(p[1] for p, _ in pairs)),
        "mail_seconds": round(med(m[0] for _, m in pairs), 3),
        "mail_pages_per_cpu_s": round(pages / med(m[1] for _, m in pairs)),
        "extra_over_plain": round(med(m[0] / p[0] - 1 for p, m in pairs), 3),
        "extra_cpu_over_plain": round(med(m[1] / p[1] - 1 for p, m in pairs), 3),
        "post_stage_seconds": round(med(post), 3),
        "post_stage_share_of_composing": round(med(a / b for a, b in zip(post, composing)), 3),
        "plain_merge_seconds": round(med(p[2].merge_seconds for p, _ in pairs), 3),
        "post_processing_share_of_composing": round(
            med((m[2].mail.seconds - p[2].merge_seconds) / (p[0] - p[2].merge_seconds) for p, m in pairs), 3
        ),
        "plain_peak_mb": peaks["plain"],
        "mail_peak_mb": peaks["mail"],
    }
    benchmark.extra_info.update(figures)
    print("\nmail production:", json.dumps(figures))
    assert pairs[0][0][2].pages == pages  # the same statements, the same pages
    assert pages > 2 * docs  # a statement is at least one duplex sheet


def test_mail_production_1k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 1000, rounds=5)


@pytest.mark.slow
def test_mail_production_10k(benchmark, data, tmp_path):
    _run(benchmark, data, tmp_path, 10_000, rounds=5)
