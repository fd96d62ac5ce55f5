"""AFP backend: writes display lists as MO:DCA-P print files (PTOCA text, inline TrueType fonts)."""

from .fonts import CodedFont
from .writer import AfpEncodingError, AfpOptions, AfpWriter

__all__ = ["AfpWriter", "AfpOptions", "CodedFont", "AfpEncodingError"]
