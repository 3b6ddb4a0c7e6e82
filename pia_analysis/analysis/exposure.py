"""Exposure of each system: how likely an attacker who starts at an entry point reaches it.

The model's flows become an **attack graph** over the systems: a flow ``s → t`` lets an attacker who holds
``s`` move to ``t``; an *interactive* flow also lets an attacker at ``t`` move back to ``s`` (a one-way
batch feed does not). Implemented controls make each step less likely:

* passing a flow ``f`` succeeds with ``p_f = Π (1 − effectiveness)`` over the implemented controls whose
  ``applies_to`` names ``f`` (1 when none);
* entering a system ``v`` succeeds with ``q_v = Π (1 − effectiveness)`` over the implemented controls
  that name ``v``.

Planned and missing controls, and organisation-wide controls (``applies_to: *``), do not enter these
products. Between two systems the easiest arc (highest ``p``) is kept; arcs with ``p = 0`` are absent.

An attack that starts at entry point ``s`` (``entry_likelihood`` ``e_s``) and goes ``s, v1, …, vk``
succeeds with probability ``e_s · q_s · Π (p_arc · q_next)``. The **exposure** of a system is the highest
such probability over every entry point and path (the most likely attack path, found with Dijkstra's
algorithm: maximising a product of factors in [0, 1] is Dijkstra on ``−log p``). It is 0 when no entry
point reaches the system.

Besides the most likely path, this module gives the k most likely paths (:func:`attack_paths`), what is
at stake once a system has fallen (:func:`blast_radius`), a Monte Carlo estimate of the probability that
a system is compromised by *any* path (:func:`simulate_compromise`), and where cutting flows protects the
My Number files best (:func:`hardening_candidates`, :func:`min_cut`). ``docs/exposure.md`` states the
formulas with a worked example and the limits of the method.

Every function is deterministic: systems, flows and controls are put in id order first, so the input
row order never changes a result, and ties are broken by id (for paths: the lexicographically smallest
sequence of system ids wins).
"""

from __future__ import annotations

__all__ = [
    "BETWEENNESS_EXACT_MAX_NODES",
    "BETWEENNESS_SAMPLES",
    "BlastRadius",
    "MinCut",
    "attack_graph",
    "attack_paths",
    "blast_radius",
    "hardening_candidates",
    "min_cut",
    "min_cut_flows",
    "node_exposure",
    "simulate_compromise",
    "wilson_interval",
]

import gc
import heapq
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import networkx as nx
import numpy as np
import pandas as pd

from ..model.model import Model


NODE_EXPOSURE_COLUMNS = [
    "system_id", "name_ja", "name_en", "zone_id", "exposure", "path", "entry_point", "zone_crossings",
    "records_at_stake", "holds_my_number", "reached_by", "betweenness",
]
ATTACK_PATH_COLUMNS = ["rank", "entry_point", "path", "probability", "zone_crossings"]
SIMULATION_COLUMNS = ["system_id", "probability", "ci_low", "ci_high", "trials"]
HARDENING_COLUMNS = ["flow_id", "source", "target", "in_min_cut", "exposure_drop_sum", "exposure_drop_max"]

#: Up to this many systems, betweenness is exact (Brandes' algorithm from every system). Above it, the
#: cost grows as systems × arcs (minutes for 10,000 systems), so it is estimated from
#: :data:`BETWEENNESS_SAMPLES` source systems drawn with a fixed seed (networkx ``k=…, seed=…``): still
#: deterministic, but an estimate. Only the ranking of chokepoints is meant to be read from it.
BETWEENNESS_EXACT_MAX_NODES = 1000
#: Number of sampled source systems for the betweenness estimate of large models.
BETWEENNESS_SAMPLES = 64
_BETWEENNESS_SEED = 0

# Names of the helper nodes added around the systems. System ids may not contain '@' (the loader refuses
# it), so these can never collide with a real system.
_SUPER_SOURCE = "@entry"
_SUPER_SINK = "@my-number"

_Z95 = NormalDist().inv_cdf(0.975)
_MAX_CHUNK = 2048  # default Monte Carlo chunk at most (trials)


