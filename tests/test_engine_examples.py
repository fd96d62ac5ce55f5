"""The engines example (examples/invoice/engines.py) runs as the engine pages tell a newcomer to run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("engine", ["dask", "spark", "ray"])
def test_the_engines_example_runs_and_reconciles(tmp_path, engine):
    """examples/invoice/engines.py, as the engine pages tell a newcomer to run it."""
    pytest.importorskip({"dask": "distributed", "spark": "pyspark", "ray": "ray"}[engine])
    example = Path(__file__).resolve().parent.parent / "examples" / "invoice" / "engines.py"
    out = tmp_path / "inv.pdf"
    run = subprocess.run(
        [sys.executable, str(example), engine, "--docs", "150", "--cores", "2", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"{engine}: 150 documents" in run.stdout
    assert "150 of 150 documents match the manifest" in run.stdout
