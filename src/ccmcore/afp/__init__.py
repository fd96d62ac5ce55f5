"""AFP backend: writes display lists as MO:DCA-P print files (PTOCA text, inline TrueType fonts).

The names below are imported from their modules on first use, so loading a part of this
package (``ccm``'s AFP commands, the reader) does not load the writer.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # type checkers read this name as typing's

# the public name -> the module (relative to this package) that defines it
_HOMES = {"CodedFont": ".fonts", "AfpEncodingError": ".writer", "AfpOptions": ".writer", "AfpWriter": ".writer"}

if TYPE_CHECKING:
    from typing import Any

    from .fonts import CodedFont
    from .writer import AfpEncodingError, AfpOptions, AfpWriter

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error there

    def __getattr__(name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["AfpWriter", "AfpOptions", "CodedFont", "AfpEncodingError"]
