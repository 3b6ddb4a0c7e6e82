"""The interactive explorer: what-if changes to a model, and their effect on exposure and stage coverage.

:func:`explore` builds a JupyterLab widget (ipywidgets) on plain functions that do all the work and can be
used, and are tested, without any widget. The changes are those of :mod:`pia_analysis.whatif.apply`
(:func:`~pia_analysis.whatif.apply.with_control_status`, :func:`~pia_analysis.whatif.apply.with_flow_blocked`,
:func:`~pia_analysis.whatif.apply.with_scenario`, all three at once with
:func:`~pia_analysis.whatif.apply.apply_changes`, where the blocking rule and the order are stated); here:

* :func:`explorer_state` — the changed model analysed against the unchanged one (:class:`ExplorerState`, a
  :class:`~pia_analysis.whatif.compare.Comparison` with the changes: exposure and stage coverage before and
  after, and their deltas). Every delta is against the model as given (before the scenario);
* :func:`system_view` — one system: its exposure row, its most likely attack paths and its blast radius;
* :func:`scenario_choices` — the scenarios the widget offers.

``docs/explorer.md`` describes each control of the widget and the limits. ipywidgets is imported only by
:func:`explore`, so importing this module (or ``pia_analysis``) does not need it.
"""

from __future__ import annotations

__all__ = [
    "CHART_KINDS",
    "Explorer",
    "MIN_LABEL_PX",
    "ExplorerState",
    "SystemView",
    "chart_dpi",
    "explore",
    "explorer_state",
    "scenario_choices",
    "system_view",
]

import base64
import html
import io
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .analysis.exposure import BlastRadius, attack_paths, blast_radius
from .analysis.pipeline import Analysis, analyse
from .formats import load_model
from .model.model import Model, require_model
from .util.errors import InvalidArgumentError
from .whatif.apply import CONTROL_STATUSES, EFFECT_COLUMNS, Changes, apply_changes, unknown_id, with_scenario
from .whatif.compare import Comparison
from .whatif.scenario import bundled_scenarios, load_scenario

#: The charts the explorer can draw (``none`` draws nothing).
CHART_KINDS = ("exposure", "coverage", "dataflow", "none")
#: The analyses the explorer shows (names of :data:`pia_analysis.analysis.pipeline.ANALYSES`).
_EXPLORED = ("exposure", "stage_coverage")


# ---------------------------------------------------------------------------------------------------
# the scenarios offered


def scenario_choices(model: Model, lang: str = "ja") -> dict[str, str]:
    """The model's bundled scenarios (the ``scenarios/`` folder beside it), as the widget offers them.

    Parameters
    ----------
    model
        A loaded model.
    lang
        ``"ja"`` or ``"en"``: the language of the titles.

    Returns
    -------
    dict of str to str
        File name without ``.yaml`` -> title, sorted by file name.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.explorer import scenario_choices
    >>> from pia_analysis import load_model, bundled_model_path
    >>> choices = scenario_choices(load_model(bundled_model_path()), lang="en")
    >>> choices["store-firewall-fails"]
    'The store-side firewall fails (convenience-store issuance)'
    """
    require_model(model, "scenario_choices")
    return {path.stem: load_scenario(path).title(lang) for path in bundled_scenarios(model)}


# ---------------------------------------------------------------------------------------------------
# the analysed state


@dataclass
class ExplorerState(Comparison):
    """A changed model analysed against the model as given (see :func:`explorer_state`).

    A :class:`~pia_analysis.whatif.compare.Comparison` of the model as given (``base``) and the changed
    model (``other``, also :attr:`model`) without the findings, with the changes that made it.

    Attributes
    ----------
    changes : Changes
        What was changed.
    effects : DataFrame
        Every change made, cascades included (:data:`~pia_analysis.whatif.apply.EFFECT_COLUMNS`).
    """

    changes: Changes = field(default_factory=Changes)
    effects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EFFECT_COLUMNS))

    @property
    def model(self) -> Model:
        """The changed model."""
        return self.other


