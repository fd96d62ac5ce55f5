"""Rules over columns for conditional content, evaluated vectorised per batch.

    col("segment") == "premium"
    (col("total_cents") > 100_000) & ~col("email").is_null()
    col("country").isin(["DE", "AT"])

A rule evaluates to one boolean per document; a null result counts as false.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_values import FALSE, from_numpy, scalar, strings

__all__ = ["Rule", "col", "lit"]


class Rule:
    """An expression over a batch's columns. Build with :func:`col`, combine with & | ~."""

    def evaluate(self, batch: pa.RecordBatch):
        raise NotImplementedError

    def columns(self) -> set[str]:
        """The columns the rule reads (checked against the schema before any page is made)."""
        raise NotImplementedError

    def value_columns(self) -> set[str]:
        """The columns the rule needs as values (numbers, dates, booleans) rather than as
        text: a column compared with a literal that is not a string, with another column,
        or used as a condition itself. A column compared with a string (``== "01067"``,
        ``isin(["DE", "AT"])``) or only tested with ``is_null()`` is text; a CSV file's
        column is read accordingly (see :func:`ccmcore.template.columns_read_as_values`)."""
        return _columns(self) if isinstance(self, _Col) else self._values()

    def _values(self) -> set[str]:
        # a rule of its own kind (a subclass): every column it reads, to be safe
        return self.columns()

    def mask(self, batch: pa.RecordBatch):
        """The rule as a boolean array with nulls as false."""
        out = self.evaluate(batch)
        if isinstance(out, pa.Scalar):
            if out.type == pa.bool_() or not out.is_valid:  # a constant: the same for every document, null is false
                return from_numpy(np.full(batch.num_rows, bool(out.is_valid and out.as_py())))
            out = pa.array([out.as_py()] * batch.num_rows, type=pa.bool_())
        if out.type != pa.bool_():
            raise TypeError(f"rule {self!r} gives {out.type}, not booleans")
        return pc.fill_null(out, FALSE)

    # comparisons build new rules
    def _cmp(self, fn: str, other: Any) -> Rule:
        return _Call(fn, self, _wrap(other))

    def __eq__(self, other: Any) -> Rule:  # type: ignore[override]  # a Rule, not a bool
        return self._cmp("equal", other)

    def __ne__(self, other: Any) -> Rule:  # type: ignore[override]  # a Rule, not a bool
        return self._cmp("not_equal", other)

    def __lt__(self, other):
        return self._cmp("less", other)

    def __le__(self, other):
        return self._cmp("less_equal", other)

    def __gt__(self, other):
        return self._cmp("greater", other)

    def __ge__(self, other):
        return self._cmp("greater_equal", other)

    def __and__(self, other):
        return _Call("and_kleene", self, _wrap(other))

    def __or__(self, other):
        return _Call("or_kleene", self, _wrap(other))

    def __invert__(self):
        return _Call("invert", self)

    def __bool__(self):
        raise TypeError("a rule is evaluated per document: combine rules with & | ~, not and/or/not")

    __hash__ = object.__hash__

    def isin(self, values) -> Rule:
        """True where the value is one of values."""
        return _IsIn(self, list(values))

    def is_null(self) -> Rule:
        """True where the value is null."""
        return _Call("is_null", self)


class _Col(Rule):
    def __init__(self, name: str):
        self.name = name

    def evaluate(self, batch):
        return batch.column(self.name)

    def columns(self):
        return {self.name}

    def _values(self):
        return set()

    def __repr__(self):
        return f"col({self.name!r})"


class _Lit(Rule):
    def __init__(self, value):
        self.value = value

    def evaluate(self, batch):
        return scalar(self.value)

    def columns(self):
        return set()

    def _values(self):
        return set()

    def __repr__(self):
        return repr(self.value)


class _Call(Rule):
    _SYMBOLS = {
        "equal": "==",
        "not_equal": "!=",
        "less": "<",
        "less_equal": "<=",
        "greater": ">",
        "greater_equal": ">=",
        "and_kleene": "&",
        "or_kleene": "|",
    }

    def __init__(self, fn: str, *args: Rule):
        self.fn = fn
        self.args = args

    def evaluate(self, batch):
        return pc.call_function(self.fn, [a.evaluate(batch) for a in self.args])

    def columns(self):
        return set().union(*(a.columns() for a in self.args))

    def _values(self):
        if self.fn == "is_null":
            return self.args[0]._values()
        if self.fn in ("and_kleene", "or_kleene", "invert"):  # their arguments are conditions
            return set().union(*(a.value_columns() for a in self.args))
        a, b = self.args
        if isinstance(b, _Lit) and isinstance(b.value, str):  # compared with text: text
            return a._values()
        if isinstance(a, _Lit) and isinstance(a.value, str):
            return b._values()
        return _columns(a) | _columns(b) | a._values() | b._values()

    def __repr__(self):
        if self.fn in self._SYMBOLS:
            return f"({self.args[0]!r} {self._SYMBOLS[self.fn]} {self.args[1]!r})"
        if self.fn == "invert":
            return f"~{self.args[0]!r}"
        return f"{self.args[0]!r}.{self.fn}()"


class _IsIn(Rule):
    def __init__(self, arg: Rule, values: list):
        self.arg = arg
        self.values = values

    def evaluate(self, batch):
        return pc.is_in(self.arg.evaluate(batch), value_set=_value_set(self.values))

    def columns(self):
        return self.arg.columns()

    def _values(self):
        if all(isinstance(v, str) for v in self.values):
            return self.arg._values()
        return _columns(self.arg) | self.arg._values()

    def __repr__(self):
        return f"{self.arg!r}.isin({self.values!r})"


def _columns(rule: Rule) -> set[str]:
    """The column a rule is, if it is one."""
    return {rule.name} if isinstance(rule, _Col) else set()


def _value_set(values: list) -> pa.Array:
    """``pa.array(values)``; a list of texts (the usual ``isin(["DE", "AT"])``) without pyarrow's pandas probe."""
    if values and all(type(v) is str for v in values):
        return strings(values)
    return pa.array(values)


def _wrap(v) -> Rule:
    return v if isinstance(v, Rule) else _Lit(v)


def col(name: str) -> Rule:
    """A column of the input, by name."""
    return _Col(name)


def lit(value) -> Rule:
    """A literal value."""
    return _Lit(value)
