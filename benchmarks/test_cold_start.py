"""Cold start: the wall time of fresh processes, from ``exec`` to exit.

Run from the repository root::

    python -m pytest benchmarks/test_cold_start.py --benchmark-only -s

Each case starts a new interpreter ``ROUNDS`` times (after one warm-up start that also
writes the bytecode caches) and reports the median wall time:

- ``python``: the bare interpreter (``-c pass``), for scale;
- ``dependencies``: ``import pyarrow.parquet, pyarrow.compute, uharfbuzz``, the libraries
  every job loads (pyarrow imports numpy): the floor under any job's start;
- ``import``: ``import ccmcore`` alone;
- ``first_pdf`` / ``first_afp``: ``import ccmcore``, the invoice template, and
  ``ccmcore.compose`` of one invoice from Parquet to PDF / AFP;
- ``cli_1k_pdf`` / ``cli_1k_afp``: ``python -m ccmcore.cli compose`` of the 1,000-invoice
  job, the whole command.

Bytecode is compiled once, in the warm-up start, into a temporary ``PYTHONPYCACHEPREFIX``
(as an installed package has it, and whether or not ``PYTHONDONTWRITEBYTECODE`` is set);
the source tree is not written to. The child processes print what they did (documents,
pages) and the output is read back; nothing asserts on a time.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
INVOICE = ROOT / "examples" / "invoice"

#: measured starts per case (after one warm-up start)
ROUNDS = 7
#: the 1,000-invoice command takes most of a second: fewer rounds
CLI_ROUNDS = 5

_FIRST_DOCUMENT = """
import sys
sys.path.insert(0, sys.argv[1])
import ccmcore
from template import document
report = ccmcore.compose(document, sys.argv[2], sys.argv[3])
print(f"{report.documents} {report.pages}")
"""


@pytest.fixture(scope="module")
def child_env(tmp_path_factory) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


def _starts(benchmark, cmd: list[str], env: dict, rounds: int) -> tuple[dict, str]:
    """Start ``cmd`` once to warm up, then ``rounds`` times under ``benchmark.pedantic``;
    returns the figures (median, min, max wall ms) and the last start's stdout."""
    walls: list[float] = []
    outputs: list[str] = []

    def start():
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300)
        walls.append(time.perf_counter() - t0)
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout)

    benchmark.pedantic(start, rounds=rounds, warmup_rounds=1, iterations=1)
    measured = walls[1:]
    fig = {
        "rounds": len(measured),
        "median_ms": round(statistics.median(measured) * 1000, 1),
        "min_ms": round(min(measured) * 1000, 1),
        "max_ms": round(max(measured) * 1000, 1),
    }
    benchmark.extra_info.update(fig)
    return fig, outputs[-1]


def _show(case: str, fig: dict) -> None:
    print(f"\n[cold start: {case}] " + ", ".join(f"{k}={v}" for k, v in fig.items()))


def _pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium

    return len(pdfium.PdfDocument(path))


def _afp_pages(path: Path) -> int:
    from ccmcore.afp.reader import iter_fields

    return sum(1 for f in iter_fields(path) if f.abbr == "BPG")


@pytest.fixture(scope="module")
def one_invoice(invoice_parquet) -> Path:
    return invoice_parquet(1)


def test_cold_python(benchmark, child_env):
    fig, _ = _starts(benchmark, [sys.executable, "-c", "pass"], child_env, ROUNDS)
    _show("python -c pass", fig)


def test_cold_dependencies(benchmark, child_env):
    code = "import pyarrow.parquet, pyarrow.compute, uharfbuzz"
    fig, _ = _starts(benchmark, [sys.executable, "-c", code], child_env, ROUNDS)
    _show(code, fig)


def test_cold_import(benchmark, child_env):
    code = "import sys, ccmcore; print(sum(m.split('.')[0] in ('pyarrow', 'numpy') for m in sys.modules))"
    fig, out = _starts(benchmark, [sys.executable, "-c", code], child_env, ROUNDS)
    assert out.strip() == "0"  # the figure is ccmcore's own: no dependency was imported
    _show("import ccmcore", fig)


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_cold_first_document(benchmark, child_env, one_invoice, tmp_path, fmt):
    out = tmp_path / f"first.{fmt}"
    cmd = [sys.executable, "-c", _FIRST_DOCUMENT, str(INVOICE), str(one_invoice), str(out)]
    fig, printed = _starts(benchmark, cmd, child_env, ROUNDS)
    documents, pages = map(int, printed.split())
    assert documents == 1 and pages >= 1
    assert (_pdf_pages(out) if fmt == "pdf" else _afp_pages(out)) == pages
    fig |= {"documents": documents, "pages": pages}
    benchmark.extra_info.update(fig)
    _show(f"import ccmcore + first invoice to {fmt.upper()}", fig)


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_cold_cli_1k(benchmark, child_env, invoice_parquet, tmp_path, fmt):
    out = tmp_path / f"invoices.{fmt}"
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "ccmcore.cli", "compose", str(INVOICE / "template.py"), str(invoice_parquet(1000))]
    cmd += ["-o", str(out), "-q", "--report", str(report)]
    fig, _ = _starts(benchmark, cmd, child_env, CLI_ROUNDS)
    job = json.loads(report.read_text())
    assert job["documents"] == 1000 and not job["rejected"]
    assert (_pdf_pages(out) if fmt == "pdf" else _afp_pages(out)) == job["pages"]
    fig |= {"documents": job["documents"], "pages": job["pages"], "compose_s": round(job["seconds"], 3)}
    benchmark.extra_info.update(fig)
    _show(f"ccm compose, 1,000 invoices to {fmt.upper()}", fig)
