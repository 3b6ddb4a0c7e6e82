"""Outputs: what the toolkit writes for people and other tools.

* :mod:`.briefing` — the council briefing pack (PDF, charts, tables, ``briefing.md``);
* :mod:`.section3` — the Section Ⅲ risk table as a file (Excel or Markdown);
* :mod:`.interchange` — the model as an Open Threat Model, the findings as SARIF or CSV.
"""

__all__: list[str] = []