def explorer_state(model: Model, changes: Changes | Mapping[str, Any] | None = None) -> ExplorerState:
    """Apply ``changes`` to ``model`` and analyse both: exposure and stage coverage before and after, deltas.

    Parameters
    ----------
    model
        The model as given (the base of every delta).
    changes
        A :class:`Changes`, a mapping ``{"scenario": name, "controls": {id: status}, "blocked_flows": [ids]}``
        (any key may be left out), or ``None`` (no change: every delta is 0).

    Returns
    -------
    ExplorerState
        The comparison of ``model`` and the changed model (exposure and stage coverage; no findings), with
        the changes and every change made.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    ValueError
        For an unknown scenario, control, status or flow (see :func:`apply_changes`).

    Examples
    --------
    >>> from pia_analysis.explorer import explorer_state
    >>> from pia_analysis import load_model, bundled_model_path
    >>> st = explorer_state(load_model(bundled_model_path()), {"controls": {"C-STORE-FW": "missing"}})
    >>> before, after = st.exposure_of("JLIS_CENTRE")  # the kiosk's step loses the factor 1 - 0.8
    >>> round(after / before, 6)
    5.0
    """
    require_model(model, "explorer_state")
    return _state(model, changes, analyse(model, only=_EXPLORED))


def _state(model: Model, changes: Changes | Mapping[str, Any] | None, before: Analysis) -> ExplorerState:
    """:func:`explorer_state` with the analyses of ``model`` already done (the widget keeps them)."""
    changes = Changes.of(changes)
    changed, effects = apply_changes(model, changes)
    return ExplorerState.of(before, analyse(changed, only=_EXPLORED), changes=changes, effects=effects)


# ---------------------------------------------------------------------------------------------------
# one system


@dataclass(frozen=True)
class SystemView:
    """One system of a model: its exposure, its most likely attack paths, its blast radius, its controls.

    Attributes
    ----------
    system_id, name_ja, name_en, zone_id : str
        The system.
    exposure : dict
        Its row of :func:`~pia_analysis.analysis.exposure.node_exposure` (``exposure``, ``path``, ``entry_point``,
        ``zone_crossings``, ``records_at_stake``, ``holds_my_number``, ``reached_by``, ``betweenness``, …).
    paths : DataFrame
        :func:`~pia_analysis.analysis.exposure.attack_paths` (the ``k`` most likely paths to it; empty when unreached).
    blast : BlastRadius
        :func:`~pia_analysis.analysis.exposure.blast_radius`: what an attacker reaches once it has fallen.
    controls : DataFrame
        The controls whose ``applies_to`` names the system, or with a status of their own on it in
        ``control_status.csv``: ``control_id, name_ja, name_en, status, effectiveness``, by id; ``status``
        is the status on this system.
    """

    system_id: str
    name_ja: str
    name_en: str
    zone_id: str
    exposure: dict[str, Any]
    paths: pd.DataFrame
    blast: BlastRadius
    controls: pd.DataFrame = field(repr=False)

    def name(self, lang: str = "ja") -> str:
        """The system's name in ``lang`` (``ja`` or ``en``; the Japanese one when there is no English one)."""
        return self.name_en if lang == "en" and self.name_en else self.name_ja


