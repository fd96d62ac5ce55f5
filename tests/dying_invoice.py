"""The invoice template, for tests of engines that retry: one partition kills its process once.

When a process loads this file (an engine's worker compiling the job) and the test has
armed it (the file ``ARM`` names a marker file), the first part from record 100 on makes
the process exit at once, as a worker killed mid-partition would, and leaves the marker so
the retry goes through. (A file, not an environment variable: an engine's workers may have
started before the test.)
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

INVOICE = Path(__file__).resolve().parent.parent / "examples" / "invoice"
if str(INVOICE) not in sys.path:
    sys.path.insert(0, str(INVOICE))

from template import document as _invoice  # noqa: E402

from ccmcore.resources import remember_home  # noqa: E402

#: the file a test writes the marker's path into, to arm the next run
ARM = Path(tempfile.gettempdir()) / "ccm-dying-invoice.arm"

#: the invoice document, as its own object (so the engines load it from this file)
document = replace(_invoice)
remember_home(document, INVOICE)


@contextmanager
def armed(folder: Path):
    """Arm the next run in the block: yields the marker file the dying process leaves."""
    marker = Path(folder) / "died"
    ARM.write_text(str(marker))
    try:
        yield marker
    finally:
        ARM.unlink(missing_ok=True)


def _arm() -> None:
    import ccmcore.partitions as partitions

    real = partitions.compose_part
    if getattr(real, "dies_once", False):
        return

    def dying(job, index, record0, batches):
        marker = ARM.read_text() if ARM.exists() else ""
        if marker and record0 >= 100 and not Path(marker).exists():
            Path(marker).write_text("died")
            os._exit(1)
        return real(job, index, record0, batches)

    dying.dies_once = True  # type: ignore[attr-defined]
    partitions.compose_part = dying


_arm()
