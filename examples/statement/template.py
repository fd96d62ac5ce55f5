"""The bank statement job: a monthly statement of account, A4 portrait, duplex, one document
per customer row (several accounts per customer).

Compose it with the CLI:

    ccm compose examples/statement/template.py statement.parquet -o statement.pdf
    ccm compose examples/statement/template.py statement.parquet -o statement.afp --format afp

or from Python: ``ccmcore.compose(document, data, "statement.pdf")``. The data's columns are
those of ``examples/statement/generate.py``: one row per statement with the customer, a
``language`` (``en`` or ``de``), a ``segment``, a list of ``accounts`` (opening and closing
balance in cents) and a list of ``transactions`` sorted by account, then date (signed
amount and running balance in cents).

What each statement shows:

- page 1: the bank's letterhead (overlay ``STMTHEAD``: name, logo box, return address,
  fold and hole marks, footer band with the bank's details), the customer's address in
  the DIN 5008 window (form B, ``ccmcore.din5008``), customer / statement number and period, a marketing message slot,
  and a summary box: one row per account (opening and closing balance) beside the
  statement's total credits and debits;
- the transactions, grouped by account (a header row per account), striped, with the
  running balance; the column header repeats on every page, and a page break inside an
  account closes with a "carried forward" row (that account's own sum so far) and opens
  with the account named again ("... (continued)") and "brought forward" (a break between
  two accounts carries nothing); an account's subtotal keeps with its last two rows;
- a closing notice, then the messages selected for the customer in the last page's free
  space (an overdraft notice for business customers, an e-statement offer for everyone);
- on every page an OMR strip in the left margin (start, end of collation, sheet sequence,
  parity, stop), a Data Matrix with the customer number and the page / page count for the
  inserter, and "Page n of m".

Language: texts are English, or German where ``language == "de"``; amounts and dates are
written as each row's locale writes them (CLDR via Babel). The transactions table is
defined once per language (its headers and row labels are language-specific), each group
of an account's transactions closing with the account's subtotal.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow.compute as pc

from ccmcore import (
    A4,
    Barcode,
    Column,
    Document,
    Font,
    FontFamily,
    Frame,
    Line,
    Message,
    Overlay,
    PageTemplate,
    Paragraph,
    Rect,
    Rule,
    Slot,
    Spacer,
    Style,
    Table,
    Text,
    When,
    col,
    date,
    din5008_address,
    din5008_info_block,
    din5008_marks,
    din5008_return_line,
    mm,
    money,
)
from ccmcore.barcodes import OmrSpec
from ccmcore.din5008 import DIN5008_FORMS

PAGE_W, PAGE_H = A4
LEFT = mm(25)  # DIN 5008 left margin
RIGHT = mm(20)
WIDTH = PAGE_W - LEFT - RIGHT  # 165 mm
BODY_BOTTOM = mm(274)
FOOTER_Y = mm(280)


def _firago(code: str, label: str):
    def load() -> Font:
        import pymupdf_fonts

        return Font(pymupdf_fonts.myfont(code), source=f"pymupdf-fonts:{label}")

    return load


#: FiraGO (OFL, shipped with pymupdf-fonts like the default Noto Sans): it also has the
#: arrows and symbols of booking texts ("Moving van Köln → Berlin") that Noto Sans lacks
FIRAGO = FontFamily(
    _firago("figo", "FiraGO-Regular"),
    _firago("figbo", "FiraGO-Bold"),
    _firago("figit", "FiraGO-Italic"),
    _firago("figbi", "FiraGO-BoldItalic"),
    name="FiraGO",
)

BLUE = "#1f4e79"
#: the sender's one-line return address above the DIN 5008 address zone
RETURN_LINE = "Harbourside Bank AG · Kehrwieder 8 · 20457 Hamburg"
#: the recipient's address lines in the DIN 5008 window (form B)
ADDRESS = ["name", "street", "{postcode} {city}", "country"]
GREY = "#555555"

body = Style(size=9, leading=12)
small = Style(size=7, leading=8.5, color=GREY)
cell = Style(size=8, leading=10)
info = Style(size=8.5, leading=11)

#: the two languages of the job's texts; any other language id gets the English texts
LANGS = ("en", "de")

LABELS = {
    "en": {
        "title": "Statement of account",
        "customer": "Customer no.",
        "statement": "Statement no.",
        "period": "Period",
        "date": "Statement date",
        "page": "Page {page} of {pages}",
        "continued": "{name} · Statement {statement_no}",
        "summary": "Summary",
        "account": "Account",
        "type": "Type",
        "opening": "Opening balance",
        "closing": "Closing balance",
        "credits": "Total credits",
        "debits": "Total debits",
        "tx_date": "Date",
        "tx_text": "Booking text",
        "tx_ref": "Reference",
        "tx_amount": "Amount EUR",
        "tx_balance": "Balance EUR",
        "group": "Account {account_no}",
        "group_continued": "Account {account_no} (continued)",
        "subtotal": "Account total",
        "carried": "Carried forward",
        "brought": "Brought forward",
        "notice": (
            "Please check this statement. If you do not agree with an entry, tell us within six weeks "
            "of receiving it; after that the statement counts as approved. Deposits are protected by "
            "the statutory deposit guarantee scheme up to **€100,000** per customer."
        ),
    },
    "de": {
        "title": "Kontoauszug",
        "customer": "Kundennummer",
        "statement": "Auszugsnummer",
        "period": "Zeitraum",
        "date": "Auszugsdatum",
        "page": "Seite {page} von {pages}",
        "continued": "{name} · Kontoauszug {statement_no}",
        "summary": "Übersicht",
        "account": "Konto",
        "type": "Kontoart",
        "opening": "Anfangssaldo",
        "closing": "Endsaldo",
        "credits": "Summe Gutschriften",
        "debits": "Summe Belastungen",
        "tx_date": "Datum",
        "tx_text": "Buchungstext",
        "tx_ref": "Verwendungszweck",
        "tx_amount": "Betrag EUR",
        "tx_balance": "Saldo EUR",
        "group": "Konto {account_no}",
        "group_continued": "Konto {account_no} (Fortsetzung)",
        "subtotal": "Summe Konto",
        "carried": "Übertrag",
        "brought": "Übertrag",
        "notice": (
            "Bitte prüfen Sie diesen Kontoauszug. Einwendungen gegen einzelne Buchungen teilen Sie uns "
            "bitte innerhalb von sechs Wochen nach Zugang mit; danach gilt der Auszug als genehmigt. "
            "Einlagen sind durch die gesetzliche Einlagensicherung bis **100.000 €** je Kunde geschützt."
        ),
    },
}


def is_lang(lang: str) -> Rule:
    """The rule selecting the documents written in ``lang`` (English: every non-German one)."""
    return col("language") == "de" if lang == "de" else ~(col("language") == "de")


class AccountCount(Rule):
    """The number of accounts of a statement (the length of its ``accounts`` list), to compare
    with an int: ``AccountCount() == 2``. Evaluated per batch with pyarrow.compute."""

    def evaluate(self, batch):
        return pc.list_value_length(batch.column("accounts"))

    def columns(self):
        return {"accounts"}

    def __repr__(self):
        return "len(accounts)"


def amount_format(lang: str):
    """The format of amounts in the transactions table (and its carried-forward rows): the
    language's number symbols, no currency sign (the column header says EUR). Group and
    decimal separators are spelled out for the carried-forward rows (see module doc)."""
    if lang == "de":
        return money(locale="de", group=".", decimal=",")
    return money(locale="en", group=",", decimal=".")


# ---------------------------------------------------------------------- letterhead overlays


def _footer_band() -> list:
    return [
        Line(LEFT, FOOTER_Y - mm(2), PAGE_W - RIGHT, FOOTER_Y - mm(2), width=mm(0.2), color=BLUE),
        Text(
            "Harbourside Bank AG · Kehrwieder 8 · 20457 Hamburg · BIC HRBSDEHHXXX · "
            "Amtsgericht Hamburg HRB 123456 · harbourside-bank.example",
            x=LEFT,
            y=FOOTER_Y,
            width=mm(130),
            style=small,
        ),
    ]


#: the letterhead of each statement's first page: static, stored once per job
STMTHEAD = Overlay(
    "STMTHEAD",
    [
        Text("Harbourside Bank", x=LEFT, y=mm(14), style=Style(size=18, bold=True, color=BLUE)),
        Text("Private · Business · Savings", x=LEFT, y=mm(22), style=Style(size=8, color=GREY)),
        Rect(PAGE_W - RIGHT - mm(40), mm(12), mm(40), mm(18), fill="#e6eef7", stroke=BLUE, line_width=mm(0.3)),
        Text(
            "HARBOURSIDE",
            x=PAGE_W - RIGHT - mm(40),
            y=mm(17.5),
            width=mm(40),
            style=Style(size=10, bold=True, align="center", color=BLUE),
        ),
        # the return line, its rule and the fold and hole marks are static: stored once per
        # job with the letterhead; the address itself is page content (its own box)
        *din5008_return_line(RETURN_LINE, form="B", style=Style(size=6.5, color=GREY)),
        *din5008_marks("B"),
        *_footer_band(),
    ],
)

#: the letterhead of continuation pages
STMTCONT = Overlay(
    "STMTCONT",
    [
        Text("Harbourside Bank", x=LEFT, y=mm(12), style=Style(size=11, bold=True, color=BLUE)),
        Line(LEFT, mm(19), PAGE_W - RIGHT, mm(19), width=mm(0.2), color=BLUE),
        *_footer_band(),
    ],
)

# ---------------------------------------------------------------------- inserter marks

#: the OMR strip: start, end of collation (last sheet), 3-bit sheet sequence, parity, stop;
#: marks 8 mm long, one every 1/6 in, in the left margin. The document is duplex and the
#: page facts the barcode layer hands over are already sheets, so the spec itself is simplex.
OMR = OmrSpec(marks=("start", "eoc", "seq1", "seq2", "seq4", "parity", "stop"), length=mm(8))
OMR_X, OMR_Y = mm(8), mm(228)
#: the Data Matrix of the inserter (camera reading): customer number, page / pages. A barcode's
#: {page} and {pages} count physical pages (a blank back page included), where the footer's
#: "Page n of m" counts the pages with content
DATAMATRIX_TEXT = "{customer_id}/{page}/{pages}"
DM_X, DM_Y = mm(6), mm(262)


def _inserter_marks() -> list:
    return [
        Barcode("omr", "", x=OMR_X, y=OMR_Y, options={"spec": OMR}, name="omr"),
        Barcode("datamatrix", DATAMATRIX_TEXT, x=DM_X, y=DM_Y, module=mm(0.5), name="inserter code"),
    ]


def _page_number() -> list:
    return [
        When(
            is_lang(lang),
            Text(
                LABELS[lang]["page"],
                x=PAGE_W - RIGHT - mm(40),
                y=FOOTER_Y,
                width=mm(40),
                style=Style(size=8, align="right"),
            ),
        )
        for lang in LANGS
    ]


# ---------------------------------------------------------------------- first page

INFO_X = DIN5008_FORMS["B"].info_x  # the DIN 5008 information block (125 mm from the left)
INFO_W = PAGE_W - RIGHT - INFO_X  # its texts end at the right margin
INFO_H = mm(23)  # down to the marketing slot under it
BOX_Y = mm(110)  # the summary box's top edge
FLOW_Y = BOX_Y + mm(2.5)  # the first page's flow starts inside the box
PAD_Y = mm(0.5)
ROW_H = cell.leading + 2 * PAD_Y  # one row of the accounts table
BOX_BOTTOM_PAD = mm(2.5)
BOX_ACCOUNTS = (1, 2, 3, 4, 5)  # box sizes; the last one also serves longer account lists
AFTER_BOX = mm(7)  # space between the box and the transactions
TOTALS_X = LEFT + mm(116)  # the statement totals, right of the accounts table


def _box_height(accounts: int) -> float:
    """The summary box around the accounts table (header + one row per account)."""
    return FLOW_Y - BOX_Y + (accounts + 1) * ROW_H + BOX_BOTTOM_PAD


def _box_rule(accounts: int) -> Rule:
    """The statements whose summary box is sized for ``accounts`` accounts."""
    if accounts == BOX_ACCOUNTS[0]:
        return AccountCount() <= accounts
    if accounts == BOX_ACCOUNTS[-1]:
        return AccountCount() >= accounts
    return AccountCount() == accounts


def _first_page_texts(lang: str) -> list:
    L = LABELS[lang]
    return [
        *din5008_info_block(
            [
                (L["customer"], "{customer_id}"),
                (L["statement"], "{statement_no}"),
                (L["period"], "{period_start} – {period_end}"),
                (L["date"], "{period_end}"),
            ],
            form="B",
            height=INFO_H,
            style=info,
            label_style=info.but(color=GREY),
        ),
        Text(
            f"{L['title']} · {{period_start}} – {{period_end}}",
            x=LEFT,
            y=mm(100),
            style=Style(size=13, bold=True, color=BLUE),
            role="H1",
        ),
        Text(
            f"{L['credits']}\n{L['debits']}",
            x=TOTALS_X + mm(2.5),
            y=FLOW_Y + PAD_Y,
            width=mm(28),
            style=cell.but(bold=True),
        ),
        Text(
            "{total_credits_cents}\n{total_debits_cents}",
            x=PAGE_W - RIGHT - mm(22),
            y=FLOW_Y + PAD_Y,
            width=mm(22),
            style=cell.but(align="right"),
        ),
    ]


def _first_page(marks: bool = True) -> PageTemplate:
    """The first page (``marks``: with the inserter's OMR strip and Data Matrix)."""
    return PageTemplate(
        "first",
        body=Frame(LEFT, FLOW_Y, WIDTH, BODY_BOTTOM - FLOW_Y),
        overlays=[STMTHEAD],
        content=[
            *din5008_address(ADDRESS, form="B", style=body),
            *[When(is_lang(lang), _first_page_texts(lang)) for lang in LANGS],
            *[
                When(
                    _box_rule(n),
                    [
                        Rect(
                            LEFT - mm(2),
                            BOX_Y,
                            WIDTH + mm(4),
                            _box_height(n),
                            fill=None,
                            stroke=BLUE,
                            line_width=mm(0.3),
                            name=f"summary box ({n})",
                        ),
                        Line(
                            TOTALS_X,
                            BOX_Y + mm(2),
                            TOTALS_X,
                            BOX_Y + _box_height(n) - mm(2),
                            width=mm(0.15),
                            color="#9db3cc",
                        ),
                    ],
                )
                for n in BOX_ACCOUNTS
            ],
            *_page_number(),
            *(_inserter_marks() if marks else []),
        ],
        medium_map="STMFRST",
    )


first_page = _first_page()


def _next_page(marks: bool = True) -> PageTemplate:
    """The following pages (``marks``: with the inserter's OMR strip and Data Matrix)."""
    return PageTemplate(
        "next",
        body=Frame(LEFT, mm(26), WIDTH, BODY_BOTTOM - mm(26)),
        overlays=[STMTCONT],
        content=[
            *[
                When(
                    is_lang(lang),
                    Text(
                        LABELS[lang]["continued"],
                        x=mm(90),
                        y=mm(13),
                        width=PAGE_W - RIGHT - mm(90),
                        style=Style(size=8, align="right", color=GREY),
                        role="artifact",  # a running header of continuation pages
                    ),
                )
                for lang in LANGS
            ],
            *_page_number(),
            *(_inserter_marks() if marks else []),
        ],
        medium_map="STMNEXT",
    )


next_page = _next_page()

# ---------------------------------------------------------------------- the flow


def _flow(lang: str) -> list:
    L = LABELS[lang]
    amount = amount_format(lang)
    accounts = Table(
        "accounts",
        [
            Column(L["account"], "account_no", mm(40)),
            Column(L["type"], "account_name", mm(25)),
            Column(L["opening"], "opening_balance_cents", mm(25), align="right"),
            Column(L["closing"], "closing_balance_cents", mm(25), align="right"),
        ],
        style=cell,
        header_style=cell.but(bold=True, color=BLUE),
        header_rule=mm(0.2),
        rule_color=BLUE,
        padding_y=PAD_Y,
        padding_x=mm(1.5),
        name=f"accounts ({lang})",
    )
    transactions = Table(
        "transactions",
        [
            Column(L["tx_date"], "date", mm(25)),
            Column(L["tx_text"], "booking_text", mm(52)),
            Column(L["tx_ref"], "reference", mm(42)),
            Column(L["tx_amount"], "amount_cents", mm(23), align="right", format=amount),
            Column(L["tx_balance"], "balance_cents", mm(23), align="right", format=amount),
        ],
        style=cell,
        header_style=cell.but(bold=True, color=BLUE),
        header_rule=mm(0.3),
        rule_color=BLUE,
        padding_y=PAD_Y,
        padding_x=mm(1.5),
        stripe="#eef3f9",
        group_by="account_no",
        group_header=L["group"],
        group_style=cell.but(bold=True, color=BLUE),
        group_continued=L["group_continued"],
        carry="amount_cents",
        carry_per_group=True,
        carried_label=L["carried"],
        brought_label=L["brought"],
        group_footer=L["subtotal"],
        total_style=cell.but(bold=True, color=BLUE),
        orphans=3,
        widows=2,
        space_after=10,
        name=f"transactions ({lang})",
    )
    return [
        accounts,
        *[
            When(_box_rule(n), Spacer(_box_height(n) - (FLOW_Y - BOX_Y) - (n + 1) * ROW_H + AFTER_BOX))
            for n in BOX_ACCOUNTS
        ],
        transactions,
        Paragraph(L["notice"], small.but(size=7.5, leading=9.5, color="#333333"), markup=True, name=f"notice ({lang})"),
    ]


# ---------------------------------------------------------------------- messages

#: the message library: name -> (rule, slot, priority, {language: markup text}); each
#: message is defined once per language (same name, so the job report counts them together)
MESSAGES = {
    "savings offer": (
        col("segment") == "retail",
        "offer",
        10,
        {
            "en": "**Make your savings work.** Harbourside Flex Savings pays 2.75 % a year from the first "
            "euro, and you can open it in online banking in two minutes.",
            "de": "**Lassen Sie Ihr Geld arbeiten.** Harbourside Flexsparen bringt 2,75 % p. a. ab dem ersten "
            "Euro – in zwei Minuten im Online-Banking eröffnet.",
        },
    ),
    "private banking": (
        col("segment") == "private",
        "offer",
        10,
        {
            "en": "**Your annual portfolio review** is due: your private banking adviser will call you "
            "to agree on a date.",
            "de": "**Ihr jährliches Depotgespräch** steht an: Ihre Beraterin im Private Banking meldet sich "
            "für einen Termin bei Ihnen.",
        },
    ),
    "overdraft notice": (
        col("segment") == "business",
        "last page",
        20,
        {
            "en": "**Business overdraft.** From 1 April the interest on arranged overdrafts of business "
            "current accounts falls to 8.9 % a year. Your relationship manager can review your "
            "credit line with you at any time.",
            "de": "**Kontokorrentkredit.** Ab 1. April sinkt der Zins für eingeräumte Überziehungen auf "
            "Geschäftsgirokonten auf 8,9 % p. a. Ihr Firmenkundenbetreuer prüft Ihre Kreditlinie "
            "gern jederzeit mit Ihnen.",
        },
    ),
    "e-statement": (
        None,
        "last page",
        0,
        {
            "en": "**Go paperless:** switch to e-statements in online banking and find every statement "
            "of the last ten years in your electronic mailbox.",
            "de": "**Papierlos:** Stellen Sie im Online-Banking auf den elektronischen Kontoauszug um – "
            "alle Auszüge der letzten zehn Jahre im elektronischen Postfach.",
        },
    ),
}

message_style = body.but(size=8.5, leading=11, color=BLUE, space_before=6)


def _messages() -> list:
    out = []
    for name, (rule, slot, priority, texts) in MESSAGES.items():
        for lang in LANGS:
            r = is_lang(lang) if rule is None else rule & is_lang(lang)
            out.append(
                Message(
                    name, [Paragraph(texts[lang], message_style, markup=True)], rule=r, priority=priority, slot=slot
                )
            )
    return out


document = Document(
    name="statement",
    page_size=A4,
    first=first_page,
    next=next_page,
    duplex=True,
    family=FIRAGO,
    style=body,
    formats={
        "period_start": date("medium", locale_column="language"),
        "period_end": date("medium", locale_column="language"),
        "transactions.date": date("medium", locale_column="language"),
        "accounts.opening_balance_cents": money(currency="EUR", locale_column="language"),
        "accounts.closing_balance_cents": money(currency="EUR", locale_column="language"),
        "total_credits_cents": money(currency="EUR", locale_column="language"),
        "total_debits_cents": money(currency="EUR", locale_column="language"),
    },
    required=["customer_id", "statement_no", "language"],
    tags={
        "Customer ID": "{customer_id}",
        "Statement Number": "{statement_no}",
        "Name": "{name}",
        "Postcode": "{postcode}",
    },
    slots=[Slot("offer", INFO_X, mm(74), INFO_W, mm(26))],
    messages=_messages(),
    max_last_page_messages=2,
    flow=[When(is_lang(lang), _flow(lang)) for lang in LANGS],
)


# ---------------------------------------------------------------------- mail production

#: the statement as a mail production composes it (``mail.json`` beside this file is its
#: plan): the plan draws the inserter's marks on every sheet, counted in the envelope's
#: piece rather than in the document, so the pages carry none of their own; the extra tags
#: give the plan the address to household by, the postcode to presort and the segment
#: that decides the leaflet
mail_document = replace(
    document,
    name="statement (mail)",
    first=_first_page(marks=False),
    next=_next_page(marks=False),
    tags={
        **document.tags,
        "Street": "{street}",
        "City": "{city}",
        "Country": "{country}",
        "Segment": "{segment}",
    },
)
