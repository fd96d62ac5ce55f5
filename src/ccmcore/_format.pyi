"""Internal: type stub of the compiled formatting kernels (see ccmcore/_format.pyx)."""

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from typing_extensions import Buffer, Self, disjoint_base

__all__ = ["NumberKernel", "DateKernel", "small_codes", "interleave", "text_faults"]

# The value, offset and validity arguments are Arrow buffers (pa.Buffer), or any other
# C-contiguous buffer-protocol object of bytes (bytes, memoryview, numpy array).
# The kernels initialise in __cinit__: the constructor signature is that of __new__.

@disjoint_base
class NumberKernel:
    def __new__(
        cls,
        decimals: int,
        group: bytes,
        decimal: bytes,
        pos_prefix: bytes,
        pos_suffix: bytes,
        neg_prefix: bytes,
        neg_suffix: bytes,
        primary: int = 3,
        secondary: int = 3,
    ) -> Self: ...
    def format_int(
        self,
        values: Buffer,
        offset: int,
        length: int,
        width: int,
        signed: bool,
        validity: Buffer | None,
        scale: int,
    ) -> tuple[pa.Buffer, pa.Buffer]: ...
    def format_float(
        self,
        values: Buffer,
        offset: int,
        length: int,
        validity: Buffer | None,
        exponent: int,
        whole: bool = False,
        faults: NDArray[np.uint8] | None = None,  # written to: 1 out of range, 2 not whole
    ) -> tuple[pa.Buffer, pa.Buffer]: ...
    def format_decimal128(
        self,
        values: Buffer,
        offset: int,
        length: int,
        validity: Buffer | None,
        scale: int,
        whole_digits: int = 0,
        faults: NDArray[np.uint8] | None = None,  # written to: 2 not whole
    ) -> tuple[pa.Buffer, pa.Buffer]: ...

@disjoint_base
class DateKernel:
    def __new__(
        cls,
        ops: NDArray[np.int32],  # (op, a, b) triplets
        literals: bytes,
        names: bytes,
        name_offsets: NDArray[np.int32],
        max_len: int,
    ) -> Self: ...
    def format(
        self,
        values: Buffer,
        offset: int,
        length: int,
        days32: bool,
        ticks_per_second: int,
        validity: Buffer | None,
    ) -> tuple[pa.Buffer, pa.Buffer]: ...

def small_codes(
    offsets: Buffer,
    data: Buffer | None,
    offset: int,
    length: int,
    validity: Buffer | None,
    codes: NDArray[np.int32],  # written to
) -> list[bytes] | None: ...
def interleave(
    group: NDArray[np.int32],
    pieces: list[tuple[Buffer | None, Buffer, Buffer | None]],  # (validity, offsets, data) per group
) -> tuple[pa.Buffer | None, pa.Buffer, pa.Buffer, int]: ...  # (validity, offsets, data, null count)
def text_faults(
    offsets: Buffer,
    data: Buffer | None,
    offset: int,
    length: int,
    validity: Buffer | None,
    policy: int = 0,  # 0 UTF-8 only, 1 and controls but tab/LF/CR LF, 2 and every control
    limit: int = 0,  # > 0: AFP attribute bytes a value may need
) -> list[tuple[int, int, int]]: ...  # (row, code point | -1 not UTF-8 | -2 too long, where)
