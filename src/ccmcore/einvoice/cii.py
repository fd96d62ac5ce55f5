"""UN/CEFACT Cross Industry Invoice (CII, D16B as Factur-X 1.0 and XRechnung use it) XML
for a batch of records, joined from column-wide pieces.

Each element is text put together for every record at once: fixed markup, escaped column
values and amounts written from exact cents; an optional element whose value is missing
is left out of that record only. Lines and VAT breakdown rows are made the same way over
all lines of the batch and then joined per record. Elements come in the order the CII
schema requires; what a profile does not allow (a line's description in BASIC) is not
written for it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .terms import VAT_CATEGORIES
from .values import decimal_text, xml_text

__all__ = ["cii_documents", "GUIDELINES", "CONFORMANCE_LEVELS"]

#: BT-24, the specification identifier, per profile
GUIDELINES = {
    "basic": "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "en16931": "urn:cen.eu:en16931:2017",
    "extended": "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
}

#: the ``fx:ConformanceLevel`` of the PDF's XMP metadata, per profile
CONFORMANCE_LEVELS = {"basic": "BASIC", "en16931": "EN 16931", "extended": "EXTENDED", "xrechnung": "XRECHNUNG"}

#: how much of EN 16931 each profile carries (BASIC leaves some optional terms out)
_RANK = {"basic": 0, "en16931": 1, "xrechnung": 1, "extended": 2}

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"'
    ' xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"'
    ' xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"'
    ' xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">\n'
)
_CODES = list(VAT_CATEGORIES)


class _Pieces:
    """Text for ``n`` rows at once: fixed strings and arrays, joined at the end."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list = []

    def add(self, piece) -> None:
        if isinstance(piece, str) and self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] += piece
        else:
            self.parts.append(piece)

    def value(self, open_: str, text, close: str) -> None:
        """``open_ value close`` in the rows that have the value (a Text or an array)."""
        if text is None:
            return
        fixed = getattr(text, "fixed", None)
        if fixed is not None:
            self.add(open_ + fixed + close)
            return
        values = getattr(text, "values", text)
        if values is None:
            return
        joined = pc.binary_join_element_wise(open_, values.cast(pa.string()), close, "")
        null = getattr(text, "null", None)
        if null is not None and null.any():
            joined = pc.if_else(pa.array(~null), joined, "")
        self.add(pc.fill_null(joined, ""))

    def joined(self) -> pa.Array:
        if all(isinstance(p, str) for p in self.parts):
            return pa.array(["".join(self.parts)] * self.n, pa.large_string())
        large = pa.large_string()
        parts = [pa.scalar(p, large) if isinstance(p, str) else p.cast(large) for p in self.parts]
        return pc.binary_join_element_wise(*parts, pa.scalar("", large))


