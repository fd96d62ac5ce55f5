"""Tagged PDF (PDF/UA-1): the structure of each document, from what layout knows.

Layout tags every item with the template element it shows (``DisplayList.struct``): a
paragraph or heading, a table's cell (its row kind, row and column), a figure, or
page-template content. Here that becomes:

- per item its **node**: the structure element its marked content belongs to (a
  paragraph, a heading, a table cell, a figure), or -2 for an artifact (what a reader
  skips: running headers and footers, rules and stripes, a header repeated on a
  continuation page, carried-forward rows, barcodes, decoration without alternative text);
- per document its **structure elements** in reading order, written by the PDF writer
  as the document's pages are: a ``/Part`` holding headings and paragraphs, tables
  (``THead`` with header cells scoped to their columns, ``TBody`` rows, every row with
  one cell per column) and figures with their alternative text.

Reading order is the order the document's content first appears: on each page the
page template's content comes before the flow, as a sighted reader takes in a letter's
address before its text; a table's cells come row by row, each row left to right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..display import STRUCT_FIELDS, TAG_BARCODE, TAG_BULLET, TAG_DECOR, TAG_REPEAT
from ._content import ROLE_NAMES

__all__ = ["Structure", "item_nodes", "NODE_FIELDS", "MCID_FIELDS", "ROLE_NAMES"]

#: columns of a node row: document row, element id, table row kind (0: not a table's),
#: table row (-1: none), table column (-1: none), role (a ROLE_NAMES number)
NODE_FIELDS = 6
#: columns of an MCID row: page row, MCID, node row
MCID_FIELDS = 3

_TD, _TH = ROLE_NAMES.index("TD"), ROLE_NAMES.index("TH")
_LBL, _LBODY = ROLE_NAMES.index("Lbl"), ROLE_NAMES.index("LBody")
#: table row kinds (part - 1 in the kernel: 0 header, 1 body, 2 total, 3 group header,
#: 4 carried forward, 5 brought forward, 6 group subtotal, 7 page subtotal, 8 continued
#: group header): those that repeat what the page before said are artifacts
_PAGINATION_ROWS = (4, 5, 7, 8)


@dataclass
class Structure:
    """What a tagged PDF needs of a compiled template, per element id.

    Attributes:
        roles: per element its role: a :data:`ROLE_NAMES` structure type, "Table",
            "artifact", or None (draws nothing).
        alts: per element a figure's alternative text (None for others).
        columns: per table element its number of columns.
        lang: the documents' language (BCP 47, ``en-GB``), the catalog's ``/Lang``.
    """

    roles: list
    alts: list
    columns: dict
    lang: str = "en"
    bulleted: tuple = ()  # per element: a paragraph with a bullet, an item of a list
    text: Any = None  # str -> a PDF text string (bytes), set by the writer

    def alt_text(self, element: int) -> str:
        """A figure's ``/Alt`` entry (empty for other elements)."""
        alt = self.alts[element] if element < len(self.alts) else None
        if not alt or self.roles[element] != "Figure":
            return ""
        return "/Alt" + self.text(alt).decode("ascii")

    @classmethod
    def of(cls, program, lang: str = "en") -> Structure:
        """The structure information of a :class:`ccmcore.program.Program`."""
        columns = {}
        for e, role in enumerate(program.roles):
            if role == "Table":
                columns[e] = program.table_columns(e)
        return cls(list(program.roles), list(program.alts), columns, lang, tuple(program.bulleted))


