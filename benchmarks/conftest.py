"""Fixtures and options for the benchmark suite (run with ``python -m pytest benchmarks``).

Slow benchmarks (10,000 and 100,000 documents) are marked ``slow`` and skipped unless
``--runslow`` is given or the environment variable ``CCM_BENCH_SLOW`` is set to a
non-empty value other than ``0``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INVOICE_DIR = ROOT / "examples" / "invoice"
for _p in (str(ROOT / "src"), str(INVOICE_DIR), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

#: the seed of every benchmark data set (the same rows on every run and machine)
SEED = 42


def pytest_addoption(parser):
    parser.addoption(
        "--runslow",
        action="store_true",
        default=False,
        help="also run the slow benchmarks (10k / 100k documents); or set CCM_BENCH_SLOW=1",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long benchmark, runs only with --runslow or CCM_BENCH_SLOW=1")


def _slow_enabled(config) -> bool:
    env = os.environ.get("CCM_BENCH_SLOW", "")
    return bool(config.getoption("--runslow")) or (env not in ("", "0"))


def pytest_collection_modifyitems(config, items):
    if _slow_enabled(config):
        return
    skip = pytest.mark.skip(reason="slow benchmark: use --runslow or CCM_BENCH_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def invoice_parquet(tmp_path_factory):
    """Return a function ``docs -> Path`` of a Parquet file with that many invoice rows.

    Each size is generated once per session (streamed with ``write_parquet``).
    """
    import generate  # examples/invoice/generate.py

    base = tmp_path_factory.mktemp("invoice-data")
    made: dict[int, Path] = {}

    def get(docs: int) -> Path:
        if docs not in made:
            path = base / f"invoice-{docs}.parquet"
            rows, _items = generate.write_parquet(str(path), docs, SEED)
            assert rows == docs
            made[docs] = path
        return made[docs]

    return get


@pytest.fixture(scope="session")
def invoice_document():
    """The document definition of the standard invoice job."""
    from template import document  # examples/invoice/template.py

    return document


@pytest.fixture(scope="session")
def side_by_side():
    """Figures measured in this session, shared between the peer benchmarks and the ratio.

    Keys: ``"ccmcore"`` and ``"reportlab"``, each a dict with documents, pages,
    seconds (wall, per round), pages_per_s.
    """
    return {}
