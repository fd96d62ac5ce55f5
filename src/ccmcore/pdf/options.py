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
            "pdfua-1" for a tagged, accessible PDF (PDF/UA-1, see
            :mod:`ccmcore.pdf.structure`), alone or with PDF/A ("pdfa-2b+pdfua-1"); None
            (the default) for a plain PDF. A template that draws something the part
            forbids (a CMYK image) stops the job before anything is composed.
        lang: the documents' language (a BCP 47 tag, ``de-DE``), which a tagged PDF
            states for screen readers.
        lang_column: a string column giving each document's own language (``de``,
            ``en-GB``), stated on its part of a tagged PDF's structure; a record whose value
            is not a language tag is rejected.

    Raises:
        ValueError: a standard the writer does not make.
    """

    standard: str | None = None
    lang: str = "en"
    lang_column: str | None = None

    def __post_init__(self):
        import re

        if not isinstance(self.lang, str) or not re.fullmatch(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", self.lang):
            raise ValueError(f"lang {self.lang!r} is not a BCP 47 language tag (en, de-DE, fr-CH ...)")
        found = pdf_standard(self.standard)
        if found is not None:
            object.__setattr__(self, "standard", found.name)
