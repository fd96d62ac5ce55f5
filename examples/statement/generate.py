"""Seeded generator of bank statement data for the statement example job.

One Arrow row per customer statement for one calendar month of 2026: a customer with a
European (UTF-8, diacritics) name and address, a language (``en`` or ``de``), a segment
(``retail`` / ``private`` / ``business``), 1 to 3 accounts (current account, savings
account, credit card) with IBAN-style numbers and opening / closing balances, and 5 to
400 transactions (about one statement in ten has more than 150, so some run to five and
more pages) with booking text, reference, signed amount and the running balance.

Invariants (what the tests check):

- per account, ``opening_balance_cents + sum(amount_cents) == closing_balance_cents``,
  and ``balance_cents`` is the running balance after each transaction;
- transactions are grouped by account in the order of ``accounts`` (which is also the
  string order of ``account_no``) and sorted by date within an account; every date lies
  in the statement period;
- ``total_credits_cents`` is the sum of the positive amounts and ``total_debits_cents``
  the sum of the negative ones (so it is <= 0), over all accounts of the statement;
- account numbers are valid German IBANs (ISO 13616 check digits), printed in groups
  of four; the accounts of one customer share bank code and check digits.

Every value of row ``r`` (the *global* row number, ``start + i``) is a pure function of
``(seed, r)``: random draws come from a counter-based hash (SplitMix64 finaliser) of the
seed, the row number, the transaction index and a per-field constant, computed with
vectorised numpy over whole batches. So the output is deterministic, and any split into
batches (``generate_batches``, or ``generate(..., start=k)``) concatenates to exactly
the same table as one call. The vocabularies (booking texts, references) are constant
tables built once at import.

Usage::

    python examples/statement/generate.py --docs 1000 --seed 42 -o statement.parquet

or from Python::

    table = generate(1000, seed=42)
    for batch in generate_batches(1_000_000, seed=42, batch_size=8_192): ...
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "SCHEMA",
    "ACCOUNT_TYPE",
    "TRANSACTION_TYPE",
    "SEGMENTS",
    "ACCOUNT_NAMES",
    "MIN_TRANSACTIONS",
    "MAX_TRANSACTIONS",
    "generate",
    "generate_batches",
    "write_parquet",
    "main",
]


def _invoice_module():
    """The invoice example's generator (for its name and address vocabularies)."""
    name = "ccm_examples_invoice_generate"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parent.parent / "invoice" / "generate.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_inv = _invoice_module()
FIRST_NAMES: tuple[str, ...] = _inv.FIRST_NAMES
LAST_NAMES: tuple[str, ...] = _inv.LAST_NAMES
_COUNTRIES = _inv._COUNTRIES

#: Arrow type of one account of a statement.
ACCOUNT_TYPE = pa.struct(
    [
        pa.field("account_no", pa.string()),
        pa.field("account_name", pa.string()),
        pa.field("currency", pa.string()),
        pa.field("opening_balance_cents", pa.int64()),
        pa.field("closing_balance_cents", pa.int64()),
    ]
)

#: Arrow type of one transaction.
TRANSACTION_TYPE = pa.struct(
    [
        pa.field("account_no", pa.string()),
        pa.field("date", pa.date32()),
        pa.field("booking_text", pa.string()),
        pa.field("reference", pa.string()),
        pa.field("amount_cents", pa.int64()),
        pa.field("balance_cents", pa.int64()),
    ]
)

#: The schema of the statement job's data (one row per statement).
SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("street", pa.string()),
        pa.field("postcode", pa.string()),
        pa.field("city", pa.string()),
        pa.field("country", pa.string()),
        pa.field("language", pa.string()),
        pa.field("statement_no", pa.string()),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
        pa.field("segment", pa.string()),
        pa.field("accounts", pa.list_(ACCOUNT_TYPE)),
        pa.field("transactions", pa.list_(TRANSACTION_TYPE)),
        pa.field("total_credits_cents", pa.int64()),
        pa.field("total_debits_cents", pa.int64()),
    ]
)

SEGMENTS = ("retail", "private", "business")
#: cumulative weights of SEGMENTS (retail 68 %, private 10 %, business 22 %), per mille
_SEGMENT_CUM = np.array([680, 780, 1000], dtype=np.uint64)

ACCOUNT_NAMES = ("Current account", "Savings account", "Credit card")
#: account kinds: personal current, business current, savings, credit card
_K_CURRENT, _K_BUSINESS, _K_SAVINGS, _K_CARD = 0, 1, 2, 3
_KIND_NAME = np.array([0, 0, 1, 2], dtype=np.int64)  # kind -> ACCOUNT_NAMES index
#: accounts per statement: 1, 2 or 3 with these cumulative weights, per mille
_NACC_CUM = np.array([350, 800, 1000], dtype=np.uint64)

MIN_TRANSACTIONS, MAX_TRANSACTIONS = 5, 400
#: statements with more than _LONG_FROM transactions, per mille
_LONG_PER_MILLE, _LONG_FROM = 100, 151
#: the others have 5 .. _SHORT_MAX transactions, small counts more likely
_SHORT_MAX = 150

_YEAR = 2026
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_MONTH_START = (  # days since 1970-01-01 of the first of each month of 2026
    20454 + np.concatenate([[0], np.cumsum(_MONTH_DAYS[:-1])])
).astype(np.int64)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip

#: countries whose customers mostly read German; share of "de" there and elsewhere (‰)
_GERMAN_COUNTRIES = ("Germany", "Austria", "Switzerland")
_DE_PER_MILLE_DACH, _DE_PER_MILLE_OTHER = 850, 160

#: the bank: German IBANs, a few branch bank codes (BLZ)
_BANK_CODES = np.array([37040044, 37050198, 10070000, 20041111, 70020270, 50010517],
                       dtype=np.uint64)  # fmt: skip

# ---------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------

_FULL_NAMES_LIST = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]

COMPANIES = (
    "ACME GmbH", "Müller & Söhne KG", "Bäckerei Schäfer", "Öztürk Bau GmbH",
    "Łódź Logistics Sp. z o.o.", "Société Lefèvre & Fils SARL", "Nørgaard ApS",
    "Kovačević d.o.o.", "Åkesson & Lindqvist AB", "García y Hermanos S.L.",
    "Dvořák Strojírny s.r.o.", "Rossi Forniture S.p.A.", "Gonçalves & Conceição Lda.",
    "Weiß Elektrotechnik GmbH", "Strauß Druck & Medien GmbH", "De Vries Handelsonderneming B.V.",
    "Janssens Transport NV", "Mäkinen Design Oy", "O'Brien Consulting Ltd", "Horváth Kft.",
    "Papadopoulos Trading Ltd", "Schröder Metallbau GmbH", "Jørgensen Fiskeri A/S",
    "Kalniņš SIA", "Kazlauskas UAB", "Café Dubois SARL", "Brauerei Früh GmbH & Co. KG",
    "Zürcher Treuhand AG", "Wiener Büromöbel GmbH", "Petrović Software d.o.o.",
)  # fmt: skip


