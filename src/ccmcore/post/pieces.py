"""Internal: plan mail pieces from the documents' manifest rows.

Planning needs only what composition already knows of each document (its pages, its
sheets, its index values), so it runs once every part is composed and before anything
is merged: householding, envelope capacity, inserts, weight and postage class, then the
order and the output file of every piece. Its result is a :class:`Pieces` value the
merge follows (which documents, in which order, into which file, with which sheet of
which piece on every page) and the pieces table users and inserters read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import map_first, to_numpy
from .plan import Address, Envelope, MailPlan, MailPlanError

__all__ = ["Pieces", "plan_pieces", "document_values", "PIECES_SCHEMA"]

#: the pieces table: one row per piece (``OUT.pieces.parquet``)
PIECES_SCHEMA = pa.schema(
    [
        ("piece", pa.int64()),
        ("output", pa.string()),
        ("sequence", pa.int64()),
        ("records", pa.list_(pa.int64())),
        ("documents", pa.int32()),
        ("household", pa.string()),
        ("split", pa.string()),
        ("sheets", pa.int32()),
        ("pages", pa.int32()),
        ("first_page", pa.int64()),
        ("envelope", pa.string()),
        ("inserts", pa.list_(pa.string())),
        ("feeders", pa.int32()),
        ("weight_g", pa.float64()),
        ("thickness_mm", pa.float64()),
        ("class", pa.string()),
        ("postage_cents", pa.int64()),
        ("divert", pa.bool_()),
        ("reason", pa.string()),
        ("cover", pa.int64()),
    ]
)


@dataclass
class Pieces:
    """The plan's result.

    Attributes:
        table: the pieces table (:data:`PIECES_SCHEMA`), in production order.
        outputs: output names (split values, or "" for a single output), in order.
        doc_records: per output, the records of its documents in the order they print.
        page_piece: per output, per page: the row of its piece in ``table``.
        page_number: per output, per page: its number in its piece (1-based).
    """

    table: pa.Table
    outputs: list[str]
    doc_records: list[np.ndarray]
    page_piece: list[np.ndarray]
    page_number: list[np.ndarray]


def document_values(rows: pa.Table, needed: set[str]) -> pa.Table:
    """The rendered documents' values a plan reads, in record order: the manifest columns
    ``record``, ``key``, ``pages``, ``sheets`` and one column per index tag.

    Raises:
        MailPlanError: the plan names a value the documents do not have.
    """
    rendered = rows.filter(pc.equal(rows.column("status"), "rendered"))
    rendered = rendered.sort_by("record")
    cols = {n: rendered.column(n) for n in ("record", "key", "pages", "sheets")}
    index = rendered.column("index").combine_chunks() if rendered.num_rows else None
    tags = set(index.keys.unique().to_pylist()) if index is not None else set()
    for name in sorted(needed):
        if name in cols:
            continue
        if name not in tags:
            known = ", ".join(sorted(tags)) or "none: give the Document tags"
            raise MailPlanError(
                f"the mail plan reads {name!r}, which is neither a manifest column (key, record, pages, sheets) "
                f"nor an index value of the documents (their tags: {known})"
            )
        cols[name] = map_first(index, name)
    return pa.table(cols)


_SPACE = re.compile(r"[^0-9a-z]+")
_STREET = re.compile(r"str(asse|\b)")


def _normal(text: str | None) -> str:
    """An address part as householding compares it."""
    if text is None:
        return ""
    t = text.replace("ß", "ss")
    if not t.isascii():  # accents off: "Müller" = "Muller"
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    t = t.casefold()
    t = _SPACE.sub(" ", t).strip()
    return _STREET.sub("str", t)


def _households(values: pa.Table, household) -> list[str | None]:
    """Per document its household's key (None: a household of its own)."""
    n = values.num_rows
    if household is None:
        return [None] * n
    if isinstance(household, str):
        return [None if v is None else str(v) for v in values.column(household).to_pylist()]
    assert isinstance(household, Address)
    # cities, postcodes and countries repeat: each distinct value is normalised once
    normal = []
    for f in household.fields:
        column = values.column(f).combine_chunks()
        if not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        distinct = pc.unique(column)
        forms = pa.array([_normal(v) for v in distinct.to_pylist()], pa.string())
        normal.append(forms.take(pc.index_in(column, value_set=distinct)))
    empty = np.ones(n, bool)
    for col in normal:
        empty &= to_numpy(pc.equal(col, "").fill_null(True)).astype(bool)
    joined = pc.binary_join_element_wise(*[pc.fill_null(c, "") for c in normal], "|").to_pylist()
    return [None if e else k for k, e in zip(joined, empty.tolist())]


