"""Who can move where: the attack graph of a model, built once, and the reachability sweeps over it.

This module holds **the** rule of movement, which every analysis reads (exposure, simulation, hardening,
the findings' reachable records and the briefing's unreachable pairs):

* each flow ``s → t`` gives the arc ``s → t``; an *interactive* flow also gives ``t → s`` (a one-way batch
  feed is never climbed back); a flow from a system to itself moves nobody;
* passing the arc succeeds with ``p_f = Π (1 − effectiveness)`` over the controls implemented on
  the flow ``f`` (its ``applies_to`` names it and its status there, ``control_status.csv`` or else its own
  ``status``, is implemented; 1 when none);
* entering a system ``v`` succeeds with ``q_v = Π (1 − effectiveness)`` over the controls implemented on
  ``v`` (its *entry pass factor*);
* an attacker who holds ``u`` **can move** to ``v`` when an arc ``u → v`` has ``p > 0`` and ``q_v > 0``:
  an arc that no attack passes (a control of effectiveness 1 on the flow) or that leads into a system no
  attack enters (one on the system) is no move and is not in the graph;
* an attack **starts** at an entry point ``s``, a system with ``e_s · q_s > 0`` (``e_s`` its
  ``entry_likelihood``, a probability per year).

Planned and missing controls, and organisation-wide controls (``applies_to: *``), do not enter ``p`` or
``q``. Between two systems every arc is kept, easiest first (highest ``p``, then the smaller ``flow_id``,
then forward before reverse); the easiest one is the arc of the graph.

"Reachable" everywhere means reachable by moves, that is by an attack path of probability above 0.
``docs/exposure.md`` ("Movement") states the rule and which analyses use it.

The *shared-variable* view of the same rule (:class:`Structure`, issue 17) is what the compromise
probability (:mod:`pia_analysis.analysis.compromise`) and the Monte Carlo
(:mod:`pia_analysis.analysis.simulation`) read: the random variables are the controls (each implemented
control holds with its effectiveness, **one** draw for every element it applies to) and the footholds;
a flow or a system entry is passable when none of its controls holds. The products ``p`` and ``q`` above
are then the probabilities of single elements, and the most likely path keeps its meaning.
"""

from __future__ import annotations

__all__ = ["attack_graph", "reachable_holdings", "shared_nets", "unreachable_pairs"]

import gc
import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import networkx as nx
import pandas as pd

from ..model.model import Model, require_model

T = TypeVar("T")

# Names of the helper nodes the analyses add around the systems (a super-source joined to every entry point,
# a super-sink every My Number holder drains into). System ids may not contain '@' (the loader refuses it),
# so these can never collide with a real system.
SUPER_SOURCE = "@entry"
SUPER_SINK = "@my-number"


# ---------------------------------------------------------------------------------------------------
# the attack graph


@contextmanager
def gc_paused() -> Iterator[None]:
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


class Arc(NamedTuple):
    """One way of moving from a system to another: through flow ``flow_id`` in ``direction``."""

    p: float
    flow_id: str
    direction: str  # "forward" (source → target) or "reverse" (target → source of an interactive flow)


@dataclass
class Net:
    """The attack graph in index form (systems numbered in id order), built once per analysis."""

    ids: list[str]
    pos: dict[str, int]
    zone: list[str]
    q: list[float]
    e: list[float]
    # (u, v) -> every arc from u to v, easiest first; only moves (p > 0 into a system with q > 0)
    arcs: dict[tuple[int, int], tuple[Arc, ...]]
    # u -> [(v, arcs u → v)], v ascending
    succ: list[list[tuple[int, tuple[Arc, ...]]]]
    flows: pd.DataFrame  # the flows in flow_id order

    @property
    def entries(self) -> list[int]:
        """Entry points an attack can start from (e·q > 0), in id order."""
        return [i for i in range(len(self.ids)) if self.e[i] * self.q[i] > 0]

    def starts(self) -> dict[int, float]:
        """The probability ``e·q`` that an attack starts at each entry point, by index."""
        return {i: self.e[i] * self.q[i] for i in self.entries}

    def best(self, u: int, v: int) -> Arc:
        """The easiest arc from ``u`` to ``v`` (the arc of the graph)."""
        return self.arcs[(u, v)][0]