def system_view(model: Model, system_id: str, k: int = 3, exposure: pd.DataFrame | None = None) -> SystemView:
    """The :class:`SystemView` of ``system_id``: exposure row, ``k`` most likely attack paths, blast radius.

    Parameters
    ----------
    model
        A model (typically :attr:`ExplorerState.model`, the changed one).
    system_id
        A system of the model.
    k
        How many attack paths.
    exposure
        :func:`~pia_analysis.analysis.exposure.node_exposure` of ``model``, when already computed.

    Returns
    -------
    SystemView
        The system's exposure row, its ``k`` most likely attack paths, its blast radius and its controls.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        When ``k < 1``.
    pia_analysis.model.errors.UnknownIdError
        When ``system_id`` is not a system of the model.

    Examples
    --------
    >>> from pia_analysis.explorer import system_view
    >>> from pia_analysis import load_model, bundled_model_path
    >>> v = system_view(load_model(bundled_model_path()), "JUKI_REC", k=2)
    >>> round(v.exposure["exposure"], 6), v.paths["entry_point"].tolist(), len(v.blast.systems)
    (0.025, ['VENDOR_TERM', 'JUKI_TERM'], 20)
    """
    require_model(model, "system_view")
    ids = model.systems["system_id"]
    if not (ids == system_id).any():
        raise unknown_id("system", system_id, ids)
    if k < 1:
        raise InvalidArgumentError(f"k must be at least 1, not {k}")
    table = analyse(model, only=("exposure",)).exposure if exposure is None else exposure
    row = table.set_index("system_id").loc[system_id].to_dict()
    # the status on this system (control_status.csv), not the control's own where the two differ
    apps = model.control_applications
    here = dict(zip(apps.loc[apps["element"] == system_id, "control_id"],
                    apps.loc[apps["element"] == system_id, "status"]))
    # an organisation-wide control with a status of its own here (missing at this system, say) names it too
    controls = model.controls.loc[model.controls["applies_to"].map(lambda targets: system_id in targets)
                                  | model.controls["control_id"].isin(list(here)),
                                  ["control_id", "name_ja", "name_en", "status", "effectiveness"]]
    controls = controls.assign(status=[here.get(c, s) for c, s in zip(controls["control_id"], controls["status"])])
    controls = controls.sort_values("control_id", kind="stable").reset_index(drop=True)
    return SystemView(system_id=system_id, name_ja=str(row.pop("name_ja")), name_en=str(row.pop("name_en")),
                      zone_id=str(row["zone_id"]), exposure=row, paths=attack_paths(model, system_id, k=k),
                      blast=blast_radius(model, system_id), controls=controls)


# ---------------------------------------------------------------------------------------------------
# HTML of the widget (plain functions of the results, so the widget only places them)


def _p(x: float) -> str:
    """A probability in a table: three significant digits, 0 as 0."""
    return "0" if x == 0 else f"{x:.3g}"


def _table_html(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    out = frame.copy()
    for col in out.columns:
        out[col] = out[col].map(lambda v: " → ".join(map(str, v)) if isinstance(v, list) else v)
    return out.to_html(index=False, border=0, classes="pia-table", na_rep="–")


def _headline_html(state: ExplorerState) -> str:
    h = state.headline()
    labels = {"max_mn_exposure": "highest exposure of a My Number holder", "records_at_stake":
              "records at stake (Σ exposure × records)", "reached_systems": "systems reachable",
              "covered_pairs": "covered (risk × element) pairs", "gaps": "gaps", "coverage": "coverage (all stages)"}
    rows = []
    for r in h.itertuples():
        if r.metric == "coverage":
            b, a = (f"{x:.1%}" if not math.isnan(x) else "–" for x in (r.before, r.after))
            d = f"{r.delta * 100:+.1f} pt" if not math.isnan(r.delta) else "–"
        elif r.metric == "max_mn_exposure":
            b, a, d = _p(r.before), _p(r.after), f"{r.delta:+.3g}"
        else:
            b, a, d = f"{r.before:,.0f}", f"{r.after:,.0f}", f"{r.delta:+,.0f}"
        rows.append({"": labels[r.metric], "base": b, "changed": a, "Δ": d, "note": r.note})
    return _table_html(pd.DataFrame(rows), "")


def _changes_html(state: ExplorerState) -> str:
    c = state.changes
    if c.is_empty:
        return "<b>Changes:</b> none (the model as given)"
    parts = []
    if c.scenario is not None:
        parts.append(f"scenario <code>{html.escape(c.scenario_label())}</code>")
    parts += [f"<code>{html.escape(cid)}</code> → {html.escape(s)}" for cid, s in c.controls]
    if c.blocked_flows:
        parts.append("blocked " + ", ".join(f"<code>{html.escape(f)}</code>" for f in c.blocked_flows))
    cascades = state.effects.loc[state.effects["cause"].ne("explorer") & state.effects["cause"].ne("scenario")]
    extra = f" ({len(cascades)} cascaded change{'s' if len(cascades) != 1 else ''})" if len(cascades) else ""
    return "<b>Changes:</b> " + "; ".join(parts) + extra


def _exposure_html(state: ExplorerState, lang: str) -> str:
    d = state.changed_exposure()
    name = "name_en" if lang == "en" else "name_ja"
    rows = pd.DataFrame({
        "system": d["system_id"], "name": d[name],
        "My Number": d["holds_my_number"].map({True: "yes", False: ""}),
        "base": d["exposure_before"].map(_p), "changed": d["exposure_after"].map(_p),
        "×": [f"{a / b:.3g}" if b > 0 else ("new" if a > 0 else "–")
              for b, a in zip(d["exposure_before"], d["exposure_after"])],
        "records at stake Δ": d["records_at_stake_delta"].map(lambda x: f"{x:+,.0f}"),
        # a route that changed at the same probability is a change too (the council's "who gets in now?")
        "change": d["change"].str.replace("_", " "),
        "path before": [p if p != q else "" for p, q in zip(d["path_before"], d["path_after"])],
        "path (changed)": d["path_after"],
        "zone crossings": [str(b) if b == a else f"{b} → {a}"
                           for b, a in zip(d["zone_crossings_before"], d["zone_crossings_after"])],
    })
    return _table_html(rows, "No system's exposure or attack path changes.")


def _coverage_html(state: ExplorerState) -> str:
    d = state.coverage_delta
    pct = lambda x: "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"  # noqa: E731
    rows = pd.DataFrame({
        "stage": d["stage"], "name": d["name_ja"],
        "pairs": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["pairs_before"], d["pairs_after"])],
        "covered": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["covered_before"], d["covered_after"])],
        "gaps": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["gaps_before"], d["gaps_after"])],
        "coverage base": d["coverage_before"].map(pct), "coverage changed": d["coverage_after"].map(pct),
        "Δ (pt)": d["coverage_delta"].map(lambda x: "–" if math.isnan(x) else f"{x * 100:+.1f}"),
    })
    return _table_html(rows, "")