def _mask(rule, values: pa.Table) -> np.ndarray:
    if rule is None:
        return np.ones(values.num_rows, dtype=bool)
    batch = values.combine_chunks().to_batches()
    if not batch:
        return np.zeros(0, dtype=bool)
    got = rule.evaluate(batch[0])
    got = pc.fill_null(got, False)
    return to_numpy(got).astype(bool)


@dataclass
class _Piece:
    docs: list  # (doc row, first sheet, sheets)
    envelope: Envelope
    household: str | None
    split: tuple[int, int] | None = None  # (k, n): the k-th of n pieces of one document
    cover: bool = False


def _pack(values: pa.Table, households: list, plan: MailPlan) -> list[_Piece]:
    """Documents into envelopes: a household's documents together (in record order) while
    they fit, a document too thick split or sent in the oversize envelope."""
    sheets = to_numpy(values.column("sheets")).astype(np.int64)
    order: dict[str | None, list[int]] = {}
    groups: list[list[int]] = []
    for d, h in enumerate(households):
        if h is None:
            g = [d]
            groups.append(g)
        elif h in order:
            order[h].append(d)
        else:
            g = order[h] = [d]
            groups.append(g)
    env = plan.envelope
    pieces: list[_Piece] = []
    covered = plan.cover is not None
    for g in groups:
        h = households[g[0]]
        cur: list = []
        used = 0
        # a cover takes a sheet of the envelope where one may go on top
        room = env.capacity - (1 if covered and (plan.cover_when == "always" or len(g) > 1) else 0)
        for d in g:
            s = int(sheets[d])
            if s > room:
                if cur:
                    pieces.append(_Piece(cur, env, h))
                cur, used = [], 0
                big = plan.oversize if isinstance(plan.oversize, Envelope) else env
                cap = big.capacity - (1 if covered and plan.cover_when == "always" else 0)
                n = -(-s // cap)
                for k in range(n):
                    first = k * cap
                    share = min(cap, s - first)
                    pieces.append(_Piece([(d, first, share)], big, h, (k + 1, n) if n > 1 else None))
                continue
            if used + s > room:
                pieces.append(_Piece(cur, env, h))
                cur, used = [], 0
            cur.append((d, 0, s))
            used += s
        if cur:
            pieces.append(_Piece(cur, env, h))
    return pieces


def _flatten(pieces: list[_Piece]) -> tuple[np.ndarray, ...]:
    """The pieces' document entries as arrays: (piece, document row, first sheet, sheets)."""
    n = sum(len(p.docs) for p in pieces)
    out = np.empty((n, 4), np.int64)
    k = 0
    for i, p in enumerate(pieces):
        for d, first, sh in p.docs:
            out[k] = (i, d, first, sh)
            k += 1
    return out[:, 0], out[:, 1], out[:, 2], out[:, 3]


def _lists(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def plan_pieces(rows: pa.Table, plan: MailPlan, *, duplex: bool) -> Pieces:
    """Plan the pieces of a job's documents.

    Args:
        rows: the job's manifest rows (every record; the rendered ones are planned).
        plan: the mail plan.
        duplex: whether the job prints both sides (a sheet is two pages).

    Returns:
        the :class:`Pieces`.

    Raises:
        MailPlanError: the plan reads values the documents do not have.
    """
    values = document_values(rows, plan.values())
    records = to_numpy(values.column("record")).astype(np.int64)
    doc_pages = to_numpy(values.column("pages")).astype(np.int64)
    households = _households(values, plan.household)
    pieces = _pack(values, households, plan)
    n = len(pieces)
    per_sheet = 2 if duplex else 1
    e_piece, e_doc, e_first, e_sheets = _flatten(pieces)
    starts = np.r_[0, np.cumsum(np.bincount(e_piece, minlength=n))]
    first_doc = e_doc[starts[:-1]] if n else np.zeros(0, np.int64)

    cover = np.array(
        [plan.cover is not None and (plan.cover_when == "always" or len(p.docs) > 1) for p in pieces], bool
    )
    for p, c in zip(pieces, cover.tolist()):
        p.cover = c
    whole = (e_first == 0) & (e_sheets * per_sheet >= doc_pages[e_doc])
    e_pages = np.where(
        whole, doc_pages[e_doc], np.minimum(e_sheets * per_sheet, doc_pages[e_doc] - e_first * per_sheet)
    )
    sheets = np.bincount(e_piece, weights=e_sheets, minlength=n).astype(np.int64) + cover
    pages = np.bincount(e_piece, weights=e_pages, minlength=n).astype(np.int64) + cover * per_sheet

    # inserts: a piece gets one when any of its documents meets its rule
    got = np.zeros((n, len(plan.inserts)), bool)
    for k, ins in enumerate(plan.inserts):
        got[:, k] = np.bincount(e_piece, weights=_mask(ins.when, values)[e_doc], minlength=n) > 0
    insert_weight = got @ np.array([i.weight for i in plan.inserts]) if plan.inserts else np.zeros(n)
    feeders = (
        got @ np.array([1 << (i.feeder - 1) for i in plan.inserts], np.int64) if plan.inserts else np.zeros(n, np.int64)
    )
    envelopes = [p.envelope for p in pieces]
    env_weight = np.array([e.weight for e in envelopes])
    weight = np.round(env_weight + sheets * plan.sheet_weight + insert_weight, 2)
    thick = np.round((sheets + got.sum(axis=1)) * plan.sheet_thickness, 2)
    classes = list(plan.postage)
    rank = {c.name: k for k, c in enumerate(classes)}
    least = np.array([rank[e.min_class] if e.min_class else 0 for e in envelopes], np.int64)
    cls = np.full(n, len(classes), np.int64)  # len(classes): too heavy for every one
    for k in range(len(classes) - 1, -1, -1):
        c = classes[k]
        fits = (weight <= c.max_weight) & (least <= k)
        if c.max_thickness is not None:
            fits &= thick <= c.max_thickness
        cls[fits] = k
    divert = np.zeros(n, bool)
    if plan.divert is not None:
        divert = np.bincount(e_piece, weights=_mask(plan.divert, values)[e_doc], minlength=n) > 0
    reason = np.full(n, None, dtype=object)
    reason[divert] = "the divert rule"
    over = cls == len(classes)
    for k in np.flatnonzero(over).tolist():
        reason[k] = f"{weight[k]:.1f} g, {thick[k]:.1f} mm: too heavy or thick for every postage class"
    divert |= over
    _one_class_per_document(pieces, cls, divert, reason)
    prices = np.array([c.price_cents for c in classes] + [0], np.int64)

    # the order: output (class order for a split by class, else by name), the sort keys
    # (nulls last), then the first document's record; a split document's pieces stay together
    class_names = np.array([c.name for c in classes] + [None], dtype=object)
    envelope_names = np.array([e.name for e in envelopes], dtype=object)

    def piece_column(name: str):
        if name == "class":
            return pa.array(cls)
        if name == "envelope":
            return pa.array(envelope_names, pa.string())
        if name == "sheets":
            return pa.array(sheets)
        if name == "weight":
            return pa.array(weight)
        return values.column(name).take(pa.array(first_doc)).combine_chunks()

    if plan.split_by is None:
        split_values = pa.array([""] * n, pa.string())
        out_rank = pa.array(np.zeros(n, np.int64))
    elif plan.split_by == "class":
        split_values = pa.array(class_names[cls], pa.string())
        out_rank = pa.array(cls)
    else:
        split_values = pc.fill_null(piece_column(plan.split_by).cast(pa.string()), "")
        out_rank = pa.array(np.zeros(n, np.int64))
    keys = {"rank": out_rank, "split": split_values}
    for k, name in enumerate(plan.sort_by):
        keys[f"s{k}"] = piece_column(name)
    keys["record"] = pa.array(records[first_doc])
    keys["sheet"] = pa.array(e_first[starts[:-1]])
    order_table = pa.table(keys)
    by = [(name, "ascending") for name in keys]
    order = to_numpy(pc.sort_indices(order_table, sort_keys=by)).astype(np.int64)  # nulls last

    split_sorted = np.asarray(split_values.take(pa.array(order)).to_pylist(), dtype=object)
    change = np.r_[True, split_sorted[1:] != split_sorted[:-1]] if n else np.zeros(0, bool)
    outputs = split_sorted[change].tolist()
    out_of = np.cumsum(change) - 1
    seq = np.arange(n) - np.flatnonzero(change)[out_of] + 1 if n else np.zeros(0, np.int64)
    pages_o = pages[order]
    first_page = np.zeros(n, np.int64)
    out_starts = np.flatnonzero(change)
    for a, b in zip(out_starts.tolist(), [*out_starts[1:].tolist(), n]):
        first_page[a:b] = np.cumsum(pages_o[a:b]) - pages_o[a:b]
    base = int(to_numpy(rows.column("record")).max()) + 1 if rows.num_rows else 0
    cover_o = cover[order]
    cover_rec = np.where(cover_o, base + np.cumsum(cover_o) - 1, -1)

    # the table, in production order
    counts = np.diff(starts)[order]
    entry_order = (
        np.concatenate([np.arange(starts[k], starts[k + 1]) for k in order.tolist()]) if n else np.zeros(0, np.int64)
    )
    rec_offsets = np.r_[0, np.cumsum(counts)]
    got_o = got[order]
    ins_offsets = np.r_[0, np.cumsum(got_o.sum(axis=1))]
    names = np.array([i.name for i in plan.inserts], dtype=object)
    ins_values = names[np.nonzero(got_o)[1]] if plan.inserts else np.zeros(0, object)
    split_text = np.array([None if p.split is None else f"{p.split[0]}/{p.split[1]}" for p in pieces], dtype=object)
    columns = {
        "piece": pa.array(np.arange(1, n + 1)),
        "output": pa.array(split_sorted, pa.string()),
        "sequence": pa.array(seq.astype(np.int64)),
        "records": _lists(rec_offsets, pa.array(records[e_doc[entry_order]])),
        "documents": pa.array(counts.astype(np.int32)),
        "household": pa.array([households[int(d)] for d in first_doc[order]], pa.string()),
        "split": pa.array(split_text[order], pa.string()),
        "sheets": pa.array(sheets[order].astype(np.int32)),
        "pages": pa.array(pages_o.astype(np.int32)),
        "first_page": pa.array(first_page),
        "envelope": pa.array(envelope_names[order], pa.string()),
        "inserts": _lists(ins_offsets, pa.array(ins_values, pa.string())),
        "feeders": pa.array(feeders[order].astype(np.int32)),
        "weight_g": pa.array(weight[order]),
        "thickness_mm": pa.array(thick[order]),
        "class": pa.array(class_names[cls[order]], pa.string()),
        "postage_cents": pa.array(prices[cls[order]]),
        "divert": pa.array(divert[order]),
        "reason": pa.array(reason[order], pa.string()),
        "cover": pa.array(np.where(cover_rec >= 0, cover_rec, 0), mask=cover_rec < 0, type=pa.int64()),
    }
    table = pa.table([columns[f.name] for f in PIECES_SCHEMA], schema=PIECES_SCHEMA)

    # per output: its documents in print order (a cover before its piece's), and per page its piece
    doc_records: list[np.ndarray] = []
    page_piece: list[np.ndarray] = []
    page_number: list[np.ndarray] = []
    entry_whole = (e_first == 0)[entry_order]
    entry_rec = records[e_doc[entry_order]]
    piece_of_entry = np.repeat(np.arange(n), counts)
    for a, b in zip(out_starts.tolist(), [*out_starts[1:].tolist(), n]):
        ea, eb = rec_offsets[a], rec_offsets[b]
        keep = entry_whole[ea:eb]
        recs = entry_rec[ea:eb][keep]
        at = piece_of_entry[ea:eb][keep]
        covers = np.flatnonzero(cover_o[a:b]) + a
        if len(covers):
            # a cover goes before its piece's first document: merge both by (piece, cover first)
            allp = np.r_[covers, at]
            allr = np.r_[cover_rec[covers], recs]
            first = np.r_[np.zeros(len(covers), np.int64), np.ones(len(at), np.int64)]
            o = np.lexsort((np.arange(len(allp)), first, allp))
            recs = allr[o]
        doc_records.append(recs.astype(np.int64))
        pp = pages_o[a:b]
        page_piece.append(np.repeat(np.arange(a, b), pp))
        page_number.append(np.arange(int(pp.sum())) - np.repeat(np.cumsum(pp) - pp, pp) + 1)
    return Pieces(table, outputs, doc_records, page_piece, page_number)


def _one_class_per_document(pieces: list[_Piece], cls: np.ndarray, divert: np.ndarray, reason: np.ndarray) -> None:
    """The pieces of one split document go out together, in the class of the heaviest
    (so they land in one output and in order): the others pay its postage."""
    k = 0
    while k < len(pieces):
        p = pieces[k]
        if p.split is None:
            k += 1
            continue
        span = slice(k, k + p.split[1])
        cls[span] = cls[span].max()
        if divert[span].any():
            for j in range(span.start, span.stop):
                if not divert[j]:
                    divert[j], reason[j] = True, "another piece of its document is diverted"
        k = span.stop