class ControlStatus(NamedTuple):
    """One control as the analyses read it: its own status and, where they differ, its status per element."""

    control_id: str
    status: str  # its own: on every element of applies_to not in ``on``
    effectiveness: float
    mitigates: list[str]
    applies_to: list[str]  # as in controls.csv, ``*`` for organisation-wide
    on: dict[str, str]  # element -> status there, from control_status.csv (empty for most controls)

    def status_on(self, element: str) -> str:
        """The control's status on ``element`` (its row of control_status.csv, else its own)."""
        return self.on.get(element, self.status) if self.on else self.status


def control_statuses(model: Model) -> list[ControlStatus]:
    """Every control with its status per element, in ``controls.csv`` order (shared within :func:`shared_nets`).

    :attr:`~pia_analysis.Model.control_applications` is the rule (issue 18): a control's status on an element
    is its ``control_status.csv`` row there, else its own. The per-element statuses are read from it for the
    controls that have one; a control without any has its own status on every element of ``applies_to``
    (what the accessor's rows say), read from ``controls`` directly — a national model has 169,000
    application rows and a few hundred overrides at most, and every analysis asks.
    """
    return shared_value(model, "control_statuses", lambda: _control_statuses(model))


_NO_OVERRIDES: dict[str, str] = {}


def _control_statuses(model: Model) -> list[ControlStatus]:
    overridden = set(model.control_status["control_id"].astype(str)) if len(model.control_status) else set()
    on: dict[str, dict[str, str]] = {}
    if overridden:
        apps = model.control_applications
        apps = apps.loc[apps["control_id"].isin(overridden)]
        for cid, element, status in zip(apps["control_id"].tolist(), apps["element"].tolist(),
                                        apps["status"].tolist()):
            if element != "*":
                on.setdefault(cid, {}).setdefault(element, status)
    c = model.controls
    with gc_paused():  # tens of thousands of small objects: no collection of a national model's heap meanwhile
        return [ControlStatus(cid, status, float(eff), mitigates, applies_to if applies_to is not None else [],
                              on.get(cid, _NO_OVERRIDES))
                for cid, status, eff, mitigates, applies_to in zip(
                    c["control_id"].tolist(), c["status"].tolist(), c["effectiveness"].tolist(),
                    c["mitigates"].tolist(), c["applies_to"].tolist())]


def _pass_factors(model: Model) -> dict[str, float]:
    """``Π (1 − effectiveness)`` of the controls implemented **on** each system or flow id.

    A control's status on an element (:func:`control_statuses`): a control implemented on one element and
    planned on another (``control_status.csv``) lowers the first element's factor only.
    """
    factors: dict[str, float] = {}
    for c in sorted(control_statuses(model)):  # fixed product order: by control_id (unique)
        if "*" in c.applies_to:
            # an organisation-wide measure (training, review, reporting) changes no single step, even where
            # control_status.csv gives it a status of its own (that status counts in the coverage)
            continue
        if c.on:
            targets = [t for t in dict.fromkeys(c.applies_to) if c.on.get(t, c.status) == "implemented"]
        elif c.status == "implemented":
            targets = dict.fromkeys(c.applies_to)
        else:
            continue  # planned and missing measures protect nothing yet
        for target in targets:
            factors[target] = factors.get(target, 1.0) * (1.0 - c.effectiveness)
    return factors


# While :func:`shared_nets` is active, the nets built so far, by model (id -> (model, net)).
_NETS: ContextVar[dict[Any, tuple[Model, Any]] | None] = ContextVar("pia_analysis_nets", default=None)


