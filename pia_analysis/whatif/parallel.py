"""Many cities in parallel: one city workspace per task, over processes by default or on a Dask cluster.

The Commission, a prefecture or a vendor looks at many cities at once (``docs/city.md``, "Many cities").
:func:`run_cities` runs one task per city workspace — by default :func:`city_summary`, one row per affair — and
concatenates the tables in the order the cities were given:

* ``workers=1``: in this process, one city after the other (no pool: the simplest to debug);
* ``workers=None`` or ``N``: a pool of ``N`` processes (``os.cpu_count()`` by default), started with ``spawn``;
* ``scheduler="local"``: a Dask ``LocalCluster`` of ``workers`` processes on this machine;
* ``scheduler="tcp://host:port"``: an existing Dask cluster (its workers must have pia-analysis installed).

The results are identical bit for bit whatever the backend and the number of workers: every random draw is
seeded per affair (:func:`~pia_analysis.util.seeds.affair_seed` of the run's seed, the body and the affair id),
never per worker; a task keeps no state between cities; and the analyses use no floating-point reduction whose
order depends on threads (the Monte Carlo counts bits, the exposure multiplies along one path), so the number of
BLAS threads does not matter.

A city that cannot be analysed (a broken workspace, an error in the task) does not stop the others: every
failure is collected, with the city's path and its located problems, and :class:`CityRunError` lists them all
at the end (carrying the tables of the cities that succeeded).
"""

from __future__ import annotations

__all__ = ["MAX_TRIALS", "SUMMARY_COLUMNS", "CityRunError", "city_summary", "run_cities"]

import datetime as dt
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.coverage import stage_coverage
from ..analysis.exposure import node_exposure
from ..analysis.judgments import required_assessment, review_schedule
from ..analysis.simulation import simulate_compromise
from ..formats.workspace import load_workspace
from ..model.errors import ModelError
from ..util.errors import InvalidArgumentError, PiaError
from ..util.files import remove_scratch_dir, scratch_dir
from ..util.seeds import affair_seed

#: The columns of :func:`city_summary`, in order.
SUMMARY_COLUMNS = ["workspace", "organisation", "affair_id", "affair_name", "form_required", "form_required_ja",
                   "rerun_due", "holder_id", "holder_name_ja", "holder_exposure", "holder_records",
                   "weakest_stage", "weakest_stage_ja", "weakest_coverage", "compromise_probability",
                   "compromise_ci_low", "compromise_ci_high", "trials", "seed"]

#: Monte Carlo trials per affair at most: ten million bound the 95 % interval within ±0.0004 of any probability,
#: and a run beyond that would take hours per affair (the attack trial's --trials 1e20 never ended).
MAX_TRIALS = 10_000_000

#: The extra that brings Dask (pyproject.toml's optional dependencies).
DASK_EXTRA = "dask"


@dataclass(frozen=True)
class CityFailure:
    """One city that could not be analysed: its path as given and its problems, one line each."""

    city: str
    problems: tuple[str, ...]

    def __str__(self) -> str:
        """The city's path, then its problems indented."""
        return "\n".join([f"{self.city}:"] + [f"  {p}" for p in self.problems])


class CityRunError(PiaError):
    """Some cities of a run could not be analysed.

    ``failures`` lists each (:class:`CityFailure`: ``city``, ``problems``) in the order the cities were given;
    ``results`` is the concatenated table of the cities that succeeded (in their order).
    """

    def __init__(self, failures: list[CityFailure], results: pd.DataFrame):
        self.failures = list(failures)
        self.results = results
        lines = "\n".join(str(f) for f in self.failures)
        super().__init__(f"{len(self.failures)} of the cities could not be analysed:\n{lines}")


# ---------------------------------------------------------------------------------------------------
# the default task


