"""The standard invoice job: a telecom invoice, A4 portrait, one document per customer row.

Compose it with the CLI:

    ccm compose examples/invoice/template.py invoices.parquet -o invoices.pdf

or from Python: ``ccmcore.compose(document, data, "invoices.pdf")``. The data's columns
are those of ``examples/invoice/generate.py``. Amounts are in euros (the data's cents
columns); the column headers and the total say so. The address window and the information
block follow DIN 5008 form B (``ccmcore.din5008``).
"""

from ccmcore import (
    A4,
    Column,
    Document,
    Frame,
    PageTemplate,
    Paragraph,
    Rect,
    Spacer,
    Style,
    Table,
    Text,
    When,
    col,
    date,
    din5008_address,
    din5008_info_block,
    mm,
    money,
    number,
)

PAGE_W, PAGE_H = A4
MARGIN = mm(20)
WIDTH = PAGE_W - 2 * MARGIN
FOOTER_Y = PAGE_H - mm(14)

body = Style(size=9.5, leading=12.5)
small = Style(size=7, leading=9)
cell = Style(size=8.5, leading=10.5)

footer = Text(
    "Page {page} of {pages}",
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
        Text("Northwind Telecom", x=MARGIN, y=MARGIN, style=Style(size=16, bold=True), name="sender"),
        Rect(
            PAGE_W - MARGIN - mm(45),
            MARGIN,
            mm(45),
            mm(22),
            fill="#e8eef7",
            stroke="#3a5a8c",
            line_width=mm(0.3),
            name="logo box",
        ),
        Text(
            "NORTHWIND",
            x=PAGE_W - MARGIN - mm(45),
            y=MARGIN + mm(8),
            width=mm(45),
            style=Style(size=11, bold=True, align="center", color="#3a5a8c"),
            name="logo",
            role="artifact",  # the logo's lettering: the sender's name above says it
        ),
        # the address window and information block after DIN 5008, form B
        *din5008_address(
            ["name", "street", "{postcode} {city}", "country"],
            return_line="Northwind Telecom · 1 Harbour Street · Bristol BS1 4QA · United Kingdom",
            form="B",
            style=body,
            return_style=small.but(size=6.5, leading=8),
        ),
        *din5008_info_block(
            [("Customer no.", "{customer_id}"), ("Invoice no.", "{invoice_no}"), ("Invoice date", "{invoice_date}")],
            form="B",
            style=cell,
        ),
        footer,
    ],
    medium_map="INVFRST",
)

next_page = PageTemplate(
    "next",
    body=Frame(MARGIN, MARGIN, WIDTH, FOOTER_Y - mm(4) - MARGIN),
    content=[footer],
    medium_map="INVNEXT",
)

document = Document(
    name="invoice",
    page_size=A4,
    first=first_page,
    next=next_page,
    style=body,
    formats={
        "invoice_date": date("%d %B %Y"),
        "items.date": date("%d.%m.%Y"),
        "items.quantity": number(),
        "items.unit_price_cents": money(),
        "items.amount_cents": money(),
        "total_cents": money(),
    },
    required=["customer_id", "invoice_no"],
    tags={"Customer ID": "{customer_id}", "Invoice Number": "{invoice_no}", "Name": "{name}", "Postcode": "{postcode}"},
    flow=[
        Paragraph(
            "Invoice {invoice_no}", Style(size=14, bold=True, leading=18, space_after=4), name="heading", role="H1"
        ),
        Paragraph("Customer {customer_id} · Invoice date {invoice_date}", body.but(color="#444444"), name="meta"),
        Spacer(mm(6)),
        Paragraph("Dear {name},", body.but(space_after=4), name="greeting"),
        Paragraph(
            "thank you for choosing Northwind Telecom. This invoice lists the services and usage charged "
            "to your account for the billing period, itemised below with quantities, unit prices and "
            "amounts. The total is due within 30 days of the invoice date; please quote the invoice "
            "number with your payment so that we can allocate it to your account without delay.",
            body.but(align="justify", space_after=8),
            name="intro",
        ),
        Table(
            "items",
            [
                Column("Date", "date", mm(22)),
                Column("Description", "description", mm(88)),
                Column("Qty", "quantity", mm(12), align="right"),
                Column("Unit price EUR", "unit_price_cents", mm(24), align="right"),
                Column("Amount EUR", "amount_cents", mm(24), align="right"),
            ],
            style=cell,
            total=["", "Total EUR", "", "", "{total_cents}"],
            total_style=cell.but(bold=True, size=9),
            header_rule=mm(0.3),
            total_rule=mm(0.3),
            padding_y=mm(0.4),
            space_after=10,
            name="items",
        ),
        When(
            col("segment") == "premium",
            Paragraph(
                "As a Premium customer you enjoy priority support around the clock: call 0800 123 456 "
                "at any time, and ask about our loyalty upgrade offers for the coming year.",
                body.but(color="#3a5a8c"),
                name="premium message",
            ),
        ),
        When(
            col("segment") == "business",
            Paragraph(
                "Business customers can download itemised call records and VAT invoices from the "
                "Northwind Business Portal. Your account manager is happy to review your tariff.",
                body.but(color="#3a5a8c"),
                name="business message",
            ),
        ),
    ],
)
