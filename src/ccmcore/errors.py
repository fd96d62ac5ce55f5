"""Exceptions raised by ccmcore. Each subclasses the builtin a caller would expect."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["CcmError", "TemplateError", "BindingError", "DataError", "FontError", "SourceError", "EmptyJobError"]


class CcmError(Exception):
    """Base class of every error ccmcore raises on purpose."""


class TemplateError(CcmError, ValueError):
    """The document definition itself is inconsistent (before any data is seen)."""


class BindingError(CcmError, ValueError):
    """The template does not fit the data's schema: a missing column or a wrong type.

    Attributes:
        element: the template element that refers to the column.
        column: the column (or nested field) concerned.
    """

    def __init__(self, message: str, element: str = "", column: str = ""):
        super().__init__(message)
        self.element = element
        self.column = column


class DataError(CcmError, ValueError):
    """A record's data cannot be rendered (reported per record in the job report)."""

    records: np.ndarray  # set when the error concerns several rows: all of them (record: the first)
    reasons: list[str]  # set with records when each row has a reason of its own (same order)

    def __init__(self, message: str, record: int = -1, field: str = ""):
        super().__init__(message)
        self.record = record
        self.field = field


class FontError(CcmError, ValueError):
    """A font file cannot be read or used."""


class SourceError(CcmError, ValueError):
    """The data source cannot be opened or is not Arrow-compatible."""


class EmptyJobError(CcmError, ValueError):
    """There is no document to write: the data has no records, or every record was rejected.

    A print file with no pages is one that readers and print servers reject (PDF needs a
    page), so none is written: not at the output path, not under a temporary name. An
    existing file at the output path is left as it was.

    Attributes:
        report: the job's :class:`~ccmcore.job.JobReport` (records read, every rejection
            with its field and reason) when raised by :func:`~ccmcore.compose`; None when
            raised by a writer's ``close()``.
    """

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report
