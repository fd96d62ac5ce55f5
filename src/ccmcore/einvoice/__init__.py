"""E-invoices: EN 16931 invoices as UN/CEFACT CII XML inside PDF/A-3 files (Factur-X and
ZUGFeRD profiles BASIC, EN 16931 and EXTENDED; the German XRechnung CIUS).

A template maps the data to the business terms with :class:`EInvoice`
(``Document(einvoice=EInvoice(...))``); the job then writes one PDF/A-3 file per record,
each carrying its invoice's XML, and rejects a record whose data breaks a rule the XML
must meet, naming the rule. See ``docs/einvoice.md``.
"""

from .terms import PAYMENT_MEANS, PROFILES, TYPE_CODES, VAT_CATEGORIES, EInvoice, Lines, Party, Payment

__all__ = ["EInvoice", "Party", "Lines", "Payment", "PROFILES", "VAT_CATEGORIES", "TYPE_CODES", "PAYMENT_MEANS"]
