"""The standard invoice job (jobs/invoice.md) rendered with ReportLab platypus.

The peer for side-by-side benchmarks. It uses ReportLab as a competent user would:
platypus ``BaseDocTemplate`` with a first-page and a continuation-page template,
``Paragraph`` for text, one ``Table`` per invoice with ``repeatRows=1``, Noto Sans
(regular + bold, from pymupdf-fonts) registered as TrueType fonts (ReportLab subsets
and embeds them), compressed page streams.

All documents go into one PDF, each starting on a new page. "Page n of m" is counted per
document with a deferred-footer canvas (the well-known ReportLab "NumberedCanvas"
recipe, flushed at each document boundary so memory stays bounded by one document).
The story is fed to platypus lazily, a few documents ahead, because platypus consumes
its flowable list from the front (``del flowables[0]``), which is quadratic for a
story built up front for many thousands of documents.

Usage::

    python benchmarks/peers/reportlab_invoice.py invoice.parquet out.pdf
    python benchmarks/peers/reportlab_invoice.py --docs 1000 out.pdf   # generated data
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import sys
import time
from collections.abc import Iterator
from xml.sax.saxutils import escape

import pyarrow as pa

__all__ = ["render_reportlab", "register_fonts", "SENDER_NAME", "SENDER_LINE"]

SENDER_NAME = "Aurora Telecom"
SENDER_LINE = "Aurora Telecom · Postfach 10 20 30 · 10117 Berlin · Germany"

REGULAR = "NotoSans"
BOLD = "NotoSans-Bold"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip

PREMIUM_MESSAGE = (
    "As a Premium customer you enjoy priority support around the clock and free roaming "
    "in Switzerland and the United Kingdom. Your personal advisor will contact you before "
    "your contract renews."
)
BUSINESS_MESSAGE = (
    "Business customers can download every invoice as CSV and PDF in the Aurora Business "
    "Portal. Your account manager is available on working days from 8:00 to 18:00 at "
    "business@aurora-telecom.example."
)


def money(cents: int) -> str:
    """``123456`` -> ``"1,234.56"``."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{units:,}.{rest:02d}"


def short_date(d: _dt.date) -> str:
    """``2026-05-26`` -> ``"26 May 2026"`` (locale independent)."""
    return f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}"


