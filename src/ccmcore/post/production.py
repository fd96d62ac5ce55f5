"""Internal: write the print files of a mail production, piece by piece.

Once every part is composed, the pieces are planned on the manifest rows
(:mod:`ccmcore.post.pieces`) and each output file is merged from the parts in piece order:
documents are cut out of their parts whole (no document is laid out again), and the
merge draws the plan's marks on the front of every sheet, counted in the piece: OMR
marks with sheet n of m of the piece (end of collation on its last sheet), the output's
sheet sequence and the inserts' feeders, and the piece's 2D code.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import from_numpy
from ..merge import MANIFEST_SCHEMA, Merger
from ..output import output_error, part_path, publish, remove_part, write_parquet_atomically
from ..parts import Part, PartJob
from .pieces import Pieces
from .plan import MailPlan, OmrMarks, PieceCode

__all__ = ["Output", "write_outputs", "output_path", "MAIL_MANIFEST_SCHEMA"]

#: documents taken out of the parts at a time
_CHUNK = 1000

#: a mail production's manifest: the job's, with each document's output and first piece
MAIL_MANIFEST_SCHEMA = pa.schema([*MANIFEST_SCHEMA, pa.field("output", pa.string()), pa.field("piece", pa.int64())])


@dataclass
class Output:
    """One print file of a mail production.

    Attributes:
        name: its split value ("" for the only output).
        path: the print file.
        manifest: its documents' manifest rows (:data:`MAIL_MANIFEST_SCHEMA`).
        pieces: its pieces' rows of the pieces table.
        pages, sheets: what it holds.
    """

    name: str
    path: Path
    manifest: pa.Table
    pieces: pa.Table
    pages: int = 0
    sheets: int = 0


_UNSAFE = re.compile(r"[^\w.-]+")


def output_path(out: Path, name: str, split: bool) -> Path:
    """The file of one output: the job's output itself, or ``STEM.NAME.EXT`` for a split."""
    if not split:
        return out
    safe = _UNSAFE.sub("_", name).strip("._") or "none"
    return out.with_name(f"{out.stem}.{safe}{out.suffix}")


class _Marks:
    """The RECT items of the plan's marks for one sheet. OMR marks repeat (their sequence
    wraps), so each pattern is made once; a piece code is new on every sheet."""

    def __init__(self, plan: MailPlan, duplex: bool):
        from .. import barcodes
        from ..units import to_mpt

        self.bc = barcodes
        self.omr = []
        for m in plan.marks:
            if isinstance(m, OmrMarks):
                spec = replace(m.spec, duplex=True) if duplex and not m.spec.duplex else m.spec
                seq = [int(k[3:]) for k in spec.marks if k.startswith("seq")]
                self.omr.append((to_mpt(m.x), to_mpt(m.y), spec, 2 * max(seq) if seq else 1))
        self.codes = [m for m in plan.marks if isinstance(m, PieceCode)]
        self.encode = {"datamatrix": barcodes.encode_datamatrix, "qr": barcodes.encode_qr}
        self.at = [(c.x_mpt, c.y_mpt, {} if c.module is None else {"module": c.module}) for c in self.codes]
        self.cache: dict = {}
        self.seconds = 0.0

    def items(self, page: int, pages: int, sheet: int, sheets: int, job_sheet: int, piece: int, feeds: int, docs: int):
        out = []
        for k, (x, y, spec, period) in enumerate(self.omr):
            key = (k, page, pages, job_sheet % period, feeds)
            items = self.cache.get(key)
            if items is None:
                if len(self.cache) > 4096:
                    self.cache.clear()
                sym = self.bc.omr_marks(page=page, pages=pages, sheet=job_sheet, spec=spec, feeds=feeds)
                items = self.cache[key] = sym.items(x, y)
            out.append(items)
        for c, (x, y, kw) in zip(self.codes, self.at):
            text = c.text(piece=piece, sheet=sheet, sheets=sheets, job_sheet=job_sheet, feeds=feeds, documents=docs)
            sym = self.encode.get(c.kind, self.bc.encode_code128)(text, **kw)
            out.append(sym.items(x, y))
        return np.concatenate(out) if len(out) > 1 else out[0]


