"""Monte Carlo estimate of the probability that each system is compromised, by any attack path.

:func:`pia_analysis.analysis.exposure.node_exposure` follows the single most likely path; a system reached by
several paths is more likely to fall than that. :func:`simulate_compromise` draws the random variables of
the attack graph (:class:`pia_analysis.analysis.attack_graph.Structure`: one draw per control, shared by
every flow and system it applies to, and one per foothold), trial after trial, and counts the systems
compromised; :func:`wilson_interval` gives the 95 % interval of each estimate. The exact probability is
:func:`pia_analysis.analysis.compromise.compromise_probability`, which uses the same semantics.

Until issue 17 every arc and every system entry was drawn on its own, so a control guarding two flows
counted as two independent controls; now it is one. When every control applies to one element the two
semantics agree (one draw per element either way); between the same two systems every flow is now a way
through, not only the easiest one.
"""

from __future__ import annotations

__all__ = ["LOSS_COLUMNS", "loss_exceedance", "simulate_compromise", "wilson_interval"]

import numbers
from collections.abc import Iterator
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from .attack_graph import Structure, build_structure

SIMULATION_COLUMNS = ["system_id", "probability", "ci_low", "ci_high", "trials"]

_Z95 = NormalDist().inv_cdf(0.975)
_MAX_CHUNK = 2048  # default Monte Carlo chunk at most (trials)


def check_count(name: str, value: object, minimum: int, *, none: bool = False) -> None:
    """Refuse anything but a whole number (not a bool, not NaN, not a string) of at least ``minimum``.

    A bare comparison would raise a TypeError for ``'5'`` and let NaN through (``nan < 1`` is false), which
    silently changed what ``max_nodes=nan`` or ``max_variables=nan`` did; the documented error names the
    argument and what it takes instead.
    """
    if value is None and none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "a whole number, or None" if none else "a whole number"
        raise InvalidArgumentError(f"{name} must be at least {minimum} ({kind}), not {value!r}")


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

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        If ``trials`` is not a whole number of at least 1.

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference", Journal of the
    American Statistical Association 22 (1927), 209–212.

    Examples
    --------
    >>> import numpy as np
    >>> from pia_analysis import wilson_interval
    >>> low, high = wilson_interval(np.array([0, 50]), 100)
    >>> low.round(4).tolist(), high.round(4).tolist()
    ([0.0, 0.4038], [0.037, 0.5962])
    """
    if isinstance(trials, numbers.Integral) and not isinstance(trials, bool) and trials < 1:
        raise InvalidArgumentError(f"trials must be positive, not {trials}")
    check_count("trials", trials, 1)
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


class _Guards:
    """Conjunctions of variables (systems' entries, then flows) laid flat for one ``reduceat`` per chunk."""

    def __init__(self, guards: list[tuple[int, ...] | None]) -> None:
        self.count = len(guards)
        self.blocked = np.array([g is None for g in guards], dtype=bool)
        with_vars = [(i, g) for i, g in enumerate(guards) if g]
        self.rows = np.array([i for i, _g in with_vars], dtype=np.intp)
        self.flat = np.array([k for _i, g in with_vars for k in g], dtype=np.intp)
        sizes = np.array([len(g) for _i, g in with_vars], dtype=np.intp)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp) if len(sizes) else sizes


