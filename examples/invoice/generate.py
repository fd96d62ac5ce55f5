"""Seeded generator of invoice data for the standard invoice job (see jobs/invoice.md).

One Arrow row per document: a telecom customer with a European (UTF-8, diacritics)
name and address, an invoice number and date, a segment, and 3 to 120 line items.

Every value of row ``r`` (the *global* row number, ``start + i``) is a pure function of
``(seed, r)``: random draws come from a counter-based hash (SplitMix64 finaliser) of the
seed, the row number, the item index and a per-field constant, computed with vectorised
numpy over whole batches. So the output is deterministic, and any split into batches
(``generate_batches``, or ``generate(..., start=k)``) concatenates to exactly the same
table as one call.

Usage::

    python examples/invoice/generate.py --docs 1000 --seed 42 -o invoice.parquet

or from Python::

    table = generate(1000, seed=42)
    for batch in generate_batches(10_000_000, seed=42, batch_size=65_536): ...
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "SCHEMA",
    "ITEM_TYPE",
    "generate",
    "generate_batches",
    "write_parquet",
    "main",
]

#: Arrow type of one line item.
ITEM_TYPE = pa.struct(
    [
        pa.field("date", pa.date32()),
        pa.field("description", pa.string()),
        pa.field("quantity", pa.int32()),
        pa.field("unit_price_cents", pa.int64()),
        pa.field("amount_cents", pa.int64()),
    ]
)

#: The schema of the standard invoice job's data (one row per document).
SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("street", pa.string()),
        pa.field("postcode", pa.string()),
        pa.field("city", pa.string()),
        pa.field("country", pa.string()),
        pa.field("invoice_no", pa.string()),
        pa.field("invoice_date", pa.date32()),
        pa.field("segment", pa.string()),
        pa.field("language", pa.string()),
        pa.field("items", pa.list_(ITEM_TYPE)),
        pa.field("total_cents", pa.int64()),
    ]
)

# ---------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Łukasz", "Chloé", "Søren", "Zoë", "Björn", "Agnieszka", "José", "François",
    "Jürgen", "Małgorzata", "Siobhán", "Ørjan", "Miloš", "Jiří", "Hélène", "Íñigo",
    "Ángela", "Şebnem", "Aoife", "Niamh", "Emma", "Lukas", "Marie", "Sofía",
    "Thomas", "Anna", "Zsófia", "Dóra", "Tomáš", "Žofie", "Mārtiņš", "Gintarė",
    "Léa", "Gaëlle", "Oskar", "Ľubomír", "Dragan", "João", "Kateřina", "Håkon",
)  # fmt: skip

LAST_NAMES = (
    "Öztürk", "Dubois", "O'Brien", "Müller", "Ñúñez", "Đorđević", "Nowak", "Wiśniewski",
    "Lefèvre", "García", "Fernández", "Schröder", "Jørgensen", "Åkesson", "Nørgaard",
    "Dvořák", "Novák", "Horváth", "Szabó", "Kovačević", "Petrović", "Ó Súilleabháin",
    "Çelik", "Yılmaz", "Şahin", "Rossi", "Esposito", "Papadopoulos", "van den Berg",
    "De Vries", "Janssens", "Lindqvist", "Mäkinen", "Kalniņš", "Kazlauskas", "Gonçalves",
    "Conceição", "Weiß", "Strauß", "D'Angelo",
)  # fmt: skip

# country -> (house number comes first?, streets, ((city, (postcodes...)), ...))
_COUNTRIES = (
    ("Germany", False,
     ("Hauptstraße", "Schillerstraße", "Bahnhofstraße", "Am Marktplatz", "Lindenallee",
      "Königsallee", "Mühlenweg", "Friedrichstraße"),
     (("Berlin", ("10115", "10117", "10435", "12043")),
      ("München", ("80331", "80469", "81667")),
      ("Hamburg", ("20095", "22767")),
      ("Köln", ("50667", "50937")))),
    ("France", True,
     ("rue de la Paix", "avenue des Champs-Élysées", "rue Sainte-Catherine",
      "boulevard Saint-Michel", "place de l'Église", "rue du Faubourg Saint-Honoré"),
     (("Paris", ("75001", "75011", "75015")),
      ("Lyon", ("69001", "69003")),
      ("Marseille", ("13001", "13008")),
      ("Toulouse", ("31000",)))),
    ("Poland", False,
     ("ul. Długa", "ul. Piotrkowska", "ul. Marszałkowska", "ul. Świętokrzyska",
      "ul. Żeromskiego", "al. Jerozolimskie"),
     (("Warszawa", ("00-950", "02-495")),
      ("Kraków", ("30-001", "31-154")),
      ("Gdańsk", ("80-001",)),
      ("Łódź", ("90-001", "93-005")))),
    ("Spain", False,
     ("Calle Mayor", "Avenida de la Constitución", "Calle de Alcalá", "Passeig de Gràcia",
      "Plaza de España", "Calle Larios"),
     (("Madrid", ("28001", "28013")),
      ("Barcelona", ("08001", "08036")),
      ("Sevilla", ("41001",)),
      ("Málaga", ("29001", "29015")))),
    ("Denmark", False,
     ("Nørrebrogade", "Vesterbrogade", "Østerbrogade", "Kongens Nytorv", "Strøget",
      "Åboulevard"),
     (("København", ("1050", "2100", "2200")),
      ("Aarhus", ("8000",)),
      ("Odense", ("5000",)))),
    ("Sweden", False,
     ("Drottninggatan", "Storgatan", "Kungsgatan", "Götgatan", "Sveavägen"),
     (("Stockholm", ("111 22", "114 55")),
      ("Göteborg", ("411 03",)),
      ("Malmö", ("211 20",)),
      ("Uppsala", ("753 10",)))),
    ("Switzerland", False,
     ("Bahnhofstrasse", "Rue du Rhône", "Marktgasse", "Seestrasse", "Limmatquai"),
     (("Zürich", ("8001", "8004")),
      ("Genève", ("1201", "1204")),
      ("Basel", ("4051",)),
      ("Bern", ("3011",)))),
    ("Austria", False,
     ("Mariahilfer Straße", "Getreidegasse", "Herrengasse", "Landstraßer Hauptstraße",
      "Kärntner Straße"),
     (("Wien", ("1010", "1070")),
      ("Graz", ("8010",)),
      ("Salzburg", ("5020",)),
      ("Innsbruck", ("6020",)))),
    ("Ireland", True,
     ("Grafton Street", "O'Connell Street", "Patrick Street", "Shop Street"),
     (("Dublin", ("D02 X285", "D08 VF8H")),
      ("Cork", ("T12 R2NC",)),
      ("Galway", ("H91 E2K3",)))),
    ("United Kingdom", True,
     ("High Street", "Baker Street", "Station Road", "Church Lane", "Victoria Road"),
     (("London", ("SW1A 1AA", "EC1A 1BB", "N1 9GU")),
      ("Manchester", ("M1 1AE",)),
      ("Edinburgh", ("EH1 1YZ",)))),
    ("Netherlands", False,
     ("Keizersgracht", "Damrak", "Prinsengracht", "Coolsingel", "Oudegracht"),
     (("Amsterdam", ("1012 AB", "1071 DJ")),
      ("Rotterdam", ("3011 AA",)),
      ("Utrecht", ("3511 LX",)))),
    ("Italy", False,
     ("Via Roma", "Via del Corso", "Corso Vittorio Emanuele II", "Via Garibaldi",
      "Piazza della Repubblica"),
     (("Roma", ("00184", "00186")),
      ("Milano", ("20121",)),
      ("Napoli", ("80132",)),
      ("Torino", ("10121",)))),
    ("Czechia", False,
     ("Národní", "Václavské náměstí", "Vodičkova", "Masarykova", "Křižíkova"),
     (("Praha", ("110 00", "120 00")),
      ("Brno", ("602 00",)),
      ("Plzeň", ("301 00",)))),
    ("Serbia", False,
     ("Knez Mihailova", "Bulevar kralja Aleksandra", "Njegoševa", "Čika Ljubina"),
     (("Beograd", ("11000",)),
      ("Novi Sad", ("21000",)),
      ("Niš", ("18000",)))),
    ("Portugal", False,
     ("Rua Augusta", "Avenida da Liberdade", "Rua de Santa Catarina", "Praça do Comércio"),
     (("Lisboa", ("1100-148", "1250-096")),
      ("Porto", ("4000-322",)),
      ("Coimbra", ("3000-143",)))),
)  # fmt: skip

# (description, unit price in cents); the first _N_PLANS are the monthly plans that open
# every invoice, the rest are drawn for the other items.
PRICE_LIST = (
    ("Monthly plan — Unlimited 5G", 4999),
    ("Monthly plan — Smart 20 GB", 2999),
    ("Monthly plan — Basic 5 GB", 1499),
    ("Business plan — Fleet 50 GB", 6999),
    ("Family plan — 4 lines", 8999),
    ("Home fibre 500 Mbit/s", 3999),
    ("Mobile data 1 GB bundle", 499),
    ("Mobile data 5 GB bundle", 1299),
    ("Mobile data 10 GB bundle", 1999),
    ("Mobile data 20 GB bundle", 2999),
    ("Mobile data pay-as-you-go (100 MB)", 199),
    ("National calls (per 10 min)", 49),
    ("Calls to mobile networks (per 10 min)", 79),
    ("International calls — Germany", 129),
    ("International calls — France", 129),
    ("International calls — Poland", 149),
    ("International calls — Türkiye", 199),
    ("International calls — United States", 179),
    ("International calls — India", 229),
    ("Roaming calls — Switzerland", 199),
    ("Roaming calls — United Kingdom", 189),
    ("Roaming calls — Norway", 179),
    ("Roaming calls — Serbia", 249),
    ("Roaming calls — United States", 299),
    ("Roaming data — Switzerland (100 MB)", 299),
    ("Roaming data — World zone 2 (100 MB)", 599),
    ("International SMS", 19),
    ("SMS", 9),
    ("MMS", 39),
    ("Premium SMS service", 199),
    ("Voicemail to e-mail", 99),
    ("Call forwarding", 29),
    ("Conference call", 149),
    ("Directory enquiries (118 xx)", 249),
    ("eSIM profile download", 500),
    ("SIM card replacement", 1500),
    ("Device instalment — smartphone", 2499),
    ("Device instalment — tablet", 1899),
    ("Device insurance", 799),
    ("Streaming add-on — music", 999),
    ("Streaming add-on — video", 1299),
    ("TV box rental", 599),
    ("Fibre router rental", 499),
    ("Static IP address", 500),
    ("Cloud backup 100 GB", 299),
    ("Security suite for mobile", 399),
    ("Parental controls", 199),
    ("Itemised bill (paper)", 150),
    ("Late payment fee", 500),
    ("Top-up voucher", 1000),
    ("Hotspot pass (24 h)", 349),
    ("Wi-Fi calling", 50),
    ("Video call minutes (per 10 min)", 59),
    ("Toll-free number 0800 — business", 1999),
    ("Extra line — smartwatch", 499),
    ("5G speed boost (7 days)", 299),
    ("Data rollover", 99),
    ("Mobile payment — parking", 250),
    ("Mobile payment — public transport", 280),
    ("Satellite roaming (per min)", 499),
    ("Maritime roaming (per min)", 399),
    ("In-flight roaming (per min)", 499),
    ("Call barring service", 99),
    ("Multi-SIM", 499),
)
_N_PLANS = 6

SEGMENTS = ("consumer", "business", "premium")
#: cumulative weights of SEGMENTS (consumer 72 %, business 20 %, premium 8 %), per mille
_SEGMENT_CUM = np.array([720, 920, 1000], dtype=np.uint64)

#: share of rows with the maximum number of items, per mille
_FULL_PER_MILLE = 100
MIN_ITEMS, MAX_ITEMS, SHORT_MAX_ITEMS = 3, 120, 25
#: the billing period the line items fall into (days before the invoice date)
_PERIOD_DAYS = 30

_EPOCH = _dt.date(1970, 1, 1)
_YEAR_START = (_dt.date(2026, 1, 1) - _EPOCH).days
_YEAR_DAYS = 365

# ---------------------------------------------------------------------------------------
# Derived lookup arrays (built once at import; small)
# ---------------------------------------------------------------------------------------

_FULL_NAMES = pa.array([f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES], pa.string())
_COUNTRY_NAMES = pa.array([c[0] for c in _COUNTRIES], pa.string())
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
_DESCRIPTIONS = pa.array([d for d, _ in PRICE_LIST], pa.string())
_PRICES = np.array([p for _, p in PRICE_LIST], dtype=np.int64)
_SEGMENT_ARR = pa.array(SEGMENTS, pa.string())

# ---------------------------------------------------------------------------------------
# Counter-based randomness
# ---------------------------------------------------------------------------------------

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S32 = (np.uint64(s) for s in (30, 27, 31, 32))
_LOW32 = np.uint64(0xFFFFFFFF)

# one constant per independent draw of a row
(_F_FULL, _F_COUNT, _F_FIRST, _F_LAST, _F_COUNTRY, _F_CITY, _F_POSTCODE,
 _F_STREET, _F_HOUSE, _F_DATE, _F_SEGMENT) = (np.uint64(k * 0x1000193 + 0x5BD1E995)
                                             for k in range(1, 12))  # fmt: skip


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


def _draw_lo(h: np.ndarray, n) -> np.ndarray:
    """Uniform integers in [0, n) from the low 32 bits of hashes h."""
    return ((h & _LOW32) * np.asarray(n, dtype=np.uint64)) >> _S32


def _seed_key(seed: int) -> np.uint64:
    s = np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    s += _GOLDEN
    return _mix(_mix(s) ^ np.uint64(0xD1B54A32D192ED03))[0]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded decimal numbers, vectorised in Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def _generate_batch(n: int, seed: int, start: int) -> pa.RecordBatch:
    rows = np.arange(start, start + n, dtype=np.uint64)
    key = _seed_key(seed)

    # per-row base hash, then one hash per field
    base = _mix(rows * _GOLDEN + key)
    h = {f: _mix(base ^ f) for f in (_F_FULL, _F_COUNT, _F_FIRST, _F_LAST, _F_COUNTRY,
                                    _F_CITY, _F_POSTCODE, _F_STREET, _F_HOUSE, _F_DATE,
                                    _F_SEGMENT)}  # fmt: skip

    # --- header fields ------------------------------------------------------------------
    name_idx = _draw(h[_F_FIRST], len(FIRST_NAMES)) * np.uint64(len(LAST_NAMES)) + _draw(h[_F_LAST], len(LAST_NAMES))
    name = _FULL_NAMES.take(name_idx.astype(np.int64))

    country_idx = _draw(h[_F_COUNTRY], len(_COUNTRIES)).astype(np.intp)
    city_idx = _CITY_OFF[country_idx] + _draw(h[_F_CITY], _CITY_CNT[country_idx])
    city_idx = city_idx.astype(np.intp)
    postcode_idx = _POSTCODE_OFF[city_idx] + _draw(h[_F_POSTCODE], _POSTCODE_CNT[city_idx])
    street_idx = _STREET_OFF[country_idx] + _draw(h[_F_STREET], _STREET_CNT[country_idx])
    # house numbers 1..199, small numbers more likely
    u = _draw(h[_F_HOUSE], 1 << 16).astype(np.float64) / 65536.0
    house = pc.cast(pa.array((1 + np.floor(u * u * 199)).astype(np.int64)), pa.string())
    street_name = _STREETS.take(street_idx.astype(np.int64))
    street = pc.if_else(
        pa.array(_NUMBER_FIRST[country_idx]),
        pc.binary_join_element_wise(house, street_name, " "),
        pc.binary_join_element_wise(street_name, house, " "),
    )

    # invoice dates: 2026-01-31 .. 2026-12-31, so the whole billing period lies in 2026
    invoice_day = (_YEAR_START + _PERIOD_DAYS + _draw(h[_F_DATE], _YEAR_DAYS - _PERIOD_DAYS)).astype(np.int32)

    seg_draw = _draw(h[_F_SEGMENT], 1000)
    segment_idx = np.searchsorted(_SEGMENT_CUM, seg_draw, side="right")
    segment = _SEGMENT_ARR.take(segment_idx.astype(np.int64))

    # --- line items ---------------------------------------------------------------------
    full = _draw(h[_F_FULL], 1000) < _FULL_PER_MILLE
    counts = np.where(
        full,
        MAX_ITEMS,
        MIN_ITEMS + _draw(h[_F_COUNT], SHORT_MAX_ITEMS - MIN_ITEMS + 1).astype(np.int64),
    ).astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total_items = int(offsets[-1])
    if total_items > np.iinfo(np.int32).max:
        raise ValueError(f"{n} rows hold {total_items} items, too many for one list array; use generate_batches()")

    row_of = np.repeat(np.arange(n, dtype=np.intp), counts)
    j = np.arange(total_items, dtype=np.int64) - offsets[:-1][row_of]
    ih = _mix(base[row_of] + (j.astype(np.uint64) + np.uint64(1)) * _GOLDEN)

    # description: item 0 is one of the plans, the others anything else on the price list
    desc_idx = np.where(
        j == 0,
        _draw(ih, _N_PLANS),
        _N_PLANS + _draw(ih, len(PRICE_LIST) - _N_PLANS),
    ).astype(np.int64)
    # quantity: half of the items once, the rest 2..20
    q_draw = (ih >> np.uint64(16)) & np.uint64(0xFFFF)
    q_many = 2 + (((q_draw & np.uint64(0x7FFF)) * np.uint64(19)) >> np.uint64(15))
    quantity = np.where(q_draw < np.uint64(0x8000), 1, q_many).astype(np.int32)
    quantity[j == 0] = 1
    unit_price = _PRICES[desc_idx]
    amount = quantity.astype(np.int64) * unit_price
    # item dates spread over the billing period, non-decreasing within an invoice
    frac = (ih & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    day_in_period = np.floor((j + frac) * _PERIOD_DAYS / counts[row_of]).astype(np.int32)
    item_day = invoice_day[row_of] - _PERIOD_DAYS + day_in_period

    total = np.add.reduceat(amount, offsets[:-1]) if n else np.zeros(0, np.int64)

    items_struct = pa.StructArray.from_arrays(
        [
            pa.array(item_day, pa.int32()).view(pa.date32()),
            _DESCRIPTIONS.take(desc_idx),
            pa.array(quantity, pa.int32()),
            pa.array(unit_price, pa.int64()),
            pa.array(amount, pa.int64()),
        ],
        fields=list(ITEM_TYPE),
    )
    items = pa.ListArray.from_arrays(
        pa.array(offsets.astype(np.int32), pa.int32()),
        items_struct,
        type=SCHEMA.field("items").type,
    )

    columns = [
        _ids("C", rows, 9),
        name,
        street,
        _POSTCODES.take(postcode_idx.astype(np.int64)),
        _CITIES.take(city_idx.astype(np.int64)),
        _COUNTRY_NAMES.take(country_idx.astype(np.int64)),
        _ids("INV-2026-", rows, 8),
        pa.array(invoice_day, pa.int32()).view(pa.date32()),
        segment,
        pa.repeat(pa.scalar("en", pa.string()), n),
        items,
        pa.array(total, pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SCHEMA)


#: rows per internal batch of generate(); keeps list offsets and temporaries small
_CHUNK_ROWS = 1 << 17


def generate(n: int, seed: int = 42, *, start: int = 0) -> pa.Table:
    """Make ``n`` invoice rows (global row numbers ``start`` .. ``start + n - 1``).

    Args:
        n: number of rows (documents), >= 0.
        seed: the seed; the same ``(n, seed, start)`` always gives an equal table.
        start: global number of the first row; ``generate(a, s)`` followed by
            ``generate(b, s, start=a)`` equals ``generate(a + b, s)``.

    Returns:
        A table with schema ``SCHEMA`` (one chunk per 131,072 rows).

    Raises:
        ValueError: if ``n`` or ``start`` is negative.
    """
    return pa.Table.from_batches(list(generate_batches(n, seed, _CHUNK_ROWS, start=start)), schema=SCHEMA)


def generate_batches(n: int, seed: int = 42, batch_size: int = 65_536, *, start: int = 0) -> Iterator[pa.RecordBatch]:
    """Yield ``n`` invoice rows as record batches of at most ``batch_size`` rows.

    Memory is bounded by one batch; the concatenation equals ``generate(n, seed,
    start=start)``.

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
    if n == 0:
        return
    for off in range(0, n, batch_size):
        yield _generate_batch(min(batch_size, n - off), seed, start + off)


