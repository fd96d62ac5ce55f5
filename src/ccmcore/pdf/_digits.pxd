# Internal: decimal integers and literal bytes written into a C buffer, shared by the
# compiled PDF writers (_content.pyx, _objects.pyx, _tree.pyx). A .pxd alone: the inline
# helpers compile into each module that cimports them.

from libc.string cimport memcpy
from libc.stdint cimport int64_t

ctypedef unsigned long long uint64_t_


cdef inline int n_digits(uint64_t_ u) noexcept nogil:
    cdef int n = 1
    while u >= 10000:
        u //= 10000
        n += 4
    if u >= 1000:
        return n + 3
    if u >= 100:
        return n + 2
    if u >= 10:
        return n + 1
    return n


cdef inline char* put_int(char* p, int64_t v) noexcept nogil:
    """Decimal digits of v at p; returns the end."""
    cdef const char* pairs = (
        b"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        b"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        b"8081828384858687888990919293949596979899"
    )
    cdef uint64_t_ u
    cdef char* end
    if v < 0:
        p[0] = b'-'
        p += 1
        u = <uint64_t_>(-v)
    else:
        u = <uint64_t_>v
    # digits are written backwards from the end, two at a time (fixed-size copies
    # compile to plain stores; a variable-length memcpy would be a libc call)
    end = p + n_digits(u)
    p = end
    while u >= 100:
        p -= 2
        memcpy(p, pairs + 2 * (u % 100), 2)
        u //= 100
    if u >= 10:
        memcpy(p - 2, pairs + 2 * u, 2)
    else:
        (p - 1)[0] = <char>(48 + u)
    return end


cdef inline char* put_str(char* p, const char* s, Py_ssize_t n) noexcept nogil:
    """n bytes of s at p; returns the end."""
    memcpy(p, s, n)
    return p + n


cdef inline char* put_ref(char* p, int64_t num) noexcept nogil:
    """'NUM 0 R' (an indirect reference)."""
    p = put_int(p, num)
    return put_str(p, b" 0 R", 4)
