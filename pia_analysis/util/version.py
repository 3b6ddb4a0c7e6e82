"""The toolkit's version, at the lowest layer: the file writer's manifest and the exports stamp it."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
