"""The batch Data Matrix encoder for digit strings: the same symbols as the one-by-one
encoder (module for module, rectangle for rectangle), read back by zxing-cpp."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from ccmcore.barcodes import BarcodeError, Symbol, encode_datamatrix, rasterize
from ccmcore.barcodes.datamatrix_digits import MAX_DIGITS, datamatrix_digit_bars, datamatrix_digit_matrices


def _batch(texts: list[str]) -> np.ndarray:
    return np.frombuffer("".join(texts).encode("ascii"), np.uint8).reshape(len(texts), -1)


# every square size the batch covers, odd and even lengths, its first and last length
LENGTHS = [1, 2, 5, 6, 7, 10, 11, 12, 16, 17, 24, 35, 36, 44, 60, 72, 87, 88, 123, 124, 172, 228, 288, 347, MAX_DIGITS]


@pytest.mark.parametrize("length", LENGTHS)
def test_same_matrix_and_bars_as_one_by_one(length):
    rng = np.random.default_rng(length)
    texts = ["".join(map(str, rng.integers(0, 10, length))) for _ in range(4)]
    texts.append("0" * length)
    matrices = datamatrix_digit_matrices(_batch(texts))
    width, bars, starts = datamatrix_digit_bars(_batch(texts), module=2.0)
    for i, text in enumerate(texts):
        one = encode_datamatrix(text, module=2.0)
        assert matrices[i].shape == one.modules.shape
        assert np.array_equal(matrices[i], one.modules)
        assert width == one.width
        assert np.array_equal(bars[starts[i] : starts[i + 1]], one.bars)


def test_batch_symbols_scan_back():
    texts = [f"{p:08d}{s:02d}03" for p, s in ((1, 1), (12345678, 2), (99999999, 3))]
    width, bars, starts = datamatrix_digit_bars(_batch(texts))
    for i, text in enumerate(texts):
        sym = Symbol(width=width, height=width, bars=bars[starts[i] : starts[i + 1]])
        img = np.pad(rasterize(sym, 360), 24, constant_values=255)  # 4 pixels a module
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.DataMatrix, try_rotate=False)
        assert [f.text for f in found] == [text]


def test_what_the_batch_refuses():
    with pytest.raises(BarcodeError, match="digits only"):
        datamatrix_digit_matrices(_batch(["12a4"]))
    with pytest.raises(BarcodeError, match="no data"):
        datamatrix_digit_matrices(np.zeros((3, 0), np.uint8))
    with pytest.raises(BarcodeError, match="codewords"):
        datamatrix_digit_matrices(_batch(["1" * (MAX_DIGITS + 1)]))
    with pytest.raises(ValueError, match="module"):
        datamatrix_digit_bars(_batch(["12"]), module=0)
