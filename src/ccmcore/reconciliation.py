"""Check a print file against its manifest, document by document.

    result = reconcile("invoices.pdf", "invoices.pdf.manifest.parquet")
    assert result.ok, result.problems[:10]

The print file is read back with the project's own readers: for PDF the documents are
found by the ``%ccmcore-document RECORD`` line each starts with, their pages counted, and
every page object checked against the cross-reference table; for AFP the structured
fields are walked, each page group (BNG ... ENG, named by its record number) taken as a
document, its pages counted and its index attributes (TLEs) read. Then every rendered
record of the manifest must be found exactly once, at its offset, with its length, its
checksum, its first page and page count, and (AFP) its index values; and the file must
hold no document the manifest does not list, and end as a finished file does.

What is reported names the record (and its key), so a missing, duplicated, truncated or
changed document can be found and reprinted.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np

from .merge import checksum

__all__ = ["reconcile", "Reconciliation", "FoundDocument", "pdf_documents", "afp_documents"]


@dataclass
class FoundDocument:
    """A document as read from a print file."""

    record: int
    offset: int
    length: int
    first_page: int
    pages: int
    index: dict = field(default_factory=dict)


@dataclass
class Reconciliation:
    """The outcome of :func:`reconcile`.

    Attributes:
        documents: rendered documents the manifest lists.
        found: documents read from the print file.
        matched: documents found exactly where and as the manifest says.
        problems: one line per mismatch, in file order where there is one.
    """

    documents: int = 0
    found: int = 0
    matched: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "ok" if self.ok else f"{len(self.problems):,} problem{'s' if len(self.problems) != 1 else ''}"
        return (
            f"{self.matched:,} of {self.documents:,} documents match the manifest ({self.found:,} in the file): {state}"
        )


# ---------------------------------------------------------------------- PDF

_MARK = re.compile(rb"%ccmcore-document (\d+)\n")
_OBJ = re.compile(rb"(\d+) 0 obj\n")
_PAGE = re.compile(rb"(\d+) 0 obj\n<</Type/Page/")


def pdf_documents(data: bytes) -> tuple[list[FoundDocument], list[str]]:
    """The documents of a PDF the project wrote, and what is wrong with its frame.

    A document runs from its marker line to the end of its last page's content streams:
    the objects after the marker up to the next marker, or to the first object that is
    neither one of its pages nor a content stream they name (a stored image, the fonts).
    """
    problems: list[str] = []
    if not data.startswith(b"%PDF-"):
        return [], ["not a PDF file (no %PDF- header)"]
    tail = data[-1024:]
    if not tail.rstrip().endswith(b"%%EOF") or b"startxref" not in tail:
        problems.append("the file does not end as a finished PDF (no startxref / %%EOF): it is truncated")
    xref = _xref(data) if not problems else {}
    marks = list(_MARK.finditer(data))
    objs = [(m.start(), int(m.group(1))) for m in _OBJ.finditer(data)]
    obj_starts = np.array([o for o, _ in objs], dtype=np.int64)
    docs: list[FoundDocument] = []
    page_no = 0
    for k, m in enumerate(marks):
        limit = marks[k + 1].start() if k + 1 < len(marks) else len(data)
        i = int(np.searchsorted(obj_starts, m.end()))
        end = m.end()
        pages = 0
        first = page_no
        wanted: set[int] = set()
        while i < len(objs) and objs[i][0] < limit:
            at, num = objs[i]
            if at != end:
                break  # something else lies between (a stored image): the document ended
            body_end = data.find(b"endobj\n", at)
            if body_end < 0:
                break
            head = data[at : at + 200]
            if _PAGE.match(head):
                pages += 1
                if xref and xref.get(num) != at:
                    problems.append(
                        f"record {m.group(1).decode()}: page object {num} at offset {at} is not where the "
                        f"cross-reference table says ({xref.get(num)})"
                    )
                refs = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", head)
                if refs:
                    wanted.update(int(x) for x in re.findall(rb"(\d+) 0 R", refs.group(1)))
            elif num in wanted:
                length = re.search(rb"/Length (\d+)", head)
                if length:  # skip the stream's bytes: they may hold anything
                    start = data.find(b"stream\n", at) + 7
                    body_end = data.find(b"endobj\n", start + int(length.group(1)))
                    if body_end < 0:
                        break
            else:
                break
            end = body_end + len(b"endobj\n")
            i += 1
        page_no += pages
        docs.append(FoundDocument(int(m.group(1)), m.start(), end - m.start(), first, pages))
    return docs, problems


def _xref(data: bytes) -> dict[int, int]:
    """Object number -> offset, from the classic cross-reference table at ``startxref``."""
    at = data.rfind(b"startxref")
    try:
        pos = int(data[at + 9 : at + 40].split()[0])
    except (ValueError, IndexError):
        return {}
    if data[pos : pos + 4] != b"xref":
        return {}
    lines = data[pos : data.find(b"trailer", pos)].split(b"\n")
    out: dict[int, int] = {}
    k = 1
    while k < len(lines):
        head = lines[k].split()
        if len(head) != 2:
            k += 1
            continue
        start, count = int(head[0]), int(head[1])
        for j in range(count):
            entry = lines[k + 1 + j].split()
            if len(entry) == 3 and entry[2] == b"n":
                out[start + j] = int(entry[0])
        k += 1 + count
    return out


# ---------------------------------------------------------------------- AFP


def afp_documents(data: bytes) -> tuple[list[FoundDocument], list[str]]:
    """The page groups of an AFP print file the project wrote, and what is wrong with its frame."""
    from .afp.reader import AfpReadError, iter_fields, parse_triplets

    problems: list[str] = []
    docs: list[FoundDocument] = []
    cur: FoundDocument | None = None
    page_no = 0
    last = None
    try:
        for f in iter_fields(data):
            last = f.abbr
            if f.abbr == "BNG":
                name = f.data[:8].decode("cp500", "replace").strip()
                cur = FoundDocument(int(name) if name.isdigit() else -1, f.offset, 0, page_no, 0)
            elif cur is None:
                continue
            elif f.abbr == "BPG":
                cur.pages += 1
                page_no += 1
            elif f.abbr == "TLE":
                trips, _ = parse_triplets(f.data, 0)
                codec, name, value = "cp500", None, None
                for t in trips:
                    if t.tid == 0x01 and len(t.data) >= 4:
                        codec = {500: "cp500", 1200: "utf-16-be"}.get(int.from_bytes(t.data[2:4], "big"), "cp500")
                    elif t.tid == 0x02:
                        name = t.data[2:].decode(codec, "replace")
                    elif t.tid == 0x36:
                        value = t.data[2:].decode(codec, "replace")
                if name is not None:
                    cur.index[name] = value
            elif f.abbr == "ENG":
                cur.length = f.offset + 1 + f.length - cur.offset
                docs.append(cur)
                cur = None
    except AfpReadError as exc:
        problems.append(f"the file cannot be read further: {exc}")
    if cur is not None:
        problems.append(f"record {cur.record}: its page group never ends (the file is truncated in it)")
    elif last != "EDT" and not problems:
        problems.append("the file does not end with EDT: it is truncated")
    return docs, problems


# ---------------------------------------------------------------------- both


def reconcile(printfile: str | os.PathLike, manifest) -> Reconciliation:
    """Check a print file against its manifest (a path to the Parquet file, or the table).

    ``printfile`` may be the folder of a job that writes one file per document (e-invoices):
    each rendered record is then checked in the file its manifest row names, and the folder
    must hold no PDF file the manifest does not list.

    Raises:
        OSError: a file cannot be read.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = manifest if isinstance(manifest, pa.Table) else pq.read_table(manifest)
    rows = table.filter(pc.equal(table.column("status"), "rendered")).to_pylist()
    result = Reconciliation(documents=len(rows))
    if os.path.isdir(printfile):
        by_file: dict[str, list] = {}
        for row in rows:
            by_file.setdefault(row.get("file") or "", []).append(row)
        for name, listed in sorted(by_file.items()):
            path = os.path.join(printfile, name)
            if not name or not os.path.isfile(path):
                for row in listed:
                    result.problems.append(f"{_who(row)}: missing: its file {name or '(none)'} is not in the folder")
                continue
            with open(path, "rb") as fh:
                _check_file(fh.read(), listed, result, f"{name}: ")
        for name in sorted(set(os.listdir(printfile)) - set(by_file)):
            if name.endswith(".pdf"):
                result.problems.append(f"{name}: in the folder but not in the manifest")
        return result
    with open(printfile, "rb") as fh:
        _check_file(fh.read(), rows, result, "")
    return result