def _system_html(view: SystemView, base_exposure: float | None, lang: str) -> str:
    e = view.exposure
    head = (f"<h4>{html.escape(view.system_id)} — {html.escape(view.name(lang))} "
            f"<small>(zone {html.escape(view.zone_id)})</small></h4>")
    if e["exposure"] > 0:
        line = (f"Exposure <b>{_p(e['exposure'])}</b> a year"
                + (f" (base {_p(base_exposure)})" if base_exposure is not None
                   and abs(base_exposure - e["exposure"]) > 1e-12 else "")
                + f"; most likely path {html.escape(' → '.join(e['path']))}; reached by {e['reached_by']} entry "
                f"point(s); records at stake {e['records_at_stake']:,.0f}.")
    else:
        line = ("No entry point reaches it (exposure 0)"
                + (f"; base {_p(base_exposure)}" if base_exposure else "") + ".")
    paths = view.paths.assign(probability=view.paths["probability"].map(_p))
    b = view.blast
    name = "name_en" if lang == "en" else "name_ja"
    reached = b.systems.assign(probability=b.systems["probability"].map(_p))[
        ["system_id", name, "probability", "hops", "records", "holds_my_number"]]
    controls = view.controls[["control_id", name, "status", "effectiveness"]]
    return (head + f"<p>{line}</p>"
            + f"<b>Most likely attack paths</b>{_table_html(paths, 'No attack path reaches it.')}"
            + f"<b>Blast radius once it has fallen</b><p>{len(b.systems)} system(s) reachable; files "
            f"{', '.join(b.files['file_id']) or 'none'}; {b.total_records:,} records "
            f"({b.my_number_records:,} with My Numbers; largest My Number file {b.max_my_number_records:,}).</p>"
            + _table_html(reached, "")
            + f"<b>Controls naming it</b>{_table_html(controls, 'None.')}")


#: The smallest text of a chart in the explorer, in screen pixels (at 100 % zoom): below about 10 px the
#: data-flow diagram's labels (5.5 pt on an A4 page) were unreadable when the page was scaled to the notebook.
MIN_LABEL_PX = 10.0
#: The lowest resolution the explorer draws a chart at (dots per inch).
_MIN_DPI = 80


