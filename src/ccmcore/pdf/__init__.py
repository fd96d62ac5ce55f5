"""PDF backend: writes display lists as PDF 1.7, streaming, fonts subset once per job.

:class:`PdfWriter` is imported from its module on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # type checkers read this name as typing's

if TYPE_CHECKING:
    from typing import Any

    from .writer import PdfWriter

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error there

    def __getattr__(name: str) -> Any:
        if name != "PdfWriter":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from .writer import PdfWriter

        globals()[name] = PdfWriter
        return PdfWriter


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["PdfWriter"]
