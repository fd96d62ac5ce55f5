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

import numpy as np

from ..display import STRUCT_FIELDS, TAG_BARCODE, TAG_DECOR, TAG_REPEAT
from ._content import ROLE_NAMES

__all__ = ["Structure", "item_nodes", "NODE_FIELDS", "MCID_FIELDS", "ROLE_NAMES"]

#: columns of a node row: document row, element id, table row kind (0: not a table's),
#: table row (-1: none), table column (-1: none), role (a ROLE_NAMES number)
NODE_FIELDS = 6
#: columns of an MCID row: page row, MCID, node row
MCID_FIELDS = 3

_TD, _TH = ROLE_NAMES.index("TD"), ROLE_NAMES.index("TH")
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

    @classmethod
    def of(cls, program, lang: str = "en") -> Structure:
        """The structure information of a :class:`ccmcore.program.Program`."""
        columns = {}
        for e, role in enumerate(program.roles):
            if role == "Table":
                columns[e] = program.table_columns(e)
        return cls(list(program.roles), list(program.alts), columns, lang)


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
    artifact = (role < 0) | ((part & (TAG_DECOR | TAG_REPEAT | TAG_BARCODE)) != 0)
    artifact |= table & np.isin(kind, _PAGINATION_ROWS)
    content = ~artifact
    keys = np.stack(
        [
            doc_of_item,
            element,
            np.where(table, kind, -1),
            np.where(table, row, -1),
            np.where(table, col, -1),
            role,
        ],
        axis=1,
    )[content]
    if not len(keys):
        return nodes, np.zeros((0, NODE_FIELDS), np.int64), np.zeros(0, np.int32)
    rows, inverse = np.unique(keys, axis=0, return_inverse=True)
    nodes[content] = inverse.reshape(-1).astype(np.int32)
    return nodes, rows.astype(np.int64), rows[:, 5].astype(np.int32)


def _role_number(role) -> int:
    if role in ROLE_NAMES:
        return ROLE_NAMES.index(role)
    if role == "Table":
        return _TD
    return -2  # an artifact, or an element that draws nothing


