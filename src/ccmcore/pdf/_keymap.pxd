# Internal: a map from non-negative int64 keys to int32 values, for the compiled tagging
# passes (_nodes.pyx, _tree.pyx): open addressing over two vectors, emptied per document
# (a std::unordered_map allocates for every key, and tagging adds one per table cell).

from libcpp.vector cimport vector
from libc.stdint cimport int32_t, int64_t

ctypedef unsigned long long uint64_t_

cdef enum:
    KEY_NONE = -1  # an empty slot (keys are >= 0)


cdef inline void keymap_reset(vector[int64_t]& keys, vector[int32_t]& vals, Py_ssize_t most) noexcept:
    """Empty the map, with room for ``most`` keys at under half full."""
    cdef size_t size = 16
    while size < <size_t>(2 * most + 1):
        size <<= 1
    keys.assign(size, KEY_NONE)
    vals.resize(size)


cdef inline int32_t keymap_get_or_put(vector[int64_t]& keys, vector[int32_t]& vals, int64_t key,
                                      int32_t val) noexcept nogil:
    """The value of ``key``; when it has none, ``val`` becomes its value and -1 is returned."""
    cdef size_t mask = keys.size() - 1
    cdef size_t h = <size_t>((<uint64_t_>key * 0x9E3779B97F4A7C15ULL) >> 29) & mask
    while True:
        if keys[h] == key:
            return vals[h]
        if keys[h] == KEY_NONE:
            keys[h] = key
            vals[h] = val
            return -1
        h = (h + 1) & mask
