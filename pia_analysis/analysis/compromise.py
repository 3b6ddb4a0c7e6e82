"""Exact compromise probabilities with shared controls, conditioning, importance and what to fix first.

The semantics (issue 17; :class:`~pia_analysis.analysis.attack_graph.Structure`): the random variables are
the things that fail. Each implemented control of effectiveness ``e`` holds with probability ``e`` — one
draw, shared by every flow and system it applies to — and each entry point gives a foothold with its
``entry_likelihood``, independently. A flow or a system entry is passable when none of the implemented
controls that apply to it holds; planned, missing and unknown controls hold nothing and organisation-wide
(``*``) controls do not enter. A system is compromised when some foothold reaches it through passable
flows (interactive ones both ways) into passable systems.

Reachability is then a monotone Boolean function of the variables: for each system ``v``,
``R_v = enter_v ∧ (foot_v ∨ ⋁_{flow f: u → v} (R_u ∧ pass_f))``, the least fixed point over the arcs
(cycles converge because the function is monotone: a Kleene iteration from *false*). It is compiled to a
binary decision diagram with `dd <https://github.com/tulip-control/dd>`_ (``dd.autoref``, pure Python)
and its probability is one weighted pass over the diagram, the variables being independent:
``P(node) = (1 − p_x)·P(low) + p_x·P(high)`` (``1 − P`` across a complemented edge).

Variable order: breadth-first from the footholds, each variable where it is first needed (the foothold
and entry controls of a system when it is reached, a flow's controls when the search crosses it), the
usual good order for reachability, which keeps the variables that meet on a path near each other.
Dynamic reordering is off (deterministic and cheaper in pure Python). A system's diagram only has the
variables it depends on (a reduced BDD keeps no other).

When a system's diagram would exceed ``max_nodes``, it is bounded instead, and certified: reachability
being monotone, fixing a variable to *false* (control holds, foothold fails) can only lower it and to
*true* only raise it. So the system gets a lower and an upper diagram, each shrunk below ``max_nodes`` by
fixing the variables that cost least (lower: the least likely first; upper: the most likely first),
built from its predecessors' lower and upper diagrams; their probabilities are the ``bounds``. The lower
bound is also at least the most likely path's probability (shared controls counted once, so at least
:func:`~pia_analysis.analysis.exposure.node_exposure`'s ``exposure``). With ``trials``, the bounded
systems are also estimated by the Monte Carlo of :func:`~pia_analysis.analysis.simulation.sample_reach`
(same semantics) with a 95 % Wilson interval.

``docs/exposure.md`` §6 gives the formulas, a worked example to recompute by hand and the limits.
"""

from __future__ import annotations

__all__ = ["COMPROMISE_COLUMNS", "DEFAULT_MAX_NODES", "DEFAULT_MAX_VARIABLES", "compromise_probability",
           "control_importance", "fix_first", "flow_importance"]

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..model.errors import unknown_id
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from .attack_graph import Structure, build_structure, gc_paused, my_number_holders, shared_value
from .simulation import check_count, reach_chunks, wilson_interval

COMPROMISE_COLUMNS = ["system_id", "probability", "method", "low", "high", "variables", "bdd_nodes"]

#: Largest diagram (nodes) a system may have before it is bounded rather than computed exactly.
DEFAULT_MAX_NODES = 20_000
#: Most variables a system's probability may depend on (those of every element upstream of it) for an
#: exact computation to be tried; above, it is bounded straight away. dd is pure Python: past a few dozen
#: variables a diagram of a hub (a national server every municipality reaches) costs seconds.
DEFAULT_MAX_VARIABLES = 48
# The size of the diagrams of bounded systems (small: cheap to build, still certified).
_BOUND_NODES = 256
# Kleene sweeps of the lower diagrams in a cycle bounded from the start (each sweep is a lower bound).
_LOWER_SWEEPS = 1
# The size of their lower diagrams (smaller still: a sweep over a hub's cycle touches every member).
_LOWER_NODES = 64
# Largest cycle bounded from the start that still gets its lower sweeps.
_LOWER_MAX_CYCLE = 32
# The node budget of a whole compile, in multiples of ``max_nodes``: dd's node table (live and dead
# nodes, a few hundred bytes each in pure Python) may hold at most this many times ``max_nodes``.
_TOTAL_NODES_FACTOR = 10


class _BudgetExceeded(Exception):
    """The compile ran out of its node budget even with small bounded diagrams."""


class _OverBudget(Exception):
    """The node table grew past the budget (checked between operations, the table consistent)."""


# ---------------------------------------------------------------------------------------------------
# compiling reachability


@dataclass
class _Compiled:
    """Per system: the lower and upper diagrams (the same object when exact)."""

    bdd: Any
    structure: Structure
    lo: dict[int, Any]
    hi: dict[int, Any]
    exact: dict[int, bool]
    p_level: list[float]  # probability of the variable at each level

    def probability(self, u: Any, memo: dict[int, float]) -> float:
        return _probability(self.bdd, self.p_level, u.node, memo)


def _probability(bdd: Any, p_level: list[float], root: int, memo: dict[int, float]) -> float:
    """P(root is true): one pass over the diagram (``memo`` maps regular nodes to probabilities)."""
    succ = bdd._bdd._succ  # dd.bdd's node table: node -> (level, low, high); node 1 is TRUE, -1 FALSE
    memo.setdefault(1, 1.0)
    stack = [abs(root)]
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        level, low, high = succ[node]
        a, b = abs(low), abs(high)
        pending = False
        if a not in memo:
            stack.append(a)
            pending = True
        if b not in memo:
            stack.append(b)
            pending = True
        if pending:
            continue
        p_low = memo[a] if low > 0 else 1.0 - memo[a]
        p_high = memo[b] if high > 0 else 1.0 - memo[b]
        p = p_level[level]
        memo[node] = (1.0 - p) * p_low + p * p_high
        stack.pop()
    value = memo[abs(root)]
    return value if root > 0 else 1.0 - value