def _conj_rows(guards: _Guards, bits: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per element, the trials in which all its variables are true (``valid`` for none, 0 when blocked)."""
    out = np.broadcast_to(valid, (guards.count, len(valid))).copy()
    out[guards.blocked] = 0
    if len(guards.rows):
        out[guards.rows] &= np.bitwise_and.reduceat(bits[guards.flat], guards.starts, axis=0)
    return out


def sample_reach(structure: Structure, trials: int, seed: int = 0, chunk: int | None = None) -> np.ndarray:
    """How many of ``trials`` trials compromise each system of ``structure`` (shared-variable semantics).

    Each trial draws every variable once (control fails, foothold succeeds); an element is passable in
    the trials where all its variables are true. Trials are bit-packed 64 to a machine word and spread
    through the graph with numpy, a round of arcs at a time until nothing changes (there is no Python
    loop per trial). The same seed and trials give the same counts whatever ``chunk``.
    """
    counts = np.zeros(len(structure.ids), dtype=np.int64)
    for hit, _size in reach_chunks(structure, trials, seed, chunk):
        counts += np.bitwise_count(hit).sum(axis=1, dtype=np.int64)
    return counts


def reach_chunks(structure: Structure, trials: int, seed: int = 0, chunk: int | None = None
                  ) -> Iterator[tuple[np.ndarray, int]]:
    """The trials of :func:`sample_reach`, chunk by chunk, as ``(hit, size)``.

    ``hit[i]`` holds the packed trials
    (64 to a ``uint64``, bit ``t % 64`` of word ``t // 64``, padding 0) in which system ``i`` is reached.

    Kept per trial so that what is reached *together* (the records lost in one year) can be added up
    trial by trial (:func:`loss_exceedance`), not only counted per system.
    """
    n = len(structure.ids)
    var_p = np.array(structure.var_p, dtype=float)
    # Only probabilities strictly between 0 and 1 are drawn; the rest are certain either way.
    drawn_vars = np.flatnonzero((var_p > 0.0) & (var_p < 1.0))
    probs = var_p[drawn_vars]
    # Every arc, in (target, source, flow) order, so that one reduceat ORs together everything arriving.
    keys = sorted((v, u, f) for u, v, f in structure.arcs)
    dst = np.array([k[0] for k in keys], dtype=np.intp)
    src = np.array([k[1] for k in keys], dtype=np.intp)
    arc_flow = np.array([k[2] for k in keys], dtype=np.intp)
    guards = _Guards(list(structure.enter) + list(structure.flow_guard))
    starts = [i for i in range(n) if i in structure.certain or structure.foot[i] is not None]
    if chunk is None:
        rows = len(structure.var_names) + 2 * n + len(keys) + len(structure.flow_ids)
        # About 16 MB of packed words per array, at most 2,048 trials: memory stays near 100 MB whatever
        # the trials, and smaller chunks stay in cache.
        words = max(1, (16 * 2**20) // (8 * max(rows, 1)))
        chunk = max(64, min(_MAX_CHUNK, words * 64))
    chunk = min(chunk, trials)
    rng = np.random.default_rng(seed)
    for start in range(0, trials, chunk):
        size = min(chunk, trials - start)
        words = (size + 63) // 64
        # 1 for the trials of this chunk, 0 for the padding, in the same bit layout as the draws
        valid = np.packbits(np.arange(words * 64) < size, bitorder="little").view(np.uint64)
        bits = np.zeros((len(var_p), words), dtype=np.uint64)
        bits[var_p >= 1.0] = valid
        bits[drawn_vars] = _draw_packed(rng, probs, size, words, block_bytes=48 * 2**20)

        elements = _conj_rows(guards, bits, valid)
        enter = elements[:n]
        arc_open = elements[n:][arc_flow]
        if len(keys):
            arc_open &= enter[dst]  # passing the flow and entering its target, combined once
        hit = np.zeros((n, words), dtype=np.uint64)
        for i in starts:
            if i in structure.certain:
                hit[i] = valid
            else:
                k = structure.foot[i]
                hit[i] = (valid if k == -1 else bits[k]) & enter[i]
        changed = np.zeros(n, dtype=bool)
        changed[starts] = True
        # Fixed point: push new compromises along the arcs leaving systems that changed in the last round.
        while len(keys):
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
        yield hit, size


def simulate_compromise(model: Model, trials: int = 100_000, seed: int = 0, chunk: int | None = None
                        ) -> pd.DataFrame:
    """Monte Carlo estimate of the probability that each system is compromised, by any attack path.

    Each trial draws every random variable of the attack graph once: each implemented control holds with
    its effectiveness — **one draw shared by every flow and system it applies to** (issue 17; before, each
    element drew on its own) — and each entry point gives a foothold with its ``entry_likelihood``. A flow
    or a system entry is passable when none of the controls applying to it holds. A system is compromised
    when a foothold reaches it through passable flows into passable systems (interactive flows both
    ways, every flow between two systems a way through). This is the union over all paths, so it is at
    least the exposure of :func:`node_exposure` (the single most likely path), up to sampling error, and
    it estimates the exact :func:`~pia_analysis.analysis.compromise.compromise_probability`.

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
        One row per system, sorted by ``system_id`` (a fresh ``RangeIndex``); columns (dtype, unit)

        ``system_id`` (str)
            the system;
        ``probability`` (float64, probability per year, in [0, 1])
            the share of trials in which the system was compromised within a year (the entry likelihoods
            are per year); 0 for a system no entry point reaches;
        ``ci_low``, ``ci_high`` (float64, probability per year, in [0, 1])
            the 95 % Wilson score interval of ``probability``;
        ``trials`` (int64, count)
            the number of trials.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        If ``trials`` or ``chunk`` is not a whole number of at least 1 (``chunk`` may be None).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, simulate_compromise
    >>> sim = simulate_compromise(load_model(bundled_model_path()), trials=20_000, seed=1)
    >>> sim = sim.set_index("system_id")
    >>> round(float(sim.loc["STORE_KIOSK", "probability"]), 2)  # the kiosk's own foothold, 0.3
    0.3
    >>> bool(sim.loc["JUKI_REC", "ci_low"] > 0.025)  # several routes add up beyond the best one (0.025)
    True
    """
    require_model(model, "simulate_compromise")
    check_count("trials", trials, 1)
    check_count("chunk", chunk, 1, none=True)
    return _monte_carlo(model, trials, seed, chunk, losses=False)[0]


def simulate_with_losses(model: Model, trials: int = 100_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`simulate_compromise` and :func:`loss_exceedance` of the same trials, in one pass (the pipeline's)."""
    require_model(model, "simulate_with_losses")
    check_count("trials", trials, 1)
    sim, curve = _monte_carlo(model, trials, seed, None, losses=True)
    assert curve is not None
    return sim, curve


LOSS_COLUMNS = ["records", "probability", "low", "high", "trials"]


def _file_holders(model: Model, structure: Structure) -> tuple[np.ndarray, list[np.ndarray]]:
    """The records of each My Number file with a known record count, and the systems (indices) holding it."""
    files = model.files
    mask = files["contains_my_number"].astype(bool) & files["records"].notna()
    records = {str(f): int(r) for f, r in zip(files.loc[mask, "file_id"], files.loc[mask, "records"])}
    holders: dict[str, list[int]] = {f: [] for f in sorted(records)}
    for sid, holds in zip(model.systems["system_id"], model.systems["holds"]):
        for f in holds or []:
            if f in holders:
                holders[f].append(structure.pos[sid])
    kept = [f for f in holders if holders[f] and records[f] > 0]
    return (np.array([records[f] for f in kept], dtype=np.int64),
            [np.array(sorted(set(holders[f])), dtype=np.intp) for f in kept])


def loss_exceedance(model: Model, trials: int = 100_000, seed: int = 0, chunk: int | None = None
                    ) -> pd.DataFrame:
    """The loss-exceedance curve: the probability that an attacker reaches the records of at least ``x`` people.

    The Monte Carlo of :func:`simulate_compromise` (same trials for the same seed: shared controls, one
    draw each), taken **trial by trial**: in each trial (a year), the people reached are the records of the
    **largest** My Number file held by at least one compromised system. The files of one affair hold the
    same residents (the resident register, its backup, the copy in the 統合宛名 system), so reaching two of
    them reaches the same people, not their sum: the count is what the model's ``my_number_people`` says a
    holder puts at stake, and never more than the largest file (a city's residents). Where different files
    hold different people (several affairs of a city), it is a lower bound of the people reached. Then
    ``P(people ≥ x)`` is the share of trials whose count is at least ``x``. Taking each trial as a whole, not
    summing per-system quantiles or expectations, keeps what falls together together (a shared control
    failing opens several systems at once).
    Files without a record count are left out (their records are unknown).

    Parameters
    ----------
    model
        A loaded model.
    trials
        Number of trials.
    seed
        Seed of the Monte Carlo (as :func:`simulate_compromise`).
    chunk
        Trials simulated together (bounds memory; the result does not depend on it).

    Returns
    -------
    DataFrame
        One row per distinct positive yearly loss seen in the trials, by increasing ``records`` (a fresh
        ``RangeIndex``; empty when no trial reaches a My Number file); columns (dtype, unit)

        ``records`` (int64, people)
            the threshold ``x``: the people (records of the largest My Number file) some trial reached;
        ``probability`` (float64, probability per year)
            the share of trials reaching at least ``x`` people;
        ``low``, ``high`` (float64, probability per year)
            its 95 % Wilson interval;
        ``trials`` (int64, count)
            the number of trials.

        ``attrs["expected_records"]`` is the mean people reached per trial.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        If ``trials`` or ``chunk`` is not a whole number of at least 1 (``chunk`` may be None).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, loss_exceedance
    >>> curve = loss_exceedance(load_model(bundled_model_path()), trials=20_000, seed=1)
    >>> bool(curve["probability"].is_monotonic_decreasing), bool((curve["low"] <= curve["high"]).all())
    (True, True)
    >>> int(curve["records"].iloc[-1])  # the resident register's people, however many of its files are reached
    932000
    """
    require_model(model, "loss_exceedance")
    check_count("trials", trials, 1)
    check_count("chunk", chunk, 1, none=True)
    return _monte_carlo(model, trials, seed, chunk, losses=True)[1]


def _monte_carlo(model: Model, trials: int, seed: int, chunk: int | None, losses: bool
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """:func:`simulate_compromise` and, with ``losses``, :func:`loss_exceedance` from the same trials."""
    structure = build_structure(model)
    n = len(structure.ids)
    counts = np.zeros(n, dtype=np.int64)
    records, holders = _file_holders(model, structure) if losses else (np.zeros(0, dtype=np.int64), [])
    lost = np.zeros(trials if losses else 0, dtype=np.int64)
    done = 0
    for hit, size in reach_chunks(structure, trials, seed, chunk):
        counts += np.bitwise_count(hit).sum(axis=1, dtype=np.int64)
        if losses and len(records):
            # A file is reached in the trials where any of its holders is: OR the packed rows, then unpack.
            reached = np.stack([np.bitwise_or.reduce(hit[h], axis=0) for h in holders])
            bits = np.unpackbits(reached.view(np.uint8), axis=1, count=size, bitorder="little")
            # People, not records: the files of one affair hold the same residents, so a year reaches the
            # people of the largest file reached (docs/exposure.md §4d) — never more than the model's largest.
            lost[done:done + size] = (records[:, None] * bits).max(axis=0)
        done += size
    low, high = wilson_interval(counts, trials)
    sim = pd.DataFrame({
        "system_id": structure.ids,
        "probability": counts / trials,
        "ci_low": low,
        "ci_high": high,
        "trials": np.full(n, trials, dtype=np.int64),
    }, columns=SIMULATION_COLUMNS)
    return sim, (_exceedance(lost, trials) if losses else None)


def _exceedance(losses: np.ndarray, trials: int) -> pd.DataFrame:
    """The exceedance table of per-trial losses (see :func:`loss_exceedance`)."""
    values, counts = np.unique(losses, return_counts=True)
    at_least = trials - np.concatenate([[0], np.cumsum(counts)[:-1]])  # trials losing ≥ each value
    keep = values > 0
    low, high = wilson_interval(at_least[keep], trials)
    out = pd.DataFrame({"records": values[keep].astype(np.int64), "probability": at_least[keep] / trials,
                        "low": np.asarray(low, dtype=float), "high": np.asarray(high, dtype=float),
                        "trials": np.full(int(keep.sum()), trials, dtype=np.int64)}, columns=LOSS_COLUMNS)
    out.attrs["expected_records"] = float(losses.mean()) if len(losses) else 0.0
    out.attrs["trials"] = trials
    return out
