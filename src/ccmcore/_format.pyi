"""Internal: type stub of the compiled formatting kernels (see ccmcore/_format.pyx)."""

from typing import Any

import pyarrow as pa

_Bytes = Any  # any buffer-protocol object: pa.Buffer, bytes, memoryview
_Int32Array = Any  # a C-contiguous int32 buffer (numpy array, array.array('i'))

class NumberKernel:
    def __init__(
        self,
        decimals: int,
        group: bytes,
        decimal: bytes,
        pos_prefix: bytes,
        pos_suffix: bytes,
        neg_prefix: bytes,
        neg_suffix: bytes,
        primary: int = 3,
        secondary: int = 3,
    ) -> None: ...
    def format_int(
        self,
        values: _Bytes,
        offset: int,
        length: int,
        width: int,
        signed: bool,
        validity: _Bytes | None,
        scale: int,
    ) -> tuple[pa.Buffer, pa.Buffer]: ...
    def format_float(
        self, values: _Bytes, offset: int, length: int, validity: _Bytes | None, exponent: int
    ) -> tuple[pa.Buffer, pa.Buffer]: ...
    def format_decimal128(
        self, values: _Bytes, offset: int, length: int, validity: _Bytes | None, scale: int
    ) -> tuple[pa.Buffer, pa.Buffer]: ...

class DateKernel:
    def __init__(
        self, ops: _Int32Array, literals: bytes, names: bytes, name_offsets: _Int32Array, max_len: int
    ) -> None: ...
    def format(
        self,
        values: _Bytes,
        offset: int,
        length: int,
        days32: bool,
        ticks_per_second: int,
        validity: _Bytes | None,
    ) -> tuple[pa.Buffer, pa.Buffer]: ...

def small_codes(
    offsets: _Bytes,
    data: _Bytes | None,
    offset: int,
    length: int,
    validity: _Bytes | None,
    codes: Any,
) -> list[bytes] | None: ...

def interleave(
    group: Any, pieces: list[tuple[pa.Buffer | None, pa.Buffer, pa.Buffer | None]]
) -> tuple[pa.Buffer | None, pa.Buffer, pa.Buffer, int]: ...