def city_summary(path: str | os.PathLike[str], *, trials: int = 100_000, seed: int = 0,
                 today: dt.date | None = None) -> pd.DataFrame:
    """One row per affair of a city workspace: the form required, the most exposed holder and its Monte Carlo.

    The workspace is loaded (:func:`~pia_analysis.formats.workspace.load_workspace`) and each affair's model,
    with its part of the shared part, analysed on its own: the required assessment
    (:func:`~pia_analysis.analysis.judgments.required_assessment`), the 5-year re-run date
    (:func:`~pia_analysis.analysis.judgments.review_schedule`), the most exposed system holding My Numbers
    (:func:`~pia_analysis.analysis.exposure.node_exposure`: exposure desc, then id), the in-scope stage of
    lowest coverage (:func:`~pia_analysis.analysis.coverage.stage_coverage`: the earlier stage on a tie) and the
    Monte Carlo probability that this holder is compromised
    (:func:`~pia_analysis.analysis.simulation.simulate_compromise`) with the affair's own seed
    ``affair_seed(seed, organisation, affair_id)``, so the row does not depend on which worker ran it.

    Parameters
    ----------
    path
        A city workspace (the folder holding ``city.yaml``).
    trials
        Monte Carlo trials per affair, at most :data:`MAX_TRIALS`; 0 skips the simulation (the probability
        columns are NaN).
    seed
        The run's seed (a non-negative integer).
    today
        The day the re-run date is judged on (by default the system's date).

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS`, one row per affair in ``city.yaml``'s order: ``workspace`` (the path as
        given), ``organisation``, ``affair_id``, ``affair_name``, ``form_required`` (``none/basic/focused/full``)
        and ``form_required_ja``, ``rerun_due`` (ISO date), ``holder_id``, ``holder_name_ja``,
        ``holder_exposure`` (probability per year), ``holder_records`` (the largest My Number file it holds),
        ``weakest_stage``, ``weakest_stage_ja``, ``weakest_coverage`` (ratio), ``compromise_probability``,
        ``compromise_ci_low``, ``compromise_ci_high`` (probability per year, 95 % Wilson interval), ``trials``
        and ``seed`` (the affair's seed). An affair with no My Number holder has an empty holder and NaN numbers.

    Raises
    ------
    pia_analysis.model.errors.ModelError
        When the workspace is not valid (every problem, located).
    pia_analysis.util.errors.InvalidArgumentError
        When ``trials`` or ``seed`` is not a non-negative integer, or ``trials`` exceeds :data:`MAX_TRIALS`.

    Examples
    --------
    >>> from pia_analysis.whatif.parallel import city_summary
    >>> table = city_summary("tests/workspaces/good", trials=1_000, seed=0)
    >>> table[["affair_id", "holder_id", "form_required"]].values.tolist()
    [['juki', 'ATENA', 'basic'], ['zei', 'TAX', 'basic']]
    """
    for name, value in (("trials", trials), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{name} must be a non-negative integer, not {value!r}")
    if trials > MAX_TRIALS:
        raise InvalidArgumentError(f"trials must be at most {MAX_TRIALS:,}, not {trials:,}")
    ws = load_workspace(path)
    rows: list[dict[str, Any]] = []
    for affair_id, name in ws.affairs[["affair_id", "name"]].itertuples(index=False):
        model = ws.models[affair_id]
        judgment = required_assessment(model)
        affair = affair_seed(seed, ws.organisation, affair_id)
        row: dict[str, Any] = {
            "workspace": str(path), "organisation": ws.organisation, "affair_id": affair_id, "affair_name": name,
            "form_required": judgment.code, "form_required_ja": judgment.label_ja,
            "rerun_due": review_schedule(model, today).rerun_due.isoformat(),
            "holder_id": "", "holder_name_ja": "", "holder_exposure": float("nan"), "holder_records": 0,
            "weakest_stage": "", "weakest_stage_ja": "", "weakest_coverage": float("nan"),
            "compromise_probability": float("nan"), "compromise_ci_low": float("nan"),
            "compromise_ci_high": float("nan"), "trials": trials, "seed": affair}
        exposure = node_exposure(model)
        holders = exposure.loc[exposure["holds_my_number"]]
        if len(holders):  # node_exposure sorts by exposure (descending) then id: the first is the most exposed
            top = holders.iloc[0]
            row.update(holder_id=top["system_id"], holder_name_ja=top["name_ja"],
                       holder_exposure=float(top["exposure"]),
                       holder_records=int(model.my_number_people.get(top["system_id"], 0)))
            if trials:
                sim = simulate_compromise(model, trials=trials, seed=affair).set_index("system_id")
                row.update(compromise_probability=float(sim.at[top["system_id"], "probability"]),
                           compromise_ci_low=float(sim.at[top["system_id"], "ci_low"]),
                           compromise_ci_high=float(sim.at[top["system_id"], "ci_high"]))
        coverage = stage_coverage(model)
        scoped = coverage.loc[coverage["in_scope"]].sort_values(["coverage", "stage_no"], kind="stable")
        if len(scoped):
            weakest = scoped.iloc[0]
            row.update(weakest_stage=weakest["stage"], weakest_stage_ja=weakest["name_ja"],
                       weakest_coverage=float(weakest["coverage"]))
        rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS).astype({"holder_records": "int64", "trials": "int64",
                                                                "seed": "int64"})


