"""Exceptions raised by ccmcore. Each subclasses the builtin a caller would expect."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CcmError",
    "TemplateError",
    "BindingError",
    "DataError",
    "FontError",
    "SourceError",
    "EmptyJobError",
    "OutputError",
    "RejectionLimitError",
]


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
    """The data source cannot be opened, is not Arrow-compatible, or cannot be read further.

    A file that turns out unreadable in the middle of a job is named with the place:
    the line for CSV, the record number (counted from 0, as in the job report) otherwise.
    """


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


class OutputError(CcmError, OSError):
    """The output (print file or job report) cannot be written: a missing directory, a
    read-only target, a full disk, a name the file system refuses. Nothing is left at the
    output path, not even a temporary part.
    """


class RejectionLimitError(CcmError, ValueError):
    """More records were rejected than the job allows (``compose(..., max_rejected=N)``).

    The job stops at the batch where the limit is passed and writes no print file (an
    existing file at the output path is left as it was).

    Attributes:
        report: the job's :class:`~ccmcore.job.JobReport` up to that batch, with every
            rejection found so far.
    """

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


def did_you_mean(name: str, choices) -> str:
    """'; did you mean 'size'?' when one of ``choices`` is close to ``name``, else ''."""
    import difflib

    close = difflib.get_close_matches(name, [str(c) for c in choices], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