def _derivatives(bdd: Any, p_level: list[float], root: int,
                 memo: dict[int, float]) -> tuple[float, dict[int, float]]:
    """P(root) and, per level, ∂P/∂p of its variable: ``P(x true) − P(x false)`` (the Birnbaum importance).

    The probability is multilinear in the variables' probabilities, so the derivative is exact. One pass
    down the diagram accumulates the (signed) weight with which each node's probability enters the root's;
    each node of variable ``x`` then adds its weight times ``P(high) − P(low)``.
    """
    total = _probability(bdd, p_level, root, memo)
    succ = bdd._bdd._succ
    nodes: set[int] = set()
    stack = [abs(root)]
    while stack:
        node = stack.pop()
        if node in nodes or node == 1:
            continue
        nodes.add(node)
        _level, low, high = succ[node]
        stack.extend((abs(low), abs(high)))
    weight: dict[int, float] = {abs(root): 1.0 if root > 0 else -1.0}
    deriv: dict[int, float] = {}
    for node in sorted(nodes, key=lambda n: succ[n][0]):
        level, low, high = succ[node]
        w = weight.get(node, 0.0)
        p = p_level[level]
        p_low = memo[abs(low)] if low > 0 else 1.0 - memo[abs(low)]
        p_high = memo[abs(high)] if high > 0 else 1.0 - memo[abs(high)]
        deriv[level] = deriv.get(level, 0.0) + w * (p_high - p_low)
        weight[abs(low)] = weight.get(abs(low), 0.0) + w * (1.0 - p) * (1.0 if low > 0 else -1.0)
        weight[abs(high)] = weight.get(abs(high), 0.0) + w * p * (1.0 if high > 0 else -1.0)
    return total, deriv


_QUIET: dict[type, type] = {}


def _quiet_manager(base: type) -> type:
    """A subclass of dd's node table that skips the garbage collection of its ``__del__``.

    dd's manager collects every dead node one by one in Python when it is deleted (and asserts none is
    still referenced): a quarter of the time on a 1,000-system model. Our managers live for one call and
    are dropped whole, so their tables can simply be freed with them.
    """
    if base not in _QUIET:
        _QUIET[base] = type("QuietBDD", (base,), {"__del__": lambda self: None})
    return _QUIET[base]


def _ancestors(structure: Structure, targets: Iterable[int]) -> set[int]:
    """The systems from which some arc path leads to one of ``targets`` (the targets included)."""
    pred: list[list[int]] = [[] for _ in structure.ids]
    for u, v, _f in structure.arcs:
        pred[v].append(u)
    seen = set(targets)
    stack = list(seen)
    while stack:
        v = stack.pop()
        for u in pred[v]:
            if u not in seen:
                seen.add(u)
                stack.append(u)
    return seen


def _compile(structure: Structure, max_nodes: int | None, targets: Iterable[int] | None = None,
             max_variables: int | None = None, bound: bool = True, hard_stop: bool = True) -> _Compiled:
    """Compile every system's reachability (or only what ``targets`` depend on) to diagrams.

    Raises ``_BudgetExceeded`` when dd's node table fills, wherever that happens: setting up the
    variables, entries and flows of a large model under a small ``max_nodes`` fills it before any
    system is compiled (grid43 at 100 nodes), and that must be bounded like any other overflow.
    Without ``hard_stop`` dd's table has no limit (the caller compiles nothing but the setup).
    """
    try:
        return _compile_checked(structure, max_nodes, targets, max_variables, bound, hard_stop)
    except RuntimeError as error:
        if not str(error).startswith("full"):  # dd's message when the table reaches its max_nodes
            raise
        raise _BudgetExceeded(str(error)) from error


