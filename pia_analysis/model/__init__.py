"""The model layer.

The model format (:mod:`.schema`, the contract), its errors (:mod:`.errors`), the
loaded :class:`~.model.Model` and the My Number checks (:mod:`.mynumber`). It reads no files.
"""

__all__: list[str] = []
