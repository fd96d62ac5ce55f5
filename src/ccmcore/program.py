"""Internal: compile a Document against a schema, and bind each batch for the kernel.

Compiling checks every column reference and type before any page is made (so a job with
a wrong template fails before it writes anything) and flattens the document into the
int32 rows the layout kernel reads (columns named in _layout.pxd). Binding a batch is
vectorised: fields are formatted and concatenated per column with pyarrow.compute, rules
become masks, and only the strings the fast shaping path cannot handle are shaped in
Python (by HarfBuzz, cached per font and string).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _layout
from . import formats as fmt
from .arrow_values import EMPTY_STRING, FALSE, from_numpy, scalar, strings, to_numpy
from .barcode_layout import check_options
from .display import TAG_VALUE_BYTES
from .errors import BindingError, DataError, TemplateError, did_you_mean
from .fonts import Font, FontFamily, default_family
from .hyphenate import check_language, hyphenate_text
from .images import Image, ImageError
from .rules import Rule
from .template import (
    Barcode,
    Document,
    Frame,
    Line,
    Message,
    Overlay,
    PageTemplate,
    Paragraph,
    Picture,
    Rect,
    Slot,
    Spacer,
    Span,
    Style,
    Table,
    Text,
    When,
    _color,
    parse_markup,
    parse_text,
)
from .units import points, to_mpt

# these mirror the enums of _layout.pxd
K_PARA, K_SPACER, K_TABLE, K_WHEN, K_TEXT, K_RECT, K_RULE, K_PAGETEXT, K_IMAGE, K_OVERLAY = range(1, 11)
E_KIND, E_ID, E_SRC, E_STYLE, E_X, E_Y, E_W, E_H, E_A, E_B, E_C = range(11)
E_FIELDS = 11
S_FIELDS = 8
T_FIELDS = 33
C_FIELDS = 5
P_FIELDS = 8
PART_TEXT, PART_PAGE, PART_PAGES = range(3)
_ALIGN = {"left": 0, "right": 1, "center": 2, "justify": 3}
W_OVERLONG_WORD, W_ROW_SPLIT, W_TEXT_SHRUNK, W_TEXT_CUT = 1, 2, 3, 4
R_TEXT_OVERFLOW = 100  # kernel codes from here on reject their document
OVERFLOW_REJECT, OVERFLOW_CUT, OVERFLOW_SHRINK = 0, 1, 2
PAGE_FIELDS = ("page", "pages")
BARCODE_FACTS = ("page", "pages", "sheet", "sheets", "job_sheet")


@dataclass
class BarcodeDef:
    """A barcode of a page template, encoded after layout when its page facts are known."""

    element: Barcode
    template: int
    rules: list  # rule indices that must all hold
    parts: list  # (literal | None, column | None, format, fact | None)
    x: int
    y: int


@dataclass
class _Source:
    """A text the kernel shapes: static, per document, or per list item."""

    kind: str  # "static" | "doc" | "item"
    font: int
    label: str  # element label, for messages
    text: str = ""  # static
    parts: list = field(default_factory=list)  # doc: [(literal | None, column | None, format)]
    list_column: str = ""  # item
    item_field: str = ""
    item_format: object = None
    hyphen: str | None = None  # hyphenation language of a paragraph's text


@dataclass
class Rejection:
    """A record left out of the output, and why.

    Attributes:
        record: the record's number in the data, counted from 0.
        field: the column (or ``list.field``) concerned, or "" for the record as a whole.
        reason: what is wrong.
        key: the record's value in the job's key column (``compose(..., key=...)``), as
            text; None without a key column or when the value is null.
    """

    record: int
    field: str
    reason: str
    key: str | None = None

    def __str__(self) -> str:
        who = f" ({self.key})" if self.key is not None else ""
        where = f", field {self.field!r}" if self.field else ""
        return f"record {self.record}{who}{where}: {self.reason}"


@dataclass
class Bound:
    """One batch, ready for the kernel."""

    sources: list
    lists: list
    masks: np.ndarray
    pool: tuple
    reject: np.ndarray
    rejections: list
    tags: dict
    barcode_fields: dict
    sums: list
    tag_columns: dict = field(default_factory=dict)  # the tags as Arrow string arrays, one value per record
    einvoice: pa.Array | None = None  # with an e-invoice: each record's CII XML (null: rejected)


def _plain_type(t: pa.DataType) -> pa.DataType:
    """The type the kernel reads: view and large layouts (polars, DuckDB) become plain ones."""
    if pa.types.is_string_view(t) or pa.types.is_large_string(t):
        return pa.string()
    if pa.types.is_binary_view(t) or pa.types.is_large_binary(t):
        return pa.binary()
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        return pa.list_(_plain_type(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _plain_type(f.type), f.nullable) for f in t])
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    return t


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, _plain_type(f.type), f.nullable) for f in schema])


def _is_list_of_struct(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_struct(t.value_type)


def _default_format(t: pa.DataType):
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return fmt.date("%Y-%m-%d")
    return fmt.text()


def _string_buffers(arr: pa.Array):
    """(offsets int32, data uint8) of a string array without nulls, zero-copy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None and bufs[2].size else np.zeros(1, np.uint8)
    return off, data