def _compile_checked(structure: Structure, max_nodes: int | None, targets: Iterable[int] | None,
                     max_variables: int | None, bound: bool, hard_stop: bool) -> _Compiled:
    """The body of :func:`_compile` (dd's "full" error is turned into ``_BudgetExceeded`` there).

    A group of systems (a strongly connected component) whose reachability may depend on more than
    ``max_variables`` variables (those of every element upstream) is not compiled exactly: it gets a
    lower diagram *false* (the most likely path bounds it below) and small upper diagrams. Without
    ``bound`` (importance, which needs exact diagrams only) such systems get no diagrams at all: *false*
    both, marked not exact, at no cost.
    """
    targets = list(targets) if targets is not None else None  # read twice: ancestors, then the order
    import dd.autoref  # imported where used: it loads a parser and networkx (about 0.15 s)

    bdd = dd.autoref.BDD()
    bdd.configure(reordering=False)
    bdd._bdd.__class__ = _quiet_manager(type(bdd._bdd))
    budget = _TOTAL_NODES_FACTOR * max_nodes if max_nodes is not None else None
    soft: list[int | None] = [budget]
    if budget is not None and hard_stop:
        bdd._bdd.max_nodes = 2 * budget + 2  # dd's hard stop (node ids count from 2)

    def over_budget() -> None:
        if soft[0] is not None and len(bdd._bdd) > soft[0]:
            raise _OverBudget
    if structure.var_names:
        bdd.declare(*structure.var_names)
    var = [bdd.var(name) for name in structure.var_names]
    p_level = [0.0] * (len(structure.var_names) + 1)
    for k, name in enumerate(structure.var_names):
        p_level[bdd.level_of_var(name)] = structure.var_p[k]
    true, false = bdd.true, bdd.false
    gates = structure.flow_gates
    p_by_name = dict(zip(structure.var_names, structure.var_p))

    def conj(guard: tuple[int, ...] | None) -> Any:
        if guard is None:
            return false
        f = true
        for k in guard:
            f = f & var[k]
        return f

    enter = [conj(g) for g in structure.enter]
    passes = []
    for k, g in enumerate(structure.flow_guard):
        f = conj(g)
        if gates is not None:
            opened, gate = gates[k]
            f = var[opened] | (var[gate] & f)
        passes.append(f)
    foot = [false if k is None else (true if k == -1 else var[k]) for k in structure.foot]
    in_arcs = structure.in_arcs()
    n = len(structure.ids)
    wanted = _ancestors(structure, targets) if targets is not None else set(range(n))
    order_rank = _bfs_rank(structure)

    def shrink(u: Any, upward: bool, limit: int | None = None) -> tuple[Any, bool]:
        """``u`` or a bound of it (variables fixed) of at most ``max_nodes`` nodes; whether it changed."""
        cap = max_nodes if limit is None else limit
        if cap is None or len(u) <= cap:
            return u, False
        # lower bound: fix to false the least likely variables first; upper: to true the most likely first
        support = sorted(u.support, key=lambda name: (p_by_name[name], name), reverse=upward)
        step = 1
        while len(u) > cap and support:
            batch, support = support[:step], support[step:]
            u = bdd.let({name: upward for name in batch}, u)
            step *= 2
        return u, True

    shrunk_inside = [False]  # whether a bounded step_fn had to shrink on the way (then not exact)

    def step_fn(v: int, values: dict[int, Any], upward: bool | None = None, limit: int | None = None) -> Any:
        if v in structure.certain:
            return true
        acc = foot[v]
        for u, f in in_arcs[v]:
            r = values.get(u)
            if r is None or r == false:
                continue
            acc = acc | (r & passes[f])
            over_budget()
            # Bounded (``upward`` given): shrink as the disjunction grows, not only at the end. A hub many
            # systems flow into would otherwise build a diagram over thousands of variables, and dd's
            # recursive apply goes one Python frame per level (a RecursionError on the national model).
            # Fixing variables in the bound's direction keeps every step a certified bound (monotone).
            if upward is not None and len(acc) > 2 * _cap(limit):
                acc, did = shrink(acc, upward=upward, limit=limit)
                shrunk_inside[0] |= did
        return enter[v] & acc

    def _cap(limit: int | None) -> int:
        cap = max_nodes if limit is None else limit
        return cap if cap is not None else 1 << 62

    lo: dict[int, Any] = {}
    hi: dict[int, Any] = {}
    exact: dict[int, bool] = {}
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(wanted))
    graph.add_edges_from((u, v) for u, v, _f in structure.arcs if u in wanted and v in wanted)
    cond = nx.condensation(graph)
    members: dict[int, list[int]] = {c: sorted(cond.nodes[c]["members"], key=lambda i: order_rank[i])
                                     for c in cond.nodes}
    # Topological order, ties broken by the smallest breadth-first rank (deterministic).
    # Per system, the variables its own entry, foothold and incoming flows read, as a bit set.
    own = [0] * n
    for v in range(n):
        for k in (structure.enter[v] or ()):
            own[v] |= 1 << k
        if structure.foot[v] is not None and structure.foot[v] >= 0:
            own[v] |= 1 << structure.foot[v]
        for _u, f in in_arcs[v]:
            for k in (structure.flow_guard[f] or ()):
                own[v] |= 1 << k
    upstream: dict[int, int] = {}  # component -> the variables of everything upstream of it (itself included)
    full_nodes = max_nodes
    topo = list(nx.lexicographical_topological_sort(cond, key=lambda c: min(order_rank[i] for i in members[c])))
    for c in topo:
        acc = 0
        for v in members[c]:
            acc |= own[v]
        for d in cond.predecessors(c):
            acc |= upstream[d]
        upstream[c] = acc

    def compile_group(group: list[int], too_many: bool) -> None:
        nonlocal max_nodes
        cyclic = len(group) > 1
        preds_exact = all(exact[u] for v in group for u, _f in in_arcs[v] if u in exact and u not in group)
        # Bounded groups keep small upper diagrams: the bound is cheap, and exactness is out of reach anyway.
        max_nodes = min(full_nodes, _BOUND_NODES) if too_many and full_nodes is not None else (
            _BOUND_NODES if too_many else full_nodes)
        # Without ``bound`` only exact diagrams are kept, and a group after an inexact one cannot be exact:
        # no need to compile it (on a grid, every holder after the first too large for max_nodes).
        if not bound and (too_many or not preds_exact):
            for v in group:
                lo[v] = hi[v] = false
                exact[v] = False
            return
        # lower diagrams: a Kleene iteration from false (exact when nothing had to be shrunk)
        changed_any = too_many
        rounds = 0
        for v in group:
            lo[v] = false
        # A large cycle bounded from the start (a hub every part reaches) keeps lower diagrams false: a
        # sweep over it costs seconds in pure Python; its members' lower bound is the most likely path.
        while not (too_many and len(group) > _LOWER_MAX_CYCLE):
            moved = False
            for v in group:
                limit = _LOWER_NODES if too_many else None
                shrunk_inside[0] = False
                new, shrunk = shrink(step_fn(v, lo, upward=False, limit=limit), upward=False, limit=limit)
                changed_any |= shrunk | shrunk_inside[0]
                if new != lo[v]:
                    lo[v] = new
                    moved = True
            rounds += 1
            # Exact: a sweep adds at least one step to every path, so |group| + 1 sweeps reach the fixed
            # point. Once a diagram had to be shrunk the cycle is bounded, not computed: stop there (every
            # iterate is a certified lower bound, and more sweeps over large diagrams cost much for little).
            # A group bounded from the start gets _LOWER_SWEEPS sweeps of small diagrams.
            if not cyclic or not moved or rounds > (_LOWER_SWEEPS if too_many else len(group) + 1) or (
                    changed_any and not too_many):
                break
        if preds_exact and not changed_any:
            for v in group:
                hi[v] = lo[v]
                exact[v] = True
            return
        if not bound:
            for v in group:
                lo[v] = hi[v] = false
                exact[v] = False
            return
        # upper diagrams: from the predecessors' upper diagrams; inside a cycle, start from "the cycle
        # was entered and v's own entry passes" (above the fixed point) and iterate down from it
        if cyclic:
            outside = false
            for v in group:
                outside = outside | foot[v] | (true if v in structure.certain else false)
                for u, f in in_arcs[v]:
                    if u not in group and u in hi:
                        outside = outside | (hi[u] & passes[f])
                over_budget()
                if len(outside) > 2 * _cap(None):  # as in step_fn: keep the disjunction shallow
                    outside, _ = shrink(outside, upward=True)
            outside, _ = shrink(outside, upward=True)
            for v in group:
                hi[v], _ = shrink(true if v in structure.certain else enter[v] & outside, upward=True)
            if not changed_any:  # the cycle fitted, only its predecessors were bounded: one sweep down
                for v in group:
                    hi[v], _ = shrink(step_fn(v, hi, upward=True) & hi[v], upward=True)
        else:
            v = group[0]
            hi[v], _ = shrink(step_fn(v, hi, upward=True), upward=True)
        for v in group:
            exact[v] = lo[v] == hi[v]

    # An overall budget on dd's node table (dead nodes included: the table is what takes the memory). It is
    # checked between operations (``over_budget``): a group that runs out is bounded with small diagrams,
    # and so is every group after it, after one garbage collection. dd's own ``max_nodes`` stops a single
    # operation that would grow the table to twice the budget; the table is then left inconsistent by dd
    # (a node half added), so the caller drops it and bounds every system without diagrams.
    if targets is not None:
        # Targets one by one, those with the fewest upstream variables first (then by breadth-first rank),
        # each with what it depends on not yet compiled: under one node budget, the small targets are then
        # compiled before a large one exhausts it (in plain topological order the ancestors of every target
        # interleave, and the budget ran out before even the smallest target was reached). Still a
        # topological order: every component comes after all its ancestors.
        comp_of = cond.graph["mapping"]
        done: set[int] = set()
        ordered: list[int] = []
        position = {c: k for k, c in enumerate(topo)}
        for t in sorted({t for t in targets if t in comp_of},
                        key=lambda t: (upstream[comp_of[t]].bit_count(), order_rank[t])):
            need = (nx.ancestors(cond, comp_of[t]) | {comp_of[t]}) - done
            ordered.extend(sorted(need, key=position.__getitem__))
            done |= need
        topo = ordered
    exhausted = False
    for c in topo:
        group = members[c]
        too_many = exhausted or (max_variables is not None and upstream[c].bit_count() > max_variables)
        try:
            compile_group(group, too_many)
        except _OverBudget:
            if exhausted:
                raise _BudgetExceeded("the bounded diagrams ran out of the node budget too") from None
            exhausted = True
            soft[0] = None  # the bounded diagrams are small; dd's hard stop still applies
            bdd._bdd.collect_garbage()
            compile_group(group, True)
    return _Compiled(bdd, structure, lo, hi, exact, p_level)


