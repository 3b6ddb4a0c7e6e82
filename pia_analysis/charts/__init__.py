"""Charts: the figures of the briefing pack and of a scenario, drawn from results they are given.

* :mod:`.style` — palette, A4 page, fonts, fixed texts, text wrapping, byte-stable PNG/SVG files;
* :mod:`.dataflow` — the data-flow diagram (layout, drawing, Graphviz DOT);
* :mod:`.figures` — exposure ranking, stage coverage, coverage heatmap, risk map, self-rating check;
* :mod:`.delta` — the before/after charts of a scenario or a new version.

No chart computes an analysis: each takes the results it draws as arguments.
"""

__all__: list[str] = []
