"""Options of a PDF job: :class:`PdfOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from .pdfa import pdf_standard

__all__ = ["PdfOptions"]


@dataclass(frozen=True)
class PdfOptions:
    """How a job writes its PDF (``compose(..., pdf=PdfOptions(...))``).

    Args:
        standard: "pdfa-2b" or "pdfa-3b" for a PDF/A file (see :mod:`ccmcore.pdf.pdfa`);
            None (the default) for a plain PDF. A template that draws something the part
            forbids (a CMYK image) stops the job before anything is composed.

    Raises:
        ValueError: a standard the writer does not make.
    """

    standard: str | None = None

    def __post_init__(self):
        found = pdf_standard(self.standard)
        if found is not None:
            object.__setattr__(self, "standard", found.name)