@contextmanager
def shared_nets() -> Iterator[None]:
    """Within this block, the analyses of one model object build its attack graph once and share it.

    The report's pipeline runs six analyses of the same model; each would otherwise index the model's
    systems, flows and controls again (about half a second on a national model). Outside the block nothing
    is kept, so a model changed in place is always read afresh; inside it, do not change the model.

    Yields
    ------
    None
        Nothing: the block only scopes the sharing.

    Examples
    --------
    >>> from pia_analysis.analysis.attack_graph import build_net
    >>> from pia_analysis import bundled_model_path, load_model, shared_nets
    >>> model = load_model(bundled_model_path())
    >>> with shared_nets():
    ...     build_net(model) is build_net(model)
    True
    >>> build_net(model) is build_net(model)  # outside the block, built afresh
    False
    """
    if _NETS.get() is not None:  # already sharing (nested use): keep the outer block's nets
        yield
        return
    token = _NETS.set({})
    try:
        yield
    finally:
        _NETS.reset(token)


def build_net(model: Model) -> Net:
    """The attack graph of ``model`` in index form (shared within :func:`shared_nets`)."""
    return shared_value(model, "net", lambda: _make_net(model))


def shared_value(model: Model, key: str, make: Callable[[], T]) -> T:
    """``make()``, built once per model object and ``key`` within :func:`shared_nets` (afresh outside it).

    For what several analyses of one run derive from the same model (the My Number holders' diagrams that
    both the fix-first plan and the importance table compile), scoped and kept as the attack graph is.
    """
    memo = _NETS.get()
    if memo is None:
        return make()
    slot = (id(model), key)
    hit = memo.get(slot)
    if hit is not None and hit[0] is model:
        return hit[1]
    value = make()
    memo[slot] = (model, value)  # the model is kept alive, so its id is not reused meanwhile
    return value


def _make_net(model: Model) -> Net:
    systems = model.systems.sort_values("system_id", kind="stable")
    ids = systems["system_id"].tolist()
    pos = {sid: i for i, sid in enumerate(ids)}
    factors = _pass_factors(model)
    q = [factors.get(sid, 1.0) for sid in ids]
    e = [float(x) for x in systems["entry_likelihood"]]
    flows = model.flows.sort_values("flow_id", kind="stable").reset_index(drop=True)
    candidates: dict[tuple[int, int], list[Arc]] = {}
    for fid, source, target, interactive in zip(flows["flow_id"].tolist(), flows["source"].tolist(),
                                                flows["target"].tolist(), flows["interactive"].tolist()):
        p = factors.get(fid, 1.0)
        if p <= 0.0:
            continue  # a flow that no attack passes is no arc at all (and keeps log p finite)
        u, v = pos[source], pos[target]
        if u == v:
            continue  # a loop moves the attacker nowhere
        # An arc into a system that no attack enters (q = 0) is no move either.
        if q[v] > 0.0:
            candidates.setdefault((u, v), []).append(Arc(p, fid, "forward"))
        if interactive and q[u] > 0.0:
            candidates.setdefault((v, u), []).append(Arc(p, fid, "reverse"))
    # Easiest first; among equally easy arcs the smaller flow_id, then forward before reverse.
    arcs = {
        key: (tuple(sorted(found, key=lambda a: (-a.p, a.flow_id, a.direction != "forward")))
              if len(found) > 1 else (found[0],))
        for key, found in sorted(candidates.items())
    }
    succ: list[list[tuple[int, tuple[Arc, ...]]]] = [[] for _ in ids]
    for (u, v), found in arcs.items():  # keys sorted, so each list is in target order
        succ[u].append((v, found))
    return Net(ids, pos, systems["zone_id"].tolist(), q, e, arcs, succ, flows)


