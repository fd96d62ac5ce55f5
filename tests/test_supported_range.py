"""The minimum-versions constraints pin exactly the lower bounds pyproject.toml declares, so the CI run
with them tests the oldest releases a user may have."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")


def lower_bounds() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for line in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(line)
        (low,) = [Version(s.version) for s in req.specifier if s.operator == ">="]
        bounds[canonicalize_name(req.name)] = low
    return bounds


def pins() -> dict[str, Version]:
    out = {}
    for line in (ROOT / "constraints" / "minimum.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[canonicalize_name(name)] = Version(version)
    return out


def test_every_declared_dependency_is_pinned_to_its_lower_bound():
    bounds, pinned = lower_bounds(), pins()
    assert sorted(bounds) == sorted(pinned)
    assert {name: pinned[name] for name in bounds} == bounds
