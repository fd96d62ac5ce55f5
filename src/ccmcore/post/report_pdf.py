"""The production report as a one-page PDF, composed by ccmcore itself.

The page is built per report: its key figures, the outputs, two bar charts (pieces by
sheet count, pieces by postage class) drawn as the engine's own boxes, the first rejected
records, the messages placed and the timing. Every text goes in as a column of a one-row
table, so what a file name or a rejection reason holds is shown as it is, never read as
a template.
"""

from __future__ import annotations

import os

import pyarrow as pa

from ..template import Document, Frame, PageTemplate, Rect, Style, Text
from ..units import A4, mm

__all__ = ["write_report_pdf"]

BLUE = "#1f4e79"
GREY = "#666666"
#: the widest bar of a chart
BAR_MAX = mm(110)
#: the most rows a list on the page shows
MOST_OUTPUTS, MOST_BARS, MOST_REJECTED = 8, 10, 8


class _Page:
    """Texts and boxes at their places; each text a column of the one row."""

    def __init__(self):
        self.elements: list = []
        self.values: dict[str, str] = {}

    def text(self, value, x, y, width, size=8.0, bold=False, color="#000000", align="left", limit=90) -> None:
        s = str(value)
        if len(s) > limit:
            s = s[: limit - 1] + "…"
        name = f"t{len(self.values)}"
        self.values[name] = s
        style = Style(size=size, bold=bold, color=color, align=align)
        self.elements.append(
            Text("{" + name + "}", x=x, y=y, width=width, height=size * 1.6, style=style, overflow="cut")
        )

    def bar(self, x, y, width, height, color=BLUE) -> None:
        if width > 0:
            self.elements.append(Rect(x, y, width, height, fill=color, stroke=None))


def _money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


def _chart(page: _Page, title: str, bars: list[tuple[str, int]], y: float) -> float:
    page.text(title, mm(20), y, mm(170), size=10, bold=True, color=BLUE)
    y += mm(7)
    top = max((n for _, n in bars), default=0)
    if not bars:
        page.text("no pieces", mm(20), y, mm(60), color=GREY)
        return y + mm(6)
    for label, n in bars:
        page.text(label, mm(20), y, mm(28), limit=24)
        width = BAR_MAX * n / top if top else 0
        page.bar(mm(50), y, width, mm(3.6))
        page.text(f"{n:,}", mm(50) + width + mm(2), y, mm(25))
        y += mm(5)
    return y


def _sheet_bars(by_sheets: list[dict]) -> list[tuple[str, int]]:
    """Pieces by sheet count, ten sheets and more as one bar."""
    counts: dict[int, int] = {}
    for b in by_sheets:
        k = min(int(b["sheets"]), MOST_BARS)
        counts[k] = counts.get(k, 0) + int(b["pieces"])
    return [
        (f"{k}+ sheets" if k == MOST_BARS else f"{k} sheet{'s' if k != 1 else ''}", counts[k]) for k in sorted(counts)
    ]


def write_report_pdf(report: dict, path: str | os.PathLike) -> None:
    """Compose the production report's page.

    Args:
        report: the production report (as :func:`ccmcore.post.mail.production_report`
            makes it, and ``OUT.production.json`` holds it).
        path: the PDF to write.

    Raises:
        OutputError: the file cannot be written.
    """
    from ..job import compose

    page = _Page()
    cur = report.get("currency", "")
    page.text(report.get("title", "Mail production"), mm(20), mm(15), mm(170), size=15, bold=True, color=BLUE)
    figures = [
        ("Records", f"{report['records']:,}"),
        ("Documents", f"{report['documents']:,}"),
        ("Rejected records", f"{report['rejected_records']:,}"),
        ("Pieces", f"{report['pieces']:,}"),
        ("Householded pieces", f"{report.get('households', 0):,}"),
        ("Sheets", f"{report['sheets']:,}"),
        ("Pages", f"{report['pages']:,}"),
        ("Postage estimate", _money(report["postage_cents"], cur)),
    ]
    for k, (label, value) in enumerate(figures):
        x, y = mm(20) + (k % 2) * mm(85), mm(27) + (k // 2) * mm(5.5)
        page.text(label, x, y, mm(40), color=GREY)
        page.text(value, x + mm(40), y, mm(40), bold=True, align="right")
    y = mm(52)
    page.text("Outputs", mm(20), y, mm(170), size=10, bold=True, color=BLUE)
    y += mm(7)
    columns = [("File", mm(20), mm(62), "left"), ("Pieces", mm(84), mm(20), "right"),
               ("Sheets", mm(106), mm(20), "right"), ("Pages", mm(128), mm(20), "right"),
               ("Postage", mm(150), mm(40), "right")]  # fmt: skip
    for name, x, w, align in columns:
        page.text(name, x, y, w, bold=True, align=align)
    y += mm(5)
    outputs = report.get("outputs", [])
    for o in outputs[:MOST_OUTPUTS]:
        cells = [o["file"], f"{o['pieces']:,}", f"{o['sheets']:,}", f"{o['pages']:,}", _money(o["postage_cents"], cur)]
        for (_, x, w, align), v in zip(columns, cells):
            page.text(v, x, y, w, align=align, limit=44)
        y += mm(4.5)
    if len(outputs) > MOST_OUTPUTS:
        page.text(f"… and {len(outputs) - MOST_OUTPUTS} more outputs", mm(20), y, mm(100), color=GREY)
    y = mm(107)
    y = _chart(page, "Pieces by sheet count", _sheet_bars(report.get("by_sheets", [])), y)
    classes = [(c["class"], int(c["pieces"])) for c in report.get("classes", [])][:MOST_BARS]
    y = _chart(page, "Pieces by postage class", classes, max(y + mm(4), mm(170)))
    y = max(y + mm(4), mm(215))
    rejected = report.get("rejected", [])
    page.text(f"Rejected records ({report['rejected_records']:,})", mm(20), y, mm(170), size=10, bold=True, color=BLUE)
    y += mm(6)
    for r in rejected[:MOST_REJECTED]:
        who = f"record {r['record']}" + (f" ({r['key']})" if r.get("key") else "")
        page.text(f"{who}: {r.get('field') or 'record'}: {r['reason']}", mm(20), y, mm(170), size=7, limit=120)
        y += mm(4)
    more = report["rejected_records"] - min(len(rejected), MOST_REJECTED)
    if more > 0:
        page.text(f"… and {more:,} more", mm(20), y, mm(100), size=7, color=GREY)
    if not rejected:
        page.text("none", mm(20), y, mm(40), size=7, color=GREY)
    messages = report.get("messages", {})
    placed = ", ".join(f"{name} {n:,}" for name, n in messages.items()) or "none"
    page.text(f"Messages placed: {placed}", mm(20), mm(268), mm(170), size=7, limit=140)
    t = report.get("timing", {})
    page.text(
        f"Composing {t.get('compose_seconds', 0):.2f} s, post-processing {t.get('post_seconds', 0):.2f} s",
        mm(20),
        mm(275),
        mm(170),
        size=7,
        color=GREY,
    )
    # the page is drawn whole by its template; its flow frame holds nothing
    template = PageTemplate("report", body=Frame(mm(20), mm(287), mm(170), mm(4)), content=page.elements)
    document = Document(first=template, page_size=A4, flow=[], name="production report")
    table = pa.table({k: pa.array([v], pa.string()) for k, v in page.values.items()})
    compose(document, table, path, manifest=False, title=report.get("title"))