def _bfs_rank(structure: Structure) -> list[int]:
    """Each system's rank in a breadth-first search from the footholds (unreached systems after)."""
    out = [len(structure.ids) + i for i in range(len(structure.ids))]
    succ: list[list[int]] = [[] for _ in structure.ids]
    for u, v, _f in structure.arcs:
        succ[u].append(v)
    starts = sorted(structure.certain) + [i for i, k in enumerate(structure.foot)
                                          if k is not None and i not in structure.certain]
    rank = 0
    seen: set[int] = set()
    queue = list(starts)
    head = 0
    for s in starts:
        seen.add(s)
    while head < len(queue):
        u = queue[head]
        head += 1
        out[u] = rank
        rank += 1
        for v in sorted(succ[u]):
            if v not in seen:
                seen.add(v)
                queue.append(v)
    return out


def _best_paths(structure: Structure) -> list[float]:
    """The probability of each system's most likely attack path, each element's variables counted on it.

    A path is passable when all the variables on it are true; counting a shared control once per element
    only lowers the product, so this is a lower bound of the path's probability and of the system's.
    """
    n = len(structure.ids)
    prob = [0.0] * n
    done = [False] * n
    enter = [structure.element_p(g) for g in structure.enter]
    heap: list[tuple[float, int]] = []
    for i in range(n):
        if i in structure.certain:
            heap.append((-1.0, i))
        elif structure.foot[i] is not None:
            k = structure.foot[i]
            p0 = (1.0 if k == -1 else structure.var_p[k]) * enter[i]
            if p0 > 0:
                heap.append((-p0, i))
    heapq.heapify(heap)
    succ: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for u, v, f in structure.arcs:
        succ[u].append((v, structure.element_p(structure.flow_guard[f]) * enter[v]))
    while heap:
        neg, v = heapq.heappop(heap)
        if done[v]:
            continue
        done[v] = True
        prob[v] = -neg
        for w, step in succ[v]:
            if not done[w] and step > 0:
                heapq.heappush(heap, (neg * step, w))
    return prob


def _numeric_upper(structure: Structure, sweeps: int = 200) -> np.ndarray:
    """A certified upper bound of every system's compromise probability, by numbers alone (no diagram).

    ``R_v = enter_v ∧ X_v`` with ``X_v = y_v ∨ ∨ (R_u ∧ pass_f)`` over the arcs ``u → v`` — where ``R_u``
    may be taken as "reached without passing ``v``" (a path into ``v`` needs no loop through ``v``), so
    ``X_v`` never reads ``v``'s entry nor the flows between ``u`` and ``v``. All these events increase with
    the variables, which are independent, so by the Harris (FKG) inequality
    ``P(∪ B_i) ≤ 1 − Π (1 − P(B_i))``; and an element whose controls guard nothing else (*private*) is
    independent of the rest: ``P(enter_v ∧ X_v) = P(enter_v) · P(X_v)``, else at most the smaller of the two
    (likewise for ``R_u ∧ pass_f``). So the probabilities ``P`` satisfy ``P ≤ Φ(P)`` for the monotone map
    ``Φ`` these give, hence lie below its greatest fixed point, and every iterate of ``Φ`` from 1 stays above
    it: each sweep is a certified bound, and they only go down.
    """
    n = len(structure.ids)
    uses = np.zeros(len(structure.var_names), dtype=np.int64)
    for guard in list(structure.enter) + list(structure.flow_guard):
        for k in guard or ():
            uses[k] += 1

    def private(guard: tuple[int, ...] | None) -> bool:
        return guard is None or all(uses[k] == 1 for k in guard)

    enter_p = np.array([structure.element_p(g) for g in structure.enter])
    enter_private = np.array([private(g) for g in structure.enter])
    foot_p = np.array([0.0 if k is None else (1.0 if k == -1 else structure.var_p[k]) for k in structure.foot])
    certain = np.zeros(n, dtype=bool)
    certain[list(structure.certain)] = True
    src = np.array([u for u, _v, _f in structure.arcs], dtype=np.intp)
    dst = np.array([v for _u, v, _f in structure.arcs], dtype=np.intp)
    pass_p = np.array([structure.element_p(structure.flow_guard[f]) for _u, _v, f in structure.arcs])
    pass_private = np.array([private(structure.flow_guard[f]) for _u, _v, f in structure.arcs], dtype=bool)
    upper = np.ones(n)
    with np.errstate(divide="ignore"):
        for _sweep in range(sweeps):
            reach = upper[src]
            term = np.where(pass_private, reach * pass_p, np.minimum(reach, pass_p)) if len(src) else reach
            miss = np.bincount(dst, weights=np.log1p(-np.clip(term, 0.0, 1.0)), minlength=n) if len(src) \
                else np.zeros(n)
            x = 1.0 - (1.0 - foot_p) * np.exp(miss)
            new = np.where(enter_private, enter_p * x, np.minimum(enter_p, x))
            new = np.where(certain, 1.0, np.minimum(new, upper))  # every iterate is a bound: keep the least
            if np.max(upper - new, initial=0.0) < 1e-15:
                upper = new
                break
            upper = new
    return upper


# ---------------------------------------------------------------------------------------------------
# the given facts


