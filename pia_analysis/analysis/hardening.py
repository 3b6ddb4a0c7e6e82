"""Where to harden: the flows whose blocking protects the My Number files best.

:func:`min_cut` finds a smallest set of flows that cuts every entry point off from every system holding My
Numbers; :func:`hardening_candidates` adds, for every flow, how much blocking it alone lowers the exposure of
those systems. Both read the attack graph of :mod:`pia_analysis.analysis.attack_graph`.
"""

from __future__ import annotations

__all__ = ["MinCut", "hardening_candidates", "min_cut", "min_cut_flows"]

import heapq
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from ..model.model import Model, require_model
from .attack_graph import SUPER_SINK, SUPER_SOURCE, Arc, Net, build_net, gc_paused, most_likely, shared_nets

HARDENING_COLUMNS = ["flow_id", "source", "target", "in_min_cut", "exposure_drop_sum", "exposure_drop_max"]


@dataclass(frozen=True)
class MinCut:
    """The smallest set of flows whose blocking cuts every entry point from every My Number file.

    Attributes
    ----------
    flows
        The ``flow_id`` s of the cut, sorted.
    uncuttable_entry_points
        Entry points that hold a My Number file themselves: no flow stands between them and it, so the
        cut cannot protect those files (it still separates these entry points from the *other* holders).
    holders
        The systems holding My Number files that an attack can enter (``q > 0``), sorted.
    """

    flows: tuple[str, ...]
    uncuttable_entry_points: tuple[str, ...]
    holders: tuple[str, ...]

    @property
    def size(self) -> int:
        """The number of flows in the cut."""
        return len(self.flows)


def min_cut(model: Model) -> MinCut:
    """A minimum set of flows that cuts every entry point off from every system holding My Numbers.

    The network has one arc per direction an attacker can use a flow (both directions for interactive
    flows), capacity 1 per flow; a super-source feeds every entry point and every My Number holder drains
    into a super-sink, with unlimited capacity. A flow's two arcs can never both cross the same cut, so
    the cut's capacity is exactly its number of flows. Parallel flows between the same systems each count
    (an attacker can use any of them). Flows and systems that no attack passes (``p = 0``, ``q = 0``) are
    left out. When several minimum cuts exist, the one nearest the My Number holders is returned (the
    partition of :func:`networkx.minimum_cut`), that is the flows into the holders' side.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    MinCut

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, min_cut
    >>> cut = min_cut(load_model(bundled_model_path()))
    >>> cut.flows, cut.uncuttable_entry_points
    (('F01', 'F03', 'F11', 'F14', 'F19', 'F20'), ())
    """
    require_model(model, "min_cut")
    net = build_net(model)
    mn_files = model.my_number_files
    holds = dict(zip(model.systems["system_id"], model.systems["holds"]))
    holders = [i for i, sid in enumerate(net.ids) if net.q[i] > 0 and any(f in mn_files for f in holds[sid])]
    entries = net.entries
    holder_set = set(holders)
    uncuttable = [s for s in entries if s in holder_set]
    uncuttable_set = set(uncuttable)
    g = nx.DiGraph()
    g.add_nodes_from([SUPER_SOURCE, *net.ids, SUPER_SINK])
    for s in entries:
        g.add_edge(SUPER_SOURCE, net.ids[s])  # no capacity attribute: unlimited
    for h in holders:
        if h not in uncuttable_set:  # an entry point that is also a sink would make the cut infinite
            g.add_edge(net.ids[h], SUPER_SINK)
    by_arc: dict[tuple[str, str], list[str]] = {}
    flows = net.flows
    for fid, source, target, interactive in zip(flows["flow_id"].tolist(), flows["source"].tolist(),
                                                flows["target"].tolist(), flows["interactive"].tolist()):
        u, v = net.pos[source], net.pos[target]
        if u == v or not any(a.flow_id == fid for a in net.arcs.get((u, v), ())):
            continue  # p = 0 or a loop: no arc
        for a, b in ([(u, v), (v, u)] if interactive else [(u, v)]):
            if net.q[b] > 0 and net.q[a] > 0:
                by_arc.setdefault((net.ids[a], net.ids[b]), []).append(fid)
    for (a, b), fids in by_arc.items():
        g.add_edge(a, b, capacity=len(fids))
    flows: list[str] = []
    if entries and len(holders) > len(uncuttable):
        value, side_t = _sink_side(g)
        for (a, b), fids in by_arc.items():
            if a not in side_t and b in side_t:
                flows.extend(fids)
        assert len(flows) == value, (flows, value)  # each flow crosses at most once (see above)
    return MinCut(tuple(sorted(flows)), tuple(net.ids[s] for s in uncuttable), tuple(net.ids[h] for h in holders))


