"""The one pipeline: every analysis of a model run once, the results handed to whoever needs them.

:func:`analyse` runs the analyses of :data:`ANALYSES` (all of them, or the ones asked for) on one model and
returns an :class:`Analysis`. The briefing pack, the comparison of two models (scenarios and the explorer)
and the version history all read their results from it, so an analysis is computed in one place, once per
model, and the analyses of one model share one attack graph
(:func:`~pia_analysis.analysis.attack_graph.shared_nets`).
"""

from __future__ import annotations

__all__ = ["ANALYSES", "Analysis", "MONTE_CARLO_SEED", "MONTE_CARLO_TRIALS", "analyse", "with_planned_implemented"]

import dataclasses
import datetime as dt
from collections.abc import Iterable

import pandas as pd

from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from . import compromise, coverage, exposure, findings, hardening, judgments, simulation
from .attack_graph import shared_nets, unreachable_pairs
from .findings.engine import shared_contexts

#: Monte Carlo trials and seed of the briefing's compromise simulation (the same model gives the same pack).
MONTE_CARLO_TRIALS = 20_000
MONTE_CARLO_SEED = 0
#: Above this many systems :func:`analyse` does not compile diagrams (pure-Python BDDs of a model of the whole
#: country cost minutes, and every system there is bounded anyway): the compromise table is the Monte Carlo's
#: estimate with its 95 % interval, labelled ``sampled``.
COMPROMISE_MAX_SYSTEMS = 2_000
#: Steps of the briefing's "what to fix first" plan (:func:`~pia_analysis.analysis.compromise.fix_first`).
FIX_FIRST_STEPS = 5
#: The analyses :func:`analyse` can run, by the name its ``only`` parameter takes, and what each fills in:
#:
#: * ``exposure`` — :attr:`Analysis.exposure`;
#: * ``compromise`` — :attr:`Analysis.compromise` (exact where feasible; bounded systems sampled; above
#:   :data:`COMPROMISE_MAX_SYSTEMS` systems the Monte Carlo's estimate);
#: * ``simulation`` — :attr:`Analysis.simulation` (the Monte Carlo) and :attr:`Analysis.loss_exceedance`;
#: * ``hardening`` — :attr:`Analysis.hardening` and :attr:`Analysis.min_cut`;
#: * ``fix_first`` — :attr:`Analysis.fix_first` (the greedy plan) and :attr:`Analysis.control_importance`
#:   (up to :data:`COMPROMISE_MAX_SYSTEMS` systems: both read exact diagrams of the My Number holders);
#: * ``stage_coverage`` — :attr:`Analysis.stage_coverage` alone;
#: * ``coverage`` — the four coverage tables (stage and risk coverage, the matrix, the rating check);
#: * ``findings`` — :attr:`Analysis.findings`; ``findings_after`` — the findings once planned controls are in;
#: * ``judgments`` — the threshold judgment, the review schedule and the Section III table;
#: * ``unreachable`` — the entry points that reach no city-run My Number holder.
ANALYSES = ("exposure", "compromise", "simulation", "hardening", "fix_first", "stage_coverage", "coverage",
            "findings", "findings_after", "judgments", "unreachable")