def _card(*merchants: str) -> tuple[str, ...]:
    return tuple(f"Card payment — {m}" for m in merchants)


# One category: booking texts, sign, amount range in cents (lo, hi, rounded to a step;
# small amounts more likely), and the reference classes it draws from (uniformly).
# key: (texts, sign, lo, hi, step, reference classes)
_CATEGORY_SPECS = {
    "grocery": (_card(
        "REWE Markt Köln", "EDEKA Center Hamburg", "Lidl Berlin-Mitte", "ALDI SÜD München",
        "Netto Marken-Discount Leipzig", "Kaufland Stuttgart", "dm-drogerie markt Düsseldorf",
        "Rossmann Hannover", "Carrefour Market Paris 11e", "Monoprix Lyon", "Biedronka Kraków",
        "Żabka Warszawa", "Mercadona Madrid", "Albert Heijn Amsterdam", "Migros Zürich",
        "Coop Basel", "BILLA Wien", "SPAR Graz", "ICA Supermarket Göteborg",
        "Netto København", "Tesco Express London", "Esselunga Milano", "Pingo Doce Lisboa",
        "Albert Praha", "Maxi Beograd", "Lidl Dublin", "Bäckerei Kamps Düsseldorf"),
        -1, 250, 16_000, 1, ("none", "none", "none", "card")),
    "dining": (_card(
        "Café Einstein Berlin", "Brauhaus Früh am Dom Köln", "Hofbräuhaus München",
        "Starbucks Frankfurt Hbf", "Le Procope Paris", "Pâtisserie Ladurée Paris",
        "Trattoria Da Enzo Roma", "Taberna La Bola Madrid", "Café Sacher Wien",
        "Aamanns Smørrebrød København", "Vapiano Hamburg", "Lieferando.de", "Wolt Oy",
        "Deliveroo", "McDonald's Hamburg Hbf", "Mustafa's Gemüse Kebap Berlin",
        "Pizzeria Napoli Düsseldorf", "Kaffeehaus Central Wien", "Sprüngli Zürich"),
        -1, 280, 14_000, 1, ("none", "none", "card")),
    "transport": (_card(
        "Aral Tankstelle Köln", "Shell Station München", "Esso Hamburg-Altona",
        "TotalEnergies Lyon", "DB Fernverkehr AG", "MVG München", "BVG Berlin", "RATP Paris",
        "Uber BV", "FREE NOW", "MILES Mobility", "ÖBB-Personenverkehr AG", "SBB CFF FFS",
        "Parkhaus Dom Köln", "Hamburger Hochbahn AG", "Wiener Linien"),
        -1, 190, 12_000, 1, ("none", "card")),
    "online": (_card(
        "Amazon EU S.à r.l.", "Zalando SE", "Apple.com/bill", "Google Play", "Spotify AB",
        "Netflix.com", "Disney Plus", "IKEA Deutschland", "MediaMarkt Saturn", "OTTO GmbH & Co KG",
        "ABOUT YOU SE", "Vinted UAB", "Etsy Ireland", "Thalia Bücher GmbH", "Steam Purchase",
        "Audible GmbH", "Nintendo eShop"),
        -1, 499, 32_000, 1, ("none", "card", "order", "order")),
    "atm": (("ATM withdrawal", "ATM withdrawal — Sparkasse KölnBonn",
             "ATM withdrawal — Deutsche Bank Berlin", "ATM withdrawal — Commerzbank München",
             "ATM withdrawal — Reisebank Frankfurt Hbf", "ATM withdrawal — BNP Paribas Paris",
             "ATM withdrawal — PKO BP Kraków", "ATM withdrawal — CaixaBank Barcelona",
             "Cash withdrawal — Euronet Wien", "Cash withdrawal — REWE checkout"),
            -1, 2_000, 50_000, 1_000, ("none", "atm")),
    "direct_debit": (tuple(f"Direct debit — {p}" for p in (
        "Stadtwerke München", "Telekom Deutschland GmbH", "Vodafone GmbH",
        "Telefónica Germany GmbH & Co. OHG", "1&1 Telecom GmbH", "Allianz Versicherungs-AG",
        "HUK-COBURG", "ARD ZDF Deutschlandradio Beitragsservice", "Techniker Krankenkasse",
        "AOK Rheinland/Hamburg", "FitX Deutschland GmbH", "E.ON Energie Deutschland GmbH",
        "Vattenfall Europe Sales GmbH", "RheinEnergie AG", "Hamburger Wasserwerke GmbH",
        "PayPal (Europe) S.à r.l. et Cie, S.C.A.", "Klarna Bank AB", "ADAC e.V.",
        "DB Vertrieb GmbH — Deutschlandticket", "Kita Sonnenschein e.V.",
        "Stadtbibliothek Köln", "Wohnungsbaugenossenschaft Süd eG")),
        -1, 800, 26_000, 1, ("mandate", "mandate", "mandate", "custno", "none")),
    "standing": (tuple(f"Standing order — {p}" for p in (
        "savings plan", "pocket money", "Bausparkasse Schwäbisch Hall", "sports club",
        "sponsorship Plan International", "parking space", "allotment garden association",
        "music school")),
        -1, 2_500, 60_000, 100, ("savings", "private", "none")),
    "rent": (("Standing order — rent", "Standing order — rent, Hausverwaltung Schmitz",
              "Standing order — rent, Vonovia SE", "Standing order — rent, Deutsche Wohnen",
              "Standing order — rent and service charges", "Standing order — Miete Müller"),
             -1, 45_000, 190_000, 100, ("rent",)),
    "transfer_out": (tuple(f"SEPA transfer to {n}" for n in _FULL_NAMES_LIST)
                     + tuple(f"Instant transfer to {n}" for n in _FULL_NAMES_LIST[::4]),
                     -1, 500, 90_000, 1, ("private", "private", "private", "none")),
    "transfer_in": (tuple(f"SEPA transfer from {n}" for n in _FULL_NAMES_LIST)
                    + tuple(f"Instant transfer from {n}" for n in _FULL_NAMES_LIST[::4]),
                    1, 500, 90_000, 1, ("private", "private", "private", "none")),
    "salary": (tuple(f"Salary {e}" for e in (
        "ACME GmbH", "Siemens AG", "Müller & Söhne KG", "Stadt Köln", "Universität Wien",
        "Robert Bosch GmbH", "Deutsche Bahn AG", "Bäckerei Schäfer",
        "Charité — Universitätsmedizin Berlin", "Zurich Insurance", "Société Générale",
        "Université Lumière Lyon 2", "Škoda Auto a.s.", "Nordisk Fjer A/S"))
        + ("Pension — Deutsche Rentenversicherung", "Pension — VBL Karlsruhe"),
        1, 165_000, 620_000, 1, ("salary",)),
    "refund": (("Refund — Amazon EU S.à r.l.", "Refund — Zalando SE",
                "Refund — DB Fernverkehr AG",
                "Refund — Techniker Krankenkasse", "Tax refund — Finanzamt Köln-Altstadt",
                "Refund — IKEA Deutschland", "Return — ABOUT YOU SE"),
               1, 400, 18_000, 1, ("order", "custno", "none")),
    "fee": (("Account maintenance fee", "Fee — replacement debit card", "Fee — paper statement",
             "Fee — instant transfer", "Fee — foreign currency withdrawal"),
            -1, 250, 1_500, 50, ("none", "none", "fee")),
    "biz_in": (tuple(f"SEPA transfer from {c}" for c in COMPANIES)
               + ("Card terminal settlement — SumUp", "Card settlement — Worldline",
                  "Payout — Stripe Payments Europe", "Payout — PayPal (Europe)",
                  "Payout — Amazon Payments Europe"),
               1, 18_000, 2_400_000, 1, ("invoice",)),
    "biz_out": (tuple(f"SEPA transfer to {c}" for c in COMPANIES),
                -1, 4_500, 1_200_000, 1, ("invoice",)),
    "payroll": (tuple(f"Payroll — {n}" for n in _FULL_NAMES_LIST),
                -1, 140_000, 520_000, 1, ("salary",)),
    "tax": (("Direct debit — Finanzamt Köln-Mitte (VAT)",
             "Direct debit — Finanzamt München (payroll tax)",
             "Direct debit — AOK Rheinland/Hamburg (social security)",
             "Direct debit — BG Handel und Warenlogistik", "Direct debit — IHK Köln",
             "Direct debit — Techniker Krankenkasse (social security)"),
            -1, 15_000, 1_800_000, 1, ("tax",)),
    "biz_card": (_card(
        "Amazon Business EU", "Deutsche Lufthansa AG", "DB Business Travel",
        "Hotel Adlon Kempinski Berlin", "Büroshop24 GmbH", "Staples Solutions",
        "Deutsche Post DHL",
        "Microsoft Ireland Operations", "Google Cloud EMEA", "Adobe Systems Software Ireland",
        "Shell Fleet Solutions", "Würth Online-Shop"),
        -1, 400, 180_000, 1, ("card", "order", "none")),
    "sav_in": (("Transfer from current account", "Savings plan", "Deposit"),
               1, 2_500, 250_000, 500, ("savings", "none")),
    "sav_out": (("Transfer to current account", "Withdrawal to current account"),
                -1, 5_000, 300_000, 1_000, ("savings", "none")),
    "interest": (("Interest credit", "Credit interest"), 1, 5, 4_500, 1, ("interest",)),
    "travel": (_card(
        "Deutsche Lufthansa AG", "Ryanair DAC", "easyJet Airline", "Booking.com B.V.",
        "Airbnb Payments", "Expedia Travel", "SIXT rent a car", "Europcar Hamburg",
        "Hilton Munich Park", "Hotel Sacher Wien", "NH Hotels Madrid", "Eurowings GmbH",
        "SNCF Connect", "Trenitalia", "Scandic Hotels Malmö"),
        -1, 2_500, 160_000, 1, ("credit", "order", "none")),
    "fx_fee": (("Foreign currency fee", "Foreign transaction fee 1.75 %"),
               -1, 30, 2_500, 1, ("none",)),
    "repayment": (("Credit card repayment — thank you", "Repayment by direct debit"),
                  1, 0, 0, 1, ("repay",)),
}  # fmt: skip

