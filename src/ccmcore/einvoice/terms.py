"""The e-invoice mapping of a template: which column (or fixed value) gives each EN 16931
business term.

Every term takes either a fixed value (a str, int, :class:`~decimal.Decimal` or
:class:`datetime.date`) or ``col("name")``, a column of the data (for a line term, a field
of the line items' structs). Amounts follow :func:`ccmcore.money`: an integer column holds
cents, a decimal column the amount itself; floats cannot hold 0.10 exactly and are refused.
What a mapping gets wrong that no data can mend (an unknown profile, a code that is not in
its code list, a term the profile needs left out) is a
:class:`~ccmcore.errors.TemplateError` when the template is defined; what does not fit
the data (a missing column, a float amount) is a
:class:`~ccmcore.errors.BindingError` when the job starts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, fields
from decimal import Decimal

from ..errors import TemplateError
from ..rules import Rule, _Col

__all__ = ["EInvoice", "Party", "Lines", "Payment", "PROFILES", "VAT_CATEGORIES"]

#: the profiles :class:`EInvoice` writes: the Factur-X / ZUGFeRD profiles BASIC, EN 16931
#: and EXTENDED, and the German XRechnung CIUS (in a ZUGFeRD hybrid)
PROFILES = ("basic", "en16931", "extended", "xrechnung")

#: the VAT category codes (UNTDID 5305 as EN 16931 restricts it) and what each means
VAT_CATEGORIES = {
    "S": "standard rate",
    "Z": "zero rated",
    "E": "exempt from VAT",
    "AE": "reverse charge",
    "K": "intra-community supply",
    "G": "export outside the EU",
    "O": "not subject to VAT",
    "L": "Canary Islands tax",
    "M": "Ceuta and Melilla tax",
}

#: invoice type codes (UNTDID 1001) EN 16931 invoices and credit notes use most
TYPE_CODES = ("380", "381", "384", "389", "751", "261", "326", "383", "386", "875", "876", "877")

#: payment means codes (UNTDID 4461) most invoices use: 58 SEPA credit transfer, 59 SEPA
#: direct debit, 30 credit transfer, 31 debit transfer, 42 payment to bank account, 48 bank
#: card, 49 direct debit, 57 standing agreement, 10 cash, 1 not defined, ZZZ mutually defined
PAYMENT_MEANS = ("1", "10", "20", "30", "31", "42", "48", "49", "57", "58", "59", "97", "ZZZ")

_FIXED = (str, int, Decimal, _dt.date)

#: the business process (BT-23) of an XRechnung that names none
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def _term(owner: str, name: str, value, *, required: bool = False):
    """A term's value checked: None, a fixed value or a column."""
    if value is None:
        if required:
            raise TemplateError(f"{owner}: {name} is required")
        return None
    if isinstance(value, _Col):
        return value
    if isinstance(value, Rule):
        raise TemplateError(f"{owner}: {name} takes a fixed value or col('column'), not the rule {value!r}")
    if isinstance(value, bool) or not isinstance(value, _FIXED):
        raise TemplateError(
            f"{owner}: {name} takes a str, int, Decimal or date, or col('column'), not {type(value).__name__}"
        )
    if isinstance(value, str) and not value.strip():
        raise TemplateError(f"{owner}: {name} is empty; leave it out (None) or give it a value")
    return value


def _code(owner: str, name: str, value, allowed, *, required: bool = False):
    value = _term(owner, name, value, required=required)
    if value is not None and not isinstance(value, _Col) and str(value) not in allowed:
        raise TemplateError(f"{owner}: {name} {value!r} is not one of {', '.join(allowed)}")
    return value if value is None or isinstance(value, _Col) else str(value)


