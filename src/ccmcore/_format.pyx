# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Internal: C kernels that format Arrow number, money and date columns to UTF-8 text.

Not a public API; :mod:`ccmcore.formats` is. Every kernel reads an Arrow value buffer
(honouring the array's offset) and its validity bitmap directly, writes the text of each
valid slot into one growable byte buffer plus int32 offsets (null slots get an empty
slot), and returns both as ``pyarrow.Buffer`` objects that own the memory (zero-copy).
The caller builds the ``pa.string()`` array with ``pa.Array.from_buffers``.

For per-row locales, ``small_codes`` numbers the few distinct locale ids of a string column
and ``interleave`` merges the texts formatted per locale group back into row order.
``text_faults`` finds the values of a string column that cannot go out as they are (not
UTF-8, a control character, too long for an AFP index attribute).
"""

from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t,
)
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcmp, memcpy, memset
from libc.math cimport nearbyint
from libcpp.vector cimport vector

import pyarrow as pa

__all__ = ["NumberKernel", "DateKernel", "small_codes", "interleave", "text_faults"]

cdef extern from *:
    """
    #include <cstring>
    static inline uint64_t ccm_load_u64(const char* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
    /* Copy n bytes; up to 16 bytes are copied as two 8-byte words, so both sides must have
       16 readable/writable bytes (every buffer used here is padded for that). */
    static inline char* ccm_put(char* dst, const char* src, int n) {
        if (n <= 16) {
            uint64_t a, b;
            std::memcpy(&a, src, 8); std::memcpy(&b, src + 8, 8);
            std::memcpy(dst, &a, 8); std::memcpy(dst + 8, &b, 8);
        } else {
            std::memcpy(dst, src, n);
        }
        return dst + n;
    }
    """
    uint64_t ccm_load_u64(const char* p) noexcept nogil
    char* ccm_put(char* dst, const char* src, int n) noexcept nogil

cdef enum:
    INT32_LIMIT = 2147483647
    FAULT_RANGE = 1       # a value beyond what the kernel can write (not finite, too large)
    FAULT_FRACTION = 2    # a fraction of the unit the column is declared to hold whole
    TMP = 80          # digits are written so that they end at tmp + TMP
    SLACK = 16        # spare bytes at the end of every buffer ccm_put reads or writes

# "00" "01" ... "99": two digits per division by 100.
cdef char _D2[200]
# 10**0 .. 10**19 (10**19 < 2**64).
cdef uint64_t _P10[20]
# days before each month in a common year
cdef int _CUM[12]


cdef void _init_tables() noexcept:
    cdef int i
    cdef uint64_t p = 1
    for i in range(100):
        _D2[2 * i] = <char>(48 + i // 10)
        _D2[2 * i + 1] = <char>(48 + i % 10)
    for i in range(20):
        _P10[i] = p
        p *= 10
    for i in range(12):
        _CUM[i] = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)[i]


_init_tables()


# ---------------------------------------------------------------- memory handed to Arrow

cdef class _Mem:
    """Owns one malloc'd block that a pyarrow Buffer refers to; freed with the last Buffer."""

    cdef char* ptr

    def __dealloc__(self):
        if self.ptr != NULL:
            free(self.ptr)
            self.ptr = NULL


cdef object _wrap(char* ptr, Py_ssize_t size):
    """Give ``ptr`` (malloc'd) to a new pyarrow Buffer of ``size`` bytes."""
    cdef _Mem m = _Mem.__new__(_Mem)
    m.ptr = ptr
    return pa.foreign_buffer(<uintptr_t>ptr, size, base=m)


cdef struct OutBuf:
    char* data
    Py_ssize_t pos
    Py_ssize_t cap


cdef int _grow(OutBuf* b, Py_ssize_t extra) noexcept nogil:
    cdef Py_ssize_t want = b.cap * 2
    cdef char* p
    if want < b.pos + extra:
        want = b.pos + extra
    p = <char*>realloc(b.data, want)
    if p == NULL:
        return -1
    b.data = p
    b.cap = want
    return 0


cdef int _start(OutBuf* out, int32_t** offs, Py_ssize_t n, Py_ssize_t per_value) noexcept nogil:
    out.pos = 0
    out.cap = n * per_value + 64
    out.data = <char*>malloc(out.cap)
    offs[0] = <int32_t*>malloc((n + 1) * sizeof(int32_t))
    if out.data == NULL or offs[0] == NULL:
        free(out.data)
        free(offs[0])
        out.data = NULL
        offs[0] = NULL
        return -1
    offs[0][0] = 0
    return 0


cdef object _finish(int rc, OutBuf* out, int32_t* offs, Py_ssize_t n):
    """Turn the kernel's result into (offsets, data) Buffers, or raise and free."""
    if rc != 0:
        free(out.data)
        free(offs)
        if rc == -1:
            raise MemoryError("out of memory while formatting a column")
        raise OverflowError(
            "formatted column is larger than 2 GiB; format it in smaller batches")
    data = _wrap(out.data, out.pos)
    return _wrap(<char*>offs, (n + 1) * sizeof(int32_t)), data


cdef const uint8_t* _string_data(const int32_t* offs, const int8_t[::1] data, Py_ssize_t length) except? NULL:
    """The bytes a string array's offsets point into, checked to hold them (NULL: none needed)."""
    if data is not None and data.shape[0] > 0:
        if offs[length] > data.shape[0] or offs[0] < 0:
            raise ValueError("data buffer is too short")
        return <const uint8_t*>&data[0]
    if offs[length] != offs[0]:
        raise ValueError("data buffer is missing")
    return NULL


cdef const uint8_t* _validity(const int8_t[::1] validity, Py_ssize_t offset, Py_ssize_t length) except? NULL:
    """A validity bitmap checked to cover the slice (NULL: every value valid)."""
    if validity is None:
        return NULL
    if validity.shape[0] * 8 < offset + length:
        raise ValueError("validity bitmap is too short")
    return <const uint8_t*>&validity[0]


cdef inline bint _is_valid(const uint8_t* valid, Py_ssize_t bit) noexcept nogil:
    return (valid[bit >> 3] >> (bit & 7)) & 1


# ---------------------------------------------------------------- digits

cdef inline int _digits_u64(uint64_t u, char* end) noexcept nogil:
    """Write the decimal digits of ``u`` so that they end just before ``end``; return count."""
    cdef char* p = end
    cdef uint64_t q
    cdef uint32_t r
    while u >= 100:
        q = u // 100
        r = <uint32_t>(u - q * 100)
        p -= 2
        p[0] = _D2[2 * r]
        p[1] = _D2[2 * r + 1]
        u = q
    if u >= 10:
        p -= 2
        p[0] = _D2[2 * u]
        p[1] = _D2[2 * u + 1]
    else:
        p -= 1
        p[0] = <char>(48 + u)
    return <int>(end - p)


cdef inline uint32_t _divmod128(uint64_t* hi, uint64_t* lo, uint32_t d) noexcept nogil:
    """(hi, lo) //= d in place with 32-bit limbs (portable, no __int128); return the remainder."""
    cdef uint64_t cur, r, q3, q2, q1, q0
    cur = hi[0] >> 32
    q3 = cur // d
    r = cur - q3 * d
    cur = (r << 32) | (hi[0] & <uint64_t>0xFFFFFFFF)
    q2 = cur // d
    r = cur - q2 * d
    cur = (r << 32) | (lo[0] >> 32)
    q1 = cur // d
    r = cur - q1 * d
    cur = (r << 32) | (lo[0] & <uint64_t>0xFFFFFFFF)
    q0 = cur // d
    r = cur - q0 * d
    hi[0] = (q3 << 32) | q2
    lo[0] = (q1 << 32) | q0
    return <uint32_t>r


cdef inline int _digits_u128(uint64_t hi, uint64_t lo, char* end) noexcept nogil:
    cdef char* p = end
    cdef uint32_t r
    cdef int j
    while hi != 0:
        r = _divmod128(&hi, &lo, 1000000000)
        for j in range(9):
            p -= 1
            p[0] = <char>(48 + r % 10)
            r = r // 10
    p -= _digits_u64(lo, p)
    return <int>(end - p)


cdef inline uint64_t _round64(uint64_t u, int k) noexcept nogil:
    """round(u / 10**k) half to even, k >= 1."""
    cdef uint64_t p, q, r, h
    if k >= 20:
        return 0          # u < 2**64 < 0.5 * 10**20
    p = _P10[k]
    q = u // p
    r = u - q * p
    h = p >> 1
    if r > h or (r == h and (q & 1)):
        q += 1
    return q


cdef inline void _round128(uint64_t* hi, uint64_t* lo, int k) noexcept nogil:
    """(hi, lo) = round((hi, lo) / 10**k) half to even, k >= 1."""
    cdef bint sticky = False
    cdef int left = k - 1
    cdef int j
    cdef uint32_t rd
    while left > 0:
        j = 9 if left > 9 else left
        if _divmod128(hi, lo, <uint32_t>_P10[j]) != 0:
            sticky = True
        left -= j
    rd = _divmod128(hi, lo, 10)
    if rd > 5 or (rd == 5 and (sticky or (lo[0] & 1))):
        lo[0] += 1
        if lo[0] == 0:
            hi[0] += 1


# ---------------------------------------------------------------- numbers

cdef struct NumSpec:
    int decimals
    const char* group
    int group_len
    int primary             # digits in the group next to the decimal separator (3; 3 in India)
    int secondary           # digits in every group further left (3; 2 in India)
    const char* dec
    int dec_len
    const char* pre[2]      # [0] positive, [1] negative
    int pre_len[2]
    const char* suf[2]
    int suf_len[2]
    Py_ssize_t fixed        # upper bound of the bytes that are not digits or groups


cdef inline const char* _prep(char* tmp, uint64_t hi, uint64_t lo, int z, int d,
                              int* nd_out) noexcept nogil:
    """Digits of (hi, lo) followed by ``z`` zeros, left-padded to at least d + 1 digits."""
    cdef char* end = tmp + TMP
    cdef int nd
    cdef char* start
    if hi == 0:
        nd = _digits_u64(lo, end)
    else:
        nd = _digits_u128(hi, lo, end)
    start = end - nd
    if z > 0 and (hi != 0 or lo != 0):   # zero stays "0", not "0000"
        memset(end, 48, z)
        nd += z
    while nd < d + 1:
        start -= 1
        start[0] = 48
        nd += 1
    nd_out[0] = nd
    return start


cdef inline char* _emit(char* p, const char* digs, int nd, bint neg,
                        const NumSpec* sp) noexcept nogil:
    """Write prefix, grouped integer digits, decimal part and suffix; return the new end."""
    cdef int s = 1 if neg else 0
    cdef int ni = nd - sp.decimals
    cdef int g, j, head, size
    if sp.pre_len[s]:
        p = ccm_put(p, sp.pre[s], sp.pre_len[s])
    if sp.group_len == 0 or ni <= sp.primary:
        p = ccm_put(p, digs, ni)
    elif sp.primary == 3 and sp.secondary == 3:
        g = ni % 3
        if g == 0:
            g = 3
        p = ccm_put(p, digs, g)
        j = g
        while j < ni:
            if sp.group_len == 1:
                p[0] = sp.group[0]
                p += 1
            else:
                p = ccm_put(p, sp.group, sp.group_len)
            p[0] = digs[j]
            p[1] = digs[j + 1]
            p[2] = digs[j + 2]
            p += 3
            j += 3
    else:
        # the rightmost group has ``primary`` digits, the others ``secondary`` (e.g. 12,34,567)
        head = ni - sp.primary
        g = head % sp.secondary
        if g == 0:
            g = sp.secondary
        p = ccm_put(p, digs, g)
        j = g
        while j < ni:
            size = sp.primary if j == head else sp.secondary
            p = ccm_put(p, sp.group, sp.group_len)
            p = ccm_put(p, digs + j, size)
            j += size
    if sp.decimals:
        if sp.dec_len == 1:
            p[0] = sp.dec[0]
            p += 1
        else:
            p = ccm_put(p, sp.dec, sp.dec_len)
        p = ccm_put(p, digs + ni, sp.decimals)
    if sp.suf_len[s]:
        p = ccm_put(p, sp.suf[s], sp.suf_len[s])
    return p


cdef inline int _put(OutBuf* out, const char* digs, int nd, bint neg,
                     const NumSpec* sp) noexcept nogil:
    cdef int smallest = sp.primary if sp.primary < sp.secondary else sp.secondary
    cdef Py_ssize_t need = sp.fixed + nd + (nd // smallest + 1) * sp.group_len + SLACK
    if out.pos + need > out.cap:
        if _grow(out, need) != 0:
            return -1
    out.pos = _emit(out.data + out.pos, digs, nd, neg, sp) - out.data
    if out.pos > INT32_LIMIT:
        return -2
    return 0


ctypedef fused int_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint8_t
    uint16_t
    uint32_t
    uint64_t


cdef int _ints(const int_t* v, const uint8_t* valid, Py_ssize_t voff, Py_ssize_t n,
               int k, int z, const NumSpec* sp, OutBuf* out, int32_t* offs) noexcept nogil:
    cdef Py_ssize_t i
    cdef int_t x
    cdef uint64_t u
    cdef bint neg
    cdef int nd, rc
    cdef char tmp[TMP + 64]
    cdef const char* digs
    for i in range(n):
        if valid != NULL and not _is_valid(valid, voff + i):
            offs[i + 1] = <int32_t>out.pos
            continue
        x = v[i]
        neg = x < 0
        if neg:
            u = <uint64_t>0 - <uint64_t>(<int64_t>x)
        else:
            u = <uint64_t>x
        if k > 0:
            u = _round64(u, k)
        if u == 0:
            neg = False
        digs = _prep(tmp, 0, u, z, sp.decimals, &nd)
        rc = _put(out, digs, nd, neg, sp)
        if rc != 0:
            return rc
        offs[i + 1] = <int32_t>out.pos
    return 0


cdef int _floats(const double* v, const uint8_t* valid, Py_ssize_t voff, Py_ssize_t n,
                 double mul, bint divide, bint whole, const NumSpec* sp, OutBuf* out,
                 int32_t* offs, uint8_t* faults, Py_ssize_t* bad) noexcept nogil:
    """Format float64 values; a value that cannot be shown gets an empty slot and its fault
    code in ``faults`` (FAULT_RANGE: not finite or beyond int64 after scaling; FAULT_FRACTION:
    ``whole`` and not a whole number), or stops the loop when ``faults`` is NULL."""
    cdef Py_ssize_t i
    cdef double y
    cdef int64_t x
    cdef uint64_t u
    cdef bint neg
    cdef int nd, rc
    cdef uint8_t fault
    cdef char tmp[TMP + 64]
    cdef const char* digs
    for i in range(n):
        if valid != NULL and not _is_valid(valid, voff + i):
            offs[i + 1] = <int32_t>out.pos
            continue
        fault = 0
        y = v[i] / mul if divide else v[i] * mul
        y = nearbyint(y)            # default rounding mode: half to even
        if not (y >= -9223372036854775808.0 and y < 9223372036854775808.0):
            fault = FAULT_RANGE     # inf, nan or beyond int64 minor units
        elif whole and v[i] != nearbyint(v[i]):
            fault = FAULT_FRACTION
        if fault != 0:
            if bad[0] < 0:
                bad[0] = i
            if faults == NULL:
                return -3
            faults[i] = fault
            offs[i + 1] = <int32_t>out.pos
            continue
        x = <int64_t>y
        neg = x < 0
        u = (<uint64_t>0 - <uint64_t>x) if neg else <uint64_t>x
        if u == 0:
            neg = False
        digs = _prep(tmp, 0, u, 0, sp.decimals, &nd)
        rc = _put(out, digs, nd, neg, sp)
        if rc != 0:
            return rc
        offs[i + 1] = <int32_t>out.pos
    return 0


cdef inline bint _has_fraction128(uint64_t hi, uint64_t lo, int k) noexcept nogil:
    """Whether (hi, lo) is not a multiple of 10**k (k >= 0)."""
    cdef int j
    while k > 0:
        j = 9 if k > 9 else k
        if _divmod128(&hi, &lo, <uint32_t>_P10[j]) != 0:
            return True
        k -= j
    return False


cdef int _dec128(const char* v, const uint8_t* valid, Py_ssize_t voff, Py_ssize_t n,
                 int k, int z, int whole_digits, const NumSpec* sp, OutBuf* out, int32_t* offs,
                 uint8_t* faults) noexcept nogil:
    """Format decimal128 values; with ``whole_digits`` > 0, a value with a non-zero digit
    among its last ``whole_digits`` gets an empty slot and FAULT_FRACTION in ``faults``."""
    cdef Py_ssize_t i
    cdef uint64_t hi, lo
    cdef bint neg
    cdef int nd, rc
    cdef char tmp[TMP + 64]
    cdef const char* digs
    for i in range(n):
        if valid != NULL and not _is_valid(valid, voff + i):
            offs[i + 1] = <int32_t>out.pos
            continue
        lo = ccm_load_u64(v + 16 * i)          # little-endian two's complement
        hi = ccm_load_u64(v + 16 * i + 8)
        neg = (hi >> 63) != 0
        if neg:
            lo = ~lo + 1
            hi = ~hi + (1 if lo == 0 else 0)
        if whole_digits > 0 and _has_fraction128(hi, lo, whole_digits):
            faults[i] = FAULT_FRACTION
            offs[i + 1] = <int32_t>out.pos
            continue
        if k > 0:
            if hi == 0:
                lo = _round64(lo, k)
            else:
                _round128(&hi, &lo, k)
        if hi == 0 and lo == 0:
            neg = False
        digs = _prep(tmp, hi, lo, z, sp.decimals, &nd)
        rc = _put(out, digs, nd, neg, sp)
        if rc != 0:
            return rc
        offs[i + 1] = <int32_t>out.pos
    return 0


cdef class NumberKernel:
    """Formats integer, float64 and decimal128 buffers as grouped decimal text.

    Args:
        decimals: digits after the decimal separator (0..18).
        group, decimal: UTF-8 bytes of the thousands and decimal separators (group may be empty).
        pos_prefix, pos_suffix, neg_prefix, neg_suffix: UTF-8 bytes around the amount.
        primary, secondary: group sizes (CLDR grouping): the group next to the decimal
            separator has ``primary`` digits, every other ``secondary`` (3, 3 by default;
            3, 2 for Indian grouping), each 1..99.
    """

    cdef NumSpec spec
    cdef bytes _keep_group, _keep_dec, _keep_pp, _keep_ps, _keep_np, _keep_ns

    def __cinit__(self, int decimals, bytes group, bytes decimal, bytes pos_prefix,
                  bytes pos_suffix, bytes neg_prefix, bytes neg_suffix, int primary=3,
                  int secondary=3):
        if not 0 <= decimals <= 18:
            raise ValueError("decimals must be in 0..18")
        if not (1 <= primary <= 99 and 1 <= secondary <= 99):
            raise ValueError("group sizes must be in 1..99")
        self.spec.primary = primary
        self.spec.secondary = secondary
        pad = b"\0" * SLACK   # ccm_put may read 16 bytes from each piece
        self._keep_group, self._keep_dec = group + pad, decimal + pad
        self._keep_pp, self._keep_ps = pos_prefix + pad, pos_suffix + pad
        self._keep_np, self._keep_ns = neg_prefix + pad, neg_suffix + pad
        self.spec.decimals = decimals
        self.spec.group = self._keep_group
        self.spec.group_len = len(group)
        self.spec.dec = self._keep_dec
        self.spec.dec_len = len(decimal)
        self.spec.pre[0] = self._keep_pp
        self.spec.pre_len[0] = len(pos_prefix)
        self.spec.pre[1] = self._keep_np
        self.spec.pre_len[1] = len(neg_prefix)
        self.spec.suf[0] = self._keep_ps
        self.spec.suf_len[0] = len(pos_suffix)
        self.spec.suf[1] = self._keep_ns
        self.spec.suf_len[1] = len(neg_suffix)
        self.spec.fixed = (max(len(pos_prefix), len(neg_prefix))
                           + max(len(pos_suffix), len(neg_suffix)) + len(decimal))

    cdef Py_ssize_t _estimate(self):
        # a typical amount: ~10 digits and 3 groups; the buffer grows if that is short
        return self.spec.fixed + 10 + self.spec.decimals + 4 * self.spec.group_len

    def format_int(self, const int8_t[::1] values not None, Py_ssize_t offset,
                   Py_ssize_t length, int width, bint signed,
                   const int8_t[::1] validity, int scale):
        """Format ``length`` integers of ``width`` bytes starting at element ``offset``.

        ``scale`` is the number of implied decimals of the stored integers (2 for cents).
        ``validity`` is the Arrow bitmap (bit ``offset + i`` for element ``i``) or None.
        Returns (offsets, data) pyarrow Buffers.
        """
        cdef OutBuf out
        cdef int32_t* offs = NULL
        cdef int rc = 0
        cdef int k = scale - self.spec.decimals
        cdef int z = 0
        cdef const char* p
        cdef const uint8_t* vp = NULL
        if k < 0:
            z = -k
            k = 0
        if length == 0:
            return _empty()
        if values.shape[0] < (offset + length) * width:
            raise ValueError("value buffer is too short")
        p = <const char*>&values[0] + offset * width
        if validity is not None:
            if validity.shape[0] * 8 < offset + length:
                raise ValueError("validity bitmap is too short")
            vp = <const uint8_t*>&validity[0]
        if _start(&out, &offs, length, self._estimate()) != 0:
            raise MemoryError()
        with nogil:
            if width == 8:
                if signed:
                    rc = _ints[int64_t](<const int64_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
                else:
                    rc = _ints[uint64_t](<const uint64_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
            elif width == 4:
                if signed:
                    rc = _ints[int32_t](<const int32_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
                else:
                    rc = _ints[uint32_t](<const uint32_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
            elif width == 2:
                if signed:
                    rc = _ints[int16_t](<const int16_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
                else:
                    rc = _ints[uint16_t](<const uint16_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
            elif width == 1:
                if signed:
                    rc = _ints[int8_t](<const int8_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
                else:
                    rc = _ints[uint8_t](<const uint8_t*>p, vp, offset, length, k, z, &self.spec, &out, offs)
            else:
                rc = -4
        if rc == -4:
            free(out.data)
            free(offs)
            raise ValueError(f"unsupported integer width {width}")
        return _finish(rc, &out, offs, length)

    def format_float(self, const int8_t[::1] values not None, Py_ssize_t offset,
                     Py_ssize_t length, const int8_t[::1] validity, int exponent,
                     bint whole=False, uint8_t[::1] faults=None):
        """Format float64 values: round(x * 10**exponent) half to even, then ``decimals`` places.

        ``whole``: the values must be whole numbers (a float column standing in for integer
        minor units). With ``faults`` (``length`` zeroed bytes), a value that cannot be shown
        gets an empty slot and a code there: 1 not finite or too large for int64 after
        scaling, 2 not a whole number. Without it, ``ArithmeticError(index)`` is raised for
        the first such value. Returns (offsets, data).
        """
        cdef OutBuf out
        cdef int32_t* offs = NULL
        cdef int rc = 0
        cdef const uint8_t* vp = NULL
        cdef uint8_t* fp = NULL
        cdef Py_ssize_t bad = -1
        cdef double mul = float(10 ** abs(exponent))
        cdef bint divide = exponent < 0
        if length == 0:
            return _empty()
        if values.shape[0] < (offset + length) * 8:
            raise ValueError("value buffer is too short")
        if validity is not None:
            if validity.shape[0] * 8 < offset + length:
                raise ValueError("validity bitmap is too short")
            vp = <const uint8_t*>&validity[0]
        if faults is not None:
            if faults.shape[0] < length:
                raise ValueError("faults array is too short")
            fp = &faults[0]
        if _start(&out, &offs, length, self._estimate()) != 0:
            raise MemoryError()
        with nogil:
            rc = _floats(<const double*>(<const char*>&values[0] + offset * 8), vp, offset,
                         length, mul, divide, whole, &self.spec, &out, offs, fp, &bad)
        if rc == -3:
            free(out.data)
            free(offs)
            raise ArithmeticError(bad)
        return _finish(rc, &out, offs, length)

    def format_decimal128(self, const int8_t[::1] values not None, Py_ssize_t offset,
                          Py_ssize_t length, const int8_t[::1] validity, int scale,
                          int whole_digits=0, uint8_t[::1] faults=None):
        """Format decimal128 values (16-byte little-endian) with ``scale`` implied decimals.

        ``whole_digits`` > 0 (needs ``faults``, ``length`` zeroed bytes): a value whose last
        ``whole_digits`` digits are not all zero (a fraction of the unit the column is
        declared to hold whole) gets an empty slot and code 2 in ``faults``.
        """
        cdef OutBuf out
        cdef int32_t* offs = NULL
        cdef int rc = 0
        cdef int k = scale - self.spec.decimals
        cdef int z = 0
        cdef const uint8_t* vp = NULL
        cdef uint8_t* fp = NULL
        if k < 0:
            z = -k
            k = 0
        if length == 0:
            return _empty()
        if values.shape[0] < (offset + length) * 16:
            raise ValueError("value buffer is too short")
        if validity is not None:
            if validity.shape[0] * 8 < offset + length:
                raise ValueError("validity bitmap is too short")
            vp = <const uint8_t*>&validity[0]
        if whole_digits > 0:
            if faults is None or faults.shape[0] < length:
                raise ValueError("whole_digits needs a faults array of the values' length")
            fp = &faults[0]
        if _start(&out, &offs, length, self._estimate() + 8) != 0:
            raise MemoryError()
        with nogil:
            rc = _dec128(<const char*>&values[0] + offset * 16, vp, offset, length, k, z,
                         whole_digits, &self.spec, &out, offs, fp)
        return _finish(rc, &out, offs, length)


cdef object _empty():
    cdef int32_t* offs = <int32_t*>malloc(sizeof(int32_t))
    cdef char* data = <char*>malloc(1)
    if offs == NULL or data == NULL:
        free(offs)
        free(data)
        raise MemoryError()
    offs[0] = 0
    return _wrap(<char*>offs, sizeof(int32_t)), _wrap(data, 0)


# ---------------------------------------------------------------- dates

# op codes of a compiled pattern (triplets op, a, b); mirrored in ccmcore.formats
cdef enum:
    OP_LIT = 0      # a = offset in literals, b = length
    OP_NUM = 1      # a = field, b = pad (0 zeros, 1 none, 2 spaces)
    OP_NAME = 2     # a = first index in the names table, b = 0 month, 1 weekday, 2 am/pm,
                    # 3 era (two names: before year 0, from year 0 on)

cdef enum:
    F_DAY = 0
    F_MONTH = 1
    F_YEAR = 2
    F_YEAR2 = 3
    F_HOUR = 4
    F_HOUR12 = 5
    F_MINUTE = 6
    F_SECOND = 7
    F_YDAY = 8
    F_MICRO = 9
    F_HOUR0_11 = 10   # hour % 12, 0..11 (CLDR 'K')
    F_HOUR1_24 = 11   # 1..24, midnight is 24 (CLDR 'k')


cdef struct Civil:
    int64_t year
    int month       # 1..12
    int day         # 1..31
    int yday        # 1..366
    int wday        # 0 = Monday
    int hour
    int minute
    int second
    int micro


cdef inline int64_t _floordiv(int64_t a, int64_t b) noexcept nogil:
    cdef int64_t q = a // b
    if (a - q * b) < 0:
        q -= 1
    return q


cdef inline void _civil(int64_t days, Civil* c) noexcept nogil:
    # days since 1970-01-01 -> proleptic Gregorian (H. Hinnant's days_from_civil inverse)
    cdef int64_t z = days + 719468
    cdef int64_t era = _floordiv(z, 146097)
    cdef int64_t doe = z - era * 146097
    cdef int64_t yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    cdef int64_t doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    cdef int64_t mp = (5 * doy + 2) // 153
    cdef int64_t y = yoe + era * 400
    cdef bint leap
    c.day = <int>(doy - (153 * mp + 2) // 5 + 1)
    c.month = <int>(mp + 3 if mp < 10 else mp - 9)
    if c.month <= 2:
        y += 1
    c.year = y
    leap = (y % 4 == 0) and (y % 100 != 0 or y % 400 == 0)
    c.yday = _CUM[c.month - 1] + c.day + (1 if (leap and c.month > 2) else 0)
    c.wday = <int>(days - _floordiv(days + 3, 7) * 7 + 3)


cdef inline char* _num(char* p, uint64_t v, int width, int pad) noexcept nogil:
    cdef char tmp[24 + SLACK]
    cdef int nd
    if pad == 0 and width == 2 and v < 100:
        p[0] = _D2[2 * v]
        p[1] = _D2[2 * v + 1]
        return p + 2
    if pad == 0 and width == 4 and v < 10000:
        p[0] = _D2[2 * (v // 100)]
        p[1] = _D2[2 * (v // 100) + 1]
        p[2] = _D2[2 * (v % 100)]
        p[3] = _D2[2 * (v % 100) + 1]
        return p + 4
    nd = _digits_u64(v, tmp + 24)
    while nd < width and pad != 1:
        p[0] = 48 if pad == 0 else 32
        p += 1
        width -= 1
    return ccm_put(p, tmp + 24 - nd, nd)


cdef inline int64_t _seconds(int64_t t, int64_t tps) noexcept nogil:
    """floor(t / tps) with the usual tick rates as constants (so no hardware division)."""
    if tps == 1000000:
        return _floordiv(t, 1000000)
    if tps == 1000:
        return _floordiv(t, 1000)
    if tps == 1000000000:
        return _floordiv(t, 1000000000)
    if tps == 1:
        return t
    return _floordiv(t, tps)


cdef int _dates(const char* v, bint days32, int64_t tps, const uint8_t* valid,
                Py_ssize_t voff, Py_ssize_t n, const int32_t* ops, Py_ssize_t nops,
                const char* lits, const char* names, const int32_t* name_offs,
                Py_ssize_t max_len, OutBuf* out, int32_t* offs) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef int64_t t, secs, rem, days, sod
    cdef int32_t d32
    cdef Civil c
    cdef char* p
    cdef int op, a, b, idx
    cdef uint64_t val
    for i in range(n):
        if valid != NULL and not _is_valid(valid, voff + i):
            offs[i + 1] = <int32_t>out.pos
            continue
        if days32:
            memcpy(&d32, v + 4 * i, 4)
            days = d32
            sod = 0
            rem = 0
        else:
            memcpy(&t, v + 8 * i, 8)
            secs = _seconds(t, tps)
            rem = t - secs * tps
            days = _floordiv(secs, 86400)
            sod = secs - days * 86400
        _civil(days, &c)
        c.hour = <int>(sod // 3600)
        c.minute = <int>((sod // 60) % 60)
        c.second = <int>(sod % 60)
        if tps >= 1000000:
            c.micro = <int>(rem // (tps // 1000000))
        else:
            c.micro = <int>(rem * (1000000 // tps))
        if out.pos + max_len + SLACK > out.cap:
            if _grow(out, max_len + SLACK) != 0:
                return -1
        p = out.data + out.pos
        for j in range(nops):
            op = ops[3 * j]
            a = ops[3 * j + 1]
            b = ops[3 * j + 2]
            if op == OP_LIT:
                p = ccm_put(p, lits + a, b)
            elif op == OP_NUM:
                if a == F_DAY:
                    p = _num(p, c.day, 2, b)
                elif a == F_MONTH:
                    p = _num(p, c.month, 2, b)
                elif a == F_YEAR:
                    if c.year < 0:
                        p[0] = 45
                        p += 1
                        p = _num(p, <uint64_t>(-c.year), 4, b)
                    else:
                        p = _num(p, <uint64_t>c.year, 4, b)
                elif a == F_YEAR2:
                    p = _num(p, <uint64_t>(c.year - _floordiv(c.year, 100) * 100), 2, b)
                elif a == F_HOUR:
                    p = _num(p, c.hour, 2, b)
                elif a == F_HOUR12:
                    val = c.hour % 12
                    p = _num(p, val if val != 0 else 12, 2, b)
                elif a == F_MINUTE:
                    p = _num(p, c.minute, 2, b)
                elif a == F_SECOND:
                    p = _num(p, c.second, 2, b)
                elif a == F_YDAY:
                    p = _num(p, c.yday, 3, b)
                elif a == F_MICRO:
                    p = _num(p, c.micro, 6, b)
                elif a == F_HOUR0_11:
                    p = _num(p, c.hour % 12, 2, b)
                elif a == F_HOUR1_24:
                    p = _num(p, c.hour if c.hour != 0 else 24, 2, b)
            else:
                if b == 0:
                    idx = a + c.month - 1
                elif b == 1:
                    idx = a + c.wday
                elif b == 2:
                    idx = a + (1 if c.hour >= 12 else 0)
                else:
                    idx = a + (1 if c.year >= 0 else 0)
                p = ccm_put(p, names + name_offs[idx], name_offs[idx + 1] - name_offs[idx])
        out.pos = p - out.data
        if out.pos > INT32_LIMIT:
            return -2
        offs[i + 1] = <int32_t>out.pos
    return 0


cdef class DateKernel:
    """Formats date32 days or int64 ticks with a compiled strftime-like pattern.

    Args:
        ops: int32 triplets (op, a, b) — see the OP_* and F_* codes.
        literals: UTF-8 bytes the OP_LIT ops point into.
        names: UTF-8 bytes of the month/weekday/am-pm names table.
        name_offsets: int32 offsets into ``names`` (len = entries + 1).
        max_len: upper bound of the bytes one value can produce.
    """

    cdef object _ops, _name_offs
    cdef bytes _lits, _names
    cdef const int32_t[::1] ops
    cdef const int32_t[::1] name_offs
    cdef Py_ssize_t max_len

    def __cinit__(self, ops, bytes literals, bytes names, name_offsets, Py_ssize_t max_len):
        self._ops = ops
        self._name_offs = name_offsets
        self.ops = ops
        self.name_offs = name_offsets
        self._lits = literals + b"\0" * SLACK     # ccm_put may read 16 bytes
        self._names = names + b"\0" * SLACK
        self.max_len = max_len

    def format(self, const int8_t[::1] values not None, Py_ssize_t offset, Py_ssize_t length,
               bint days32, int64_t ticks_per_second, const int8_t[::1] validity):
        """Format ``length`` date32 values (``days32``) or int64 ticks since the epoch."""
        cdef OutBuf out
        cdef int32_t* offs = NULL
        cdef int rc = 0
        cdef const uint8_t* vp = NULL
        cdef int width = 4 if days32 else 8
        cdef const char* lits = self._lits
        cdef const char* names = self._names
        cdef const int32_t* ops = &self.ops[0] if self.ops.shape[0] else NULL
        cdef Py_ssize_t nops = self.ops.shape[0] // 3
        if length == 0:
            return _empty()
        if ticks_per_second <= 0:
            raise ValueError("ticks_per_second must be positive")
        if values.shape[0] < (offset + length) * width:
            raise ValueError("value buffer is too short")
        if validity is not None:
            if validity.shape[0] * 8 < offset + length:
                raise ValueError("validity bitmap is too short")
            vp = <const uint8_t*>&validity[0]
        if _start(&out, &offs, length, self.max_len) != 0:
            raise MemoryError()
        with nogil:
            rc = _dates(<const char*>&values[0] + offset * width, days32, ticks_per_second,
                        vp, offset, length, ops, nops, lits, names, &self.name_offs[0],
                        self.max_len, &out, offs)
        return _finish(rc, &out, offs, length)


# ---------------------------------------------------------------- checking text before it goes out

cdef enum:
    TEXT_UTF8 = 0       # only valid UTF-8 is checked
    TEXT_BODY = 1       # and control characters; tab, line feed and CR LF mean something
    TEXT_INDEX = 2      # and every control character (index values: no tab, no line break)
    TEXT_BAD_UTF8 = -1
    TEXT_TOO_LONG = -2

cdef uint64_t _HI_BITS = <uint64_t>0x8080808080808080
cdef uint64_t _ONES = <uint64_t>0x0101010101010101


cdef inline bint _forbidden(int32_t cp, int policy, const uint8_t* s, Py_ssize_t i,
                            Py_ssize_t end) noexcept nogil:
    """Is code point ``cp`` (ending just before byte ``i``) a control character the policy
    refuses? C0 and C1 controls, DEL, and the Unicode line and paragraph separators."""
    if cp < 0x20:
        if policy == TEXT_BODY:
            if cp == 9 or cp == 10:
                return False
            if cp == 13 and i < end and s[i] == 10:
                return False        # CR LF is a line break; a lone CR is not
        return True
    if cp < 0x7F:
        return False
    return cp <= 0x9F or cp == 0x2028 or cp == 0x2029


def text_faults(const int8_t[::1] offsets not None, const int8_t[::1] data, Py_ssize_t offset,
                Py_ssize_t length, const int8_t[::1] validity, int policy=TEXT_UTF8,
                Py_ssize_t limit=0):
    """The values of a string (or binary) array that cannot go out as they are.

    ``offsets``/``data``/``validity`` are the buffers of a ``pa.string()`` or ``pa.binary()``
    array (int32 offsets), ``offset``/``length`` its slice. Every valid value is checked to
    be UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF); with ``policy`` 1,
    also free of control characters (C0 but tab, line feed and CR LF; DEL; C1; U+2028,
    U+2029); with 2, free of every control character. With ``limit`` > 0, a value must fit
    ``limit`` bytes as an AFP attribute value: one byte a character when every character is
    Latin-1 (code page 500), else UTF-16 (two bytes a BMP character, four beyond).

    Returns a list of ``(row, code, where)``, one per faulty value, in row order: ``code`` is
    the refused code point (``where``: its character index), -1 for bytes that are not
    UTF-8 (``where``: the byte index), or -2 for a value over ``limit`` (``where``: the
    bytes it needs). Empty when every value is fine.
    """
    cdef const int32_t* offs
    cdef const uint8_t* d = NULL
    cdef const uint8_t* vp = NULL
    cdef vector[int64_t] found
    cdef Py_ssize_t r, i, start, end, nchars, units, j
    cdef int32_t cp
    cdef uint8_t b0, b1
    cdef int need
    cdef uint64_t w
    cdef bint latin1, check_controls = policy != TEXT_UTF8
    cdef int64_t code, where
    if offsets.shape[0] < (offset + length + 1) * 4:
        raise ValueError("offsets buffer is too short")
    if length == 0:
        return []
    offs = <const int32_t*>&offsets[0] + offset
    d = _string_data(offs, data, length)
    vp = _validity(validity, offset, length)
    with nogil:
        for r in range(length):
            if vp != NULL and not _is_valid(vp, offset + r):
                continue
            start = offs[r]
            end = offs[r + 1]
            if end <= start:
                continue
            i = start
            nchars = 0
            units = 0
            latin1 = True
            code = 0
            where = -1
            while i < end:
                # eight plain ASCII bytes at a time (no control characters among them)
                if i + 8 <= end:
                    w = ccm_load_u64(<const char*>(d + i))
                    if (w & _HI_BITS) == 0 and (not check_controls or (
                            ((w - 0x20 * _ONES) & ~w & _HI_BITS) == 0
                            and (((w ^ (0x7F * _ONES)) - _ONES) & ~(w ^ (0x7F * _ONES)) & _HI_BITS) == 0)):
                        i += 8
                        nchars += 8
                        units += 8
                        continue
                j = i
                b0 = d[i]
                i += 1
                if b0 < 0x80:
                    cp = b0
                else:
                    if 0xC2 <= b0 <= 0xDF:
                        need = 1
                        cp = b0 & 0x1F
                    elif 0xE0 <= b0 <= 0xEF:
                        need = 2
                        cp = b0 & 0x0F
                    elif 0xF0 <= b0 <= 0xF4:
                        need = 3
                        cp = b0 & 0x07
                    else:
                        code = TEXT_BAD_UTF8
                        where = j - start
                        break
                    if i + need > end:
                        code = TEXT_BAD_UTF8
                        where = j - start
                        break
                    b1 = d[i]
                    # the second byte's range excludes overlong forms, surrogates and > U+10FFFF
                    if (b1 & 0xC0) != 0x80 or (b0 == 0xE0 and b1 < 0xA0) or (b0 == 0xED and b1 > 0x9F) \
                            or (b0 == 0xF0 and b1 < 0x90) or (b0 == 0xF4 and b1 > 0x8F):
                        code = TEXT_BAD_UTF8
                        where = j - start
                        break
                    while need > 0:
                        if (d[i] & 0xC0) != 0x80:
                            break
                        cp = (cp << 6) | (d[i] & 0x3F)
                        i += 1
                        need -= 1
                    if need > 0:
                        code = TEXT_BAD_UTF8
                        where = j - start
                        break
                if check_controls and _forbidden(cp, policy, d, i, end):
                    code = cp
                    where = nchars
                    break
                nchars += 1
                units += 2 if cp > 0xFFFF else 1
                if cp > 0xFF:
                    latin1 = False
            if where < 0 and limit > 0:
                units = nchars if latin1 else 2 * units
                if units > limit:
                    code = TEXT_TOO_LONG
                    where = units
            if where >= 0:
                found.push_back(r)
                found.push_back(code)
                found.push_back(where)
    return [(found[k], found[k + 1], found[k + 2]) for k in range(0, <Py_ssize_t>found.size(), 3)]


# ---------------------------------------------------------------- grouping rows by a short key

cdef enum:
    MAX_KEYS = 256      # distinct values small_codes handles before giving up


cdef inline uint64_t _short_key(const char* p, int32_t n) noexcept nogil:
    """The bytes of a string of at most 8 bytes packed in one integer (with its length apart)."""
    cdef uint64_t key = 0
    cdef int32_t j
    for j in range(n):
        key = (key << 8) | <uint8_t>p[j]
    return key


def small_codes(const int8_t[::1] offsets not None, const int8_t[::1] data, Py_ssize_t offset,
                Py_ssize_t length, const int8_t[::1] validity, int32_t[::1] codes not None):
    """Number the distinct values of a string array with few of them (locale ids per row).

    ``offsets`` and ``data`` are the int32 offsets and bytes buffers of a ``pa.string()``
    array, ``offset``/``length`` its slice and ``validity`` its bitmap (or None). Writes
    each row's code (first-seen order; -1 for null) to ``codes`` and returns the list of
    distinct values as bytes, or None when there are more than 256 of them (the caller
    then uses a hash-based encoding).
    """
    cdef const int32_t* offs
    cdef const char* d = NULL
    cdef const uint8_t* vp = NULL
    cdef int32_t key_start[MAX_KEYS]
    cdef int32_t key_len[MAX_KEYS]
    cdef uint64_t key_val[MAX_KEYS]
    cdef int nkeys = 0
    cdef int last = -1
    cdef int k
    cdef Py_ssize_t i
    cdef int32_t s, ln
    cdef uint64_t key = 0
    cdef bint overflow = False
    if offsets.shape[0] < (offset + length + 1) * 4:
        raise ValueError("offsets buffer is too short")
    if codes.shape[0] < length:
        raise ValueError("codes array is too short")
    if length == 0:
        return []
    offs = <const int32_t*>&offsets[0] + offset
    d = <const char*>_string_data(offs, data, length)
    vp = _validity(validity, offset, length)
    with nogil:
        for i in range(length):
            if vp != NULL and not _is_valid(vp, offset + i):
                codes[i] = -1
                continue
            s = offs[i]
            ln = offs[i + 1] - s
            if ln <= 8:
                key = _short_key(d + s, ln)
                if last >= 0 and key_len[last] == ln and key_val[last] == key:
                    codes[i] = last
                    continue
                k = 0
                while k < nkeys and not (key_len[k] == ln and key_val[k] == key):
                    k += 1
            else:
                k = 0
                while k < nkeys and not (key_len[k] == ln and memcmp(d + key_start[k], d + s, ln) == 0):
                    k += 1
            if k == nkeys:
                if nkeys == MAX_KEYS:
                    overflow = True
                    break
                key_start[k] = s
                key_len[k] = ln
                key_val[k] = key if ln <= 8 else 0
                nkeys += 1
            codes[i] = k
            last = k
    if overflow:
        return None
    return [(<const char*>d)[key_start[k]:key_start[k] + key_len[k]] if key_len[k] else b""
            for k in range(nkeys)]


def interleave(const int32_t[::1] group not None, list pieces):
    """Merge per-group string arrays back into row order.

    ``pieces[g]`` is a ``(validity, offsets, data)`` buffer triple of a ``pa.string()``
    array (offset 0) holding, in row order, the texts of the rows whose ``group`` is ``g``;
    a row whose group is not in ``0..len(pieces)-1`` is null. Returns ``(validity or None,
    offsets, data, null_count)`` of the merged array.
    """
    cdef Py_ssize_t n = group.shape[0]
    cdef Py_ssize_t ng = len(pieces)
    cdef Py_ssize_t i, g, j, total = 0, nulls = 0, pos = 0
    cdef int32_t a, b
    cdef const int32_t** offs = NULL
    cdef const char** datas = NULL
    cdef const uint8_t** valids = NULL
    cdef Py_ssize_t* cursor = NULL
    cdef Py_ssize_t* sizes = NULL
    cdef int32_t* out_offs = NULL
    cdef char* out = NULL
    cdef uint8_t* out_valid = NULL
    cdef const int8_t[::1] mv
    cdef bint bad = False
    keep = []
    offs = <const int32_t**>malloc((ng + 1) * sizeof(void*))
    datas = <const char**>malloc((ng + 1) * sizeof(void*))
    valids = <const uint8_t**>malloc((ng + 1) * sizeof(void*))
    cursor = <Py_ssize_t*>malloc((ng + 1) * sizeof(Py_ssize_t))
    sizes = <Py_ssize_t*>malloc((ng + 1) * sizeof(Py_ssize_t))
    try:
        if offs == NULL or datas == NULL or valids == NULL or cursor == NULL or sizes == NULL:
            raise MemoryError()
        for g in range(ng):
            validity, offsets, data = pieces[g]
            mv = offsets
            keep.append(mv)
            if mv.shape[0] < 4:
                raise ValueError("offsets buffer is too short")
            offs[g] = <const int32_t*>&mv[0]
            sizes[g] = mv.shape[0] // 4 - 1
            cursor[g] = 0
            datas[g] = NULL
            if data is not None and len(data) > 0:
                mv = data
                keep.append(mv)
                datas[g] = <const char*>&mv[0]
                if offs[g][sizes[g]] > mv.shape[0]:
                    raise ValueError("data buffer is too short")
            elif offs[g][sizes[g]] != offs[g][0]:
                raise ValueError("data buffer is missing")
            valids[g] = NULL
            if validity is not None:
                mv = validity
                keep.append(mv)
                if mv.shape[0] * 8 < sizes[g]:
                    raise ValueError("validity bitmap is too short")
                valids[g] = <const uint8_t*>&mv[0]
            total += offs[g][sizes[g]] - offs[g][0]
        if total > INT32_LIMIT:
            raise OverflowError("formatted column is larger than 2 GiB; format it in smaller batches")
        out_offs = <int32_t*>malloc((n + 1) * sizeof(int32_t))
        out = <char*>malloc(total + 1)
        out_valid = <uint8_t*>malloc((n + 7) // 8 + 1)
        if out_offs == NULL or out == NULL or out_valid == NULL:
            raise MemoryError()
        memset(out_valid, 0, (n + 7) // 8 + 1)
        out_offs[0] = 0
        with nogil:
            for i in range(n):
                g = group[i]
                if g < 0 or g >= ng:
                    nulls += 1
                elif cursor[g] >= sizes[g]:
                    bad = True
                    break
                else:
                    j = cursor[g]
                    cursor[g] = j + 1
                    if valids[g] != NULL and not _is_valid(valids[g], j):
                        nulls += 1
                    else:
                        a = offs[g][j]
                        b = offs[g][j + 1]
                        if b > a:
                            memcpy(out + pos, datas[g] + a, b - a)
                            pos += b - a
                        out_valid[i >> 3] |= <uint8_t>(1 << (i & 7))
                out_offs[i + 1] = <int32_t>pos
        if bad or pos > total:
            raise ValueError("group sizes do not match the pieces")
        data_buf = _wrap(out, pos)
        out = NULL
        offs_buf = _wrap(<char*>out_offs, (n + 1) * sizeof(int32_t))
        out_offs = NULL
        if nulls:
            valid_buf = _wrap(<char*>out_valid, (n + 7) // 8)
            out_valid = NULL
        else:
            valid_buf = None
        return valid_buf, offs_buf, data_buf, nulls
    finally:
        free(offs)
        free(datas)
        free(valids)
        free(cursor)
        free(sizes)
        free(out_offs)
        free(out)
        free(out_valid)