# ---------------------------------------------------------------------------------------------------
# the attack graph


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for the duration of one analysis.

    The searches allocate hundreds of thousands of small tuples that are never part of a cycle; each
    allocation burst triggers a collection that re-scans the whole heap (the model's tables included)
    and finds nothing. Pausing it roughly halves the time on 10,000 systems. Reference counting still
    frees everything; the collector is restored (if it was on) when the analysis ends, even on error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Arc(NamedTuple):
    """One way of moving from a system to another: through flow ``flow_id`` in ``direction``."""

    p: float
    flow_id: str
    direction: str  # "forward" (source → target) or "reverse" (target → source of an interactive flow)


@dataclass
class _Net:
    """The attack graph in index form (systems numbered in id order), built once per analysis."""

    ids: list[str]
    pos: dict[str, int]
    zone: list[str]
    q: list[float]
    e: list[float]
    # (u, v) -> every arc from u to v, easiest first; arcs with p = 0 are left out
    arcs: dict[tuple[int, int], tuple[_Arc, ...]]
    # u -> [(v, arcs u → v)], v ascending
    succ: list[list[tuple[int, tuple[_Arc, ...]]]]
    flows: pd.DataFrame  # the flows in flow_id order

    @property
    def entries(self) -> list[int]:
        """Entry points an attack can start from (e·q > 0), in id order."""
        return [i for i in range(len(self.ids)) if self.e[i] * self.q[i] > 0]

    def starts(self) -> dict[int, float]:
        return {i: self.e[i] * self.q[i] for i in self.entries}

    def best(self, u: int, v: int) -> _Arc:
        return self.arcs[(u, v)][0]


def _pass_factors(model: Model) -> dict[str, float]:
    """``Π (1 − effectiveness)`` of the implemented controls naming each system or flow id."""
    controls = model.controls.sort_values("control_id", kind="stable")  # fixed product order
    factors: dict[str, float] = {}
    for status, applies_to, eff in zip(controls["status"].tolist(), controls["applies_to"].tolist(),
                                       controls["effectiveness"].tolist()):
        if status != "implemented":
            continue  # planned and missing measures protect nothing yet
        # '*' marks an organisation-wide measure (training, review, reporting): it changes no single step.
        for target in dict.fromkeys(t for t in applies_to if t != "*"):
            factors[target] = factors.get(target, 1.0) * (1.0 - float(eff))
    return factors


# While :func:`shared_nets` is active, the nets built so far, by model (id -> (model, net)).
_NETS: ContextVar[dict[int, tuple[Model, _Net]] | None] = ContextVar("pia_analysis_nets", default=None)


@contextmanager
def shared_nets() -> Iterator[None]:
    """Within this block, the analyses of one model object build its attack graph once and share it.

    :func:`pia_analysis.outputs.briefing.analyse` runs six analyses of the same model; each would otherwise index the
    model's systems, flows and controls again (about half a second on a national model). Outside the block
    nothing is kept, so a model changed in place is always read afresh; inside it, do not change the model.
    """
    if _NETS.get() is not None:  # already sharing (nested use): keep the outer block's nets
        yield
        return
    token = _NETS.set({})
    try:
        yield
    finally:
        _NETS.reset(token)


def _build_net(model: Model) -> _Net:
    memo = _NETS.get()
    if memo is not None:
        hit = memo.get(id(model))
        if hit is not None and hit[0] is model:
            return hit[1]
    net = _make_net(model)
    if memo is not None:
        memo[id(model)] = (model, net)  # the model is kept alive, so its id is not reused meanwhile
    return net


def _make_net(model: Model) -> _Net:
    systems = model.systems.sort_values("system_id", kind="stable")
    ids = systems["system_id"].tolist()
    pos = {sid: i for i, sid in enumerate(ids)}
    factors = _pass_factors(model)
    q = [factors.get(sid, 1.0) for sid in ids]
    e = [float(x) for x in systems["entry_likelihood"]]
    flows = model.flows.sort_values("flow_id", kind="stable").reset_index(drop=True)
    candidates: dict[tuple[int, int], list[_Arc]] = {}
    for fid, source, target, interactive in zip(flows["flow_id"].tolist(), flows["source"].tolist(),
                                                flows["target"].tolist(), flows["interactive"].tolist()):
        p = factors.get(fid, 1.0)
        if p <= 0.0:
            continue  # a flow that no attack passes is no arc at all (and keeps log p finite)
        u, v = pos[source], pos[target]
        if u == v:
            continue  # a loop moves the attacker nowhere
        candidates.setdefault((u, v), []).append(_Arc(p, fid, "forward"))
        if interactive:
            candidates.setdefault((v, u), []).append(_Arc(p, fid, "reverse"))
    # Easiest first; among equally easy arcs the smaller flow_id, then forward before reverse.
    arcs = {
        key: (tuple(sorted(found, key=lambda a: (-a.p, a.flow_id, a.direction != "forward")))
              if len(found) > 1 else (found[0],))
        for key, found in sorted(candidates.items())
    }
    succ: list[list[tuple[int, tuple[_Arc, ...]]]] = [[] for _ in ids]
    for (u, v), found in arcs.items():  # keys sorted, so each list is in target order
        succ[u].append((v, found))
    return _Net(ids, pos, systems["zone_id"].tolist(), q, e, arcs, succ, flows)


def attack_graph(model: Model) -> nx.DiGraph:
    """The attack graph of a model: one node per system, one arc per direction an attacker can move.

    A flow ``s → t`` gives the arc ``s → t``; an interactive flow also gives ``t → s``. Of several arcs
    between the same two systems only the easiest is kept; arcs that no attack passes (``p = 0``) are
    left out.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    networkx.DiGraph
        Nodes in ``system_id`` order with attributes ``q`` (probability of entering the system),
        ``entry_likelihood`` and ``zone_id``. Arcs carry ``p`` (probability of passing), ``flow_id``
        (the flow giving the easiest arc) and ``direction`` (``"forward"`` or ``"reverse"``).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> g = attack_graph(load_model(bundled_model_path()))
    >>> g.has_edge("JUKI_REC", "CONV_SRV"), g.has_edge("CONV_SRV", "JUKI_REC")  # F17 is a one-way feed
    (True, False)
    >>> round(g.edges["STORE_KIOSK", "JLIS_CENTRE"]["p"], 6), round(g.nodes["JLIS_CENTRE"]["q"], 6)
    (0.016, 0.5)
    """
    return _to_digraph(_build_net(model))


def _to_digraph(net: _Net, attributes: bool = True) -> nx.DiGraph:
    g = nx.DiGraph()
    if attributes:
        g.add_nodes_from((sid, {"q": net.q[i], "entry_likelihood": net.e[i], "zone_id": net.zone[i]})
                         for i, sid in enumerate(net.ids))
        g.add_edges_from((net.ids[u], net.ids[v], {"p": a[0].p, "flow_id": a[0].flow_id, "direction": a[0].direction})
                         for (u, v), a in net.arcs.items())
    else:
        g.add_nodes_from(net.ids)
        g.add_edges_from((net.ids[u], net.ids[v]) for (u, v) in net.arcs)
    return g


# ---------------------------------------------------------------------------------------------------
# most likely paths


def _most_likely(net: _Net, starts: dict[int, float], skip_flow: str | None = None
                 ) -> tuple[list[float], list[tuple[int, ...] | None]]:
    """Dijkstra from several starts at once, maximising the product of probabilities.

    Every factor is in [0, 1], so a path's probability never grows as it gets longer (this holds for
    rounded floats too): the condition for Dijkstra. The heap key ``(−probability, path)`` breaks ties
    by the lexicographically smallest path (indices follow id order), whatever the input row order.
    ``skip_flow`` treats that flow as blocked (its arcs fall back to the next easiest arc, if any).
    """
    n = len(net.ids)
    prob = [0.0] * n
    path: list[tuple[int, ...] | None] = [None] * n
    done = [False] * n
    heap = [(-p0, (s,)) for s, p0 in starts.items() if p0 > 0]
    heapq.heapify(heap)
    q = net.q
    while heap:
        neg, pth = heapq.heappop(heap)
        v = pth[-1]
        if done[v]:
            continue
        done[v] = True
        prob[v] = -neg
        path[v] = pth
        for w, found in net.succ[v]:
            if done[w]:
                continue
            p = found[0].p
            if skip_flow is not None and found[0].flow_id == skip_flow:
                p = next((a.p for a in found if a.flow_id != skip_flow), 0.0)
            step = p * q[w]
            if step > 0.0:
                heapq.heappush(heap, (neg * step, pth + (w,)))
    return prob, path


class _Replacement:
    """The most likely paths with one flow blocked, recomputed only where the blocking changes them.

    Blocking a flow lowers (or removes) the arcs whose easiest flow it is. A system whose most likely path
    does not use such an arc keeps its path and probability exactly (a weaker arc adds no better path,
    and the winner of the tie-break by path is still there). The systems whose path does use one form
    a subtree of the tree of most likely paths (each path extends its predecessor's, see
    :func:`_most_likely`); only they are searched again, by the same Dijkstra seeded with the unchanged
    probabilities of their neighbours outside the subtree. A candidate pushed from outside carries the
    same key (``−probability``, path) as the full search would push, so the result is the full search's,
    bit for bit — in time proportional to the subtree instead of the whole graph (a national model has
    thousands of flows on paths to My Number holders, and tens of thousands of systems).
    """

    def __init__(self, net: _Net, starts: dict[int, float], prob: list[float],
                 paths: list[tuple[int, ...] | None]) -> None:
        self.net, self.starts, self.prob, self.paths = net, starts, prob, paths
        n = len(net.ids)
        self.children: list[list[int]] = [[] for _ in range(n)]
        for v, pth in enumerate(paths):
            if pth is not None and len(pth) > 1:
                self.children[pth[-2]].append(v)
        self.pred: list[list[tuple[int, tuple[_Arc, ...]]]] = [[] for _ in range(n)]
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
        """The probability of each system whose most likely path changes when ``skip_flow`` is blocked
        (0.0 when none is left); every other system keeps its probability."""
        net, q, prob, paths = self.net, self.net.q, self.prob, self.paths
        affected = self._affected(skip_flow)
        if not affected:
            return {}
        inside = set(affected)

        def step_p(found: tuple[_Arc, ...]) -> float:
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


def _zone_crossings(net: _Net, path: tuple[int, ...] | list[int]) -> int:
    return sum(net.zone[a] != net.zone[b] for a, b in zip(path, path[1:]))


def _reached_by(net: _Net) -> list[int]:
    """For each system, how many entry points reach it with a probability above 0.

    One bit per entry point, OR-ed along the arcs of the graph of strongly connected components in
    topological order: linear in the graph size, where one search per entry point would not be.
    """
    g = nx.DiGraph()
    g.add_nodes_from(i for i in range(len(net.ids)) if net.q[i] > 0)  # q = 0: nobody gets in
    g.add_edges_from((u, v) for (u, v) in net.arcs if net.q[u] > 0 and net.q[v] > 0)
    cond = nx.condensation(g)
    bits = [0] * cond.number_of_nodes()
    for k, s in enumerate(net.entries):
        bits[cond.graph["mapping"][s]] |= 1 << k
    for c in nx.topological_sort(cond):
        for d in cond.successors(c):
            bits[d] |= bits[c]
    out = [0] * len(net.ids)
    for node, c in cond.graph["mapping"].items():
        out[node] = bits[c].bit_count()
    return out


def _betweenness(net: _Net) -> list[float]:
    n = len(net.ids)
    if n <= BETWEENNESS_EXACT_MAX_NODES:
        g = _to_digraph(net, attributes=False)
        values = nx.betweenness_centrality(g, normalized=True)
        return [float(values[sid]) for sid in net.ids]
    # Sampled sources (see BETWEENNESS_EXACT_MAX_NODES), drawn as networkx draws them for
    # ``betweenness_centrality(g, k, seed=…)`` (random.Random(seed).sample of the nodes in id order), so the
    # estimate is networkx's up to rounding, and the same on every run.
    sources = random.Random(_BETWEENNESS_SEED).sample(range(n), min(BETWEENNESS_SAMPLES, n))
    return _sampled_betweenness(net, sources).tolist()


def _sampled_betweenness(net: _Net, sources: list[int]) -> np.ndarray:
    """Brandes' betweenness from the given sources, all at once: one breadth-first level at a time as
    sparse matrix products (sources × systems), then the dependencies back level by level.

    The same sums as networkx's ``betweenness_centrality(k=…, normalized=True)`` (path counts are exact;
    dependencies may differ in the last bits, being added in another order) in a fraction of the time:
    seconds → tenths of a second on a national model.
    """
    from scipy import sparse

    n, k = len(net.ids), len(sources)
    if k == 0 or n < 3:
        return np.zeros(n)
    rows = np.fromiter((u for u, _v in net.arcs), dtype=np.int64, count=len(net.arcs))
    cols = np.fromiter((v for _u, v in net.arcs), dtype=np.int64, count=len(net.arcs))
    adj = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))  # u -> v
    adj_t = adj.T.tocsr()
    src = np.asarray(sources, dtype=np.int64)
    dist = np.full((k, n), -1, dtype=np.int64)
    sigma = np.zeros((k, n))
    dist[np.arange(k), src] = 0
    sigma[np.arange(k), src] = 1.0
    frontier = np.zeros((k, n))
    frontier[np.arange(k), src] = 1.0
    level = 0
    while True:
        # paths counted into every successor of the frontier; kept where that successor is new
        reach = np.asarray((adj_t @ frontier.T).T)
        new = (reach > 0) & (dist < 0)
        if not new.any():
            break
        level += 1
        dist[new] = level
        sigma[new] = reach[new]
        frontier = np.where(new, reach, 0.0)
    delta = np.zeros((k, n))
    for d in range(level, 0, -1):
        at_d = dist == d
        coeff = np.where(at_d, (1.0 + delta) / np.where(at_d, sigma, 1.0), 0.0)
        back = np.asarray((adj @ coeff.T).T)  # sum over the successors w at level d of each v
        at_prev = dist == d - 1
        delta = np.where(at_prev, delta + sigma * back, delta)
    delta[np.arange(k), src] = 0.0  # a source is no intermediate of its own paths
    total = delta.sum(axis=0)
    # networkx's normalisation with sampled sources and endpoints excluded (directed graph)
    big_n = n - 1
    scale = np.full(n, 1.0 / (k * (big_n - 1)))
    if k > 1:
        scale[src] = 1.0 / ((k - 1) * (big_n - 1))
    else:
        scale[src] = math.nan
    return total * scale


