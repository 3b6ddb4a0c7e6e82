"""What if: scenarios applied to a model and compared (:mod:`.scenario`), and the versions of a model compared over time (:mod:`.versions`)."""

__all__: list[str] = []