_CATEGORY_KEYS = tuple(_CATEGORY_SPECS)
_CAT = {k: i for i, k in enumerate(_CATEGORY_KEYS)}

# weights of the categories drawn at random, per account kind (anchored categories such as
# salary, rent, interest and card repayment are placed at fixed positions instead)
_KIND_WEIGHTS = {
    _K_CURRENT: {"grocery": 26, "dining": 14, "transport": 10, "online": 12, "atm": 6,
                 "direct_debit": 12, "standing": 3, "transfer_out": 7, "transfer_in": 5,
                 "refund": 2, "fee": 1},
    _K_BUSINESS: {"biz_in": 22, "biz_out": 20, "payroll": 10, "tax": 6, "biz_card": 18,
                  "direct_debit": 8, "atm": 2, "fee": 2, "transport": 6, "dining": 6},
    _K_SAVINGS: {"sav_in": 55, "sav_out": 45},
    _K_CARD: {"travel": 18, "online": 26, "dining": 22, "transport": 10, "grocery": 14,
              "fx_fee": 6},
}  # fmt: skip

# amounts of private-banking customers are this much larger (not for everyday spending)
_PRIVATE_FACTOR = 2.5
_PRIVATE_UNSCALED = frozenset({"grocery", "dining", "transport", "atm", "fee", "fx_fee"})

# opening balance ranges in cents, [kind][segment] -> (lo, hi), small values more likely
_OPENING = np.zeros((4, 3, 2), dtype=np.float64)
_OPENING[_K_CURRENT, 0] = (-30_000, 900_000)
_OPENING[_K_CURRENT, 1] = (500_000, 18_000_000)
_OPENING[_K_BUSINESS, 2] = (200_000, 25_000_000)
_OPENING[_K_SAVINGS, 0] = (20_000, 4_500_000)
_OPENING[_K_SAVINGS, 1] = (2_000_000, 75_000_000)
_OPENING[_K_SAVINGS, 2] = (500_000, 40_000_000)
_OPENING[_K_CARD, 0] = (-350_000, -5_000)
_OPENING[_K_CARD, 1] = (-1_500_000, -20_000)
_OPENING[_K_CARD, 2] = (-900_000, -10_000)
# how far below zero the running balance of a current account may go (overdraft limit)
_OVERDRAFT = np.array([200_000, 2_500_000, 5_000_000], dtype=np.int64)  # per segment