class TreeWriter:
    """Writes a tagged PDF's structure tree as its documents' pages are written: the
    elements of each document at once, the parent tree and the root at the end.

    Args:
        structure: the template's :class:`Structure`.
        alloc: () -> a new object number of the file.
        write: [(object number, body bytes)] -> None, the objects written.
        text: str -> a PDF text string (bytes).
    """

    def __init__(self, structure: Structure, alloc, write, text):
        self.structure = structure
        self._alloc = alloc
        self._write = write
        self._text = text
        self.root = alloc()  # the StructTreeRoot
        self.document = alloc()  # its one kid, the /Document element
        self._parts: list[int] = []
        self._parents: list[tuple[int, bytes]] = []  # (page index, its parent array's reference)

    def add(self, pages, page_objs, page0: int) -> None:
        """The structure of the documents of encoded pages just written.

        Args:
            pages: the :class:`~ccmcore.pdf.writer.PdfPages`.
            page_objs: the file's page object numbers so far (its first ``page0`` were there
                before these pages).
            page0: the file's page index of the pages' first page.
        """
        nodes = np.asarray(pages.nodes, dtype=np.int64).reshape(-1, NODE_FIELDS)
        mcids = np.asarray(pages.mcids, dtype=np.int64).reshape(-1, MCID_FIELDS)
        doc_pages = np.asarray(pages.doc_pages, dtype=np.int64)
        first = np.cumsum(doc_pages) - doc_pages
        # per page its MCIDs' nodes, per node its (page, mcid), in the order drawn
        order = np.lexsort((mcids[:, 1], mcids[:, 0]))
        mcids = mcids[order]
        node_marks: dict[int, list] = {}
        for page, mcid, node in mcids.tolist():
            node_marks.setdefault(node, []).append((page, mcid))
        owner: dict[tuple[int, int], int] = {}  # (page, mcid) -> element object
        bodies: list[tuple[int, bytes]] = []
        doc_of_node = nodes[:, 0] if len(nodes) else np.zeros(0, np.int64)
        for d in range(len(doc_pages)):
            mine = np.flatnonzero(doc_of_node == d).tolist()
            part = self._alloc()
            self._parts.append(part)
            kids = self._document(part, nodes, mine, node_marks, page_objs, page0, owner, bodies)
            bodies.append((part, b"<</Type/StructElem/S/Part/P %d 0 R/K[%s]>>" % (self.document, _refs(kids))))
            for p in range(int(first[d]), int(first[d] + doc_pages[d])):
                count = 1 + max((m for (pg, m) in owner if pg == p), default=-1)
                arr = b"[" + b" ".join(b"%d 0 R" % owner[(p, m)] for m in range(count)) + b"]"
                num = self._alloc()
                bodies.append((num, arr))
                self._parents.append((page0 + p, b"%d 0 R" % num))
            owner.clear()
        self._write(bodies)

    def _document(self, part, nodes, mine, node_marks, page_objs, page0, owner, bodies) -> list[int]:
        """The elements of one document, in reading order; their object numbers."""
        drawn = [n for n in mine if n in node_marks]
        drawn.sort(key=lambda n: node_marks[n][0])
        kids: list[int] = []
        tables: dict[int, list] = {}
        for n in drawn:
            element = int(nodes[n, 1])
            if self.structure.roles[element] == "Table":
                if element not in tables:
                    tables[element] = []
                    kids.append(-1 - element)  # placed where the table first shows
                tables[element].append(n)
                continue
            kids.append(self._leaf(n, nodes, node_marks, part, page_objs, page0, owner, bodies))
        out = []
        for k in kids:
            if k >= 0:
                out.append(k)
            else:
                out.append(
                    self._table(-1 - k, tables[-1 - k], nodes, node_marks, part, page_objs, page0, owner, bodies)
                )
        return out

    def _leaf(self, n, nodes, node_marks, parent, page_objs, page0, owner, bodies, attrs: bytes = b"") -> int:
        """An element holding node n's marked content."""
        num = self._alloc()
        role = ROLE_NAMES[int(nodes[n, 5])]
        marks = node_marks[n]
        for mark in marks:
            owner[mark] = num
        pages = {p for p, _ in marks}
        if len(pages) == 1:
            page = page_objs[page0 + marks[0][0]]
            k = b"/Pg %d 0 R/K[%s]" % (page, b" ".join(b"%d" % m for _, m in marks))
        else:
            k = b"/K[%s]" % b" ".join(b"<</Type/MCR/Pg %d 0 R/MCID %d>>" % (page_objs[page0 + p], m) for p, m in marks)
        alt = b""
        if role == "Figure":
            text = self.structure.alts[int(nodes[n, 1])] or ""
            alt = b"/Alt" + self._text(text)
        bodies.append((num, b"<</Type/StructElem/S/%s/P %d 0 R%s%s%s>>" % (role.encode(), parent, k, alt, attrs)))
        return num

    def _table(self, element, table_nodes, nodes, node_marks, parent, page_objs, page0, owner, bodies) -> int:
        """A table: THead with the header row, TBody with the others, each row with one cell
        per column (empty where nothing was drawn)."""
        ncols = self.structure.columns.get(element, 1)
        rows: dict[tuple[int, int], dict[int, int]] = {}
        for n in table_nodes:  # in reading order: rows as they first show
            rows.setdefault((int(nodes[n, 2]), int(nodes[n, 3])), {})[int(nodes[n, 4])] = n
        table = self._alloc()
        groups: dict[str, list[int]] = {"THead": [], "TBody": []}
        holders: dict[str, int] = {}
        for (kind, _row), cells in rows.items():
            where = "THead" if kind == 0 else "TBody"
            if where not in holders:
                holders[where] = self._alloc()
            tr = self._alloc()
            groups[where].append(tr)
            cell_nums = []
            spanned = kind in (3, 8)  # a group header: one cell across the table
            for c in range(1 if spanned else ncols):
                n = cells.get(c)
                attrs = b"/A<</O/Table/Scope/Column>>" if kind == 0 else b""
                if spanned and ncols > 1:
                    attrs = b"/A<</O/Table/ColSpan %d>>" % ncols
                if n is not None:
                    cell_nums.append(self._leaf(n, nodes, node_marks, tr, page_objs, page0, owner, bodies, attrs))
                else:
                    num = self._alloc()
                    role = b"TH" if kind == 0 else b"TD"
                    bodies.append((num, b"<</Type/StructElem/S/%s/P %d 0 R%s>>" % (role, tr, attrs)))
                    cell_nums.append(num)
            bodies.append((tr, b"<</Type/StructElem/S/TR/P %d 0 R/K[%s]>>" % (holders[where], _refs(cell_nums))))
        kids = []
        for where in ("THead", "TBody"):
            if where in holders:
                body = b"<</Type/StructElem/S/%s/P %d 0 R/K[%s]>>" % (where.encode(), table, _refs(groups[where]))
                bodies.append((holders[where], body))
                kids.append(holders[where])
        bodies.append((table, b"<</Type/StructElem/S/Table/P %d 0 R/K[%s]>>" % (parent, _refs(kids))))
        return table

    def finish(self, number_tree) -> bytes:
        """Write the document element, the parent tree and the root; the catalog's entries.

        Args:
            number_tree: [(key, value bytes)] -> the object number of a number tree.
        """
        parent_tree = number_tree(self._parents)
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


def _refs(nums) -> bytes:
    return b" ".join(b"%d 0 R" % n for n in nums)