def _bools(arr) -> np.ndarray:
    """A boolean array (nulls false) as uint8 numpy, converted without a copy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return to_numpy(pc.cast(pc.fill_null(arr, FALSE), pa.uint8()))


def _apply_format(f, arr, on_bad, locale=None):
    """Format a column; a value the format cannot render rejects its record, not the job.

    ``locale``: per-row locale ids for a format with a ``locale_column``. A DataError may
    name several rows at once (``records``, e.g. every row with the same unknown locale).
    """
    for _ in range(len(arr) + 1):
        try:
            return f.apply(arr) if locale is None else f.apply(arr, locale=locale)
        except DataError as exc:
            if not 0 <= exc.record < len(arr):
                raise
            records = [int(r) for r in getattr(exc, "records", [exc.record])]
            reasons = getattr(exc, "reasons", None) or [str(exc)] * len(records)
            for r, reason in zip(records, reasons):
                on_bad(r, reason)
            hide = np.zeros(len(arr), dtype=bool)
            hide[records] = True
            arr = pc.if_else(from_numpy(hide), pa.nulls(len(arr), arr.type), arr)
    raise AssertionError("unreachable: each retry nulls one more value")


def _formatted(f, arr, on_bad, locale=None):
    """A column formatted for text the kernel shows: a value the format cannot render, or
    whose text cannot be printed (a control character), rejects its record (``on_bad``).
    Strings shown as they are (text()) are checked in one scan."""
    if isinstance(f, fmt.TextFormat) and f.reads_bytes(arr.type):
        values, faults = f.checked(arr, fmt.TEXT_BODY)
        for row, code, where in faults:
            on_bad(row, _text_reason(code, where, False))
        return values
    values = _apply_format(f, arr, on_bad, locale)
    _check_values(values, fmt.TEXT_BODY, on_bad, f=f)
    return values


def _locale_symbols(column, which: str):
    """Per document, the group or decimal separator of its locale (vectorised per locale)."""
    from . import locales

    enc = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    symbols = []
    for value in fmt.decoded(enc.dictionary):
        canon = locales.canonical(value) if value else None
        style = locales.number_style(canon) if canon else None
        symbol = getattr(style, which) if style else ("," if which == "group" else ".")
        # the kernel writes sums with the fast shaping path: a narrow no-break space
        # (French grouping) becomes a no-break space, which every Latin font has
        symbols.append(symbol.replace("\u202f", "\u00a0"))
    out = strings(symbols).take(enc.indices)
    return pc.fill_null(out, scalar("," if which == "group" else "."))


def _list_parts(lst):
    """Offsets (int32, from 0) and the flattened items of a list column; null lists are empty.

    A null item (a null struct in the list) is no item: it is left out, so the values Arrow
    keeps under a null struct slot are never shown, summed or counted as a row.
    """
    if isinstance(lst, pa.ChunkedArray):
        lst = lst.combine_chunks()
    lengths = to_numpy(pc.fill_null(pc.list_value_length(lst), scalar(0, pa.int32())))
    offsets = np.zeros(len(lst) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise BindingError("a batch holds more than 2**31 list items: use a smaller batch_size")
    items = lst.flatten()
    if items.null_count:
        keep = to_numpy(pc.is_valid(items))
        kept = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(keep, out=kept[1:])
        offsets = kept[offsets]  # items kept before each document's first
        items = items.filter(from_numpy(keep))
    return offsets.astype(np.int32), items


def _length_text(mpt: int) -> str:
    """A length for a message, in the units people lay pages out in: '170mm (481.9pt)'."""
    return f"{mpt / 72_000 * 25.4:.1f}mm ({mpt / 1000:g}pt)"


def _check_on_page(where: str, x: int, y: int, w: int, h: int, page_w: int, page_h: int) -> None:
    """A fixed element lies on its page: a box partly off the page is cut off by the
    printer (or prints over the next sheet's edge), never what the template meant."""
    sides = []
    if x < 0:
        sides.append(f"{_length_text(-x)} beyond the left edge")
    if y < 0:
        sides.append(f"{_length_text(-y)} above the top edge")
    if x + w > page_w:
        sides.append(f"{_length_text(x + w - page_w)} beyond the right edge")
    if y + h > page_h:
        sides.append(f"{_length_text(y + h - page_h)} below the bottom edge")
    if sides:
        raise TemplateError(
            f"{where} is off the {_length_text(page_w).split(' ')[0]} x {_length_text(page_h).split(' ')[0]} page: "
            f"it reaches {' and '.join(sides)}"
        )


def _text_reason(code: int, where: int, index: bool) -> str:
    """Why a value cannot go out, from what ``formats.text_faults`` found."""
    if code == fmt.FAULT_NOT_UTF8:
        return fmt.utf8_reason(where)
    if code == fmt.FAULT_TOO_LONG:
        return (
            f"the value needs {where} bytes as an index attribute, more than the {TAG_VALUE_BYTES} an AFP "
            f"TLE holds ({TAG_VALUE_BYTES} Latin-1 characters, or {TAG_VALUE_BYTES // 2} when one is not Latin-1)"
        )
    if index:
        return (
            f"the value holds a {fmt.control_name(code)} at character {where + 1}: "
            f"an index value holds no control characters, tabs or line breaks"
        )
    return (
        f"the value holds a {fmt.control_name(code)} at character {where + 1}, which cannot be printed: "
        f"text holds no control characters but tab and line breaks (LF or CR LF)"
    )


def _check_values(values, policy: int, on_bad, limit: int = 0, f=None) -> None:
    """Reject the rows of a formatted string column that cannot go out as they are
    (control characters, too long for an index attribute); the scan runs in C. The output
    of a format ``f`` that writes only clean text needs no scan for control characters."""
    if f is not None and f.clean_output and not limit:
        return
    for row, code, where in fmt.text_faults(values, policy, limit):
        on_bad(row, _text_reason(code, where, policy == fmt.TEXT_INDEX))


def _outside(text: str, codec: str) -> str | None:
    """The first character of text the single-byte codec cannot encode, or None."""
    try:
        text.encode(codec)
        return None
    except UnicodeEncodeError as exc:
        return text[exc.start]


def _literal_problem(text: str, policy: int, limit: int = 0) -> str | None:
    """Why a template's literal text cannot go out (a control character), or None."""
    faults = fmt.text_faults(strings([text]), policy, limit)
    if not faults:
        return None
    _, code, where = faults[0]
    return _text_reason(code, where, policy == fmt.TEXT_INDEX).replace("the value", "the text", 1)


def _structure_role(kind: int, el) -> str | None:
    """An element's role in a tagged PDF's structure: a standard structure type (P, H1,
    Table, Figure), "artifact" for what is not content, or None for what draws nothing."""
    if kind in (K_PARA, K_TEXT, K_PAGETEXT):
        role = getattr(el, "role", None)
        if role is None:
            return "artifact" if kind == K_PAGETEXT else "P"
        return role
    if kind == K_TABLE:
        return "Table"
    if kind == K_IMAGE:
        return "Figure" if getattr(el, "alt", None) else "artifact"
    if kind in (K_RECT, K_RULE, K_OVERLAY):
        return "artifact"
    return None


class Program:
    """A Document compiled against a schema. Internal: made by :func:`ccmcore.job.compose`.

    Raises:
        BindingError: a column the template uses is missing or of the wrong type.
        TemplateError: the document definition is inconsistent.
    """

    def __init__(self, doc: Document, schema: pa.Schema):
        self.doc = doc
        self.doc_given = doc  # as the caller gave it, before the job overrode a setting (duplex)
        self.source_schema = schema
        self.schema = _plain_schema(schema)
        self._needs_cast = not self.schema.equals(schema)
        self.family: FontFamily = doc.family or default_family()
        self.fonts: list[Font] = []
        self._font_ids: dict[int, int] = {}
        self._style_rows: list[list[int]] = []
        self._style_ids: dict[tuple, int] = {}
        self.labels: list[str] = []
        # per element id, what a tagged PDF makes of its items (see _structure_role), and
        # a figure's alternative text
        self.roles: list[str | None] = []
        self.alts: list[str | None] = []
        self.bulleted: list[bool] = []  # a paragraph with a bullet: an item of a list
        self._els: list[list[int]] = []
        self._tables: list[list[int]] = []
        self._cols: list[list[int]] = []
        self._parts: list[list[int]] = []
        self._sources: list[_Source] = []
        self._static_ids: dict[tuple, int] = {}
        self.list_columns: list[str] = []
        self.rules: list[Rule] = []
        self._templates: list[list[int]] = []
        self.template_names: list[str] = []
        self._page_text_fonts: set[int] = set()
        self.media: list[str | None] = []  # per template: the medium its pages are printed on
        self.images: list[Image] = []
        self._image_ids: dict[str, int] = {}
        self.overlays: list = []
        self._overlay_ids: dict[int, int] = {}
        self.barcodes: list[BarcodeDef] = []
        self._rule_stack: list[int] = []
        self._span_rows: list[list[int]] = []
        self.sum_fields: list[tuple[str, str]] = []  # (list column, integer item field) summed in tables
        self._fast_statics: list[int] = []  # static texts the kernel composes with digits
        # flow content of a fixed width: (where, width, the frames it can be laid in)
        self._flow_widths: list[tuple[str, int, str]] = []
        self._flow_target = "flow"
        self.text_fields: dict[int, str] = {}  # fixed text element id -> the fields it shows
        self.device_encodings: dict[int, str] = {}  # font id -> codec of the device's font (see use_device)
        self.omr_specs: dict[int, object] = {}  # the OMR barcodes' specs, made once (barcode_layout)
        # batch -> {row: (field, reason)}: checks the job adds for its output (a tagged
        # PDF's language column), run with the template's own when a batch is bound
        self.record_checks: list = []
        self.einvoice = None
        if doc.einvoice is not None:
            from .einvoice.compiled import CompiledEInvoice

            self.einvoice = CompiledEInvoice(doc.einvoice, self.schema)

        for c in doc.required:
            self._column(c, "Document.required")
        for c, shown in doc.null_text.items():
            self._column(c, "Document.null_text")
            problem = _literal_problem(shown, fmt.TEXT_BODY) if isinstance(shown, str) else None
            if problem is not None:
                raise TemplateError(f"Document.null_text[{c!r}]: {problem}")
        self._check_format_keys()
        flow0 = len(self._els)
        self._flow(doc.flow)
        self.flow = (flow0, len(self._els) - flow0)
        self._messages(doc)
        assert doc.first is not None  # Document.__post_init__ gives it a default
        self.first_template = self._template(doc.first)
        self.next_template = self._template(doc.next) if doc.next is not None else self.first_template
        self.last_template = self._template(doc.last) if doc.last is not None else -1
        self.duplex = bool(doc.duplex)
        self.back_template = self._template(doc.back) if doc.back is not None else -1
        nw, nh = (v / 1000 for v in self._templates[self.next_template][:2])  # template lengths are points
        blank = doc.blank or PageTemplate("blank", Frame(0, 0, nw, nh), size=(nw, nh))
        self.blank_template = self._template(blank) if doc.duplex else -1
        extras = []
        for ep in doc.extra_pages:
            if isinstance(ep, When):
                if len(ep.content) != 1 or not isinstance(ep.content[0], PageTemplate):
                    raise TemplateError("Document.extra_pages: a When there must hold exactly one PageTemplate")
                extras.append([self._template(ep.content[0]), self._rule(ep.rule, "Document.extra_pages")])
            else:
                extras.append([self._template(ep), -1])
        self._check_flow_widths(doc)
        # index tags are formatted like texts but never shaped, so they are no kernel sources
        self.tags: dict[str, _Source] = {}
        for tag, text in doc.tags.items():
            if not isinstance(tag, str) or not tag:
                raise TemplateError(f"Document.tags: attribute names must be non-empty strings, not {tag!r}")
            problem = _literal_problem(tag, fmt.TEXT_INDEX, TAG_VALUE_BYTES)
            if problem is not None:
                raise TemplateError(f"Document.tags: attribute name {tag!r}: {problem}")
            spec = self.tags[tag] = self._text_spec(text, -1, f"tag {tag!r}")
            literals = [spec.text] if spec.kind == "static" else [p[0] for p in spec.parts if p[0] is not None]
            for literal in literals:
                problem = _literal_problem(literal, fmt.TEXT_INDEX, TAG_VALUE_BYTES)
                if problem is not None:
                    raise TemplateError(f"Document.tags[{tag!r}]: {problem}")

        def rows(data, width):
            return np.array(data, dtype=np.int32).reshape(-1, width) if data else np.zeros((1, width), np.int32)

        self.elements = rows(self._els, E_FIELDS)
        self.styles = rows(self._style_rows, S_FIELDS)
        self.tables = rows(self._tables, T_FIELDS)
        self.columns = rows(self._cols, C_FIELDS)
        self.templates = rows(self._templates, P_FIELDS)
        self.page_parts = rows(self._parts, 2)
        self.spans = rows(self._span_rows, 2)
        self.extra_pages = np.array(extras, dtype=np.int32).reshape(-1, 2) if extras else np.full((1, 2), -1, np.int32)
        self._static_buffers: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # source -> (offsets, data)
        self._check_static_texts()
        self.kernel = _layout.Kernel(self, self.fonts)

    # ------------------------------------------------------------------ compile helpers

    def _check_flow_widths(self, doc: Document) -> None:
        """A table or picture in the flow fits the narrowest frame it can be laid in: a
        wider one would be drawn over the margin and off the page on every document."""
        bodies = {"flow": [self.first_template, self.next_template]}
        if self.last_template >= 0:
            bodies["flow"].append(self.last_template)
        bodies["last page"] = bodies["flow"]
        frames = {
            k: [(f"the body frame of page template {self.template_names[t]!r}", self._templates[t][4]) for t in v]
            for k, v in bodies.items()
        }
        for sl in doc.slots:
            frames[sl.name] = [(f"slot {sl.name!r}", to_mpt(sl.width))]
        for where, width, target in self._flow_widths:
            for what, room in frames[target]:
                if width > room:
                    raise TemplateError(
                        f"{where} is {_length_text(width)} wide but {what} is only "
                        f"{_length_text(room)} wide: make it narrower or the frame wider"
                    )

    def _check_format_keys(self) -> None:
        """Every key of ``Document.formats`` names a column (``total``) or a list item field
        (``items.amount``) of the data: a misspelt key would otherwise leave its column
        unformatted (raw cents printed as an amount)."""
        where = "Document.formats"
        for key in self.doc.formats:
            if self.schema.get_field_index(key) >= 0:
                continue
            column, dot, name = key.partition(".")
            if not dot or self.schema.get_field_index(column) < 0:
                raise BindingError(
                    f"{where}: key {key!r} names no column of the data{did_you_mean(key, self.schema.names)} "
                    f"(columns: {', '.join(self.schema.names)})",
                    where,
                    key,
                )
            t = self.schema.field(column).type
            if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_struct(t.value_type):
                raise BindingError(
                    f"{where}: key {key!r}: column {column!r} is {t}, not a list of items with fields", where, key
                )
            fields = [f.name for f in t.value_type]
            if name not in fields:
                raise BindingError(
                    f"{where}: key {key!r}: {column!r} items have no field {name!r}"
                    f"{did_you_mean(name, fields)} (fields: {', '.join(fields)})",
                    where,
                    key,
                )

    def _column(self, name: str, where: str) -> pa.DataType:
        idx = self.schema.get_field_index(name)
        if idx < 0:
            avail = ", ".join(self.schema.names)
            raise BindingError(f"{where}: column {name!r} is not in the data (columns: {avail})", where, name)
        return self.schema.field(idx).type

    def _font(self, font: Font) -> int:
        key = id(font)
        if key not in self._font_ids:
            self._font_ids[key] = len(self.fonts)
            self.fonts.append(font)
        return self._font_ids[key]

    def _style(self, style: Style | None) -> int:
        st = style or self.doc.style
        family = st.family or self.family
        font = family.face(st.bold, st.italic)
        fid = self._font(font)
        size = round(st.size * 1000)
        leading = round((st.leading if st.leading is not None else st.size * 1.2) * 1000)
        asc = font.ascender * size / font.upem
        desc = -font.descender * size / font.upem
        baseline = round((leading - (asc + desc)) / 2 + asc)
        row = [
            fid,
            size,
            leading,
            _color(st.color),
            _ALIGN[st.align],
            round(st.space_before * 1000),
            round(st.space_after * 1000),
            baseline,
        ]
        key = tuple(row)
        if key not in self._style_ids:
            self._style_ids[key] = len(self._style_rows)
            self._style_rows.append(row)
        return self._style_ids[key]

    def _label(self, el) -> int:
        self.labels.append(el.label() if hasattr(el, "label") else str(el))
        return len(self.labels) - 1

    def _format_for(self, key: str, t: pa.DataType, where: str, explicit=None):
        f = explicit or self.doc.formats.get(key) or _default_format(t)
        if not f.accepts(t):
            raise BindingError(f"{where}: column {key!r} is {t}, but {f!r} needs {f.kind}", where, key)
        problem = f.problem(t)
        if problem is not None:
            raise BindingError(f"{where}: column {key!r}: {problem}", where, key)
        lc = getattr(f, "locale_column", None)
        if lc is not None and self._column(lc, f"{where}: locale of {f!r}") != pa.string():
            raise BindingError(
                f"{where}: {f!r} reads locale ids from column {lc!r}, which is "
                f"{self.schema.field(lc).type}, not a string column",
                where,
                lc,
            )
        return f

    def _static(self, text: str, font: int, where: str) -> int:
        key = (text, font)
        if key not in self._static_ids:
            self._static_ids[key] = len(self._sources)
            self._sources.append(_Source("static", font, where, text=text))
        return self._static_ids[key]

    def _text_spec(self, text: str, font: int, where: str) -> _Source:
        """A text with fields as a source (not registered): static when it has no fields."""
        parts = parse_text(text, where)
        if all(p.field is None for p in parts):
            return _Source("static", font, where, text=text)
        spec: list[tuple[str | None, str | None, fmt.Format | None]] = []
        for p in parts:
            if p.field is None:
                self._check_literal(p.literal, where)
                spec.append((p.literal, None, None))
                continue
            if p.field in PAGE_FIELDS:
                raise TemplateError(f"{where}: {{{p.field}}} is only known in a page template's Text")
            t = self._column(p.field, where)
            if _is_list_of_struct(t):
                raise BindingError(f"{where}: column {p.field!r} is a list; show it with a Table", where, p.field)
            spec.append((None, p.field, self._format_for(p.field, t, where)))
        return _Source("doc", font, where, parts=spec)

    @staticmethod
    def _check_literal(literal: str, where: str) -> None:
        """A template's own text holds no control character a record's value may not hold."""
        problem = _literal_problem(literal, fmt.TEXT_BODY)
        if problem is not None:
            raise TemplateError(f"{where}: {problem} ({literal!r})")

    def _text_source(self, text: str, font: int, where: str, hyphen: str | None = None) -> int:
        spec = self._text_spec(text, font, where)
        if spec.kind == "static":
            return self._static(hyphenate_text(text, hyphen) if hyphen else text, font, where)
        spec.hyphen = hyphen
        self._sources.append(spec)
        return len(self._sources) - 1

    def table_columns(self, element: int) -> int:
        """The number of columns of the table element ``element`` (an element id)."""
        return int(self._tables[self._els[element][E_SRC]][1])

    def _el(self, kind: int, el, src=-1, style=-1, x=0, y=0, w=0, h=0, a=0, b=0, c=0) -> int:
        self._els.append([kind, self._label(el), src, style, x, y, w, h, a, b, c])
        self.roles.append(_structure_role(kind, el))
        self.bulleted.append(kind == K_PARA and getattr(el, "bullet", None) is not None)
        self.alts.append(getattr(el, "alt", None) if kind == K_IMAGE else None)
        return len(self._els) - 1

    def _rule(self, rule: Rule, where: str) -> int:
        for c in rule.columns():
            self._column(c, where)
        self.rules.append(rule)
        return len(self.rules) - 1

    # ------------------------------------------------------------------ flow and fixed content

    def _flow(self, elements) -> None:
        for el in elements:
            where = el.label() if hasattr(el, "label") else repr(el)
            if isinstance(el, Paragraph):
                st = self._style(el.style)
                font = self._style_rows[st][0]
                pst = el.style or self.doc.style
                lang = check_language(pst.hyphenate) if pst.hyphenate else None
                spans = self._spans_of(el, pst, where, lang)
                if spans is None:
                    assert isinstance(el.text, str)  # not rich text (see _spans_of)
                    src, nspans = self._text_source(el.text, font, where, lang), 0
                else:
                    src, nspans = spans
                bullet = self._text_source(el.bullet, font, where) if el.bullet else -1
                indent = to_mpt(el.indent)
                if bullet >= 0 and indent <= 0:
                    raise TemplateError(f"{where}: a bullet needs an indent to hang in")
                self._el(
                    K_PARA,
                    el,
                    src,
                    st,
                    1 if el.keep_with_next else 0,
                    pst.widows,
                    pst.orphans,
                    0,
                    nspans,
                    bullet,
                    indent,
                )
            elif isinstance(el, Spacer):
                self._el(K_SPACER, el, h=to_mpt(el.height))
            elif isinstance(el, Table):
                self._table(el, where)
            elif isinstance(el, When):
                i = self._el(K_WHEN, el, self._rule(el.rule, where))
                self._flow(el.content)
                self._els[i][E_A] = len(self._els) - 1 - i
            elif isinstance(el, Picture):
                img, w, h = self._picture(el, where)
                self._flow_widths.append((where, w, self._flow_target))
                spacing = self._style(self.doc.style.but(space_before=el.space_before, space_after=el.space_after))
                self._el(K_IMAGE, el, -1, spacing, 0, 0, w, h, img, _ALIGN[el.align])
            elif isinstance(el, (Text, Rect, Line, Barcode)):
                raise TemplateError(f"{where} is fixed content: put it in a PageTemplate's content, not the flow")
            else:
                raise TemplateError(f"not a flow element: {el!r}")

    def _fixed(self, elements, page_w: int, page_h: int, frame: tuple[int, int, int, int]) -> None:
        for el in elements:
            where = el.label() if hasattr(el, "label") else repr(el)
            if isinstance(el, Text):
                st = self._style(el.style)
                font = self._style_rows[st][0]
                x, y = to_mpt(el.x), to_mpt(el.y)
                w = to_mpt(el.width) if el.width is not None else page_w - x
                leading = self._style_rows[st][2]  # the first line's box must be on the page
                _check_on_page(where, x, y, w, leading, page_w, page_h)
                parts = parse_text(el.text, where)
                if any(p.field in PAGE_FIELDS for p in parts):
                    p0 = len(self._parts)
                    for p in parts:
                        if p.field is None:
                            self._parts.append([PART_TEXT, self._static(p.literal, font, where)])
                        elif p.field in PAGE_FIELDS:
                            self._parts.append([PART_PAGE if p.field == "page" else PART_PAGES, -1])
                        else:
                            raise TemplateError(
                                f"{where}: a text with {{page}}/{{pages}} cannot hold data fields yet "
                                f"({{{p.field}}}); use a second Text"
                            )
                    self._el(K_PAGETEXT, el, -1, st, x, y, w, 0, p0, len(self._parts) - p0)
                    self._page_text_fonts.add(font)
                else:
                    h = self._text_box_height(el, x, y, w, page_h, frame)
                    if h < leading:
                        raise TemplateError(
                            f"{where}: its box is {_length_text(h)} high, less than one line ({_length_text(leading)})"
                        )
                    rule, b, c = self._overflow_rule(el, st, where)
                    i = self._el(K_TEXT, el, self._text_source(el.text, font, where), st, x, y, w, h, rule, b, c)
                    fields = [p.field for p in parts if p.field is not None]
                    self.text_fields[self._els[i][E_ID]] = ", ".join(dict.fromkeys(fields))
            elif isinstance(el, Rect):
                _check_on_page(where, to_mpt(el.x), to_mpt(el.y), to_mpt(el.width), to_mpt(el.height), page_w, page_h)
                self._el(
                    K_RECT,
                    el,
                    -1,
                    -1,
                    to_mpt(el.x),
                    to_mpt(el.y),
                    to_mpt(el.width),
                    to_mpt(el.height),
                    to_mpt(el.line_width) if el.stroke is not None else 0,
                    _color(el.stroke),
                    _color(el.fill),
                )
            elif isinstance(el, Line):
                x1, y1 = to_mpt(el.x1), to_mpt(el.y1)
                x2, y2 = to_mpt(el.x2), to_mpt(el.y2)
                _check_on_page(where, min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1), page_w, page_h)
                self._el(
                    K_RULE,
                    el,
                    -1,
                    -1,
                    x1,
                    y1,
                    to_mpt(el.x2) - x1,
                    to_mpt(el.y2) - y1,
                    to_mpt(el.width),
                    0,
                    _color(el.color),
                )
            elif isinstance(el, Picture):
                if el.x is None or el.y is None:
                    raise TemplateError(f"{where}: a picture on a page template needs x and y")
                img, w, h = self._picture(el, where)
                _check_on_page(where, to_mpt(el.x), to_mpt(el.y), w, h, page_w, page_h)
                self._el(K_IMAGE, el, -1, -1, to_mpt(el.x), to_mpt(el.y), w, h, img)
            elif isinstance(el, Barcode):
                # the symbol's size depends on the data: its corner at least is on the page
                _check_on_page(where, to_mpt(el.x), to_mpt(el.y), 0, 0, page_w, page_h)
                self._barcode(el, where)
            elif isinstance(el, When):
                rule = self._rule(el.rule, where)
                i = self._el(K_WHEN, el, rule)
                self._rule_stack.append(rule)
                self._fixed(el.content, page_w, page_h, frame)
                self._rule_stack.pop()
                self._els[i][E_A] = len(self._els) - 1 - i
            else:
                raise TemplateError(
                    f"{where} cannot be fixed page content (use Text, Rect, Line, Picture, Barcode or When)"
                )

    @staticmethod
    def _text_box_height(el: Text, x: int, y: int, w: int, page_h: int, frame: tuple[int, int, int, int]) -> int:
        """The height of a fixed text's box: given, or down to the page's bottom edge, or to
        the body frame's top when the text stands above the frame and beside it."""
        if el.height is not None:
            h = to_mpt(el.height)
            _check_on_page(f"{el.label()}'s box", x, y, 0, h, x, page_h)  # its width is checked already
            return h
        bx, by, bw, _ = frame
        if y < by and x < bx + bw and x + w > bx:
            return by - y
        return page_h - y

    def _overflow_rule(self, el: Text, st: int, where: str) -> tuple[int, int, int]:
        """(rule, b, c) of a fixed text for the kernel: for "cut" the mark's glyph and
        advance, for "shrink" the first of the smaller styles and their count."""
        style = el.style or self.doc.style
        if el.overflow == "cut":
            font = (style.family or self.family).face(style.bold, style.italic)
            shaped = font.shape("\u2026")
            if len(shaped.gids) != 1 or int(shaped.gids[0]) == 0:
                raise TemplateError(f"{where}: overflow='cut' needs an ellipsis (U+2026) in the font")
            adv = round(int(shaped.advances[0]) * self._style_rows[st][1] / font.upem)
            return OVERFLOW_CUT, int(shaped.gids[0]), adv
        if el.overflow == "shrink":
            smallest = points(el.min_size) if el.min_size is not None else style.size * 0.6
            if smallest >= style.size:
                raise TemplateError(f"{where}: min_size {smallest:g}pt is not below the size {style.size:g}pt")
            sizes = []
            size = style.size - 0.5
            while size >= smallest - 1e-9:
                sizes.append(size)
                size -= 0.5
            if not sizes:
                sizes = [smallest]
            first = len(self._style_rows)
            for size in sizes:  # consecutive rows: the kernel walks them in order
                self._style_rows.append(list(self._style_rows[self._style(style.but(size=size, leading=None))]))
            return OVERFLOW_SHRINK, first, len(sizes)
        return OVERFLOW_REJECT, 0, 0

    def _spans_of(self, el: Paragraph, base: Style, where: str, lang: str | None = None):
        """(first span row, count) of a rich-text paragraph, or None for plain text."""
        if isinstance(el.text, str):
            if not el.markup:
                return None
            pieces = parse_markup(el.text)
        else:
            pieces = [p if isinstance(p, Span) else Span(str(p)) for p in el.text]
        if not pieces:
            pieces = [Span("")]
        first = len(self._span_rows)
        for sp in pieces:
            sst = self._style(sp.resolve(base))
            self._span_rows.append([self._text_source(sp.text, self._style_rows[sst][0], where, lang), sst])
        return first, len(pieces)

    def _messages(self, doc: Document) -> None:
        """Message content goes in blocks of its own after the flow, in priority order."""
        slot_names = ["last page"]
        slots = [[0, 0, 0, 0, doc.max_last_page_messages]]
        for sl in doc.slots:
            if not isinstance(sl, Slot) or sl.name in slot_names:
                raise TemplateError(f"Document.slots: {sl!r} is not a Slot with a new name")
            slot_names.append(sl.name)
            slots.append([to_mpt(sl.x), to_mpt(sl.y), to_mpt(sl.width), to_mpt(sl.height), sl.max_messages])
        rows = []
        self.message_names: list[str] = []
        for msg in sorted(doc.messages, key=lambda m: -m.priority):  # stable: equal priorities keep order
            if not isinstance(msg, Message):
                raise TemplateError(f"Document.messages takes Message objects, not {msg!r}")
            if msg.slot not in slot_names:
                raise TemplateError(f"message {msg.name!r}: no slot named {msg.slot!r} (slots: {slot_names})")
            rule = self._rule(msg.rule, f"message {msg.name!r}") if msg.rule is not None else -1
            e0 = len(self._els)
            self._flow_target = msg.slot
            self._flow(msg.content)
            self._flow_target = "flow"
            rows.append([e0, len(self._els) - e0, rule, slot_names.index(msg.slot)])
            self.message_names.append(msg.name)
        self.message_rows = np.array(rows, dtype=np.int32).reshape(-1, 4) if rows else np.full((1, 4), -1, np.int32)
        self.slot_rows = np.array(slots, dtype=np.int32).reshape(-1, 5)

    def _template(self, tpl: PageTemplate) -> int:
        if not isinstance(tpl, PageTemplate):
            raise TemplateError(f"not a PageTemplate: {tpl!r}")
        w, h = (to_mpt(v) for v in (tpl.size or self.doc.page_size))
        b = tpl.body
        bx, by, bw, bh = (to_mpt(v) for v in (b.x, b.y, b.width, b.height))
        if bw <= 0 or bh <= 0 or bx < 0 or by < 0 or bx + bw > w or by + bh > h:
            raise TemplateError(
                f"page template {tpl.name!r}: body frame does not lie on the {w / 1000:g}x{h / 1000:g}pt page"
            )
        f0 = len(self._els)
        self._current_template = len(self._templates)
        for ov in tpl.overlays:
            self._el(K_OVERLAY, ov, -1, -1, 0, 0, 0, 0, self._overlay(ov))
        self._fixed(tpl.content, w, h, (bx, by, bw, bh))
        self._templates.append([w, h, bx, by, bw, bh, f0, len(self._els) - f0])
        self.template_names.append(tpl.name)
        self.media.append(tpl.medium_map)
        return len(self._templates) - 1

    def _picture(self, el: Picture, where: str) -> tuple[int, int, int]:
        """(image index, width, height) of a picture; the file is read and checked here."""
        try:
            img = el.source if isinstance(el.source, Image) else Image(el.source)
        except ImageError as exc:
            raise TemplateError(f"{where}: {exc}") from exc
        if img.key not in self._image_ids:
            self._image_ids[img.key] = len(self.images)
            self.images.append(img)
        nw, nh = img.natural_size()
        w = to_mpt(el.width) if el.width is not None else None
        h = to_mpt(el.height) if el.height is not None else None
        if w is None and h is None:
            w, h = nw, nh
        elif w is None:
            assert h is not None
            w = round(h * img.width_px / img.height_px)
        elif h is None:
            h = round(w * img.height_px / img.width_px)
        assert w is not None and h is not None  # each given or derived above
        if w <= 0 or h <= 0:
            raise TemplateError(f"{where}: picture size must be positive")
        return self._image_ids[img.key], w, h

    def _overlay(self, ov: Overlay) -> int:
        """Lay the overlay out once, with a program of its own over a one-row batch."""
        if id(ov) in self._overlay_ids:
            return self._overlay_ids[id(ov)]
        from .display import DisplayList
        from .display import Overlay as OverlayContent

        if not isinstance(ov, Overlay):
            raise TemplateError(f"PageTemplate.overlays takes Overlay objects, not {ov!r}")
        w, h = (to_mpt(v) for v in (ov.size or self.doc.page_size))
        pw, ph = w / 1000, h / 1000  # template lengths are points
        sub_doc = Document(
            first=PageTemplate(ov.name, Frame(0, 0, pw, ph), ov.content, size=(pw, ph)),
            family=self.family,
            style=self.doc.style,
        )
        schema = pa.schema([("__row", pa.int8())])
        try:
            sub = Program(sub_doc, schema)
        except BindingError as exc:
            raise TemplateError(f"overlay {ov.name!r} must be static (no fields): {exc}") from exc
        batch = pa.RecordBatch.from_arrays([from_numpy(np.zeros(1, np.int8))], schema=schema)
        b = sub.bind(batch, 0)
        res = sub.kernel.layout(b.sources, b.lists, b.masks, b.pool, b.reject, 0)
        content = DisplayList.from_layout(
            res,
            fonts=sub.fonts,
            templates=sub.template_names,
            images=sub.images,
        )
        self._overlay_ids[id(ov)] = len(self.overlays)
        self.overlays.append(OverlayContent(ov.name, w, h, content))
        return self._overlay_ids[id(ov)]

    def _barcode(self, el: Barcode, where: str) -> None:
        check_options(el, where)
        parts: list[tuple[str | None, str | None, fmt.Format | None, str | None]] = []
        for p in parse_text(el.text, where) if el.kind != "omr" else []:
            if p.field is None:
                parts.append((p.literal, None, None, None))
            elif p.field in BARCODE_FACTS:
                parts.append((None, None, None, p.field))
            else:
                t = self._column(p.field, where)
                parts.append((None, p.field, self._format_for(p.field, t, where), None))
        self.barcodes.append(
            BarcodeDef(el, self._current_template, list(self._rule_stack), parts, to_mpt(el.x), to_mpt(el.y))
        )

    def _table(self, tb: Table, where: str) -> None:
        t = self._column(tb.source, where)
        if not _is_list_of_struct(t):
            raise BindingError(
                f"{where}: column {tb.source!r} is {t}, but a table needs list<struct<...>>", where, tb.source
            )
        struct = t.value_type
        body = tb.style or self.doc.style
        bs = self._style(body)
        hs = self._style(tb.header_style or body.but(bold=True))
        ts = self._style(tb.total_style or body.but(bold=True))
        spacing = self._style(body.but(space_before=tb.space_before, space_after=tb.space_after))
        if tb.source not in self.list_columns:
            self.list_columns.append(tb.source)
        if tb.carry is not None:  # before the columns: their formats would complain less to the point
            ft = self._item_field(struct, tb, tb.carry, where)
            if not pa.types.is_integer(ft):
                raise BindingError(
                    f"{where}: carry field {tb.carry!r} is {ft}, but sums need integers (minor units)",
                    where,
                    f"{tb.source}.{tb.carry}",
                )
        c0 = len(self._cols)
        for i, col in enumerate(tb.columns):
            cell = -1
            if col.field is not None:
                idx = struct.get_field_index(col.field)
                if idx < 0:
                    avail = ", ".join(f.name for f in struct)
                    raise BindingError(
                        f"{where}: column {col.header!r} uses field {col.field!r}, which {tb.source!r} items "
                        f"do not have (fields: {avail})",
                        where,
                        f"{tb.source}.{col.field}",
                    )
                key = f"{tb.source}.{col.field}"
                f = self._format_for(key, struct.field(idx).type, where, col.format)
                self._sources.append(
                    _Source(
                        "item",
                        self._style_rows[bs][0],
                        where,
                        list_column=tb.source,
                        item_field=col.field,
                        item_format=f,
                    )
                )
                cell = len(self._sources) - 1
            header = self._static(col.header, self._style_rows[hs][0], where) if col.header else -1
            total = -1
            if tb.total is not None and tb.total[i]:
                total = self._text_source(tb.total[i], self._style_rows[ts][0], where)
            self._cols.append([to_mpt(col.width), _ALIGN[col.align], header, cell, total])
        self._flow_widths.append(
            (
                f"{where} (columns {' + '.join(repr(c.header) for c in tb.columns)})",
                sum(r[0] for r in self._cols[c0:]),
                self._flow_target,
            )
        )
        gs = self._style(tb.group_style or body.but(bold=True))
        gfont = self._style_rows[gs][0]
        tfont = self._style_rows[ts][0]
        gsrc = ghsrc = keep = -1
        if tb.group_by is not None:
            self._item_field(struct, tb, tb.group_by, where)
            gsrc = self._item_text(tb.source, "{" + tb.group_by + "}", struct, gfont, where)
            ghsrc = gsrc
        if tb.group_header is not None:
            if tb.group_by is None:
                raise TemplateError(f"{where}: group_header needs group_by")
            ghsrc = self._item_text(tb.source, tb.group_header, struct, gfont, where)
        gcsrc = -1
        if tb.group_continued is not None:
            if tb.group_by is None:
                raise TemplateError(f"{where}: group_continued needs group_by")
            gcsrc = self._item_text(tb.source, tb.group_continued, struct, gfont, where)
        if tb.carry_per_group and (tb.group_by is None or tb.carry is None):
            raise TemplateError(f"{where}: carry_per_group needs group_by and carry")
        if tb.keep_together is not None:
            self._item_field(struct, tb, tb.keep_together, where)
            keep = self._item_text(tb.source, "{" + tb.keep_together + "}", struct, gfont, where)
        carry = ccol = clabel = blabel = gflabel = pslabel = -1
        if tb.page_subtotal is not None and tb.carry is None:
            raise TemplateError(f"{where}: page_subtotal needs carry")
        if tb.group_footer is not None and (tb.group_by is None or tb.carry is None):
            raise TemplateError(f"{where}: group_footer needs group_by and carry")
        cdec, cgroup, cpoint = 0, -1, -1
        if tb.carry is not None:
            self.sum_fields.append((tb.source, tb.carry))
            carry = len(self.sum_fields) - 1
            shown = [i for i, c in enumerate(tb.columns) if c.field == tb.carry]
            ccol = tb.carry_column if tb.carry_column is not None else (shown[0] if shown else len(tb.columns) - 1)
            if not 0 <= ccol < len(tb.columns):
                raise TemplateError(f"{where}: carry_column {ccol} is not a column index")
            f = tb.columns[ccol].format if tb.columns[ccol].field == tb.carry else None
            f = f or self.doc.formats.get(f"{tb.source}.{tb.carry}")
            cdec = int(getattr(f, "decimals", 0) or 0)
            if isinstance(f, fmt.NumberFormat) and f._int_scale() != cdec:
                # the kernel writes a sum's minor units with the format's decimals, as the
                # cells show integers in minor units; other scales would print it wrongly
                raise BindingError(
                    f"{where}: carried sums of {tb.carry!r} are written in minor units with {cdec} decimals, "
                    f"but {f!r} reads its integers with {f._int_scale()} implied decimals: format the carry "
                    f"field with money() (unit='minor') or number() without a scale",
                    where,
                    f"{tb.source}.{tb.carry}",
                )
            cgroup, cpoint = self._number_symbols(f, tfont, where)
            clabel = self._static(tb.carried_label, tfont, where)
            blabel = self._static(tb.brought_label, tfont, where)
            if tb.group_footer is not None:
                gflabel = self._static(tb.group_footer, tfont, where)
            if tb.page_subtotal is not None:
                pslabel = self._static(tb.page_subtotal, tfont, where)
            self._page_text_fonts.add(tfont)
        self._tables.append(
            [
                self.list_columns.index(tb.source),
                len(tb.columns),
                c0,
                hs,
                bs,
                ts,
                to_mpt(tb.header_rule),
                to_mpt(tb.total_rule),
                _color(tb.rule_color),
                to_mpt(tb.padding_y),
                to_mpt(tb.padding_x),
                1 if tb.total is not None else 0,
                1 if tb.repeat_header else 0,
                _color(tb.stripe),
                to_mpt(tb.borders),
                _color(tb.border_color),
                gsrc,
                ghsrc,
                gs,
                carry,
                ccol,
                clabel,
                blabel,
                cdec,
                cgroup,
                cpoint,
                keep,
                tb.orphans,
                tb.widows,
                gflabel,
                pslabel,
                gcsrc,
                1 if tb.carry_per_group else 0,
            ]
        )
        self._el(K_TABLE, tb, len(self._tables) - 1, spacing)

    def _number_symbols(self, f, font: int, where: str) -> tuple[int, int]:
        """Sources of the group and decimal separators a table's sums are written with: the
        carry column's format's own, its fixed locale's, or per document from its locale
        column."""
        from . import locales

        group, decimal = getattr(f, "group", None), getattr(f, "decimal", None)
        locale, column = getattr(f, "locale", None), getattr(f, "locale_column", None)
        if column is None and isinstance(locale, str):
            style = locales.number_style(locales.require(locale, where))
            group = style.group if group is None else group
            decimal = style.decimal if decimal is None else decimal
        if column is None or (group is not None and decimal is not None):
            g = self._static("," if group is None else group, font, where)
            d = self._static("." if decimal is None else decimal, font, where)
            self._fast_statics += [g, d]
            return g, d
        srcs = []
        for which, fixed in (("group", group), ("decimal", decimal)):
            if fixed is not None:
                srcs.append(self._static(fixed, font, where))
                self._fast_statics.append(srcs[-1])
            else:
                self._sources.append(_Source("locsym", font, where, list_column=column, item_field=which))
                srcs.append(len(self._sources) - 1)
        return srcs[0], srcs[1]

    def _item_field(self, struct, tb: Table, name: str, where: str) -> pa.DataType:
        idx = struct.get_field_index(name)
        if idx < 0:
            avail = ", ".join(f.name for f in struct)
            raise BindingError(
                f"{where}: {tb.source!r} items have no field {name!r} (fields: {avail})", where, f"{tb.source}.{name}"
            )
        return struct.field(idx).type

    def _item_text(self, list_column: str, text: str, struct, font: int, where: str) -> int:
        """A text over a list's item fields ("Account {account_no}"), one string per item."""
        parts: list[tuple[str | None, str | None, fmt.Format | None]] = []
        for p in parse_text(text, where):
            if p.field is None:
                self._check_literal(p.literal, where)
                parts.append((p.literal, None, None))
                continue
            idx = struct.get_field_index(p.field)
            if idx < 0:
                avail = ", ".join(f.name for f in struct)
                raise BindingError(
                    f"{where}: {list_column!r} items have no field {p.field!r} (fields: {avail})",
                    where,
                    f"{list_column}.{p.field}",
                )
            key = f"{list_column}.{p.field}"
            parts.append((None, p.field, self._format_for(key, struct.field(idx).type, where)))
        self._sources.append(_Source("itemtext", font, where, parts=parts, list_column=list_column))
        return len(self._sources) - 1

    def _check_static_texts(self) -> None:
        """Static texts are shaped once here; page-number texts must suit the fast path."""
        for i, s in enumerate(self._sources):
            if s.kind != "static":
                continue
            font = self.fonts[s.font]
            raw = s.text.encode("utf-8")
            off = np.array([0, len(raw)], dtype=np.int32)
            data = np.frombuffer(raw, dtype=np.uint8) if raw else np.zeros(1, np.uint8)
            self._static_buffers[i] = (off, data)
            self._check_literal(s.text, s.label)
            missing = sorted({ch for ch in s.text if ord(ch) not in font.cmap and ch not in "\n\r\t"})
            if missing:
                chars = ", ".join(f"U+{ord(c):04X} {c!r}" for c in missing)
                raise TemplateError(f"{s.label}: font {font.name} has no glyph for {chars} in {s.text!r}")
        for fid in self._page_text_fonts:
            self.fonts[fid].probe(ord(c) for c in "0123456789-")
        for kind, src in [tuple(p) for p in self._parts] + [(PART_TEXT, i) for i in self._fast_statics]:
            if kind == PART_TEXT:
                s = self._sources[src]
                font = self.fonts[s.font]
                off, data = self._static_buffers[src]
                unknown = np.zeros(0x10000, dtype=np.uint8)
                _layout.scan(off, data, font.slot_of, font.pair, unknown)
                font.probe(np.flatnonzero(unknown))
                if len(_layout.scan(off, data, font.slot_of, font.pair, unknown)) or any(
                    font.pair[int(font.slot_of[ord(c)]) * 512 + int(font.slot_of[ord(d)])] == -32768
                    for c in s.text
                    for d in "0123456789"
                ):
                    raise TemplateError(
                        f"{s.label}: page-number text {s.text!r} needs complex shaping, "
                        "which page-number texts do not support yet"
                    )

    # ------------------------------------------------------------------ per batch

    def bind(self, batch: pa.RecordBatch, record0: int) -> Bound:
        """Format, scan and pre-shape one batch; find the records to reject."""
        n = batch.num_rows
        if self._needs_cast:
            batch = pa.RecordBatch.from_arrays(
                [c.cast(f.type) if c.type != f.type else c for c, f in zip(batch.columns, self.schema)],
                schema=self.schema,
            )
        reject = np.zeros(n, dtype=np.uint8)
        rejections: list[Rejection] = []

        seen: set = set()

        def reject_docs(docs, field_name, reason_of):
            for d in docs:
                d = int(d)
                reject[d] = 1
                if (d, field_name) not in seen:  # a field shown twice is reported once
                    seen.add((d, field_name))
                    rejections.append(Rejection(record0 + d, field_name, reason_of(d)))

        for column in self.doc.required:
            nulls = np.flatnonzero(_bools(pc.is_null(batch.column(column))))
            reject_docs(nulls, column, lambda d: "required value is null")
        einvoice = None
        if self.einvoice is not None:
            einvoice, broken = self.einvoice.build(batch)
            for d, (where, reason) in broken.items():
                reject_docs([d], where, lambda _, reason=reason: reason)
        for check in self.record_checks:  # what the job's output asks of each record
            for d, (where, reason) in check(batch).items():
                reject_docs([d], where, lambda _, reason=reason: reason)

        lists = []
        list_items = {}
        for name in self.list_columns:
            offsets, items = _list_parts(batch.column(name))
            lists.append(offsets)
            list_items[name] = (offsets, items)

        formatted: dict = {}
        sources = []
        pool_parts: list = []
        pool_count = [0, 0]  # entries, glyphs
        unknown = np.zeros(0x10000, dtype=np.uint8)
        for i, s in enumerate(self._sources):
            if s.kind == "static":
                off, data = self._static_buffers[i]
                stride = 0
                owner = None
            elif s.kind == "doc":
                arr = self._join(batch, s, formatted, reject_docs)
                if s.hyphen:
                    # per document in Python, but each distinct word is hyphenated once (cached)
                    arr = strings([hyphenate_text(t, s.hyphen) for t in arr.to_pylist()])
                off, data = _string_buffers(arr)
                stride = 1
                owner = None
            elif s.kind == "locsym":
                symbols = _locale_symbols(batch.column(s.list_column), s.item_field)
                self.fonts[s.font].probe(ord(ch) for ch in "".join(set(symbols.to_pylist())))
                off, data = _string_buffers(symbols)
                stride = 1
                owner = None
            elif s.kind == "itemtext":
                offsets, items = list_items[s.list_column]
                off, data = _string_buffers(self._join_items(items, s, formatted, offsets, reject_docs))
                stride = 1
                owner = offsets
            else:
                offsets, items = list_items[s.list_column]
                key = (s.list_column, s.item_field, id(s.item_format))
                if key not in formatted:
                    lc = getattr(s.item_format, "locale_column", None)  # each item in its document's locale
                    values = _formatted(
                        s.item_format,
                        items.field(s.item_field),
                        lambda i, msg, offsets=offsets, s=s: reject_docs(
                            [int(np.searchsorted(offsets, i, side="right") - 1)],
                            f"{s.list_column}.{s.item_field}",
                            lambda d: msg,
                        ),
                        None
                        if lc is None
                        else batch.column(lc).take(from_numpy(np.repeat(np.arange(n), np.diff(offsets)))),
                    )
                    formatted[key] = pc.fill_null(values, EMPTY_STRING) if values.null_count else values
                off, data = _string_buffers(formatted[key])
                stride = 1
                owner = offsets
            if self.device_encodings and s.kind != "static":
                self._check_device(s, off, data, owner, reject_docs)
            pre = self._preshape(s, off, data, unknown, pool_parts, pool_count, owner, reject_docs, formatted)
            sources.append((off, data, pre, stride))

        masks = np.zeros((max(len(self.rules), 1), n), dtype=np.uint8)
        for r, rule in enumerate(self.rules):
            try:
                masks[r] = _bools(rule.mask(batch))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError) as exc:
                raise BindingError(f"rule {rule!r} cannot be evaluated on this data: {exc}") from exc

        if pool_parts:
            g = np.concatenate([p[0] for p in pool_parts])
            a = np.concatenate([p[1] for p in pool_parts])
            c = np.concatenate([p[2] for p in pool_parts])
            lv = np.concatenate([p[3] for p in pool_parts])
            lens = np.array([len(p[0]) for p in pool_parts], dtype=np.int32)
            starts = np.zeros(len(lens), dtype=np.int32)
            np.cumsum(lens[:-1], out=starts[1:])
        else:
            g = np.zeros(1, np.uint16)
            a = c = starts = lens = np.zeros(1, np.int32)
            lv = np.zeros(1, np.uint8)
        tags = {}
        tag_columns = {}
        for tag, s in self.tags.items():
            if s.kind == "static":
                tags[tag] = [s.text] * n
                tag_columns[tag] = strings([s.text]).take(from_numpy(np.zeros(n, dtype=np.int64)))
                continue
            values = self._join(batch, s, formatted, reject_docs)
            columns = [c for _, c, _ in s.parts if c is not None]
            where = columns[0] if len(columns) == 1 else f"tag {tag!r}"
            _check_values(
                values,
                fmt.TEXT_INDEX,
                lambda i, msg, where=where, tag=tag: reject_docs([i], where, lambda d: f"tag {tag!r}: {msg}"),
                TAG_VALUE_BYTES,
            )
            tags[tag] = values.to_pylist()
            tag_columns[tag] = values
        sums = [self._sums(list_items[c], c, fld, reject_docs) for c, fld in self.sum_fields]
        fields = {}
        for bc in self.barcodes:
            for _, column, f, _ in bc.parts:
                if column is not None and (column, id(f)) not in fields:
                    values = _apply_format(
                        f, batch.column(column), lambda i, msg, column=column: reject_docs([i], column, lambda d: msg)
                    )
                    fields[(column, id(f))] = pc.fill_null(values, EMPTY_STRING).to_pylist()
        return Bound(
            sources,
            lists,
            masks,
            (g, a, c, starts, lens, lv),
            reject,
            rejections,
            tags,
            fields,
            sums,
            tag_columns,
            einvoice,
        )

    def use_device(self, encodings: dict) -> None:
        """Check text against what the output device can show, when a batch is bound.

        Args:
            encodings: font PostScript name -> the single-byte codec its text is printed
                in (an AFP coded font's code page). A record with a character outside it
                is rejected before layout, naming the field and the character; a template
                literal with one is a TemplateError now.

        Raises:
            TemplateError: a literal text of the template has a character the device lacks.
        """
        self.device_encodings = {i: encodings[f.name] for i, f in enumerate(self.fonts) if f.name in encodings}
        for s in self._sources:
            codec = self.device_encodings.get(s.font)
            if codec is None:
                continue
            literals = [s.text] if s.kind == "static" else [p[0] for p in s.parts if p[0] is not None]
            for literal in literals:
                bad = _outside(literal, codec)
                if bad:
                    raise TemplateError(
                        f"{s.label}: character {bad!r} (U+{ord(bad):04X}) of the text {literal!r} is not in the "
                        f"code page ({codec}) of the printer font its text is printed with"
                    )

    def _check_device(self, s, off, data, owner, reject_docs) -> None:
        """Reject the documents whose text the device cannot show (see :meth:`use_device`)."""
        codec = self.device_encodings.get(s.font)
        if codec is None or not len(data):
            return
        raw = np.frombuffer(data, dtype=np.uint8)
        if raw.max() < 0x80 and _outside("".join(map(chr, np.unique(raw).tolist())), codec) is None:
            return
        text = bytes(data).decode("utf-8", "replace")
        bad_chars = {c for c in set(text) if _outside(c, codec)}
        if not bad_chars:
            return
        starts = np.asarray(off)
        if s.kind == "doc":
            columns = list(dict.fromkeys(c for _, c, _ in s.parts if c is not None))
            where = columns[0] if len(columns) == 1 else s.label
        else:
            where = f"{s.list_column}.{s.item_field}" if s.item_field else s.label
        for i in range(len(starts) - 1):
            value = bytes(data[starts[i] : starts[i + 1]]).decode("utf-8", "replace")
            hit = sorted(set(value) & bad_chars)
            if not hit:
                continue
            doc = i if owner is None else int(np.searchsorted(owner, i, side="right") - 1)
            ch = hit[0]
            reject_docs(
                [doc],
                where,
                lambda d, ch=ch, value=value: (
                    f"character {ch!r} (U+{ord(ch):04X}) in {value!r} is not in the code page ({codec}) of the "
                    "printer font its text is printed with"
                ),
            )

    def _sums(self, list_parts, list_column: str, fld: str, reject_docs) -> np.ndarray:
        """The int64 values a table sums (nulls count 0). A document whose sums could
        wrap around 64 bits is rejected (its items are never summed), as is one with an
        unsigned value beyond int64."""
        offsets, items = list_parts
        values = items.field(fld)
        name = f"{list_column}.{fld}"
        if pa.types.is_uint64(values.type):
            huge = _bools(pc.greater(values, scalar(2**63 - 1, pa.uint64())))
            if huge.any():
                docs = np.searchsorted(offsets, np.flatnonzero(huge), side="right") - 1
                reject_docs(np.unique(docs), name, lambda d: "a value is beyond what a 64-bit sum can hold")
                values = pc.if_else(from_numpy(huge.astype(bool)), pa.nulls(len(values), values.type), values)
        out = to_numpy(pc.fill_null(values.cast(pa.int64(), safe=False), scalar(0)))
        out = np.ascontiguousarray(out, dtype=np.int64)
        reject_docs(
            _layout.sum_overflows(out, offsets),
            name,
            lambda d: (
                "the sum of its amounts is beyond what a 64-bit sum can hold (the carried total would wrap around)"
            ),
        )
        return out

    def _join_items(self, items, s: _Source, formatted: dict, offsets, reject_docs):
        pieces = []
        for literal, column, f in s.parts:
            if column is None:
                pieces.append(literal)
                continue
            key = (s.list_column, column, id(f))
            if key not in formatted:

                def on_bad(i, msg, column=column):
                    doc = int(np.searchsorted(offsets, i, side="right") - 1)
                    reject_docs([doc], f"{s.list_column}.{column}", lambda d: msg)

                values = _formatted(f, items.field(column), on_bad)
                formatted[key] = pc.fill_null(values, EMPTY_STRING) if values.null_count else values
            pieces.append(formatted[key])
        if not any(not isinstance(p, str) for p in pieces):
            return pa.repeat(scalar("".join(pieces)), len(items))
        if len(pieces) == 1:
            return pieces[0]
        return pc.binary_join_element_wise(*(scalar(p) if isinstance(p, str) else p for p in pieces), EMPTY_STRING)

    def _missing_by_field(self, s: _Source, doc: int, missing: list[int], formatted: dict):
        """Which field of a text holds each missing character (literals are checked at compile)."""
        if s.kind == "item":
            return [(f"{s.list_column}.{s.item_field}", missing)]
        if s.kind == "itemtext":
            return [(s.list_column, missing)]
        out = []
        for _, column, f in s.parts:
            if column is None:
                continue
            value = formatted[(column, id(f))][doc].as_py() or ""
            cps = [cp for cp in missing if chr(cp) in value]
            if cps:
                out.append((column, cps))
        return out or [(s.label, missing)]

    def _join(self, batch, s: _Source, formatted: dict, reject_docs):
        pieces = []
        for literal, column, f in s.parts:
            if column is None:
                pieces.append(literal)
                continue
            key = (column, id(f))
            if key not in formatted:
                lc = getattr(f, "locale_column", None)

                def on_bad(i, msg, column=column):
                    reject_docs([i], column, lambda d: msg)

                values = _formatted(f, batch.column(column), on_bad, None if lc is None else batch.column(lc))
                if values.null_count:
                    values = pc.fill_null(values, scalar(self.doc.null_text.get(column, "")))
                formatted[key] = values
            pieces.append(formatted[key])
        if len(pieces) == 1:
            return pieces[0]
        return pc.binary_join_element_wise(*(scalar(p) if isinstance(p, str) else p for p in pieces), EMPTY_STRING)

    def _preshape(self, s, off, data, unknown, pool_parts, pool_count, owner, reject_docs, formatted):
        """HarfBuzz-shape the strings the font tables cannot; returns the pool index array."""
        font = self.fonts[s.font]
        slow = _layout.scan(off, data, font.slot_of, font.pair, unknown)
        if len(slow) and unknown.any():
            font.probe(np.flatnonzero(unknown))
            unknown[:] = 0
            slow = _layout.scan(off, data, font.slot_of, font.pair, unknown)
        if not len(slow):
            return None
        pre = np.full(len(off) - 1, -1, dtype=np.int32)
        raw = data.tobytes() if len(slow) > 64 else None
        for idx in slow:
            b0, b1 = int(off[idx]), int(off[idx + 1])
            chunk = raw[b0:b1] if raw is not None else data[b0:b1].tobytes()
            text = chunk.decode("utf-8", "replace")
            shaped = font.shape(text)
            pre[idx] = len(pool_parts)
            levels = shaped.levels if shaped.levels is not None else np.zeros(len(shaped.gids), np.uint8)
            pool_parts.append((shaped.gids, shaped.advances, shaped.clusters, levels))
            if shaped.missing:
                doc = idx if owner is None else int(np.searchsorted(owner, idx, side="right") - 1)
                if s.kind == "static":
                    continue
                for where, cps in self._missing_by_field(s, doc, shaped.missing, formatted):
                    chars = ", ".join(f"U+{cp:04X} {chr(cp)!r}" for cp in cps)
                    reject_docs(
                        [doc], where, lambda d, chars=chars: f"font {font.name} has no glyph for {chars} ({s.label})"
                    )
        return pre