def write_parquet(
    path: str,
    n: int,
    seed: int = 42,
    *,
    batch_size: int = 65_536,
    compression: str = "zstd",
) -> tuple[int, int]:
    """Stream ``n`` generated rows into a Parquet file at ``path``.

    Returns:
        ``(rows, items)`` written.
    """
    import pyarrow.parquet as pq

    rows = items = 0
    with pq.ParquetWriter(path, SCHEMA, compression=compression) as writer:
        for batch in generate_batches(n, seed, batch_size):
            writer.write_batch(batch)
            rows += batch.num_rows
            offsets = batch.column("items").offsets
            items += offsets[-1].as_py() - offsets[0].as_py()
    return rows, items


def main(argv: list[str] | None = None) -> int:
    """Command line: write generated invoice rows to Parquet (or Arrow IPC for .arrow)."""
    p = argparse.ArgumentParser(description="Generate seeded invoice data for ccmcore.")
    p.add_argument("--docs", "-n", type=int, default=1000, help="rows (documents)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--batch-size", type=int, default=65_536)
    p.add_argument("--compression", default="zstd", help="Parquet codec (zstd, snappy, none)")
    p.add_argument("-o", "--output", default="invoice.parquet",
                   help="output file: .parquet, or .arrow / .feather for Arrow IPC")  # fmt: skip
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    if args.output.endswith((".arrow", ".feather", ".ipc")):
        rows = items = 0
        with pa.OSFile(args.output, "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as w:
            for batch in generate_batches(args.docs, args.seed, args.batch_size):
                w.write_batch(batch)
                rows += batch.num_rows
                off = batch.column("items").offsets
                items += off[-1].as_py() - off[0].as_py()
    else:
        rows, items = write_parquet(
            args.output, args.docs, args.seed, batch_size=args.batch_size,
            compression=None if args.compression == "none" else args.compression,
        )  # fmt: skip
    dt = time.perf_counter() - t0
    print(f"{args.output}: {rows} rows, {items} items, seed {args.seed} ({dt:.2f} s)",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