@dataclasses.dataclass
class Analysis:
    """The results of the analyses of one model, computed once by :func:`analyse`.

    A result whose analysis was not asked for (see :data:`ANALYSES`) is ``None``; ``parts`` names those
    that were run.

    Attributes
    ----------
    model : Model
        The model analysed.
    parts : frozenset of str
        The analyses run (names of :data:`ANALYSES`).
    exposure : DataFrame
        :func:`~pia_analysis.analysis.exposure.node_exposure`.
    compromise : DataFrame
        :func:`~pia_analysis.analysis.compromise.compromise_probability` (bounded systems estimated with
        ``trials`` and ``seed``: ``method`` says which measure each value is).
    simulation : DataFrame
        :func:`~pia_analysis.analysis.simulation.simulate_compromise` (``trials`` and ``seed`` of :func:`analyse`).
    loss_exceedance : DataFrame
        :func:`~pia_analysis.analysis.simulation.loss_exceedance` of the same trials (with the simulation).
    hardening : DataFrame
        :func:`~pia_analysis.analysis.hardening.hardening_candidates`.
    min_cut : list of str
        The flows of the minimum cut (``in_min_cut`` of the hardening table), sorted.
    fix_first : DataFrame
        :func:`~pia_analysis.analysis.compromise.fix_first` (five steps): what to fix first, with the
        cumulative fall of the expected My Number records at stake; ``None`` above
        :data:`COMPROMISE_MAX_SYSTEMS` systems.
    control_importance : DataFrame
        :func:`~pia_analysis.analysis.compromise.control_importance` (Birnbaum importance and records fall of
        each control); ``None`` above :data:`COMPROMISE_MAX_SYSTEMS` systems.
    stage_coverage, risk_coverage, coverage_matrix, rating_check : DataFrame
        :func:`~pia_analysis.analysis.coverage.coverage_tables` (``stage_coverage`` alone with the part of
        that name).
    findings : DataFrame
        :func:`~pia_analysis.analysis.findings.find_findings` (open and mitigated findings).
    findings_after : DataFrame
        The findings of :func:`with_planned_implemented`: once the planned controls are implemented.
    threshold : ThresholdJudgment
        :func:`~pia_analysis.analysis.judgments.required_assessment`.
    schedule : ReviewSchedule
        :func:`~pia_analysis.analysis.judgments.review_schedule` on ``today``.
    section3 : DataFrame
        :func:`~pia_analysis.analysis.judgments.section3_table`.
    triage_as_of : datetime.date
        The day the analyst's decisions were judged on (``today``, else today's date).
    unreachable : DataFrame
        ``entry_point, holder``: for the entry points that reach no city-run system holding My Numbers at
        all (whatever the probabilities), each such holder.
    """

    model: Model
    parts: frozenset[str] = frozenset(ANALYSES)
    exposure: pd.DataFrame | None = None
    compromise: pd.DataFrame | None = None
    simulation: pd.DataFrame | None = None
    loss_exceedance: pd.DataFrame | None = None
    hardening: pd.DataFrame | None = None
    min_cut: list[str] | None = None
    fix_first: pd.DataFrame | None = None
    control_importance: pd.DataFrame | None = None
    stage_coverage: pd.DataFrame | None = None
    risk_coverage: pd.DataFrame | None = None
    coverage_matrix: pd.DataFrame | None = None
    rating_check: pd.DataFrame | None = None
    findings: pd.DataFrame | None = None
    findings_after: pd.DataFrame | None = None  # the findings once the planned controls are implemented
    threshold: judgments.ThresholdJudgment | None = None
    schedule: judgments.ReviewSchedule | None = None
    section3: pd.DataFrame | None = None
    unreachable: pd.DataFrame | None = None
    triage_as_of: dt.date | None = None  # the day the analyst's decisions were judged on (findings' review dates)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name, in the order of the briefing's ``tables.xlsx`` (those analysed).

        The coverage matrix has its risk ids as a column (``reset_index``); the review schedule is
        :meth:`~pia_analysis.analysis.judgments.ReviewSchedule.as_frame`.
        """
        out = {
            "exposure": self.exposure,
            "monte_carlo": self.simulation,
            "loss_exceedance": self.loss_exceedance,
            "hardening": self.hardening,
            "fix_first": self.fix_first,
            "control_importance": self.control_importance,
            "stage_coverage": self.stage_coverage,
            "risk_coverage": self.risk_coverage,
            "coverage_matrix": None if self.coverage_matrix is None else self.coverage_matrix.reset_index(),
            "rating_check": self.rating_check,
            "findings": self.findings,
            "section3": self.section3,
            "review_schedule": None if self.schedule is None else self.schedule.as_frame(),
        }
        return {name: frame for name, frame in out.items() if frame is not None}


def analyse(model: Model, today: dt.date | None = None, trials: int = MONTE_CARLO_TRIALS,
            seed: int = MONTE_CARLO_SEED, only: Iterable[str] | None = None) -> Analysis:
    """Run the analyses of ``model``, each once.

    Parameters
    ----------
    model
        A loaded model.
    today
        The day that decides whether reviews are overdue (default: the model's ``assessed_on``, so that
        the same model always gives the same results), and the day the analyst's decisions on findings
        (``triage.csv``) are judged on (default: today's date, docs/triage.md; give it for a reproducible
        result when the model has decisions).
    trials, seed
        Monte Carlo trials and seed of the compromise simulation.
    only
        The analyses to run, by the names of :data:`ANALYSES` (default: every one). The others are left
        ``None``: the comparison of two models needs only the exposure, the stage coverage and the
        findings, and no Monte Carlo.

    Returns
    -------
    Analysis
        The results, one field per analysis (``None`` for one not in ``only``):

        ``model`` (Model), ``parts`` (frozenset of str)
            the model analysed and the analyses run;
        ``exposure`` (DataFrame)
            :func:`~pia_analysis.analysis.exposure.node_exposure`: per system, ``exposure`` a probability
            per year (float64 in [0, 1]);
        ``compromise`` (DataFrame)
            :func:`~pia_analysis.analysis.compromise.compromise_probability` with ``trials`` and ``seed``:
            per system, ``probability``, ``low``, ``high`` per year (float64), ``method`` (str);
        ``simulation`` (DataFrame)
            :func:`~pia_analysis.analysis.simulation.simulate_compromise` with ``trials`` and ``seed``:
            per system, ``probability``, ``ci_low``, ``ci_high`` per year (float64);
        ``loss_exceedance`` (DataFrame)
            :func:`~pia_analysis.analysis.simulation.loss_exceedance` of the same trials: ``records`` (int64, people),
            ``probability``, ``low``, ``high`` per year (float64);
        ``hardening`` (DataFrame), ``min_cut`` (list of str)
            :func:`~pia_analysis.analysis.hardening.hardening_candidates` and the flows of its minimum cut;
        ``fix_first``, ``control_importance`` (DataFrame)
            :func:`~pia_analysis.analysis.compromise.fix_first` (:data:`FIX_FIRST_STEPS` steps; ``fall``,
            ``cumulative_fall``, ``expected_records`` in records a year — per holder the probability × the
            people of its largest My Number file) and
            :func:`~pia_analysis.analysis.compromise.control_importance`; ``None`` above
            :data:`COMPROMISE_MAX_SYSTEMS` systems;
        ``stage_coverage``, ``risk_coverage``, ``coverage_matrix``, ``rating_check`` (DataFrame)
            :func:`~pia_analysis.analysis.coverage.coverage_tables`: coverage ratios (float64 in [0, 1]);
        ``findings``, ``findings_after`` (DataFrame)
            :func:`~pia_analysis.analysis.findings.find_findings` of the model and of
            :func:`with_planned_implemented`, the analyst's decisions judged on ``triage_as_of``
            (:class:`datetime.date`);
        ``threshold`` (ThresholdJudgment), ``schedule`` (ReviewSchedule), ``section3`` (DataFrame)
            :func:`~pia_analysis.analysis.judgments.required_assessment`,
            :func:`~pia_analysis.analysis.judgments.review_schedule` on ``today`` and
            :func:`~pia_analysis.analysis.judgments.section3_table`;
        ``unreachable`` (DataFrame)
            ``entry_point, holder`` (str): the city-run My Number holders an entry point cannot reach at all.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        When ``only`` names an analysis not in :data:`ANALYSES`.

    Examples
    --------
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> a = analyse(load_model(bundled_model_path()), trials=2000)
    >>> a.threshold.code, a.min_cut
    ('full', ['F01', 'F03', 'F11', 'F14', 'F19', 'F20'])
    >>> quick = analyse(load_model(bundled_model_path()), only=("exposure", "stage_coverage"))
    >>> quick.simulation is None, len(quick.stage_coverage)
    (True, 6)
    """
    require_model(model, "analyse")
    parts = frozenset(ANALYSES if only is None else only)
    unknown = sorted(parts - set(ANALYSES))
    if unknown:
        raise InvalidArgumentError(f"unknown analyses: {', '.join(unknown)} (use some of {', '.join(ANALYSES)})")
    # The analyst's decisions are judged on the day asked for, else on today's date (docs/triage.md): a
    # decision past its review date must reappear in a briefing written today, whatever assessed_on says.
    out = Analysis(model=model, parts=parts, triage_as_of=today or dt.date.today())
    # Each result is computed once and handed to what needs it (the findings and the Section III table read
    # the rating check; the minimum cut is a column of the hardening table), and the analyses of the model
    # share one attack graph.
    with shared_nets(), shared_contexts():
        if "hardening" in parts:
            out.hardening = hardening.hardening_candidates(model)
            out.min_cut = sorted(out.hardening.loc[out.hardening["in_min_cut"], "flow_id"])
        if "fix_first" in parts and len(model.systems) <= COMPROMISE_MAX_SYSTEMS:
            out.fix_first = compromise.fix_first(model, k=FIX_FIRST_STEPS)
            out.control_importance = compromise.control_importance(model)
        if "exposure" in parts:
            out.exposure = exposure.node_exposure(model)
        if "simulation" in parts:
            out.simulation, out.loss_exceedance = simulation.simulate_with_losses(model, trials=trials, seed=seed)
        if "compromise" in parts:
            if len(model.systems) <= COMPROMISE_MAX_SYSTEMS:
                out.compromise = compromise.compromise_probability(model, trials=trials, seed=seed)
            else:
                sim = out.simulation if out.simulation is not None else simulation.simulate_compromise(
                    model, trials=trials, seed=seed)
                out.compromise = _sampled_compromise(sim)
        if "coverage" in parts:
            cov = coverage.coverage_tables(model)
            out.stage_coverage, out.risk_coverage = cov["stage_coverage"], cov["risk_coverage"]
            out.coverage_matrix, out.rating_check = cov["coverage_matrix"], cov["rating_check"]
        elif "stage_coverage" in parts:
            out.stage_coverage = coverage.stage_coverage(model)
        if "findings" in parts:
            out.findings = findings.find_findings(model, rating_check=out.rating_check, as_of=out.triage_as_of)
        if "unreachable" in parts:
            out.unreachable = unreachable_pairs(model)
        if "findings_after" in parts:  # shares the first run's control-free views (shared_contexts)
            out.findings_after = findings.find_findings(with_planned_implemented(model), as_of=out.triage_as_of)
    if "judgments" in parts:
        out.threshold = judgments.required_assessment(model)
        out.schedule = judgments.review_schedule(model, today=today or model.meta["assessed_on"])
        out.section3 = judgments.section3_table(model, check=out.rating_check, findings=out.findings)
    return out


def _sampled_compromise(sim: pd.DataFrame) -> pd.DataFrame:
    """The compromise table of a large model: the Monte Carlo estimate and its 95 % interval, ``sampled``."""
    n = len(sim)
    zeros = pd.Series([0] * n, dtype="int64", index=sim.index)  # no diagram was compiled
    return pd.DataFrame({"system_id": sim["system_id"], "probability": sim["probability"],
                         "method": ["sampled"] * n, "low": sim["ci_low"], "high": sim["ci_high"],
                         "variables": zeros, "bdd_nodes": zeros}, columns=compromise.COMPROMISE_COLUMNS)


def with_planned_implemented(model: Model) -> Model:
    """A copy of ``model`` where every ``planned`` control is ``implemented``: the model after the action plan.

    Per-element statuses (``control_status.csv``) that say ``planned`` become ``implemented`` too. Nothing else
    changes (``missing`` controls stay missing). The findings of this copy show where each
    finding would move once the planned controls are in place (:attr:`Analysis.findings_after`).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    Model
        The copy (the other tables are the very same objects).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, with_planned_implemented
    >>> model = load_model(bundled_model_path())
    >>> after = with_planned_implemented(model)
    >>> bool((model.controls["status"] == "planned").any()), bool((after.controls["status"] == "planned").any())
    (True, False)
    """
    require_model(model, "with_planned_implemented")
    controls = model.controls.copy()
    controls["status"] = controls["status"].where(controls["status"] != "planned", "implemented")
    # a control planned on one element only (control_status.csv) is in place there too after the plan
    status = model.control_status
    if status is None or status.empty:
        return model.replace(controls=controls)
    status = status.copy()
    status["status"] = status["status"].where(status["status"] != "planned", "implemented")
    return model.replace(controls=controls, control_status=status)
