"""Internal: documents taken out of encoded parts, in another order, as one encoded part.

A merge in a sort key's order (``ccm merge --order-by postcode``) writes documents in an
order no part has. Encoded pages hold everything a document needs apart from its place
(see :mod:`ccmcore.parts`), so documents can be cut out of the parts that made them and
joined in any order without composing again: their bytes, their pages' sizes or EPG
offsets, the images and overlays they draw, the font OIDs to fill in, the stamps the merge
draws on their pages and their manifest rows all move with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_values import from_numpy, to_numpy

__all__ = ["take_documents", "index_ranges"]


def _doc_spans(pages) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per document: its first page, and where its bytes start and how long they are."""
    doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
    first_page = np.cumsum(doc_pages) - doc_pages
    if hasattr(pages, "doc_bytes"):
        length = np.asarray(pages.doc_bytes, dtype=np.int64)
    else:  # PDF: a document's bytes are its pages' content streams
        page_len = np.asarray(pages.sizes, dtype=np.int64).reshape(-1, 3)[:, 2]
        ends = np.cumsum(page_len)
        last = first_page + doc_pages
        length = np.where(doc_pages > 0, ends[np.maximum(last - 1, 0)] - (ends - page_len)[first_page], 0)
    start = np.cumsum(length) - length
    return first_page, start, length


def index_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices start..start+count-1 of every (start, count), one after another."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + np.arange(total) - offsets


def take_documents(parts: list, picks: np.ndarray):
    """One part made of documents of ``parts``, in the order of ``picks``.

    Args:
        parts: :class:`~ccmcore.parts.Part` values (their pages of one format).
        picks: int64 (n, 2): (part, document row in that part) per document to take.

    Returns:
        (encoded pages, manifest rows of the documents taken in their order, stamps).
    """
    picks = np.asarray(picks, dtype=np.int64).reshape(-1, 2)
    kind = type(parts[0].pages)
    spans = [_doc_spans(p.pages) for p in parts]
    n = len(picks)
    # every part's documents in one numbering: part s's row d is doc_base[s] + d
    counts = np.array([len(p.pages.records) for p in parts], np.int64)
    doc_base = np.cumsum(counts) - counts
    g = doc_base[picks[:, 0]] + picks[:, 1]
    new_row_all = np.full(int(counts.sum()), -1, np.int64)
    new_row_all[g] = np.arange(n)
    new_row = [new_row_all[b : b + c] for b, c in zip(doc_base.tolist(), counts.tolist())]
    doc_pages = np.concatenate([np.asarray(p.pages.doc_pages, dtype=np.int64) for p in parts])[g]
    first_page = np.concatenate([sp[0] for sp in spans])[g]
    starts = np.concatenate([sp[1] for sp in spans])[g]
    lengths = np.concatenate([sp[2] for sp in spans])[g]
    new_start = np.cumsum(lengths) - lengths
    views = [memoryview(p.pages.content) for p in parts]
    ends = starts + lengths
    content = b"".join([views[s][a:b] for s, a, b in zip(picks[:, 0].tolist(), starts.tolist(), ends.tolist())])
    out: dict[str, Any] = {
        "records": np.concatenate([np.asarray(p.pages.records, dtype=np.int64) for p in parts])[g],
        "doc_pages": doc_pages,
        "content": content,
    }
    # pages: where each new page comes from
    page_src = np.repeat(picks[:, 0], doc_pages)
    page_old = index_ranges(first_page, doc_pages)
    page_doc = np.repeat(np.arange(n), doc_pages)
    uses, used = [], None
    for s, p in enumerate(parts):
        u = np.asarray(p.pages.uses, dtype=np.int64).reshape(-1, 3)
        if len(u):
            rows = new_row[s][u[:, 0]]
            keep = rows >= 0
            moved = u[keep].copy()
            moved[:, 0] = rows[keep]
            uses.append(moved)
        used = np.array(p.pages.used, copy=True) if used is None else np.bitwise_or(used, p.pages.used)
    all_uses = np.concatenate(uses) if uses else np.zeros((0, 3), np.int64)
    out["uses"] = all_uses[np.lexsort(all_uses.T[::-1])] if len(all_uses) else all_uses
    out["used"] = used
    if kind.__name__ == "PdfPages":
        sizes = np.zeros((len(page_src), 3), np.int64)
        for s, p in enumerate(parts):
            mask = page_src == s
            if mask.any():
                sizes[mask] = np.asarray(p.pages.sizes, dtype=np.int64).reshape(-1, 3)[page_old[mask]]
        out["sizes"] = sizes
        out["nodes"], out["mcids"] = _moved_structure(parts, new_row, page_src, page_old)
        langs = [np.asarray(getattr(p.pages, "langs", np.zeros((0, 16))), np.uint8).reshape(-1, 16) for p in parts]
        if all(len(lg) == len(p.pages.records) for lg, p in zip(langs, parts)):
            out["langs"] = np.concatenate(langs)[g]
    else:
        out["doc_bytes"] = lengths
        ends = np.zeros(len(page_src), np.int64)
        oids = []
        for s, p in enumerate(parts):
            mask = page_src == s
            doc_start = spans[s][1]
            if mask.any():
                old_doc = picks[page_doc[mask], 1]
                old_ends = np.asarray(p.pages.ends, dtype=np.int64)[page_old[mask]]
                ends[mask] = old_ends - doc_start[old_doc] + new_start[page_doc[mask]]
            o = np.asarray(p.pages.oids, dtype=np.int64).reshape(-1, 2)
            if len(o):
                doc = np.searchsorted(doc_start, o[:, 0], side="right") - 1
                rows = new_row[s][doc]
                keep = rows >= 0
                moved = o[keep].copy()
                moved[:, 0] = moved[:, 0] - doc_start[doc[keep]] + new_start[rows[keep]]
                oids.append(moved)
        out["ends"] = ends
        all_oids = np.concatenate(oids) if oids else np.zeros((0, 2), np.int64)
        out["oids"] = all_oids[np.argsort(all_oids[:, 0], kind="stable")] if len(all_oids) else all_oids
        records = set(out["records"].tolist())
        degraded = [np.asarray(p.pages.degraded, dtype=np.int64).reshape(-1, 2) for p in parts]
        deg = np.concatenate(degraded) if degraded else np.zeros((0, 2), np.int64)
        out["degraded"] = deg[np.isin(deg[:, 0], list(records))] if len(deg) else deg
        out["crcs"] = np.concatenate([np.asarray(p.pages.crcs, dtype=np.uint32) for p in parts])[g]
    pages = kind(**out)
    # stamps, on the pages' new rows
    new_page = [np.full(int(np.asarray(p.pages.doc_pages).sum()), -1, np.int64) for p in parts]
    for s in range(len(parts)):
        mask = page_src == s
        new_page[s][page_old[mask]] = np.flatnonzero(mask)
    stamps = []
    for s, p in enumerate(parts):
        for page, barcode, text in p.stamps:
            at = int(new_page[s][page])
            if at >= 0:
                stamps.append([at, barcode, text])
    stamps.sort(key=lambda st: st[0])
    # manifest rows: a part's k-th rendered row is its k-th document
    joined = pa.concat_tables([p.manifest for p in parts])
    rendered = np.flatnonzero(to_numpy(pc.equal(joined.column("status"), "rendered").combine_chunks()))
    if len(rendered) != len(new_row_all):
        raise ValueError("a part's rendered manifest rows do not match its documents")
    taken = joined.take(from_numpy(rendered[g]))
    return pages, taken, stamps


