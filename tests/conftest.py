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
