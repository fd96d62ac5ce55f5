"""The EN 16931 business rules an e-invoice's data must meet, checked over a whole batch,
and the sums the XML states (VAT breakdown, totals), computed exactly in cents.

A record that breaks a rule is rejected with the rule's id first in its reason
(``[BR-CO-15] grand total 118.00 is not the net total 100.00 plus VAT 19.00``), so the
print shop can look the rule up in EN 16931-1 (or the XRechnung rules, ``BR-DE-*``). Only
the failing records are worded, one at a time; the checks themselves are array
operations. The VAT of each category and rate is its basis times the rate, rounded half
away from zero to the cent, which is what the standard's rule BR-CO-17 states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .terms import VAT_CATEGORIES
from .values import decimal_text

__all__ = ["check", "Sums"]

_CODES = list(VAT_CATEGORIES)
_NO_RATE = _CODES.index("O")
#: categories charged no VAT, whose lines and breakdowns have the rate 0 (BR-Z-05 ...)
_ZERO_RATE = {_CODES.index(c) for c in ("Z", "E", "AE", "K", "G")}
#: categories whose breakdown states why no VAT is charged (BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10)
_REASONED = {_CODES.index(c): c for c in ("E", "AE", "K", "G", "O")}
#: the rule ids of each category's rate rule
_RATE_RULE = {"S": "BR-S-05", "Z": "BR-Z-05", "E": "BR-E-05", "AE": "BR-AE-05", "K": "BR-IC-05", "G": "BR-G-05"}
#: the rule ids of the seller's (and buyer's) identifiers each category needs
_ID_RULE = {"S": "BR-S-02", "Z": "BR-Z-02", "E": "BR-E-02", "AE": "BR-AE-02", "K": "BR-IC-02", "G": "BR-G-02"}

_MAX_BASIS = 9 * 10**12  # cents a breakdown's basis may reach before basis x rate overflows 64 bits


@dataclass
class Sums:
    """What the XML states beyond the data: per record its VAT breakdown and totals (cents).

    Attributes:
        group_record, group_category, group_rate: int64 (g,) per breakdown row: its record,
            its VAT category (index into VAT_CATEGORIES) and rate (percent x 10**4).
        group_basis, group_tax: int64 (g,) its taxable amount and VAT.
        group_counts: int64 (n,) breakdown rows per record.
        line_total, vat_total, grand_total, paid, due: int64 (n,).
    """

    group_record: np.ndarray
    group_category: np.ndarray
    group_rate: np.ndarray
    group_basis: np.ndarray
    group_tax: np.ndarray
    group_counts: np.ndarray
    line_total: np.ndarray
    vat_total: np.ndarray
    grand_total: np.ndarray
    paid: np.ndarray
    due: np.ndarray


def _money(cents: int) -> str:
    return decimal_text(np.array([cents]), 2)[0].as_py()


class _Breaks:
    """The records rejected so far, each with the first rule it broke."""

    def __init__(self, n: int):
        self.n = n
        self.found: dict[int, tuple[str, str]] = {}

    def add(self, mask: np.ndarray, field: str, rule: str, reason) -> None:
        """Reject the records of ``mask`` not rejected yet; ``reason(row)`` words each."""
        for row in np.flatnonzero(mask).tolist():
            if row not in self.found:
                self.found[row] = (field, f"[{rule}] {reason(row) if callable(reason) else reason}")

    def lines(self, lines, mask: np.ndarray, field: str, rule: str, reason) -> None:
        """Reject the records with a line in ``mask``; ``reason(line)`` words the first."""
        if not mask.any():
            return
        rows, first = np.unique(lines.record[mask], return_index=True)
        at = np.flatnonzero(mask)[first]
        line_of = dict(zip(rows.tolist(), at.tolist()))
        hit = np.zeros(self.n, dtype=bool)
        hit[rows] = True
        self.add(hit, field, rule, lambda row: f"line {int(lines.number[line_of[row]])}: {reason(line_of[row])}")


def check(compiled, n, lines, text, amounts, line_text, line_num, categories):
    """Check the batch's records; compute their breakdowns and totals.

    Returns:
        ({row: (field, reason)} of the records rejected, :class:`Sums`).
    """
    e = compiled.einvoice
    breaks = _Breaks(n)
    terms = compiled.terms

    # ---------------------------------------------------------------- values that are missing or cannot be written
    for path, term in terms.items():
        value = text.get(path) if path in text else amounts[path]
        if value.bad.any():
            what = "holds a control character, which XML cannot carry" if path in text else "has more than 2 decimals"
            breaks.add(value.bad, term.column or path, "BR-DEC" if path not in text else "XML", f"{term.bt} {what}")
        if term.rule is not None and term.source is not None:
            breaks.add(value.null, term.column or path, term.rule, f"{term.bt} ({path}) is missing")
    if compiled.profile == "xrechnung":
        for path, rule in (
            ("buyer_reference", "BR-DE-15"),
            ("seller.city", "BR-DE-3"),
            ("seller.postcode", "BR-DE-4"),
            ("seller.contact_name", "BR-DE-5"),
            ("seller.contact_phone", "BR-DE-6"),
            ("seller.contact_email", "BR-DE-7"),
            ("buyer.city", "BR-DE-8"),
            ("buyer.postcode", "BR-DE-9"),
            ("seller.email", "PEPPOL-EN16931-R020"),
            ("buyer.email", "PEPPOL-EN16931-R010"),
        ):
            t = terms[path]
            breaks.add(text[path].null, t.column or path, rule, f"{t.bt} ({path}) is missing; XRechnung requires it")
    for path in ("seller.country", "buyer.country"):
        values = text[path].values
        if values is not None:
            bad = _not_matching(values, "^[A-Z]{2}$") & ~text[path].null
            breaks.add(bad, terms[path].column, "BR-CL-14", f"{terms[path].bt} is not an ISO 3166-1 alpha-2 code")
    if text["currency"].values is not None:
        bad = _not_matching(text["currency"].values, "^[A-Z]{3}$") & ~text["currency"].null
        breaks.add(bad, terms["currency"].column, "BR-CL-04", "BT-5 is not an ISO 4217 currency code")
    for path in ("seller.vat_id", "buyer.vat_id"):
        values = text[path].values
        if values is not None:
            bad = _not_matching(values, "^[A-Z]{2}[0-9A-Za-z+*.]{2,}$") & ~text[path].null
            breaks.add(bad, terms[path].column, "BR-CO-09", f"{terms[path].bt} does not start with a country prefix")

    # ---------------------------------------------------------------- lines
    breaks.add(lines.counts == 0, e.lines.source, "BR-16", "the invoice has no line")
    for name, term in compiled.line_terms.items():
        value = line_text.get(name) or line_num.get(name)
        if value.bad.any():
            what = "holds a control character, which XML cannot carry" if name in line_text else "has too many decimals"
            rule = "XML" if name in line_text else "BR-DEC-23" if name == "net_amount" else "BR-DEC"
            breaks.lines(
                lines,
                value.bad,
                f"{e.lines.source}.{term.column or name}",
                rule,
                lambda i, w=what, t=term: f"{t.bt} {w}",
            )
        if term.rule is not None and term.source is not None:
            breaks.lines(
                lines,
                value.null,
                f"{e.lines.source}.{term.column or name}",
                term.rule,
                lambda i, t=term: f"{t.bt} ({t.path}) is missing",
            )
    amount = line_num["net_amount"].values
    price = line_num["net_price"]
    breaks.lines(
        lines,
        price.values < 0,
        f"{e.lines.source}.{compiled.line_terms['net_price'].column}",
        "BR-27",
        lambda i: "the net price (BT-146) is negative",
    )
    cat_field = f"{e.lines.source}.{compiled.line_terms['vat_category'].column or 'vat_category'}"
    unknown = (categories < 0) & ~line_text["vat_category"].null
    breaks.lines(lines, unknown, cat_field, "BR-CL-18", lambda i: f"the VAT category is not one of {', '.join(_CODES)}")
    rate = line_num["vat_rate"]
    rate_field = f"{e.lines.source}.{compiled.line_terms['vat_rate'].column or 'vat_rate'}"
    has_rate = ~rate.null
    for code, rule in _RATE_RULE.items():
        of = categories == _CODES.index(code)
        if code == "S":
            wrong = of & (~has_rate | (rate.values <= 0))
            why = "category S needs a VAT rate above 0"
        else:
            wrong = of & (~has_rate | (rate.values != 0))
            why = f"category {code} needs the VAT rate 0"
        breaks.lines(lines, wrong, rate_field, rule, lambda i, w=why: w)
    no_rate = (categories == _NO_RATE) & has_rate
    breaks.lines(lines, no_rate, rate_field, "BR-O-05", lambda i: "category O (not subject to VAT) has no VAT rate")
    for idx, code in _REASONED.items():
        if code not in e.exemption_reasons:
            breaks.lines(
                lines,
                categories == idx,
                cat_field,
                f"BR-{'IC' if code == 'K' else code}-10",
                lambda i, c=code: f"category {c} needs exemption_reasons[{c!r}] in the template (BT-120)",
            )

    # ---------------------------------------------------------------- the VAT breakdown
    rate4 = np.where(has_rate, rate.values, 0)
    order = np.lexsort((rate4, categories, lines.record))
    rec_s, cat_s, rate_s, amt_s = lines.record[order], categories[order], rate4[order], amount[order]
    if len(order):
        new = np.ones(len(order), dtype=bool)
        new[1:] = (rec_s[1:] != rec_s[:-1]) | (cat_s[1:] != cat_s[:-1]) | (rate_s[1:] != rate_s[:-1])
        starts = np.flatnonzero(new)
        basis = np.add.reduceat(amt_s, starts)
        g_rec, g_cat, g_rate = rec_s[starts], cat_s[starts], rate_s[starts]
    else:
        basis = g_rec = g_cat = g_rate = np.zeros(0, np.int64)
    big = np.abs(basis) > _MAX_BASIS
    breaks.add(np.isin(np.arange(n), g_rec[big]), e.lines.source, "BR-CO-17", "a VAT basis beyond 90 billion")
    basis_safe = np.where(big, 0, basis)
    product = basis_safe * g_rate  # cents x percent x 10**4
    tax = np.sign(product) * ((np.abs(product) + 500_000) // 1_000_000)
    group_counts = np.bincount(g_rec, minlength=n).astype(np.int64)
    line_total = np.zeros(n, np.int64)
    np.add.at(line_total, lines.record, amount)
    vat_total = np.zeros(n, np.int64)
    np.add.at(vat_total, g_rec, tax)

    # ---------------------------------------------------------------- who may charge what
    used = {code: np.isin(np.arange(n), lines.record[categories == _CODES.index(code)]) for code in _ID_RULE}
    seller_vat = ~text["seller.vat_id"].null
    seller_tax = ~text["seller.tax_number"].null
    buyer_vat = ~text["buyer.vat_id"].null
    buyer_legal = ~text["buyer.legal_id"].null
    for code, rule in _ID_RULE.items():
        if code in ("S", "Z", "E"):
            wrong = used[code] & ~(seller_vat | seller_tax)
            why = f"lines of category {code} need the seller's VAT id (BT-31) or tax number (BT-32)"
        elif code == "AE":
            wrong = used[code] & ~(seller_vat & (buyer_vat | buyer_legal))
            why = "reverse charge (AE) needs the seller's VAT id and the buyer's VAT id or legal id"
        elif code == "K":
            wrong = used[code] & ~(seller_vat & buyer_vat)
            why = "an intra-community supply (K) needs the seller's and the buyer's VAT ids"
        else:
            wrong = used[code] & ~seller_vat
            why = "an export (G) needs the seller's VAT id"
        breaks.add(wrong, "einvoice", rule, why)
    o_used = np.isin(np.arange(n), lines.record[categories == _NO_RATE])
    breaks.add(
        o_used & (seller_vat | buyer_vat),
        "einvoice",
        "BR-O-02",
        "an invoice with lines not subject to VAT (O) states neither the seller's nor the buyer's VAT id",
    )

    # ---------------------------------------------------------------- totals the data states
    paid_v = amounts["paid"]
    paid = np.where(paid_v.null, 0, paid_v.values)
    grand = line_total + vat_total
    due = grand - paid
    for path, computed, rule, why in (
        ("line_total", line_total, "BR-CO-10", "the sum of the lines' net amounts is {c}, the data says {d}"),
        ("vat_total", vat_total, "BR-CO-14", "the VAT of the lines' categories and rates is {c}, the data says {d}"),
        ("grand_total", grand, "BR-CO-15", "net total plus VAT is {c}, the data's grand total is {d}"),
        ("due_amount", due, "BR-CO-16", "grand total less the amount paid is {c}, the data's amount due is {d}"),
    ):
        given = amounts[path]
        if terms[path].source is None:
            continue
        breaks.add(given.null, terms[path].column or path, rule, f"{terms[path].bt} ({path}) is missing")
        wrong = ~given.null & (given.values != computed)
        if wrong.any():
            breaks.add(
                wrong,
                terms[path].column or path,
                rule,
                lambda row, c=computed, d=given.values, w=why: w.format(c=_money(int(c[row])), d=_money(int(d[row]))),
            )
    no_terms = text["due_date"].null & text["payment_terms"].null
    breaks.add(
        (due > 0) & no_terms,
        "einvoice",
        "BR-CO-25",
        "an amount is due, so the due date (BT-9) or payment terms (BT-20) are needed",
    )
    means = text["payment.means"]
    if terms["payment.iban"].source is not None and terms["payment.iban"].column is not None:
        iban = text["payment.iban"]
        wants = np.full(n, means.fixed in ("30", "58"))  # the means is fixed (terms.Payment)
        breaks.add(wants & iban.null, terms["payment.iban"].column, "BR-61", "credit transfer needs the IBAN (BT-84)")
        _check_ibans(breaks, iban, terms["payment.iban"].column)

    sums = Sums(g_rec, g_cat, g_rate, basis, tax, group_counts, line_total, vat_total, grand, paid, due)
    return breaks.found, sums


def _not_matching(values, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    hit = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    return ~np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _check_ibans(breaks: _Breaks, iban, column: str) -> None:
    """Reject the records whose IBAN's check digits are wrong (each distinct value checked once)."""
    from .compiled import iban_ok

    values = iban.values.to_pylist()
    bad_values = {v for v in set(values) if v is not None and not iban_ok(v)}
    if bad_values:
        bad = np.array([v in bad_values for v in values], dtype=bool)
        breaks.add(bad, column, "BR-61", lambda row: f"{values[row]!r} is not a valid IBAN (check digits)")