# ---------------------------------------------------------------------------------------
# Reference vocabulary: constant pools built once (seeded), 0 to 60 characters
# ---------------------------------------------------------------------------------------

#: reference class -> pool size (per month for the classes in _MONTHLY_REFS)
_REF_SIZES = {"none": 1, "card": 512, "credit": 512, "order": 512, "atm": 256,
              "mandate": 1024, "custno": 512, "private": 512, "invoice": 1024,
              "savings": 64, "fee": 64, "salary": 128, "rent": 128, "tax": 128,
              "interest": 32, "repay": 64}  # fmt: skip
_MONTHLY_REFS = frozenset({"salary", "rent", "tax", "interest", "repay"})
MAX_REFERENCE_CHARS = 60

_PRIVATE_NOTES = (
    "Rent share", "Thanks for dinner!", "Concert tickets", "Back at you", "Birthday present",
    "Holiday flat deposit — Mallorca", "Kita fees", "Flat-share electricity and internet",
    "Football club membership 2026", "Car sharing fuel München–Wien", "Wedding present",
    "Pizza on Friday", "Theatre tickets Burgtheater", "Christmas market mulled wine :)",
    "Half of the IKEA sofa", "Ski pass Kitzbühel, our share", "Moving van Köln → Berlin",
    "Book club", "Sold: bicycle (Kleinanzeigen)", "Tickets Elbphilharmonie, 2× Parkett",
    "Loan", "Gift for Søren's farewell, collected from the whole team",
)  # fmt: skip


def _build_references() -> tuple[pa.Array, dict[str, int]]:
    """All reference strings, and each class's offset into them (constant, seeded)."""
    rng = np.random.default_rng(20260101)
    digit_pool = (rng.integers(0, 10, 1 << 20, dtype=np.uint8) + 48).tobytes().decode("ascii")
    int_pool = rng.integers(0, 1 << 30, 1 << 17).tolist()
    cursor = [0, 0]

    def d(k: int) -> str:  # k random digits
        i = cursor[0]
        cursor[0] = i + k
        return digit_pool[i : i + k]

    def rint(lo: int, hi: int) -> int:  # random integer in [lo, hi)
        cursor[1] += 1
        return lo + int_pool[cursor[1]] % (hi - lo)

    def pick(seq):
        return seq[rint(0, len(seq))]

    def one(cls: str, m: int) -> str:  # m: month 0..11 for monthly classes
        month, mm = _MONTHS[m], f"{m + 1:02d}"
        v = rint(0, 4)
        if cls == "card":
            return (
                f"Debit card · POS {d(8)}",
                f"Girocard · terminal {d(8)} · trace {d(6)}",
                f"Apple Pay · contactless · {d(6)}",
                f"Google Pay · contactless · {d(6)}",
            )[v]
        if cls == "credit":
            return (
                f"Auth. code {d(6)}",
                f"Auth. code {d(6)} · contactless",
                f"USD {rint(5, 900)}.{d(2)} · EUR 1.00 = USD 1.{d(4)}",
                f"GBP {rint(5, 600)}.{d(2)} · EUR 1.00 = GBP 0.8{d(3)}",
            )[v]
        if cls == "order":
            return (
                f"Order {d(3)}-{d(7)}-{d(7)}",
                f"Order no. {d(10)}",
                f"Invoice {d(8)} · customer {d(7)}",
                f"Return {d(9)}",
            )[v]
        if cls == "atm":
            return f"Terminal {d(8)} · trace {d(6)}" if v < 2 else f"ATM {d(5)} · fee 0.00"
        if cls == "mandate":
            return (
                f"MREF M-{d(8)} CRED DE{d(2)}ZZZ{d(11)} EREF {d(10)}",
                f"MREF {d(12)} CRED DE{d(2)}ZZZ0000{d(7)}",
                f"Contract {d(9)}",
                f"Customer {d(8)} · mandate {d(6)}-{d(2)}",
            )[v]
        if cls == "custno":
            return (
                f"Customer no. {d(9)} · account {d(10)}",
                f"Policy no. {d(3)} {d(6)} {d(3)}",
                f"Member no. {d(6)}",
                f"Contract {d(8)}",
            )[v]
        if cls == "private":
            if v == 0:
                return f"Loan, part {rint(2, 10)} of 10"
            if v == 1:
                return f"Splitwise settlement {d(5)}"
            return pick(_PRIVATE_NOTES)
        if cls == "invoice":
            return (
                f"Invoice INV-2026-{d(5)}",
                f"Inv. RE-{d(7)} · customer {d(6)}",
                f"Payment of invoices 2026-{d(4)}, 2026-{d(4)} and 2026-{d(4)}",
                f"PO {d(8)} / invoice {d(8)} · net 30 days, 2 % discount",
            )[v]
        if cls == "savings":
            return pick(
                (
                    "Monthly savings",
                    "Savings plan",
                    "Holiday fund",
                    "Emergency fund",
                    "New car",
                    f"Tax reserve Q{rint(1, 5)}",
                    "Top-up",
                    "",
                )
            )
        if cls == "fee":
            return pick(("Account package Classic", "Account package Premium", "Replacement card", "As per price list"))
        if cls == "salary":
            return (
                f"Salary {month} 2026 · PersNr {d(6)}",
                f"Payroll {mm}/2026 · employee {d(5)}",
                f"Wages {month} 2026 incl. overtime · {d(6)}",
                f"Pension {month} 2026 · ref. {d(9)}",
            )[v]
        if cls == "rent":
            return (
                f"Rent {month} 2026 · flat {rint(1, 40)}, "
                + pick(("ground floor", "1st floor left", "2nd floor right", "attic")),
                f"Rent {mm}/2026 incl. service charges · tenant {d(6)}",
                f"Basic rent + heating {month} 2026",
                f"Rent {month} 2026",
            )[v]
        if cls == "tax":
            return (
                f"VAT return {mm}/2026 · tax no. {d(3)}/{d(4)}/{d(4)}",
                f"Payroll tax {month} 2026 · tax no. {d(3)}/{d(4)}/{d(4)}",
                f"Social security contributions {mm}/2026 · {d(8)}",
                f"Contribution {mm}/2026 · member {d(8)}",
            )[v]
        if cls == "interest":
            rate = pick(("0.25", "0.50", "0.75", "1.00", "1.25", "1.50", "2.00"))
            return f"Interest {month} 2026 · {rate} % p.a." if v < 3 else f"Credit interest for {month} 2026"
        if cls == "repay":
            pm = (m - 1) % 12
            year = 2025 if m == 0 else 2026
            return (
                f"Card statement {_MONTHS[pm]} {year} · ref. {d(8)}",
                f"Balance as of {_MONTH_DAYS[pm]}.{pm + 1:02d}.{year}",
            )[v % 2]
        raise AssertionError(cls)

    refs: list[str] = []
    offsets: dict[str, int] = {}
    for cls, size in _REF_SIZES.items():
        offsets[cls] = len(refs)
        if cls == "none":
            refs.append("")
        elif cls in _MONTHLY_REFS:
            refs += [one(cls, m) for m in range(12) for _ in range(size)]
        else:
            refs += [one(cls, 0) for _ in range(size)]
    too_long = [r for r in refs if len(r) > MAX_REFERENCE_CHARS]
    assert not too_long, too_long[:3]
    return pa.array(refs, pa.string()), offsets