def write_outputs(
    job: PartJob,
    parts: list[Part],
    pieces: Pieces,
    plan: MailPlan,
    out: Path,
    *,
    title: str | None = None,
    timing: dict | None = None,
) -> list[Output]:
    """Merge every output file of the plan from the parts, in piece order.

    Args:
        job: the job the parts belong to.
        parts: every part of the job (memory-mapped: they are read in another order).
        pieces: the planned pieces.
        plan: the mail plan (its marks).
        out: the job's output path (split outputs are named after it).
        title: the PDF's title.
        timing: gets the seconds spent drawing the marks (``marks``).

    Returns:
        the outputs, each written in full (under a temporary name until complete).
    """
    where: dict[int, tuple[int, int]] = {}
    for s, part in enumerate(parts):
        for d, record in enumerate(np.asarray(part.pages.records).tolist()):
            where[record] = (s, d)
    duplex = job.program.duplex
    marks = _Marks(plan, duplex) if plan.marks else None
    table = pieces.table
    piece_id = table.column("piece").to_numpy()
    piece_pages = table.column("pages").to_numpy()
    piece_sheets = table.column("sheets").to_numpy()
    feeders = table.column("feeders").to_numpy()
    n_docs = table.column("documents").to_numpy()
    first_piece_of = _first_piece(table)
    covers = set(cover_records(table).to_pylist())
    split = len(pieces.outputs) > 1 or (pieces.outputs and pieces.outputs[0] != "")
    done: list[Output] = []
    for o, name in enumerate(pieces.outputs):
        path = output_path(out, name, bool(split))
        picks = np.array([where[r] for r in pieces.doc_records[o].tolist()], dtype=np.int64).reshape(-1, 2)
        tmp = part_path(path)
        page0 = 0
        job_sheet = 0
        try:
            with open(tmp, "wb") as fh:
                merger = Merger(job, fh, title=title)
                try:
                    outline = []
                    for k, at in enumerate(range(0, len(picks), _CHUNK)):
                        from ..reorder import take_documents

                        pages, manifest, stamps = take_documents(parts, picks[at : at + _CHUNK])
                        count = int(np.asarray(pages.doc_pages).sum())
                        chunk_marks = None
                        if marks is not None:
                            m0 = time.perf_counter()
                            chunk_marks = {}
                            rows = pieces.page_piece[o][page0 : page0 + count]
                            numbers = pieces.page_number[o][page0 : page0 + count]
                            for g in range(count):
                                number = int(numbers[g])
                                if duplex and number % 2 == 0:
                                    continue  # the marks are read on the front of each sheet
                                job_sheet += 1
                                r = int(rows[g])
                                chunk_marks[g] = marks.items(
                                    number,
                                    int(piece_pages[r]),
                                    (number + 1) // 2 if duplex else number,
                                    int(piece_sheets[r]),
                                    job_sheet,
                                    int(piece_id[r]),
                                    int(feeders[r]),
                                    int(n_docs[r]),
                                )
                            marks.seconds += time.perf_counter() - m0
                        first = merger.pages
                        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
                        starts = first + np.cumsum(doc_pages) - doc_pages
                        keys = manifest.column("key").to_pylist()
                        recs = manifest.column("record").to_pylist()
                        outline += [
                            (
                                int(p),
                                str(key)
                                if key is not None
                                else (f"cover of piece {first_piece_of[rec]}" if rec in covers else f"record {rec}"),
                            )
                            for p, key, rec in zip(starts.tolist(), keys, recs)
                        ]
                        merger.add(Part(k, 0, manifest.num_rows, pages, manifest, stamps=stamps), chunk_marks)
                        page0 += count
                    if hasattr(merger, "outline"):
                        merger.outline(outline)
                    rows_out = merger.close()
                except BaseException:
                    merger.abort()
                    raise
            recs = rows_out.column("record").to_numpy()
            rows_out = rows_out.append_column("output", pa.array([path.name] * rows_out.num_rows, pa.string()))
            rows_out = rows_out.append_column(
                "piece", from_numpy(np.array([first_piece_of[r] for r in recs.tolist()], np.int64))
            )
            publish(tmp, path)
        except BaseException as exc:
            remove_part(tmp)
            for written in done:
                written.path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise output_error(path, exc) from None
            raise
        mine = table.filter(pc.equal(table.column("output"), name))
        done.append(Output(name, path, rows_out, mine, merger.pages, merger.job_sheets))
    if timing is not None and marks is not None:
        timing["marks"] = marks.seconds
    return done


def _first_piece(table: pa.Table) -> dict[int, int]:
    """record -> the id of the (first) piece holding its document (or its cover sheet)."""
    out: dict[int, int] = {}
    cols = (table.column(n).to_pylist() for n in ("piece", "records", "cover"))
    for piece, records, cover in zip(*cols):
        for r in records:
            out.setdefault(r, piece)
        if cover is not None:
            out[cover] = piece
    return out


def cover_records(table: pa.Table) -> pa.Array:
    """The record numbers the pieces' cover sheets have in the outputs' manifests."""
    return pc.drop_null(table.column("cover")).combine_chunks()


def job_manifest(outputs: list[Output], rows: pa.Table) -> pa.Table:
    """The whole job's manifest: every output's documents, then the rejected records' rows,
    in record order."""
    rendered = [documents_only(o.manifest, o.pieces) for o in outputs]
    rejected = rows.filter(pc.equal(rows.column("status"), "rejected"))
    n = rejected.num_rows
    cols = []
    for f in MAIL_MANIFEST_SCHEMA:
        if f.name in rejected.schema.names:
            cols.append(rejected.column(f.name).cast(f.type))
        elif f.name == "part_reused":
            cols.append(pa.array([False] * n, pa.bool_()))
        else:
            cols.append(pa.nulls(n, f.type))
    table = pa.concat_tables([*rendered, pa.Table.from_arrays(cols, schema=MAIL_MANIFEST_SCHEMA)])
    return table.sort_by("record")


def documents_only(manifest: pa.Table, pieces: pa.Table) -> pa.Table:
    """An output's manifest rows without its cover sheets (the job's documents)."""
    covers = cover_records(pieces)
    if not len(covers):
        return manifest
    return manifest.filter(pc.invert(pc.is_in(manifest.column("record"), value_set=covers)))


def write_manifests(outputs: list[Output]) -> None:
    """Each output's own manifest beside it (``FILE.manifest.parquet``)."""
    for o in outputs:
        write_parquet_atomically(o.manifest, o.path.with_name(o.path.name + ".manifest.parquet"))