@dataclass(frozen=True)
class Party:
    """A seller (BG-4) or buyer (BG-7).

    Args:
        name: BT-27 / BT-44, the party's name.
        street: BT-35 / BT-50, the first address line.
        postcode: BT-38 / BT-53.
        city: BT-37 / BT-52.
        country: BT-40 / BT-55, an ISO 3166-1 alpha-2 code (``DE``).
        vat_id: BT-31 / BT-48, the VAT identifier with its country prefix (``DE123456789``).
        tax_number: BT-32, the seller's tax registration number (a seller only).
        legal_id: BT-30 / BT-47, the registration (trade register) number.
        email: BT-34 / BT-49, the electronic address (an e-mail address).
        contact_name: BT-41 / BT-56, contact point.
        contact_phone: BT-42 / BT-57.
        contact_email: BT-43 / BT-58.
    """

    name: object
    street: object = None
    postcode: object = None
    city: object = None
    country: object = None
    vat_id: object = None
    tax_number: object = None
    legal_id: object = None
    email: object = None
    contact_name: object = None
    contact_phone: object = None
    contact_email: object = None

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _term("Party", f.name, getattr(self, f.name), required=f.name == "name"))

    def terms(self) -> dict:
        """term name -> value (None for the terms left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Lines:
    """The invoice lines (BG-25), one per item of a list column.

    Args:
        source: the list<struct> column holding the items, e.g. ``"items"``.
        name: BT-153, the item's name.
        quantity: BT-129, invoiced quantity (an integer or decimal field).
        net_amount: BT-131, the line's net amount (cents or a decimal).
        net_price: BT-146, the item's net price (cents or a decimal, up to 6 decimals).
        unit: BT-130, a UN/ECE Rec 20 unit code (``C62`` one, ``H87`` piece, ``HUR`` hour).
        vat_category: BT-151, a :data:`VAT_CATEGORIES` code.
        vat_rate: BT-152, the VAT rate in percent (``19``, ``Decimal("7")``); none for
            category O.
        id: BT-126, the line id (None: 1, 2, 3 ... in the list's order).
        description: BT-154, a longer text (EN 16931 and up).

    Inside ``Lines``, ``col("x")`` names the field ``x`` of the items' structs.
    """

    source: str
    name: object
    quantity: object
    net_amount: object
    net_price: object
    unit: object = "C62"
    vat_category: object = "S"
    vat_rate: object = None
    id: object = None
    description: object = None

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source:
            raise TemplateError(f"Lines: source must name a list column, not {self.source!r}")
        for name in ("name", "quantity", "net_amount", "net_price"):
            object.__setattr__(self, name, _term("Lines", name, getattr(self, name), required=True))
        for name in ("unit", "vat_rate", "id", "description"):
            object.__setattr__(self, name, _term("Lines", name, getattr(self, name)))
        object.__setattr__(
            self, "vat_category", _code("Lines", "vat_category", self.vat_category, VAT_CATEGORIES, required=True)
        )
        if self.vat_rate is None and self.vat_category not in ("O",) and not isinstance(self.vat_category, _Col):
            raise TemplateError(
                f"Lines: VAT category {self.vat_category} needs a vat_rate (BR-CO-04: every line has a "
                "VAT category and, but for category O, a rate)"
            )


@dataclass(frozen=True)
class Payment:
    """Payment instructions (BG-16).

    Args:
        means: BT-81, a payment means code, fixed for the job (58: SEPA credit transfer; see
            :data:`PAYMENT_MEANS`).
        iban: BT-84, the account to pay to (credit transfer) or debit (BT-91, direct debit).
        bic: BT-86, its bank's BIC.
        account_name: BT-85.
        reference: BT-83, remittance information (what the payer quotes).
        mandate: BT-89, the direct debit mandate reference.
        creditor_id: BT-90, the SEPA creditor identifier (direct debit).
    """

    means: object = "58"
    iban: object = None
    bic: object = None
    account_name: object = None
    reference: object = None
    mandate: object = None
    creditor_id: object = None

    def __post_init__(self):
        if isinstance(self.means, _Col):  # the XML's account group depends on it: one per job
            raise TemplateError("Payment: means takes a fixed code (58, 59, 30 ...), not a column")
        object.__setattr__(self, "means", _code("Payment", "means", self.means, PAYMENT_MEANS, required=True))
        for name in ("iban", "bic", "account_name", "reference", "mandate", "creditor_id"):
            object.__setattr__(self, name, _term("Payment", name, getattr(self, name)))


@dataclass(frozen=True)
class EInvoice:
    """What makes each document an EN 16931 e-invoice: the mapping from the data to the
    business terms, and the profile to write.

    A document with an ``einvoice`` is composed into one PDF/A-3 file per record, each
    carrying its invoice as UN/CEFACT CII XML (``factur-x.xml``, or ``xrechnung.xml`` for
    the XRechnung profile), in a folder named by the job's output. A record whose data
    breaks a rule the XML must meet is rejected with the rule's id (``[BR-CO-15] ...``).
    See ``docs/einvoice.md``.

    Args:
        profile: one of :data:`PROFILES`.
        number: BT-1, the invoice number.
        issue_date: BT-2.
        currency: BT-5, an ISO 4217 code (``EUR``).
        seller: BG-4, a :class:`Party`.
        buyer: BG-7, a :class:`Party`.
        lines: BG-25, the :class:`Lines`.
        type_code: BT-3 (380 invoice, 381 credit note, see :data:`TYPE_CODES`).
        buyer_reference: BT-10 (XRechnung: the buyer's Leitweg-ID, required).
        business_process: BT-23, the business process (XRechnung requires one; None
            there writes Peppol's billing process, ``urn:fdc:peppol.eu:2017:poacc:billing:01:1.0``).
        order_reference: BT-13, the buyer's order number.
        note: BT-22, a note on the invoice.
        delivery_date: BT-72, when the goods or services were delivered.
        period_start, period_end: BT-73 / BT-74, the invoicing period.
        due_date: BT-9, the payment due date.
        payment_terms: BT-20, the payment terms as text.
        payment: BG-16, a :class:`Payment`.
        line_total: BT-106, checked against the sum of the lines (BR-CO-10).
        vat_total: BT-110, checked against the VAT the lines' breakdown gives (BR-CO-14).
        grand_total: BT-112, checked against net plus VAT (BR-CO-15).
        paid: BT-113, the amount paid already.
        due_amount: BT-115, checked against the grand total less what was paid (BR-CO-16).
        exemption_reasons: VAT category -> BT-120, the text saying why a category other
            than S or Z is charged no VAT (required for E, AE, K, G and O).
        file_name: the name of the embedded XML (default ``factur-x.xml``; XRechnung
            ``xrechnung.xml``).
    """

    profile: str
    number: object
    issue_date: object
    seller: Party
    buyer: Party
    lines: Lines
    currency: object = "EUR"
    type_code: object = "380"
    buyer_reference: object = None
    business_process: object = None
    order_reference: object = None
    note: object = None
    delivery_date: object = None
    period_start: object = None
    period_end: object = None
    due_date: object = None
    payment_terms: object = None
    payment: Payment | None = None
    line_total: object = None
    vat_total: object = None
    grand_total: object = None
    paid: object = None
    due_amount: object = None
    exemption_reasons: dict = field(default_factory=dict)
    file_name: str | None = None

    def __post_init__(self):
        if not isinstance(self.profile, str) or self.profile.lower() not in PROFILES:
            raise TemplateError(f"EInvoice: profile {self.profile!r} is not one of {', '.join(PROFILES)}")
        object.__setattr__(self, "profile", self.profile.lower())
        for name, kind in (("seller", Party), ("buyer", Party), ("lines", Lines)):
            if not isinstance(getattr(self, name), kind):
                raise TemplateError(f"EInvoice: {name} must be a {kind.__name__}, not {getattr(self, name)!r}")
        if self.payment is not None and not isinstance(self.payment, Payment):
            raise TemplateError(f"EInvoice: payment must be a Payment, not {self.payment!r}")
        for name in ("number", "issue_date", "currency"):
            object.__setattr__(self, name, _term("EInvoice", name, getattr(self, name), required=True))
        object.__setattr__(self, "type_code", _code("EInvoice", "type_code", self.type_code, TYPE_CODES, required=True))
        for name in (
            "buyer_reference",
            "business_process",
            "order_reference",
            "note",
            "delivery_date",
            "period_start",
            "period_end",
            "due_date",
            "payment_terms",
            "line_total",
            "vat_total",
            "grand_total",
            "paid",
            "due_amount",
        ):
            object.__setattr__(self, name, _term("EInvoice", name, getattr(self, name)))
        if not isinstance(self.exemption_reasons, dict) or not all(
            k in VAT_CATEGORIES and isinstance(v, str) and v.strip() for k, v in self.exemption_reasons.items()
        ):
            raise TemplateError(
                "EInvoice: exemption_reasons must map VAT category codes "
                f"({', '.join(VAT_CATEGORIES)}) to non-empty texts, not {self.exemption_reasons!r}"
            )
        xml = self.file_name
        if xml is not None and (not isinstance(xml, str) or not xml.endswith(".xml") or "/" in xml):
            raise TemplateError(f"EInvoice: file_name must be a plain name ending in .xml, not {self.file_name!r}")
        if self.buyer.tax_number is not None:
            raise TemplateError("EInvoice: a buyer has no tax number term in EN 16931; give its vat_id or legal_id")
        self._check_profile()

    def _check_profile(self) -> None:
        """What the profile requires that a fixed mapping can already be seen to miss."""
        for who, party in (("seller", self.seller), ("buyer", self.buyer)):
            if party.country is None:
                raise TemplateError(f"EInvoice: the {who} needs a country (BR-09 / BR-11: its address has one)")
        if self.profile == "xrechnung":
            missing = [
                label
                for label, value in (
                    ("buyer_reference (BT-10, the Leitweg-ID; BR-DE-15)", self.buyer_reference),
                    ("payment (BG-16; BR-DE-1)", self.payment),
                    ("seller.city (BR-DE-3)", self.seller.city),
                    ("seller.postcode (BR-DE-4)", self.seller.postcode),
                    ("seller.contact_name (BT-41; BR-DE-5)", self.seller.contact_name),
                    ("seller.contact_phone (BT-42; BR-DE-6)", self.seller.contact_phone),
                    ("seller.contact_email (BT-43; BR-DE-7)", self.seller.contact_email),
                    ("buyer.city (BR-DE-8)", self.buyer.city),
                    ("buyer.postcode (BR-DE-9)", self.buyer.postcode),
                    ("seller.email (BT-34, the seller's electronic address; PEPPOL-EN16931-R020)", self.seller.email),
                    ("buyer.email (BT-49, the buyer's electronic address; PEPPOL-EN16931-R010)", self.buyer.email),
                )
                if value is None
            ]
            if missing:
                raise TemplateError(f"EInvoice: the xrechnung profile needs {'; '.join(missing)}")
        if self.payment is not None and self.payment.means in ("30", "58") and self.payment.iban is None:
            raise TemplateError(f"EInvoice: payment means {self.payment.means} needs an iban (BR-61)")

    @property
    def xml_name(self) -> str:
        """The embedded XML's name: ``file_name``, else ``xrechnung.xml`` for the XRechnung
        profile and ``factur-x.xml`` for the others."""
        if self.file_name is not None:
            return self.file_name
        return "xrechnung.xml" if self.profile == "xrechnung" else "factur-x.xml"

    @property
    def process(self):
        """BT-23: ``business_process``, else Peppol's billing process for XRechnung."""
        if self.business_process is None and self.profile == "xrechnung":
            return PEPPOL_BILLING
        return self.business_process

    def value_columns(self) -> set:
        """The columns (``items.field`` for a line's) read as numbers or dates, not text:
        how a CSV file's columns are typed for this mapping."""
        out = set()
        for name in ("issue_date", "delivery_date", "period_start", "period_end", "due_date"):
            out |= _named(getattr(self, name))
        for name in ("line_total", "vat_total", "grand_total", "paid", "due_amount"):
            out |= _named(getattr(self, name))
        for name in ("quantity", "net_amount", "net_price", "vat_rate"):
            out |= {f"{self.lines.source}.{c}" for c in _named(getattr(self.lines, name))}
        return out


def _named(value) -> set:
    return {value.name} if isinstance(value, _Col) else set()