def _moved_structure(parts, new_row, page_src, page_old):
    """A tagged PDF's structure nodes and MCIDs (see :class:`ccmcore.pdf.PdfPages`) on the
    taken documents' new rows and pages."""
    nodes_out, mcids_out = [], []
    node_base = 0
    for s, p in enumerate(parts):
        nodes = np.asarray(getattr(p.pages, "nodes", np.zeros((0, 6))), dtype=np.int64).reshape(-1, 6)
        mcids = np.asarray(getattr(p.pages, "mcids", np.zeros((0, 3))), dtype=np.int64).reshape(-1, 3)
        if not len(nodes):
            continue
        rows = new_row[s][nodes[:, 0]]
        keep = rows >= 0
        new_node = np.full(len(nodes), -1, np.int64)
        new_node[keep] = node_base + np.arange(int(keep.sum()))
        moved = nodes[keep].copy()
        moved[:, 0] = rows[keep]
        nodes_out.append(moved)
        node_base += len(moved)
        page_map = np.full(int(np.asarray(p.pages.doc_pages).sum()), -1, np.int64)
        mine = page_src == s
        page_map[page_old[mine]] = np.flatnonzero(mine)
        m = mcids[new_node[mcids[:, 2]] >= 0].copy()
        m[:, 0] = page_map[m[:, 0]]
        m[:, 2] = new_node[m[:, 2]]
        mcids_out.append(m)
    nodes = np.concatenate(nodes_out) if nodes_out else np.zeros((0, 6), np.int64)
    mcids = np.concatenate(mcids_out) if mcids_out else np.zeros((0, 3), np.int64)
    return nodes.astype(np.int32), mcids.astype(np.int32)