def _per_record(values: pa.Array, counts: np.ndarray) -> pa.Array:
    """Rows of ``values`` joined per record, ``counts[r]`` rows for record r, in order."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values.cast(pa.large_string()))
    return pc.binary_join(lists, pa.scalar("", pa.large_string()))


def _date(open_: str, close: str) -> tuple[str, str]:
    return open_ + '<udt:DateTimeString format="102">', "</udt:DateTimeString>" + close


def cii_documents(compiled, n, lines, text, line_text, line_num, categories, sums) -> pa.Array:
    """One CII document per record of the batch (large_string)."""
    rank = _RANK[compiled.profile]
    e = compiled.einvoice
    x = _Pieces(n)
    x.add(_HEAD)
    x.add("<rsm:ExchangedDocumentContext>")
    x.value(
        "<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>",
        text["business_process"],
        "</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>",
    )
    x.add(
        "<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>"
        f"{GUIDELINES[compiled.profile]}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>"
        "</rsm:ExchangedDocumentContext>\n<rsm:ExchangedDocument>"
    )
    x.value("<ram:ID>", text["number"], "</ram:ID>")
    x.value("<ram:TypeCode>", text["type_code"], "</ram:TypeCode>")
    open_, close = _date("<ram:IssueDateTime>", "</ram:IssueDateTime>")
    x.value(open_, text["issue_date"], close)
    x.value("<ram:IncludedNote><ram:Content>", text["note"], "</ram:Content></ram:IncludedNote>")
    x.add("</rsm:ExchangedDocument>\n<rsm:SupplyChainTradeTransaction>\n")
    x.add(_per_record(_line_items(compiled, rank, lines, line_text, line_num, categories), lines.counts))

    # -------------------------------------------------------------- agreement: buyer reference, parties, order
    x.add("<ram:ApplicableHeaderTradeAgreement>")
    x.value("<ram:BuyerReference>", text["buyer_reference"], "</ram:BuyerReference>")
    _party(x, "Seller", "seller", text, rank)
    _party(x, "Buyer", "buyer", text, rank)
    x.value(
        "<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>",
        text["order_reference"],
        "</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>",
    )
    x.add("</ram:ApplicableHeaderTradeAgreement>\n<ram:ApplicableHeaderTradeDelivery>")
    open_, close = _date(
        "<ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>",
        "</ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>",
    )
    x.value(open_, text["delivery_date"], close)
    x.add("</ram:ApplicableHeaderTradeDelivery>\n<ram:ApplicableHeaderTradeSettlement>")

    # -------------------------------------------------------------- settlement
    x.value("<ram:CreditorReferenceID>", text["payment.creditor_id"], "</ram:CreditorReferenceID>")
    x.value("<ram:PaymentReference>", text["payment.reference"], "</ram:PaymentReference>")
    x.value("<ram:InvoiceCurrencyCode>", text["currency"], "</ram:InvoiceCurrencyCode>")
    if e.payment is not None:
        _payment_means(x, e.payment, text, rank)
    x.add(_per_record(_breakdown(e, sums), sums.group_counts))
    if e.period_start is not None or e.period_end is not None:
        x.add("<ram:BillingSpecifiedPeriod>")
        open_, close = _date("<ram:StartDateTime>", "</ram:StartDateTime>")
        x.value(open_, text["period_start"], close)
        open_, close = _date("<ram:EndDateTime>", "</ram:EndDateTime>")
        x.value(open_, text["period_end"], close)
        x.add("</ram:BillingSpecifiedPeriod>")
    if e.payment_terms is not None or e.due_date is not None or (e.payment is not None and e.payment.mandate):
        x.add("<ram:SpecifiedTradePaymentTerms>")
        x.value("<ram:Description>", text["payment_terms"], "</ram:Description>")
        open_, close = _date("<ram:DueDateDateTime>", "</ram:DueDateDateTime>")
        x.value(open_, text["due_date"], close)
        x.value("<ram:DirectDebitMandateID>", text["payment.mandate"], "</ram:DirectDebitMandateID>")
        x.add("</ram:SpecifiedTradePaymentTerms>")
    x.add("<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>")
    x.add(decimal_text(sums.line_total, 2))
    x.add("</ram:LineTotalAmount><ram:TaxBasisTotalAmount>")
    x.add(decimal_text(sums.line_total, 2))
    x.add("</ram:TaxBasisTotalAmount>")
    x.value('<ram:TaxTotalAmount currencyID="', text["currency"], '">')
    x.add(decimal_text(sums.vat_total, 2))
    x.add("</ram:TaxTotalAmount><ram:GrandTotalAmount>")
    x.add(decimal_text(sums.grand_total, 2))
    x.add("</ram:GrandTotalAmount>")
    if e.paid is not None:
        x.value("<ram:TotalPrepaidAmount>", decimal_text(sums.paid, 2), "</ram:TotalPrepaidAmount>")
    x.add("<ram:DuePayableAmount>")
    x.add(decimal_text(sums.due, 2))
    x.add(
        "</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>\n"
        "</ram:ApplicableHeaderTradeSettlement>\n</rsm:SupplyChainTradeTransaction>\n</rsm:CrossIndustryInvoice>\n"
    )
    return x.joined()


def _party(x: _Pieces, role: str, who: str, text: dict, rank: int) -> None:
    x.add(f"<ram:{role}TradeParty>")
    x.value("<ram:Name>", text[f"{who}.name"], "</ram:Name>")
    x.value(
        "<ram:SpecifiedLegalOrganization><ram:ID>",
        text[f"{who}.legal_id"],
        "</ram:ID></ram:SpecifiedLegalOrganization>",
    )
    if rank >= 1:
        contact = [text[f"{who}.contact_{k}"] for k in ("name", "phone", "email")]
        if any(c.fixed is not None or c.values is not None for c in contact):
            x.add("<ram:DefinedTradeContact>")
            x.value("<ram:PersonName>", contact[0], "</ram:PersonName>")
            x.value(
                "<ram:TelephoneUniversalCommunication><ram:CompleteNumber>",
                contact[1],
                "</ram:CompleteNumber></ram:TelephoneUniversalCommunication>",
            )
            x.value(
                "<ram:EmailURIUniversalCommunication><ram:URIID>",
                contact[2],
                "</ram:URIID></ram:EmailURIUniversalCommunication>",
            )
            x.add("</ram:DefinedTradeContact>")
    x.add("<ram:PostalTradeAddress>")
    x.value("<ram:PostcodeCode>", text[f"{who}.postcode"], "</ram:PostcodeCode>")
    x.value("<ram:LineOne>", text[f"{who}.street"], "</ram:LineOne>")
    x.value("<ram:CityName>", text[f"{who}.city"], "</ram:CityName>")
    x.value("<ram:CountryID>", text[f"{who}.country"], "</ram:CountryID>")
    x.add("</ram:PostalTradeAddress>")
    x.value(
        '<ram:URIUniversalCommunication><ram:URIID schemeID="EM">',
        text[f"{who}.email"],
        "</ram:URIID></ram:URIUniversalCommunication>",
    )
    x.value(
        '<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">',
        text[f"{who}.vat_id"],
        "</ram:ID></ram:SpecifiedTaxRegistration>",
    )
    if who == "seller":
        x.value(
            '<ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">',
            text["seller.tax_number"],
            "</ram:ID></ram:SpecifiedTaxRegistration>",
        )
    x.add(f"</ram:{role}TradeParty>")


def _payment_means(x: _Pieces, payment, text: dict, rank: int) -> None:
    x.add("<ram:SpecifiedTradeSettlementPaymentMeans>")
    x.value("<ram:TypeCode>", text["payment.means"], "</ram:TypeCode>")
    debit = text["payment.means"].fixed in ("49", "59")
    if debit:
        x.value(
            "<ram:PayerPartyDebtorFinancialAccount><ram:IBANID>",
            text["payment.iban"],
            "</ram:IBANID></ram:PayerPartyDebtorFinancialAccount>",
        )
    elif payment.iban is not None:
        x.add("<ram:PayeePartyCreditorFinancialAccount>")
        x.value("<ram:IBANID>", text["payment.iban"], "</ram:IBANID>")
        if rank >= 1:
            x.value("<ram:AccountName>", text["payment.account_name"], "</ram:AccountName>")
        x.add("</ram:PayeePartyCreditorFinancialAccount>")
        if rank >= 1:
            x.value(
                "<ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>",
                text["payment.bic"],
                "</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>",
            )
    x.add("</ram:SpecifiedTradeSettlementPaymentMeans>")


def _line_items(compiled, rank, lines, line_text, line_num, categories) -> pa.Array:
    m = len(lines.record)
    y = _Pieces(m)
    y.add("<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>")
    if compiled.line_terms["id"].source is None:
        y.add(pa.array(lines.number).cast(pa.string()))
        y.add("</ram:LineID>")
    else:
        y.value("", line_text["id"], "")
        y.add("</ram:LineID>")
    y.add("</ram:AssociatedDocumentLineDocument><ram:SpecifiedTradeProduct>")
    y.value("<ram:Name>", line_text["name"], "</ram:Name>")
    if rank >= 1:
        y.value("<ram:Description>", line_text["description"], "</ram:Description>")
    y.add(
        "</ram:SpecifiedTradeProduct><ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>"
    )
    price = line_num["net_price"]
    y.add(decimal_text(price.values, price.scale, trim=True) if m else pa.array([], pa.string()))
    y.add(
        "</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>"
        '<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="'
    )
    y.value("", line_text["unit"], "")
    y.add('">')
    quantity = line_num["quantity"]
    y.add(decimal_text(quantity.values, quantity.scale, trim=True) if m else pa.array([], pa.string()))
    y.add(
        "</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery><ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>"
    )
    codes = np.array(_CODES + [""], dtype=object)[categories]
    y.add(pa.array(codes, pa.string()))
    y.add("</ram:CategoryCode>")
    rate = line_num["vat_rate"]
    y.value(
        "<ram:RateApplicablePercent>",
        _Shown(decimal_text(rate.values, rate.scale, trim=True), rate.null),
        "</ram:RateApplicablePercent>",
    )
    y.add("</ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>")
    y.add(decimal_text(line_num["net_amount"].values, 2))
    y.add(
        "</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>\n"
    )
    return y.joined()


class _Shown:
    """Computed text with the rows that show nothing."""

    fixed = None

    def __init__(self, values: pa.Array, null: np.ndarray):
        self.values = values
        self.null = null


def _breakdown(e, sums) -> pa.Array:
    g = len(sums.group_record)
    z = _Pieces(g)
    z.add("<ram:ApplicableTradeTax><ram:CalculatedAmount>")
    z.add(decimal_text(sums.group_tax, 2))
    z.add("</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>")
    reasons = [""] * len(_CODES)
    for code, reason in e.exemption_reasons.items():
        escaped, _ = xml_text(pa.array([reason]))
        reasons[_CODES.index(code)] = f"<ram:ExemptionReason>{escaped[0].as_py()}</ram:ExemptionReason>"
    z.add(pa.array(np.array(reasons + [""], dtype=object)[sums.group_category], pa.string()))
    z.add("<ram:BasisAmount>")
    z.add(decimal_text(sums.group_basis, 2))
    z.add("</ram:BasisAmount><ram:CategoryCode>")
    z.add(pa.array(np.array(_CODES + [""], dtype=object)[sums.group_category], pa.string()))
    z.add("</ram:CategoryCode>")
    no_rate = sums.group_category == _CODES.index("O")
    z.value(
        "<ram:RateApplicablePercent>",
        _Shown(decimal_text(sums.group_rate, 4, trim=True), no_rate),
        "</ram:RateApplicablePercent>",
    )
    z.add("</ram:ApplicableTradeTax>")
    return z.joined()