# ---------------------------------------------------------------------------------------
# Derived lookup arrays (built once at import; small)
# ---------------------------------------------------------------------------------------

_FULL_NAMES = pa.array(_FULL_NAMES_LIST, pa.string())
_COUNTRY_NAMES = pa.array([c[0] for c in _COUNTRIES], pa.string())
_COUNTRY_DE = np.array([c[0] in _GERMAN_COUNTRIES for c in _COUNTRIES], dtype=bool)
_NUMBER_FIRST = np.array([c[1] for c in _COUNTRIES], dtype=bool)
_STREETS = pa.array([s for c in _COUNTRIES for s in c[2]], pa.string())
_STREET_OFF = np.cumsum([0] + [len(c[2]) for c in _COUNTRIES[:-1]]).astype(np.uint64)
_STREET_CNT = np.array([len(c[2]) for c in _COUNTRIES], dtype=np.uint64)
_CITY_LIST = [city for c in _COUNTRIES for city in c[3]]
_CITIES = pa.array([city for city, _ in _CITY_LIST], pa.string())
_CITY_OFF = np.cumsum([0] + [len(c[3]) for c in _COUNTRIES[:-1]]).astype(np.uint64)
_CITY_CNT = np.array([len(c[3]) for c in _COUNTRIES], dtype=np.uint64)
_POSTCODES = pa.array([p for _, codes in _CITY_LIST for p in codes], pa.string())
_POSTCODE_OFF = np.cumsum([0] + [len(codes) for _, codes in _CITY_LIST[:-1]]).astype(np.uint64)
_POSTCODE_CNT = np.array([len(codes) for _, codes in _CITY_LIST], dtype=np.uint64)
_SEGMENT_ARR = pa.array(SEGMENTS, pa.string())
_LANGUAGES = pa.array(["en", "de"], pa.string())
_ACCOUNT_NAME_ARR = pa.array(ACCOUNT_NAMES, pa.string())
_STATEMENT_PREFIX = pa.array([f"ST-{_YEAR}-{m:02d}-" for m in range(1, 13)], pa.string())

_TEXTS = pa.array([t for k in _CATEGORY_KEYS for t in _CATEGORY_SPECS[k][0]], pa.string())
_CAT_TEXT_CNT = np.array([len(_CATEGORY_SPECS[k][0]) for k in _CATEGORY_KEYS], np.uint64)
_CAT_TEXT_OFF = np.concatenate([[0], np.cumsum(_CAT_TEXT_CNT[:-1])]).astype(np.uint64)
_CAT_SIGN = np.array([_CATEGORY_SPECS[k][1] for k in _CATEGORY_KEYS], np.int64)
_CAT_LO = np.array([_CATEGORY_SPECS[k][2] for k in _CATEGORY_KEYS], np.float64)
_CAT_HI = np.array([_CATEGORY_SPECS[k][3] for k in _CATEGORY_KEYS], np.float64)
_CAT_STEP = np.array([_CATEGORY_SPECS[k][4] for k in _CATEGORY_KEYS], np.float64)
_CAT_PRIVATE = np.array([1.0 if k in _PRIVATE_UNSCALED else _PRIVATE_FACTOR
                         for k in _CATEGORY_KEYS], np.float64)  # fmt: skip

_REFS, _REF_OFFSETS = _build_references()
_REF_CLASSES = tuple(_REF_SIZES)
_REFCLS_OFF = np.array([_REF_OFFSETS[c] for c in _REF_CLASSES], np.uint64)
_REFCLS_CNT = np.array([_REF_SIZES[c] for c in _REF_CLASSES], np.uint64)
_REFCLS_MONTHLY = np.array([c in _MONTHLY_REFS for c in _REF_CLASSES], bool)
# category -> its reference classes, as a flat table with per-category offset and count
_CAT_REFS = np.array([_REF_CLASSES.index(c) for k in _CATEGORY_KEYS
                      for c in _CATEGORY_SPECS[k][5]], np.int64)  # fmt: skip
_CAT_REF_CNT = np.array([len(_CATEGORY_SPECS[k][5]) for k in _CATEGORY_KEYS], np.uint64)
_CAT_REF_OFF = np.concatenate([[0], np.cumsum(_CAT_REF_CNT[:-1])]).astype(np.uint64)

# kind x 4096 lookup table: a 12-bit draw -> category
_LUT_BITS = 12
_KIND_LUT = np.zeros((4, 1 << _LUT_BITS), dtype=np.int64)
for _kind, _weights in _KIND_WEIGHTS.items():
    _w = np.array(list(_weights.values()), np.float64)
    _bounds = np.round(np.cumsum(_w) / _w.sum() * (1 << _LUT_BITS)).astype(np.int64)
    _KIND_LUT[_kind] = np.array([_CAT[k] for k in _weights], np.int64)[
        np.searchsorted(_bounds, np.arange(1 << _LUT_BITS), side="right")
    ]
del _kind, _weights, _w, _bounds

# ---------------------------------------------------------------------------------------
# Counter-based randomness
# ---------------------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = (np.uint64(s) for s in (30, 27, 31, 32))
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0

# one constant per independent draw of a row
(_F_FIRST, _F_LAST, _F_COUNTRY, _F_CITY, _F_POSTCODE, _F_STREET, _F_HOUSE, _F_MONTH,
 _F_SEGMENT, _F_LANG, _F_LONG, _F_COUNT, _F_NACC, _F_ORDER, _F_CARDSHARE, _F_SAVCOUNT,
 _F_BANK, _F_ACCNO, _F_RENT, _F_ACCOUNT, _F_TXN, _F_TXN2, _F_OPEN, _F_SCALE) = (
    np.uint64(k * 0x1000193 + 0x7F4A7C15) for k in range(1, 25))  # fmt: skip


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, in place on a uint64 array (wrapping arithmetic)."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def _draw(h: np.ndarray, n) -> np.ndarray:
    """Uniform integers in [0, n) from the high 32 bits of hashes h (Lemire's method)."""
    return ((h >> _S32) * np.asarray(n, dtype=np.uint64)) >> _S32