def chart_dpi(fig: Any, dpi: int | None = None) -> int:
    """The resolution to draw a chart at in the explorer: the lowest at which its smallest text is readable.

    Parameters
    ----------
    fig
        A matplotlib figure.
    dpi
        A resolution asked for (returned as it is), or None.

    Returns
    -------
    int
        ``dpi`` if given, else the lowest resolution (at least 80) at which the figure's smallest visible
        text is :data:`MIN_LABEL_PX` pixels high (a point is 1/72 inch).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from pia_analysis.explorer import chart_dpi
    >>> fig = plt.figure()
    >>> _ = fig.text(0.5, 0.5, "label", fontsize=6)
    >>> chart_dpi(fig), chart_dpi(fig, 100)  # 6 pt at 120 dpi is 10 px
    (120, 100)
    >>> plt.close(fig)
    """
    if dpi is not None:
        return int(dpi)
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_visible() and str(t.get_text()).strip()]
    smallest = min(sizes, default=10.0)
    return max(_MIN_DPI, math.ceil(MIN_LABEL_PX * 72 / smallest))


def _figure_output(fig: Any, dpi: int, label: str, natural_size: bool = False) -> dict[str, Any]:
    """A display_data output (nbformat) holding the figure as PNG, for ``ipywidgets.Output.outputs``.

    With ``natural_size`` the image is shown at its pixel size (JupyterLab's ``unconfined`` image metadata)
    rather than scaled down to the notebook's width, which would shrink its labels again.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return {"output_type": "display_data", "metadata": {"image/png": {"unconfined": True}} if natural_size else {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": f"<{label}>"}}


def _chart(state: ExplorerState, kind: str, lang: str, trials: int) -> Any:
    from .charts import figures as charts
    from .charts.dataflow import dataflow_diagram

    model = state.model
    if kind == "exposure":
        if trials > 0:
            sim = analyse(model, trials=trials, seed=0, only=("simulation",)).simulation
        else:  # no Monte Carlo: the chart draws no marker
            sim = pd.DataFrame({"system_id": model.systems["system_id"], "probability": np.nan, "ci_low": np.nan,
                                "ci_high": np.nan, "trials": np.nan})
        # colours keyed to the zones of the model as given: a scenario or a blocked flow recolours no zone
        return charts.exposure_ranking_chart(model, exposure=state.exposure_after, simulation=sim, lang=lang,
                                             base=state.base)
    if kind == "coverage":
        return charts.stage_coverage_chart(model, coverage=state.coverage_after, lang=lang)
    if kind == "dataflow":
        return dataflow_diagram(model, exposure=state.exposure_after, lang=lang)
    raise InvalidArgumentError(f"{kind!r} is not a chart of the explorer: use one of {', '.join(CHART_KINDS)}")


# ---------------------------------------------------------------------------------------------------
# the widget


_CSS = ("<style>.pia-table{border-collapse:collapse;font-size:12px;margin:2px 0 8px}"
        ".pia-table th,.pia-table td{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}</style>")


class Explorer:
    """The controller behind :func:`explore`: the widgets, the current changes and the current results.

    ``widget`` is the ipywidgets box to display. ``controls`` holds the input widgets by role
    (``scenario``, ``system``, ``control``, ``status``, ``flows``, ``chart``, ``reset``) and ``outputs`` the
    output widgets (``message``, ``changes``, ``headline``, ``system``, ``exposure``, ``coverage``,
    ``chart``). Setting a control's ``value`` (as a user does) updates :attr:`state` (an
    :class:`ExplorerState`), :attr:`view` (a :class:`SystemView` of the chosen system in the changed
    model) and the outputs. The chart is drawn only while the chart tab is shown.
    """

    def __init__(self, model: Model, *, system: str | None = None, lang: str = "ja", k: int = 3,
                 trials: int = 10_000, chart: str = "exposure", dpi: int | None = None):
        import ipywidgets as w

        require_model(model, "Explorer")
        if lang not in ("ja", "en"):
            raise InvalidArgumentError(f"lang must be 'ja' or 'en', not {lang!r}")
        if chart not in CHART_KINDS:
            raise InvalidArgumentError(f"{chart!r} is not a chart of the explorer: use one of {', '.join(CHART_KINDS)}")
        if k < 1 or trials < 0:
            raise InvalidArgumentError("k must be at least 1 and trials at least 0")
        self.base = model
        self.lang, self.k, self.trials, self.dpi = lang, k, trials, dpi
        self.scenario: str | None = None
        self.overrides: dict[str, str] = {}
        self.blocked: tuple[str, ...] = ()
        self._initial_analysis = analyse(model, only=_EXPLORED)  # the analyses of the model as given, done once
        self._initial = _state(model, None, self._initial_analysis)
        self.state: ExplorerState = self._initial
        self.view: SystemView | None = None
        self.figure: Any = None  # the last chart drawn
        self.chart_dpi: int | None = None  # the resolution it was drawn at
        self.chart_drawn: str | None = None  # its kind, None when the chart is out of date
        self._muted = False
        self._scenario_model = model

        choices = scenario_choices(model, lang)
        # Full width by stretching in the column (align_items below), not width 100%: a widget's own margin
        # on top of 100 % overflowed the output area and showed a needless horizontal scrollbar.
        layout = lambda: w.Layout(width="auto")  # noqa: E731 (one Layout per widget: they are not shared)
        style = {"description_width": "110px"}
        toggles = {"description_width": "110px", "button_width": "auto"}  # buttons as wide as their labels
        self.controls = {
            "scenario": w.Dropdown(options=[("(none)", "")] + [(f"{k} — {t}", k) for k, t in choices.items()],
                                   value="", description="Scenario", layout=layout(), style=style),
            "system": w.Dropdown(description="System", layout=layout(), style=style),
            # beside the status buttons: takes the room they leave, and may shrink (min_width 0)
            "control": w.Dropdown(description="Control", layout=w.Layout(width="auto", flex="1 1 auto", min_width="0"),
                                  style=style),
            "status": w.ToggleButtons(options=list(CONTROL_STATUSES), description="Its status", style=toggles),
            "flows": w.SelectMultiple(description="Blocked flows", rows=8, layout=layout(), style=style),
            "chart": w.ToggleButtons(options=[("exposure ranking", "exposure"), ("stage coverage", "coverage"),
                                              ("data-flow diagram", "dataflow"), ("none", "none")],
                                     value=chart, description="Chart", style=toggles),
            # width auto: the default (a short inline width) cut the label off after "Reset all ch…"
            "reset": w.Button(description="Reset all changes", icon="undo", layout=w.Layout(width="auto")),
        }
        self.outputs = {
            # a table wider than the page (long paths) scrolls inside its own tab, not the whole widget
            "message": w.HTML(), "changes": w.HTML(), "headline": w.HTML(),
            "system": w.HTML(layout=w.Layout(overflow="auto")), "exposure": w.HTML(layout=w.Layout(overflow="auto")),
            "coverage": w.HTML(layout=w.Layout(overflow="auto")),
            # the chart at its natural size scrolls inside its own area, never the whole widget
            "chart": w.Output(layout=w.Layout(overflow="auto", max_width="100%")),
        }
        self.tabs = w.Tab(children=[
            w.VBox([self.controls["chart"], self.outputs["chart"]]),
            self.outputs["system"], self.outputs["exposure"], self.outputs["coverage"],
        ])
        for i, title in enumerate(["Chart", "System", "Exposure changes", "Stage coverage"]):
            self.tabs.set_title(i, title)
        self._fill_options(system)

        c = self.controls
        c["scenario"].observe(self._on_scenario, names="value")
        c["system"].observe(self._on_system, names="value")
        c["control"].observe(self._on_control, names="value")
        c["status"].observe(self._on_status, names="value")
        c["flows"].observe(self._on_flows, names="value")
        c["chart"].observe(lambda _change: self._draw_chart(), names="value")
        c["reset"].on_click(lambda _button: self.reset())
        self.tabs.observe(lambda _change: self._draw_chart(), names="selected_index")

        title = w.HTML(f"{_CSS}<h3>{html.escape(model.title(lang))} <small>({html.escape(model.id)})</small></h3>")
        self.widget = w.VBox([
            title, c["scenario"], c["system"],
            w.HBox([c["control"], c["status"]], layout=w.Layout(width="auto", flex_flow="row wrap")), c["flows"],
            c["reset"], self.outputs["message"], self.outputs["changes"], self.outputs["headline"], self.tabs,
        ], layout=w.Layout(width="auto", align_items="stretch"))
        self.widget.explorer = self  # so that the displayed widget leads back here
        self.refresh()

    # -- options -------------------------------------------------------------------------------------

    def _fill_options(self, system: str | None = None) -> None:
        """Options of the system, control and flow widgets from the model after the scenario."""
        m = self._scenario_model
        name = "name_en" if self.lang == "en" else "name_ja"
        systems = m.systems.sort_values("system_id", kind="stable")
        c = self.controls
        self._muted = True
        try:
            old = system or c["system"].value
            c["system"].options = [(f"{s} — {n}", s) for s, n in zip(systems["system_id"], systems[name])]
            if old not in set(systems["system_id"]):
                if system is not None:
                    raise unknown_id("system", system, systems["system_id"])
                exp = analyse(m, only=("exposure",)).exposure
                holders = exp.loc[exp["holds_my_number"]]  # default: the most exposed My Number holder
                old = holders.iloc[0]["system_id"] if len(holders) else exp.iloc[0]["system_id"]
            c["system"].value = old
            controls = m.controls.sort_values("control_id", kind="stable")
            old_control = c["control"].value
            c["control"].options = [(f"{i} — {n}", i) for i, n in zip(controls["control_id"], controls[name])]
            if old_control in set(controls["control_id"]):
                c["control"].value = old_control
            c["status"].value = self._status_of(c["control"].value)
            flows = m.flows.sort_values("flow_id", kind="stable")
            c["flows"].options = [(f"{f}  {s} → {t}  ({st})", f) for f, s, t, st in
                                  zip(flows["flow_id"], flows["source"], flows["target"], flows["stage"])]
            c["flows"].value = tuple(f for f in self.blocked if f in set(flows["flow_id"]))
        finally:
            self._muted = False

    def _status_of(self, control_id: str | None) -> str | None:
        if control_id is None:
            return None
        if control_id in self.overrides:
            return self.overrides[control_id]
        controls = self._scenario_model.controls.set_index("control_id")
        return str(controls.at[control_id, "status"]) if control_id in controls.index else None

    # -- events --------------------------------------------------------------------------------------

    def _on_scenario(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        name = change["new"] or None
        try:
            scenario_model = with_scenario(self.base, name) if name else self.base
        except ValueError as exc:
            self._muted = True  # back to the scenario in force
            try:
                self.controls["scenario"].value = self.scenario or ""
            finally:
                self._muted = False
            self._message(f"Scenario {name} does not apply: {exc}", error=True)
            return
        self.scenario, self._scenario_model = name, scenario_model
        # Changes that name what the scenario removed are dropped, and said so.
        controls, flows = set(scenario_model.controls["control_id"]), set(scenario_model.flows["flow_id"])
        dropped = [c for c in self.overrides if c not in controls] + [f for f in self.blocked if f not in flows]
        self.overrides = {c: s for c, s in self.overrides.items() if c in controls}
        self.blocked = tuple(f for f in self.blocked if f in flows)
        self._fill_options()
        self.refresh(note=f"Dropped (the scenario removes them): {', '.join(dropped)}." if dropped else "")

    def _on_system(self, _change: dict[str, Any]) -> None:
        if not self._muted:
            self._show_system()

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        self._muted = True  # showing the control's status is not a change of it
        try:
            self.controls["status"].value = self._status_of(change["new"])
        finally:
            self._muted = False

    def _on_status(self, change: dict[str, Any]) -> None:
        if self._muted or change["new"] is None:
            return
        cid = self.controls["control"].value
        own = str(self._scenario_model.controls.set_index("control_id").at[cid, "status"])
        if change["new"] == own:
            self.overrides.pop(cid, None)
        else:
            self.overrides[cid] = change["new"]
        self.refresh()

    def _on_flows(self, change: dict[str, Any]) -> None:
        if not self._muted:
            self.blocked = tuple(sorted(change["new"]))
            self.refresh()

    # -- programmatic use ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the model as given: no scenario, no control change, no blocked flow."""
        self.scenario, self._scenario_model, self.overrides, self.blocked = None, self.base, {}, ()
        self._muted = True
        try:
            self.controls["scenario"].value = ""
        finally:
            self._muted = False
        self._fill_options()
        self.refresh()

    @property
    def changes(self) -> Changes:
        """The current changes."""
        return Changes.of({"scenario": self.scenario, "controls": self.overrides, "blocked_flows": self.blocked})

    def refresh(self, note: str = "") -> None:
        """Recompute :attr:`state` from the current changes and update every output."""
        try:
            state = _state(self.base, self.changes, self._initial_analysis)
        except ValueError as exc:  # pragma: no cover - the widgets offer only valid choices
            self._message(str(exc), error=True)
            return
        self.state = state
        self._message(note)
        self.outputs["changes"].value = _changes_html(state)
        self.outputs["headline"].value = _headline_html(state)
        self.outputs["exposure"].value = _exposure_html(state, self.lang)
        self.outputs["coverage"].value = _coverage_html(state)
        self._show_system()
        self.chart_drawn = None
        self._draw_chart()

    def _message(self, text: str, error: bool = False) -> None:
        colour = "#D55E00" if error else "#555555"
        self.outputs["message"].value = f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""

    def _show_system(self) -> None:
        sid = self.controls["system"].value
        if sid is None:
            return
        self.view = system_view(self.state.model, sid, k=self.k, exposure=self.state.exposure_after)
        before = self.state.exposure_delta.set_index("system_id")
        base = float(before.at[sid, "exposure_before"]) if sid in before.index else None
        self.outputs["system"].value = _system_html(self.view, base, self.lang)

    def _draw_chart(self) -> None:
        kind = self.controls["chart"].value
        out = self.outputs["chart"]
        if kind == "none":
            out.outputs, self.figure, self.chart_drawn = (), None, "none"
            return
        if self.tabs.selected_index != 0 or self.chart_drawn == kind:
            return  # hidden (drawn when its tab is shown) or up to date
        self.figure = _chart(self.state, kind, self.lang, self.trials)
        # dpi None: drawn so that the smallest label is MIN_LABEL_PX on screen and shown at that size (the
        # chart area scrolls on a narrow page); a dpi given is scaled to the notebook's width as before.
        self.chart_dpi = chart_dpi(self.figure, self.dpi)
        out.outputs = (_figure_output(self.figure, self.chart_dpi, f"{kind} chart", natural_size=self.dpi is None),)
        self.chart_drawn = kind