def item_nodes(struct: np.ndarray, pages: np.ndarray, structure: Structure):
    """Per item its node, and the nodes of the display list.

    Args:
        struct: int32 (n_items, STRUCT_FIELDS), the display list's tags.
        pages: int64 (n_pages, PAGE_FIELDS), its pages (DOC, I0, IN are read).
        structure: the template's :class:`Structure`.

    Returns:
        (nodes int32 (n_items,): node row, -2 artifact, -1 none; node rows int64
        (k, NODE_FIELDS); roles int32 (k,): each node's ROLE_NAMES number).
    """
    from ..display import DOC, I0, IN

    n = len(struct)
    nodes = np.full(n, -2, np.int32)
    if n == 0:
        return nodes, np.zeros((0, NODE_FIELDS), np.int64), np.zeros(0, np.int32)
    struct = np.asarray(struct, dtype=np.int64).reshape(-1, STRUCT_FIELDS)
    doc_of_item = np.repeat(pages[:, DOC].astype(np.int64), pages[:, IN])
    if len(doc_of_item) != n:  # pages cover the items one after another
        doc_of_item = np.zeros(n, np.int64)
        for d, i0, k in pages[:, [DOC, I0, IN]].tolist():
            doc_of_item[i0 : i0 + k] = d
    element, part, row, col = struct[:, 0], struct[:, 1], struct[:, 2], struct[:, 3]
    role_table = np.array([_role_number(r) for r in structure.roles] + [-2], dtype=np.int64)
    is_table = np.array([r == "Table" for r in structure.roles] + [False])
    el = np.where((element >= 0) & (element < len(structure.roles)), element, len(structure.roles))
    role = role_table[el]
    kind = (part & 0xF) - 1  # table row kind, -1 for content not in a table
    table = is_table[el]
    role = np.where(table, np.where(kind == 0, _TH, _TD), role)
    listed = np.array(list(structure.bulleted) + [False] * (len(structure.roles) + 1 - len(structure.bulleted)))[el]
    artifact = (role < 0) | ((part & (TAG_DECOR | TAG_REPEAT | TAG_BARCODE)) != 0)
    # a bulleted paragraph is a list item: its bullet the label, its text the body
    bullet = listed & ((part & TAG_BULLET) != 0)
    role = np.where(listed & ~artifact, np.where(bullet, _LBL, _LBODY), role)
    artifact |= table & np.isin(kind, _PAGINATION_ROWS)
    content = ~artifact
    keys = np.stack(
        [
            doc_of_item,
            element,
            np.where(table, kind, np.where(bullet, -2, -1)),
            np.where(table, row, -1),
            np.where(table, col, -1),
            role,
        ],
        axis=1,
    )[content]
    if not len(keys):
        return nodes, np.zeros((0, NODE_FIELDS), np.int64), np.zeros(0, np.int32)
    rows, inverse = _unique_rows(keys)
    nodes[content] = inverse.astype(np.int32)
    return nodes, rows.astype(np.int64), rows[:, 5].astype(np.int32)


