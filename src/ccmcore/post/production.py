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
import string
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import from_numpy, to_numpy
from ..merge import MANIFEST_SCHEMA, Merger, PageMarks
from ..output import output_error, part_path, publish, remove_part, write_parquet_atomically
from ..parts import Part, PartJob
from ..reorder import index_ranges, take_documents
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
    """The RECT items of the plan's marks, for the front of every sheet of a chunk of pages.

    OMR marks repeat (their sequence wraps), so each pattern is made once. A piece code is
    new on every sheet: digit-only Data Matrix codes (the default piece code) are encoded
    for the whole chunk at once, anything else one by one.
    """

    def __init__(self, plan: MailPlan, table: pa.Table, duplex: bool):
        from .. import barcodes
        from ..units import to_mpt

        self.bc = barcodes
        self.duplex = duplex
        self.omr = []
        for m in plan.marks:
            if isinstance(m, OmrMarks):
                spec = replace(m.spec, duplex=True) if duplex and not m.spec.duplex else m.spec
                seq = [int(k[3:]) for k in spec.marks if k.startswith("seq")]
                self.omr.append((to_mpt(m.x), to_mpt(m.y), spec, 2 * max(seq) if seq else 1))
        self.codes = [m for m in plan.marks if isinstance(m, PieceCode)]
        self.encode = {"datamatrix": barcodes.encode_datamatrix, "qr": barcodes.encode_qr}
        self.cache: dict = {}
        self.seconds = 0.0
        self.piece = {
            "piece": table.column("piece").to_numpy(),
            "pages": table.column("pages").to_numpy(),
            "sheets": table.column("sheets").to_numpy(),
            "feeds": table.column("feeders").to_numpy(),
            "documents": table.column("documents").to_numpy(),
        }

    def chunk(self, rows: np.ndarray, numbers: np.ndarray, job_sheet: int) -> tuple[PageMarks, int]:
        """The marks of a run of pages.

        Args:
            rows: each page's row in the pieces table.
            numbers: each page's number in its piece (1-based).
            job_sheet: the output's sheets before these pages.

        Returns:
            (the marks of the fronts among these pages, the output's sheets after them).
        """
        t0 = time.perf_counter()
        numbers = np.asarray(numbers, np.int64)
        fronts = np.flatnonzero(numbers % 2 == 1) if self.duplex else np.arange(len(numbers))
        r = np.asarray(rows, np.int64)[fronts]
        page = numbers[fronts]
        v = {
            "piece": self.piece["piece"][r],
            "sheet": (page + 1) // 2 if self.duplex else page,
            "sheets": self.piece["sheets"][r],
            "job_sheet": job_sheet + np.arange(1, len(fronts) + 1),
            "feeds": self.piece["feeds"][r],
            "documents": self.piece["documents"][r],
        }
        # per mark a layer: its items, and where each sheet's start in them and how many
        layers = [self._omr_layer(k, page, self.piece["pages"][r], v) for k in range(len(self.omr))]
        layers += [self._code_layer(code, v) for code in self.codes]
        # sheet after sheet, each sheet's marks in the plan's order: one gather
        base = np.cumsum([0] + [len(items) for items, _, _ in layers[:-1]])
        first = np.stack([at + b for (_, at, _), b in zip(layers, base.tolist())], axis=1).reshape(-1)
        count = np.stack([c for _, _, c in layers], axis=1)
        source = np.concatenate([items for items, _, _ in layers])
        items = source[index_ranges(first, count.reshape(-1))]
        starts = np.zeros(len(fronts) + 1, np.int64)
        np.cumsum(count.sum(axis=1), out=starts[1:])
        self.seconds += time.perf_counter() - t0
        return PageMarks(fronts.astype(np.int64), items, starts), job_sheet + len(fronts)

    def _omr_layer(self, k: int, page: np.ndarray, pages: np.ndarray, v: dict) -> tuple:
        """OMR marks ``k`` on each sheet: each distinct pattern made once (their sequence
        wraps), the sheets pointing at theirs."""
        x, y, spec, period = self.omr[k]
        sheet = v["job_sheet"]
        columns = np.stack([page, pages, sheet % period, v["feeds"]], axis=1)
        # one int64 key per sheet (each column below 2**15 in any real piece): a 1-D unique
        if len(columns) and columns.max() < 1 << 15:
            keys = ((columns[:, 0] << 15 | columns[:, 1]) << 15 | columns[:, 2]) << 15 | columns[:, 3]
            _, at, inverse = np.unique(keys, return_index=True, return_inverse=True)
        else:
            _, at, inverse = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        patterns = []
        for (number, count, wrapped, feeds), i in zip(columns[at].tolist(), at.tolist()):
            key = (k, number, count, wrapped, feeds)
            items = self.cache.get(key)
            if items is None:
                if len(self.cache) > 4096:
                    self.cache.clear()
                sym = self.bc.omr_marks(page=number, pages=count, sheet=int(sheet[i]), spec=spec, feeds=feeds)
                items = self.cache[key] = sym.items(x, y)
            patterns.append(items)
        lengths = np.array([len(p) for p in patterns], np.int64)
        offsets = np.cumsum(lengths) - lengths
        inverse = inverse.reshape(-1)
        return np.concatenate(patterns), offsets[inverse], lengths[inverse]

    def _code_layer(self, code: PieceCode, v: dict) -> tuple:
        """The piece code on each sheet: (items, each sheet's first item, item count)."""
        got = self._code_items(code, v)
        if isinstance(got, tuple):
            return got
        lengths = np.array([len(i) for i in got], np.int64)
        return np.concatenate(got), np.cumsum(lengths) - lengths, lengths

    def _code_items(self, code: PieceCode, v: dict[str, np.ndarray]) -> list[np.ndarray] | tuple:
        """The code's RECT items on each sheet: a list, or for a batch already in one
        array the layer (items, each sheet's first item, item count)."""
        from ..barcodes.datamatrix_digits import MAX_DIGITS, datamatrix_digit_bars

        n = len(v["piece"])
        x, y = code.x_mpt, code.y_mpt
        kw = {} if code.module is None else {"module": code.module}
        out: list = [None] * n
        digits = _digits(code.data, v) if code.kind == "datamatrix" else None
        if digits is not None and 0 < digits.shape[1] <= MAX_DIGITS:
            # the whole chunk in one batch: no text is made at all
            _, bars, starts = datamatrix_digit_bars(digits, **kw)
            return _rect_items(bars, x, y), starts[:-1], np.diff(starts)
        lists = {name: col.tolist() for name, col in v.items()}
        texts = [code.text(**dict(zip(lists, vals))) for vals in zip(*lists.values())]
        if code.kind == "datamatrix":
            lengths = np.fromiter(map(len, texts), np.int64, len(texts))
            joined = "".join(texts)
            if joined.isascii() and joined.isdigit():
                raw = np.frombuffer(joined.encode("ascii"), np.uint8)
                ends = np.cumsum(lengths)
                for length in np.unique(lengths).tolist():
                    if not 0 < length <= MAX_DIGITS:
                        continue
                    which = np.flatnonzero(lengths == length)
                    idx = (ends[which] - length)[:, None] + np.arange(length)
                    _, bars, starts = datamatrix_digit_bars(raw[idx], **kw)
                    items = _rect_items(bars, x, y)
                    for s, a, b in zip(which.tolist(), starts[:-1].tolist(), starts[1:].tolist()):
                        out[s] = items[a:b]
        encode = self.encode.get(code.kind, self.bc.encode_code128)
        for s, text in enumerate(texts):
            if out[s] is None:
                out[s] = encode(text, **kw).items(x, y)
        return out


