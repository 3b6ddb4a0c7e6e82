"""The data-flow diagram: systems in their trust zones, flows as arrows, shaded by exposure.

* :func:`dataflow_geometry` — the layout (:class:`DataflowGeometry`: boxes, zone frames, arrow routes),
  in columns from the city's core zones outwards; :func:`dataflow_layout` — the box centres only;
* :func:`dataflow_diagram` — the diagram as a matplotlib Figure (aggregated by zone above
  :data:`DATAFLOW_MAX_SYSTEMS` systems);
* :func:`dataflow_dot` — the same diagram as Graphviz DOT text;
* :func:`dataflow_zone_order`, :func:`dataflow_system_order` — the diagram's order of zones and systems,
  which the other charts (:mod:`.figures`) follow;
* :func:`plain_graph_figure` — the first, plain sketch (notebook 01).

The diagram is drawn from the model and the exposure table it is given (it computes no analysis).
"""

from __future__ import annotations

__all__ = [
    "DATAFLOW_MAX_SYSTEMS",
    "DATAFLOW_ZONE_DETAIL",
    "DataflowGeometry",
    "dataflow_diagram",
    "dataflow_dot",
    "dataflow_geometry",
    "dataflow_layout",
    "dataflow_system_order",
    "dataflow_zone_order",
    "plain_graph_figure",
]

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, NullFormatter

from .. import catalog
from ..model.model import Model, require_model
from .style import (A4_LANDSCAPE, CONTINUOUS_CMAP, OKABE_ITO, STAGE_COLOURS, chart_text, check_lang, display_name,
                    drawable_text, format_percent, new_figure, percent_axis_scale, percent_tick, stage_name,
                    text_colour_on, text_width, use_japanese_fonts, wrap_text)

_ORANGE, _SKY, _GREEN, _YELLOW, _BLUE, _VERMILLION, _PURPLE, _BLACK, _GREY = OKABE_ITO
_MY_NUMBER_EDGE = _VERMILLION
_ENTRY_COLOUR = _YELLOW
_PLANNED_COLOUR = _SKY  # planned as in the coverage charts: sky blue, hollow
# issue 18's marks; the words are here, beside the only chart that draws them
_TEXT_18 = {
    "mn_transit": ("個人番号を含むファイルが経由（保管しない）", "A file with My Numbers passes through (not kept)"),
    "planned_here": ("この要素では対策が計画中", "A control is planned on this element"),
    "inside": ("（{parent} の内側）", " (inside {parent})"),
}


def _text_18(key: str, lang: str, **values: str) -> str:
    ja, en = _TEXT_18[key]
    return (ja if lang == "ja" else en).format(**values)


def _transit_systems(model: Model) -> set[str]:
    """The systems a file with My Numbers passes through without being kept there (``processes``)."""
    mn = model.my_number_files
    return {s for s, files in model.processed_files.items() if not mn.isdisjoint(files)}


def _planned_on(model: Model) -> dict[str, list[str]]:
    """System or flow id → the sorted ids of the controls that ``control_status.csv`` says are planned **on it**.

    Per element (:attr:`~pia_analysis.Model.control_applications`): a control implemented on one system and
    planned on a flow marks the flow only. A control planned everywhere (its own status) is the coverage
    charts' business and marks nothing here, so a model without per-element statuses is drawn as before.
    """
    overridden = set(zip(model.control_status["control_id"].astype(str), model.control_status["element"].astype(str)))
    apps = model.control_applications
    out: dict[str, set[str]] = defaultdict(set)
    for cid, element, status in zip(apps["control_id"], apps["element"], apps["status"]):
        if status == "planned" and (str(cid), str(element)) in overridden:
            out[str(element)].add(str(cid))
    return {e: sorted(c) for e, c in out.items()}


def _parent_zone(model: Model) -> dict[str, str]:
    """Zone id → the zone it lies inside (``parent_zone``), for the zones that name one."""
    zones = model.zones
    if "parent_zone" not in zones.columns:
        return {}
    return {str(z): str(p) for z, p in zip(zones["zone_id"], zones["parent_zone"])
            if isinstance(p, str) and p}

# Large models (a prefecture, the whole country: thousands of systems) cannot be drawn system by system on
# A4. Above these sizes the charts summarise (docs/charts.md, "Large models"); the bundled model is far below.
#: Above this many systems the data-flow diagram is drawn aggregated: see :func:`dataflow_diagram`.
DATAFLOW_MAX_SYSTEMS = 60
#: In the aggregated data-flow diagram, a zone with more systems than this is drawn as one box.
DATAFLOW_ZONE_DETAIL = 4


# ---------------------------------------------------------------------------------------------------
# data-flow diagram: layout

# Sizes in inches (the diagram is laid out at print size; it is scaled down only when it does not fit).
_BOX_W = 1.50
_BOX_H = 0.40
_PORT_PITCH = 0.075  # minimum distance between two arrow ends on one side of a box
_ROW_GAP = 0.13
_ZONE_PAD = 0.07
_ZONE_GAP = 0.16
_ZONE_FONT = 7.0
_ZONE_LINE = 0.125
_BOX_FONT = 7.0
_ID_FONT = 5.6
_TRACK = 0.14  # distance between two bracket tracks
_CHANNEL_PAD = 0.10  # from the zone frame to the first bracket track
_STUB = 0.08  # horizontal run of a straight arrow outside its zone frame
_BASE_GAP = 0.56  # between two columns, besides bracket tracks
_HEADING_H = 0.22  # column headings above the zones
_FLOW_FONT = 5.5


