"""Compose inside the batch frameworks a bank's or a utility's data already lives in.

- :mod:`ccmcore.bindings.ray`: Ray Data (``map_batches`` with an actor per worker),
- :mod:`ccmcore.bindings.spark`: Spark (``mapInArrow``),
- :mod:`ccmcore.bindings.dask`: Dask DataFrames (``map_partitions``),

each a thin layer over one function, :func:`ccmcore.compose_partition`: a partition's
records in, its part files written to storage the caller names (a folder every worker
sees, or an fsspec URL), its manifest rows out. :func:`ccmcore.merge_distributed` (``ccm
merge``) joins the part files into one print file byte-identical to a local
:func:`ccmcore.compose` of the same data. Each adapter imports its engine only when used
(``pip install ccmcore[ray]``, ``[spark]``, ``[dask]``).
"""
