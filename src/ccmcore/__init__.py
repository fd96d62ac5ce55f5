"""ccmcore: a document composition engine for customer communications.

Arrow record batches in (one row per document), a document defined in pure Python, a
compiled layout kernel, and print files out::

    from ccmcore import Document, Paragraph, compose
    report = compose(Document(flow=[Paragraph("Dear {name},")]), "customers.parquet", "letters.pdf")
"""

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

__version__ = "0.1.0"

__all__ = [
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