def _system_info(model: Model) -> dict[str, tuple[str, str, list[str]]]:
    """system_id -> (name_ja, name_en, holds), read column-wise (row access in pandas is slow)."""
    s = model.systems
    return {sid: (ja, en, list(holds)) for sid, ja, en, holds in
            zip(s["system_id"].tolist(), s["name_ja"].tolist(), s["name_en"].tolist(), s["holds"].tolist())}


def _file_records(model: Model) -> tuple[dict[str, int], frozenset[str]]:
    records = dict(zip(model.files["file_id"], (int(r) for r in model.files["records"])))
    return records, model.my_number_files


def node_exposure(model: Model) -> pd.DataFrame:
    """The exposure of every system: the probability of its most likely attack path, and what it puts at stake.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per system, sorted by ``exposure`` (descending) then ``system_id``; columns

        ``system_id, name_ja, name_en, zone_id``
            the system;
        ``exposure``
            the highest success probability of an attack path from an entry point (0 when unreached);
        ``path``, ``entry_point``
            that path as a list of system ids from its entry point (``[]`` and ``''`` when unreached);
        ``zone_crossings``
            how many steps of the path cross from one zone into another;
        ``records_at_stake``
            ``exposure`` × the largest ``records`` of the files the system holds (0 if it holds none);
        ``holds_my_number``
            whether it holds a file with My Numbers;
        ``reached_by``
            how many entry points reach it at all;
        ``betweenness``
            normalised betweenness centrality in the attack graph, ignoring probabilities: the share of
            shortest routes between other systems that pass through it (chokepoints). Exact up to
            :data:`BETWEENNESS_EXACT_MAX_NODES` systems, a seeded sample estimate above.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> table = node_exposure(load_model(bundled_model_path()))
    >>> row = table.set_index("system_id").loc["JUKI_REC"]
    >>> round(float(row["exposure"]), 6), row["path"], int(row["zone_crossings"])
    (0.025, ['VENDOR_TERM', 'JUKI_REC'], 0)
    """
    with _gc_paused():
        net = _build_net(model)
        prob, paths = _most_likely(net, net.starts())
        reached = _reached_by(net)
        between = _betweenness(net)
    records, mn_files = _file_records(model)
    info = _system_info(model)
    rows = []
    for i, sid in enumerate(net.ids):
        name_ja, name_en, holds = info[sid]
        pth = paths[i]
        biggest = max((records.get(f, 0) for f in holds), default=0)
        rows.append({
            "system_id": sid,
            "name_ja": name_ja,
            "name_en": name_en,
            "zone_id": net.zone[i],
            "exposure": prob[i],
            "path": [net.ids[j] for j in pth] if pth else [],
            "entry_point": net.ids[pth[0]] if pth else "",
            "zone_crossings": _zone_crossings(net, pth) if pth else 0,
            "records_at_stake": prob[i] * biggest,
            "holds_my_number": any(f in mn_files for f in holds),
            "reached_by": reached[i],
            "betweenness": between[i],
        })
    out = pd.DataFrame(rows, columns=NODE_EXPOSURE_COLUMNS)
    out = out.astype({"exposure": "float64", "zone_crossings": "int64", "records_at_stake": "float64",
                      "holds_my_number": "bool", "reached_by": "int64", "betweenness": "float64"})
    # Rows are already in system_id order, so a stable sort on exposure alone breaks ties by id.
    return out.sort_values("exposure", ascending=False, kind="stable").reset_index(drop=True)


