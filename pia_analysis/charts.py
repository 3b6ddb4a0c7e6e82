"""Charts of a model (matplotlib). Each function returns a Figure and draws nothing else.

Japanese labels render with IPAexGothic, bundled by the ``matplotlib-fontja`` package, so a fresh
machine needs no system fonts. :func:`use_japanese_fonts` is called by every chart function.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.figure import Figure

from .model import Model

# Okabe–Ito: a palette that stays distinguishable with the common forms of colour blindness.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#999999")


def use_japanese_fonts() -> None:
    """Make matplotlib draw Japanese text with the bundled IPAexGothic font (idempotent)."""
    import matplotlib_fontja  # noqa: F401  (registers the font on import)

    matplotlib_fontja.japanize()
    # networkx draws labels with font_family="sans-serif": put the Japanese font first in that family too.
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = ["IPAexGothic", "DejaVu Sans"]
    mpl.rcParams["svg.hashsalt"] = "pia-analysis"  # stable SVG ids


def plain_graph_figure(model: Model, lang: str = "ja") -> Figure:
    """A first, plain drawing of the data-flow graph: systems in columns by zone, flows as arrows.

    The layout is deterministic (networkx ``multipartite_layout`` with zones in file order), so the same
    model always gives the same picture.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fig = plain_graph_figure(load_model(bundled_model_path()))
    >>> len(fig.axes)
    1
    """
    use_japanese_fonts()
    g = nx.DiGraph()
    zone_order = {z: i for i, z in enumerate(model.zones["zone_id"])}
    for row in model.systems.sort_values("system_id").itertuples(index=False):
        g.add_node(row.system_id, layer=zone_order[row.zone_id])
    g.add_edges_from(sorted(zip(model.flows["source"], model.flows["target"])))
    pos = nx.multipartite_layout(g, subset_key="layer", align="vertical")
    fig, ax = plt.subplots(figsize=(14, 8))
    holders = {n for n, d in model.graph.nodes(data=True) if d["holds_my_number"]}
    colours = [OKABE_ITO[5] if n in holders else OKABE_ITO[1] for n in g.nodes]
    nx.draw_networkx(g, pos, ax=ax, node_color=colours, node_size=900, font_size=7, arrowsize=12,
                     edge_color="#555555")
    title = model.title("en" if lang == "en" else "ja")
    ax.set_title(f"{title}\n({'赤: 特定個人情報ファイルを保有' if lang == 'ja' else 'red: holds a My Number file'})")
    ax.set_axis_off()
    fig.tight_layout()
    return fig
