"""Internal: write the print files of a mail production, piece by piece.

Once every part is composed, the pieces are planned on the manifest rows
(:mod:`ccmcore.post.pieces`) and each output file is merged from the parts in piece order:
documents are cut out of their parts whole (no document is laid out again), and the
merge draws the plan's marks on the front of every sheet, counted in the piece
(:mod:`ccmcore.post.marks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import from_numpy, to_numpy
from ..merge import MANIFEST_SCHEMA, Merger
from ..output import output_error, part_path, publish, remove_part, write_parquet_atomically
from ..parts import Part, PartJob
from ..reorder import take_documents
from .marks import SheetMarks
from .pieces import Pieces
from .plan import MailPlan

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
    where = _Lookup(
        np.concatenate([np.asarray(p.pages.records, np.int64) for p in parts]),
        np.concatenate(
            [
                np.stack([np.full(len(p.pages.records), s), np.arange(len(p.pages.records))], 1)
                for s, p in enumerate(parts)
            ]
        ),
    )
    duplex = job.program.duplex
    table = pieces.table
    marks = SheetMarks(plan, table, duplex) if plan.marks else None
    piece_of = _first_piece(table)
    first_piece_of = dict(zip(piece_of.keys.tolist(), piece_of.values.tolist()))
    covers = set(cover_records(table).to_pylist())
    split = len(pieces.outputs) > 1 or (pieces.outputs and pieces.outputs[0] != "")
    done: list[Output] = []
    for o, name in enumerate(pieces.outputs):
        path = output_path(out, name, bool(split))
        picks = where[np.asarray(pieces.doc_records[o], np.int64)].reshape(-1, 2)
        tmp = part_path(path)
        page0 = 0
        job_sheet = 0
        try:
            with open(tmp, "wb") as fh:
                merger = Merger(job, fh, title=title)
                try:
                    outline = []
                    for k, at in enumerate(range(0, len(picks), _CHUNK)):
                        pages, manifest, stamps = take_documents(parts, picks[at : at + _CHUNK])
                        count = int(np.asarray(pages.doc_pages).sum())
                        chunk_marks = None
                        if marks is not None:
                            chunk_marks, job_sheet = marks.chunk(
                                pieces.page_piece[o][page0 : page0 + count],
                                pieces.page_number[o][page0 : page0 + count],
                                job_sheet,
                            )
                        first = merger.pages
                        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
                        starts = first + np.cumsum(doc_pages) - doc_pages
                        keys = manifest.column("key").to_pylist()
                        recs = manifest.column("record").to_pylist()
                        outline += [
                            (
                                p,
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
            rows_out = rows_out.append_column("piece", from_numpy(piece_of[recs]))
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


class _Lookup:
    """Values by unique int64 keys, looked up for a whole array at once."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.values = values[order]

    def __getitem__(self, wanted: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self.keys, wanted)
        if len(wanted) and (at.max() >= len(self.keys) or (self.keys[at] != wanted).any()):
            missing = wanted[(at >= len(self.keys)) | (self.keys[np.minimum(at, len(self.keys) - 1)] != wanted)]
            raise KeyError(f"record {int(missing[0])} is in no part")
        return self.values[at]


def _first_piece(table: pa.Table) -> _Lookup:
    """record -> the id of the (first) piece holding its document (or its cover sheet)."""
    records = table.column("records").combine_chunks()
    flat = to_numpy(pc.list_flatten(records)).astype(np.int64)
    owner = to_numpy(pc.list_parent_indices(records)).astype(np.int64)
    piece = table.column("piece").to_numpy().astype(np.int64)
    # pieces are in order: a document split over several is found first in its first piece
    first, at = np.unique(flat, return_index=True)
    keys, values = first, piece[owner[at]]
    cover = table.column("cover").combine_chunks()
    has = to_numpy(pc.is_valid(cover))
    if has.any():
        keys = np.concatenate([keys, to_numpy(pc.drop_null(cover)).astype(np.int64)])
        values = np.concatenate([values, piece[has]])
    return _Lookup(keys, values)


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
