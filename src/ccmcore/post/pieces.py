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

from ..arrow_values import to_numpy
from .plan import PIECE_COLUMNS, Address, Envelope, MailPlan, MailPlanError

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
        cols[name] = pc.map_lookup(index, pa.scalar(name, pa.string()), "first")
    return pa.table(cols)


_SPACE = re.compile(r"[^0-9a-z]+")
_STREET = re.compile(r"str(asse|\b)")


def _normal(text: str | None) -> str:
    """An address part as householding compares it."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    t = "".join(c for c in t if not unicodedata.combining(c)).casefold()
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
    parts = [values.column(f).to_pylist() for f in household.fields]
    seen: dict = {}  # cities, postcodes and countries repeat: each is normalised once
    out: list[str | None] = []
    for vals in zip(*parts):
        norm = []
        for v in vals:
            n = seen.get(v)
            if n is None:
                n = seen[v] = _normal(v)
            norm.append(n)
        out.append("|".join(norm) if any(norm) else None)
    return out


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
    n_docs = values.num_rows
    records = to_numpy(values.column("record")).astype(np.int64)
    doc_pages = to_numpy(values.column("pages")).astype(np.int64)
    households = _households(values, plan.household)
    pieces = _pack(values, households, plan)
    per_sheet = 2 if duplex else 1
    for p in pieces:
        p.cover = plan.cover is not None and (plan.cover_when == "always" or len(p.docs) > 1)

    insert_masks = [_mask(i.when, values) for i in plan.inserts]
    divert_mask = _mask(plan.divert, values) if plan.divert is not None else np.zeros(n_docs, dtype=bool)
    classes = list(plan.postage)
    class_rank = {c.name: k for k, c in enumerate(classes)}

    rows_out: dict[str, list] = {f.name: [] for f in PIECES_SCHEMA}
    sort_cols = {k: [] for k in plan.sort_by}
    split_col: list = []
    doc_of_piece: list[int] = []
    for p in pieces:
        ds = [d for d, _, _ in p.docs]
        sh = sum(s for _, _, s in p.docs)
        pages = 0
        for d, first, s in p.docs:
            if first == 0 and s * per_sheet >= doc_pages[d]:
                pages += int(doc_pages[d])
            else:
                pages += min(s * per_sheet, int(doc_pages[d]) - first * per_sheet)
        if p.cover:
            sh += 1
            pages += per_sheet
        ins = [i for i, m in zip(plan.inserts, insert_masks) if m[ds].any()]
        weight = p.envelope.weight + sh * plan.sheet_weight + sum(i.weight for i in ins)
        thick = (sh + len(ins)) * plan.sheet_thickness
        least = class_rank.get(p.envelope.min_class, 0) if p.envelope.min_class else 0
        cls = next(
            (
                c
                for c in classes[least:]
                if weight <= c.max_weight and (c.max_thickness is None or thick <= c.max_thickness)
            ),
            None,
        )
        divert = bool(divert_mask[ds].any())
        reason = "the divert rule" if divert else None
        if cls is None:
            divert, reason = True, f"{weight:.1f} g, {thick:.1f} mm: too heavy or thick for every postage class"
        rows_out["records"].append(records[ds].tolist())
        rows_out["documents"].append(len(ds))
        rows_out["household"].append(p.household)
        rows_out["split"].append(None if p.split is None else f"{p.split[0]}/{p.split[1]}")
        rows_out["sheets"].append(sh)
        rows_out["pages"].append(pages)
        rows_out["envelope"].append(p.envelope.name)
        rows_out["inserts"].append([i.name for i in ins])
        rows_out["feeders"].append(sum(1 << (i.feeder - 1) for i in ins))
        rows_out["weight_g"].append(round(weight, 2))
        rows_out["thickness_mm"].append(round(thick, 2))
        rows_out["class"].append(None if cls is None else cls.name)
        rows_out["postage_cents"].append(0 if cls is None else cls.price_cents)
        rows_out["divert"].append(divert)
        rows_out["reason"].append(reason)
        doc_of_piece.append(ds[0])
    _one_class_per_document(pieces, rows_out, class_rank, classes)

    def piece_value(k: int, name: str):
        if name == "class":
            c = rows_out["class"][k]
            return (class_rank[c] if c is not None else len(classes), c or "")
        if name == "envelope":
            return rows_out["envelope"][k]
        if name == "sheets":
            return rows_out["sheets"][k]
        if name == "weight":
            return rows_out["weight_g"][k]
        raise AssertionError(name)

    doc_value_cols = {
        k: values.column(k).to_pylist() for k in set(plan.sort_by) | {plan.split_by} if k and k not in PIECE_COLUMNS
    }
    for k, first_doc in enumerate(doc_of_piece):
        for key in plan.sort_by:
            v = piece_value(k, key) if key in PIECE_COLUMNS else doc_value_cols[key][first_doc]
            sort_cols[key].append(v)
        if plan.split_by is None:
            split_col.append("")
        elif plan.split_by in PIECE_COLUMNS:
            v = piece_value(k, plan.split_by)
            split_col.append(str(v[1] if isinstance(v, tuple) else v))
        else:
            v = doc_value_cols[plan.split_by][first_doc]
            split_col.append("" if v is None else str(v))

    # the order: output (class order for a split by class, else by name), the sort keys
    # (nulls last), then the first document's record; a split document's pieces stay together
    def out_rank(k: int):
        if plan.split_by == "class":
            c = rows_out["class"][k]
            return (class_rank[c] if c is not None else len(classes), split_col[k])
        return (0, split_col[k])

    def null_last(v):
        return (1, "") if v is None else (0, v)

    order = sorted(
        range(len(pieces)),
        key=lambda k: (
            out_rank(k),
            tuple(null_last(sort_cols[key][k]) for key in plan.sort_by),
            int(records[doc_of_piece[k]]),
            pieces[k].docs[0][1],
        ),
    )
    outputs: list[str] = []
    for k in order:
        if not outputs or outputs[-1] != split_col[k]:
            outputs.append(split_col[k])
    table_rows = {name: [rows_out[name][k] for k in order] for name in rows_out if rows_out[name]}
    n = len(order)
    table_rows["piece"] = list(range(1, n + 1))
    table_rows["output"] = [split_col[k] for k in order]
    seq, first_page = [], []
    doc_records: list[list[int]] = [[] for _ in outputs]
    page_piece: list[list[np.ndarray]] = [[] for _ in outputs]
    page_number: list[list[np.ndarray]] = [[] for _ in outputs]
    o, s, fp = -1, 0, 0
    last = None
    for row, k in enumerate(order):
        if split_col[k] != last:
            o, s, fp, last = o + 1, 0, 0, split_col[k]
        s += 1
        seq.append(s)
        first_page.append(fp)
        pages = table_rows["pages"][row]
        fp += pages
        if pieces[k].cover:
            doc_records[o].append(-1)  # the cover's record, known once every piece has its place
        for d, first, _ in pieces[k].docs:
            if first == 0:
                doc_records[o].append(int(records[d]))
        page_piece[o].append(np.full(pages, row, np.int64))
        page_number[o].append(np.arange(1, pages + 1, dtype=np.int64))
    table_rows["sequence"] = seq
    table_rows["first_page"] = first_page
    base = int(to_numpy(rows.column("record")).max()) + 1 if rows.num_rows else 0
    covers: list[int | None] = []
    made = 0
    for k in order:
        covers.append(base + made if pieces[k].cover else None)
        made += pieces[k].cover
    table_rows["cover"] = covers
    table = pa.table({f.name: pa.array(table_rows[f.name], f.type) for f in PIECES_SCHEMA}, schema=PIECES_SCHEMA)
    cover_of = iter(c for c in covers if c is not None)
    for recs in doc_records:
        for i, r in enumerate(recs):
            if r == -1:
                recs[i] = next(cover_of)
    cat = [np.concatenate(x) if x else np.zeros(0, np.int64) for x in page_piece]
    num = [np.concatenate(x) if x else np.zeros(0, np.int64) for x in page_number]
    return Pieces(table, outputs, [np.array(r, np.int64) for r in doc_records], cat, num)


def _one_class_per_document(pieces: list[_Piece], rows: dict, class_rank: dict, classes: list) -> None:
    """The pieces of one split document go out together, in the class of the heaviest
    (so they land in one output and in order): the others pay its postage."""
    k = 0
    while k < len(pieces):
        p = pieces[k]
        if p.split is None:
            k += 1
            continue
        n = p.split[1]
        span = range(k, k + n)
        worst = max(
            span, key=lambda j: class_rank.get(rows["class"][j], len(classes)) if rows["class"][j] else len(classes)
        )
        for j in span:
            rows["class"][j] = rows["class"][worst]
            rows["postage_cents"][j] = rows["postage_cents"][worst]
            if rows["divert"][worst] and not rows["divert"][j]:
                rows["divert"][j], rows["reason"][j] = True, "another piece of its document is diverted"
        k += n