def exposure_and_paths(model: Model) -> pd.DataFrame:
    """Only the ``exposure`` and ``path`` columns of :func:`node_exposure`, indexed by ``system_id`` (in id
    order): the same values, without the records, reach counts and betweenness the rule engine does not
    read (:mod:`pia_analysis.analysis.findings` runs it on several variants of a model)."""
    with _gc_paused():
        net = _build_net(model)
        prob, paths = _most_likely(net, net.starts())
    ids = net.ids
    out = pd.DataFrame({
        "exposure": pd.Series(prob, dtype="float64"),
        "path": pd.Series([[ids[j] for j in pth] if pth else [] for pth in paths], dtype=object),
    })
    out.index = pd.Index(ids, name="system_id")
    return out


def attack_paths(model: Model, target: str, k: int = 3) -> pd.DataFrame:
    """The ``k`` most likely simple attack paths to ``target``, over every entry point.

    Parameters
    ----------
    model
        A loaded model.
    target
        A ``system_id``.
    k
        How many paths (fewer are returned when fewer exist).

    Returns
    -------
    DataFrame
        Columns ``rank`` (1 = most likely), ``entry_point``, ``path`` (list of system ids from the entry
        point to ``target``), ``probability`` (``e_s · q_s · Π p_arc · q_next``) and ``zone_crossings``.
        Equally likely paths are ordered by their sequence of ids. Empty when no entry point reaches
        ``target``. Rank 1 is the path of :func:`node_exposure`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> paths = attack_paths(load_model(bundled_model_path()), "JUKI_REC", k=2)
    >>> paths["entry_point"].tolist(), paths["probability"].round(6).tolist()
    (['VENDOR_TERM', 'JUKI_TERM'], [0.025, 0.01])
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    net = _build_net(model)
    if target not in net.pos:
        raise ValueError(f"{target!r} is not a system of the model")
    # Super-source → each entry point with weight −log(e·q); arc u → v with weight −log(p·q_v). Only
    # positive probabilities make arcs, so every weight is finite.
    g = nx.DiGraph()
    for s, p0 in net.starts().items():
        g.add_edge(_SUPER_SOURCE, s, w=-math.log(p0))
    for (u, v), found in net.arcs.items():
        step = found[0].p * net.q[v]
        if step > 0:
            g.add_edge(u, v, w=-math.log(step))
    t = net.pos[target]
    found_paths: list[tuple[float, float, tuple[int, ...]]] = []
    if t in g and _SUPER_SOURCE in g:
        try:
            for raw in nx.shortest_simple_paths(g, _SUPER_SOURCE, t, weight="w"):
                nodes = tuple(raw[1:])
                weight = sum(g.edges[a, b]["w"] for a, b in zip(raw, raw[1:]))
                # Keep every path tied with the k-th (within rounding), so that the order of equally
                # likely paths is ours (by ids) and not the search's.
                if len(found_paths) >= k and weight > found_paths[k - 1][0] + 1e-12 * max(1.0, weight):
                    break
                found_paths.append((weight, _path_probability(net, nodes), nodes))
                if len(found_paths) >= k + 100:
                    break
        except nx.NetworkXNoPath:
            pass
    found_paths.sort(key=lambda item: (-item[1], item[2]))
    rows = [
        {"rank": r, "entry_point": net.ids[nodes[0]], "path": [net.ids[i] for i in nodes],
         "probability": p, "zone_crossings": _zone_crossings(net, nodes)}
        for r, (_w, p, nodes) in enumerate(found_paths[:k], 1)
    ]
    return pd.DataFrame(rows, columns=ATTACK_PATH_COLUMNS).astype(
        {"rank": "int64", "probability": "float64", "zone_crossings": "int64"})


def _path_probability(net: _Net, nodes: tuple[int, ...]) -> float:
    """``e_s · q_s · Π (p_arc · q_next)``, multiplied in the same order as :func:`_most_likely`."""
    prob = net.e[nodes[0]] * net.q[nodes[0]]
    for a, b in zip(nodes, nodes[1:]):
        prob = prob * (net.best(a, b).p * net.q[b])
    return prob


# ---------------------------------------------------------------------------------------------------
# blast radius


@dataclass(frozen=True)
class BlastRadius:
    """What is at stake once a system has fallen (see :func:`blast_radius`).

    Attributes
    ----------
    system_id
        The fallen system.
    systems
        The systems an attacker can reach from it (itself included, ``hops`` 0), sorted by ``probability``
        (descending) then ``system_id``. Columns ``system_id, name_ja, name_en, zone_id, probability``
        (of the most likely onward path, given the system has fallen: ``Π p_arc · q_next``),
        ``hops, path, holds`` (list of file ids), ``holds_my_number`` and ``records`` (the largest file
        held there, 0 if none).
    files
        The files held by those systems, each once, by ``file_id``: ``file_id, name_ja, name_en,
        records, contains_my_number, held_at`` (list of reached systems holding it).
    total_records
        Sum of ``records`` over those files (each file counted once).
    my_number_records
        The same sum over the files with My Numbers only.
    max_records
        The largest single file: a lower bound on the people affected, since files often describe the
        same residents.
    """

    system_id: str
    systems: pd.DataFrame
    files: pd.DataFrame
    total_records: int
    my_number_records: int
    max_records: int


def blast_radius(model: Model, system_id: str) -> BlastRadius:
    """The systems and records an attacker can reach once ``system_id`` has fallen.

    Reachability follows the attack graph: arcs with ``p > 0`` into systems with ``q > 0``.

    Parameters
    ----------
    model
        A loaded model.
    system_id
        The fallen system.

    Returns
    -------
    BlastRadius
        The reached systems, the files they hold and the record totals.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> br = blast_radius(load_model(bundled_model_path()), "STORE_KIOSK")
    >>> br.systems["system_id"].tolist(), br.total_records
    (['STORE_KIOSK', 'JLIS_CENTRE', 'CONV_SRV'], 932000)
    """
    net = _build_net(model)
    if system_id not in net.pos:
        raise ValueError(f"{system_id!r} is not a system of the model")
    prob, paths = _most_likely(net, {net.pos[system_id]: 1.0})
    info = _system_info(model)
    files = model.files.sort_values("file_id", kind="stable").set_index("file_id")
    records, mn_files = _file_records(model)
    rows = []
    held_at: dict[str, list[str]] = {}
    for i, sid in enumerate(net.ids):
        if paths[i] is None:
            continue
        name_ja, name_en, holds = info[sid]
        for f in holds:
            held_at.setdefault(f, []).append(sid)
        rows.append({
            "system_id": sid, "name_ja": name_ja, "name_en": name_en,
            "zone_id": net.zone[i], "probability": prob[i], "hops": len(paths[i]) - 1,
            "path": [net.ids[j] for j in paths[i]], "holds": holds,
            "holds_my_number": any(f in mn_files for f in holds),
            "records": max((records.get(f, 0) for f in holds), default=0),
        })
    reached = pd.DataFrame(rows, columns=["system_id", "name_ja", "name_en", "zone_id", "probability", "hops",
                                          "path", "holds", "holds_my_number", "records"])
    reached = reached.astype({"probability": "float64", "hops": "int64", "holds_my_number": "bool",
                              "records": "int64"})
    reached = reached.sort_values("probability", ascending=False, kind="stable").reset_index(drop=True)
    file_rows = [
        {"file_id": f, "name_ja": files.at[f, "name_ja"], "name_en": files.at[f, "name_en"],
         "records": int(files.at[f, "records"]), "contains_my_number": bool(files.at[f, "contains_my_number"]),
         "held_at": held_at[f]}
        for f in sorted(held_at) if f in files.index
    ]
    file_table = pd.DataFrame(file_rows, columns=["file_id", "name_ja", "name_en", "records",
                                                  "contains_my_number", "held_at"])
    file_table = file_table.astype({"records": "int64", "contains_my_number": "bool"})
    return BlastRadius(
        system_id=system_id,
        systems=reached,
        files=file_table,
        total_records=int(file_table["records"].sum()),
        my_number_records=int(file_table.loc[file_table["contains_my_number"], "records"].sum()),
        max_records=int(file_table["records"].max()) if len(file_table) else 0,
    )


# ---------------------------------------------------------------------------------------------------
# Monte Carlo


def wilson_interval(successes: np.ndarray | int, trials: int, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a binomial proportion.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or ``trials``
    successes, which matters here: most systems are compromised in few or no trials.

    Parameters
    ----------
    successes
        Numbers of successes (array or scalar).
    trials
        Number of trials (> 0).
    confidence
        Two-sided confidence level.

    Returns
    -------
    (low, high)
        Arrays of the interval bounds.

    Examples
    --------
    >>> low, high = wilson_interval(np.array([0, 50]), 100)
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0, 0.4038], [0.037, 0.5962])
    """
    if trials <= 0:
        raise ValueError("trials must be positive")
    k = np.asarray(successes, dtype=float)
    n = float(trials)
    z = _Z95 if confidence == 0.95 else NormalDist().inv_cdf(0.5 + confidence / 2)
    phat = k / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n))
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def _thresholds(probs: np.ndarray) -> np.ndarray:
    """32-bit thresholds: a uniform 32-bit integer ``u`` gives ``u < t`` with probability ``t / 2**32``.

    Rounding to the nearest 2**-32 (about 2.3e-10) is far below any sampling error; a positive
    probability never rounds to 0 and one below 1 never to 1, so what can happen still can.
    """
    t = np.rint(probs * 2.0**32)
    return np.clip(t, 1, 2.0**32 - 1).astype(np.uint32)


