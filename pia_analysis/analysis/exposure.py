"""Exposure of each system: how likely an attacker who starts at an entry point reaches it.

The attack graph and its rule of movement are in :mod:`pia_analysis.analysis.attack_graph`: a flow ``s → t``
lets an attacker who holds ``s`` move to ``t`` (and back when the flow is interactive), passing with
probability ``p_f`` and entering ``t`` with probability ``q_t``, both products of ``1 − effectiveness`` of
the implemented controls naming the flow or the system.

An attack that starts at entry point ``s`` (``entry_likelihood`` ``e_s``, a probability per year) and goes
``s, v1, …, vk`` succeeds with probability ``e_s · q_s · Π (p_arc · q_next)``. The **exposure** of a system
is the highest such probability over every entry point and path (the most likely attack path, found with
Dijkstra's algorithm: maximising a product of factors in [0, 1] is Dijkstra on ``−log p``). It is 0 when no
entry point reaches the system.

The exposure is a **lower bound** of the probability that the system is compromised by any path,
:func:`pia_analysis.analysis.compromise.compromise_probability` (exact where feasible; a shared control
counts once there, so a path's own probability is at least the product above).

Besides the most likely path, this module gives the k most likely paths (:func:`attack_paths`) and what is
at stake once a system has fallen (:func:`blast_radius`). The Monte Carlo estimate of compromise by any
path is in :mod:`pia_analysis.analysis.simulation`, where to cut flows in
:mod:`pia_analysis.analysis.hardening`. ``docs/exposure.md`` states the formulas with a worked example and
the limits of the method.

Every function is deterministic: systems, flows and controls are put in id order first, so the input
row order never changes a result, and ties are broken by id (for paths: the lexicographically smallest
sequence of system ids wins).
"""

from __future__ import annotations

__all__ = ["BETWEENNESS_EXACT_MAX_NODES", "BETWEENNESS_SAMPLES", "BlastRadius", "attack_paths", "blast_radius",
           "node_exposure"]

import math
import random
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ..model.errors import unknown_id
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from .attack_graph import SUPER_SOURCE, Net, build_net, gc_paused, most_likely, reached_by, to_digraph, zone_crossings

NODE_EXPOSURE_COLUMNS = [
    "system_id", "name_ja", "name_en", "zone_id", "exposure", "path", "entry_point", "zone_crossings",
    "records_at_stake", "holds_my_number", "reached_by", "betweenness", "processes_my_number", "records_in_transit",
]
ATTACK_PATH_COLUMNS = ["rank", "entry_point", "path", "probability", "zone_crossings"]

#: Up to this many systems, betweenness is exact (Brandes' algorithm from every system). Above it, the
#: cost grows as systems × arcs (minutes for 10,000 systems), so it is estimated from
#: :data:`BETWEENNESS_SAMPLES` source systems drawn with a fixed seed (networkx ``k=…, seed=…``): still
#: deterministic, but an estimate. Only the ranking of chokepoints is meant to be read from it.
BETWEENNESS_EXACT_MAX_NODES = 1000
#: Number of sampled source systems for the betweenness estimate of large models.
BETWEENNESS_SAMPLES = 64
_BETWEENNESS_SEED = 0


# ---------------------------------------------------------------------------------------------------
# betweenness


def _betweenness(net: Net) -> list[float]:
    n = len(net.ids)
    if n <= BETWEENNESS_EXACT_MAX_NODES:
        g = to_digraph(net, attributes=False)
        values = nx.betweenness_centrality(g, normalized=True)
        return [float(values[sid]) for sid in net.ids]
    # Sampled sources (see BETWEENNESS_EXACT_MAX_NODES), drawn as networkx draws them for
    # ``betweenness_centrality(g, k, seed=…)`` (random.Random(seed).sample of the nodes in id order), so the
    # estimate is networkx's up to rounding, and the same on every run.
    sources = random.Random(_BETWEENNESS_SEED).sample(range(n), min(BETWEENNESS_SAMPLES, n))
    return _sampled_betweenness(net, sources).tolist()