def _ids(value: Any, what: str) -> list[str]:
    """A list of ids from one id or an iterable of ids; anything else is refused, naming ``what``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise InvalidArgumentError(f"{what} must be an id or a list of ids (str), not {value!r}")
    items = list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise InvalidArgumentError(f"{what} must hold ids (str), not {bad[0]!r}")
    return items


def _resolve_given(model: Model, given: Any, what: str = "given") -> tuple[list[str], list[str]]:
    """(systems, controls) named by ``given`` (``what`` names the argument); unknown ids are refused."""
    if given is None:
        return [], []
    system_ids = set(model.systems["system_id"])
    control_ids = set(model.controls["control_id"])
    if isinstance(given, Mapping):
        unknown_keys = sorted(set(given) - {"systems", "controls"}, key=str)
        if unknown_keys:
            raise InvalidArgumentError(f"{what}: unknown key(s) {unknown_keys}; use 'systems' and 'controls'")
        systems = _ids(given.get("systems", ()), f"{what}['systems']")
        controls = _ids(given.get("controls", ()), f"{what}['controls']")
        for s in systems:
            if s not in system_ids:
                raise unknown_id("system", s, model.systems["system_id"])
        for c in controls:
            if c not in control_ids:
                raise unknown_id("control", c, model.controls["control_id"])
        return sorted(set(systems)), sorted(set(controls))
    systems, controls = [], []
    for item in _ids(given, what):
        if item in system_ids and item in control_ids:
            raise InvalidArgumentError(f"{what}: {item!r} is both a system and a control; "
                                       f"use {what}={{'systems': [...], 'controls': [...]}}")
        if item in system_ids:
            systems.append(item)
        elif item in control_ids:
            controls.append(item)
        else:
            raise unknown_id("system or control", item, sorted(system_ids | control_ids))
    return sorted(set(systems)), sorted(set(controls))


# ---------------------------------------------------------------------------------------------------
# the compromise probability


def compromise_probability(model: Model, given: Any = None, *, footholds: Any = None,
                           max_nodes: int | None = DEFAULT_MAX_NODES,
                           max_variables: int | None = DEFAULT_MAX_VARIABLES, trials: int = 0,
                           seed: int = 0) -> pd.DataFrame:
    """The probability that each system is compromised, exactly where feasible, with the method that gave it.

    Shared-variable semantics (see the module): one draw per implemented control, shared by all it
    applies to, one per foothold; a system is compromised when a foothold reaches it through passable
    flows into passable systems. Each system's reachability is compiled to a BDD and its probability read
    off exactly; a system whose diagram would exceed ``max_nodes`` gets certified bounds instead (and,
    with ``trials``, a Monte Carlo estimate with the same semantics).

    Parameters
    ----------
    model
        A loaded model.
    given
        What is known, or ``None``: an id or a list of ids — a system id (the system is **known
        compromised**: every probability is conditional on it, ``P(v | X) = P(v ∧ X) / P(X)``, so what
        its compromise implies — a shared control that failed, the systems on its only route — counts;
        its own probability is 1) or a control id (the control is **known failed**: its variable fixed to
        "does not hold", which for a root variable is the conditioning) — or a mapping
        ``{"systems": [...], "controls": [...]}`` when an id names both. Exact wherever the diagrams are;
        otherwise certified conditional bounds, and with ``trials`` the trials that reach every given
        system (their number in ``attrs["trials"]``).
    footholds
        Systems the attacker is **placed on** (an intervention, not an observation: an insider, a route
        outside the model), or ``None``: each is compromised with probability 1 whatever its controls, and
        nothing is inferred about the controls on the ways to it (in the issue's model ``footholds=["B"]``
        leaves C at 0.5 where ``given=["B"]`` gives 1).
    max_nodes
        Largest diagram (nodes) per system before it is bounded; also the node budget of the whole
        computation, ten times this over all diagrams (dd's node table, which is what takes memory and
        time): past it the remaining systems are bounded with small diagrams. ``None`` for no limit.
    max_variables
        Most variables upstream of a system (controls and footholds of every element an attack could
        pass on its way there) for an exact computation to be tried; above, it is bounded straight away.
        ``None`` for no limit.
    trials
        When above 0, the bounded systems are also estimated by a Monte Carlo of that many trials.
    seed
        Seed of that Monte Carlo.

    Returns
    -------
    DataFrame
        One row per system, by ``system_id`` (a fresh ``RangeIndex``); columns (dtype, unit)

        ``system_id`` (str)
            the system;
        ``probability`` (float64, probability per year, in [0, 1])
            the probability that it is compromised within a year: exact (``method`` ``exact``), else the
            Monte Carlo estimate with ``trials`` (the share of the trials that reach it, moved onto the
            nearest certified bound when it falls outside them), else NaN (``bounds`` without trials);
        ``method`` (str)
            one rule (docs/exposure.md §4b): ``exact`` when the certified bounds meet (``low == high``);
            ``sampled`` when the 95 % Wilson interval of the trials overlaps the certified bounds;
            ``bounds`` otherwise (no trials, or an interval that misses the bounds);
        ``low``, ``high`` (float64, probability per year)
            ``exact``: both equal ``probability``; ``sampled``: the Wilson interval intersected with the
            certified bounds; ``bounds``: the certified bounds. Always ``low <= probability <= high``;
        ``variables`` (int64, count)
            how many random variables the system's probability depends on (of its exact or upper diagram);
        ``bdd_nodes`` (int64, count)
            the nodes of its diagram (the upper one when bounded).

        ``attrs``: ``given`` (``{"systems": [...], "controls": [...]}`` as applied), ``footholds``,
        ``trials`` (the trials the intervals count: with ``given`` systems, only those reaching them all;
        0 when nothing was sampled) and ``diagrams`` (False when the node budget or Python's stack ran out
        and every system was bounded without diagrams).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.model.errors.UnknownIdError
        When ``given`` names an id that is neither a system nor a control of the model.
    pia_analysis.util.errors.InvalidArgumentError
        When ``max_nodes`` or ``max_variables`` is not a whole number of at least 1 (or None), ``trials``
        or ``seed`` not a whole number of at least 0, ``given`` or ``footholds`` not ids (or an id naming a
        system and a control alike), ``footholds`` names a control, or the ``given`` systems cannot be
        compromised together (probability 0: the condition is impossible).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, compromise_probability, load_model
    >>> model = load_model(bundled_model_path())
    >>> table = compromise_probability(model).set_index("system_id")
    >>> round(float(table.loc["STORE_KIOSK", "probability"]), 4), table.loc["STORE_KIOSK", "method"]
    (0.3001, 'exact')
    >>> float(compromise_probability(model, given=["VENDOR_TERM"]).set_index("system_id")
    ...       .loc["VENDOR_TERM", "probability"])
    1.0
    >>> float(compromise_probability(model, footholds=["VENDOR_TERM"]).set_index("system_id")
    ...       .loc["VENDOR_TERM", "probability"])
    1.0
    """
    require_model(model, "compromise_probability")
    _check_limits(max_nodes, max_variables)
    check_count("trials", trials, 0)
    check_count("seed", seed, 0)
    systems, controls = _resolve_given(model, given)
    held, held_controls = _resolve_given(model, footholds, "footholds")
    if held_controls:
        raise InvalidArgumentError(f"footholds names systems, not controls ({held_controls}); a control known "
                                   "failed goes in given")
    structure = build_structure(model, compromised=held, failed=controls)
    cond = [structure.pos[x] for x in systems]
    n = len(structure.ids)
    prob = np.full(n, np.nan)
    method = ["exact"] * n
    variables = np.zeros(n, dtype=np.int64)
    nodes = np.zeros(n, dtype=np.int64)
    with gc_paused():
        try:
            compiled: _Compiled | None = _compile(structure, max_nodes, max_variables=max_variables)
        except (RecursionError, _BudgetExceeded):
            # dd's apply recurses once per variable level; should a diagram still grow deeper than Python's
            # stack allows, or the node budget run out even for small bounded diagrams, no system gets a
            # diagram: every one is bounded by its most likely path and the numeric upper bound (sampled
            # with ``trials``), labelled so, never a crash. The recursion limit is left as it is: raising it
            # risks overflowing the C stack.
            compiled = None
        paths = _best_paths(structure)
        numeric = _numeric_upper(structure) if compiled is None or not all(compiled.exact.values()) else None
        low = np.array(paths, dtype=float)
        high = np.maximum(low, numeric) if numeric is not None else low.copy()
        memo: dict[int, float] = {}
        if compiled is not None:
            for i in range(n):
                lo_f, hi_f = compiled.lo[i], compiled.hi[i]
                variables[i] = len(hi_f.support)
                nodes[i] = len(hi_f)
                if compiled.exact[i]:
                    low[i] = high[i] = compiled.probability(lo_f, memo)
                else:
                    low[i] = max(compiled.probability(lo_f, memo), paths[i])
                    high[i] = max(low[i], min(compiled.probability(hi_f, memo), float(numeric[i])))
        if cond:
            low, high = _conditional_bounds(compiled, [structure.ids[x] for x in cond], cond, low, high, memo)
    # The one rule (docs/exposure.md §4b): certified bounds that meet are the exact value; otherwise the
    # Monte Carlo's 95 % interval is cut to the certified bounds where the two overlap (``sampled``), and
    # where they do not, the certified bounds stand (``bounds``); the estimate always lies inside.
    certain = low == high
    for i in range(n):
        if certain[i]:
            prob[i] = low[i]
        else:
            method[i] = "bounds"
    used = trials
    if trials and not certain.all():
        counts, used = _sample(structure, trials, seed, cond)
        if used:
            w_low, w_high = wilson_interval(counts, used)
            for i in range(n):
                if certain[i]:
                    continue
                lo_i, hi_i = max(w_low[i], low[i]), min(w_high[i], high[i])
                if lo_i <= hi_i:
                    method[i], low[i], high[i] = "sampled", lo_i, hi_i
                # A sample mean outside the certified bounds is a value the system cannot have: it is moved
                # onto the nearest bound, which only brings it closer to the truth.
                prob[i] = min(max(counts[i] / used, low[i]), high[i])
    out = pd.DataFrame({"system_id": structure.ids, "probability": prob, "method": method, "low": low,
                        "high": high, "variables": variables, "bdd_nodes": nodes}, columns=COMPROMISE_COLUMNS)
    out.attrs["given"] = {"systems": systems, "controls": controls}
    out.attrs["footholds"] = held
    out.attrs["diagrams"] = compiled is not None  # False: too deep or too large for dd, every system bounded
    out.attrs["trials"] = int(used) if trials and not certain.all() else 0
    return out


def _conditional_bounds(compiled: _Compiled | None, names: list[str], cond: list[int], low: np.ndarray,
                        high: np.ndarray, memo: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of P(v | every system of ``cond`` reached) from the unconditional diagrams and bounds.

    With ``C = ⋀ R_x``: ``P(v | C) = P(R_v ∧ C) / P(C)``, exact from the conjunction of exact diagrams.
    Otherwise the lower diagrams lie below the functions and the upper ones above (both monotone), so
    ``P(lo_v ∧ lo_C) / P(hi_C) ≤ P(v | C) ≤ P(hi_v ∧ hi_C) / P(lo_C)``; and the events being increasing in
    independent variables, ``P(R_v ∧ C) ≥ P(R_v) P(C)`` (Harris), so ``P(v | C) ≥ P(v)``: the unconditional
    lower bound stays one. Without diagrams only that, and 1 above, are certain.
    """
    n = len(low)
    c_high = min(float(high[x]) for x in cond)
    if compiled is not None:
        bdd = compiled.bdd
        c_lo, c_hi = bdd.true, bdd.true
        for x in cond:
            c_lo, c_hi = c_lo & compiled.lo[x], c_hi & compiled.hi[x]
        pc_lo = compiled.probability(c_lo, memo)
        pc_hi = min(compiled.probability(c_hi, memo), c_high)
    else:
        pc_lo, pc_hi = 0.0, c_high
    if pc_hi <= 0.0:
        raise InvalidArgumentError(
            "given: the condition is impossible in this model: no foothold can reach "
            f"{' and '.join(names)} together "
            "(probability 0); use footholds= to place the attacker there instead")
    new_low, new_high = low.copy(), np.ones(n)
    for v in range(n):
        if v in cond:
            new_low[v] = new_high[v] = 1.0
            continue
        if compiled is None:
            continue
        j_lo = compiled.probability(compiled.lo[v] & c_lo, memo)
        if compiled.exact[v] and pc_lo == pc_hi and compiled.lo[v] == compiled.hi[v] and c_lo == c_hi:
            new_low[v] = new_high[v] = j_lo / pc_lo
            continue
        j_hi = compiled.probability(compiled.hi[v] & c_hi, memo)
        new_low[v] = max(low[v], j_lo / pc_hi)
        new_high[v] = max(new_low[v], min(1.0, j_hi / pc_lo)) if pc_lo > 0 else 1.0
    return new_low, new_high


