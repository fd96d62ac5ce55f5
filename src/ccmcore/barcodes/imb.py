"""USPS Intelligent Mail barcode (IMb, USPS-B-3200): 65 four-state bars.

The tracking code (20 digits) and routing code (ZIP: 0, 5, 9 or 11 digits) become a
102-bit number, protected by an 11-bit CRC, split into ten codewords, mapped to ten
13-bit characters and spread over the 65 bars' ascenders and descenders (USPS-B-3200
sections 2.2.1-2.2.6). The tables are built once, at import.

Bar letters, as USPS writes them: F full (ascender + tracker + descender), A ascender
(tracker + the part above), D descender (tracker + the part below), T tracker only.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..units import points, to_mpt
from .geometry import BarcodeError, Symbol, _frozen

__all__ = ["encode_imb", "imb_bars"]

_NAME = "Intelligent Mail"


def _n_of_13(n: int, length: int) -> list[int]:
    """The n-of-13 character table (USPS-B-3200 2.2.5): 13-bit values with n bits set.

    Values that differ from their bit-reverse go in pairs from the front (value, then its
    reverse); palindromes fill the table from the back.
    """
    table = [0] * length
    lo, hi = 0, length - 1
    for v in range(1 << 13):
        if v.bit_count() != n:
            continue
        rev = int(f"{v:013b}"[::-1], 2)
        if rev < v:
            continue
        if rev == v:
            table[hi] = v
            hi -= 1
        else:
            table[lo] = v
            table[lo + 1] = rev
            lo += 2
    assert lo == hi + 1
    return table


# codewords 0..1286 use the 5-of-13 table, 1287..1364 the 2-of-13 table
_CHARACTERS = _n_of_13(5, 1287) + _n_of_13(2, 78)

# USPS-B-3200 table 22 (bar-to-character mapping): for bars 1..65, the character (A-J)
# and bit whose 1 gives the bar a descender, then the same for its ascender.
_BAR_MAP = (
    "H2E3 B10A0 J12C8 F5G11 I9D1 A1F12 C5B8 E4J11 G3I10 D9H6 F11B4 I5C12 J10A2 H1G7 "
    "D6E9 A3I6 G4C7 B1J9 H10F2 E0D8 G2A4 I11B0 J8D12 C6H7 F1E10 B12G9 H3I0 F8J7 E6C10 "
    "D4A5 I4F7 H11B9 G0J6 A6E8 C1D2 F9I12 E11G1 J5H4 D3B2 A7C0 B3E1 G10D5 I7J4 C11F6 "
    "A8H12 E2I1 F10D0 J3A9 G5C4 H8B7 F0E5 C3A10 G12J2 D11B6 I8H9 F4A11 B5C2 J1E12 I3G6 "
    "H0D7 E7H5 A12B11 C9J0 G8F3 D10I2"
)


def _parse_bar_map() -> tuple[tuple[int, int, int, int], ...]:
    out = []
    for entry in _BAR_MAP.split():
        # entry: <char><bit><char><bit>, e.g. "B10A0"
        second = next(i for i in range(1, len(entry)) if entry[i].isalpha())
        d, a = entry[:second], entry[second:]
        out.append((ord(d[0]) - 65, int(d[1:]), ord(a[0]) - 65, int(a[1:])))
    assert len(out) == 65
    return tuple(out)


_BARS = _parse_bar_map()

_FCS_POLY = 0x0F35


def _crc_step(fcs: int, bits: int, n: int) -> int:
    """Shift n bits (MSB first, aligned at bit 10) through the CRC register."""
    for _ in range(n):
        fcs = ((fcs << 1) ^ _FCS_POLY) if (fcs ^ bits) & 0x400 else (fcs << 1)
        fcs &= 0x7FF
        bits <<= 1
    return fcs


# byte-at-a-time table: the register after shifting byte x through an all-zero register
_CRC_TABLE = [_crc_step(0, x << 3, 8) for x in range(256)]


def _crc11(value: int) -> int:
    """The 11-bit frame check sequence over the 102-bit value (as 13 bytes, USPS-B-3200 2.2.2)."""
    data = value.to_bytes(13, "big")
    fcs = _crc_step(0x07FF, data[0] << 5, 6)  # the first byte holds only 6 of the 102 bits
    table = _CRC_TABLE
    for byte in data[1:]:
        fcs = ((fcs << 8) & 0x7FF) ^ table[(fcs >> 3) ^ byte]
    return fcs


def _digits(what: str, s: str, lengths: tuple[int, ...]) -> None:
    if not isinstance(s, str):
        raise TypeError(f"{_NAME}: {what} must be a str of digits, not {type(s).__name__}")
    for i, ch in enumerate(s):
        if not ("0" <= ch <= "9"):
            raise BarcodeError(_NAME, f"{what} must be digits only", ch, i)
    if len(s) not in lengths:
        want = ", ".join(map(str, lengths))
        raise BarcodeError(_NAME, f"{what} must have {want} digits (got {len(s)})")


@lru_cache(maxsize=1024)
def imb_bars(tracking: str, routing: str = "") -> str:
    """The 65 bar letters of an Intelligent Mail barcode, left to right.

    Args:
        tracking: the 20-digit tracking code: barcode identifier (2 digits, the second
            0-4), service type identifier (3), mailer identifier and serial number (15).
        routing: the delivery point ZIP code: "", 5, 9 or 11 digits.

    Returns:
        a 65-character string of F (full), A (ascender), D (descender), T (tracker).

    Raises:
        BarcodeError: (a ValueError) for a non-digit, a wrong length, or a barcode
            identifier whose second digit is above 4.
    """
    _digits("tracking code", tracking, (20,))
    _digits("routing code", routing, (0, 5, 9, 11))
    if tracking[1] > "4":
        raise BarcodeError(_NAME, "the barcode identifier's second digit must be 0-4", tracking[1], 1)
    # step 1: fields to a binary value
    if len(routing) == 0:
        value = 0
    elif len(routing) == 5:
        value = int(routing) + 1
    elif len(routing) == 9:
        value = int(routing) + 100_000 + 1
    else:
        value = int(routing) + 1_000_000_000 + 100_000 + 1
    value = value * 10 + int(tracking[0])
    value = value * 5 + int(tracking[1])
    for ch in tracking[2:]:
        value = value * 10 + int(ch)
    # step 2: CRC
    fcs = _crc11(value)
    # step 3: ten codewords, J first (least significant)
    cw = [0] * 10
    cw[9], value = value % 636, value // 636
    for i in range(8, 0, -1):
        cw[i], value = value % 1365, value // 1365
    cw[0] = value
    # step 4: orientation and the CRC's top bit
    cw[9] *= 2
    if fcs & 0x400:
        cw[0] += 659
    # step 5: codewords to characters; the CRC's low ten bits invert characters A-J
    chars = [_CHARACTERS[c] for c in cw]
    for i in range(10):
        if fcs & (1 << i):
            chars[i] ^= 0x1FFF
    # step 6: characters to bars
    return "".join(["TDAF"[(chars[ac] >> ab & 1) * 2 + (chars[dc] >> db & 1)] for dc, db, ac, ab in _BARS])


_KIND = np.zeros(256, np.int64)
_KIND[[ord("T"), ord("D"), ord("A"), ord("F")]] = [0, 1, 2, 3]
_EXTENSIONS = np.array([0, 1, 1, 2], np.int64)  # tracker, descender, ascender, full
_BAR_INDEX = np.arange(65, dtype=np.float64)

#: Nominal dimensions (USPS-B-3200 / DMM 708.4), in mpt: bar width 0.020 in, 22 bars per
#: inch, tracker 0.048 in, full bar 0.145 in (ranges: width 0.015-0.025 in, pitch 20-24
#: bars per inch, tracker 0.039-0.057 in, full bar 0.125-0.165 in).
IMB_BAR_WIDTH = 1440
IMB_PITCH = 72_000 / 22
IMB_TRACKER = 3456
IMB_FULL = 10_440
IMB_QUIET_H = 9000  # 0.125 in left and right
IMB_QUIET_V = 2016  # 0.028 in above and below


@lru_cache(maxsize=1024)
def encode_imb(
    tracking: str,
    routing: str = "",
    *,
    bar_width: float | str = IMB_BAR_WIDTH / 1000,
    pitch: float | str = IMB_PITCH / 1000,
    tracker: float | str = IMB_TRACKER / 1000,
    full: float | str = IMB_FULL / 1000,
    quiet_zone: bool = True,
) -> Symbol:
    """Encode a USPS Intelligent Mail barcode as 65 bars.

    Args:
        tracking: the 20-digit tracking code (see :func:`imb_bars`).
        routing: the ZIP code: "", 5, 9 or 11 digits.
        bar_width: bar width, a length (points, or a string such as "0.02in"; nominal
            0.020 in = 1.44 pt).
        pitch: bar-to-bar distance (nominal 1/22 in); each bar's left edge is rounded to
            whole millipoints.
        tracker: the tracker's height (nominal 0.048 in).
        full: the full bar's height (nominal 0.145 in); ascenders and descenders
            reach (full - tracker) / 2 beyond the tracker.
        quiet_zone: include the clear zone (0.125 in left and right, 0.028 in above and
            below) in the symbol's size.

    Returns:
        a :class:`Symbol` (``modules`` None; ``text`` the 65 bar letters); cached.

    Raises:
        BarcodeError: (a ValueError) for invalid tracking or routing codes.
    """
    letters = imb_bars(tracking, routing)
    bar_width, tracker, full = to_mpt(bar_width), to_mpt(tracker), to_mpt(full)
    pitch = points(pitch, f"{_NAME}: pitch") * 1000  # fractional: bars are placed by rounding
    if not (0 < tracker < full and 0 < bar_width < pitch):
        raise ValueError(f"{_NAME}: need 0 < tracker < full and 0 < bar_width < pitch")
    qx, qy = (IMB_QUIET_H, IMB_QUIET_V) if quiet_zone else (0, 0)
    ext = (full - tracker) // 2
    full = tracker + 2 * ext
    kind = _KIND[np.frombuffer(letters.encode("ascii"), np.uint8)]  # 0 T, 1 D, 2 A, 3 F
    bars = np.empty((65, 4), np.int32)
    bars[:, 0] = np.rint(_BAR_INDEX * pitch) + qx
    bars[:, 1] = np.where(kind >= 2, 0, ext) + qy
    bars[:, 2] = bar_width
    bars[:, 3] = tracker + ext * _EXTENSIONS[kind]
    width = round(64 * pitch) + bar_width
    return Symbol(
        width=width + 2 * qx,
        height=full + 2 * qy,
        bars=_frozen(bars),
        text=letters,
    )