def _sink_side(g: nx.DiGraph) -> tuple[int, set]:
    """The value of a maximum flow from the super-source to the super-sink, and the sink's side of the cut.

    The sink's side is the set of nodes that can still reach the sink in the residual network: the same
    set for every maximum flow, so it is the partition :func:`networkx.minimum_cut` returns, found here
    with SciPy's compiled maximum flow (a national model's network in a fraction of a second instead of
    seconds). An arc without capacity is unlimited: it gets one more than all the finite capacities
    together, which no minimum cut can reach (cutting every flow is always cheaper).
    """
    import numpy as np
    from scipy import sparse
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    nodes = list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    finite = sum(d["capacity"] for _a, _b, d in g.edges(data=True) if "capacity" in d)
    unlimited = finite + 1
    rows, cols, caps = [], [], []
    for a, b, d in g.edges(data=True):
        rows.append(index[a])
        cols.append(index[b])
        caps.append(d.get("capacity", unlimited))
    n = len(nodes)
    capacity = sparse.csr_matrix((np.array(caps, dtype=np.int64), (rows, cols)), shape=(n, n))
    if max(caps, default=0) >= 2**31:  # pragma: no cover  (SciPy's flow is int32; no model comes near)
        value, (_s, side_t) = nx.minimum_cut(g, SUPER_SOURCE, SUPER_SINK)
        return value, side_t
    capacity = capacity.astype(np.int32)
    source, sink = index[SUPER_SOURCE], index[SUPER_SINK]
    result = maximum_flow(capacity, source, sink)
    # residual capacity of u → v: c(u, v) − f(u, v) (the flow matrix is antisymmetric, so a reverse arc's
    # residual is the flow along its arc)
    residual = (capacity.astype(np.int64) - result.flow.astype(np.int64)).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    # the nodes that reach the sink: a search from the sink along reversed residual arcs
    reach = breadth_first_order(residual.T.tocsr(), sink, directed=True, return_predecessors=False)
    return int(result.flow_value), {nodes[i] for i in reach}


def min_cut_flows(model: Model) -> list[str]:
    """The ``flow_id`` s of :func:`min_cut`, sorted.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    list of str
        The flows of the minimum cut, in id order (empty when nothing needs cutting).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, min_cut_flows
    >>> len(min_cut_flows(load_model(bundled_model_path())))
    6
    """
    require_model(model, "min_cut_flows")
    return list(min_cut(model).flows)


def hardening_candidates(model: Model) -> pd.DataFrame:
    """Rank the flows to harden: in the minimum cut or not, and the exposure drop blocking each alone gives.

    For every flow: is it in the minimum cut, and how much would blocking it alone lower the exposure of
    the systems holding My Numbers?
    Blocking a flow removes its arcs from the attack graph (both directions of an interactive flow; a
    parallel flow between the same systems then becomes the easiest arc). The drop of a holder is its
    exposure before minus after. Only flows on some holder's most likely path can lower an exposure, so
    the others are not recomputed (their drop is 0).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per flow (a fresh ``RangeIndex``), sorted by ``in_min_cut`` (cut first),
        ``exposure_drop_sum`` and ``exposure_drop_max`` (largest first), then ``flow_id``; columns (dtype,
        unit)

        ``flow_id``, ``source``, ``target`` (str)
            the flow and the systems it joins;
        ``in_min_cut`` (bool)
            whether the flow is in the minimum cut between the entry points and the My Number holders;
        ``exposure_drop_sum`` (float64, probability per year, ≥ 0)
            the sum, over the My Number holders, of how much their ``exposure`` (a probability per year;
            :func:`~pia_analysis.analysis.exposure.node_exposure`) falls when the flow is blocked; it can
            exceed 1 when several holders gain;
        ``exposure_drop_max`` (float64, probability per year, in [0, 1])
            the largest of those falls.

        ``attrs["uncuttable_entry_points"]`` lists the entry points holding My Number files themselves
        (see :class:`MinCut`) and ``attrs["min_cut_size"]`` the size of the cut.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, hardening_candidates, load_model
    >>> top = hardening_candidates(load_model(bundled_model_path())).iloc[0]
    >>> top["flow_id"], bool(top["in_min_cut"]), bool(top["exposure_drop_sum"] > 0)
    ('F20', True, True)
    """
    require_model(model, "hardening_candidates")
    with shared_nets():  # min_cut and the drops below read the same attack graph
        cut = min_cut(model)
        net = build_net(model)
    in_cut = set(cut.flows)
    mn_files = model.my_number_files
    holds = dict(zip(model.systems["system_id"], model.systems["holds"]))
    drops: dict[str, tuple[float, float]] = {}
    with gc_paused():
        holders = [i for i, sid in enumerate(net.ids) if any(f in mn_files for f in holds[sid])]
        is_holder = set(holders)
        starts = net.starts()
        base, paths = most_likely(net, starts)
        on_paths = sorted({net.best(a, b).flow_id for h in holders if paths[h]
                           for a, b in zip(paths[h], paths[h][1:])})
        replacement = _Replacement(net, starts, base, paths)
        for fid in on_paths:
            after = replacement.without(fid)
            # Only the holders whose path changes drop; summed in holder order like the full list of
            # drops would be (adding the others' 0.0 changes no partial sum).
            d = [max(0.0, base[h] - after[h]) for h in sorted(after) if h in is_holder]
            drops[fid] = (float(sum(d)), float(max(d, default=0.0)))
    flows = net.flows
    out = pd.DataFrame({
        "flow_id": flows["flow_id"],
        "source": flows["source"],
        "target": flows["target"],
        "in_min_cut": flows["flow_id"].map(lambda f: f in in_cut).astype(bool),
        "exposure_drop_sum": flows["flow_id"].map(lambda f: drops.get(f, (0.0, 0.0))[0]).astype("float64"),
        "exposure_drop_max": flows["flow_id"].map(lambda f: drops.get(f, (0.0, 0.0))[1]).astype("float64"),
    }, columns=HARDENING_COLUMNS)
    # Rows are in flow_id order already: a stable sort keeps it as the last key.
    out = out.sort_values(["in_min_cut", "exposure_drop_sum", "exposure_drop_max"], ascending=False,
                          kind="stable").reset_index(drop=True)
    out.attrs["uncuttable_entry_points"] = list(cut.uncuttable_entry_points)
    out.attrs["min_cut_size"] = cut.size
    return out


