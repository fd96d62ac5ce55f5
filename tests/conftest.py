"""Shared test fixtures. Golden files: set CCM_REGENERATE=1 to rewrite them after an intended change."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
sys.path.insert(0, str(ROOT / "examples" / "invoice"))


@pytest.fixture
def golden():
    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("CCM_REGENERATE") or not path.exists():
            if not os.environ.get("CCM_REGENERATE") and os.environ.get("CI"):
                pytest.fail(f"golden file {name} is missing (run with CCM_REGENERATE=1 and commit it)")
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), f"{name} differs (CCM_REGENERATE=1 if intended)"

    return check


_LARGE = 4096  # bytes: larger values are print files, whose reprs difflib would compare for hours


def pytest_assertrepr_compare(op, left, right):
    """Two print files (or maps of them) that differ: where they part, not a diff of their
    reprs, which takes difflib hours on a megabyte and holds the whole run."""
    if op != "==":
        return None
    if _large(left) and _large(right):
        return [f"{len(left):,} bytes and {len(right):,} bytes that differ", *_parting(left, right)]
    if isinstance(left, dict) and isinstance(right, dict) and any(map(_large, [*left.values(), *right.values()])):
        differ = sorted(k for k in left.keys() & right.keys() if left[k] != right[k])
        only_left, only_right = sorted(left.keys() - right.keys()), sorted(right.keys() - left.keys())
        return [
            f"maps of {len(left)} and {len(right)} files differ",
            f"only left: {only_left[:5]}; only right: {only_right[:5]}",
            f"different: {differ[:5]}{' ...' if len(differ) > 5 else ''}",
            *(_parting(left[differ[0]], right[differ[0]]) if differ else []),
        ]
    return None


def _large(x) -> bool:
    return isinstance(x, (bytes, bytearray)) and len(x) > _LARGE


def _parting(left, right) -> list[str]:
    import numpy as np

    n = min(len(left), len(right))
    diff = np.flatnonzero(np.frombuffer(left, np.uint8, n) != np.frombuffer(right, np.uint8, n))
    at = int(diff[0]) if len(diff) else n
    return [
        f"first difference at byte {at:,}",
        f"left:  {bytes(left[max(0, at - 60) : at + 60])!r}",
        f"right: {bytes(right[max(0, at - 60) : at + 60])!r}",
    ]