def attack_graph(model: Model) -> nx.DiGraph:
    """The attack graph of a model: one node per system, one arc per direction an attacker can move.

    A flow ``s → t`` gives the arc ``s → t``; an interactive flow also gives ``t → s``. Of several arcs
    between the same two systems only the easiest is kept. Only moves are arcs (the rule of this module):
    an arc that no attack passes (``p = 0``) or into a system that no attack enters (``q = 0``) is left
    out.

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

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import attack_graph, bundled_model_path, load_model
    >>> g = attack_graph(load_model(bundled_model_path()))
    >>> g.has_edge("JUKI_REC", "CONV_SRV"), g.has_edge("CONV_SRV", "JUKI_REC")  # F17 is a one-way feed
    (True, False)
    >>> round(g.edges["STORE_KIOSK", "JLIS_CENTRE"]["p"], 6), round(g.nodes["JLIS_CENTRE"]["q"], 6)
    (0.016, 0.5)
    """
    require_model(model, "attack_graph")
    return to_digraph(build_net(model))


def to_digraph(net: Net, attributes: bool = True) -> nx.DiGraph:
    """``net`` as a networkx graph on system ids (with the attributes of :func:`attack_graph`, or bare)."""
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


def most_likely(net: Net, starts: dict[int, float], skip_flow: str | None = None
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


def zone_crossings(net: Net, path: tuple[int, ...] | list[int]) -> int:
    """How many steps of ``path`` (system indices) cross from one zone into another."""
    return sum(net.zone[a] != net.zone[b] for a, b in zip(path, path[1:]))



# ---------------------------------------------------------------------------------------------------
# reachability sweeps


def _sweep(net: Net, values: list[int], combine: Callable[[int, int], int], downstream: bool) -> list[int]:
    """Combine ``values``, for each system, over the systems it reaches or is reached from.

    Downstream: over the systems it reaches; upstream: over those it is reached from; itself included
    either way. ``combine`` is associative with 0 as its neutral value (max, or). One pass over the graph
    of strongly connected components in topological order: linear in the graph, where one search per
    system (thousands of entry points in a national model) would be quadratic.
    """
    g = nx.DiGraph()
    g.add_nodes_from(range(len(net.ids)))
    g.add_edges_from(net.arcs)
    cond = nx.condensation(g)
    mapping = cond.graph["mapping"]
    acc = [0] * cond.number_of_nodes()
    for node, c in mapping.items():
        acc[c] = combine(acc[c], values[node])
    order = list(nx.topological_sort(cond))
    if downstream:
        for c in reversed(order):
            for d in cond.successors(c):
                acc[c] = combine(acc[c], acc[d])
    else:
        for c in order:
            for d in cond.successors(c):
                acc[d] = combine(acc[d], acc[c])
    return [acc[mapping[i]] for i in range(len(net.ids))]


def _or(a: int, b: int) -> int:
    return a | b


def reached_by(net: Net) -> list[int]:
    """For each system (by index), how many entry points reach it: one bit per entry point, swept down."""
    bits = [0] * len(net.ids)
    for k, s in enumerate(net.entries):
        bits[s] |= 1 << k
    return [b.bit_count() for b in _sweep(net, bits, _or, downstream=False)]


def my_number_holders(model: Model) -> list[str]:
    """The ids of the systems holding a file with My Numbers, sorted (read from the tables)."""
    mn = model.my_number_files
    return sorted(sid for sid, holds in zip(model.systems["system_id"], model.systems["holds"])
                  if any(f in mn for f in holds))


def reachable_holdings(model: Model) -> pd.Series:
    """For each system, the most My Number records an attacker who holds it can reach.

    The attacker moves by the rule of this module (arcs with ``p > 0`` into systems with ``q > 0``) from
    the system, which counts itself, as in :func:`pia_analysis.analysis.exposure.blast_radius`. A system's
    My Number records are the ``records`` of the largest file with My Numbers it holds (0 if none); the
    files are not added up, since they often describe the same residents.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    pandas.Series
        ``int64`` numbers of records (people), indexed by ``system_id`` in id order, named
        ``my_number_records_reachable``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, reachable_holdings
    >>> reach = reachable_holdings(load_model(bundled_model_path()))
    >>> int(reach["STORE_KIOSK"]), int(reach["JUKI_REC"])
    (932000, 932000)
    """
    require_model(model, "reachable_holdings")
    net = build_net(model)
    records = dict(zip(model.files["file_id"], (int(r) for r in model.files["records"])))
    mn = model.my_number_files
    holds = dict(zip(model.systems["system_id"], model.systems["holds"]))
    held = [max((records[f] for f in holds[sid] if f in mn), default=0) for sid in net.ids]
    reach = _sweep(net, held, max, downstream=True)
    return pd.Series(reach, index=pd.Index(net.ids, name="system_id"), dtype="int64",
                     name="my_number_records_reachable")


def unreachable_pairs(model: Model) -> pd.DataFrame:
    """The (entry point, holder) pairs of entry points that reach no city-run system holding My Numbers.

    The entry points are the systems with ``entry_likelihood > 0``; the holders, the systems run by the
    city (``operator`` ``city``) that hold a file with My Numbers. An entry point is cut off when no move
    (see the module) leads from it to any holder, whatever the probabilities; one that no attack enters
    (``q = 0``) reaches nothing. Only the cut-off entry points' pairs are kept, one per holder: the full
    entry × holder table has tens of millions of rows in a national model. Reachability is one pass of bit
    sets (one bit per holder) over the graph of strongly connected components.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        Columns ``entry_point, holder`` (system ids), entry points in id order, then holders in id order.
        Empty when every entry point reaches a holder (or there are no entry points or no holders).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, unreachable_pairs
    >>> unreachable_pairs(load_model(bundled_model_path())).groupby("entry_point").size().to_dict()
    {'STORE_KIOSK': 5}
    """
    require_model(model, "unreachable_pairs")
    net = build_net(model)
    systems = model.systems
    entries = sorted(systems.loc[systems["entry_likelihood"] > 0, "system_id"])
    city = set(systems.loc[systems["operator"] == "city", "system_id"])
    holders = [s for s in my_number_holders(model) if s in city]
    rows: list[tuple[str, str]] = []
    if entries and holders:
        bits = [0] * len(net.ids)
        for k, h in enumerate(holders):
            bits[net.pos[h]] |= 1 << k
        reach = _sweep(net, bits, _or, downstream=True)
        rows = [(e, h) for e in entries if net.q[net.pos[e]] <= 0 or reach[net.pos[e]] == 0 for h in holders]
    return pd.DataFrame(rows, columns=["entry_point", "holder"])


# ---------------------------------------------------------------------------------------------------
# the shared-variable structure (issue 17)


@dataclass
class Structure:
    """The attack graph as a Boolean structure over shared random variables, in index form.

    Variables are numbered in a depth-first order from the entry points (the order the BDDs of
    :mod:`pia_analysis.analysis.compromise` use); variable ``k`` is *true* with probability ``var_p[k]``:
    a control variable is true when the control **fails** (``1 − effectiveness``), a foothold variable
    when the attacker gets a foothold (``entry_likelihood``). Every element is a conjunction of variables
    (passable when all its controls fail): ``()`` is always passable, ``None`` never. So reachability is a
    monotone (increasing) function of the variables.
    """

    ids: list[str]
    pos: dict[str, int]
    var_names: list[str]
    var_p: list[float]
    enter: list[tuple[int, ...] | None]  # per system: the variables that must all be true to enter it
    foot: list[int | None]  # per system: its foothold variable, -1 for a certain foothold, None for none
    certain: frozenset[int]  # systems known compromised (given): reached whatever the variables
    flow_ids: list[str]
    flow_guard: list[tuple[int, ...] | None]  # per flow, like ``enter``
    arcs: list[tuple[int, int, int]]  # (source, target, flow index), every direction an attacker can move
    control_vars: dict[str, int]  # control_id -> its variable (only the controls that are variables)
    flow_gates: dict[int, tuple[int, int]] | None = None  # flow index -> (open, gate) variables, importance only

    def in_arcs(self) -> list[list[tuple[int, int]]]:
        """Per system, the ``(source, flow index)`` of the arcs into it, in (source, flow) order."""
        out: list[list[tuple[int, int]]] = [[] for _ in self.ids]
        for u, v, f in self.arcs:
            out[v].append((u, f))
        for lst in out:
            lst.sort()
        return out

    def element_p(self, guard: tuple[int, ...] | None) -> float:
        """The probability that an element with this guard is passable (its variables being its own)."""
        if guard is None:
            return 0.0
        prob = 1.0
        for k in guard:
            prob *= self.var_p[k]
        return prob


def build_structure(model: Model, compromised: Iterable[str] = (), failed: Iterable[str] = (),
                    keep_all: bool = False) -> Structure:
    """The shared-variable structure of ``model`` (see :class:`Structure`).

    ``compromised`` systems are reached with certainty (a foothold of probability 1 that no control on
    the system stops); ``failed`` controls are known not to hold (their variable is fixed to true, so they
    leave every guard). Constants are folded: an implemented control of effectiveness 1 blocks its
    elements, one of effectiveness 0 and planned, missing and unknown controls protect nothing, ``*``
    names no element. With ``keep_all`` (importance) every control naming an element with an effectiveness
    above 0 stays a variable (planned ones with probability 1 of failing, effectiveness 1 with 0) and each
    flow gets two more variables, *open* (probability 0) and *gate* (probability 1): the flow is passable when
    ``open ∨ (gate ∧ its controls fail)``, so forcing it open or blocked is a restriction of one variable.
    """
    systems = model.systems.sort_values("system_id", kind="stable")
    ids = systems["system_id"].tolist()
    pos = {sid: i for i, sid in enumerate(ids)}
    certain = frozenset(pos[s] for s in compromised)
    failed_set = set(failed)
    flows = model.flows.sort_values("flow_id", kind="stable")
    flow_ids = flows["flow_id"].tolist()
    fpos = {fid: k for k, fid in enumerate(flow_ids)}
    # element -> [(control_id, probability it fails)]; None once an element is blocked for sure
    guards: dict[str, list[tuple[str, float]] | None] = {}
    for c in sorted(control_statuses(model)):  # by control_id (unique)
        if c.control_id in failed_set or "*" in c.applies_to:
            continue  # known failed: holds nothing; '*' names no element
        cid, eff = c.control_id, c.effectiveness
        # One random variable per control, whatever its status per element: it guards only the elements it
        # is implemented on. A control implemented nowhere is, for importance, one variable failing surely
        # on all its elements (what implementing it would change); for a control implemented on some
        # elements and planned on others, importance scores the implemented part only (one variable has
        # one probability).
        targets = list(dict.fromkeys(c.applies_to))
        implemented_on = [e for e in targets if c.status_on(e) == "implemented"]
        if implemented_on:
            fail, targets = 1.0 - eff, implemented_on
        else:
            fail = 1.0
        if not keep_all and (not implemented_on or fail >= 1.0):
            continue  # protects nothing
        if keep_all and eff <= 0.0:
            continue  # a measure stated to stop no attack (organisational, e = 0) is no fix to score
        for target in targets:
            if target not in pos and target not in fpos:
                continue
            current = guards.setdefault(target, [])
            if current is None:
                continue
            if not keep_all and fail <= 0.0:
                guards[target] = None  # a control that always holds blocks the element
            else:
                current.append((cid, fail))
    entry = [float(x) for x in systems["entry_likelihood"]]
    arcs_raw: list[tuple[int, int, int]] = []
    for k, (source, target, interactive) in enumerate(zip(flows["source"].tolist(), flows["target"].tolist(),
                                                          flows["interactive"].tolist())):
        if guards.get(flow_ids[k], []) is None:
            continue
        u, v = pos[source], pos[target]
        if u == v:
            continue  # a loop moves the attacker nowhere
        arcs_raw.append((u, v, k))
        if interactive:
            arcs_raw.append((v, u, k))
    # An arc into a system no attack enters is no move (a known compromised system needs no entry).
    arcs_raw = [(u, v, k) for u, v, k in arcs_raw if v not in certain and guards.get(ids[v], []) is not None]
    arcs_raw.sort()
    out_arcs: list[list[tuple[int, int]]] = [[] for _ in ids]
    for u, v, k in arcs_raw:
        out_arcs[u].append((v, k))
    # Variables in the order the footholds' search meets them (certain ones first), each when first needed.
    names: list[str] = []
    probs: list[float] = []
    index: dict[str, int] = {}

    def var(name: str, p: float) -> int:
        if name not in index:
            index[name] = len(names)
            names.append(name)
            probs.append(p)
        return index[name]

    enter: list[tuple[int, ...] | None] = [None] * len(ids)
    flow_guard: list[tuple[int, ...] | None] = [None] * len(flow_ids)
    foot: list[int | None] = [None] * len(ids)
    gates: dict[int, tuple[int, int]] | None = {} if keep_all else None
    done_sys = [False] * len(ids)
    done_flow = [False] * len(flow_ids)

    def guard_of(element: str) -> tuple[int, ...] | None:
        g = guards.get(element, [])
        if g is None:
            return None
        return tuple(dict.fromkeys(var("control:" + cid, p) for cid, p in g))

    def see_system(i: int) -> None:
        if done_sys[i]:
            return
        done_sys[i] = True
        if i not in certain and entry[i] > 0:
            foot[i] = -1 if entry[i] >= 1.0 else var("foothold:" + ids[i], entry[i])
        enter[i] = guard_of(ids[i])

    def see_flow(k: int) -> None:
        if done_flow[k]:
            return
        done_flow[k] = True
        if gates is not None:
            gates[k] = (var("open:" + flow_ids[k], 0.0), var("gate:" + flow_ids[k], 1.0))
        flow_guard[k] = guard_of(flow_ids[k])

    # Depth-first over the graph taken undirected, from the footholds, the less connected neighbours
    # first: a hub (a national server every municipality talks to) is entered from one side and each
    # part hanging off it is then laid out in one stretch, its variables together. A flow's variables
    # come when its second end is reached (both ends' variables are then already placed).
    adjacency: list[list[tuple[int, int]]] = [[] for _ in ids]
    for u, v, k in arcs_raw:
        adjacency[u].append((v, k))
        adjacency[v].append((u, k))
    degree = [len({w for w, _k in adj}) for adj in adjacency]
    for adj in adjacency:
        adj.sort(key=lambda item: (degree[item[0]], item[0], item[1]))
    starts = sorted(certain) + [i for i in range(len(ids)) if i not in certain and entry[i] > 0]
    visited = [False] * len(ids)
    for s0 in starts:
        if visited[s0]:
            continue
        visited[s0] = True
        see_system(s0)
        stack = [(s0, iter(adjacency[s0]))]
        while stack:
            u, neighbours = stack[-1]
            for w, k in neighbours:
                if visited[w]:
                    see_flow(k)
                    continue
                visited[w] = True
                see_system(w)
                see_flow(k)
                stack.append((w, iter(adjacency[w])))
                break
            else:
                stack.pop()
    for i in range(len(ids)):
        see_system(i)
    for k in range(len(flow_ids)):
        see_flow(k)
    for i in certain:
        enter[i] = ()  # reached whatever its controls
    control_vars = {n.split(":", 1)[1]: k for k, n in enumerate(names) if n.startswith("control:")}
    return Structure(ids, pos, names, probs, enter, foot, certain, flow_ids, flow_guard,
                     [(u, v, k) for u, v, k in arcs_raw], control_vars, gates)