def _sample(structure: Structure, trials: int, seed: int, cond: list[int]) -> tuple[np.ndarray, int]:
    """Per system, the trials that reach it among those that reach every system of ``cond``; their number."""
    counts = np.zeros(len(structure.ids), dtype=np.int64)
    used = 0
    for hit, size in reach_chunks(structure, trials, seed):
        if cond:
            keep = np.bitwise_and.reduce(hit[cond], axis=0)
            used += int(np.bitwise_count(keep).sum())
            hit = hit & keep
        else:
            used += size
        counts += np.bitwise_count(hit).sum(axis=1, dtype=np.int64)
    return counts, used


# ---------------------------------------------------------------------------------------------------
# importance and what to fix first


@dataclass
class _Holders:
    """The My Number holders' diagrams with every control a variable and every flow gated."""

    compiled: _Compiled
    holders: list[int]  # exact holders, by index
    inexact: list[str]  # holders too large to compile exactly (left out)
    records: dict[int, int]
    all_ids: list[str]  # every My Number holder, exact or not


def _holder_diagrams(model: Model, max_nodes: int | None, max_variables: int | None) -> _Holders:
    # the plan and the importance table of one analyse() run compile the same diagrams: once (shared_nets);
    # the plan only restricts them (new roots), never changes the roots the table reads
    return shared_value(model, f"holder_diagrams:{max_nodes}:{max_variables}",
                        lambda: _compile_holders(model, max_nodes, max_variables))


def _compile_holders(model: Model, max_nodes: int | None, max_variables: int | None) -> _Holders:
    structure = build_structure(model, keep_all=True)
    ids = my_number_holders(model)
    targets = [structure.pos[s] for s in ids]
    with gc_paused():
        try:
            compiled = _compile(structure, max_nodes, targets=targets, max_variables=max_variables, bound=False)
        except (RecursionError, _BudgetExceeded):  # as in compromise_probability: no holder exact, all left out
            # nothing compiled but the setup (variables, entries, flows: linear in the model), so without
            # dd's hard stop, which a small max_nodes makes smaller than the setup itself
            compiled = _compile(structure, max_nodes, targets=[], max_variables=max_variables, bound=False,
                                hard_stop=False)
    exact = [h for h in targets if compiled.exact.get(h)]
    people = model.my_number_people
    return _Holders(compiled, exact, [structure.ids[h] for h in targets if h not in exact],
                    {h: int(people.get(structure.ids[h], 0)) for h in exact}, [structure.ids[h] for h in targets])


