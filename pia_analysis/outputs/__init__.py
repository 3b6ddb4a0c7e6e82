"""Outputs: the briefing pack (:mod:`.briefing`), the Section Ⅲ table as a file (:mod:`.section3`) and the OTM/SARIF exports (:mod:`.interchange`)."""

__all__: list[str] = []