def _unique_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(keys, axis=0, return_inverse=True) for int64 rows, by a lexsort of the
    columns (many times faster than comparing whole rows)."""
    if not len(keys):
        return keys.reshape(0, keys.shape[1] if keys.ndim == 2 else 0), np.zeros(0, np.int64)
    order = np.lexsort(keys.T[::-1])
    ranked = keys[order]
    new = np.ones(len(ranked), dtype=bool)
    new[1:] = np.any(ranked[1:] != ranked[:-1], axis=1)
    group = np.cumsum(new) - 1
    inverse = np.empty(len(keys), np.int64)
    inverse[order] = group
    return ranked[new], inverse


def _role_number(role) -> int:
    if role in ROLE_NAMES:
        return ROLE_NAMES.index(role)
    if role == "Table":
        return _TD
    return -2  # an artifact, or an element that draws nothing


class TreeWriter:
    """Writes a tagged PDF's structure tree as its documents' pages are written: the
    elements of each run of documents at once (built column-wide, :func:`part_objects`),
    the parent tree and the root at the end.

    Args:
        structure: the template's :class:`Structure`.
        alloc: () -> a new object number of the file.
        write: [(object number, body bytes)] -> None, the objects written.
        write_block: (bodies) -> None: objects numbered from the next free number on, one
            per body (a large_string array), written.
        text: str -> a PDF text string (bytes).
    """

    def __init__(self, structure: Structure, alloc, write, write_block, next_num, text):
        self.structure = structure
        self._alloc = alloc
        self._write = write
        self._write_block = write_block
        self._next_num = next_num
        self._text = text
        self.root = alloc()  # the StructTreeRoot
        self.document = alloc()  # its one kid, the /Document element
        self._parts: list[int] = []
        self._parents: list[tuple[int, int]] = []  # (page index, its parent array's number)
        structure.text = text

    def add(self, pages, page_objs, page0: int) -> None:
        """The structure of the documents of encoded pages just written.

        Args:
            pages: the :class:`~ccmcore.pdf.writer.PdfPages`.
            page_objs: the file's page object numbers so far (its first ``page0`` were there
                before these pages).
            page0: the file's page index of the pages' first page.
        """
        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
        page_nums = np.frombuffer(page_objs, dtype=np.int64)[page0 : page0 + int(doc_pages.sum())]
        langs = np.asarray(getattr(pages, "langs", np.zeros((0, 16))), np.uint8).reshape(-1, 16)
        bodies, parts, parents = part_objects(
            self.structure,
            pages.nodes,
            pages.mcids,
            doc_pages,
            page_nums,
            page0,
            self._next_num(),
            self.document,
            [bytes(row).rstrip(b"\0").decode("ascii") for row in langs] if len(langs) == len(doc_pages) else None,
        )
        self._write_block(bodies)
        self._parts.extend(parts)
        self._parents.extend(parents)

    def finish(self, number_tree) -> bytes:
        """Write the document element, the parent tree and the root; the catalog's entries.

        Args:
            number_tree: [(key, value bytes)] -> the object number of a number tree.
        """
        parent_tree = number_tree([(k, b"%d 0 R" % num) for k, num in self._parents])
        self._write(
            [
                (self.document, b"<</Type/StructElem/S/Document/P %d 0 R/K[%s]>>" % (self.root, _refs(self._parts))),
                (
                    self.root,
                    b"<</Type/StructTreeRoot/K %d 0 R/ParentTree %d 0 R/ParentTreeNextKey %d>>"
                    % (self.document, parent_tree, 1 + max((k for k, _ in self._parents), default=-1)),
                ),
            ]
        )
        return b"/MarkInfo<</Marked true>>/StructTreeRoot %d 0 R/Lang%s/ViewerPreferences<</DisplayDocTitle true>>" % (
            self.root,
            self._text(self.structure.lang),
        )


def _text(values) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def _grouped(pieces: pa.Array, group: np.ndarray, order: np.ndarray, n: int) -> pa.Array:
    """Per group 0..n-1 its pieces joined with spaces, in ``order`` within the group."""
    sort = np.lexsort((order, group))
    counts = np.bincount(group, minlength=n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), pieces.take(pa.array(sort)).cast(pa.large_string()))
    return pc.binary_join(lists, pa.scalar(" ", pa.large_string()))


def _join(*parts) -> pa.Array:
    large = pa.large_string()
    return pc.binary_join_element_wise(
        *[pa.scalar(p, large) if isinstance(p, str) else p.cast(large) for p in parts], pa.scalar("", large)
    )


def part_objects(structure, nodes, mcids, doc_pages, page_nums, page0: int, first_num: int, document: int, langs=None):
    """The structure elements of a run of documents' pages, numbered from ``first_num``, built
    column-wide: the documents' parts, their tables, rows, cells, paragraphs and figures,
    and each page's parent-tree array.

    Args:
        structure: the template's :class:`Structure`.
        nodes, mcids: as :class:`~ccmcore.pdf.writer.PdfPages` has them.
        doc_pages: pages per document.
        page_nums: the pages' object numbers.
        page0: the file's page index of the first page.
        first_num: the first object number to use.
        document: the object number of the /Document element.
        langs: each document's language tag, stated on its part (None: the file's).

    Returns:
        (bodies: large_string array, the bodies of objects first_num, first_num + 1, ...;
        the part elements' numbers; (page index, parent array's number) per page).
    """
    n_docs = len(doc_pages)
    n_pages = int(np.sum(doc_pages))
    nodes = np.asarray(nodes, dtype=np.int64).reshape(-1, NODE_FIELDS)
    mcids = np.asarray(mcids, dtype=np.int64).reshape(-1, MCID_FIELDS)
    mcids = mcids[np.lexsort((mcids[:, 1], mcids[:, 0]))]
    k = len(nodes)
    first_seen = np.full(k, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_seen, mcids[:, 2], np.arange(len(mcids)))
    drawn = np.flatnonzero(first_seen < np.iinfo(np.int64).max)
    leaf_of = np.full(k, -1, np.int64)
    leaf_of[drawn] = np.arange(len(drawn))
    doc = nodes[:, 0]
    element = nodes[:, 1]
    is_table_el = np.array([r == "Table" for r in structure.roles], dtype=bool)
    table_node = is_table_el[element[drawn]]
    # tables: one per (document, element); rows: one per (document, element, kind, row)
    t_nodes = drawn[table_node]
    t_keys = nodes[t_nodes][:, [0, 1]]
    tables, t_of = _unique_rows(t_keys)
    r_keys = nodes[t_nodes][:, [0, 1, 2, 3]]
    rows, r_of = _unique_rows(r_keys)
    n_tables, n_rows = len(tables), len(rows)
    columns = (
        np.array([structure.columns.get(int(e), 1) for e in rows[:, 1]], dtype=np.int64)
        if n_rows
        else np.zeros(0, np.int64)
    )
    spanned = np.isin(rows[:, 2], (3, 8)) if n_rows else np.zeros(0, bool)
    width = np.where(spanned, 1, columns)
    # the cells each row lacks: a full grid less the cells drawn
    grid_row = np.repeat(np.arange(n_rows), width)
    grid_col = np.arange(len(grid_row)) - np.repeat(np.cumsum(width) - width, width)
    have = np.zeros(len(grid_row), bool)
    row_start = np.cumsum(width) - width
    cell_cols = nodes[t_nodes, 4]
    inside = cell_cols < width[r_of] if len(t_nodes) else np.zeros(0, bool)
    have[(row_start[r_of] + cell_cols)[inside]] = True
    empty_row, empty_col = grid_row[~have], grid_col[~have]
    # object numbers
    # list items: one per bulleted paragraph of a document, its label and body inside
    listed_node = np.isin(nodes[drawn, 5], (_LBL, _LBODY)) & ~table_node
    l_nodes = drawn[listed_node]
    items, i_of = _unique_rows(nodes[l_nodes][:, [0, 1]])
    n_items = len(items)
    item_seen = np.full(n_items, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(item_seen, i_of, first_seen[l_nodes])
    n_leaves, n_empty = len(drawn), len(empty_row)
    # the document's top level in reading order: paragraphs and figures, tables, list items;
    # a run of list items one after another is one list
    plain = np.flatnonzero(~table_node & ~listed_node)
    top_kind = np.concatenate([np.zeros(len(plain), np.int64), np.ones(n_tables, np.int64), np.full(n_items, 2)])
    top_index = np.concatenate([plain, np.arange(n_tables), np.arange(n_items)])
    top_doc = np.concatenate([doc[drawn[plain]], tables[:, 0], items[:, 0]])
    table_seen = np.full(n_tables, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(table_seen, t_of, first_seen[t_nodes])
    top_seen = np.concatenate([first_seen[drawn[plain]], table_seen, item_seen])
    order = np.lexsort((top_seen, top_doc))
    is_item = top_kind[order] == 2
    starts = is_item.copy()
    starts[1:] &= ~is_item[:-1] | (top_doc[order][1:] != top_doc[order][:-1])
    list_of = np.cumsum(starts) - 1  # run number of each list item, in order
    n_lists = int(starts.sum())
    base = first_num
    part_num = base + np.arange(n_docs)
    base += n_docs
    table_num = base + np.arange(n_tables)
    base += n_tables
    row_num = base + np.arange(n_rows)
    base += n_rows
    leaf_num = base + np.arange(n_leaves)
    base += n_leaves
    item_num = base + np.arange(n_items)
    base += n_items
    list_num = base + np.arange(n_lists)
    base += n_lists
    empty_num = base + np.arange(n_empty)
    base += n_empty
    array_num = base + np.arange(n_pages)
    # table rows' first appearance, tables' first appearance
    row_seen = np.full(n_rows, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(row_seen, r_of, first_seen[t_nodes])
    table_of_row = np.zeros(n_rows, np.int64)
    if n_rows:
        table_of_row[r_of] = t_of
    table_doc = tables[:, 0]

    # leaves: their parent, role, pages and MCIDs
    parent = part_num[doc[drawn]]
    if len(t_nodes):
        parent[table_node] = row_num[r_of]
    if n_items:
        parent[listed_node] = item_num[i_of]
    role = nodes[drawn, 5]
    role_names = np.array([f"/{r}" for r in ROLE_NAMES], dtype=object)
    first_page = np.zeros(k, np.int64)
    first_page[mcids[::-1, 2]] = mcids[::-1, 0]  # the first page each node shows on
    page_text = _text(page_nums)
    m_node = mcids[:, 2]
    on_first = mcids[:, 0] == first_page[m_node]
    mcr = _join("<</Type/MCR/Pg ", page_text.take(pa.array(mcids[:, 0])), " 0 R/MCID ", _text(mcids[:, 1]), ">>")
    piece = pc.if_else(pa.array(on_first), _text(mcids[:, 1]).cast(pa.large_string()), mcr)
    kids = _grouped(piece, leaf_of[m_node], np.arange(len(mcids)), n_leaves)
    attrs = np.full(n_leaves, "", dtype=object)
    if len(t_nodes):
        header = nodes[t_nodes, 2] == 0
        sp = spanned[r_of] & (columns[r_of] > 1)
        table_leaf = np.flatnonzero(table_node)
        attrs[table_leaf[header]] = "/A<</O/Table/Scope/Column>>"
        attrs[table_leaf[sp]] = [f"/A<</O/Table/ColSpan {c}>>" for c in columns[r_of][sp].tolist()]
    alts = np.array([structure.alt_text(e) for e in range(len(structure.roles))] + [""], dtype=object)
    leaves = _join(
        "<</Type/StructElem/S",
        pa.array(role_names[role], pa.string()),
        "/P ",
        _text(parent),
        " 0 R/Pg ",
        page_text.take(pa.array(first_page[drawn])),
        " 0 R/K[",
        kids,
        "]",
        pa.array(alts[element[drawn]], pa.string()),
        pa.array(attrs, pa.string()),
        ">>",
    )
    # empty cells
    empty_header = rows[empty_row, 2] == 0 if n_empty else np.zeros(0, bool)
    empty = _join(
        "<</Type/StructElem/S/",
        pa.array(np.where(empty_header, "TH", "TD"), pa.string()),
        "/P ",
        _text(row_num[empty_row]),
        " 0 R",
        pa.array(np.where(empty_header, "/A<</O/Table/Scope/Column>>", ""), pa.string()),
        ">>",
    )
    # rows: their cells in column order
    cell_row = np.concatenate([r_of, empty_row])
    cell_col = np.concatenate([cell_cols, empty_col])
    cell_ref = _join(_text(np.concatenate([leaf_num[leaf_of[t_nodes]], empty_num])), " 0 R")
    row_kids = _grouped(cell_ref, cell_row, cell_col, n_rows)
    row_bodies = _join("<</Type/StructElem/S/TR/P ", _text(table_num[table_of_row]), " 0 R/K[", row_kids, "]>>")
    # tables: their rows as they first show
    table_kids = _grouped(_join(_text(row_num), " 0 R"), table_of_row, row_seen, n_tables)
    table_bodies = _join("<</Type/StructElem/S/Table/P ", _text(part_num[table_doc]), " 0 R/K[", table_kids, "]>>")
    # list items (label, body) and lists (their items), in the order shown
    item_order = order[is_item]  # positions in the top level, in reading order
    item_ids = top_index[item_order]
    item_list = np.zeros(n_items, np.int64)
    item_list[item_ids] = list_of[is_item]
    item_kids = _grouped(_join(_text(leaf_num[leaf_of[l_nodes]]), " 0 R"), i_of, first_seen[l_nodes], n_items)
    item_bodies = _join("<</Type/StructElem/S/LI/P ", _text(list_num[item_list]), " 0 R/K[", item_kids, "]>>")
    list_doc = top_doc[order][starts]
    list_kids = _grouped(_join(_text(item_num), " 0 R"), item_list, item_seen, n_lists)
    list_bodies = _join("<</Type/StructElem/S/L/P ", _text(part_num[list_doc]), " 0 R/K[", list_kids, "]>>")
    # parts: their paragraphs, headings, figures, tables and lists as they first show
    top_ref = np.concatenate([leaf_num[plain], table_num, list_num])
    top_doc2 = np.concatenate([doc[drawn[plain]], table_doc, list_doc])
    top_seen2 = np.concatenate([first_seen[drawn[plain]], table_seen, top_seen[order][starts]])
    part_kids = _grouped(_join(_text(top_ref), " 0 R"), top_doc2, top_seen2, n_docs)
    lang = [""] * n_docs if langs is None else [structure.text(v).decode("ascii") if v else "" for v in langs]
    lang = ["/Lang" + v if v else "" for v in lang]
    part_bodies = _join(
        "<</Type/StructElem/S/Part/P ", str(document), " 0 R", pa.array(lang, pa.string()), "/K[", part_kids, "]>>"
    )
    # each page's parent array: the element of each of its MCIDs
    owner = _join(_text(leaf_num[leaf_of[m_node]]), " 0 R")
    arrays = _join("[", _grouped(owner, mcids[:, 0], mcids[:, 1], n_pages), "]")
    bodies = pa.concat_arrays(
        [
            a.cast(pa.large_string())
            for a in (part_bodies, table_bodies, row_bodies, leaves, item_bodies, list_bodies, empty, arrays)
        ]
    )
    parents = list(zip(range(page0, page0 + n_pages), array_num.tolist()))
    return bodies, part_num.tolist(), parents


def _refs(nums) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in nums)
