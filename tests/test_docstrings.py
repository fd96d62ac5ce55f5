"""The examples in the library's docstrings run as written (doctest), so the documentation stays true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ccmcore


def _modules():
    names = ["ccmcore"]
    for info in pkgutil.walk_packages(ccmcore.__path__, "ccmcore."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see the output above)"


def test_the_locale_and_format_examples_are_run():
    # these modules document CLDR-dependent behaviour through examples: they must not drop out unnoticed
    for name in ("ccmcore.locales", "ccmcore.formats"):
        assert doctest.testmod(importlib.import_module(name)).attempted >= 3, name
