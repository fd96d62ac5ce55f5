"""Side-by-side peers for the benchmarks: the standard invoice job made with other tools.

Each peer module renders the same data (see ``examples/invoice/generate.py``) and layout
(``jobs/invoice.md``) with another library, the way a competent user of that library
would, so that ccmcore's pages per second can be compared honestly. Peers import their
library lazily; install them with the ``bench`` extra.
"""

__all__: list[str] = []