def long_date(d: _dt.date) -> str:
    """``2026-05-26`` -> ``"26 May 2026"`` with the full month name."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


_fonts_registered = False


def register_fonts() -> None:
    """Register Noto Sans regular and bold (from pymupdf-fonts) with ReportLab, once."""
    global _fonts_registered
    if _fonts_registered:
        return
    import pymupdf_fonts
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(REGULAR, io.BytesIO(pymupdf_fonts.myfont("notos"))))
    pdfmetrics.registerFont(TTFont(BOLD, io.BytesIO(pymupdf_fonts.myfont("notosbo"))))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR,
                                  boldItalic=BOLD)  # fmt: skip
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    _fonts_registered = True


def render_reportlab(table: pa.Table | pa.RecordBatch, path: str) -> int:
    """Render every row of ``table`` as one invoice into the PDF file ``path``.

    Args:
        table: invoice rows with the schema of ``examples/invoice/generate.py``.
        path: output PDF file.

    Returns:
        The number of pages written.

    Raises:
        ImportError: if reportlab or pymupdf-fonts is not installed.
        KeyError: if a required column is missing.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        BaseDocTemplate,
        Flowable,
        Frame,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Table,
        TableStyle,
    )

    register_fonts()
    page_w, page_h = A4
    margin = 20 * mm
    content_w = page_w - 2 * margin
    # first page: the text starts below the address window (DIN 5008 form B: 45 mm + 45 mm)
    first_top = 95 * mm

    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5)
    justified = ParagraphStyle("justified", parent=body, alignment=TA_JUSTIFY, spaceAfter=10)
    heading = ParagraphStyle("heading", fontName=BOLD, fontSize=14, leading=17, spaceAfter=3)
    meta = ParagraphStyle("meta", parent=body, spaceAfter=10)
    salutation = ParagraphStyle("salutation", parent=body, spaceAfter=6)
    message = ParagraphStyle("message", parent=body, spaceBefore=10)

    table_style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), REGULAR, 8.5, 10.2),
            ("FONT", (0, 0), (-1, 0), BOLD, 8.5, 10.2),
            ("FONT", (0, -1), (-1, -1), BOLD, 8.5, 10.2),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
            ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
        ]
    )
    col_widths = [w * mm for w in (22, 88, 12, 24, 24)]
    header = ["Date", "Description", "Qty", "Unit price", "Amount"]

    class Letterhead(Flowable):
        """Zero-height marker at the start of a document: tells the canvas which document
        the page belongs to and draws the first page's fixed parts at page positions."""

        def __init__(self, doc_index: int, row: dict):
            super().__init__()
            self.doc_index = doc_index
            self.row = row

        def wrap(self, aw, ah):
            return 0, 0

        def drawOn(self, canv, x, y, _sW=0):  # absolute positions, not frame-relative
            canv._ccm_doc = self.doc_index
            r = self.row
            canv.saveState()
            canv.setFont(BOLD, 16)
            canv.drawString(margin, page_h - margin - 14, SENDER_NAME)
            # logo box, top right
            canv.setStrokeColor(colors.HexColor("#1f4e79"))
            canv.setFillColor(colors.HexColor("#dce6f2"))
            canv.rect(page_w - margin - 40 * mm, page_h - margin - 18 * mm, 40 * mm, 18 * mm,
                      stroke=1, fill=1)  # fmt: skip
            canv.setFillColor(colors.HexColor("#1f4e79"))
            canv.setFont(BOLD, 9)
            canv.drawCentredString(page_w - margin - 20 * mm, page_h - margin - 10.5 * mm, "LOGO")
            canv.setFillColor(colors.black)
            # window: return-address line and recipient, 20 mm from left, 45 mm from top
            canv.setFont(REGULAR, 7)
            canv.drawString(20 * mm, page_h - 49 * mm, SENDER_LINE)
            text = canv.beginText(20 * mm, page_h - 57 * mm)
            text.setFont(REGULAR, 9.5, 12.5)
            for line in (r["name"], r["street"], f"{r['postcode']} {r['city']}",
                         r["country"]):  # fmt: skip
                text.textLine(line)
            canv.drawText(text)
            canv.restoreState()

    def document_flowables(i: int, r: dict) -> list:
        items = r["items"]
        data = [header]
        data.extend(
            [short_date(it["date"]), it["description"], str(it["quantity"]),
             money(it["unit_price_cents"]), money(it["amount_cents"])]
            for it in items
        )  # fmt: skip
        data.append(["", "Total", "", "", money(r["total_cents"])])
        inv_date = r["invoice_date"]
        period_end = inv_date - _dt.timedelta(days=1)
        period_start = inv_date - _dt.timedelta(days=30)
        due = inv_date + _dt.timedelta(days=14)
        story = [
            Letterhead(i, r),
            Paragraph(f"Invoice {escape(r['invoice_no'])}", heading),
            Paragraph(
                f"Customer {escape(r['customer_id'])} · Invoice date {long_date(inv_date)}"
                f" · Billing period {short_date(period_start)} – {short_date(period_end)}",
                meta,
            ),
            Paragraph(f"Dear {escape(r['name'])},", salutation),
            Paragraph(
                f"thank you for being an {SENDER_NAME} customer. This invoice lists all "
                f"services used in the billing period from {long_date(period_start)} to "
                f"{long_date(period_end)}. The total of EUR {money(r['total_cents'])} will "
                f"be collected by direct debit from your registered bank account on or "
                f"after {long_date(due)}, so there is nothing you need to do.",
                justified,
            ),
            Table(data, colWidths=col_widths, repeatRows=1, style=table_style),
        ]
        if r["segment"] == "premium":
            story.append(Paragraph(PREMIUM_MESSAGE, message))
        elif r["segment"] == "business":
            story.append(Paragraph(BUSINESS_MESSAGE, message))
        return story

    def rows() -> Iterator[dict]:
        batches = table.to_batches() if isinstance(table, pa.Table) else [table]
        for batch in batches:
            yield from batch.to_pylist()

    stats = {"pages": 0}

    class PerDocumentNumberedCanvas(Canvas):
        """Defers each page until its document is complete, then stamps "Page n of m"."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._ccm_doc = -1
            self._ccm_pending: list[dict] = []

        def showPage(self):
            current = dict(self.__dict__)
            pending = self._ccm_pending
            if pending and pending[0]["_ccm_doc"] != current["_ccm_doc"]:
                self._ccm_flush()
                self.__dict__.update(current)
            pending.append(current)
            self._startPage()

        def _ccm_flush(self):
            pending = self._ccm_pending
            m = len(pending)
            for n, state in enumerate(pending, 1):
                self.__dict__.update(state)
                self.setFillColor(colors.black)
                self.setFont(REGULAR, 8)
                self.drawCentredString(page_w / 2, 10 * mm, f"Page {n} of {m}")
                Canvas.showPage(self)
            stats["pages"] += m
            pending.clear()

        def save(self):
            if len(self._code):
                self.showPage()
            self._ccm_flush()
            super().save()

    class InvoiceDocTemplate(BaseDocTemplate):
        """Feeds the story a few documents ahead instead of all at once."""

        def __init__(self, filename, source: Iterator[dict], **kw):
            super().__init__(filename, **kw)
            self._source = enumerate(source)
            self._more = True
            self._story: list | None = None

        def refill(self, flowables: list) -> None:
            while self._more and len(flowables) < 64:
                nxt = next(self._source, None)
                if nxt is None:
                    self._more = False
                    break
                i, r = nxt
                if i:
                    flowables.extend([NextPageTemplate("first"), PageBreak()])
                flowables.extend(document_flowables(i, r))

        def handle_flowable(self, flowables):
            if flowables is self._story:  # not the internal list of hanging flowables
                self.refill(flowables)
            super().handle_flowable(flowables)

    doc = InvoiceDocTemplate(
        path,
        rows(),
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title="Invoices",
        author=SENDER_NAME,
        pageCompression=1,
        invariant=1,
    )
    frame_kw = dict(leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    first = Frame(margin, margin, content_w, page_h - first_top - margin, id="first",
                  **frame_kw)  # fmt: skip
    later = Frame(margin, margin, content_w, page_h - 2 * margin, id="later", **frame_kw)
    doc.addPageTemplates(
        [
            PageTemplate(id="first", frames=[first], autoNextPageTemplate="later"),
            PageTemplate(id="later", frames=[later]),
        ]
    )
    story: list = []
    doc._story = story
    doc.refill(story)
    if not story:
        raise ValueError("no rows to render")
    doc.build(story, canvasmaker=PerDocumentNumberedCanvas)
    return stats["pages"]


def main(argv: list[str] | None = None) -> int:
    """Command line: render a Parquet/Arrow file (or generated rows) and report pages/s."""
    p = argparse.ArgumentParser(description="Render the invoice job with ReportLab.")
    p.add_argument("input", nargs="?", help="Parquet or Arrow IPC file (else generate)")
    p.add_argument("output", help="output PDF")
    p.add_argument("--docs", type=int, default=1000, help="rows to generate if no input")
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    if args.input:
        if args.input.endswith(".parquet"):
            import pyarrow.parquet as pq

            table = pq.read_table(args.input)
        else:
            with pa.memory_map(args.input) as src:
                table = pa.ipc.open_file(src).read_all()
    else:
        import importlib.util
        from pathlib import Path

        gen_path = Path(__file__).resolve().parents[2] / "examples" / "invoice" / "generate.py"
        spec = importlib.util.spec_from_file_location("invoice_generate", gen_path)
        gen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen)
        table = gen.generate(args.docs, args.seed)
    pages = render_reportlab(table, args.output)
    dt = time.perf_counter() - t0
    print(f"{args.output}: {table.num_rows} documents, {pages} pages, {dt:.2f} s, "
          f"{pages / dt:.1f} pages/s", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
