"""An :class:`~ccmcore.einvoice.EInvoice` bound to the data's schema, and what it makes of
each batch: the records' CII XML, and the records whose data breaks a rule.

Binding checks every column once, before anything is composed (a missing column, a float
amount, a date term on a text column: :class:`~ccmcore.errors.BindingError`). A batch is
then read column by column: values become exact scaled integers and escaped text
(:mod:`.values`), the business rules run over whole arrays (:mod:`.rules`) and the XML is
joined from the pieces (:mod:`.cii`); no per-record Python loop runs unless a record is
rejected, to word its reason.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BindingError, TemplateError
from ..rules import _Col
from .terms import VAT_CATEGORIES, EInvoice
from .values import Scaled, date_text, scaled, xml_text

__all__ = ["CompiledEInvoice", "Text", "Lines"]

_TEXT, _AMOUNT, _QUANTITY, _PRICE, _RATE, _DATE = "text", "amount", "quantity", "price", "rate", "date"

#: term path -> (business term, kind, the rule a missing value breaks or None)
DOCUMENT_TERMS = {
    "number": ("BT-1", _TEXT, "BR-02"),
    "issue_date": ("BT-2", _DATE, "BR-03"),
    "type_code": ("BT-3", _TEXT, "BR-04"),
    "currency": ("BT-5", _TEXT, "BR-05"),
    "due_date": ("BT-9", _DATE, None),
    "buyer_reference": ("BT-10", _TEXT, None),
    "business_process": ("BT-23", _TEXT, None),
    "order_reference": ("BT-13", _TEXT, None),
    "payment_terms": ("BT-20", _TEXT, None),
    "note": ("BT-22", _TEXT, None),
    "delivery_date": ("BT-72", _DATE, None),
    "period_start": ("BT-73", _DATE, None),
    "period_end": ("BT-74", _DATE, None),
    "seller.name": ("BT-27", _TEXT, "BR-06"),
    "seller.legal_id": ("BT-30", _TEXT, None),
    "seller.vat_id": ("BT-31", _TEXT, None),
    "seller.tax_number": ("BT-32", _TEXT, None),
    "seller.email": ("BT-34", _TEXT, None),
    "seller.street": ("BT-35", _TEXT, None),
    "seller.city": ("BT-37", _TEXT, None),
    "seller.postcode": ("BT-38", _TEXT, None),
    "seller.country": ("BT-40", _TEXT, "BR-09"),
    "seller.contact_name": ("BT-41", _TEXT, None),
    "seller.contact_phone": ("BT-42", _TEXT, None),
    "seller.contact_email": ("BT-43", _TEXT, None),
    "buyer.name": ("BT-44", _TEXT, "BR-07"),
    "buyer.legal_id": ("BT-47", _TEXT, None),
    "buyer.vat_id": ("BT-48", _TEXT, None),
    "buyer.email": ("BT-49", _TEXT, None),
    "buyer.street": ("BT-50", _TEXT, None),
    "buyer.city": ("BT-52", _TEXT, None),
    "buyer.postcode": ("BT-53", _TEXT, None),
    "buyer.country": ("BT-55", _TEXT, "BR-11"),
    "buyer.contact_name": ("BT-56", _TEXT, None),
    "buyer.contact_phone": ("BT-57", _TEXT, None),
    "buyer.contact_email": ("BT-58", _TEXT, None),
    "payment.means": ("BT-81", _TEXT, "BR-49"),
    "payment.reference": ("BT-83", _TEXT, None),
    "payment.iban": ("BT-84", _TEXT, None),
    "payment.account_name": ("BT-85", _TEXT, None),
    "payment.bic": ("BT-86", _TEXT, None),
    "payment.mandate": ("BT-89", _TEXT, None),
    "payment.creditor_id": ("BT-90", _TEXT, None),
    "line_total": ("BT-106", _AMOUNT, None),
    "vat_total": ("BT-110", _AMOUNT, None),
    "grand_total": ("BT-112", _AMOUNT, None),
    "paid": ("BT-113", _AMOUNT, None),
    "due_amount": ("BT-115", _AMOUNT, None),
}

#: line term -> (business term, kind, the rule a missing value breaks)
LINE_TERMS = {
    "id": ("BT-126", _TEXT, "BR-21"),
    "quantity": ("BT-129", _QUANTITY, "BR-22"),
    "unit": ("BT-130", _TEXT, "BR-23"),
    "net_amount": ("BT-131", _AMOUNT, "BR-24"),
    "name": ("BT-153", _TEXT, "BR-25"),
    "net_price": ("BT-146", _PRICE, "BR-26"),
    "vat_category": ("BT-151", _TEXT, "BR-CO-04"),
    "vat_rate": ("BT-152", _RATE, None),
    "description": ("BT-154", _TEXT, None),
}

#: most decimals a quantity, price or rate may have (amounts have two: BR-DEC)
MAX_DECIMALS = {_AMOUNT: 2, _QUANTITY: 6, _PRICE: 6, _RATE: 4}


def _type_fits(kind: str, t: pa.DataType) -> bool:
    if kind == _TEXT:
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)
    if kind == _DATE:
        return pa.types.is_date(t) or pa.types.is_timestamp(t)
    return pa.types.is_integer(t) or pa.types.is_decimal(t)


_WANTS = {
    _TEXT: "text (a string or integer column)",
    _DATE: "a date (a date32, date64 or timestamp column)",
    _AMOUNT: "an amount: integer cents or a decimal (a float cannot hold 0.10 exactly)",
    _PRICE: "a price: integer cents or a decimal (a float cannot hold 0.10 exactly)",
    _QUANTITY: "a quantity: an integer or a decimal",
    _RATE: "a rate in percent: an integer or a decimal",
}


@dataclass
class Text:
    """A text term for a batch: a fixed (escaped) str, or an escaped array with its nulls."""

    fixed: str | None
    values: pa.Array | None
    null: np.ndarray
    bad: np.ndarray


def _fixed_text(value, n: int) -> Text:
    if isinstance(value, _dt.date):
        value = value.strftime("%Y%m%d")
    text, bad = xml_text(pa.array([str(value)]))
    if bad[0]:
        raise TemplateError(f"EInvoice: the fixed value {value!r} holds a control character, which XML cannot carry")
    return Text(text[0].as_py(), None, np.zeros(n, bool), np.zeros(n, bool))


def _fixed_number(kind: str, value, n: int) -> Scaled:
    scale = MAX_DECIMALS[kind]
    if isinstance(value, Decimal):
        unscaled = value.scaleb(scale)
        if unscaled != unscaled.to_integral_value():
            raise TemplateError(f"EInvoice: {value} has more than {scale} decimals")
        number = int(unscaled)
    else:
        # an int amount or price is cents, as money() reads an integer column
        number = value * 10 ** (scale - 2) if kind in (_AMOUNT, _PRICE) else value * 10**scale
    return Scaled(np.full(n, number, np.int64), scale, np.zeros(n, bool), np.zeros(n, bool))


class _Term:
    """One mapped term: where its value comes from and how it reads."""

    __slots__ = ("path", "bt", "kind", "rule", "source")

    def __init__(self, path: str, bt: str, kind: str, rule: str | None, source):
        self.path = path
        self.bt = bt
        self.kind = kind
        self.rule = rule
        self.source = source  # None, a fixed value, or a column (field) name as str wrapped in _Col

    @property
    def column(self) -> str | None:
        return self.source.name if isinstance(self.source, _Col) else None

    def text(self, table, n: int) -> Text:
        if self.source is None:
            return Text(None, None, np.ones(n, bool), np.zeros(n, bool))
        if self.column is None:
            return _fixed_text(self.source, n)
        arr = table.column(self.column) if isinstance(table, pa.RecordBatch) else table.field(self.column)
        if self.kind == _DATE:
            values, null = date_text(arr)
            return Text(None, values, null, np.zeros(n, bool))
        values, bad = xml_text(arr)
        null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            blank = np.asarray(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), False).to_numpy(False))
            null = null | blank  # an empty text is no value: the element would be empty
        return Text(None, values, null, bad)

    def number(self, table, n: int) -> Scaled:
        scale = MAX_DECIMALS[self.kind]
        if self.source is None:
            return Scaled(np.zeros(n, np.int64), scale, np.ones(n, bool), np.zeros(n, bool))
        if self.column is None:
            return _fixed_number(self.kind, self.source, n)
        arr = table.column(self.column) if isinstance(table, pa.RecordBatch) else table.field(self.column)
        integer_scale = 2 if self.kind in (_AMOUNT, _PRICE) else 0
        if self.kind in (_QUANTITY, _PRICE):  # never summed: each keeps the decimals it has
            return scaled(arr, integer_scale=integer_scale, max_scale=scale)
        return scaled(arr, integer_scale=integer_scale, scale=scale)


@dataclass
class Lines:
    """The invoice lines of a batch, flattened: which record each belongs to."""

    record: np.ndarray  # int64 (m,): the batch row of each line
    counts: np.ndarray  # int64 (n,): lines per record
    items: pa.StructArray
    number: np.ndarray  # int64 (m,): 1, 2, ... within the record


class CompiledEInvoice:
    """An e-invoice mapping checked against the data's schema.

    Args:
        einvoice: the mapping.
        schema: the data's schema.

    Raises:
        BindingError: a column is missing or holds values the term cannot take.
    """

    def __init__(self, einvoice: EInvoice, schema: pa.Schema):
        self.einvoice = einvoice
        self.profile = einvoice.profile
        self.terms: dict[str, _Term] = {}
        for path, (bt, kind, rule) in DOCUMENT_TERMS.items():
            owner, _, name = path.rpartition(".")
            holder = getattr(einvoice, owner) if owner else einvoice
            source = getattr(holder, name, None) if holder is not None else None
            if path == "business_process":
                source = einvoice.process
            self.terms[path] = _Term(path, bt, kind, rule, source)
            self._bind(self.terms[path], schema, f"EInvoice {path} ({bt})")
        lines = einvoice.lines
        if lines.source not in schema.names:
            raise BindingError(
                f"EInvoice lines: source {lines.source!r} is not a column of the data "
                f"(columns: {', '.join(schema.names)})",
                "einvoice",
                lines.source,
            )
        t = schema.field(lines.source).type
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_struct(t.value_type):
            raise BindingError(
                f"EInvoice lines: {lines.source!r} holds {t}; it needs a list of structs, one per line",
                "einvoice",
                lines.source,
            )
        item = t.value_type
        self.line_terms: dict[str, _Term] = {}
        for name, (bt, kind, rule) in LINE_TERMS.items():
            term = self.line_terms[name] = _Term(name, bt, kind, rule, getattr(lines, name))
            self._bind(term, item, f"EInvoice lines.{name} ({bt})", prefix=f"{lines.source}.")
        self._fixed_checks()

    def _bind(self, term: _Term, schema, what: str, prefix: str = "") -> None:
        column = term.column
        if column is None:
            if term.source is not None and term.kind == _DATE and not isinstance(term.source, _dt.date):
                raise TemplateError(f"{what} takes a date or col('column'), not {term.source!r}")
            if term.source is not None and term.kind in MAX_DECIMALS and not isinstance(term.source, (int, Decimal)):
                raise TemplateError(f"{what} takes an int or a Decimal or col('column'), not {term.source!r}")
            return
        names = [f.name for f in schema]
        if column not in names:
            raise BindingError(
                f"{what}: {prefix}{column!r} is not a column of the data (columns: {', '.join(names)})",
                "einvoice",
                prefix + column,
            )
        t = schema.field(column).type
        if not _type_fits(term.kind, t):
            raise BindingError(
                f"{what}: {prefix}{column!r} holds {t}; it needs {_WANTS[term.kind]}", "einvoice", column
            )

    def _fixed_checks(self) -> None:
        """Checks of fixed values a template gets wrong whatever the data."""
        e = self.einvoice
        for path in ("seller.country", "buyer.country"):
            v = self.terms[path].source
            if isinstance(v, str) and not (len(v) == 2 and v.isascii() and v.isupper()):
                raise TemplateError(f"EInvoice {path}: {v!r} is not an ISO 3166-1 alpha-2 code (DE, FR, AT ...)")
        if isinstance(e.currency, str) and not (len(e.currency) == 3 and e.currency.isascii() and e.currency.isupper()):
            raise TemplateError(f"EInvoice currency: {e.currency!r} is not an ISO 4217 code (EUR ...)")
        cat = e.lines.vat_category
        if isinstance(cat, str) and cat not in ("S", "Z", "L", "M") and cat not in e.exemption_reasons:
            raise TemplateError(
                f"EInvoice: lines of VAT category {cat} need exemption_reasons[{cat!r}], the text saying why no "
                "VAT is charged (BT-120)"
            )
        iban = e.payment.iban if e.payment is not None else None
        if isinstance(iban, str) and not iban_ok(iban):
            raise TemplateError(f"EInvoice payment.iban: {iban!r} is not a valid IBAN (its check digits are wrong)")

    # ------------------------------------------------------------------ a batch

    def lines(self, batch: pa.RecordBatch) -> Lines:
        lists = batch.column(self.einvoice.lines.source)
        counts = np.asarray(pc.fill_null(pc.list_value_length(lists), 0).to_numpy(False), dtype=np.int64)
        items = lists.flatten()
        if isinstance(items, pa.ChunkedArray):
            items = items.combine_chunks()
        record = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        number = np.arange(len(record), dtype=np.int64) - np.repeat(starts, counts) + 1
        return Lines(record, counts, items, number)

    def build(self, batch: pa.RecordBatch):
        """The batch's XML and its records' rule breaks.

        Returns:
            (xml, rejected): a large_string array of one CII document per row (null for a
            rejected row), and {row: (field, reason)} for the rows rejected.
        """
        from .cii import cii_documents
        from .rules import check

        n = batch.num_rows
        lines = self.lines(batch)
        text = {path: t.text(batch, n) for path, t in self.terms.items() if t.kind != _AMOUNT}
        amounts = {path: t.number(batch, n) for path, t in self.terms.items() if t.kind == _AMOUNT}
        m = len(lines.record)
        line_text = {k: t.text(lines.items, m) for k, t in self.line_terms.items() if t.kind in (_TEXT,)}
        line_num = {k: t.number(lines.items, m) for k, t in self.line_terms.items() if t.kind not in (_TEXT,)}
        categories = _categories(line_text["vat_category"], m)
        rejected, sums = check(self, n, lines, text, amounts, line_text, line_num, categories)
        xml = cii_documents(self, n, lines, text, line_text, line_num, categories, sums)
        if rejected:
            keep = np.ones(n, dtype=bool)
            keep[list(rejected)] = False
            xml = pc.if_else(pa.array(keep), xml, pa.scalar(None, xml.type))
        return xml, rejected


def _categories(text: Text, m: int) -> np.ndarray:
    """Each line's VAT category as an index into VAT_CATEGORIES (-1: unknown or none)."""
    codes = list(VAT_CATEGORIES)
    if text.fixed is not None:
        return np.full(m, codes.index(text.fixed), dtype=np.int64)
    if text.values is None:
        return np.full(m, -1, dtype=np.int64)
    idx = pc.index_in(pc.utf8_trim_whitespace(text.values), value_set=pa.array(codes))
    return np.asarray(pc.fill_null(idx, -1).to_numpy(False), dtype=np.int64)


def iban_ok(iban: str) -> bool:
    """An IBAN's form and its ISO 13616 check digits (mod 97)."""
    s = iban.replace(" ", "").upper()
    if not (15 <= len(s) <= 34 and s[:2].isalpha() and s[2:4].isdigit() and s.isalnum() and s.isascii()):
        return False
    digits = "".join(str(int(ch, 36)) for ch in s[4:] + s[:4])
    return int(digits) % 97 == 1