def _sampled_betweenness(net: Net, sources: list[int]) -> np.ndarray:
    """Brandes' betweenness from the given sources, all at once.

    One breadth-first level at a time as sparse matrix products (sources × systems), then the dependencies
    back level by level.

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
        One row per system (a fresh ``RangeIndex``), sorted by ``exposure`` (descending) then
        ``system_id``; columns (dtype, unit)

        ``system_id, name_ja, name_en, zone_id`` (str)
            the system;
        ``exposure`` (float64, probability per year, in [0, 1])
            the highest success probability of an attack path from an entry point within a year
            (``entry_likelihood`` is a probability per year; see ``docs/exposure.md`` §2); 0 when
            unreached; a lower bound of the compromise probability
            (:func:`~pia_analysis.analysis.compromise.compromise_probability`);
        ``path`` (object: list of str), ``entry_point`` (str)
            that path as a list of system ids from its entry point (``[]`` and ``''`` when unreached);
        ``zone_crossings`` (int64, steps)
            how many steps of the path cross from one zone into another;
        ``records_at_stake`` (float64, records per year)
            ``exposure`` × the records of the largest file *with My Numbers* the system holds
            (:attr:`~pia_analysis.Model.my_number_people`; 0 if it holds none): an expected number of records;
        ``holds_my_number`` (bool)
            whether it holds a file with My Numbers;
        ``reached_by`` (int64, entry points)
            how many entry points reach it at all;
        ``betweenness`` (float64, share in [0, 1], no unit)
            normalised betweenness centrality in the attack graph, ignoring probabilities: the share of
            shortest routes between other systems that pass through it (ignores probabilities; the
            briefing's chokepoint is the control of :func:`~pia_analysis.control_importance`). Exact up to
            :data:`BETWEENNESS_EXACT_MAX_NODES` systems, a seeded sample estimate above;
        ``processes_my_number`` (bool)
            whether a file with My Numbers passes through it without being kept (``processes``; a file
            both held and processed counts as held only);
        ``records_in_transit`` (float64, records per year)
            ``exposure`` × the records of the largest file with My Numbers it holds **or processes**: what
            an attacker on the system could intercept while the data passes (``records_at_stake`` counts
            what is kept only). Equal to ``records_at_stake`` for a system that processes nothing.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    References
    ----------
    E. W. Dijkstra, "A note on two problems in connexion with graphs", Numerische Mathematik 1 (1959),
    269–271 (the most likely path); U. Brandes, "A faster algorithm for betweenness centrality", Journal of
    Mathematical Sociology 25 (2001), 163–177.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, node_exposure
    >>> table = node_exposure(load_model(bundled_model_path()))
    >>> row = table.set_index("system_id").loc["JUKI_REC"]
    >>> round(float(row["exposure"]), 6), row["path"], int(row["zone_crossings"])
    (0.025, ['VENDOR_TERM', 'JUKI_REC'], 0)
    """
    require_model(model, "node_exposure")
    with gc_paused():
        net = build_net(model)
        prob, paths = most_likely(net, net.starts())
        reached = reached_by(net)
        between = _betweenness(net)
    mn_files = model.my_number_files
    info = _system_info(model)
    processed = model.processed_files  # passing through, not kept (a file also held counts as held)
    in_transit = model.my_number_processed
    rows = []
    for i, sid in enumerate(net.ids):
        name_ja, name_en, holds = info[sid]
        pth = paths[i]
        biggest = model.my_number_people.get(sid, 0)  # My Number files only, as the people beside it
        rows.append({
            "system_id": sid,
            "name_ja": name_ja,
            "name_en": name_en,
            "zone_id": net.zone[i],
            "exposure": prob[i],
            "path": [net.ids[j] for j in pth] if pth else [],
            "entry_point": net.ids[pth[0]] if pth else "",
            "zone_crossings": zone_crossings(net, pth) if pth else 0,
            "records_at_stake": prob[i] * biggest,
            "holds_my_number": any(f in mn_files for f in holds),
            "reached_by": reached[i],
            "betweenness": between[i],
            # transit: what passes through counts for interception, never for what is kept
            "processes_my_number": not mn_files.isdisjoint(processed.get(sid, ())),
            "records_in_transit": prob[i] * max(biggest, in_transit.get(sid, 0)),
        })
    out = pd.DataFrame(rows, columns=NODE_EXPOSURE_COLUMNS)
    out = out.astype({"exposure": "float64", "zone_crossings": "int64", "records_at_stake": "float64",
                      "holds_my_number": "bool", "reached_by": "int64", "betweenness": "float64",
                      "processes_my_number": "bool", "records_in_transit": "float64"})
    # Rows are already in system_id order, so a stable sort on exposure alone breaks ties by id.
    return out.sort_values("exposure", ascending=False, kind="stable").reset_index(drop=True)


