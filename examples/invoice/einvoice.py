"""The invoice job as German e-invoices: each invoice a PDF/A-3 file with its EN 16931 XML.

The same telecom invoice in German, with VAT (19 %) and the totals an e-invoice states,
and an ``EInvoice`` mapping of the data to the business terms. Compose it with

    python examples/invoice/run.py --einvoice --docs 1000 -o out/rechnungen

which writes ``out/rechnungen/INV-2026-00000000.pdf`` ... (one PDF/A-3b per invoice, each
carrying ``factur-x.xml``, profile EN 16931) and the manifest beside the folder. The data
are the standard invoice job's, made German by :func:`german`: an ISO country code, VAT
and gross totals, the buyer's e-mail address. ``PROFILE=xrechnung`` (or ``basic``,
``extended``) in the environment writes another profile.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ccmcore import (
    A4,
    Column,
    Document,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Style,
    Table,
    Text,
    col,
    date,
    din5008_address,
    din5008_info_block,
    mm,
    money,
    number,
)
from ccmcore.einvoice import EInvoice, Lines, Party, Payment

PAGE_W, PAGE_H = A4
MARGIN = mm(20)
WIDTH = PAGE_W - 2 * MARGIN
FOOTER_Y = PAGE_H - mm(14)

VAT_RATE = 19  # percent, on every line

body = Style(size=9.5, leading=12.5)
small = Style(size=7, leading=9)
cell = Style(size=8.5, leading=10.5)
strong = cell.but(bold=True, size=9)

#: ISO 3166-1 codes of the countries the standard invoice data holds
COUNTRY_CODES = {
    "Germany": "DE",
    "France": "FR",
    "Poland": "PL",
    "Spain": "ES",
    "Denmark": "DK",
    "Sweden": "SE",
    "Switzerland": "CH",
    "Austria": "AT",
    "Ireland": "IE",
    "United Kingdom": "GB",
    "Netherlands": "NL",
    "Italy": "IT",
    "Czechia": "CZ",
    "Serbia": "RS",
    "Portugal": "PT",
}


def german(table: pa.Table) -> pa.Table:
    """The standard invoice data with what a German e-invoice needs besides: the buyer's
    country code and e-mail address, the VAT (19 % of the net total, rounded half up to
    the cent) and the gross total."""
    net = table.column("total_cents").to_numpy()
    vat = (net * VAT_RATE + 50) // 100
    codes = pc.fill_null(pc.index_in(table.column("country"), value_set=pa.array(list(COUNTRY_CODES))), -1).to_numpy()
    if (codes < 0).any():
        raise ValueError("a country without an ISO code in COUNTRY_CODES")
    country_code = pa.array(np.array(list(COUNTRY_CODES.values()))[codes])
    email = pc.binary_join_element_wise(pc.utf8_lower(table.column("customer_id")), "@kunden.example", "")
    return (
        table.append_column("country_code", country_code)
        .append_column("email", email)
        .append_column("vat_cents", pa.array(vat))
        .append_column("gross_cents", pa.array(net + vat))
    )


einvoice = EInvoice(
    os.environ.get("PROFILE", "en16931"),
    number=col("invoice_no"),
    issue_date=col("invoice_date"),
    delivery_date=col("invoice_date"),
    buyer_reference=col("customer_id"),
    seller=Party(
        "Northwind Telecom GmbH",
        street="Hafenstraße 1",
        postcode="20457",
        city="Hamburg",
        country="DE",
        vat_id="DE123456789",
        email="rechnung@northwind.example",
        contact_name="Kundenservice",
        contact_phone="+49 40 1234567",
        contact_email="service@northwind.example",
    ),
    buyer=Party(
        col("name"),
        street=col("street"),
        postcode=col("postcode"),
        city=col("city"),
        country=col("country_code"),
        email=col("email"),
    ),
    lines=Lines(
        "items",
        name=col("description"),
        quantity=col("quantity"),
        unit="C62",
        net_price=col("unit_price_cents"),
        net_amount=col("amount_cents"),
        vat_category="S",
        vat_rate=VAT_RATE,
    ),
    payment=Payment("58", iban="DE02120300000000202051", bic="BYLADEM1001", account_name="Northwind Telecom GmbH"),
    payment_terms="Zahlbar innerhalb von 30 Tagen ohne Abzug.",
    line_total=col("total_cents"),
    vat_total=col("vat_cents"),
    grand_total=col("gross_cents"),
    due_amount=col("gross_cents"),
)

footer = Text(
    "Seite {page} von {pages}",
    x=MARGIN,
    y=FOOTER_Y,
    width=WIDTH,
    style=Style(size=8, align="center", color="#444444"),
    name="footer",
)

first_page = PageTemplate(
    "first",
    body=Frame(MARGIN, mm(100), WIDTH, FOOTER_Y - mm(4) - mm(100)),
    content=[
        Text("Northwind Telecom GmbH", x=MARGIN, y=MARGIN, style=Style(size=16, bold=True), name="sender"),
        *din5008_address(
            ["name", "street", "{postcode} {city}", "country"],
            return_line="Northwind Telecom GmbH · Hafenstraße 1 · 20457 Hamburg",
            form="B",
            style=body,
            return_style=small.but(size=6.5, leading=8),
        ),
        *din5008_info_block(
            [
                ("Kundennummer", "{customer_id}"),
                ("Rechnungsnummer", "{invoice_no}"),
                ("Rechnungsdatum", "{invoice_date}"),
            ],
            form="B",
            style=cell,
        ),
        footer,
    ],
)

next_page = PageTemplate("next", body=Frame(MARGIN, MARGIN, WIDTH, FOOTER_Y - mm(4) - MARGIN), content=[footer])

document = Document(
    name="rechnung",
    page_size=A4,
    first=first_page,
    next=next_page,
    style=body,
    formats={
        "invoice_date": date("%d.%m.%Y"),
        "items.date": date("%d.%m.%Y"),
        "items.quantity": number(decimal=",", group="."),
        "items.unit_price_cents": money(decimal=",", group="."),
        "items.amount_cents": money(decimal=",", group="."),
        "total_cents": money(decimal=",", group="."),
        "vat_cents": money(decimal=",", group="."),
        "gross_cents": money(decimal=",", group="."),
    },
    required=["customer_id", "invoice_no"],
    einvoice=einvoice,
    flow=[
        Paragraph(
            "Rechnung {invoice_no}", Style(size=14, bold=True, leading=18, space_after=4), name="heading", role="H1"
        ),
        Paragraph("Kundennummer {customer_id} · Rechnungsdatum {invoice_date}", body.but(color="#444444"), name="meta"),
        Spacer(mm(6)),
        Paragraph("Guten Tag {name},", body.but(space_after=4), name="greeting"),
        Paragraph(
            "vielen Dank, dass Sie Northwind Telecom gewählt haben. Diese Rechnung führt die Leistungen "
            "und Verbindungen des Abrechnungszeitraums einzeln auf. Der Gesamtbetrag ist innerhalb von "
            "30 Tagen ohne Abzug zu zahlen; bitte geben Sie bei der Zahlung die Rechnungsnummer an. "
            "Diese Rechnung enthält ihre Daten als elektronische Rechnung nach EN 16931.",
            body.but(align="justify", space_after=8),
            name="intro",
        ),
        Table(
            "items",
            [
                Column("Datum", "date", mm(22)),
                Column("Leistung", "description", mm(88)),
                Column("Menge", "quantity", mm(12), align="right"),
                Column("Einzelpreis EUR", "unit_price_cents", mm(24), align="right"),
                Column("Betrag EUR", "amount_cents", mm(24), align="right"),
            ],
            style=cell,
            total=["", "Summe netto EUR", "", "", "{total_cents}"],
            total_style=strong,
            header_rule=mm(0.3),
            total_rule=mm(0.3),
            padding_y=mm(0.4),
            space_after=4,
            name="items",
        ),
        Paragraph(f"Umsatzsteuer {VAT_RATE} % EUR: {{vat_cents}}", cell.but(align="right"), name="vat"),
        Paragraph("Rechnungsbetrag EUR: {gross_cents}", strong.but(align="right", space_after=8), name="gross"),
        Paragraph(
            "Bitte überweisen Sie den Rechnungsbetrag auf das Konto IBAN DE02 1203 0000 0000 2020 51, "
            "BIC BYLADEM1001. USt-IdNr. DE123456789.",
            body,
            name="payment",
        ),
    ],
)
