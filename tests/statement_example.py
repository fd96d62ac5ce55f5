"""The statement example's generator and template as modules (examples/ is not a package, and
the invoice example's ``generate`` and ``template`` already own those plain names in a session)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "statement"


def _load(name: str, path: Path):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = _load("ccm_examples_statement_generate", EXAMPLE / "generate.py")
tpl = _load("ccm_examples_statement_template", EXAMPLE / "template.py")