# ---------------------------------------------------------------------------------------------------
# the runner


def _run_one(task: Callable[..., pd.DataFrame], city: str, kwargs: dict[str, Any]
             ) -> tuple[pd.DataFrame | None, tuple[str, ...]]:
    """Run ``task`` on one city; its table, or its problems as lines (never an exception: the others go on).

    Module-level so that a process pool and Dask can pickle it.
    """
    try:
        frame = task(city, **kwargs)
    except ModelError as exc:  # a broken workspace: its located problems
        return None, tuple(str(p) for p in exc.problems)
    except PiaError as exc:  # a refused argument, a missing file …: the toolkit's own words
        return None, (str(exc),)
    except Exception as exc:  # noqa: BLE001 - a bug in a task must not stop the other cities
        return None, (f"{type(exc).__name__}: {exc}",)
    if not isinstance(frame, pd.DataFrame):
        return None, (f"the task returned {type(frame).__name__}, not a DataFrame",)
    return frame, ()


#: Seconds to wait for a Dask scheduler to answer before giving up (Dask's own default is 30 s).
CONNECT_TIMEOUT = 10


def _dask_client(scheduler: str, workers: int | None, scratch: str):
    """A Dask client (and the local cluster it owns, or None) for ``scheduler``; a bad address in one line.

    A local cluster's workers spill into ``scratch`` (a temporary folder the run removes), not into
    ``/tmp/dask-scratch-space``, which Dask would leave behind.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise InvalidArgumentError(
            f"--scheduler needs Dask, which is not installed ({exc.name or 'dask'}): install the '{DASK_EXTRA}' "
            f"extra: pip install 'pia-analysis[{DASK_EXTRA}]'") from None
    if scheduler == "local":
        # processes, one thread each: the tasks are pure Python and numpy, and a thread per worker keeps the
        # number of workers the number of cities analysed at once; no dashboard (no port to find, no bokeh);
        # the cluster's own logs only when something is wrong with it (a task's failure comes back as a row)
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, local_directory=scratch, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT), None
    except ValueError as exc:  # 'tcp://' (no port), 'http://h:1' (a scheme Dask does not speak)
        raise InvalidArgumentError(f"--scheduler {scheduler!r} is not a Dask scheduler's address ({exc}); give "
                                   "tcp://host:port or local") from None
    except (OSError, TimeoutError) as exc:  # nothing answers there within CONNECT_TIMEOUT seconds
        raise InvalidArgumentError(f"--scheduler {scheduler}: no Dask scheduler answered within {CONNECT_TIMEOUT} s "
                                   f"({type(exc).__name__}); start one there (dask scheduler) or use --scheduler "
                                   "local") from None


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Silence Dask's and asyncio's loggers while an interrupted run closes its cluster.

    Ctrl-C cancels the tasks in flight, and Dask then logs each cancelled future and each worker it kills with
    a traceback; the run is being stopped on purpose, so the command's own "interrupted" is the one line.
    """
    loggers = [logging.getLogger(name) for name in ("distributed", "asyncio", "tornado")]
    saved = [(lg, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, disabled in saved:
            lg.disabled = disabled


def _run_dask(task: Callable[..., pd.DataFrame], paths: list[str], task_kwargs: dict[str, Any],
              scheduler: str, workers: int | None) -> list[tuple[pd.DataFrame | None, tuple[str, ...]]]:
    """The outcomes on a Dask cluster; the cluster closed and its scratch folder removed, even on Ctrl-C."""
    scratch = str(scratch_dir("pia-dask-"))
    client = cluster = None
    try:
        client, cluster = _dask_client(scheduler, workers, scratch)
        # pure=False: two cities given twice are two tasks, and nothing is taken from a cache of earlier runs
        futures = client.map(_run_one, [task] * len(paths), paths, [task_kwargs] * len(paths), pure=False)
        return client.gather(futures)  # in the order of the futures, i.e. of the cities
    except BaseException:
        with _quiet_dask():  # an interrupted run (or a failed one): close without Dask's tracebacks
            _close(client, cluster)
            client = cluster = None
        raise
    finally:
        _close(client, cluster)
        remove_scratch_dir(scratch)


def _close(client, cluster) -> None:
    for thing in (client, cluster):
        if thing is not None:
            try:
                thing.close()
            except Exception:  # noqa: BLE001 - closing a cluster that is going away must not hide why it went
                pass


def _check_arguments(workers: int | None, scheduler: str | None) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InvalidArgumentError(f"--workers must be 1 or more, not {workers!r}")
    if scheduler is not None and (not isinstance(scheduler, str)
                                  or not (scheduler == "local" or "://" in scheduler)):
        raise InvalidArgumentError(f"scheduler must be 'local' or a Dask scheduler's address (tcp://host:port), "
                                   f"not {scheduler!r}")


def run_cities(task: Callable[..., pd.DataFrame], cities: Iterable[str | os.PathLike[str]], *,
               workers: int | None = None, scheduler: str | None = None, **task_kwargs: Any) -> pd.DataFrame:
    """Run ``task`` on every city workspace, in parallel, and concatenate the tables in the cities' order.

    One task per city: ``task(city, **task_kwargs)`` returns a DataFrame. Without ``scheduler``, ``workers=1``
    runs them in this process one after the other, and otherwise a pool of ``workers`` processes
    (``os.cpu_count()`` when None) runs them. The pool starts its processes with ``spawn``: a forked child
    would inherit this process's threads' state (BLAS and Dask threads, locks held mid-call), which can hang
    it, and ``spawn`` behaves the same on Linux, macOS and Windows; starting a process costs about a second
    (importing pandas), small beside a portfolio. With ``scheduler="local"`` a Dask ``LocalCluster`` of
    ``workers`` processes runs them; with ``scheduler="tcp://host:port"`` the Dask cluster at that address.

    The tables come back in the order of ``cities`` (not the order they finish), so the result is identical
    bit for bit whatever the backend and the number of workers, as long as ``task`` is deterministic for a
    city (:func:`city_summary` is: each affair's seed is its own).

    Parameters
    ----------
    task
        A module-level function (processes and Dask pickle it by name) taking a city workspace's path and
        ``task_kwargs`` and returning a DataFrame, e.g. :func:`city_summary`.
    cities
        The workspaces' paths, in the order of the result.
    workers
        Processes (or Dask workers with ``scheduler="local"``); None: ``os.cpu_count()``; 1 without a
        scheduler: in this process, no pool. Ignored with a ``tcp://`` scheduler (the cluster has its own).
    scheduler
        None (processes on this machine), ``"local"`` (a Dask LocalCluster, its scratch space in a temporary
        folder removed at the end, even when interrupted) or a Dask scheduler's address.
    **task_kwargs
        Passed to ``task`` for every city (``trials=…, seed=…``).

    Returns
    -------
    DataFrame
        The cities' tables concatenated in the order of ``cities`` (a fresh ``RangeIndex``); an empty
        DataFrame for no city.

    Raises
    ------
    CityRunError
        When one or more cities failed: ``failures`` lists each with its path and its problems (a broken
        workspace's located problems), ``results`` holds the other cities' tables. Every city is tried.
    pia_analysis.util.errors.InvalidArgumentError
        When ``workers`` or ``scheduler`` is not valid, a scheduler is given and Dask is not installed (the
        message names the ``dask`` extra), or no Dask scheduler answers at the address within
        :data:`CONNECT_TIMEOUT` seconds.

    Examples
    --------
    >>> from pia_analysis.whatif.parallel import city_summary, run_cities
    >>> one = run_cities(city_summary, ["tests/workspaces/good"], workers=1, trials=1_000)
    >>> two = run_cities(city_summary, ["tests/workspaces/good"] * 2, workers=1, trials=1_000)
    >>> len(one), len(two), two.iloc[2:].reset_index(drop=True).equals(one)
    (2, 4, True)
    """
    _check_arguments(workers, scheduler)
    paths = [str(c) if isinstance(c, Path) else os.fspath(c) for c in cities]
    if not paths:
        return pd.DataFrame()
    outcomes: list[tuple[pd.DataFrame | None, tuple[str, ...]]]
    if scheduler is not None:
        outcomes = _run_dask(task, paths, task_kwargs, scheduler, workers)
    elif workers == 1:
        outcomes = [_run_one(task, city, task_kwargs) for city in paths]
    else:
        size = min(workers or os.cpu_count() or 1, len(paths))
        with ProcessPoolExecutor(max_workers=size, mp_context=multiprocessing.get_context("spawn")) as pool:
            # map yields in the order of the inputs, whatever finishes first
            outcomes = list(pool.map(_run_one, repeat(task), paths, repeat(task_kwargs)))
    frames = [frame for frame, _ in outcomes if frame is not None]
    results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    failures = [CityFailure(city, problems) for city, (frame, problems) in zip(paths, outcomes) if frame is None]
    if failures:
        raise CityRunError(failures, results)
    return results