def explore(model: Model | str | os.PathLike[str], *, system: str | None = None, lang: str = "ja", k: int = 3,
            trials: int = 10_000, chart: str = "exposure", dpi: int | None = None) -> Any:
    """The interactive explorer of a model, for JupyterLab (needs ipywidgets).

    Choose a scenario of the model, a system (its most likely attack paths and blast radius), change any
    control's status, block flows; the headline numbers, the exposure and coverage tables and the chart
    follow. See ``docs/explorer.md``.

    Parameters
    ----------
    model
        A loaded model, or the path of a model directory.
    system
        The system shown first (default: the most exposed system holding My Numbers).
    lang
        ``"ja"`` or ``"en"``: names of systems and controls, and the charts.
    k
        How many attack paths the system tab lists.
    trials
        Monte Carlo trials of the exposure chart (seed 0); 0 skips the Monte Carlo.
    chart
        The chart shown first: one of :data:`CHART_KINDS`.
    dpi
        Resolution of the charts (they are A4 pages). Default: for each chart the lowest at which its
        smallest label is :data:`MIN_LABEL_PX` pixels, shown at that size (the chart area scrolls when the
        notebook is narrower); a number is drawn at that resolution and scaled to the notebook's width.

    Returns
    -------
    ipywidgets.VBox
        The widget; its ``explorer`` attribute is the :class:`Explorer` behind it (current ``state``,
        ``view``, ``changes``; ``controls`` and ``outputs`` by role).

    Examples
    --------
    >>> from pia_analysis.explorer import explore
    >>> from pia_analysis import load_model, bundled_model_path
    >>> ex = explore(load_model(bundled_model_path()), chart="none", lang="en").explorer
    >>> ex.controls["flows"].value = ("F20",)  # as a click does
    >>> ex.changes.blocked_flows, ex.state.changed_exposure()["system_id"].tolist()[:2]
    (('F20',), ['JUKI_REC', 'RENKEI'])
    """
    if not isinstance(model, Model):
        model = load_model(model)
    return Explorer(model, system=system, lang=lang, k=k, trials=trials, chart=chart, dpi=dpi).widget