_ZERO_PADDED = re.compile(r"0[1-9][0-9]*d")


def _digits(data: str, v: dict[str, np.ndarray]) -> np.ndarray | None:
    """uint8 (n, length): the ASCII digits ``data.format(**values)`` gives on each sheet,
    computed on the columns; None unless the format is digits and zero-padded integer
    fields (``"{piece:08d}{sheet:02d}"``) and every value fits its width."""
    n = len(v["piece"])
    columns: list[np.ndarray] = []
    for literal, field, spec, conversion in string.Formatter().parse(data):
        if literal:
            if not (literal.isascii() and literal.isdigit()):
                return None
            columns.append(np.broadcast_to(np.frombuffer(literal.encode("ascii"), np.uint8), (n, len(literal))))
        if field is None:
            continue
        if conversion or spec is None or not _ZERO_PADDED.fullmatch(spec) or field not in v:
            return None
        width = int(spec[1:-1])
        values = np.asarray(v[field], np.int64)
        if width > 18 or (len(values) and (values.min() < 0 or values.max() >= 10**width)):
            return None  # wider than its field, or negative: the text path says what it prints
        powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
        columns.append((values[:, None] // powers % 10 + 48).astype(np.uint8))
    if not columns:
        return None
    return np.ascontiguousarray(np.concatenate(columns, axis=1))


def _rect_items(bars: np.ndarray, x: int, y: int) -> np.ndarray:
    """Filled black RECT items of (x, y, w, h) rectangles placed at (x, y)."""
    from .. import display as d

    out = np.zeros((len(bars), d.ITEM_FIELDS), np.int32)
    out[:, d.KIND] = d.RECT
    out[:, d.X] = bars[:, 0] + x
    out[:, d.Y] = bars[:, 1] + y
    out[:, d.W] = bars[:, 2]
    out[:, d.H] = bars[:, 3]
    out[:, d.FONT] = -1
    out[:, d.COLOR2] = -1
    return out


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
    marks = _Marks(plan, table, duplex) if plan.marks else None
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