def _draw_packed(rng: np.random.Generator, probs: np.ndarray, n_trials: int, words: int,
                 block_bytes: int) -> np.ndarray:
    """Bernoulli draws packed 64 trials to a ``uint64``: row j holds ``n_trials`` draws of ``probs[j]``.

    Each draw compares 32 random bits of the seeded generator with a threshold (:func:`_thresholds`),
    about half the cost of a uniform double. The bits are taken trial by trial (each trial draws every
    column in order), so a given seed gives the same trials whatever the chunk size. Bits after
    ``n_trials`` are 0.
    """
    m = len(probs)
    packed = np.zeros((m, words * 8), dtype=np.uint8)  # one byte per 8 trials
    if m == 0:
        return packed.view(np.uint64)
    thresholds = _thresholds(probs)
    per_trial = (m + 1) // 2
    # A block of trials at a time bounds the memory; a multiple of 64 trials keeps the packing aligned.
    block = max(64, min(8192, (block_bytes // (4 * m)) // 64 * 64))
    for start in range(0, n_trials, block):
        size = min(block, n_trials - start)
        # Each 64-bit raw output gives two 32-bit draws; every trial takes a whole number of outputs
        # (one unused half when m is odd), so the stream is consumed trial by trial.
        raw = rng.bit_generator.random_raw(size * per_trial).view(np.uint32).reshape(size, 2 * per_trial)
        bits = np.ascontiguousarray((raw[:, :m] < thresholds).T)  # (m, size)
        packed[:, start // 8: start // 8 + (size + 7) // 8] = np.packbits(bits, axis=1, bitorder="little")
    return packed.view(np.uint64)  # (m, words)


def simulate_compromise(model: Model, trials: int = 100_000, seed: int = 0, chunk: int | None = None
                        ) -> pd.DataFrame:
    """Monte Carlo estimate of the probability that each system is compromised, by any attack path.

    Each trial draws, independently, a foothold at every entry point (probability ``e_s``), every arc of
    the attack graph open (``p``) and every system enterable (``q``). A system is compromised when a drawn
    foothold that could enter its entry point reaches it through open arcs into enterable systems. This
    is the union over all paths, so it is at least the exposure of :func:`node_exposure` (the single most
    likely path), up to sampling error.

    Trials are bit-packed 64 to a machine word and spread through the graph with numpy, a round of arcs
    at a time until nothing changes; there is no Python loop per trial.

    Parameters
    ----------
    model
        A loaded model.
    trials
        Number of trials.
    seed
        Seed of ``numpy.random.default_rng``. The same seed and number of trials give the same result,
        whatever ``chunk``.
    chunk
        Trials simulated together (bounds memory); by default as many as fit in about 16 MB per array
        (at most 2,048): memory does not grow with ``trials``.

    Returns
    -------
    DataFrame
        Columns ``system_id, probability, ci_low, ci_high, trials``, sorted by ``system_id``; the
        interval is the 95 % Wilson score interval. Systems no entry point reaches have probability 0.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> sim = simulate_compromise(load_model(bundled_model_path()), trials=20_000, seed=1)
    >>> sim = sim.set_index("system_id")
    >>> round(float(sim.loc["STORE_KIOSK", "probability"]), 2)  # the kiosk's own foothold, 0.3
    0.3
    >>> bool(sim.loc["JUKI_REC", "ci_low"] > 0.025)  # several routes add up beyond the best one (0.025)
    True
    """
    if trials < 1:
        raise ValueError(f"trials must be at least 1, not {trials}")
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    net = _build_net(model)
    n = len(net.ids)
    q = np.array(net.q, dtype=float)
    e = np.array(net.e, dtype=float)
    entries = np.array(net.entries, dtype=np.intp)
    # Arcs in (target, source) order, so that one reduceat ORs together everything arriving at a system.
    keys = sorted((v, u) for (u, v) in net.arcs if q[v] > 0)
    dst = np.array([k[0] for k in keys], dtype=np.intp)
    src = np.array([k[1] for k in keys], dtype=np.intp)
    p_arc = np.array([net.best(u, v).p for v, u in keys], dtype=float)
    # Only probabilities strictly between 0 and 1 are drawn; the rest are certain either way.
    foot_draw = np.flatnonzero(e[entries] < 1.0)
    node_draw = np.flatnonzero((q > 0.0) & (q < 1.0))
    arc_draw = np.flatnonzero(p_arc < 1.0)
    probs = np.concatenate([e[entries][foot_draw], q[node_draw], p_arc[arc_draw]])
    rows = len(entries) + n + len(keys)
    if chunk is None:
        # About 16 MB of packed words per array, at most 2,048 trials: the simulation keeps a handful of
        # such arrays, so memory stays near 100 MB whatever the trials, and smaller chunks stay in cache
        # (measured: 2,048 trials is faster than 8,192 on 1,000 systems, 1,700 than 6,800 on 20,000).
        words = max(1, (16 * 2**20) // (8 * max(rows, 1)))
        chunk = max(64, min(_MAX_CHUNK, words * 64))
    chunk = min(chunk, trials)
    rng = np.random.default_rng(seed)
    counts = np.zeros(n, dtype=np.int64)
    for start in range(0, trials, chunk):
        size = min(chunk, trials - start)
        words = (size + 63) // 64
        drawn = _draw_packed(rng, probs, size, words, block_bytes=48 * 2**20)
        a, b = len(foot_draw), len(foot_draw) + len(node_draw)
        # 1 for the trials of this chunk, 0 for the padding, in the same bit layout as the draws
        valid = np.packbits(np.arange(words * 64) < size, bitorder="little").view(np.uint64)
        foot = np.broadcast_to(valid, (len(entries), words)).copy()
        foot[foot_draw] = drawn[:a]
        enter = np.broadcast_to(valid, (n, words)).copy()
        enter[q <= 0.0] = 0
        enter[node_draw] = drawn[a:b]
        # An arc lets the attacker in when it is open and its target is enterable: combine once.
        arc_open = np.broadcast_to(valid, (len(keys), words)).copy()
        arc_open[arc_draw] = drawn[b:]
        arc_open &= enter[dst]
        hit = np.zeros((n, words), dtype=np.uint64)
        hit[entries] = foot & enter[entries]
        changed = np.zeros(n, dtype=bool)
        changed[entries] = True
        # Fixed point: push new compromises along the arcs leaving systems that changed in the last round.
        while True:
            active = np.flatnonzero(changed[src])
            if active.size == 0:
                break
            reach = hit[src[active]] & arc_open[active]
            d = dst[active]
            first = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
            incoming = np.bitwise_or.reduceat(reach, first, axis=0)
            targets = d[first]
            before = hit[targets]
            after = before | incoming
            grew = (after != before).any(axis=1)
            hit[targets] = after
            changed[:] = False
            changed[targets[grew]] = True
        counts += np.bitwise_count(hit).sum(axis=1, dtype=np.int64)
    low, high = wilson_interval(counts, trials)
    return pd.DataFrame({
        "system_id": net.ids,
        "probability": counts / trials,
        "ci_low": low,
        "ci_high": high,
        "trials": np.full(n, trials, dtype=np.int64),
    }, columns=SIMULATION_COLUMNS)


# ---------------------------------------------------------------------------------------------------
# where to harden


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

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> cut = min_cut(load_model(bundled_model_path()))
    >>> cut.flows, cut.uncuttable_entry_points
    (('F01', 'F03', 'F11', 'F14', 'F19', 'F20'), ())
    """
    net = _build_net(model)
    mn_files = model.my_number_files
    holds = dict(zip(model.systems["system_id"], model.systems["holds"]))
    holders = [i for i, sid in enumerate(net.ids) if net.q[i] > 0 and any(f in mn_files for f in holds[sid])]
    entries = net.entries
    holder_set = set(holders)
    uncuttable = [s for s in entries if s in holder_set]
    uncuttable_set = set(uncuttable)
    g = nx.DiGraph()
    g.add_nodes_from([_SUPER_SOURCE, *net.ids, _SUPER_SINK])
    for s in entries:
        g.add_edge(_SUPER_SOURCE, net.ids[s])  # no capacity attribute: unlimited
    for h in holders:
        if h not in uncuttable_set:  # an entry point that is also a sink would make the cut infinite
            g.add_edge(net.ids[h], _SUPER_SINK)
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
        value, (_side_s, side_t) = nx.minimum_cut(g, _SUPER_SOURCE, _SUPER_SINK)
        for (a, b), fids in by_arc.items():
            if a not in side_t and b in side_t:
                flows.extend(fids)
        assert len(flows) == value, (flows, value)  # each flow crosses at most once (see above)
    return MinCut(tuple(sorted(flows)), tuple(net.ids[s] for s in uncuttable), tuple(net.ids[h] for h in holders))


def min_cut_flows(model: Model) -> list[str]:
    """The ``flow_id`` s of :func:`min_cut`, sorted.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> len(min_cut_flows(load_model(bundled_model_path())))
    6
    """
    return list(min_cut(model).flows)


def hardening_candidates(model: Model) -> pd.DataFrame:
    """For every flow: is it in the minimum cut, and how much would blocking it alone lower the exposure
    of the systems holding My Numbers?

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
        One row per flow, columns ``flow_id, source, target, in_min_cut`` (bool),
        ``exposure_drop_sum`` and ``exposure_drop_max`` (over the My Number holders), sorted by
        ``in_min_cut`` (cut first), ``exposure_drop_sum`` and ``exposure_drop_max`` (largest first),
        then ``flow_id``. ``attrs["uncuttable_entry_points"]`` lists the entry points holding My Number
        files themselves (see :class:`MinCut`) and ``attrs["min_cut_size"]`` the size of the cut.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> top = hardening_candidates(load_model(bundled_model_path())).iloc[0]
    >>> top["flow_id"], bool(top["in_min_cut"]), bool(top["exposure_drop_sum"] > 0)
    ('F20', True, True)
    """
    with shared_nets():  # min_cut and the drops below read the same attack graph
        cut = min_cut(model)
        net = _build_net(model)
    in_cut = set(cut.flows)
    mn_files = model.my_number_files
    holds = dict(zip(model.systems["system_id"], model.systems["holds"]))
    drops: dict[str, tuple[float, float]] = {}
    with _gc_paused():
        holders = [i for i, sid in enumerate(net.ids) if any(f in mn_files for f in holds[sid])]
        is_holder = set(holders)
        starts = net.starts()
        base, paths = _most_likely(net, starts)
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
