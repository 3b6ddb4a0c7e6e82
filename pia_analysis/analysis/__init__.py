"""The analyses: one module per analysis; none reads or writes files.

Each takes a :class:`~pia_analysis.model.model.Model` and returns a table or a small dataclass:
``attack_graph`` (who can move where, and the reachability sweeps), ``exposure``, ``simulation``,
``hardening``, ``coverage``, ``findings`` (a package: ``engine`` and ``rules``), ``judgments`` and
``provenance``.
"""

__all__: list[str] = []
