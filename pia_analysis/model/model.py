"""The model: the tables of a PIA model as pandas DataFrames, and its data-flow graph.

A :class:`Model` is what :func:`pia_analysis.load_model` returns. Its tables mirror the files of the
model directory (see ``docs/model-format.md``), typed: booleans as ``bool``, numbers as numbers and
``;``-separated cells as Python lists. Treat a model as immutable: analyses never change it, and
:meth:`Model.replace` gives a changed copy (the graph is rebuilt for the copy).
"""

from __future__ import annotations

__all__ = ["Model", "build_graph", "check_same_assessment", "require_model"]

import dataclasses
import datetime as dt
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from .. import catalog
from .errors import DifferentAssessmentError, ModelTypeError
from .mynumber import redact
from .cells import empty_table
from .rated import rated_item_table
from .schema import ASSESSMENT_KEYS, TABLE_BY_NAME


@dataclasses.dataclass(eq=False)
class Model:
    """A loaded PIA model.

    Attributes
    ----------
    meta : dict
        The keys of ``model.yaml`` (``assessed_on`` as a :class:`datetime.date`).
    zones, systems, files, flows, controls : DataFrame
        The tables of the same names, in file order.
    risks : DataFrame
        The model's own extra risk items (``risks.csv``; empty when absent). See :attr:`risk_items`
        for the packaged catalogue plus these.
    ratings : DataFrame
        The assessor's self-ratings (``ratings.csv``; empty when absent), ratings in official Japanese.
    sub_measures : DataFrame
        The answers to the sub-measures of Section Ⅲ (``sub_measures.csv``; empty when absent): ``sub_measure_id,
        answer, detail, source``. See :func:`pia_analysis.analysis.sub_measures.sub_measure_answers`.
    file_details, outsourcing, recipients, form_answers : DataFrame
        What only the 評価書 states, per file (``file_details.csv``), per 委託事項 (``outsourcing.csv``), per
        recipient (``recipients.csv``), and the answers written instead of derived ones (``form_answers.csv``);
        each empty, with its columns, when absent. See :attr:`document` for the per-document items.
    path : Path or None
        The directory the model was loaded from.
    warnings : tuple of Problem
        What the reader accepted but the model should say otherwise (e.g. per-risk ratings of the 委託 block,
        folded into one), located as errors are; the CLI prints them. Empty for a model built in memory.
    holdings : DataFrame
        An affair of a city workspace: its own files kept at systems of the shared part (``holdings.csv``:
        ``system_id, file_id, source``; empty when absent). The loader has already added each file to its
        system's ``holds``: the analyses read ``systems`` alone.
    control_status : DataFrame
        A control's status on one element where it differs from the control's own (``control_status.csv``:
        ``control_id, element, status, source``; empty when absent). The analyses read
        :attr:`control_applications`, which merges it with ``controls``.
    triage : DataFrame
        The analyst's decisions on findings (``triage.csv``: ``finding_id, decision, reason, decided_by,
        decided_on, review_on, source``; empty when absent).
    shared_ids : frozenset of str
        The ids of the rows (zones, systems, files, flows, controls) loaded from the shared part of a city
        workspace (``model.yaml``'s ``shared``, docs/city.md); empty for an ordinary model.
    earlier_versions : tuple of (str, datetime.date)
        ``(id, assessed_on)`` of each earlier version named by ``previous``, newest first, as
        :func:`pia_analysis.formats.load_model` read them when it followed the chain; empty for a model
        without ``previous``, built in memory or loaded with ``check_chain=False``. The analyses read it
        (the review schedule) instead of reading files themselves.
    """

    meta: dict[str, Any]
    zones: pd.DataFrame
    systems: pd.DataFrame
    files: pd.DataFrame
    flows: pd.DataFrame
    controls: pd.DataFrame
    risks: pd.DataFrame
    ratings: pd.DataFrame
    # optional, after the tables every caller gives: models built in memory (synthetic) answer none
    sub_measures: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["sub_measures"]))
    # the document-only tables (the 評価書's Ⅱ): optional too
    file_details: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["file_details"]))
    outsourcing: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["outsourcing"]))
    recipients: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["recipients"]))
    form_answers: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["form_answers"]))
    # an affair of a city workspace: its files kept at shared systems (already in those systems' holds)
    holdings: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["holdings"]))
    # issue 18: per-element control status and the analyst's decisions on findings
    control_status: pd.DataFrame = dataclasses.field(
        default_factory=lambda: empty_table(TABLE_BY_NAME["control_status"]))
    triage: pd.DataFrame = dataclasses.field(default_factory=lambda: empty_table(TABLE_BY_NAME["triage"]))
    path: Path | None = None
    earlier_versions: tuple[tuple[str, dt.date], ...] = ()
    warnings: tuple[Any, ...] = ()
    shared_ids: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        """The model's id (``model.yaml``'s ``id``)."""
        return str(self.meta["id"])

    def title(self, lang: str = "ja") -> str:
        """The model's title in ``lang`` (``ja`` or ``en``); its id when it has none."""
        return str(self.meta.get("title_en" if lang == "en" else "title_ja", self.id))

    @property
    def document(self) -> dict[str, Any]:
        """model.yaml's ``document`` block, its nested keys flattened with dots (``disclosure.office``).

        Values are text, or a :class:`datetime.date` for the date keys
        (:data:`~pia_analysis.model.schema.DOCUMENT_KEYS`); ``{}`` when the model has no such block.

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> isinstance(load_model(bundled_model_path()).document, dict)
        True
        """
        out: dict[str, Any] = {}

        def walk(block: dict[str, Any], prefix: str) -> None:
            for key, value in block.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    out[f"{prefix}{key}"] = value

        walk(self.meta.get("document") or {}, "")
        return out

    @cached_property
    def risk_items(self) -> pd.DataFrame:
        """Every risk item in force: the packaged catalogue, then the model's extra risks.

        Columns ``risk_id, stage, stage_no, risk_no, name_ja, name_en, origin`` (``catalog`` or
        ``model``); ordered as Section Ⅲ orders them (stage, then risk number; extras last in a stage).
        """
        cat = catalog.risk_catalog().assign(origin="catalog")
        if self.risks.empty:
            return cat
        stage_no = catalog.stages().set_index("stage")["stage_no"]
        extra = self.risks[["risk_id", "stage", "name_ja", "name_en"]].copy()
        extra["stage_no"] = extra["stage"].map(stage_no).astype(int)
        # Extra risks are numbered after the catalogue's items of their stage, in file order.
        last = cat.groupby("stage")["risk_no"].max()
        extra["risk_no"] = extra["stage"].map(last).fillna(0).astype(int) + extra.groupby("stage").cumcount() + 1
        extra["origin"] = "model"
        out = pd.concat([cat, extra[cat.columns]], ignore_index=True)
        return out.sort_values(["stage_no", "risk_no"], kind="stable").reset_index(drop=True)

    @cached_property
    def rated_items(self) -> pd.DataFrame:
        """The rated items in force (:func:`pia_analysis.model.rated.rated_item_table`).

        The catalogue's, then one per extra risk (an extra outsource risk joins the 委託 block).
        """
        return rated_item_table(self.risks)

    @cached_property
    def declared_not_applicable(self) -> tuple[str, ...]:
        """The declarations of ``model.yaml``'s ``declared_not_applicable`` (the catalogue's order)."""
        return tuple(self.meta.get("declared_not_applicable") or ())

    @cached_property
    def graph(self) -> nx.MultiDiGraph:
        """The data-flow graph: one node per system, one edge per flow (key = ``flow_id``).

        Node attributes are the system's columns plus ``zone_name_ja``, ``zone_name_en``,
        ``internet_facing`` and ``holds_my_number``; edge attributes are the flow's columns.
        """
        return build_graph(self)

    @cached_property
    def my_number_files(self) -> frozenset[str]:
        """The ``file_id`` s of files that contain My Numbers."""
        return frozenset(self.files.loc[self.files["contains_my_number"], "file_id"])

    @cached_property
    def my_number_people(self) -> dict[str, int]:
        """System id → records (people) of the largest file *with My Numbers* it holds; 0 when it holds none.

        What is at stake if the system is reached, and the one count every output multiplies by (the
        expected records, the people in the briefing and the charts): a log file without My Numbers is not
        特定個人情報 and never counts (issue 14).

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> load_model(bundled_model_path()).my_number_people["JUKI_REC"]
        932000
        """
        records = {f: int(r) for f, r, mn in zip(self.files["file_id"], self.files["records"],
                                                  self.files["contains_my_number"]) if bool(mn) and pd.notna(r)}
        return {sid: max((records[f] for f in (holds or []) if f in records), default=0)
                for sid, holds in zip(self.systems["system_id"], self.systems["holds"])}

    @cached_property
    def processed_files(self) -> dict[str, frozenset[str]]:
        """System id → the ``file_id`` s it processes but does not keep (``systems.csv``'s ``processes``).

        A file a system both holds and processes counts as held (the loader warns) and is left out here;
        every system is a key (an empty set when it processes nothing, or the model has no ``processes``
        column, as models built in memory may not).

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> set(load_model(bundled_model_path()).processed_files["JUKI_REC"])
        set()
        """
        processes = self.systems["processes"] if "processes" in self.systems else [[]] * len(self.systems)
        return {str(sid): frozenset(p or ()) - frozenset(h or ())
                for sid, h, p in zip(self.systems["system_id"], self.systems["holds"], processes)}

    @cached_property
    def my_number_processed(self) -> dict[str, int]:
        """System id → records (people) of the largest file *with My Numbers* it processes without keeping it.

        The transit counterpart of :attr:`my_number_people` (which counts held files only): 0 for a system
        that processes no such file. A file it also holds is counted there, not here.

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> load_model(bundled_model_path()).my_number_processed["JUKI_REC"]
        0
        """
        records = {f: int(r) for f, r, mn in zip(self.files["file_id"], self.files["records"],
                                                  self.files["contains_my_number"]) if bool(mn) and pd.notna(r)}
        return {sid: max((records[f] for f in files if f in records), default=0)
                for sid, files in self.processed_files.items()}

    @cached_property
    def control_applications(self) -> pd.DataFrame:
        """Each control on each element it applies to, with the status there: ``controls`` × ``control_status``.

        Columns ``control_id, element, status, effectiveness, mitigates`` (``mitigates`` a list of risk ids).
        One row per ``applies_to`` element, with its ``control_status.csv`` status or else the control's own;
        a control applying to ``*`` gives a row with element ``"*"`` (its own status, everywhere not listed)
        and one row per element with a status of its own. In the order of ``controls``, then of
        ``applies_to`` (a ``*`` control's overrides in the order of ``control_status``). Every reader of a
        control's status by element reads this (issue 18).

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> m = load_model(bundled_model_path())
        >>> list(m.control_applications.columns)
        ['control_id', 'element', 'status', 'effectiveness', 'mitigates']
        >>> len(m.control_applications) == sum(len(a) for a in m.controls["applies_to"])
        True
        """
        overrides: dict[str, dict[str, str]] = {}
        frame = self.control_status
        if frame is not None and not frame.empty:
            for cid, element, status in zip(frame["control_id"], frame["element"], frame["status"]):
                overrides.setdefault(str(cid), {})[str(element)] = str(status)
        rows: list[tuple[str, str, str, float, list[str]]] = []
        c = self.controls
        for cid, applies, status, eff, mitigates in zip(c["control_id"], c["applies_to"], c["status"],
                                                        c["effectiveness"], c["mitigates"]):
            own = overrides.get(str(cid), {})
            for element in applies or ():
                rows.append((str(cid), str(element), own.get(element, str(status)), float(eff), list(mitigates)))
            if "*" in (applies or ()):
                rows += [(str(cid), element, s, float(eff), list(mitigates)) for element, s in own.items()
                         if element != "*"]
        return pd.DataFrame(rows, columns=["control_id", "element", "status", "effectiveness", "mitigates"]).astype(
            {"control_id": "str", "element": "str", "status": "str", "effectiveness": "float"})

    def replace(self, **changes: Any) -> Model:
        """A copy with some tables (or ``meta``) replaced; cached views are rebuilt lazily."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields.update(changes)
        return Model(**fields)

    def element_name(self, element: str, lang: str = "ja") -> str:
        """The name of a system, zone, file or control, or a flow as 「送り元 → 送り先」 by its systems' names.

        The name in ``lang`` (``name_en`` for ``en``), else the Japanese name, else the id; an id the model does
        not know is returned as given. The council's words (:mod:`pia_analysis.outputs.wording`) and the
        change sheet (別添3) of :mod:`pia_analysis.whatif.versions` both name elements by it.

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> m = load_model(bundled_model_path())
        >>> m.element_name("JUKI_REC"), m.element_name("F03")
        ('住民記録システム', '住民記録端末（区役所窓口） → 住民記録システム')
        """
        names = self._element_names(lang)
        if element in names:
            return names[element]
        flows = self._flow_ends
        if element in flows:
            source, target = flows[element]
            return f"{names.get(source, source)} → {names.get(target, target)}"
        return element

    def _element_names(self, lang: str) -> dict[str, str]:
        cache = self.__dict__.setdefault("_names_by_lang", {})
        if lang not in cache:
            col = "name_en" if lang == "en" else "name_ja"
            names: dict[str, str] = {}
            for table, id_col in (("zones", "zone_id"), ("files", "file_id"), ("controls", "control_id"),
                                  ("systems", "system_id")):
                frame = getattr(self, table)
                for i, name, other in zip(frame[id_col], frame[col], frame["name_ja"]):
                    names[str(i)] = str(name or other or i)
            cache[lang] = names
        return cache[lang]

    @cached_property
    def _flow_ends(self) -> dict[str, tuple[str, str]]:
        f = self.flows
        return {str(i): (str(s), str(t)) for i, s, t in zip(f["flow_id"], f["source"], f["target"])}

    def summary(self) -> dict[str, int]:
        """Counts for a quick look: zones, systems, files, flows, controls, entry points, My Number files.

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> load_model(bundled_model_path()).summary()["files"]
        3
        """
        return {
            "zones": len(self.zones),
            "systems": len(self.systems),
            "files": len(self.files),
            "flows": len(self.flows),
            "controls": len(self.controls),
            "entry_points": int((self.systems["entry_likelihood"] > 0).sum()),
            "my_number_files": len(self.my_number_files),
        }


def build_graph(model: Model) -> nx.MultiDiGraph:
    """Build the networkx data-flow graph of a model (see :attr:`Model.graph`).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    networkx.MultiDiGraph
        A node per system (its columns as attributes, with its zone's names, ``internet_facing`` and
        ``holds_my_number``), an edge per flow from source to target, keyed by ``flow_id``.

    Examples
    --------
    >>> from pia_analysis.model.model import build_graph
    >>> from pia_analysis import bundled_model_path, load_model
    >>> g = build_graph(load_model(bundled_model_path()))
    >>> g.number_of_nodes() > 0, g.number_of_edges() > 0
    (True, True)
    """
    g = nx.MultiDiGraph(id=model.id)
    zones = model.zones.set_index("zone_id")
    mn_files = model.my_number_files
    for row in model.systems.to_dict("records"):
        sid = row.pop("system_id")
        zone = zones.loc[row["zone_id"]]
        row["zone_name_ja"] = zone["name_ja"]
        row["zone_name_en"] = zone.get("name_en", "")
        row["internet_facing"] = bool(zone["internet_facing"])
        row["holds_my_number"] = any(f in mn_files for f in row["holds"])
        g.add_node(sid, **row)
    for row in model.flows.to_dict("records"):
        fid = row.pop("flow_id")
        g.add_edge(row["source"], row["target"], key=fid, flow_id=fid, **row)
    return g


def require_model(model: Any, function: str) -> None:
    """Check that ``model`` is a loaded :class:`Model`; the first line of every public function taking one.

    A path or a model's name given instead would otherwise fail deep inside the analysis with an
    ``AttributeError``; this says what was given and how to load it.

    Parameters
    ----------
    model
        What the caller passed as the model.
    function
        The public function's name, for the message.

    Raises
    ------
    ModelTypeError
        When ``model`` is not a :class:`Model`; for a path (``str`` or :class:`os.PathLike`) the message
        shows the ``load_model`` call that loads it.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.model.model import require_model
    >>> require_model(load_model(bundled_model_path()), "node_exposure")
    >>> from pia_analysis.model.errors import ModelTypeError
    >>> try:
    ...     require_model(bundled_model_path(), "stage_coverage")
    ... except ModelTypeError as error:
    ...     print(str(error).replace(str(bundled_model_path()), "…"))
    stage_coverage needs a loaded Model, not PosixPath: load it first with pia_analysis.load_model('…')
    """
    if isinstance(model, Model):
        return
    given = type(model).__name__
    if isinstance(model, (str, os.PathLike)):
        hint = f"load it first with pia_analysis.load_model({os.fspath(model)!r})"
    else:
        hint = "load one with pia_analysis.load_model(path)"
    raise ModelTypeError(f"{function} needs a loaded Model, not {given}: {hint}")


def _model_label(model: Model) -> str:
    return redact(str(model.path)) if model.path is not None else repr(redact(model.id))


def check_same_assessment(old: Model, new: Model) -> None:
    """Refuse two models that are not versions of one assessment: their organisation or affairs differ.

    Versions of one assessment (a model and its ``previous``, a model and the same model changed by a
    scenario) share the keys :data:`~pia_analysis.model.schema.ASSESSMENT_KEYS` of ``model.yaml``.

    Parameters
    ----------
    old, new : Model
        The two models, in the order they are compared.

    Raises
    ------
    DifferentAssessmentError
        Naming each key that differs, its value in both models, and how to proceed.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.model.errors import DifferentAssessmentError
    >>> from pia_analysis.model.model import check_same_assessment
    >>> r3 = load_model(bundled_model_path())
    >>> check_same_assessment(r3, r3)
    >>> other = r3.replace(meta={**r3.meta, "organisation": "門司市"})
    >>> try:
    ...     check_same_assessment(r3, other)
    ... except DifferentAssessmentError as exc:
    ...     print(str(exc).split(" (hint")[0].split(": ", 1)[1])
    organisation '北九州市' ≠ '門司市'
    """
    differ = [f"{key} {redact(str(old.meta.get(key)))!r} ≠ {redact(str(new.meta.get(key)))!r}"
              for key in ASSESSMENT_KEYS if old.meta.get(key) != new.meta.get(key)]
    if differ:
        raise DifferentAssessmentError(
            f"{_model_label(old)} and {_model_label(new)} are not versions of one assessment: {'; '.join(differ)} "
            f"(hint: compare a model with an earlier version of the same assessment, e.g. its previous; if "
            f"{' or '.join(ASSESSMENT_KEYS)} was only renamed, give both models the same value (in model.yaml, "
            f"or a workbook's model sheet))")
