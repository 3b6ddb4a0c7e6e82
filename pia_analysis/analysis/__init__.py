"""The analyses: one module per analysis (exposure, coverage, findings, judgments, provenance). Each takes a :class:`~pia_analysis.model.model.Model` and returns a table or a small dataclass; none reads or writes files."""

__all__: list[str] = []
