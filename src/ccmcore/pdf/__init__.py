"""PDF backend: writes display lists as PDF 1.7, streaming, fonts subset once per job."""

from .writer import PdfWriter

__all__ = ["PdfWriter"]
