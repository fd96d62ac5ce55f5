"""Code 128 (ISO/IEC 15417) and GS1-128, with optimal automatic code set selection.

The encoder chooses code sets A, B and C (switching with CODE x and single-character
SHIFT) by a shortest-path search over the data, so the symbol has the fewest symbol
characters possible: digit runs go to code set C, control characters to A, lower case
to B. Characters 128-255 (ISO 8859-1) are encoded with FNC4, as ISO/IEC 15417 defines.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from ..units import to_mpt
from .geometry import BarcodeError, Symbol, _frozen

__all__ = ["encode_code128", "code128_values", "CODE128_QUIET_ZONE"]

#: Minimum quiet zone on each side, in modules (ISO/IEC 15417).
CODE128_QUIET_ZONE = 10

_NAME = "Code 128"

# Bar/space widths of symbol values 0..106 (106 = stop, with its final 2-module bar),
# ISO/IEC 15417 table 1. Each string alternates bar, space, bar, ... starting with a bar.
_WIDTHS = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 "
    "221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 "
    "221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
    "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 "
    "231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 "
    "231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 "
    "111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 "
    "114131 311141 411131 211412 211214 211232 2331112"
).split()

_A, _B, _C = 0, 1, 2
_START = (103, 104, 105)
_STOP = 106
_SHIFT = 98
_FNC1 = 102
_FNC4 = (101, 100)  # in A, in B
_CODE = {  # _CODE[from, to]: the symbol value that latches to code set `to`
    (_A, _B): 100,
    (_A, _C): 99,
    (_B, _A): 101,
    (_B, _C): 99,
    (_C, _A): 101,
    (_C, _B): 100,
}
_GS = 0x1D
_FNC1_TOKEN = -1


def _value_in(c: int, s: int) -> int:
    """Symbol value of ASCII char c (0..127) in code set A or B, or -1 if not in the set."""
    if s == _A:
        if c < 32:
            return c + 64
        return c - 32 if c < 96 else -1
    return c - 32 if 32 <= c < 128 else -1


def _tokens(data: str, gs1: bool) -> list[int]:
    toks = []
    for i, ch in enumerate(data):
        c = ord(ch)
        if c > 255:
            raise BarcodeError(_NAME, "character outside ISO 8859-1", ch, i)
        if gs1 and c == _GS:
            c = _FNC1_TOKEN
        toks.append(c)
    return toks


def code128_values(data: str, *, gs1: bool = False) -> list[int]:
    """The symbol values of a Code 128 symbol: start, data, check character and stop.

    Args:
        data: the text; characters 0-255 (128-255 are encoded with FNC4).
        gs1: GS1-128: an FNC1 follows the start character, and each GS (``"\\x1d"``) in
            the data is encoded as FNC1 (the GS1 separator after a variable-length field).

    Returns:
        list of ints in 0..106.

    Raises:
        BarcodeError: (a ValueError) for a character Code 128 cannot encode.
    """
    if not data:
        raise BarcodeError(_NAME, "no data to encode")
    toks = _tokens(data, gs1)
    if gs1:
        toks.insert(0, _FNC1_TOKEN)
    vals = _choose(toks, None if gs1 else data)
    check = vals[0]
    for i in range(1, len(vals)):
        check += i * vals[i]
    vals.append(check % 103)
    vals.append(_STOP)
    return vals


_DIGIT_RUNS = re.compile(r"[0-9]{4,}")
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


def _printable_values(data: str) -> list[int]:
    """Fewest symbol values for printable ASCII, without the general search.

    Code set B holds every printable character (A adds nothing for them), so the only
    choice is which digit runs go to code set C. The data is in B between runs, so each
    run is decided alone: C pays when its pairs plus the latches in and out (none at the
    data's start or end) are fewer than its digits, which needs four digits or more. An
    odd digit stays in B, after the pairs, or before them when the run ends the data.
    """
    n = len(data)
    if n % 2 == 0 and data.isdigit():
        return [_START[_C]] + [int(data[i : i + 2]) for i in range(0, n, 2)]
    vals: list[int] = []
    start = _START[_B]
    pos = 0
    for m in _DIGIT_RUNS.finditer(data):
        a, b = m.span()
        size = b - a
        c_cost = (a > 0) + size // 2 + size % 2 + (b < n)
        if c_cost >= size:
            continue
        vals.extend(ord(ch) - 32 for ch in data[pos:a])
        odd_first = size % 2 == 1 and b == n and a > 0
        if odd_first:
            vals.append(ord(data[a]) - 32)
            a += 1
        if vals:
            vals.append(_CODE[_B, _C])
        else:
            start = _START[_C]
        stop = b - (size % 2 if not odd_first else 0)
        vals.extend(int(data[i : i + 2]) for i in range(a, stop, 2))
        if stop < n:
            vals.append(_CODE[_C, _B])
        pos = stop
    vals.extend(ord(ch) - 32 for ch in data[pos:])
    vals.insert(0, start)
    return vals


_LATCH, _CHAR, _SHIFTED, _PAIR, _FNC1K, _FNC4K = range(6)


def _choose(toks: list[int], data: str | None = None) -> list[int]:
    """Fewest symbol values for the tokens: shortest path over (position, code set).

    ``data`` (the plain text, when no token is an FNC1) enables the fast path for
    printable ASCII (see :func:`_printable_values`).
    """
    n = len(toks)
    if data is not None and _PRINTABLE.fullmatch(data):
        return _printable_values(data)
    INF = 1 << 30
    cost = [INF] * (3 * n + 3)  # cost[3*i + s]
    back = [0] * (3 * n + 3)  # ((prev position * 3 + prev set) << 3) | kind
    cost[0] = cost[1] = cost[2] = 1
    for i in range(n + 1):
        k = 3 * i
        ca, cb, cc = cost[k], cost[k + 1], cost[k + 2]
        best = min(cb, ca, cc)
        bs = _B if cb == best else (_A if ca == best else _C)
        for t in (_B, _A, _C):
            if best + 1 < cost[k + t]:
                cost[k + t] = best + 1
                back[k + t] = ((k + bs) << 3) | _LATCH
        if i == n:
            break
        tok = toks[i]
        for s in (_B, _A, _C):
            c = cost[k + s]
            if c >= INF:
                continue
            if tok == _FNC1_TOKEN:
                j, c, kind = k + 3 + s, c + 1, _FNC1K
            elif s == _C:
                if i + 1 < n and 48 <= tok <= 57 and 48 <= toks[i + 1] <= 57:
                    j, c, kind = k + 6 + s, c + 1, _PAIR
                else:
                    continue
            elif tok < 128:
                if _value_in(tok, s) >= 0:
                    j, c, kind = k + 3 + s, c + 1, _CHAR
                else:
                    j, c, kind = k + 3 + s, c + 2, _SHIFTED
            elif _value_in(tok - 128, s) >= 0:
                j, c, kind = k + 3 + s, c + 2, _FNC4K
            else:
                continue
            if c < cost[j]:
                cost[j] = c
                back[j] = ((k + s) << 3) | kind
    # walk back from the cheapest end state (ties: B, then A)
    k = 3 * n
    s = min((_B, _A, _C), key=lambda t: cost[k + t])
    j = k + s
    steps = []
    while j > 2:
        b = back[j]
        steps.append((b >> 3, j, b & 7))
        j = b >> 3
    vals = [_START[j]]
    for pj, j, kind in reversed(steps):
        ps, s, i = pj % 3, j % 3, pj // 3
        tok = toks[i]
        if kind == _LATCH:
            vals.append(_CODE[ps, s])
        elif kind == _FNC1K:
            vals.append(_FNC1)
        elif kind == _PAIR:
            vals.append((tok - 48) * 10 + toks[i + 1] - 48)
        elif kind == _CHAR:
            vals.append(_value_in(tok, s))
        elif kind == _SHIFTED:
            vals.append(_SHIFT)
            vals.append(_value_in(tok, 1 - s))
        else:  # FNC4
            vals.append(_FNC4[s])
            vals.append(_value_in(tok - 128, s))
    return vals


def _tables() -> tuple[list[bytes], list[bytes], np.ndarray]:
    """Per symbol value: its bars as int32 (x, 0, w, 1) rows in modules, and its module pattern.

    Every character but the stop has three bars in 11 modules. The stop's fourth bar (its
    final 2 modules, at 11) is stored relative to the *next* character's start (x = 0), so
    one offset per three bars places every bar of a symbol.
    """
    bars, pattern = [], []
    for v, w in enumerate(_WIDTHS):
        x, row, dark, pairs = 0, [], True, []
        for c in w:
            if dark:
                pairs += [x, 0, int(c), 1]
            row += [dark] * int(c)
            x += int(c)
            dark = not dark
        if v == _STOP:
            pairs[12] -= 11
        bars.append(np.array(pairs, np.int32).tobytes())
        pattern.append(np.array(row, np.bool_).tobytes())
    offsets = np.zeros((3 * 1024, 4), np.int32)
    offsets[:, 0] = np.repeat(np.arange(0, 11 * 1024, 11, dtype=np.int32), 3)
    return bars, pattern, offsets


_BAR_BYTES, _PATTERN_BYTES, _OFFSETS = _tables()


@lru_cache(maxsize=4096)
def encode_code128(
    data: str,
    *,
    module: float | str = 0.72,
    height: float | str = 36.0,
    quiet_zone: bool | int = True,
    gs1: bool = False,
) -> Symbol:
    """Encode Code 128 (or GS1-128) as dark bars.

    Args:
        data: the text (characters 0-255; digits pairs are packed in code set C).
        module: the narrow bar width X, a length (points, or a string such as "0.25mm";
            0.72 pt = 0.254 mm = 10 mil).
        height: bar height (a length).
        quiet_zone: True for the standard 10 X on each side, False for none, or a number
            of modules.
        gs1: GS1-128 (see :func:`code128_values`).

    Returns:
        a :class:`Symbol`; one bar per dark element (bars never touch in Code 128);
        ``modules`` is the one-row module pattern; results are cached (read-only).

    Raises:
        BarcodeError: (a ValueError) for a character Code 128 cannot encode.
    """
    module, height = to_mpt(module), to_mpt(height)
    if module <= 0 or height <= 0:
        raise ValueError(f"{_NAME}: module and height must be positive (got {module / 1000:g}pt, {height / 1000:g}pt)")
    q = CODE128_QUIET_ZONE if quiet_zone is True else int(quiet_zone)
    vals = code128_values(data, gs1=gs1)
    k = len(vals)
    if 3 * k + 1 > _OFFSETS.shape[0]:
        raise BarcodeError(_NAME, f"data too long ({k} symbol characters)")
    raw = np.frombuffer(b"".join([_BAR_BYTES[v] for v in vals]), np.int32).reshape(-1, 4)
    bars = (raw + _OFFSETS[: 3 * k + 1]) * np.array((module, 0, module, height), np.int32)
    bars[:, 0] += q * module
    modules = np.frombuffer(b"".join([_PATTERN_BYTES[v] for v in vals]), np.bool_)[None, :]
    total = 11 * k + 2
    return Symbol(
        width=(total + 2 * q) * module,
        height=height,
        bars=_frozen(bars),
        modules=_frozen(modules),
        origin=(q * module, 0),
        cell=(module, height),
        text=data,
    )
