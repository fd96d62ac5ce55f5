"""PDF backend: writes display lists as PDF 1.7, streaming, fonts subset once per job.

:class:`PdfWriter` and :class:`PdfOptions` are imported from their modules on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # type checkers read this name as typing's

if TYPE_CHECKING:
    from typing import Any

    from .options import PdfOptions
    from .writer import PdfWriter

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error there

    def __getattr__(name: str) -> Any:
        if name == "PdfOptions":
            from .options import PdfOptions as found
        elif name == "PdfWriter":
            from .writer import PdfWriter as found
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = found
        return found


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["PdfOptions", "PdfWriter"]
