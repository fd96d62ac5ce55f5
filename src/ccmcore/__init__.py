"""ccmcore: a document composition engine for customer communications.

Arrow record batches in (one row per document), a document defined in pure Python, a
compiled layout kernel, and print files out::

    from ccmcore import Document, Paragraph, compose
    report = compose(Document(flow=[Paragraph("Dear {name},")]), "customers.parquet", "letters.pdf")

Every name below is imported from its module the first time it is used, so ``import
ccmcore`` costs a few milliseconds and a job loads only what it needs (a PDF job never
loads the AFP backend, a template without barcodes never loads the encoders).
"""

from __future__ import annotations

import importlib

# ``typing`` itself costs a few milliseconds to import; type checkers read this name as theirs
TYPE_CHECKING = False

__version__ = "0.1.0"

# the public name -> the module (relative to this package) that defines it
_HOMES: dict[str, str] = {
    **dict.fromkeys(
        ["din5008_address", "din5008_info_block", "din5008_letter", "din5008_marks", "din5008_return_line"],
        ".din5008",
    ),
    "DisplayList": ".display",
    **dict.fromkeys(
        [
            "BindingError",
            "CcmError",
            "DataError",
            "EmptyJobError",
            "FontError",
            "OutputError",
            "RejectionLimitError",
            "SourceError",
            "TemplateError",
        ],
        ".errors",
    ),
    **dict.fromkeys(["Font", "FontFamily", "default_family"], ".fonts"),
    **dict.fromkeys(["date", "money", "number", "text"], ".formats"),
    **dict.fromkeys(["Image", "ImageError"], ".images"),
    **dict.fromkeys(["JobReport", "compose", "layout"], ".job"),
    **dict.fromkeys(["PartJob", "compose_part"], ".parts"),
    "compose_partition": ".partitions",
    **dict.fromkeys(["merge_parts", "MergeError"], ".merge_distributed"),
    **dict.fromkeys(["reconcile", "Reconciliation"], ".reconciliation"),
    "WorkerError": ".workers",
    **dict.fromkeys(["Rule", "col", "lit"], ".rules"),
    "open_source": ".sources",
    **dict.fromkeys(
        [
            "Barcode",
            "Column",
            "Document",
            "Frame",
            "Line",
            "Message",
            "Overlay",
            "PageTemplate",
            "Paragraph",
            "Picture",
            "Rect",
            "Slot",
            "Spacer",
            "Span",
            "Style",
            "Table",
            "Text",
            "When",
        ],
        ".template",
    ),
    **dict.fromkeys(["A4", "LETTER", "cm", "inch", "mm", "pt"], ".units"),
}

if TYPE_CHECKING:  # what type checkers (and readers) see; at run time __getattr__ imports
    from typing import Any

    from .din5008 import din5008_address, din5008_info_block, din5008_letter, din5008_marks, din5008_return_line
    from .display import DisplayList
    from .errors import (
        BindingError,
        CcmError,
        DataError,
        EmptyJobError,
        FontError,
        OutputError,
        RejectionLimitError,
        SourceError,
        TemplateError,
    )
    from .fonts import Font, FontFamily, default_family
    from .formats import date, money, number, text
    from .images import Image, ImageError
    from .job import JobReport, compose, layout
    from .merge_distributed import MergeError, merge_parts
    from .partitions import compose_partition
    from .parts import PartJob, compose_part
    from .reconciliation import Reconciliation, reconcile
    from .rules import Rule, col, lit
    from .sources import open_source
    from .template import (
        Barcode,
        Column,
        Document,
        Frame,
        Line,
        Message,
        Overlay,
        PageTemplate,
        Paragraph,
        Picture,
        Rect,
        Slot,
        Spacer,
        Span,
        Style,
        Table,
        Text,
        When,
    )
    from .units import A4, LETTER, cm, inch, mm, pt
    from .workers import WorkerError


if not TYPE_CHECKING:  # hidden from type checkers, so that ``ccmcore.misspelt`` stays an error there

    def __getattr__(name: str) -> Any:
        """Import a public name's module on first use (PEP 562) and keep the name here."""
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value  # later lookups are ordinary attribute reads
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "PartJob",
    "compose_part",
    "compose_partition",
    "merge_parts",
    "MergeError",
    "reconcile",
    "Reconciliation",
    "WorkerError",
    "A4",
    "LETTER",
    "Barcode",
    "BindingError",
    "Image",
    "ImageError",
    "Message",
    "Overlay",
    "Picture",
    "Slot",
    "Span",
    "CcmError",
    "Column",
    "DataError",
    "DisplayList",
    "Document",
    "EmptyJobError",
    "Font",
    "FontError",
    "FontFamily",
    "Frame",
    "JobReport",
    "OutputError",
    "RejectionLimitError",
    "Line",
    "PageTemplate",
    "Paragraph",
    "Rect",
    "Rule",
    "SourceError",
    "Spacer",
    "Style",
    "Table",
    "TemplateError",
    "Text",
    "When",
    "cm",
    "col",
    "compose",
    "date",
    "default_family",
    "din5008_address",
    "din5008_info_block",
    "din5008_letter",
    "din5008_marks",
    "din5008_return_line",
    "inch",
    "layout",
    "lit",
    "mm",
    "money",
    "number",
    "open_source",
    "pt",
    "text",
]