# ---------------------------------------------------------------------------------------------------
# exposure with one flow blocked


class _Replacement:
    """The most likely paths with one flow blocked, recomputed only where the blocking changes them.

    Blocking a flow lowers (or removes) the arcs whose easiest flow it is. A system whose most likely path
    does not use such an arc keeps its path and probability exactly (a weaker arc adds no better path,
    and the winner of the tie-break by path is still there). The systems whose path does use one form
    a subtree of the tree of most likely paths (each path extends its predecessor's, see
    :func:`most_likely`); only they are searched again, by the same Dijkstra seeded with the unchanged
    probabilities of their neighbours outside the subtree. A candidate pushed from outside carries the
    same key (``−probability``, path) as the full search would push, so the result is the full search's,
    bit for bit — in time proportional to the subtree instead of the whole graph (a national model has
    thousands of flows on paths to My Number holders, and tens of thousands of systems).
    """

    def __init__(self, net: Net, starts: dict[int, float], prob: list[float],
                 paths: list[tuple[int, ...] | None]) -> None:
        self.net, self.starts, self.prob, self.paths = net, starts, prob, paths
        n = len(net.ids)
        self.children: list[list[int]] = [[] for _ in range(n)]
        for v, pth in enumerate(paths):
            if pth is not None and len(pth) > 1:
                self.children[pth[-2]].append(v)
        self.pred: list[list[tuple[int, tuple[Arc, ...]]]] = [[] for _ in range(n)]
        for (u, v), found in net.arcs.items():
            self.pred[v].append((u, found))
        self.flow_ends = {fid: (net.pos[src], net.pos[dst]) for fid, src, dst in
                          zip(net.flows["flow_id"].tolist(), net.flows["source"].tolist(),
                              net.flows["target"].tolist())}

    def _affected(self, skip_flow: str) -> list[int]:
        """The systems whose most likely path uses an arc whose easiest flow is ``skip_flow``."""
        net, paths = self.net, self.paths
        u, v = self.flow_ends[skip_flow]
        roots = []
        for a, b in ((u, v), (v, u)):
            found = net.arcs.get((a, b))
            pth = paths[b]
            if found and found[0].flow_id == skip_flow and pth is not None and len(pth) > 1 and pth[-2] == a:
                roots.append(b)
        out, stack = [], roots
        while stack:
            x = stack.pop()
            out.append(x)
            stack.extend(self.children[x])
        return out

    def without(self, skip_flow: str) -> dict[int, float]:
        """The probability of each system whose most likely path changes when ``skip_flow`` is blocked.

        0.0 when no path is left; every other system keeps its probability (and is not in the result).
        """
        net, q, prob, paths = self.net, self.net.q, self.prob, self.paths
        affected = self._affected(skip_flow)
        if not affected:
            return {}
        inside = set(affected)

        def step_p(found: tuple[Arc, ...]) -> float:
            if found[0].flow_id == skip_flow:
                return next((a.p for a in found if a.flow_id != skip_flow), 0.0)
            return found[0].p

        heap = []
        for x in affected:
            p0 = self.starts.get(x, 0.0)
            if p0 > 0:
                heap.append((-p0, (x,)))
            for u, found in self.pred[x]:
                if u in inside or paths[u] is None:
                    continue
                step = step_p(found) * q[x]
                if step > 0.0:
                    heap.append((-prob[u] * step, paths[u] + (x,)))
        heapq.heapify(heap)
        out = dict.fromkeys(affected, 0.0)
        done: set[int] = set()
        while heap:
            neg, pth = heapq.heappop(heap)
            v = pth[-1]
            if v in done:
                continue
            done.add(v)
            out[v] = -neg
            for w, found in net.succ[v]:
                if w not in inside or w in done:
                    continue
                step = step_p(found) * q[w]
                if step > 0.0:
                    heapq.heappush(heap, (neg * step, pth + (w,)))
        return out