def _importance_rows(h: _Holders, roots: dict[int, Any]) -> dict[int, list[tuple[int, float, float]]]:
    """Per level (variable): ``(holder, P, ∂P/∂p)`` for every exact holder (roots possibly restricted)."""
    c = h.compiled
    memo: dict[int, float] = {}
    out: dict[int, list[tuple[int, float, float]]] = {}
    for holder in h.holders:
        total, deriv = _derivatives(c.bdd, c.p_level, roots[holder].node, memo)
        for level in range(len(c.p_level) - 1):
            out.setdefault(level, []).append((holder, total, deriv.get(level, 0.0)))
    return out


def _check_limits(max_nodes: int | None, max_variables: int | None) -> None:
    check_count("max_nodes", max_nodes, 1, none=True)
    check_count("max_variables", max_variables, 1, none=True)


def _importance_table(model: Model, kind: str, max_nodes: int | None, max_variables: int | None,
                      by_holder: bool) -> pd.DataFrame:
    h = _holder_diagrams(model, max_nodes, max_variables)
    c = h.compiled
    bdd, structure = c.bdd, c.structure
    rows_by_level = _importance_rows(h, {x: c.lo[x] for x in h.holders})
    level_of = {name: bdd.level_of_var(name) for name in structure.var_names}
    controls = model.controls.set_index("control_id")
    rows = []
    if kind == "control":
        items = sorted(structure.control_vars)
    else:
        items = [structure.flow_ids[k] for k in sorted(structure.flow_gates or {})]
    for item in items:
        if kind == "control":
            level = level_of["control:" + item]
            p = structure.var_p[structure.var_names.index("control:" + item)]
            per = [(x, total, d, p * d) for x, total, d in rows_by_level.get(level, [])]
        else:
            o = rows_by_level.get(level_of["open:" + item], [])
            g = rows_by_level.get(level_of["gate:" + item], [])
            # open (p = 0): P(open) − P(as is); gate (p = 1): P(as is) − P(blocked) = the fall from blocking
            per = [(x, total, do + dg, dg) for (x, total, do), (_x, _t, dg) in zip(o, g)]
        for x, total, birnbaum, fall in per:
            rows.append((item, structure.ids[x], total, birnbaum, fall * h.records[x], h.records[x]))
    key = "control_id" if kind == "control" else "flow_id"
    long = pd.DataFrame(rows, columns=[key, "holder", "probability", "birnbaum", "records_fall", "records"])
    long = long.astype({"probability": "float64", "birnbaum": "float64", "records_fall": "float64",
                        "records": "int64"})
    if by_holder:
        out = long.sort_values([key, "holder"], kind="stable").reset_index(drop=True)
    else:
        long["weighted"] = long["birnbaum"] * long["records"]
        grouped = long.groupby(key, sort=True)
        out = pd.DataFrame({
            key: items,
            "birnbaum_sum": [float(grouped.get_group(i)["birnbaum"].sum()) if i in grouped.groups else 0.0
                             for i in items],
            "birnbaum_max": [float(grouped.get_group(i)["birnbaum"].max()) if i in grouped.groups else 0.0
                             for i in items],
            "birnbaum_weighted": [float(grouped.get_group(i)["weighted"].sum()) if i in grouped.groups else 0.0
                                  for i in items],
            "records_fall": [float(grouped.get_group(i)["records_fall"].sum()) if i in grouped.groups else 0.0
                             for i in items],
        })
        if kind == "control":
            out.insert(1, "status", [controls.at[i, "status"] for i in items])
            out.insert(2, "effectiveness", [float(controls.at[i, "effectiveness"]) for i in items])
        out = out.sort_values(["records_fall", "birnbaum_weighted"], ascending=False, kind="stable")
        out = out.reset_index(drop=True)
    out.attrs["inexact_holders"] = h.inexact
    out.attrs["holders"] = h.all_ids
    return out


def control_importance(model: Model, *, by_holder: bool = False, max_nodes: int | None = DEFAULT_MAX_NODES,
                       max_variables: int | None = DEFAULT_MAX_VARIABLES) -> pd.DataFrame:
    """How much each control matters to the My Number holders: Birnbaum importance and the records it could save.

    For a control ``c`` and a holder ``h``, the Birnbaum importance is ``P(h compromised | c fails) −
    P(h compromised | c holds)``, exact on the holder's diagram (one pass gives every control's). The
    fall in expected records if ``c`` were made fully effective (``e = 1``, and implemented) is
    ``(1 − e) · Birnbaum`` times the holder's records (the largest My Number file it holds). Every control
    naming a flow or system with an effectiveness above 0 is scored, planned and missing ones included
    (for them ``e`` counts as 0: implementing them fully is the fall shown); ``*`` controls name no
    element, and controls of effectiveness 0 are stated to stop no attack (organisational measures), so
    both are left out.

    Parameters
    ----------
    model
        A loaded model.
    by_holder
        One row per control and holder instead of one per control.
    max_nodes, max_variables
        As in :func:`compromise_probability`; holders that cannot be compiled exactly within them are
        left out of every figure and listed in ``attrs["inexact_holders"]`` (``attrs["holders"]``: all
        My Number holders), so a reading can say the figures are incomplete.

    Returns
    -------
    DataFrame
        One row per control (a fresh ``RangeIndex``), largest ``records_fall`` first (then
        ``birnbaum_weighted``, then ``control_id``): ``control_id``, ``status``, ``effectiveness``,
        ``birnbaum_sum`` and ``birnbaum_max`` (probability per year, over the holders),
        ``birnbaum_weighted`` (records per year: Σ records × Birnbaum), ``records_fall`` (records per year:
        the fall in expected records at stake if the control were fully effective). With ``by_holder``:
        ``control_id, holder, probability`` (the holder's compromise probability), ``birnbaum``,
        ``records_fall``, ``records``, by control then holder.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        When ``max_nodes`` or ``max_variables`` is not a whole number of at least 1 (or None).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, control_importance, load_model
    >>> table = control_importance(load_model(bundled_model_path()))
    >>> table.iloc[0]["control_id"], bool(table.iloc[0]["records_fall"] > 0)
    ('C-STAFF-AUTH', True)
    """
    require_model(model, "control_importance")
    _check_limits(max_nodes, max_variables)
    return _importance_table(model, "control", max_nodes, max_variables, by_holder)