@dataclasses.dataclass(frozen=True)
class DataflowGeometry:
    """Where everything of the data-flow diagram goes, in inches, with y growing downwards.

    Attributes
    ----------
    positions
        system id → centre ``(x, y)`` of its box.
    box_sizes
        system id → ``(width, height)`` of its box.
    zone_rects
        zone id → ``(x0, y0, x1, y1)`` of its frame (``y0`` is the top).
    zone_labels
        zone id → the lines of its name as drawn in the frame's header.
    columns
        the zone ids of each column, left (core) to right, top to bottom.
    zone_level
        zone id → its column (number of zone boundaries from the core zones).
    routes
        flow id → the polyline of its arrow, from the source box to the target box.
    kinds
        flow id → ``straight`` (to the next column) or ``bracket`` (within a column, run along its side).
    size
        ``(width, height)`` of the whole drawing.
    """

    positions: dict[str, tuple[float, float]]
    box_sizes: dict[str, tuple[float, float]]
    zone_rects: dict[str, tuple[float, float, float, float]]
    zone_labels: dict[str, list[str]]
    columns: list[list[str]]
    zone_level: dict[str, int]
    routes: dict[str, list[tuple[float, float]]]
    kinds: dict[str, str]
    size: tuple[float, float]

    def box_rect(self, system_id: str) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` of a system's box."""
        (x, y), (w, h) = self.positions[system_id], self.box_sizes[system_id]
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _zone_levels(model: Model) -> dict[str, int]:
    """Column of each zone that has systems: its distance, in zone boundaries, from the core zones.

    Zones are nodes, two zones are adjacent when a flow joins their systems (either direction). The
    *core zones* are the zones operated by the city whose systems hold a file with My Numbers; the
    level of a zone is its breadth-first distance from the nearest core zone. A group of zones no flow
    joins to a core zone is measured from its own core by the same rule, relaxed step by step when it
    has none: zones holding My Numbers, then city-operated zones, then the zone with most systems (ties
    by zone id).
    """
    systems = model.systems
    zones_with_systems = sorted(set(systems["zone_id"]))
    zone_of = dict(zip(systems["system_id"], systems["zone_id"]))
    operator = dict(zip(model.zones["zone_id"], model.zones["operator"]))
    mn = model.my_number_files
    holds_mn = {z: False for z in zones_with_systems}
    count = {z: 0 for z in zones_with_systems}
    for sid, zid, holds in zip(systems["system_id"], systems["zone_id"], systems["holds"]):
        holds_mn[zid] = holds_mn[zid] or any(f in mn for f in holds)
        count[zid] += 1
    g = nx.Graph()
    g.add_nodes_from(zones_with_systems)
    for s, t in zip(model.flows["source"], model.flows["target"]):
        if zone_of[s] != zone_of[t]:
            g.add_edge(zone_of[s], zone_of[t])
    level: dict[str, int] = {}
    for comp in sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0]):
        roots = [z for z in comp if operator.get(z) == "city" and holds_mn[z]]
        roots = roots or [z for z in comp if holds_mn[z]] or [z for z in comp if operator.get(z) == "city"]
        roots = roots or [min(comp, key=lambda z: (-count[z], z))]
        dist = nx.multi_source_dijkstra_path_length(g.subgraph(comp), set(roots), weight=None)
        level.update({z: int(d) for z, d in dist.items()})
    return level


@dataclasses.dataclass
class _Ordering:
    columns: list[list[str]]  # zone ids per column
    zone_systems: dict[str, list[str]]

    def system_columns(self) -> list[list[str]]:
        return [[s for z in col for s in self.zone_systems[z]] for col in self.columns]

    def copy(self) -> _Ordering:
        return _Ordering([list(c) for c in self.columns], {z: list(v) for z, v in self.zone_systems.items()})


def _ordering(model: Model, level: dict[str, int]) -> _Ordering:
    """Zones of each column and systems of each zone, ordered to reduce crossings (barycentre sweeps).

    Starts from id order. A sweep sorts the zones of a column, and the systems within each zone, by the
    mean position of their neighbours in the previous column (left-to-right) or the next one
    (right-to-left); a system with no neighbour there follows its neighbours within the column; ties keep
    the current order. After twelve alternating sweeps the ordering with the fewest crossings between
    neighbouring columns (then the shortest runs within columns, then the earliest) is kept. Above
    :data:`DATAFLOW_MAX_SYSTEMS` systems (too many to draw one by one) the id order is kept as it is.
    """
    if not level:
        return _Ordering([], {})
    n_cols = max(level.values()) + 1
    zone_systems: dict[str, list[str]] = defaultdict(list)
    for sid, zid in sorted(zip(model.systems["system_id"], model.systems["zone_id"])):
        zone_systems[zid].append(sid)
    columns = [sorted(z for z in level if level[z] == c) for c in range(n_cols)]
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        # The sweeps count crossings pair by pair (quadratic in the flows): beyond a drawable size, id order.
        return _Ordering(columns, dict(zone_systems))
    col_of_zone = {z: level[z] for z in level}
    col_of = {s: col_of_zone[z] for z, ss in zone_systems.items() for s in ss}
    edges = sorted((s, t) for s, t in zip(model.flows["source"], model.flows["target"]))
    nbrs: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        nbrs[s].append(t)
        nbrs[t].append(s)

    def positions(order: _Ordering) -> dict[str, float]:
        pos = {}
        for col in order.system_columns():
            for i, s in enumerate(col):
                pos[s] = (i + 0.5) / len(col)
        return pos

    def cost(order: _Ordering) -> tuple[int, float]:
        pos = positions(order)
        crossings, span = 0, 0.0
        between: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for s, t in edges:
            cs, ct = col_of[s], col_of[t]
            if abs(cs - ct) == 1:
                a, b = (s, t) if cs < ct else (t, s)
                between[min(cs, ct)].append((pos[a], pos[b]))
            elif cs == ct:
                span += abs(pos[s] - pos[t]) * len(order.system_columns()[cs])
        for pairs in between.values():
            for i in range(len(pairs)):
                for j in range(i + 1, len(pairs)):
                    (a1, b1), (a2, b2) = pairs[i], pairs[j]
                    if (a1 - a2) * (b1 - b2) < 0:
                        crossings += 1
        return crossings, round(span, 9)

    def sweep(order: _Ordering, c: int, ref: int) -> None:
        pos = positions(order)
        current = {s: i for i, s in enumerate(order.system_columns()[c])}

        def bary(s: str) -> float:
            outside = [pos[t] for t in nbrs[s] if col_of[t] == ref]
            if outside:
                return sum(outside) / len(outside)
            inside = [pos[t] for t in nbrs[s] if col_of[t] == c]
            return sum(inside) / len(inside) if inside else pos[s]

        b = {s: bary(s) for z in order.columns[c] for s in order.zone_systems[z]}
        for z in order.columns[c]:
            order.zone_systems[z].sort(key=lambda s: (b[s], current[s]))
        zkey = {z: (sum(b[s] for s in order.zone_systems[z]) / len(order.zone_systems[z]),
                    min(current[s] for s in order.zone_systems[z])) for z in order.columns[c]}
        order.columns[c].sort(key=lambda z: zkey[z])

    order = _Ordering(columns, dict(zone_systems))
    best, best_cost = order.copy(), cost(order)
    if n_cols == 1:
        # one column: order by the in-column neighbours only
        for _ in range(4):
            sweep(order, 0, -1)
            if cost(order) < best_cost:
                best, best_cost = order.copy(), cost(order)
        return best
    for it in range(12):
        cols = range(1, n_cols) if it % 2 == 0 else range(n_cols - 2, -1, -1)
        for c in cols:
            sweep(order, c, c - 1 if it % 2 == 0 else c + 1)
        current_cost = cost(order)
        if current_cost < best_cost:
            best, best_cost = order.copy(), current_cost
    return best


def _isotonic(values: list[float]) -> list[float]:
    """Least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
    out: list[float] = []
    for s, n in blocks:
        out.extend([s / n] * int(n))
    return out


def _place_blocks(desired: list[float], heights: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Tops of stacked blocks (in order, ``gap`` apart, within [lo, hi]) closest to the ``desired`` tops."""
    offsets, acc = [], 0.0
    for h in heights:
        offsets.append(acc)
        acc += h + gap
    total = acc - gap
    u = _isotonic([d - o for d, o in zip(desired, offsets)])
    upper = hi - total
    u = [min(max(v, lo), max(lo, upper)) for v in u]
    return [v + o for v, o in zip(u, offsets)]


def dataflow_geometry(model: Model, lang: str = "ja") -> DataflowGeometry:
    """The layout of the data-flow diagram: columns, zone frames, boxes and arrow routes (inches, y down).

    The rule (documented in ``docs/charts.md``):

    1. **Columns.** Each zone goes into the column of its distance, in zone boundaries crossed by flows,
       from the *core zones* (city-operated zones whose systems hold My Number files); see
       :func:`_zone_levels`. The core is on the left, the zones furthest from it on the right.
    2. **Order within a column.** Zones are stacked, and the systems of a zone stacked inside its frame,
       in the order found by barycentre sweeps that reduce arrow crossings (:func:`_ordering`); ties by id.
    3. **Heights.** The tallest column is packed from the top; every other column is placed as close as
       possible to the height of its neighbours (least squares under the stacking order), so arrows run
       as level as they can.
    4. **Arrows.** A flow to the next column is a straight arrow between the facing sides of the boxes.
       A flow within a column runs as a bracket along one side of the column (the outer side for the
       first and last column, else the side with fewer straight arrows), on its own track outside the
       zone frames (shorter brackets on the inner tracks). No flow skips a column: columns are
       breadth-first distances, so the zones a flow joins are at most one column apart. Arrow ends are
       spread along the box sides (boxes grow taller when a side has many), ordered so that neighbouring
       arrows do not cross at a box.

    Zones without systems are not drawn. A model without systems gives an empty geometry.

    Boxes never overlap and arrows never pass over a box (the tests check both).

    Parameters
    ----------
    model
        A loaded model.
    lang
        ``"ja"`` or ``"en"``: the language of the zone names, whose wrapped lines set the frames' headers.

    Returns
    -------
    DataflowGeometry
        Box centres and sizes, zone frames and headers, columns, arrow routes and the drawing's size, in
        inches with y down.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_geometry
    >>> from pia_analysis import load_model, bundled_model_path
    >>> geo = dataflow_geometry(load_model(bundled_model_path()))
    >>> geo.zone_level["CORE"], geo.zone_level["STORE"], len(geo.routes)
    (0, 3, 22)
    """
    require_model(model, "dataflow_geometry")
    check_lang(lang)
    use_japanese_fonts()
    level = _zone_levels(model)
    if not level:
        return DataflowGeometry({}, {}, {}, {}, [], {}, {}, {}, (1.0, 1.0))
    order = _ordering(model, level)
    n_cols = len(order.columns)
    col_of = {s: level[z] for z, ss in order.zone_systems.items() for s in ss}
    zones = model.zones.set_index("zone_id")
    flows = model.flows.sort_values("flow_id", kind="stable")
    frame_w = _BOX_W + 2 * _ZONE_PAD
    parent = _parent_zone(model)

    def zone_title(z: str) -> str:
        title = display_name(zones.loc[z].to_dict() | {"zone_id": z}, lang)
        if z in parent and parent[z] in zones.index:  # nested: analysed as a zone of its own, drawn as inside
            title += _text_18("inside", lang, parent=display_name(zones.loc[parent[z]].to_dict()
                                                                  | {"zone_id": parent[z]}, lang))
        return title

    zone_labels = {z: wrap_text(zone_title(z), frame_w - 2 * 0.06, _ZONE_FONT, lang, max_lines=3) for z in level}

    # -- classify the flows and choose the side of each column's in-column brackets -------------------
    kinds: dict[str, str] = {}
    for f in flows.itertuples(index=False):
        d = abs(col_of[f.source] - col_of[f.target])
        # Levels are breadth-first distances over the zones the flows join, so a flow never skips a column.
        assert d <= 1, (f.flow_id, d)
        kinds[f.flow_id] = "straight" if d == 1 else "bracket"
    straight_in_gap = defaultdict(int)  # gap i lies between column i and i + 1
    for f in flows.itertuples(index=False):
        if kinds[f.flow_id] == "straight":
            straight_in_gap[min(col_of[f.source], col_of[f.target])] += 1
    bracket_side = {}
    for c in range(n_cols):
        if c == 0:
            bracket_side[c] = "left"
        elif c == n_cols - 1:
            bracket_side[c] = "right"
        else:
            bracket_side[c] = "left" if straight_in_gap[c - 1] < straight_in_gap[c] else "right"

    # -- ends of the arrows on each side of each box: counted first, as they set the box heights -------
    side_ends: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)  # (sys, side) -> [(flow, end)]
    for f in flows.itertuples(index=False):
        cs, ct = col_of[f.source], col_of[f.target]
        if kinds[f.flow_id] == "bracket":
            ss = ts = bracket_side[cs]
        else:
            ss, ts = ("right", "left") if ct > cs else ("left", "right")
        side_ends[(f.source, ss)].append((f.flow_id, "source"))
        side_ends[(f.target, ts)].append((f.flow_id, "target"))
    box_h = {s: max(_BOX_H, (max(len(side_ends[(s, "left")]), len(side_ends[(s, "right")])) + 1) * _PORT_PITCH)
             for s in col_of}

    # -- vertical placement ---------------------------------------------------------------------------
    def header_h(z: str) -> float:
        return len(zone_labels[z]) * _ZONE_LINE + 0.07

    def block_h(z: str) -> float:
        ss = order.zone_systems[z]
        return header_h(z) + sum(box_h[s] for s in ss) + _ROW_GAP * (len(ss) - 1) + _ZONE_PAD

    col_h = [sum(block_h(z) for z in col) + _ZONE_GAP * (len(col) - 1) for col in order.columns]
    height = max(col_h)
    top0 = _HEADING_H
    zone_top: dict[str, float] = {}

    def system_ys(z: str, top: float) -> dict[str, float]:
        out, y = {}, top + header_h(z)
        for s in order.zone_systems[z]:
            out[s] = y + box_h[s] / 2
            y += box_h[s] + _ROW_GAP
        return out

    for c, col in enumerate(order.columns):  # start centred
        y = top0 + (height - col_h[c]) / 2
        for z in col:
            zone_top[z] = y
            y += block_h(z) + _ZONE_GAP
    nbrs: dict[str, list[str]] = defaultdict(list)
    for f in flows.itertuples(index=False):
        nbrs[f.source].append(f.target)
        nbrs[f.target].append(f.source)
    tallest = max(range(n_cols), key=lambda c: (col_h[c], -c))
    sequence = [c for c in range(n_cols) if c != tallest]
    sequence = sorted(sequence, key=lambda c: (abs(c - tallest), c))
    for _ in range(3):
        for c in sequence:
            ys = {s: y for z in zone_top for s, y in system_ys(z, zone_top[z]).items()}
            desired = []
            for z in order.columns[c]:
                own = system_ys(z, 0.0)
                wants = [ys[t] - own[s] for s in order.zone_systems[z] for t in nbrs[s] if col_of[t] != c]
                desired.append(sum(wants) / len(wants) if wants else zone_top[z])
            tops = _place_blocks(desired, [block_h(z) for z in order.columns[c]], _ZONE_GAP, top0, top0 + height)
            for z, t in zip(order.columns[c], tops):
                zone_top[z] = t
    ys = {s: y for z in zone_top for s, y in system_ys(z, zone_top[z]).items()}

    # -- ports: order the ends on each side so that neighbouring arrows do not cross at the box --------
    flow_rows = {f.flow_id: f for f in flows.itertuples(index=False)}

    def other_end(fid: str, end: str) -> str:
        f = flow_rows[fid]
        return f.target if end == "source" else f.source

    port_y: dict[tuple[str, str], float] = {}  # (flow, end) -> y
    for (s, side), ends in side_ends.items():
        def key(item: tuple[str, str]) -> tuple:
            fid, end = item
            o = other_end(fid, end)
            if kinds[fid] == "bracket":
                group = 0 if ys[o] < ys[s] else 2
                return (group, -ys[o], fid, end)
            return (1, ys[o], fid, end)

        ends_sorted = sorted(ends, key=key)
        h, n = box_h[s], len(ends_sorted)
        for k, item in enumerate(ends_sorted):
            port_y[item] = ys[s] - h / 2 + h * (k + 1) / (n + 1)

    # -- bracket tracks per column side -----------------------------------------------------------------
    tracks: dict[str, int] = {}
    used: dict[tuple[int, str], list[list[tuple[float, float]]]] = defaultdict(list)
    brackets = sorted(
        (fid for fid, k in kinds.items() if k == "bracket"),
        key=lambda fid: (abs(port_y[(fid, "source")] - port_y[(fid, "target")]), fid),
    )
    for fid in brackets:
        c = col_of[flow_rows[fid].source]
        lo, hi = sorted((port_y[(fid, "source")], port_y[(fid, "target")]))
        slots = used[(c, bracket_side[c])]
        t = 0
        while t < len(slots) and any(lo < b + 0.04 and a < hi + 0.04 for a, b in slots[t]):
            t += 1
        if t == len(slots):
            slots.append([])
        slots[t].append((lo, hi))
        tracks[fid] = t
    n_tracks = {key: len(v) for key, v in used.items()}

    # -- horizontal placement ---------------------------------------------------------------------------
    def channel_w(c: int, side: str) -> float:
        n = n_tracks.get((c, side), 0)
        return _CHANNEL_PAD + n * _TRACK if n else 0.0

    x0: list[float] = []
    x = channel_w(0, "left") + 0.05
    for c in range(n_cols):
        x0.append(x)
        if c < n_cols - 1:
            x += frame_w + channel_w(c, "right") + _BASE_GAP + channel_w(c + 1, "left")
    width = x0[-1] + frame_w + channel_w(n_cols - 1, "right") + 0.05

    positions = {s: (x0[col_of[s]] + frame_w / 2, ys[s]) for s in sorted(col_of)}
    box_sizes = {s: (_BOX_W, box_h[s]) for s in sorted(col_of)}
    zone_rects = {z: (x0[level[z]], zone_top[z], x0[level[z]] + frame_w, zone_top[z] + block_h(z))
                  for z in sorted(level)}

    # -- routes ---------------------------------------------------------------------------------------
    def edge_x(s: str, side: str) -> float:
        return positions[s][0] + (_BOX_W / 2 if side == "right" else -_BOX_W / 2)

    def frame_x(c: int, side: str) -> float:
        return x0[c] + (frame_w if side == "right" else 0.0)

    routes: dict[str, list[tuple[float, float]]] = {}
    for fid in sorted(kinds):
        f = flow_rows[fid]
        s, t = f.source, f.target
        cs, ct = col_of[s], col_of[t]
        ys_, yt_ = port_y[(fid, "source")], port_y[(fid, "target")]
        if kinds[fid] == "straight":
            ss, ts = ("right", "left") if ct > cs else ("left", "right")
            step = _STUB if ct > cs else -_STUB
            routes[fid] = [(edge_x(s, ss), ys_), (frame_x(cs, ss) + step, ys_),
                           (frame_x(ct, ts) - step, yt_), (edge_x(t, ts), yt_)]
        else:
            side = bracket_side[cs]
            sign = 1 if side == "right" else -1
            tx = frame_x(cs, side) + sign * (_CHANNEL_PAD + tracks[fid] * _TRACK)
            routes[fid] = [(edge_x(s, side), ys_), (tx, ys_), (tx, yt_), (edge_x(t, side), yt_)]

    return DataflowGeometry(
        positions=positions,
        box_sizes=box_sizes,
        zone_rects=zone_rects,
        zone_labels={z: zone_labels[z] for z in sorted(level)},
        columns=[list(c) for c in order.columns],
        zone_level=dict(sorted(level.items())),
        routes=routes,
        kinds=dict(sorted(kinds.items())),
        size=(width, top0 + height + 0.05),
    )


def dataflow_layout(model: Model, lang: str = "ja") -> dict[str, tuple[float, float]]:
    """Centre ``(x, y)`` of each system's box in the data-flow diagram (inches, y down).

    :func:`dataflow_geometry` gives the rule. Deterministic: the same model gives the same positions.

    Parameters
    ----------
    model
        A loaded model.
    lang
        ``"ja"`` or ``"en"`` (zone names in the frames' headers move the boxes down).

    Returns
    -------
    dict of str to tuple of float
        System id → ``(x, y)``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_layout
    >>> from pia_analysis import load_model, bundled_model_path
    >>> pos = dataflow_layout(load_model(bundled_model_path()))
    >>> pos["JUKI_REC"][0] < pos["STORE_KIOSK"][0]  # the core is left of the convenience store
    True
    """
    require_model(model, "dataflow_layout")
    return dataflow_geometry(model, lang).positions


# ---------------------------------------------------------------------------------------------------
# data-flow diagram: drawing


def _exposure_norm(values: Iterable[float]) -> Normalize:
    positive = [v for v in values if v > 0]
    if not positive:
        return LogNorm(1e-4, 1.0)
    if percent_axis_scale(positive) == "linear":  # within two decades: a linear scale from 0 reads plainly
        return Normalize(0.0, max(positive))
    lo = 10 ** math.floor(math.log10(min(positive)))
    hi = 10 ** math.ceil(math.log10(max(positive)))
    if hi <= lo:
        hi = lo * 10
    return LogNorm(lo, min(hi, 1.0) if min(hi, 1.0) > lo else hi)


class _ArrowHandler(HandlerBase):
    """Legend key drawn as an arrow (one-way: solid, one head; interactive: dashed, two heads)."""

    def __init__(self, style: str, dashed: bool) -> None:
        super().__init__()
        self.style, self.dashed = style, dashed

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):  # noqa: D102
        y = height / 2 - ydescent
        arrow = FancyArrowPatch((-xdescent, y), (width - xdescent, y), arrowstyle=self.style, mutation_scale=9,
                                linewidth=1.3, color="#333333", linestyle=(0, (3, 1.6)) if self.dashed else "-",
                                shrinkA=0, shrinkB=0, transform=trans)
        return [arrow]


def _below(fig: Figure, artist: Any, pad: float) -> float:
    """Figure-fraction y just below ``artist`` (a legend) once drawn, minus ``pad``."""
    renderer = fig.canvas.get_renderer()
    box = artist.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    return box.y0 - pad


def _segments(route: list[tuple[float, float]]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(zip(route, route[1:]))


def _segment_hits_rect(p: tuple[float, float], q: tuple[float, float], rect: tuple[float, float, float, float],
                       inset: float = 1e-6) -> bool:
    """Whether the segment p–q passes through the inside of rect (x0, y0, x1, y1), shrunk by ``inset``."""
    x0, y0, x1, y1 = rect[0] + inset, rect[1] + inset, rect[2] - inset, rect[3] - inset
    if x0 >= x1 or y0 >= y1:
        return False
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return False
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-9


def _rects_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
                   margin: float = 0.0) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def _point_along(route: list[tuple[float, float]], frac: float) -> tuple[tuple[float, float], bool]:
    """The point at ``frac`` of the route's length, and whether that piece of the route is vertical."""
    segs = _segments(route)
    lengths = [math.dist(a, b) for a, b in segs]
    target = frac * sum(lengths)
    for (a, b), ln in zip(segs, lengths):
        if target <= ln or (a, b) == segs[-1]:
            r = 0 if ln == 0 else min(1.0, target / ln)
            return (a[0] + r * (b[0] - a[0]), a[1] + r * (b[1] - a[1])), abs(b[0] - a[0]) < 1e-9
        target -= ln
    return route[-1], False


def dataflow_diagram(model: Model, exposure: pd.DataFrame | None, lang: str = "ja",
                     flow_labels: bool = False, step_labels: Mapping[str, str] | None = None) -> Figure:
    """The data-flow diagram: systems in their trust zones, flows as arrows, shaded by exposure.

    * zones are grey frames with their name on top, in columns from the core (left) outwards
      (:func:`dataflow_geometry` gives the rule);
    * each system is a box filled with its exposure (cividis, log scale, colour bar on the right; the
      exposure in % is written in the box; white = no attack path reaches it); a thick vermillion edge
      marks a system holding a file with My Numbers, a yellow triangle at its top left an entry point (no
      ids on the boxes: the council reads names);
    * each flow is one arrow, coloured by stage: solid with one head for a one-way transfer, dashed
      with two heads for an interactive exchange; ``flow_labels`` writes the flow id on it (for analysts;
      off by default, as in the briefing);
    * issue 18: a system through which a file with My Numbers passes without being kept (``processes``) has
      a dashed vermillion edge (thinner than a holder's); a zone inside another (``parent_zone``) says so in
      its title (the columns keep each zone on its own, as the analyses do; the DOT text nests the clusters);
      a hollow sky-blue circle marks a system or flow on which ``control_status.csv`` says a control is
      planned (not drawn on a document's diagram).

    With ``exposure=None`` it is the diagram of a published document (the 評価書's 別添1): the same zones,
    systems, arrows and My Number edges, but no exposure, no entry points and no colour bar — the attack
    analysis is the committee's, not the public's; ``step_labels`` then numbers the arrows as the steps of
    the affair (事務の流れ).

    A model of more than :data:`DATAFLOW_MAX_SYSTEMS` systems is not drawn box by box (tens of thousands
    of boxes say nothing on A4): each zone with more than :data:`DATAFLOW_ZONE_DETAIL` systems becomes one
    box (coloured by the highest exposure inside it), the systems of smaller zones — typically the shared
    national systems — keep their own box, and the flows between two boxes with the same direction, stage
    and kind become one arrow labelled with their number (see :func:`_aggregate_for_diagram`).

    Parameters
    ----------
    model
        A loaded model.
    exposure
        :func:`pia_analysis.analysis.exposure.node_exposure` of the model, or None for a document's diagram
        (no exposure, entry points or colour bar).
    lang
        ``"ja"`` or ``"en"``.
    flow_labels
        Write the flow ids (F01 …) on the arrows (an analyst's view; the council's diagram has none: the
        merged flows of a large model still say ×n).
    step_labels
        A text per flow id written on its arrow instead of the id (the step numbers ①② … of the 評価書's
        事務の流れ); flows not in it get no label. Ignored for the merged arrows of a large model.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page: the diagram's axes (label ``dataflow``) and the exposure colour bar.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_diagram
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> model = load_model(bundled_model_path())
    >>> fig = dataflow_diagram(model, node_exposure(model), lang="en")
    >>> fig.axes[0].get_label()
    'dataflow'
    """
    require_model(model, "dataflow_diagram")
    check_lang(lang)
    document = exposure is None
    if document:  # every system unreached: drawn plain (see _draw_dataflow)
        exposure = pd.DataFrame({"system_id": model.systems["system_id"], "exposure": 0.0})
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        agg = _aggregate_for_diagram(model, exposure, lang)
        subtitle = chart_text("dataflow_doc_sub_agg" if document else "dataflow_sub_agg", lang,
                              n=len(model.systems), k=DATAFLOW_ZONE_DETAIL, inside=agg.inside)
        return _draw_dataflow(agg.model, agg.exposure, lang, flow_labels, subtitle, agg.flow_labels, document)
    labels = dict(step_labels) if step_labels is not None else None
    subtitle = chart_text("dataflow_doc_sub" if document else "dataflow_sub", lang)
    return _draw_dataflow(model, exposure, lang, flow_labels or labels is not None, subtitle, labels, document,
                          only_labelled=labels is not None)


@dataclasses.dataclass(frozen=True)
class _Aggregate:
    """A large model summarised for the data-flow diagram: one "system" per box."""

    model: Model  # the boxes as systems (kept systems and zone boxes) and the merged flows
    exposure: pd.DataFrame  # system_id, exposure: the highest exposure inside each box
    flow_labels: dict[str, str]  # flow id of the summary -> the text on its arrow
    inside: int  # flows whose two ends are in the same box (not drawn)


def _aggregate_for_diagram(model: Model, exposure: pd.DataFrame, lang: str) -> _Aggregate:
    """Summarise a large model for :func:`dataflow_diagram`.

    A zone with more than :data:`DATAFLOW_ZONE_DETAIL` systems becomes one box, with the zone's id as its
    id (suffixed with ``+`` if a kept system already has that id): its name gives the number of systems
    and of My Number holders, its exposure is the highest of its systems, it holds a My Number file and
    is an entry point when one of its systems is (its entry likelihood is the highest of theirs). The other
    systems stay as they are. Flows between two boxes are merged by (source box, target box, stage,
    interactive): a single flow keeps its id as label, a merged one is labelled ``×n``. Everything is built
    in id order, so the summary does not depend on the order of the model's rows.
    """
    systems = model.systems.sort_values("system_id", kind="stable")
    count = systems["zone_id"].value_counts().to_dict()
    big = {z for z, n in count.items() if n > DATAFLOW_ZONE_DETAIL}
    kept = [sid for sid, z in zip(systems["system_id"], systems["zone_id"]) if z not in big]
    box_id = {z: (z + "+" if z in set(kept) else z) for z in sorted(big)}
    node_of = {sid: (box_id[z] if z in big else sid) for sid, z in zip(systems["system_id"], systems["zone_id"])}
    exp = dict(zip(exposure["system_id"], exposure["exposure"].astype(float)))
    mn = model.my_number_files
    rows: dict[str, dict] = {}
    members: dict[str, list[dict]] = defaultdict(list)
    for row in systems.to_dict("records"):
        node = node_of[row["system_id"]]
        if node == row["system_id"]:
            rows[node] = dict(row)
        members[node].append(row)
    zones = model.zones.set_index("zone_id")
    for z in sorted(big):
        node, group = box_id[z], members[box_id[z]]
        holders = [r for r in group if any(f in mn for f in r["holds"])]
        held = sorted({f for r in holders for f in r["holds"] if f in mn})
        text = (chart_text("agg_box", lang, n=len(group), k=len(holders)) if holders
                else chart_text("agg_box_none", lang, n=len(group)))
        rows[node] = {**group[0], "system_id": node, "name_ja": text, "name_en": text, "zone_id": z,
                      "kind": "system", "operator": str(zones.at[z, "operator"]) if z in zones.index else "city",
                      "holds": held[:1], "entry_likelihood": max(float(r["entry_likelihood"]) for r in group),
                      "source": ""}
        if "processes" in rows[node]:  # a box through which My Numbers pass, none kept there: drawn as transit
            passing = sorted({f for r in group for f in (r["processes"] or []) if f in mn} - set(held))
            rows[node]["processes"] = [] if held else passing[:1]
    box_exposure = {node: max(exp.get(r["system_id"], 0.0) for r in group) for node, group in members.items()}
    merged: dict[tuple[str, str, str, bool], list[str]] = defaultdict(list)
    inside = 0
    flows = model.flows.sort_values("flow_id", kind="stable")
    for fid, source, target, stage, interactive in zip(flows["flow_id"], flows["source"], flows["target"],
                                                       flows["stage"], flows["interactive"]):
        u, v = node_of[source], node_of[target]
        if u == v:
            inside += 1
            continue
        merged[(u, v, str(stage), bool(interactive))].append(fid)
    flow_rows, labels = [], {}
    for k, ((u, v, stage, interactive), fids) in enumerate(sorted(merged.items())):
        fid = fids[0] if len(fids) == 1 else f"@{k + 1:04d}"  # '@' is in no model id: no clash
        labels[fid] = fids[0] if len(fids) == 1 else f"×{len(fids):,}"
        flow_rows.append({"flow_id": fid, "source": u, "target": v, "files": [], "stage": stage, "channel": "",
                          "interactive": interactive, "encrypted": False, "source_ref": ""})
    order = sorted(rows)
    summary_systems = pd.DataFrame([rows[n] for n in order], columns=list(model.systems.columns))
    summary_flows = pd.DataFrame(flow_rows, columns=list(model.flows.columns))
    summary = model.replace(systems=summary_systems.astype(model.systems.dtypes.to_dict()),
                            flows=summary_flows.astype(model.flows.dtypes.to_dict()))
    table = pd.DataFrame({"system_id": order, "exposure": [box_exposure[n] for n in order]})
    return _Aggregate(summary, table, labels, inside)


def _draw_dataflow(model: Model, exposure: pd.DataFrame, lang: str, flow_labels: bool, subtitle: str,
                   label_text: dict[str, str] | None = None, document: bool = False,
                   only_labelled: bool = False) -> Figure:
    """Draw the diagram of ``model`` (a model, or the summary of a large one: same title and footer).

    ``document``: a published document's diagram, without exposure, entry points or colour bar.
    ``only_labelled``: write labels on the flows of ``label_text`` only (the steps), none on the others.
    """
    geo = dataflow_geometry(model, lang)
    fig = new_figure(model, lang, chart_text("dataflow_doc_title" if document else "dataflow_title", lang), subtitle)
    fig_w, fig_h = A4_LANDSCAPE
    # drawing area: left part of the page, under the subtitle, above the footer
    area = (0.12, 0.32, fig_w - 2.42, fig_h - 0.32 - 0.98)  # x, y (bottom), w, h in inches
    width, height = geo.size
    scale = min(1.0, area[2] / width, area[3] / height)
    w_in, h_in = width * scale, height * scale
    left = area[0] + (area[2] - w_in) / 2
    bottom = area[1] + (area[3] - h_in)  # top-aligned
    ax = fig.add_axes((left / fig_w, bottom / fig_h, w_in / fig_w, h_in / fig_h), label="dataflow")
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    fs = scale  # font sizes follow the drawing's scale

    exp = exposure.set_index("system_id")["exposure"].astype(float).to_dict()
    norm = _exposure_norm(exp.values())
    cmap = mpl.colormaps[CONTINUOUS_CMAP].reversed()
    systems = model.systems.set_index("system_id")
    mn = model.my_number_files
    holders = {s for s in systems.index if any(f in mn for f in systems.at[s, "holds"])}
    transit = _transit_systems(model) - holders  # a holder's thick edge says more
    planned = {e: c for e, c in ({} if document else _planned_on(model)).items()  # the committee's view only
               if e in geo.routes or e in geo.positions}
    entries = set() if document else {s for s in systems.index if float(systems.at[s, "entry_likelihood"] or 0) > 0}

    # column headings
    zone_top = min((r[1] for r in geo.zone_rects.values()), default=0.0)
    for c, col in enumerate(geo.columns if not document else []):  # a document's reader needs no column jargon
        x0, _y0, x1, _y1 = geo.zone_rects[col[0]]
        _y0 = zone_top
        text = chart_text("col_core", lang) if c == 0 else chart_text("col_k", lang, k=c, ies="y" if c == 1 else "ies")
        ax.text((x0 + x1) / 2, _y0 - _HEADING_H / 2 - 0.02, text, ha="center", va="center",
                fontsize=7.5 * fs, color="#555555", gid=f"heading-{c}")

    # zone frames
    for z, (x0, y0, x1, y1) in geo.zone_rects.items():
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor="#F1F1F1", edgecolor="#9A9A9A", linewidth=0.8, zorder=1,
                                    gid=f"zone-{z}"))
        ax.text(x0 + 0.06, y0 + 0.05, "\n".join(geo.zone_labels[z]), ha="left", va="top",
                fontsize=_ZONE_FONT * fs, color="#333333", linespacing=1.15, zorder=2, gid=f"zonelabel-{z}")

    # arrows
    flows = model.flows.set_index("flow_id")
    for fid, route in geo.routes.items():
        f = flows.loc[fid]
        interactive = bool(f["interactive"])
        codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(route) - 1)
        arrow = FancyArrowPatch(
            path=MplPath(route, codes),
            arrowstyle="<|-|>" if interactive else "-|>",
            mutation_scale=8.5 * fs,
            linewidth=1.1 * fs,
            color=STAGE_COLOURS.get(f["stage"], _GREY),
            linestyle=(0, (3, 1.6)) if interactive else "-",
            shrinkA=0, shrinkB=0, zorder=3, gid=f"flow-{fid}",
        )
        arrow.set_joinstyle("miter")
        ax.add_patch(arrow)
        if fid in planned:  # a control planned on the flow: a hollow marker halfway
            (mx, my), _vertical = _point_along(route, 0.5)
            ax.plot([mx], [my], marker="o", markersize=4.5 * fs, markerfacecolor="#FFFFFF",
                    markeredgecolor=_PLANNED_COLOUR, markeredgewidth=1.2, linestyle="none", zorder=3.5,
                    gid=f"planned-{fid}")

    # boxes
    for s, (cx, cy) in geo.positions.items():
        w, h = geo.box_sizes[s]
        value = exp.get(s, 0.0)
        face = cmap(norm(value)) if value > 0 else "#FFFFFF"
        holder = s in holders
        passing = s in transit  # My Numbers pass through, not kept: the holder's colour, dashed and thinner
        box = FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.035",
                             facecolor=face, edgecolor=_MY_NUMBER_EDGE if holder or passing else "#333333",
                             linewidth=(2.4 if holder else 1.6 if passing else 0.8) * fs, zorder=4, gid=f"box-{s}",
                             linestyle=(0, (3, 2)) if passing else "-",
                             hatch="////" if value <= 0 and not document else None, hatchcolor="#BBBBBB")
        ax.add_patch(box)
        if s in planned:  # a control planned on the system: a hollow marker at its bottom right corner
            ax.plot([cx + w / 2 - 0.06], [cy + h / 2 - 0.06], marker="o", markersize=4.5 * fs,
                    markerfacecolor="#FFFFFF", markeredgecolor=_PLANNED_COLOUR, markeredgewidth=1.2,
                    linestyle="none", zorder=6, gid=f"planned-{s}")
        colour = text_colour_on(face)
        # top line: [entry marker] on the left, exposure on the right; the name centred below (no id: the
        # council reads names; the ids are in the tables and the pack's appendix)
        top = cy - h / 2
        id_x = cx - w / 2 + 0.05
        if s in entries:
            ax.plot([id_x + 0.03], [top + 0.075], marker=">", markersize=5.5 * fs, color=_ENTRY_COLOUR,
                    markeredgecolor="#000000", markeredgewidth=0.6,
                    zorder=6, gid=f"entry-{s}", linestyle="none")
        if not document:
            ax.text(cx + w / 2 - 0.05, top + 0.075, format_percent(value), ha="right", va="center",
                    fontsize=_ID_FONT * fs, color=colour, zorder=5, gid=f"exposure-{s}")
        name = display_name(systems.loc[s].to_dict() | {"system_id": s}, lang)
        name_lines = wrap_text(name, w - 0.11, _BOX_FONT, lang)
        size = _BOX_FONT
        if len(name_lines) > 2:  # shrink until two lines are enough (long English names)
            while size > 5.6 and len(wrap_text(name, w - 0.12, size, lang)) > 2:
                size -= 0.2
            name_lines = wrap_text(name, w - 0.12, size, lang, max_lines=2)
        ax.text(cx, top + 0.13 + (h - 0.13) / 2, "\n".join(name_lines), ha="center", va="center",
                fontsize=size * fs, color=colour, linespacing=1.1, zorder=5, gid=f"name-{s}")

    # flow labels: on the arrow, where they hit no box, no other label and no other arrow
    # Without flow_labels (the council's diagram) only the counts of merged flows (×n) are written: no ids.
    wanted = {fid: (label_text or {}).get(fid, fid) for fid in geo.routes}
    if only_labelled:
        wanted = {fid: text for fid, text in wanted.items() if fid in (label_text or {})}
    if not flow_labels:
        wanted = {fid: text for fid, text in wanted.items() if text.startswith("×")}
    if wanted:
        placed: list[tuple[float, float, float, float]] = []
        obstacles = [geo.box_rect(s) for s in geo.positions]
        obstacles += [(x0, y0, x1, y0 + len(geo.zone_labels[z]) * _ZONE_LINE + 0.07)
                      for z, (x0, y0, x1, _y1) in geo.zone_rects.items()]
        for fid, text in wanted.items():
            route = geo.routes[fid]
            tw = text_width(text, _FLOW_FONT) + 0.03
            th = _FLOW_FONT / 72 + 0.03
            best, best_bad = None, None
            for frac in (0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8):
                (px, py), vertical = _point_along(route, frac)
                rw, rh = (th, tw) if vertical and not only_labelled else (tw, th)
                rect = (px - rw / 2, py - rh / 2, px + rw / 2, py + rh / 2)
                bad = sum(_rects_overlap(rect, o) for o in obstacles + placed)
                bad += sum(_segment_hits_rect(a, b, rect)
                           for other, r2 in geo.routes.items() if other != fid for a, b in _segments(r2))
                if best_bad is None or bad < best_bad:
                    best, best_bad = (px, py, vertical, rect), bad
                if bad == 0:
                    break
            px, py, vertical, rect = best
            placed.append(rect)
            ax.text(px, py, text, ha="center", va="center", fontsize=_FLOW_FONT * fs, color="#222222",
                    rotation=90 if vertical and not only_labelled else 0,  # step numbers read upright
                    zorder=4.5, gid=f"flowlabel-{fid}",
                    bbox={"boxstyle": "square,pad=0.12", "facecolor": "#FFFFFF", "edgecolor": "none", "alpha": 0.9})

    # legend and colour bar (right column of the page)
    stage_handles = [Line2D([], [], color=STAGE_COLOURS[st], linewidth=2.2, label=stage_name(st, lang))
                     for st in catalog.stages()["stage"] if st in set(model.flows["stage"])]
    one_way = Patch(label=chart_text("one_way", lang))
    two_way = Patch(label=chart_text("interactive", lang))
    symbol_handles = [
        one_way, two_way,
        Patch(facecolor="#FFFFFF", edgecolor=_MY_NUMBER_EDGE, linewidth=2.2, label=chart_text("mn_holder", lang)),
    ]
    if transit:  # only when the model says so: a model without processes keeps its legend
        symbol_handles.append(Patch(facecolor="#FFFFFF", edgecolor=_MY_NUMBER_EDGE, linewidth=1.6,
                                    linestyle=(0, (3, 2)), label=_text_18("mn_transit", lang)))
    if planned:
        symbol_handles.append(Line2D([], [], marker="o", markerfacecolor="#FFFFFF", markeredgecolor=_PLANNED_COLOUR,
                                     markeredgewidth=1.2, linestyle="none", markersize=6,
                                     label=_text_18("planned_here", lang)))
    if not document:
        symbol_handles += [
            Line2D([], [], marker=">", color=_ENTRY_COLOUR, markeredgecolor="#000000", markeredgewidth=0.6,
                   linestyle="none", markersize=7, label=chart_text("entry_point", lang)),
            Patch(facecolor="#FFFFFF", edgecolor="#333333", hatch="////", linewidth=0.8,
                  label=chart_text("unreached", lang)),
        ]
    legend_x = (fig_w - 2.2) / fig_w
    wrap_w = 1.65
    for handle in stage_handles + symbol_handles:
        handle.set_label("\n".join(wrap_text(handle.get_label(), wrap_w, 8, lang)))
    leg1 = fig.legend(handles=stage_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.86),
                      title=chart_text("legend_stages", lang), fontsize=8, title_fontsize=8.5, frameon=False,
                      alignment="left", handlelength=2.2)
    leg2_top = _below(fig, leg1, 0.03)
    leg2 = fig.legend(handles=symbol_handles, loc="upper left", bbox_to_anchor=(legend_x, leg2_top),
                      title=chart_text("legend_kinds", lang), fontsize=8, title_fontsize=8.5, frameon=False,
                      alignment="left", handlelength=2.2,
                      handler_map={one_way: _ArrowHandler("-|>", False), two_way: _ArrowHandler("<|-|>", True)})
    leg1.set_gid("legend-stages")
    leg2.set_gid("legend-symbols")
    if document:
        return fig
    cbar_top = _below(fig, leg2, 0.07)
    cax = fig.add_axes((legend_x + 0.012, max(0.07, cbar_top - 0.22), 0.018, min(0.22, cbar_top - 0.07)),
                       label="colorbar")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(sm, cax=cax)
    cbar.ax.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    cbar.ax.yaxis.set_minor_formatter(NullFormatter())
    cbar.ax.tick_params(labelsize=7)
    cbar_key = "exposure_cbar" if isinstance(norm, LogNorm) else "exposure_cbar_linear"
    cbar.ax.set_title("\n".join(wrap_text(chart_text(cbar_key, lang), 2.0, 8, lang)), fontsize=8, loc="left",
                      pad=6)
    return fig


# ---------------------------------------------------------------------------------------------------
# data-flow diagram as Graphviz DOT text


def _dot_quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dataflow_dot(model: Model, exposure: pd.DataFrame, lang: str = "ja") -> str:
    """The data-flow diagram as Graphviz DOT text (render with ``dot -Tsvg``; no Graphviz needed here).

    One ``cluster_<zone>`` subgraph per zone (in the columns' order), one node per system (filled by
    exposure with the same colours as :func:`dataflow_diagram`, a thick vermillion border for My Number
    holders, ``shape=box`` with a bold black border for entry points), one edge per flow coloured by
    stage (``dir=both`` and dashed for interactive flows). The text is the same on every run.

    Issue 18: a zone with a ``parent_zone`` is a cluster inside its parent's (nested boundaries are drawn,
    the analyses treat each zone on its own); a system through which a file with My Numbers passes without
    being kept (``processes``) has a dashed vermillion border; a system or flow on which a control is
    planned (its status there, :attr:`~pia_analysis.Model.control_applications`) carries a line
    ``計画中: C…`` / ``planned: C…`` in its label.

    Parameters
    ----------
    model
        A loaded model.
    exposure
        :func:`pia_analysis.analysis.exposure.node_exposure` of the model (the nodes' fill).
    lang
        ``"ja"`` or ``"en"``: the names on the nodes and clusters.

    Returns
    -------
    str
        The DOT text, ending with a newline.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_dot
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> model = load_model(bundled_model_path())
    >>> dot = dataflow_dot(model, node_exposure(model))
    >>> dot.splitlines()[0]
    'digraph "kitakyushu-juki-r3" {'
    >>> '"RENKEI" -> "CS" [id="F05"' in dot
    True
    """
    require_model(model, "dataflow_dot")
    check_lang(lang)
    level = _zone_levels(model)
    order = _ordering(model, level)
    exp = exposure.set_index("system_id")["exposure"].astype(float).to_dict()
    norm = _exposure_norm(exp.values())
    cmap = mpl.colormaps[CONTINUOUS_CMAP].reversed()
    systems = model.systems.set_index("system_id")
    zones = model.zones.set_index("zone_id")
    mn = model.my_number_files
    font = "IPAexGothic"
    lines = [
        f"digraph {_dot_quote(model.id)} {{",
        f"  label={_dot_quote(chart_text('dataflow_title', lang) + chr(10) + model.title(lang))};",
        "  labelloc=t; rankdir=LR; newrank=true; compound=true; nodesep=0.25; ranksep=0.9;",
        f'  graph [fontname="{font}", fontsize=12];',
        f'  node [shape=box, style="rounded,filled", fontname="{font}", fontsize=10];',
        f'  edge [fontname="{font}", fontsize=8, arrowsize=0.7];',
    ]
    transit = _transit_systems(model)
    planned = _planned_on(model)
    parent = {z: p for z, p in _parent_zone(model).items() if p in zones.index}
    drawn = [z for col in order.columns for z in col]
    children: dict[str, list[str]] = defaultdict(list)
    for z in drawn:
        if z in parent:
            children[parent[z]].append(z)

    def planned_line(element: str) -> str:
        ids = planned.get(element)
        if not ids:
            return ""
        return "\n" + ("計画中: " if lang == "ja" else "planned: ") + ", ".join(ids)

    def emit_zone(z: str, indent: str, seen: set[str]) -> None:
        # a zone inside another is a cluster inside its parent's (Graphviz nests clusters); analysed flat
        seen.add(z)
        zrow = zones.loc[z].to_dict() | {"zone_id": z}
        lines.append(f"{indent}subgraph {_dot_quote('cluster_' + z)} {{")
        lines.append(f"{indent}  label={_dot_quote(display_name(zrow, lang))}; style=\"rounded,filled\"; "
                     f"fillcolor=\"{'#E4E4E4' if z in parent else '#F1F1F1'}\"; color=\"#9A9A9A\";")
        for s in order.zone_systems.get(z, []):
            value = exp.get(s, 0.0)
            fill = mpl.colors.to_hex(cmap(norm(value))) if value > 0 else "#FFFFFF"
            font_colour = "#000000" if text_colour_on(fill) == "#000000" else "#FFFFFF"
            holder = any(f in mn for f in systems.at[s, "holds"])
            entry = float(systems.at[s, "entry_likelihood"] or 0) > 0
            name = display_name(systems.loc[s].to_dict() | {"system_id": s}, lang)
            label = f"{name}\n{s}  {format_percent(value)}" + planned_line(s)
            attrs = [f"id={_dot_quote(s)}", f"label={_dot_quote(label)}", f'fillcolor="{fill}"',
                     f'fontcolor="{font_colour}"']
            if holder:
                attrs += [f'color="{_MY_NUMBER_EDGE}"', "penwidth=3"]
            elif s in transit:  # My Numbers pass through, not kept: dashed vermillion
                attrs += [f'color="{_MY_NUMBER_EDGE}"', "penwidth=2", 'style="rounded,filled,dashed"']
            else:
                attrs += ['color="#333333"', "penwidth=1"]
            if entry:
                attrs += ['peripheries=2']
            lines.append(f"{indent}  {_dot_quote(s)} [{', '.join(attrs)}];")
        for child in children.get(z, []):
            if child not in seen:
                emit_zone(child, indent + "  ", seen)
        lines.append(f"{indent}}}")

    seen: set[str] = set()
    for c, col in enumerate(order.columns):
        lines.append(f"  // column {c}: " + ", ".join(col))
        for z in col:
            # a nested zone is drawn inside its parent (when the parent is drawn; else on its own)
            if z not in seen and not (z in parent and parent[z] in drawn):
                emit_zone(z, "  ", seen)
    for f in model.flows.sort_values("flow_id", kind="stable").itertuples(index=False):
        attrs = [f"id={_dot_quote(f.flow_id)}", f"label={_dot_quote(f.flow_id + planned_line(f.flow_id))}",
                 f'color="{STAGE_COLOURS.get(f.stage, _GREY)}"',
                 f"tooltip={_dot_quote(stage_name(f.stage, lang) + ' / ' + str(f.channel or ''))}"]
        attrs += ["dir=both", "style=dashed"] if f.interactive else ["dir=forward"]
        lines.append(f"  {_dot_quote(f.source)} -> {_dot_quote(f.target)} [{', '.join(attrs)}];")
    lines.append("  // legend: edge colour = stage; dashed both-way = interactive; thick vermillion border = holds "
                 "My Numbers; double border = entry point")
    if transit or planned or parent:  # only when used: a model without them keeps its text
        lines.append("  // dashed vermillion border = My Numbers pass through, not kept; 'planned: C…' = controls "
                     "planned on that element; a cluster inside a cluster = a zone inside a zone")
    for st in catalog.stages()["stage"]:
        lines.append(f"  //   {st}: {STAGE_COLOURS[st]} {stage_name(st, lang)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dataflow_zone_order(model: Model, lang: str = "ja") -> list[str]:
    """The zones in the data-flow diagram's order: columns left to right, each from the top.

    For a model above :data:`DATAFLOW_MAX_SYSTEMS` systems, the order of its aggregated diagram (see
    :func:`dataflow_diagram`). The exposure ranking's zone colours follow this order.

    Parameters
    ----------
    model
        A loaded model.
    lang
        ``"ja"`` or ``"en"`` (the aggregated diagram names its boxes in this language).

    Returns
    -------
    list of str
        Zone ids (zones with systems only).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_zone_order
    >>> from pia_analysis import load_model, bundled_model_path
    >>> dataflow_zone_order(load_model(bundled_model_path()))[:2]
    ['CORE', 'JUKI_CS']
    """
    require_model(model, "dataflow_zone_order")
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        exposure = pd.DataFrame({"system_id": model.systems["system_id"], "exposure": 0.0})
        model = _aggregate_for_diagram(model, exposure, lang).model
    order = _ordering(model, _zone_levels(model))
    return [z for col in order.columns for z in col]


# ---------------------------------------------------------------------------------------------------
# the first sketch (kept for notebook 01)


def plain_graph_figure(model: Model, lang: str = "ja") -> Figure:
    """A first, plain drawing of the data-flow graph: systems in columns by zone, flows as arrows.

    The layout is deterministic (networkx ``multipartite_layout`` with zones in file order), so the same
    model always gives the same picture. :func:`dataflow_diagram` is the finished diagram. The figure is
    a pyplot figure (notebook 01 shows it with ``plt.show()``): close it when done.

    Parameters
    ----------
    model
        A loaded model.
    lang
        ``"ja"`` or ``"en"``: the language of the title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with the graph, 14 × 8 in; systems holding a My Number file in vermillion.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import plain_graph_figure
    >>> import matplotlib.pyplot as plt
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fig = plain_graph_figure(load_model(bundled_model_path()))
    >>> len(fig.axes)
    1
    >>> plt.close(fig)
    """
    require_model(model, "plain_graph_figure")
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
    title = drawable_text(model.title("en" if lang == "en" else "ja"))
    ax.set_title(f"{title}\n({'赤: 特定個人情報ファイルを保有' if lang == 'ja' else 'red: holds a My Number file'})")
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def dataflow_system_order(model: Model) -> dict[str, list[str]]:
    """The systems of each zone in the data-flow diagram's order, zones in its order.

    The zones come column by column (left to right, top to bottom) as in :func:`dataflow_geometry`, each
    with its systems from the top; the same model always gives the same order, whatever its row order.
    Zones without systems are left out.

    Parameters
    ----------
    model
        A loaded model (drawn system by system: this is not the order of an aggregated diagram).

    Returns
    -------
    dict of str to list of str
        Zone id → the ids of its systems, both in the diagram's order.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.charts.dataflow import dataflow_system_order
    >>> from pia_analysis import load_model, bundled_model_path
    >>> order = dataflow_system_order(load_model(bundled_model_path()))
    >>> list(order)[:2], order["CORE"][:2]
    (['CORE', 'JUKI_CS'], ['MADOGUCHI', 'BACKUP'])
    """
    require_model(model, "dataflow_system_order")
    order = _ordering(model, _zone_levels(model))
    return {z: list(order.zone_systems[z]) for col in order.columns for z in col}
