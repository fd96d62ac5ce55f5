"""Test helper: read an AFP file back through ccmcore's own reader (not the writer): page
groups, each page's text (TRN decoded by the page's font map) and its PTOCA rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccmcore.afp.reader import TextRun, fonts_mapped, iter_fields, parse_ptoca, parse_triplets

SCFL, TRN, AMB, AMI, RMI, DIR, DBR = 0xF0, 0xDA, 0xD2, 0xC6, 0xC8, 0xE4, 0xE6


@dataclass
class Page:
    runs: list[str] = field(default_factory=list)
    rules: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # (kind, i, b, length, width/256)

    @property
    def text(self) -> str:
        return " ".join(r for r in self.runs if r)


@dataclass
class Group:
    name: str
    tags: dict = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)


def read_groups(path: Path) -> list[Group]:
    """Page groups with their TLE tags and pages. An absolute move (AMB/AMI) starts a new
    run; TRNs after relative moves (kerning) continue the word."""
    groups: list[Group] = []
    fonts: dict[int, str] = {}
    codec = "cp500"
    page: Page | None = None
    i = b = 0
    for f in iter_fields(path):
        if f.abbr == "BNG":
            groups.append(Group(f.data[:8].decode("cp500").strip()))
        elif f.abbr == "TLE" and groups:
            trips, _ = parse_triplets(f.data, 0)
            name = value = None
            for t in trips:
                if t.tid == 0x02:
                    name = t.data[2:].decode("cp500")
                elif t.tid == 0x36:
                    value = t.data[2:]
            groups[-1].tags[name] = value
        elif f.abbr == "BPG":
            page = Page(runs=[""])
            fonts = {}
        elif f.abbr in ("MDR", "MCF"):
            fonts.update({ref.lid: ref.codec for ref in fonts_mapped(f)})
        elif f.abbr == "PTX":
            items, err = parse_ptoca(f.data, 0)
            assert err is None, err
            for it in items:
                if isinstance(it, TextRun):
                    page.runs[-1] += it.data.decode(codec)
                    continue
                t, p = it.ftype & 0xFE, it.params
                if t == SCFL:
                    codec = fonts[p[0]]
                elif t == AMB:
                    b = int.from_bytes(p[:2], "big", signed=True)
                    page.runs.append("")
                elif t == AMI:
                    i = int.from_bytes(p[:2], "big", signed=True)
                    page.runs.append("")
                elif t == RMI:
                    i += int.from_bytes(p[:2], "big", signed=True)
                elif t == TRN:
                    page.runs[-1] += p.decode(codec)
                elif t in (DIR, DBR):
                    length = int.from_bytes(p[:2], "big", signed=True)
                    width = (int.from_bytes(p[2:4], "big", signed=True) << 8) + (p[4] if len(p) > 4 else 0)
                    page.rules.append((t, i, b, length, width))
        elif f.abbr == "EPG":
            groups[-1].pages.append(page)
            page = None
    return groups


def rasterize_rules(page: Page, width_l: int, height_l: int, scale: int = 4):
    """The page's rules as a white image with black bars (PTOCA: a DIR runs along the
    inline axis from the current position, its width growing in +b; a DBR runs along the
    baseline axis, its width growing in +i). scale: L-units per pixel."""
    import numpy as np

    img = np.full((height_l // scale + 1, width_l // scale + 1), 255, np.uint8)
    for kind, i, b, length, w256 in page.rules:
        w = max(1, round(w256 / 256))
        if kind == DIR:
            x0, x1, y0, y1 = i, i + length, b, b + w
        else:
            x0, x1, y0, y1 = i, i + w, b, b + length
        img[y0 // scale : -(-y1 // scale), x0 // scale : -(-x1 // scale)] = 0
    return img
