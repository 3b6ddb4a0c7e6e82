"""Charts: every figure of the briefing pack (:mod:`.figures`) and the before/after charts of a scenario (:mod:`.delta`)."""

__all__: list[str] = []