def _who(row: dict) -> str:
    return f"record {row['record']}" + (f" ({row['key']})" if row.get("key") is not None else "")


def _check_file(data: bytes, rows: list, result: Reconciliation, where: str) -> None:
    """Check the documents of one file against their manifest rows, into ``result``."""
    is_pdf = data.startswith(b"%PDF-")
    found, problems = pdf_documents(data) if is_pdf else afp_documents(data)
    result.found += len(found)
    result.problems.extend(where + p for p in problems)
    by_record: dict[int, list[FoundDocument]] = {}
    for d in found:
        by_record.setdefault(d.record, []).append(d)
    listed = set()
    view = memoryview(data)
    for row in sorted(rows, key=lambda r: r["offset"]):
        rec = row["record"]
        listed.add(rec)
        who = _who(row)
        hits = by_record.get(rec, [])
        if not hits:
            end = row["offset"] + row["length"]
            why = "the file ends before it (truncated)" if end > len(data) else "it is not in the print file"
            result.problems.append(f"{where}{who}: missing: {why}")
            continue
        if len(hits) > 1:
            offsets = ", ".join(str(h.offset) for h in hits)
            result.problems.append(
                f"{where}{who}: duplicated: {len(hits)} copies in the print file (at offsets {offsets})"
            )
            continue
        d = hits[0]
        wrong = []
        if d.offset != row["offset"]:
            wrong.append(f"offset {d.offset} in the file, {row['offset']} in the manifest")
        if d.length != row["length"]:
            wrong.append(f"length {d.length} in the file, {row['length']} in the manifest")
        if d.pages != row["pages"]:
            wrong.append(f"{d.pages} pages in the file, {row['pages']} in the manifest")
        if d.first_page != row["first_page"]:
            wrong.append(f"first page {d.first_page + 1} in the file, {row['first_page'] + 1} in the manifest")
        if not is_pdf and row.get("index"):
            expected = dict(row["index"])
            if d.index != expected:
                wrong.append(f"index values {d.index} in the file, {expected} in the manifest")
        if checksum(view[d.offset : d.offset + d.length]) != row["checksum"]:
            wrong.append("changed: its bytes do not have the manifest's checksum")
        if wrong:
            result.problems.append(f"{where}{who}: " + "; ".join(wrong))
        else:
            result.matched += 1
    for d in found:
        if d.record not in listed:
            result.problems.append(
                f"{where}record {d.record}: in the print file at offset {d.offset} but not in the manifest"
            )