def _unit(h: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) from the low 32 bits of hashes h."""
    return (h & _LOW32).astype(np.float64) * _INV32


def _seed_key(seed: int) -> np.uint64:
    s = np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    s += _GOLDEN
    return _mix(_mix(s) ^ np.uint64(0xD1B54A32D192ED03))[0]


def _ids(prefix, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` (a string or string array) + zero-padded decimal numbers."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _iban_chars(bank: np.ndarray, account: np.ndarray) -> np.ndarray:
    """German IBANs of (8-digit bank code, 10-digit account number), printed in groups of
    four, as an (n, 27) uint8 matrix of ASCII."""
    bban = bank * np.uint64(10**10) + account  # 18 digits, < 2**63
    # ISO 7064 mod 97-10 over BBAN + "DE00" (D = 13, E = 14)
    rem = ((bban % np.uint64(97)) * np.uint64(10**6 % 97) + np.uint64(131400)) % np.uint64(97)
    check = np.uint64(98) - rem
    n = len(bban)
    out = np.full((n, 27), ord(" "), dtype=np.uint8)
    out[:, 0], out[:, 1] = ord("D"), ord("E")
    out[:, 2] = (check // np.uint64(10)).astype(np.uint8) + 48
    out[:, 3] = (check % np.uint64(10)).astype(np.uint8) + 48
    # BBAN digit i (0 = most significant) goes to column 4 + i + its group's space
    powers = np.uint64(10) ** np.arange(17, -1, -1, dtype=np.uint64)
    digits = ((bban[:, None] // powers[None, :]) % np.uint64(10)).astype(np.uint8) + 48
    cols = 4 + np.arange(18) + (np.arange(18) + 4) // 4
    out[:, cols] = digits
    return out


def _fixed_strings(chars: np.ndarray) -> pa.Array:
    """A string array from an (n, w) uint8 matrix of ASCII (each row one string)."""
    n, w = chars.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * w).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(chars)))


def _gather(pool: pa.Array, idx: np.ndarray) -> pa.Array:
    """``pool.take(idx)`` for large outputs: decoding a dictionary array sizes the output
    once, where a string take grows (and copies) its buffer."""
    return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pool).cast(pool.type)


def _date32(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.int32()).view(pa.date32())


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def _generate_batch(n: int, seed: int, start: int) -> pa.RecordBatch:
    rows = np.arange(start, start + n, dtype=np.uint64)
    key = _seed_key(seed)
    base = _mix(rows * _GOLDEN + key)

    def h(field: np.uint64) -> np.ndarray:
        return _mix(base ^ field)

    # --- customer and address -------------------------------------------------------
    name_idx = _draw(h(_F_FIRST), len(FIRST_NAMES)) * np.uint64(len(LAST_NAMES)) + _draw(h(_F_LAST), len(LAST_NAMES))
    country_idx = _draw(h(_F_COUNTRY), len(_COUNTRIES)).astype(np.intp)
    city_idx = (_CITY_OFF[country_idx] + _draw(h(_F_CITY), _CITY_CNT[country_idx])).astype(np.intp)
    postcode_idx = _POSTCODE_OFF[city_idx] + _draw(h(_F_POSTCODE), _POSTCODE_CNT[city_idx])
    street_idx = _STREET_OFF[country_idx] + _draw(h(_F_STREET), _STREET_CNT[country_idx])
    u = _unit(h(_F_HOUSE))
    house = pc.cast(pa.array((1 + np.floor(u * u * 199)).astype(np.int64)), pa.string())
    street_name = _STREETS.take(street_idx.astype(np.int64))
    street = pc.if_else(
        pa.array(_NUMBER_FIRST[country_idx]),
        pc.binary_join_element_wise(house, street_name, " "),
        pc.binary_join_element_wise(street_name, house, " "),
    )
    de_per_mille = np.where(_COUNTRY_DE[country_idx], _DE_PER_MILLE_DACH, _DE_PER_MILLE_OTHER)
    language = (_draw(h(_F_LANG), 1000) < de_per_mille.astype(np.uint64)).astype(np.int64)

    month = _draw(h(_F_MONTH), 12).astype(np.intp)
    period_start = _MONTH_START[month]
    month_days = _MONTH_DAYS[month]
    segment = np.searchsorted(_SEGMENT_CUM, _draw(h(_F_SEGMENT), 1000), side="right")

    # --- accounts: how many, which kinds, how many transactions each ---------------------
    long = _draw(h(_F_LONG), 1000) < _LONG_PER_MILLE
    u = _unit(h(_F_COUNT))
    total = np.where(
        long,
        _LONG_FROM + np.floor(u * (MAX_TRANSACTIONS - _LONG_FROM + 1)),
        MIN_TRANSACTIONS + np.floor(u * u * (_SHORT_MAX - MIN_TRANSACTIONS + 1)),
    ).astype(np.int64)
    n_acc = (np.searchsorted(_NACC_CUM, _draw(h(_F_NACC), 1000), side="right") + 1).astype(np.int64)
    savings_first = (h(_F_ORDER) & np.uint64(1)).astype(bool)
    has_sav = (n_acc == 3) | ((n_acc == 2) & savings_first)
    has_card = (n_acc == 3) | ((n_acc == 2) & ~savings_first)
    card_share = 0.10 + 0.25 * _unit(h(_F_CARDSHARE))
    n_card = np.where(has_card, np.maximum(1, np.floor(total * card_share)), 0).astype(np.int64)
    n_sav = np.where(
        has_sav,
        np.minimum(1 + _draw(h(_F_SAVCOUNT), 4).astype(np.int64), total - 3 - n_card),
        0,
    )
    n_cur = total - n_card - n_sav  # >= 3

    m = int(n_acc.sum())
    acc_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_acc, out=acc_off[1:])
    acc_row = np.repeat(np.arange(n, dtype=np.intp), n_acc)
    acc_pos = np.arange(m, dtype=np.int64) - acc_off[:-1][acc_row]
    # position 0 is the current account; then savings and card in the row's order
    second_kind = np.where(savings_first, _K_SAVINGS, _K_CARD)
    third_kind = np.where(savings_first, _K_CARD, _K_SAVINGS)
    first_kind = np.where(segment == 2, _K_BUSINESS, _K_CURRENT)
    kind = np.choose(acc_pos, [first_kind[acc_row], second_kind[acc_row], third_kind[acc_row]])
    per_kind = np.stack([n_cur, n_cur, n_sav, n_card], axis=1)  # indexed by kind
    acc_count = per_kind[acc_row, kind]

    # account numbers: one bank code per customer, 10-digit numbers 97 apart, so all the
    # customer's IBANs have the same check digits and sort in account order
    bank = _BANK_CODES[_draw(h(_F_BANK), len(_BANK_CODES)).astype(np.intp)]
    acc_base = np.uint64(10**8) + h(_F_ACCNO) % np.uint64(10**10 - 10**8 - 1000)
    acc_no = acc_base[acc_row] + np.uint64(97) * acc_pos.astype(np.uint64)
    iban = _iban_chars(bank[acc_row], acc_no)

    ah = _mix(base[acc_row] ^ (_F_ACCOUNT + acc_pos.astype(np.uint64) * _GOLDEN))
    acc_seg = segment[acc_row]
    lo, hi = _OPENING[kind, acc_seg, 0], _OPENING[kind, acc_seg, 1]
    u = _unit(_mix(ah ^ _F_OPEN))
    if_card = kind == _K_CARD
    # card balances: owed amounts, large debts less likely; others: small balances likelier
    opening = np.where(if_card, hi - (hi - lo) * u * u, lo + (hi - lo) * u * u)
    opening = np.round(opening).astype(np.int64)

    # --- transactions ---------------------------------------------------------------------
    total_tx = int(total.sum())
    if total_tx > np.iinfo(np.int32).max:
        raise ValueError(f"{n} rows hold {total_tx} transactions; use generate_batches()")
    tx_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(total, out=tx_off[1:])
    acc_start = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(acc_count, out=acc_start[1:])
    g = np.repeat(np.arange(m, dtype=np.intp), acc_count)  # account of each transaction
    idx = np.arange(total_tx, dtype=np.int64)
    k = idx - acc_start[:-1][g]  # index within the account
    c = acc_count[g]
    t_row = acc_row[g]
    j = idx - tx_off[:-1][t_row]  # index within the statement

    th = _mix(base[t_row] ^ (_F_TXN + (j.astype(np.uint64) + np.uint64(1)) * _GOLDEN))
    th2 = _mix(th ^ _F_TXN2)
    del idx, j  # (temporaries are dropped as soon as they are used: memory per batch)
    t_kind = kind[g]
    cat = _KIND_LUT[t_kind, (th2 & np.uint64((1 << _LUT_BITS) - 1)).astype(np.intp)]
    # anchored transactions
    has_rent = (_draw(h(_F_RENT), 100) < 75)[t_row]
    cur = t_kind == _K_CURRENT
    cat[cur & (k == 0) & has_rent] = _CAT["rent"]
    cat[cur & (k == (c * 4) // 5)] = _CAT["salary"]
    cat[(t_kind == _K_BUSINESS) & (k == (c * 3) // 5)] = _CAT["biz_in"]
    cat[(t_kind == _K_SAVINGS) & (k == c - 1)] = _CAT["interest"]
    is_repay = (t_kind == _K_CARD) & (k == c // 5)
    cat[is_repay] = _CAT["repayment"]

    # dates: spread over the month, non-decreasing within an account
    frac = ((th2 >> np.uint64(12)) & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    day = period_start[t_row] + np.floor((k + frac) * month_days[t_row] / c).astype(np.int64)
    del frac, k, c, cur

    text_idx = (_CAT_TEXT_OFF[cat] + _draw(th, _CAT_TEXT_CNT[cat])).astype(np.int32)
    ref_pick = ((th2 >> np.uint64(28)) & np.uint64(0xFF)) * _CAT_REF_CNT[cat] >> np.uint64(8)
    ref_cls = _CAT_REFS[(_CAT_REF_OFF[cat] + ref_pick).astype(np.intp)]
    ref_cnt = _REFCLS_CNT[ref_cls]
    ref_idx = (
        _REFCLS_OFF[ref_cls]
        + np.where(_REFCLS_MONTHLY[ref_cls], month[t_row].astype(np.uint64) * ref_cnt, 0)
        + ((((th2 >> np.uint64(36)) & np.uint64(0xFFFFFF)) * ref_cnt) >> np.uint64(24))
    ).astype(np.int32)
    del th2, ref_pick, ref_cls, ref_cnt

    # amounts: skewed to small values, larger for private banking, rounded to a step
    u = _unit(th)
    scale = np.where(segment[t_row] == 1, _CAT_PRIVATE[cat], 1.0)
    raw = (_CAT_LO[cat] + (_CAT_HI[cat] - _CAT_LO[cat]) * u * u) * scale
    step = _CAT_STEP[cat]
    amount = (np.maximum(np.round(raw / step), 1.0) * step).astype(np.int64) * _CAT_SIGN[cat]
    amount[is_repay] = -opening[g[is_repay]]
    del th, u, scale, raw, step, t_kind, cat, is_repay

    # current accounts: scale the credits so that they cover about 90-110 % of the debits
    # (salary and incoming transfers keep up with the spending of busy accounts)
    cs = np.zeros(total_tx + 1, dtype=np.int64)
    np.cumsum(np.maximum(amount, 0), out=cs[1:])
    credits = cs[acc_start[1:]] - cs[acc_start[:-1]]
    np.cumsum(np.minimum(amount, 0), out=cs[1:])
    debits = cs[acc_start[:-1]] - cs[acc_start[1:]]  # positive
    target = debits * (0.9 + 0.2 * _unit(_mix(ah ^ _F_SCALE)))
    factor = np.where(
        (kind <= _K_BUSINESS) & (credits > 0) & (target > credits),
        target / np.maximum(credits, 1),
        1.0,
    )
    boost = (amount > 0) & (factor[g] > 1.0)
    amount[boost] = np.round(amount[boost] * factor[g[boost]]).astype(np.int64)

    # running balances; openings raised so that savings never and current accounts only
    # within the overdraft limit go below zero
    np.cumsum(amount, out=cs[1:])
    running = cs[1:] - cs[acc_start[:-1]][g]  # sum up to and including each transaction
    lowest = np.minimum(np.minimum.reduceat(running, acc_start[:-1]), 0)
    floor = np.where(kind == _K_SAVINGS, 0, -_OVERDRAFT[acc_seg])
    opening = np.where(kind == _K_CARD, opening, np.maximum(opening, floor - lowest))
    closing = opening + cs[acc_start[1:]] - cs[acc_start[:-1]]
    balance = opening[g] + running
    del cs, running

    credit_row = np.add.reduceat(np.maximum(amount, 0), tx_off[:-1])
    debit_row = np.add.reduceat(np.minimum(amount, 0), tx_off[:-1])

    # --- assemble ------------------------------------------------------------------------
    account_no = _fixed_strings(iban)
    accounts = pa.ListArray.from_arrays(
        pa.array(acc_off.astype(np.int32), pa.int32()),
        pa.StructArray.from_arrays(
            [
                account_no,
                _ACCOUNT_NAME_ARR.take(_KIND_NAME[kind]),
                pa.repeat(pa.scalar("EUR", pa.string()), m),
                pa.array(opening, pa.int64()),
                pa.array(closing, pa.int64()),
            ],
            fields=list(ACCOUNT_TYPE),
        ),
        type=SCHEMA.field("accounts").type,
    )
    transactions = pa.ListArray.from_arrays(
        pa.array(tx_off.astype(np.int32), pa.int32()),
        pa.StructArray.from_arrays(
            [
                _gather(account_no, g.astype(np.int32)),
                _date32(day),
                _gather(_TEXTS, text_idx),
                _gather(_REFS, ref_idx),
                pa.array(amount, pa.int64()),
                pa.array(balance, pa.int64()),
            ],
            fields=list(TRANSACTION_TYPE),
        ),
        type=SCHEMA.field("transactions").type,
    )
    columns = [
        _ids("S", rows, 9),
        _FULL_NAMES.take(name_idx.astype(np.int64)),
        street,
        _POSTCODES.take(postcode_idx.astype(np.int64)),
        _CITIES.take(city_idx.astype(np.int64)),
        _COUNTRY_NAMES.take(country_idx.astype(np.int64)),
        _LANGUAGES.take(language),
        _ids(_STATEMENT_PREFIX.take(month.astype(np.int64)), rows, 8),
        _date32(period_start),
        _date32(period_start + month_days - 1),
        _SEGMENT_ARR.take(segment.astype(np.int64)),
        accounts,
        transactions,
        pa.array(credit_row, pa.int64()),
        pa.array(debit_row, pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SCHEMA)


#: rows per internal batch of generate(); about 600,000 transactions per chunk
_CHUNK_ROWS = 1 << 13


def generate(n: int, seed: int = 42, *, start: int = 0) -> pa.Table:
    """Make ``n`` statement rows (global row numbers ``start`` .. ``start + n - 1``).

    Args:
        n: number of rows (statements), >= 0.
        seed: the seed; the same ``(n, seed, start)`` always gives an equal table.
        start: global number of the first row; ``generate(a, s)`` followed by
            ``generate(b, s, start=a)`` equals ``generate(a + b, s)``.

    Returns:
        A table with schema ``SCHEMA`` (one chunk per 8,192 rows).

    Raises:
        ValueError: if ``n`` or ``start`` is negative.
    """
    return pa.Table.from_batches(list(generate_batches(n, seed, _CHUNK_ROWS, start=start)), schema=SCHEMA)


def generate_batches(n: int, seed: int = 42, batch_size: int = 8_192, *, start: int = 0) -> Iterator[pa.RecordBatch]:
    """Yield ``n`` statement rows as record batches of at most ``batch_size`` rows.

    Memory is bounded by one batch (about 75 transactions a row on average; working
    memory about 25 kB a row); the concatenation equals ``generate(n, seed, start=start)``.

    Args:
        n: total number of rows, >= 0.
        seed: the seed.
        batch_size: rows per batch, >= 1.
        start: global number of the first row.

    Raises:
        ValueError: if ``n`` or ``start`` is negative or ``batch_size`` < 1.
    """
    n, start, batch_size = int(n), int(start), int(batch_size)
    if n < 0 or start < 0:
        raise ValueError(f"n and start must be >= 0, got n={n}, start={start}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for off in range(0, n, batch_size):
        yield _generate_batch(min(batch_size, n - off), seed, start + off)


def _count_transactions(batch: pa.RecordBatch) -> int:
    offsets = batch.column("transactions").offsets
    return offsets[-1].as_py() - offsets[0].as_py()


def write_parquet(
    path: str,
    n: int,
    seed: int = 42,
    *,
    batch_size: int = 8_192,
    compression: str | None = "zstd",
) -> tuple[int, int]:
    """Stream ``n`` generated rows into a Parquet file at ``path`` (bounded memory).

    Args:
        path: output file.
        n: rows (statements), >= 0.
        seed: the seed.
        batch_size: rows per batch (and per row group).
        compression: Parquet codec, or None.

    Returns:
        ``(rows, transactions)`` written.

    Raises:
        ValueError: as ``generate_batches``.
    """
    import pyarrow.parquet as pq

    rows = txns = 0
    with pq.ParquetWriter(path, SCHEMA, compression=compression) as writer:
        for batch in generate_batches(n, seed, batch_size):
            writer.write_batch(batch)
            rows += batch.num_rows
            txns += _count_transactions(batch)
    return rows, txns


def main(argv: list[str] | None = None) -> int:
    """Command line: write generated statement rows to Parquet (or Arrow IPC for .arrow)."""
    p = argparse.ArgumentParser(description="Generate seeded bank statement data for ccmcore.")
    p.add_argument("--docs", "-n", type=int, default=1000, help="rows (statements)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--batch-size", type=int, default=8_192)
    p.add_argument("--compression", default="zstd", help="Parquet codec (zstd, snappy, none)")
    p.add_argument("-o", "--output", default="statement.parquet",
                   help="output file: .parquet, or .arrow / .feather for Arrow IPC")  # fmt: skip
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    if args.output.endswith((".arrow", ".feather", ".ipc")):
        rows = txns = 0
        with pa.OSFile(args.output, "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as w:
            for batch in generate_batches(args.docs, args.seed, args.batch_size):
                w.write_batch(batch)
                rows += batch.num_rows
                txns += _count_transactions(batch)
    else:
        rows, txns = write_parquet(
            args.output, args.docs, args.seed, batch_size=args.batch_size,
            compression=None if args.compression == "none" else args.compression,
        )  # fmt: skip
    dt = time.perf_counter() - t0
    print(f"{args.output}: {rows} rows, {txns} transactions, seed {args.seed} ({dt:.2f} s)",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