def exposure_and_paths(model: Model) -> pd.DataFrame:
    """Only the ``exposure`` and ``path`` columns of :func:`node_exposure`, indexed by ``system_id``.

    In id order: the same values, without the records, reach counts and betweenness the rule engine does
    not read (:mod:`pia_analysis.analysis.findings` runs it on several variants of a model).
    """
    with gc_paused():
        net = build_net(model)
        prob, paths = most_likely(net, net.starts())
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

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        If ``k`` is below 1.
    pia_analysis.model.errors.UnknownIdError
        If ``target`` is not a system of the model (a ``KeyError`` and a ``ValueError``; the message names
        the closest system ids).

    References
    ----------
    J. Y. Yen, "Finding the k shortest loopless paths in a network", Management Science 17 (1971), 712–716.

    Examples
    --------
    >>> from pia_analysis import attack_paths, bundled_model_path, load_model
    >>> paths = attack_paths(load_model(bundled_model_path()), "JUKI_REC", k=2)
    >>> paths["entry_point"].tolist(), paths["probability"].round(6).tolist()
    (['VENDOR_TERM', 'JUKI_TERM'], [0.025, 0.01])
    """
    require_model(model, "attack_paths")
    if k < 1:
        raise InvalidArgumentError(f"k must be at least 1, not {k}")
    net = build_net(model)
    if target not in net.pos:
        raise unknown_id("system", target, model.systems["system_id"])
    # Super-source → each entry point with weight −log(e·q); arc u → v with weight −log(p·q_v). Only
    # positive probabilities make arcs, so every weight is finite.
    g = nx.DiGraph()
    for s, p0 in net.starts().items():
        g.add_edge(SUPER_SOURCE, s, w=-math.log(p0))
    for (u, v), found in net.arcs.items():
        step = found[0].p * net.q[v]
        if step > 0:
            g.add_edge(u, v, w=-math.log(step))
    t = net.pos[target]
    found_paths: list[tuple[float, float, tuple[int, ...]]] = []
    if t in g and SUPER_SOURCE in g:
        try:
            for raw in nx.shortest_simple_paths(g, SUPER_SOURCE, t, weight="w"):
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
         "probability": p, "zone_crossings": zone_crossings(net, nodes)}
        for r, (_w, p, nodes) in enumerate(found_paths[:k], 1)
    ]
    return pd.DataFrame(rows, columns=ATTACK_PATH_COLUMNS).astype(
        {"rank": "int64", "probability": "float64", "zone_crossings": "int64"})


def _path_probability(net: Net, nodes: tuple[int, ...]) -> float:
    """``e_s · q_s · Π (p_arc · q_next)``, multiplied in the same order as :func:`most_likely`."""
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
        The largest single file, of any kind (a log without My Numbers too).
    max_my_number_records
        The largest single file *with My Numbers*: a lower bound on the people whose specific personal
        information is at stake, since files often describe the same residents; what readings quote.
    """

    system_id: str
    systems: pd.DataFrame
    files: pd.DataFrame
    total_records: int
    my_number_records: int
    max_records: int
    max_my_number_records: int


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

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.model.errors.UnknownIdError
        If ``system_id`` is not a system of the model (a ``KeyError`` and a ``ValueError``; the message
        names the closest system ids).

    Examples
    --------
    >>> from pia_analysis import blast_radius, bundled_model_path, load_model
    >>> br = blast_radius(load_model(bundled_model_path()), "STORE_KIOSK")
    >>> br.systems["system_id"].tolist(), br.total_records
    (['STORE_KIOSK', 'JLIS_CENTRE', 'CONV_SRV'], 932000)
    """
    require_model(model, "blast_radius")
    net = build_net(model)
    if system_id not in net.pos:
        raise unknown_id("system", system_id, model.systems["system_id"])
    prob, paths = most_likely(net, {net.pos[system_id]: 1.0})
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
        max_my_number_records=int(file_table.loc[file_table["contains_my_number"], "records"].max())
        if file_table["contains_my_number"].any() else 0,
    )