def flow_importance(model: Model, *, by_holder: bool = False, max_nodes: int | None = DEFAULT_MAX_NODES,
                    max_variables: int | None = DEFAULT_MAX_VARIABLES) -> pd.DataFrame:
    """How much each flow matters to the My Number holders: Birnbaum importance and the fall from blocking it.

    For a flow ``f`` and a holder ``h``, the Birnbaum importance is ``P(h compromised | f passable) −
    P(h compromised | f blocked)`` (passable: whatever the controls on the flow; the controls still act
    on the other elements they apply to), and the fall in expected records from blocking ``f`` is
    ``(P − P(h | f blocked))`` times the holder's records. Exact on each holder's diagram, where each flow
    is ``open ∨ (gate ∧ its controls fail)`` with ``open`` false and ``gate`` true (see
    :func:`~pia_analysis.analysis.attack_graph.build_structure`).

    Parameters
    ----------
    model
        A loaded model.
    by_holder
        One row per flow and holder instead of one per flow.
    max_nodes, max_variables
        As in :func:`compromise_probability`; holders beyond them are left out of every figure and listed
        in ``attrs["inexact_holders"]`` (``attrs["holders"]``: all My Number holders).

    Returns
    -------
    DataFrame
        One row per flow (a fresh ``RangeIndex``), largest ``records_fall`` first: ``flow_id``,
        ``birnbaum_sum``, ``birnbaum_max``, ``birnbaum_weighted`` and ``records_fall`` as in
        :func:`control_importance` (``records_fall``: from blocking the flow). With ``by_holder``:
        ``flow_id, holder, probability, birnbaum, records_fall, records``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        When ``max_nodes`` or ``max_variables`` is not a whole number of at least 1 (or None).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, flow_importance, load_model
    >>> table = flow_importance(load_model(bundled_model_path()))
    >>> bool(table.iloc[0]["records_fall"] > 0), bool((table["birnbaum_max"] <= 1).all())
    (True, True)
    """
    require_model(model, "flow_importance")
    _check_limits(max_nodes, max_variables)
    return _importance_table(model, "flow", max_nodes, max_variables, by_holder)


def fix_first(model: Model, k: int = 5, *, max_nodes: int | None = DEFAULT_MAX_NODES,
              max_variables: int | None = DEFAULT_MAX_VARIABLES) -> pd.DataFrame:
    """A greedy plan of ``k`` fixes, each lowering the expected My Number records at stake most.

    Each step takes the control to make fully effective, or the flow to block, that lowers the expected
    records most given the steps before.

    Expected records at stake: Σ over the holders (exactly compiled) of P(compromised) × records of its
    largest My Number file (the same residents in several holders count once per holder). A control made
    fully effective has its variable fixed to "holds" (restriction of the diagrams); a blocked flow its
    gate fixed to closed. Each step's fall is ``p · ∂E/∂p`` of the candidate (exact: the probability is
    multilinear), and the cumulative figures are recomputed from the restricted diagrams. Ties go to
    controls before flows, then ids. Beside it, the minimum cut (:func:`~pia_analysis.min_cut`) says which
    flows cut every path; this plan says which fixes lower the expectation most.

    Parameters
    ----------
    model
        A loaded model.
    k
        How many steps (fewer when nothing more lowers the expectation).
    max_nodes, max_variables
        As in :func:`compromise_probability`; holders beyond them are left out (``attrs["inexact_holders"]``).

    Returns
    -------
    DataFrame
        One row per step (a fresh ``RangeIndex``): ``step`` (1, 2, …), ``kind`` (``control`` or ``flow``),
        ``id``, ``fall`` (records per year: the fall this step gives), ``cumulative_fall``,
        ``expected_records`` (after the step), ``in_min_cut`` (a flow in the minimum cut). ``attrs``:
        ``expected_records_before``, ``min_cut`` (its flows), ``inexact_holders`` (the My Number holders
        left out of every figure: not computable exactly within the limits) and ``holders`` (all of them).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        When ``k``, ``max_nodes`` or ``max_variables`` is not a whole number of at least 1 (``max_nodes``
        and ``max_variables`` may be None).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, fix_first, load_model
    >>> plan = fix_first(load_model(bundled_model_path()), k=3)
    >>> plan["step"].tolist(), bool(plan["cumulative_fall"].is_monotonic_increasing)
    ([1, 2, 3], True)
    """
    from .hardening import min_cut

    require_model(model, "fix_first")
    check_count("k", k, 1)
    _check_limits(max_nodes, max_variables)
    h = _holder_diagrams(model, max_nodes, max_variables)
    c = h.compiled
    bdd, structure = c.bdd, c.structure
    roots = {x: c.lo[x] for x in h.holders}
    names = structure.var_names
    candidates: list[tuple[str, str, str, bool]] = []  # (kind, id, variable, value it is fixed to)
    for cid in sorted(structure.control_vars):
        candidates.append(("control", cid, "control:" + cid, False))
    for f in sorted(structure.flow_gates or {}):
        candidates.append(("flow", structure.flow_ids[f], "gate:" + structure.flow_ids[f], False))
    level_of = {name: bdd.level_of_var(name) for name in names}
    p_of = dict(zip(names, structure.var_p))

    def expected(current: dict[int, Any]) -> float:
        memo: dict[int, float] = {}
        return float(sum(c.probability(current[x], memo) * h.records[x] for x in h.holders))

    before = expected(roots)
    cut = set(min_cut(model).flows)
    current = dict(roots)
    total = before
    rows = []
    chosen: set[str] = set()
    for step in range(1, k + 1):
        rows_by_level = _importance_rows(h, current)
        best: tuple[float, int, str, str, str] | None = None
        for order, (kind, item, name, _value) in enumerate(candidates):
            if name in chosen:
                continue
            fall = sum(p_of[name] * d * h.records[x] for x, _t, d in rows_by_level.get(level_of[name], []))
            if fall > 1e-12 * max(1.0, total) and (best is None or fall > best[0]):
                best = (fall, order, kind, item, name)
        if best is None:
            break
        _fall, _order, kind, item, name = best
        chosen.add(name)
        current = {x: bdd.let({name: False}, current[x]) for x in h.holders}
        after = expected(current)
        rows.append((step, kind, item, total - after, before - after, after, kind == "flow" and item in cut))
        total = after
    out = pd.DataFrame(rows, columns=["step", "kind", "id", "fall", "cumulative_fall", "expected_records",
                                      "in_min_cut"])
    out = out.astype({"step": "int64", "fall": "float64", "cumulative_fall": "float64",
                      "expected_records": "float64", "in_min_cut": "bool"})
    out.attrs["expected_records_before"] = before
    out.attrs["min_cut"] = sorted(cut)
    out.attrs["inexact_holders"] = h.inexact
    out.attrs["holders"] = h.all_ids
    return out
