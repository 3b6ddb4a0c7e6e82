"""Every item of the 評価書 answered from the model: the frame the document writers print.

The layouts are packaged data (``catalog/form_layout.csv``, read with :func:`~pia_analysis.catalog.layout.form_layout`):
each item names what fills it (its ``fill``, the vocabulary of ``catalog/README.md``; where each key is kept in
the model: ``catalog/fill_keys.csv``). This module walks a layout in the form's order, writes the repeated blocks
once per unit (file, system, 委託事項, 提供先・移転先, change) and answers each item:

- ``derive:`` keys are computed from the model by one function each (``_derive_<key>``), documented in
  ``docs/assessment.md``; the rules that are mappings are catalogue tables (``acquisition_source_rules.csv``,
  ``channel_keywords.csv``'s ``acquisition_method`` / ``provision_method``, ``record_item_categories.csv``,
  ``bands.csv``);
- ``model:``, ``procedure:``, ``rated:``, ``sub_measure:``, ``declaration:``, ``other_risk:`` read the model as is;
  ``controls:`` lists the controls that mitigate a rated item; a risk's only sub-measure (its リスクに対する措置の内容)
  that no sub-measure text answers is written as ``controls:`` would (the 重点項目評価書's rule, one place);
- ``doc:`` keys read the document-only data of the model (``model.yaml``'s ``document:`` block, ``file_details.csv``,
  ``outsourcing.csv``, ``recipients.csv``, systems' ``functions``): :attr:`Model.document` (without its ``source``,
  which is the block's provenance, not an item), :attr:`Model.file_details` …;
- ``form_answers.csv`` overrides any item.

Nothing is guessed: an item nothing fills is ``missing`` (the writer prints 【要記入】) and says which model table
or key would fill it. See ``docs/assessment.md``.
"""

from __future__ import annotations

__all__ = ["ANSWER_COLUMNS", "ANSWER_STATUSES", "AFFAIR_STEP_COLUMNS", "COMPLETENESS_COLUMNS", "FORM_NAMES_JA",
           "PENDING_JA", "affair_steps", "assessment_answers", "assessment_completeness", "step_label"]

import dataclasses
import datetime as dt
import math
import numbers
import unicodedata
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pandas as pd

from .. import catalog
from ..analysis.coverage import declared_out
from ..analysis.judgments import procedure_rules, required_assessment
from ..analysis.sub_measures import sub_measure_answers
from ..catalog.sub_measures import sub_measure_catalog
from ..catalog.layout import FORMS, band_of, bands, form_layout, record_item_categories, record_item_category
from ..model.checks import answer_choices, band_number
from ..model.japanese import japanese_date, parse_date_text
from ..model.model import Model, require_model
from ..model.organisation import organisation_kind
from ..model.rated import fold_ratings
from ..model.schema import (
    CLOUD_OPERATORS,
    MODEL_KEY_UNITS,
    NOT_SET,
    NOT_SET_WORDS,
    OUTSOURCED_OPERATORS,
    TABLES,
)
from ..util.errors import InvalidArgumentError
from ..util.words import operator_word
from ..whatif.versions import FIRST_GIVEN_RULE

#: What the document prints in an item the model cannot fill.
PENDING_JA = "【要記入】"
#: The statuses of an answer: computed from the model (``derived``), read from it as is (``model``), from its
#: document-only data (``document``), from ``form_answers.csv`` (``override``), empty by a declaration or the
#: form's own rule (``empty_declared``), or not filled (``missing``, printed 【要記入】). Headings have ``""``.
ANSWER_STATUSES = ("derived", "model", "document", "override", "empty_declared", "missing")
#: The forms' own names, as the cover's 評価書名 ends.
FORM_NAMES_JA = {"full": "全項目評価書", "focused": "重点項目評価書", "basic": "基礎項目評価書"}
#: The columns of :func:`assessment_answers`.
ANSWER_COLUMNS = ["form", "item_id", "parent", "order", "depth", "unit", "unit_kind", "parent_unit", "section",
                  "number", "label_ja", "label_en", "kind", "choice_set", "answer", "chosen", "choices", "detail",
                  "status", "filled_from", "source", "optional", "show"]
#: The columns of :func:`assessment_completeness`.
COMPLETENESS_COLUMNS = ["form", "section", "items", "model", "derived", "document", "override", "empty_declared",
                        "missing", "filled_share", "change_rows", "missing_items"]

_CHECKED, _UNCHECKED = "☑", "☐"
# the words of a retention period that is not set (保管期間 定められていない), folded: the loader's words and the
# value it reads them as (file_details.csv retention), so a form_answers.csv answer in any of them reads the same
_NOT_SET = tuple(dict.fromkeys(unicodedata.normalize("NFKC", w).casefold() for w in (*NOT_SET_WORDS, NOT_SET)))
_JOIN = "、"
# the forms the threshold judgment's code requires (the 基礎項目評価書 always)
_FORMS_OF = {"full": ("basic", "full"), "focused": ("basic", "focused"), "basic": ("basic",), "none": ()}
_STATUS_JA = {"implemented": "実施済み", "planned": "計画中", "missing": "未実施", "unknown": "不明"}
# where each document-only table is read from, as the completeness table names it
_PLACE_NAMES = {"document": "model.yaml document:", "procedure": "model.yaml procedure:",
                "file_details": "file_details.csv", "outsourcing": "outsourcing.csv", "recipients": "recipients.csv",
                "systems": "systems.csv"}


# ---------------------------------------------------------------------------------------------------
# values


def _empty(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, (list, tuple, dict)) and not value


def _text(value: Any) -> str:
    """A value as the document prints it: dates in 和暦 (令和8年4月1日), lists one per line, no .0 on whole numbers."""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return japanese_date(value)
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _dotted(block: dict[str, Any], key: str) -> Any:
    """``key`` of a block written flat (``"disclosure.office"``) or nested (``{disclosure: {office: …}}``)."""
    if key in block:
        return block[key]
    value: Any = block
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclasses.dataclass(frozen=True)
class _Answer:
    """An item's answer: the printed text, the chosen labels (choice items), extra text, where it came from."""

    answer: str
    chosen: tuple[str, ...] = ()
    detail: str = ""
    source: str = ""
    status: str = "derived"


@dataclasses.dataclass(frozen=True)
class _Outsourcing:
    """A 委託事項: its id (an ``outsourcing.csv`` id, or the contractor-run system's id), name, systems, flows."""

    unit_id: str
    name: str
    systems: tuple[str, ...]
    flows: tuple[str, ...]
    row: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class _Unit:
    kind: str  # file, system, outsourcing, recipient, change
    unit_id: str
    title: str
    payload: Any = None


# ---------------------------------------------------------------------------------------------------
# the context: the model read once


class _Context:
    def __init__(self, model: Model, form: str, previous: Model | None):
        self.model = model
        self.form = form
        self.previous = previous
        self._bands: dict[str, pd.DataFrame | None] = {}
        self._categories: dict[str, str] = {}
        self._memo: dict[tuple[str, str], Any] = {}

    def memo(self, what: str, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per (what, key): a block's rows ask the same question of the same unit."""
        if (what, key) not in self._memo:
            self._memo[(what, key)] = compute()
        return self._memo[(what, key)]

    # the model's tables as dicts -----------------------------------------------------------------
    @cached_property
    def document(self) -> dict[str, Any]:
        """model.yaml's ``document`` block, flattened (its ``source`` kept: the provenance of the doc: answers)."""
        return self.model.document

    @cached_property
    def systems(self) -> dict[str, dict[str, Any]]:
        return {r["system_id"]: r for r in self.model.systems.to_dict("records")}

    @cached_property
    def zones(self) -> dict[str, dict[str, Any]]:
        return {r["zone_id"]: r for r in self.model.zones.to_dict("records")}

    @cached_property
    def files(self) -> dict[str, dict[str, Any]]:
        return {r["file_id"]: r for r in self.model.files.to_dict("records")}

    @cached_property
    def flows(self) -> list[dict[str, Any]]:
        return self.model.flows.to_dict("records")

    @cached_property
    def flow_ids(self) -> dict[str, dict[str, Any]]:
        return {fl["flow_id"]: fl for fl in self.flows}

    @cached_property
    def flows_by_file(self) -> dict[str, list[dict[str, Any]]]:
        """File id -> the flows carrying it, in flow order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for fl in self.flows:
            for f in dict.fromkeys(fl["files"] or []):
                out.setdefault(f, []).append(fl)
        return out

    @cached_property
    def flows_by_system(self) -> dict[str, list[dict[str, Any]]]:
        """System id -> the flows it is an end of, in flow order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for fl in self.flows:
            for s in dict.fromkeys((fl["source"], fl["target"])):
                out.setdefault(s, []).append(fl)
        return out

    def neighbours(self, systems: set[str]) -> set[str]:
        """The systems linked by a flow (either way) to any of ``systems``."""
        return {e for s in systems for fl in self.flows_by_system.get(s, [])
                for e in (fl["source"], fl["target"]) if e != s}

    @cached_property
    def mn(self) -> frozenset[str]:
        return self.model.my_number_files

    def mn_files_of(self, flow: dict[str, Any]) -> list[str]:
        return [f for f in (flow["files"] or []) if f in self.mn]

    def holds(self, system_id: str) -> list[str]:
        return list(self.systems[system_id]["holds"] or [])

    def operator(self, system_id: str) -> str:
        return str(self.systems[system_id]["operator"])

    def operator_word(self, system_id: str) -> str:
        """Who runs a system in the document's words: the body's own word (市, 町 …) or 委託先, 国 and so on."""
        code = self.operator(system_id)
        return organisation_kind(self.model.meta).word_ja if code == "city" else operator_word(code)

    def name(self, system_id: str) -> str:
        return str(self.systems[system_id]["name_ja"])

    # catalogue -------------------------------------------------------------------------------------
    @cached_property
    def choice_labels(self) -> dict[str, list[str]]:
        sets = catalog.choice_sets()
        out = {name: group.sort_values("order", kind="stable")["label_ja"].tolist()
               for name, group in sets.groupby("choice_set", sort=False)}
        out["record_item_categories"] = self.categories["item_ja"].tolist()
        return out

    @cached_property
    def choice_aliases(self) -> dict[tuple[str, str], str]:
        """(choice set, folded alias or label) -> label."""
        out: dict[tuple[str, str], str] = {}
        for row in catalog.choice_sets().to_dict("records"):
            aliases = row["aliases"] if isinstance(row["aliases"], (list, tuple)) else str(row["aliases"]).split()
            for word in (row["label_ja"], row["label_en"], *aliases):
                out[(row["choice_set"], _fold(str(word)))] = row["label_ja"]
        return out

    def label_of(self, choice_set: str, value: Any) -> str | None:
        return self.choice_aliases.get((choice_set, _fold(_text(value))))

    def choices(self, kind: str, choice_set: str) -> list[str]:
        if not choice_set or kind not in ("choice", "multi_choice", "band", "rated", "sub_measure"):
            return []
        if choice_set in self.choice_labels:
            return list(self.choice_labels[choice_set])
        table = self.band_table(choice_set)
        return [] if table is None else table["label_ja"].tolist()

    def band_table(self, band_set: str) -> pd.DataFrame | None:
        """:func:`~pia_analysis.catalog.layout.bands` of a set, read once per document (None: not a band set)."""
        if band_set not in self._bands:
            try:
                self._bands[band_set] = bands(band_set)
            except ValueError:
                self._bands[band_set] = None
        return self._bands[band_set]

    def band_unit(self, band_set: str) -> str:
        """The Japanese word of a band set's unit (bands.csv ``unit`` → the schema's unit words: 人, 年), or ""."""
        table = self.band_table(band_set)
        if table is None or table.empty:
            return ""
        words = {en: ja for column in (c for t in TABLES for c in t.columns) if column.unit
                 for ja, en in [column.unit]} | {en: ja for ja, en in MODEL_KEY_UNITS.values()}
        return words.get(str(table["unit"].iloc[0]), "")

    def band_label(self, band_set: str, value: float | None) -> str:
        """The band of a value, as :func:`~pia_analysis.catalog.layout.band_of` gives it, from the cached table.

        ``band_of`` reads ``bands.csv`` on each call; a document bands thousands of values.
        (tests/test_assessment_answers.py checks the two agree at every edge.)
        """
        table = self.band_table(band_set)
        if table is None:
            raise ValueError(f"{band_set!r} is not a band set")
        if value is None:
            return band_of(band_set, None)
        for label, lower, upper in zip(table["label_ja"], table["lower"], table["upper"]):
            if not pd.isna(lower) and lower <= value and (pd.isna(upper) or value < upper):
                return str(label)
        return band_of(band_set, value)  # outside every band: band_of says why

    def record_category(self, item: str) -> str:
        """:func:`~pia_analysis.catalog.layout.record_item_category` of an item, once per distinct text."""
        if item not in self._categories:
            self._categories[item] = record_item_category(item)
        return self._categories[item]

    @cached_property
    def categories(self) -> pd.DataFrame:
        return record_item_categories()

    @cached_property
    def fill_places(self) -> dict[str, tuple[str, str]]:
        """The fill keys: key -> (unit, model place) of ``catalog/fill_keys.csv``."""
        table = catalog.read_table("fill_keys.csv")
        return {k: (u, p) for k, u, p in zip(table["key"], table["unit"], table["model_place"])}

    @cached_property
    def channel_methods(self) -> list[tuple[str, str, str]]:
        """(folded keyword, acquisition_method, provision_method), longest keyword first."""
        table = catalog.read_table("channel_keywords.csv")
        rows = [(_fold(k), a, p) for k, a, p in zip(table["keyword"], table["acquisition_method"],
                                                     table["provision_method"])]
        return sorted(rows, key=lambda r: -len(r[0]))

    @cached_property
    def source_rules(self) -> list[dict[str, str]]:
        return catalog.read_table("acquisition_source_rules.csv").to_dict("records")

    # the model's analyses -------------------------------------------------------------------------
    @cached_property
    def declared(self) -> dict[str, str]:
        """Rated item -> the declaration's words, for the items a stage declaration puts out of scope."""
        return declared_out(self.model)

    @cached_property
    def declared_stages(self) -> set[str]:
        """Stages every rated item of which is declared out (their その他のリスク is empty too)."""
        items = self.model.rated_items
        out = set()
        for stage, group in items.loc[items["stage"] != ""].groupby("stage"):
            if set(group["rated_item_id"]) <= set(self.declared):
                out.add(str(stage))
        return out

    @cached_property
    def ratings(self) -> dict[str, tuple[str, str]]:
        """Rated item -> (rating, source)."""
        r = self.model.ratings
        if r.empty:
            return {}
        frame = r[["risk_id", "rating"]].assign(source=r["source"] if "source" in r.columns else "")
        folded, _ = fold_ratings(frame[["risk_id", "rating"]], self.model.rated_items)
        sources = dict(zip(frame["risk_id"], frame["source"]))
        return {i: (str(v), "" if _empty(sources.get(i)) else str(sources[i]))
                for i, v in zip(folded["risk_id"], folded["rating"])}

    @cached_property
    def sub_answers(self) -> dict[str, dict[str, Any]]:
        return {r["sub_measure_id"]: r for r in sub_measure_answers(self.model).to_dict("records")}

    @cached_property
    def sole_sub_measures(self) -> dict[str, str]:
        """The sub-measures that are their rated item's only one (the risk's 措置の内容) → that rated item."""
        catalog = sub_measure_catalog()
        counts = catalog["rated_item"].value_counts()
        return {s: r for s, r in zip(catalog["sub_measure_id"], catalog["rated_item"]) if counts[r] == 1}

    @cached_property
    def controls(self) -> list[dict[str, Any]]:
        return self.model.controls.to_dict("records")

    @cached_property
    def status_elsewhere(self) -> dict[str, list[tuple[str, str]]]:
        """Control id → (element, status) of its per-element statuses (control_status.csv), in file order."""
        cs = self.model.control_status
        out: dict[str, list[tuple[str, str]]] = {}
        for cid, element, status in zip(cs["control_id"], cs["element"], cs["status"]):
            out.setdefault(str(cid), []).append((str(element), str(status)))
        return out

    @cached_property
    def rated_risks(self) -> dict[str, set[str]]:
        items = self.model.rated_items
        return {i: {i, *r} for i, r in zip(items["rated_item_id"], items["risks"])}

    @cached_property
    def changes(self) -> list[dict[str, Any]] | None:
        """The rows of (別添3) against the previous version, or None without one."""
        if self.previous is None:
            return None
        from ..whatif.versions import diff

        return diff(self.previous, self.model).change_sheet().to_dict("records")

    @cached_property
    def form_answers(self) -> dict[tuple[str, str], dict[str, Any]]:
        fa = self.model.form_answers
        if fa.empty:
            return {}
        out = {}
        for row in fa.to_dict("records"):
            unit = "" if _empty(row.get("unit")) else str(row.get("unit"))
            out[(str(row["item_id"]), unit)] = row
        return out

    # units ------------------------------------------------------------------------------------------
    @cached_property
    def mn_file_ids(self) -> list[str]:
        return [f for f in self.files if f in self.mn]

    @cached_property
    def affair_systems(self) -> list[str]:
        """The systems (kind ``system``) that hold a file with My Numbers or are an end of a flow carrying one."""
        ends = {e for fl in self.flows if self.mn_files_of(fl) for e in (fl["source"], fl["target"])}
        return [s for s, row in self.systems.items()
                if row["kind"] == "system" and (set(self.holds(s)) & self.mn or s in ends)]

    def outsourced(self, system_id: str) -> bool:
        return self.operator(system_id) in OUTSOURCED_OPERATORS

    def outsourcing_units(self, file_id: str) -> list[_Outsourcing]:
        """The 委託事項 of a file (computed once per file)."""
        return self.memo("outsourcing", file_id, lambda: self._outsourcing_units(file_id))

    def _outsourcing_units(self, file_id: str) -> list[_Outsourcing]:
        """The 委託事項 of a file.

        ``outsourcing.csv`` rows that cover it, then one per contractor-run system left.  A contractor-run system
        qualifies when it holds the file or is an end of an ``outsource`` flow carrying it; a subcontractor-run
        system connected to one by a flow is that 委託事項's 再委託, not a 委託事項.
        """
        carrying = [fl for fl in self.flows_by_file.get(file_id, []) if fl["stage"] == "outsource"]
        ends = {e for fl in carrying for e in (fl["source"], fl["target"]) if self.outsourced(e)}
        qualifying = [s for s in self.systems if self.outsourced(s) and (file_id in self.holds(s) or s in ends)]
        contractor = [s for s in qualifying if self.operator(s) == "contractor"]
        # a subcontractor-run system holding the file with no contractor-run system beside it is entrusted itself
        linked = self.neighbours(set(contractor))
        qualifying = [s for s in qualifying if self.operator(s) == "contractor" or s not in linked]
        units: list[_Outsourcing] = []
        covered: set[str] = set()
        flow_ids = self.flow_ids
        for row in self.model.outsourcing.to_dict("records"):
            cover = [str(c) for c in (row.get("covers") or [])]
            systems = [c for c in cover if c in self.systems]
            for c in cover:
                if c in flow_ids:
                    fl = flow_ids[c]
                    systems += [e for e in (fl["source"], fl["target"]) if self.outsourced(e)]
            systems = list(dict.fromkeys(systems))
            touches = (any(s in qualifying for s in systems)
                       or any(c in flow_ids and file_id in (flow_ids[c]["files"] or []) for c in cover))
            if touches:
                covered.update(systems)
                units.append(_Outsourcing(str(row["outsourcing_id"]), str(row.get("name_ja") or ""), tuple(systems),
                                          tuple(c for c in cover if c in flow_ids), row))
        for s in qualifying:
            if s not in covered:
                units.append(_Outsourcing(s, self.name(s), (s,), (), None))
        return units

    def outsourcing_flows(self, unit: _Outsourcing) -> list[dict[str, Any]]:
        """The flows between the 委託事項's systems and the city's side (not outsourced), in flow order."""
        inside = set(unit.systems)
        touching = {id(fl): fl for s in unit.systems for fl in self.flows_by_system.get(s, [])}
        return [fl for fl in self.flows if id(fl) in touching
                and (fl["source"] in inside) != (fl["target"] in inside)
                and not self.outsourced(fl["target"] if fl["source"] in inside else fl["source"])]

    def subcontractors(self, unit: _Outsourcing) -> list[str]:
        """The subcontractor-run systems connected by a flow to the 委託事項's systems (systems.csv order)."""
        def compute() -> list[str]:
            near = self.neighbours(set(unit.systems)) | set(unit.systems)
            return [s for s in self.systems if self.operator(s) == "subcontractor" and s in near]

        return self.memo("subcontractors", unit.unit_id, compute)

    def provide_flows(self, file_id: str) -> list[dict[str, Any]]:
        """The ``provide`` flows carrying the file from the city's side.

        The source is run by the city, its contractor or subcontractor, or by the cloud provider of its tenancy:
        what J-LIS's servers pass on among themselves is not the city's provision.
        """
        side = {"city", *OUTSOURCED_OPERATORS, *CLOUD_OPERATORS}
        return [fl for fl in self.flows_by_file.get(file_id, [])
                if fl["stage"] == "provide" and self.operator(fl["source"]) in side]

    def recipients(self, file_id: str) -> list[str]:
        return list(dict.fromkeys(fl["target"] for fl in self.provide_flows(file_id)))

    def row_of(self, name: str, column: str, key: str) -> dict[str, Any] | None:
        """The row of a document-only table (``file_details`` …) whose ``column`` is ``key`` (the first one)."""
        def index() -> dict[str, dict[str, Any]]:
            table = getattr(self.model, name)  # one of the model's document-only tables
            if table.empty or column not in table.columns:
                return {}
            out: dict[str, dict[str, Any]] = {}
            for row in table.to_dict("records"):
                out.setdefault(str(row[column]), row)
            return out

        return self.memo("table", name, index).get(key)


# ---------------------------------------------------------------------------------------------------
# the derivations: one function per derive: key family (docs/assessment.md)


def _names(ctx: _Context, system_ids: list[str]) -> str:
    return _JOIN.join(ctx.name(s) for s in system_ids)


def _methods(ctx: _Context, flows: list[dict[str, Any]], choice_set: str) -> _Answer | None:
    """The 入手方法 / 提供・移転方法 of flows from their channels.

    The choice of the longest keyword each channel contains (``catalog/channel_keywords.csv``, column
    ``choice_set``); その他 with the channel's text otherwise.
    """
    if not flows:
        return None
    column = 1 if choice_set == "acquisition_method" else 2
    labels = ctx.choice_labels[choice_set]
    chosen: dict[str, list[str]] = {}
    for fl in flows:
        channel = str(fl["channel"] or "")
        hit = next((row[column] for row in ctx.channel_methods if row[0] and row[0] in _fold(channel)), "")
        label = hit if hit in labels else "その他"
        chosen.setdefault(label, [])
        if label == "その他" and channel and channel not in chosen[label]:
            chosen[label].append(channel)
    ordered = [c for c in labels if c in chosen]
    text = _JOIN.join(f"その他（{_JOIN.join(chosen[c])}）" if c == "その他" and chosen[c] else c for c in ordered)
    return _Answer(text, tuple(ordered), source="flows " + ", ".join(fl["flow_id"] for fl in flows))


#: The columns of :func:`affair_steps`.
AFFAIR_STEP_COLUMNS = ["step", "label", "flow_id", "stage", "source", "target", "text"]


def step_label(step: int) -> str:
    """The number of a step as the 評価書 prints it: ① … ⑳, then (21), (22) ….

    The circled numbers every font of the form has end at 20.

    Parameters
    ----------
    step
        The step, from 1.

    Returns
    -------
    str
        ``①`` for 1, ``(21)`` for 21.

    Raises
    ------
    ValueError
        For a step below 1.

    Examples
    --------
    >>> from pia_analysis.outputs.assessment_answers import step_label
    >>> step_label(1), step_label(20), step_label(21)
    ('①', '⑳', '(21)')
    """
    if step < 1:
        raise ValueError(f"a step is numbered from 1, not {step}")
    return chr(ord("①") + step - 1) if step <= 20 else f"({step})"


def affair_steps(model: Model) -> pd.DataFrame:
    """The steps of the affair (別添1 事務の流れ) written from the flows: one numbered step per flow.

    The flows in the order of the process stages (入手, 使用, 委託, 提供・移転, 情報提供ネットワークシステムとの接続,
    保管・消去: ``catalog/stages.csv``), within a stage in the order of ``flows.csv``. Each step says the stage,
    who sends to whom (⇄ for an interactive flow), the files it carries and the channel, by name:
    ``（入手）届出人（住民・代理人） → 総合窓口システム：住民基本台帳ファイル（窓口）``. The same numbers label the
    arrows of the 別添1 diagram (:func:`pia_analysis.charts.dataflow.dataflow_diagram` with ``step_labels``).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    pandas.DataFrame
        One row per flow, columns :data:`AFFAIR_STEP_COLUMNS`: ``step`` (int, from 1), ``label`` (①…, see
        :func:`step_label`), ``flow_id``, ``stage``, ``source``, ``target`` (system ids) and ``text`` (the step
        in words, names only). Empty (with the columns) for a model without flows.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import affair_steps
    >>> steps = affair_steps(load_model(bundled_model_path()))
    >>> steps.loc[0, "label"], steps.loc[0, "stage"], steps["step"].is_monotonic_increasing
    ('①', 'acquire', True)
    """
    require_model(model, "affair_steps")
    stages = catalog.stages()
    order = {s: k for k, s in enumerate(stages["stage"])}
    short = dict(zip(stages["stage"], stages["short_ja"]))
    names = {r["system_id"]: str(r["name_ja"]) for r in model.systems.to_dict("records")}
    files = {r["file_id"]: str(r["name_ja"]) for r in model.files.to_dict("records")}
    flows = model.flows.to_dict("records")
    flows = sorted(flows, key=lambda fl: order.get(fl["stage"], len(order)))  # stable: flows.csv order within
    rows = []
    for k, fl in enumerate(flows, 1):
        arrow = "⇄" if fl["interactive"] else "→"
        carried = _JOIN.join(files.get(f, f) for f in dict.fromkeys(fl["files"] or []))
        channel = "" if _empty(fl["channel"]) else f"（{_text(fl['channel'])}）"
        text = (f"（{short.get(fl['stage'], fl['stage'])}）{names.get(fl['source'], fl['source'])} {arrow} "
                f"{names.get(fl['target'], fl['target'])}" + (f"：{carried}" if carried else "") + channel)
        rows.append({"step": k, "label": step_label(k), "flow_id": fl["flow_id"], "stage": fl["stage"],
                     "source": fl["source"], "target": fl["target"], "text": text})
    return pd.DataFrame(rows, columns=AFFAIR_STEP_COLUMNS)


#: What 別添1's 図 says when the diagram is drawn from the model (the writers draw it under the row).
DERIVED_DIAGRAM_JA = "下図（システムと特定個人情報の流れ。矢印の番号は事務の流れの番号）"


def _derive_affair_diagram(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """別添1 図: the analyst's own diagram (``document.affair_diagram``, a path) if given, else one drawn.

    The data-flow diagram drawn from the model: the writers draw it under the row; the item says so.
    """
    given = ctx.document.get("affair_diagram")
    if not _empty(given):
        return _Answer(f"下図（{_text(given)}）", source=str(ctx.document.get("source") or "model.yaml document"),
                       status="document")
    if not ctx.flows:
        return None
    return _Answer(DERIVED_DIAGRAM_JA, source="systems.csv, flows.csv (charts.dataflow)")


def _derive_affair_steps(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """別添1 事務の流れ: the analyst's text (``document.affair_steps``) if given, else :func:`affair_steps`."""
    given = ctx.document.get("affair_steps")
    if not _empty(given):
        return _Answer(_text(given), source=str(ctx.document.get("source") or "model.yaml document"),
                       status="document")
    steps = affair_steps(ctx.model)
    if steps.empty:
        return None
    return _Answer("\n".join(f"{label} {text}" for label, text in zip(steps["label"], steps["text"])),
                   source="flows " + ", ".join(steps["flow_id"]))


def _derive_document_title(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """評価書名: the affairs (``model.yaml`` ``affairs``) and the form's name (全項目評価書 …)."""
    title = f"{ctx.model.meta.get('affairs', '')} {FORM_NAMES_JA[ctx.form]}".strip()
    return _Answer(title, source="model.yaml affairs")


def _derive_systems(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅰ 2 システム{n}, Ⅰ ① システムの名称 / 基礎 ③.

    The system's name, or the names of all the affair's systems (kind ``system``, holding a file with My Numbers or
    at an end of a flow carrying one; systems.csv order).
    """
    if unit is not None and unit.kind == "system":
        return _Answer(ctx.name(unit.unit_id), source=f"systems {unit.unit_id}")
    if not ctx.affair_systems:
        return None
    return _Answer("\n".join(ctx.name(s) for s in ctx.affair_systems),
                   source="systems " + ", ".join(ctx.affair_systems))


def _derive_system_connections(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅰ 2 ③ 他のシステムとの接続.

    The other ends (kind system, store, network, external; not terminals) of the system's flows, de-duplicated in
    flow order.
    """
    assert unit is not None
    s = unit.unit_id
    ends, used = [], []
    for fl in ctx.flows_by_system.get(s, []):
        if s in (fl["source"], fl["target"]):
            other = fl["target"] if fl["source"] == s else fl["source"]
            if other != s and ctx.systems[other]["kind"] in ("system", "store", "network", "external"):
                ends.append(other)
                used.append(fl["flow_id"])
    ends = list(dict.fromkeys(ends))
    if not ends:
        return _Answer("なし", source=f"flows of {s}: none to another system")
    return _Answer(_names(ctx, ends), source="flows " + ", ".join(used))


def _derive_files(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅰ 3 / Ⅲ 1 特定個人情報ファイル名, Ⅱ 1: the file's name, or the names of the files with My Numbers."""
    if unit is not None and unit.kind == "file":
        return _Answer(str(ctx.files[unit.unit_id]["name_ja"]), source=f"files {unit.unit_id}")
    if not ctx.mn_file_ids:
        return None
    return _Answer("\n".join(str(ctx.files[f]["name_ja"]) for f in ctx.mn_file_ids),
                   source="files " + ", ".join(ctx.mn_file_ids))


def _band(ctx: _Context, band_set: str, value: float, unit_word: str, source: str) -> _Answer:
    label = ctx.band_label(band_set, value)
    return _Answer(label, (label,), detail=f"{int(value):,}{unit_word}", source=source)


def _derive_file_records(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 2 ② 対象となる本人の数: the file's ``records``, banded (``bands.csv`` ``population``)."""
    assert unit is not None
    return _band(ctx, "population", int(ctx.files[unit.unit_id]["records"]), "人", f"files {unit.unit_id} records")


def _derive_item_count(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 2 ④ 記録される項目: the number of the file's ``items``, banded (``record_items``); none listed: missing."""
    assert unit is not None
    items = ctx.files[unit.unit_id]["items"] or []
    if not items:
        return None
    return _band(ctx, "record_items", len(items), "項目", f"files {unit.unit_id} items")


def _derive_main_record_items(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 2 ④ 主な記録項目.

    The form's items the file's ``items`` fall into (``record_item_categories.csv``, the longest keyword); the items
    that fall into その他 are named in ``detail``.
    """
    assert unit is not None
    items = ctx.files[unit.unit_id]["items"] or []
    if not items:
        return None
    cats = ctx.categories
    by_id = dict(zip(cats["item_id"], cats["item_ja"]))
    found: dict[str, list[str]] = {}
    for item in items:
        found.setdefault(ctx.record_category(str(item)), []).append(str(item))
    chosen = [by_id[i] for i in cats["item_id"] if i in found]
    other = found.get("other", [])
    text = _JOIN.join(f"{c}（{_JOIN.join(other)}）" if c == by_id.get("other") and other else c for c in chosen)
    return _Answer(text, tuple(chosen), detail=("その他に当たる項目: " + _JOIN.join(other)) if other else "",
                   source=f"files {unit.unit_id} items")


def _derive_all_record_items(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """(別添2) 記録項目: the file's ``items``, numbered one per line."""
    assert unit is not None
    items = ctx.files[unit.unit_id]["items"] or []
    if not items:
        return None
    return _Answer("\n".join(f"{i}. {item}" for i, item in enumerate(items, 1)), source=f"files {unit.unit_id} items")


def _acquiring(ctx: _Context, file_id: str) -> list[tuple[dict[str, Any], str]]:
    """The ``acquire`` flows carrying the file whose source is outside the affair, with the 入手元 choice."""
    out = []
    for fl in ctx.flows_by_file.get(file_id, []):
        if fl["stage"] != "acquire":
            continue
        src = ctx.systems[fl["source"]]
        for rule in ctx.source_rules:
            kinds = rule["system_kinds"].split()
            if rule["operator"] == src["operator"] and (not kinds or src["kind"] in kinds):
                out.append((fl, rule["choice"]))
                break
    return out


def _derive_acquisition_sources(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 3 ① 入手元.

    From the operator (and kind) of the sources of the ``acquire`` flows carrying the file, by the first matching
    row of ``catalog/acquisition_source_rules.csv``; a source no row matches (a city system of the affair) is no
    入手元. None left: missing.
    """
    assert unit is not None
    hits = _acquiring(ctx, unit.unit_id)
    if not hits:
        return None
    labels = ctx.choice_labels["acquisition_source"]
    chosen = [c for c in labels if c in {h[1] for h in hits}]
    return _Answer(_JOIN.join(chosen), tuple(chosen), source="flows " + ", ".join(h[0]["flow_id"] for h in hits))


def _derive_acquisition_methods(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 3 ② 入手方法: the channels of the flows that gave a 入手元, mapped by ``channel_keywords.csv``."""
    assert unit is not None
    return _methods(ctx, [h[0] for h in _acquiring(ctx, unit.unit_id)], "acquisition_method")


def _derive_outsourcing_status(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 委託の有無 and 件数: 委託する with the number of 委託事項 when the file has any, else 委託しない."""
    assert unit is not None
    units = ctx.outsourcing_units(unit.unit_id)
    label = "委託する" if units else "委託しない"
    return _Answer(label, (label,), source="委託事項 " + ", ".join(u.unit_id for u in units) if units else
                   "no contractor-run system holds the file; no outsource flow carries it")


def _derive_outsourcing_count(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 件数: the number of the file's 委託事項."""
    assert unit is not None
    units = ctx.outsourcing_units(unit.unit_id)
    return _Answer(f"{len(units)}件", source="委託事項 " + ", ".join(u.unit_id for u in units))


def _outsourcing(unit: _Unit | None) -> _Outsourcing:
    assert unit is not None and unit.kind == "outsourcing"
    return unit.payload


def _derive_outsourcing_title(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """委託事項{n}: the ``outsourcing.csv`` row's ``name_ja``, else the contractor-run system's name."""
    o = _outsourcing(unit)
    return _Answer(o.name, source=f"outsourcing {o.unit_id}" if o.row else f"systems {o.unit_id}") if o.name else None


def _outsourced_files(ctx: _Context, o: _Outsourcing) -> list[str]:
    def compute() -> list[str]:
        found = {f for s in o.systems for f in ctx.holds(s)}
        flows = [fl for s in o.systems for fl in ctx.flows_by_system.get(s, [])]
        flows += [ctx.flow_ids[i] for i in o.flows if i in ctx.flow_ids]
        found |= {f for fl in flows for f in (fl["files"] or [])}
        return [f for f in ctx.mn_file_ids if f in found]

    return ctx.memo("outsourced_files", o.unit_id, compute)


def _derive_outsourced_files(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 ② 取扱いを委託する特定個人情報ファイルの範囲.

    The files with My Numbers the 委託事項's systems hold or exchange, named.
    """
    files = _outsourced_files(ctx, _outsourcing(unit))
    return _Answer(_JOIN.join(str(ctx.files[f]["name_ja"]) for f in files), source="files " + ", ".join(files)) \
        if files else None


def _derive_outsourced_records(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 ② 対象となる本人の数: the largest ``records`` of those files, banded (``population``)."""
    files = _outsourced_files(ctx, _outsourcing(unit))
    if not files:
        return None
    return _band(ctx, "population", max(int(ctx.files[f]["records"]) for f in files), "人",
                 "files " + ", ".join(files) + " records (the largest)")


def _derive_outsourcing_channels(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 ④ 委託先への提供方法.

    The channels of the flows between the city's side and the 委託事項's systems, mapped to the 提供・移転方法
    choices by ``channel_keywords.csv``.
    """
    return _methods(ctx, ctx.outsourcing_flows(_outsourcing(unit)), "provision_method")


def _derive_subcontracting(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 ⑦ 再委託の有無.

    再委託する when a subcontractor-run system is connected by a flow to the 委託事項's systems (or is one of
    them), else 再委託しない.
    """
    o = _outsourcing(unit)
    subs = ctx.subcontractors(o)
    label = "再委託する" if subs else "再委託しない"
    return _Answer(label, (label,), source=("systems " + ", ".join(subs)) if subs else
                   "no subcontractor-run system is connected to " + ", ".join(o.systems))


def _derive_subcontract_items(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 4 ⑨ 再委託事項: what those subcontractor-run systems do (``systems.csv`` ``functions``).

    Empty when nothing is subcontracted; 【要記入】 when none of them says what it does — a system's name is not
    what is subcontracted, so it is never given as the answer.
    """
    subs = ctx.subcontractors(_outsourcing(unit))
    if not subs:
        return _Answer("", source="再委託しない", status="empty_declared")
    done = [(s, _text(ctx.systems[s].get("functions"))) for s in subs if not _empty(ctx.systems[s].get("functions"))]
    if not done:
        return None
    return _Answer("\n".join(dict.fromkeys(text for _s, text in done)),
                   source="systems " + ", ".join(s for s, _t in done) + " functions")


def _derive_provision_status(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 5 提供・移転の有無.

    提供を行っている when a ``provide`` flow carries the file to another body, 移転を行っている when to a city-run
    system (another affair), both possible; 行っていない when neither.
    """
    assert unit is not None
    flows = ctx.provide_flows(unit.unit_id)
    kinds = {"移転を行っている" if ctx.operator(fl["target"]) == "city" else "提供を行っている" for fl in flows}
    labels = ctx.choice_labels["provision_status"]
    chosen = [c for c in labels if c in kinds] or ["行っていない"]
    return _Answer(_JOIN.join(chosen), tuple(chosen),
                   source=("flows " + ", ".join(fl["flow_id"] for fl in flows)) if flows
                   else "no provide flow carries it")


def _derive_recipient_count(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 5 件数: the number of the file's 提供先・移転先."""
    assert unit is not None
    recipients = ctx.recipients(unit.unit_id)
    return _Answer(f"{len(recipients)}件", source="systems " + ", ".join(recipients))


def _recipient_flows(ctx: _Context, unit: _Unit | None) -> list[dict[str, Any]]:
    assert unit is not None and unit.kind == "recipient"
    file_id = unit.payload
    return [fl for fl in ctx.provide_flows(file_id) if fl["target"] == unit.unit_id]


def _derive_recipient_name(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """提供先・移転先{n}: the target system's name."""
    assert unit is not None
    return _Answer(ctx.name(unit.unit_id), source=f"systems {unit.unit_id}")


def _provided(ctx: _Context, unit: _Unit | None) -> list[str]:
    """The file of the block, when the recipient's provide flows carry it: what of THAT file it receives.

    A recipient block sits inside a file's block (Ⅱ per file), so it lists only that file: a recipient of several
    files appears in each of their blocks with each one (listing every file in every block repeated them all —
    1.2 million characters in one item of a 90-municipality model whose national recipients receive every file).
    """
    assert unit is not None
    file_id = unit.payload
    return [file_id] if file_id in ctx.files and _recipient_flows(ctx, unit) else []


def _derive_provided_information(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 5 ③ 提供・移転する情報: each file the recipient's provide flows carry, with its items."""
    files = _provided(ctx, unit)
    parts = []
    for f in files:
        items = ctx.files[f]["items"] or []
        name = str(ctx.files[f]["name_ja"])
        parts.append(f"{name}（{_JOIN.join(map(str, items))}）" if items else name)
    return _Answer("\n".join(parts), source="files " + ", ".join(files)) if files else None


def _derive_provided_records(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 5 ④ 対象となる本人の数: the largest ``records`` of those files, banded (``population``)."""
    files = _provided(ctx, unit)
    if not files:
        return None
    return _band(ctx, "population", max(int(ctx.files[f]["records"]) for f in files), "人",
                 "files " + ", ".join(files) + " records (the largest)")


def _derive_provision_channels(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 5 ⑥ 提供・移転方法: the channels of the flows to the recipient, by ``channel_keywords.csv``."""
    return _methods(ctx, _recipient_flows(ctx, unit), "provision_method")


def _derive_storage_places(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅱ 6 ① 保管場所.

    Each system holding the file, with its zone's name and who runs it (the body's own word from its
    organisation kind — 市, 町, 県 … — or :func:`~pia_analysis.util.words.operator_word`: 委託先, 国 …), one per line.
    """
    assert unit is not None
    holders = [s for s in ctx.systems if unit.unit_id in ctx.holds(s)]
    if not holders:
        return None
    lines = []
    for s in holders:
        zone = ctx.zones.get(ctx.systems[s]["zone_id"], {}).get("name_ja", ctx.systems[s]["zone_id"])
        lines.append(f"{ctx.name(s)}（{zone}、{ctx.operator_word(s)}）")
    return _Answer("\n".join(lines), source="systems " + ", ".join(holders))


def _derive_network_linkage(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅰ 6 ① 情報提供ネットワークシステムによる情報連携.

    実施する when a ``network`` flow exists and the model does not declare both directions out
    (接続しない（入手）and（提供）); else 実施しない.
    """
    flows = [fl["flow_id"] for fl in ctx.flows if fl["stage"] == "network"]
    both = {"network_acquire", "network_provide"} <= set(ctx.model.declared_not_applicable)
    label = "実施する" if flows and not both else "実施しない"
    return _Answer(label, (label,), source=("flows " + ", ".join(flows)) if flows else "no network flow")


def _derive_threshold_result(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """基礎 Ⅲ / Ⅵ 1 ② しきい値判断結果.

    The threshold judgment (``thresholds.csv``) of ``target_population``, ``handlers``, ``serious_incident``, as the
    choice whose alias is its code.
    """
    judgment = required_assessment(ctx.model)
    label = ctx.label_of("threshold_result", judgment.code)
    if label is None:
        return None
    return _Answer(label, (label,), detail=judgment.rule,
                   source="thresholds.csv" + ("; handlers unknown, taken as below the threshold"
                                              if judgment.handlers_assumed else ""))


def _derive_submitted_forms(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """基礎 Ⅳ 1 提出する評価書の種類: ``procedure.assessment_form``, else the threshold judgment's code."""
    given = (ctx.model.meta.get("procedure") or {}).get("assessment_form")
    code = given or required_assessment(ctx.model).code
    label = ctx.label_of("submitted_forms", code)
    if label is None:
        return None
    return _Answer(label, (label,), source="model.yaml procedure.assessment_form" if given else "thresholds.csv")


def _derive_public_comment_period(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅵ 2 ② 実施日・期間.

    ``procedure.public_comment.start`` – ``end`` and the days, counted as ``procedure_rules.csv``'s
    ``public_comment_counting`` says (both ends: end − start + 1).
    """
    pc = (ctx.model.meta.get("procedure") or {}).get("public_comment") or {}
    start, end = pc.get("start"), pc.get("end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    both = procedure_rules().at["public_comment_counting", "value"] == "both_ends"
    days = (end - start).days + (1 if both else 0)
    return _Answer(f"{japanese_date(start)}～{japanese_date(end)}（{days}日間）",
                   source="model.yaml procedure.public_comment.start, end")


def _derive_public_comment_opinions(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """Ⅵ 2 ④ 主な意見の内容.

    なし when ``procedure.public_comment.comments`` is 0, else ``procedure.public_comment.opinions`` (missing when not
    given).
    """
    pc = (ctx.model.meta.get("procedure") or {}).get("public_comment") or {}
    if pc.get("comments") == 0:
        return _Answer("なし", source="model.yaml procedure.public_comment.comments: 0")
    opinions = pc.get("opinions")
    if _empty(opinions):
        return None
    return _Answer(_text(opinions), source="model.yaml procedure.public_comment.opinions", status="model")


def _derive_changes(ctx: _Context, unit: _Unit | None) -> _Answer | None:
    """(別添3) 変更箇所.

    The number of change rows of the diff against ``previous`` (なし without changes or without a previous version);
    the rows are the block's units.
    """
    if ctx.changes is None:
        return _Answer("なし", detail="前の版（model.yaml previous）がない", source="model.yaml previous")
    # data first recorded in this version is no change: the table's note says so once, it has no row
    n = sum(1 for r in ctx.changes if r["規則"] != FIRST_GIVEN_RULE)
    first = [r for r in ctx.changes if r["規則"] == FIRST_GIVEN_RULE]
    note = f"（注記: {first[0]['項目']}は{first[0]['変更後の記載']}）" if first else ""
    return _Answer((f"{n}件" if n else "なし") + note,
                   source=f"diff against {ctx.previous.id if ctx.previous is not None else ''}")


_CHANGE_COLUMNS = {"change_date": "変更日", "change_item": "項目", "change_before": "変更前の記載",
                   "change_after": "変更後の記載", "change_timing": "提出時期",
                   "change_timing_note": "提出時期に係る説明"}


def _derive_change(key: str) -> Callable[[_Context, _Unit | None], _Answer | None]:
    def derive(ctx: _Context, unit: _Unit | None) -> _Answer | None:
        """A column of a (別添3) row (``ModelDiff.change_sheet``).

        変更日, 項目, 変更前/後の記載, 提出時期 (事前 for a 重要な変更, 事後 otherwise) and its explanation.
        """
        assert unit is not None and unit.kind == "change"
        row = unit.payload
        value = str(row[_CHANGE_COLUMNS[key]])
        if key == "change_date" and value:
            value = japanese_date(parse_date_text(value))  # the diff's ISO day, printed in 和暦 as the form
        chosen = (value,) if key == "change_timing" else ()
        return _Answer(value, chosen, source=f"rule {row['規則']} ({row['区分']})")
    derive.__name__ = f"_derive_{key}"
    return derive


_DERIVE: dict[str, Callable[[_Context, _Unit | None], _Answer | None]] = {
    "document_title": _derive_document_title,
    "affair_diagram": _derive_affair_diagram, "affair_steps": _derive_affair_steps,
    "systems": _derive_systems, "system_name": _derive_systems, "system_names": _derive_systems,
    "system_connections": _derive_system_connections,
    "files": _derive_files, "file_name": _derive_files, "file_names": _derive_files,
    "file_records": _derive_file_records, "item_count": _derive_item_count,
    "main_record_items": _derive_main_record_items, "all_record_items": _derive_all_record_items,
    "acquisition_sources": _derive_acquisition_sources, "acquisition_methods": _derive_acquisition_methods,
    "outsourcing_status": _derive_outsourcing_status, "outsourcing_count": _derive_outsourcing_count,
    "outsourcing_title": _derive_outsourcing_title, "outsourced_files": _derive_outsourced_files,
    "outsourced_records": _derive_outsourced_records, "outsourcing_channels": _derive_outsourcing_channels,
    "subcontracting": _derive_subcontracting, "subcontract_items": _derive_subcontract_items,
    "provision_status": _derive_provision_status, "recipient_count": _derive_recipient_count,
    "recipient_name": _derive_recipient_name, "provided_information": _derive_provided_information,
    "provided_records": _derive_provided_records, "provision_channels": _derive_provision_channels,
    "storage_places": _derive_storage_places, "network_linkage": _derive_network_linkage,
    "threshold_result": _derive_threshold_result, "submitted_forms": _derive_submitted_forms,
    "public_comment_period": _derive_public_comment_period,
    "public_comment_opinions": _derive_public_comment_opinions,
    "changes": _derive_changes,
    **{k: _derive_change(k) for k in _CHANGE_COLUMNS},
}


# ---------------------------------------------------------------------------------------------------
# the other families


def _value_answer(ctx: _Context, row: dict[str, Any], value: Any, source: str, status: str) -> _Answer | None:
    """A value read from the model, written as the row's kind wants it (band, choice, date, text)."""
    kind, choice_set = row["kind"], row["choice_set"]
    if kind == "band":
        if isinstance(value, str) and value.strip() in ctx.choices("band", choice_set):
            label = value.strip()
            return _Answer(label, (label,), source=source, status=status)
        if isinstance(value, str) and choice_set == "retention" and _fold(value.strip()) in _NOT_SET:
            label = ctx.band_label("retention", None)
            return _Answer(label, (label,), source=source, status=status)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            # the same reading as the check of form_answers.csv (1,000人, 1000人, 5年), and a band's floor
            # written as its lower bound (1,000人以上)
            number = band_number(str(value).strip().removesuffix("以上"))
            if number is None:
                return None
            value = number
        label = ctx.band_label(choice_set, value)
        # the value with its unit, as a derived count shows it: （25人）, （7年）
        return _Answer(label, (label,), detail=f"{value:,.0f}{ctx.band_unit(choice_set)}", source=source,
                       status=status)
    if kind in ("choice", "multi_choice"):
        values = value if isinstance(value, (list, tuple)) else [value]
        # several choices are written separated by ; or ； (form_answers.csv) or 、 (as the document prints
        # them), その他 with its text as その他（USB）; a repeated choice is folded (model/checks.answer_choices)
        separators = ";；、" if kind == "multi_choice" else ""
        chosen: list[tuple[str, str]] = []
        wrong: list[str] = []
        for v in values:
            found, bad = answer_choices(_text(v), lambda part: ctx.label_of(choice_set, part), separators)
            chosen += [c for c in found if c[0] not in {label for label, _other in chosen}]
            wrong += bad
        if wrong or not chosen:
            return _Answer(_text(value), (), detail=f"not a choice of {choice_set}", source=source, status=status)
        labels = tuple(label for label, _other in chosen)
        text = _JOIN.join(f"{label}（{other}）" if other else label for label, other in chosen)
        return _Answer(text, labels, source=source, status=status)
    return _Answer(_text(value), source=source, status=status)


def _family_model(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    value = ctx.model.meta.get(key)
    return None if _empty(value) else _value_answer(ctx, row, value, f"model.yaml {key}", "model")


def _family_procedure(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    value = _dotted(ctx.model.meta.get("procedure") or {}, key)
    return None if _empty(value) else _value_answer(ctx, row, value, f"model.yaml procedure.{key}", "model")


def _family_rated(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    if key in ctx.declared:
        return _Answer("", source=f"{ctx.declared[key]}（declared_not_applicable）", status="empty_declared")
    if key not in ctx.ratings:
        return None
    rating, source = ctx.ratings[key]
    return _Answer(rating, (rating,), source=source or f"ratings.csv {key}", status="model")


def _controls_text(ctx: _Context, ids: list[str]) -> str:
    names = {c["control_id"]: c for c in ctx.controls}
    return "\n".join(f"・{names[i]['name_ja']}（{_status_text(ctx, i, names[i]['status'])}）" for i in ids)


def _status_text(ctx: _Context, control_id: str, own: str) -> str:
    """The control's status in words, and where ``control_status.csv`` gives it another (計画中: 端末 → …)."""
    text = _STATUS_JA.get(own, own)
    others: dict[str, list[str]] = {}
    for element, status in ctx.status_elsewhere.get(control_id, []):
        if status != own:
            others.setdefault(status, []).append(ctx.model.element_name(element))
    for status, elements in others.items():
        text += f"。{'、'.join(elements)} では{_STATUS_JA.get(status, status)}"
    return text


def _family_sub_measure(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    sub = ctx.sub_answers.get(key)
    if sub is None:
        return None
    if sub["status"] == "not_applicable":
        return _Answer("", source=str(sub["detail"]), status="empty_declared")
    detail = str(sub["detail"] or "")
    if sub["status"] == "answered":
        source = str(sub["source"] or f"sub_measures.csv {key}")
        if sub["kind"] == "choice":
            return _Answer(str(sub["answer"]), (str(sub["answer"]),), detail=detail, source=source, status="model")
        return _Answer(detail, source=source, status="model")
    # a text sub-measure nobody answered: the controls that name it (controls.csv sub_measures)
    if sub["kind"] == "text" and sub["controls"]:
        return _Answer(_controls_text(ctx, list(sub["controls"])), source="controls " + ", ".join(sub["controls"]))
    # the risk's only sub-measure is its 措置の内容: the controls that mitigate the risk, as the 重点 form writes it
    if sub["kind"] == "text" and key in ctx.sole_sub_measures:
        return _family_controls(ctx, row, ctx.sole_sub_measures[key], unit)
    return None


def _family_declaration(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    ticked = key in ctx.model.declared_not_applicable
    return _Answer(_CHECKED if ticked else _UNCHECKED, source="model.yaml declared_not_applicable", status="model")


def _family_other_risk(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    if key in ctx.declared_stages:
        return _Answer("", source="declared_not_applicable", status="empty_declared")
    text = (ctx.model.meta.get("other_risk_measures") or {}).get(key)
    return None if _empty(text) else _Answer(_text(text), source=f"model.yaml other_risk_measures.{key}",
                                             status="model")


def _family_controls(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    if key in ctx.declared:
        return _Answer("", source=f"{ctx.declared[key]}（declared_not_applicable）", status="empty_declared")
    risks = ctx.rated_risks.get(key, {key})
    ids = [c["control_id"] for c in ctx.controls if set(c["mitigates"] or []) & risks]
    if not ids:
        return None
    return _Answer(_controls_text(ctx, ids), source="controls " + ", ".join(ids))


def _family_fixed(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    return _Answer(key, source="form_layout.csv (the form's text)")


def _family_derive(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    wanted = ctx.fill_places.get(f"derive:{key}", ("", ""))[0]
    # the keys of a block's units also answer once per document (the list of systems, files, changes)
    if wanted and (unit is None or unit.kind != wanted) and key not in ("systems", "files", "changes"):
        return None  # a block written once without a unit (a model with no file or system): nothing to derive
    return _DERIVE[key](ctx, unit)


def _family_doc(ctx: _Context, row: dict[str, Any], key: str, unit: _Unit | None) -> _Answer | None:
    if key == "commission_approved_on":
        # 個人情報保護委員会 承認日【行政機関等のみ】: a local body (every kind of organisation_kinds.csv but the
        # neutral body: 市町村, 特別区, 都道府県, 組合) leaves it empty, whatever model.yaml says
        kind = organisation_kind(ctx.model.meta)
        if kind.kind != "body":
            return _Answer("", source=f"【行政機関等のみ】: {kind.label_ja}は記載しない", status="empty_declared")
    _unit, place = ctx.fill_places[f"doc:{key}"]
    table, _, column = place.partition(":")
    value: Any = None
    source = ""
    if table == "document":
        value = None if column == "source" else _dotted(ctx.document, column)
        source = str(ctx.document.get("source") or "model.yaml document")
    elif table == "procedure":
        value = _dotted(ctx.model.meta.get("procedure") or {}, column)
        source = "model.yaml procedure"
    elif table == "systems":
        if unit is not None and unit.kind == "system":
            value = ctx.systems[unit.unit_id].get(column)
            source = str(ctx.systems[unit.unit_id].get("source") or "systems.csv")
    else:
        key_column, kind = {"file_details": ("file_id", "file"), "outsourcing": ("outsourcing_id", "outsourcing"),
                            "recipients": ("system_id", "recipient")}[table]
        found = ctx.row_of(table, key_column, unit.unit_id) if unit is not None and unit.kind == kind else None
        if found is not None:
            value = found.get(column)
            source = _text(found.get("source")) if not _empty(found.get("source")) else _PLACE_NAMES[table]
    if _empty(value):
        return None
    return _value_answer(ctx, row, value, source, "document")


_FAMILIES: dict[str, Callable[[_Context, dict[str, Any], str, _Unit | None], _Answer | None]] = {
    "model": _family_model, "procedure": _family_procedure, "rated": _family_rated,
    "sub_measure": _family_sub_measure, "declaration": _family_declaration, "other_risk": _family_other_risk,
    "controls": _family_controls, "fixed": _family_fixed, "derive": _family_derive, "doc": _family_doc,
}


def _filled_from(ctx: _Context, fill: str) -> str:
    """Which model table or key fills an item (or would): from ``catalog/fill_keys.csv`` for derive/doc keys."""
    family, _, key = fill.partition(":")
    if family == "doc":
        table, _, column = ctx.fill_places[fill][1].partition(":")
        return f"{_PLACE_NAMES.get(table, table)} {column}"
    if family == "derive":
        return f"{fill} ({ctx.fill_places[fill][1]})" if fill in ctx.fill_places else fill
    if family == "sub_measure" and key in ctx.sole_sub_measures:
        return f"sub_measures.csv {key}; controls.csv mitigates {ctx.sole_sub_measures[key]}"
    return {
        "model": f"model.yaml {key}", "procedure": f"model.yaml procedure: {key}", "rated": f"ratings.csv {key}",
        "sub_measure": f"sub_measures.csv {key}", "declaration": f"model.yaml declared_not_applicable: {key}",
        "other_risk": f"model.yaml other_risk_measures: {key}", "controls": f"controls.csv mitigates {key}",
        "fixed": "form_layout.csv",
    }.get(family, fill)


# ---------------------------------------------------------------------------------------------------
# the walk


def _units(ctx: _Context, row: dict[str, Any], enclosing: dict[str, _Unit]) -> list[_Unit]:
    """The units a repeat row (or the (別添3) table) is written for."""
    fill = row["fill"]
    if fill == "derive:files":
        return [_Unit("file", f, str(ctx.files[f]["name_ja"])) for f in ctx.mn_file_ids]
    if fill == "derive:systems":
        return [_Unit("system", s, ctx.name(s)) for s in ctx.affair_systems]
    if fill in ("derive:outsourcing_title", "derive:recipient_name") and "file" not in enclosing:
        return []  # a file block written without a file: no 委託事項 or recipient to list
    if fill == "derive:outsourcing_title":
        file_unit = enclosing["file"]
        return [_Unit("outsourcing", o.unit_id, o.name, o) for o in ctx.outsourcing_units(file_unit.unit_id)]
    if fill == "derive:recipient_name":
        file_unit = enclosing["file"]
        return [_Unit("recipient", s, ctx.name(s), file_unit.unit_id) for s in ctx.recipients(file_unit.unit_id)]
    if fill == "derive:changes":
        rows = [r for r in ctx.changes or [] if r["規則"] != FIRST_GIVEN_RULE]  # the note is the table's answer
        return [_Unit("change", str(i), str(r["項目"]), r) for i, r in enumerate(rows, 1)]
    raise ValueError(f"{row['item_id']}: no units for {fill}")  # form_layout's tests keep the repeat fills known


def _override_units(ctx: _Context, unit: _Unit | None) -> list[str]:
    """The ``unit`` values of ``form_answers.csv`` that name a unit.

    Its id; for a 委託事項 also its systems and the ``outsource`` flows of those systems (a derived 委託事項 is named
    by the contractor-run system or its flow).
    """
    if unit is None:
        return [""]
    if unit.kind != "outsourcing":
        return [unit.unit_id]
    o: _Outsourcing = unit.payload
    flows = [fl["flow_id"] for s in o.systems for fl in ctx.flows_by_system.get(s, []) if fl["stage"] == "outsource"]
    return list(dict.fromkeys([o.unit_id, *o.systems, *o.flows, *flows]))


def _answer_row(ctx: _Context, row: dict[str, Any], unit: _Unit | None, enclosing: dict[str, _Unit],
                n: int | None) -> dict[str, Any]:
    kind, fill = row["kind"], row["fill"]
    number = row["number"].replace("{n}", str(n)) if n is not None else row["number"]
    inner = unit or (list(enclosing.values())[-1] if enclosing else None)
    file_unit = enclosing.get("file")
    out = {"form": row["form"], "item_id": row["item_id"], "parent": row["parent"], "order": row["order"],
           "depth": row["depth"],
           "unit": inner.unit_id if inner else "", "unit_kind": inner.kind if inner else "",
           "parent_unit": file_unit.unit_id if file_unit is not None and inner is not file_unit else "",
           "section": row["section"], "number": number, "label_ja": row["label_ja"], "label_en": row["label_en"],
           "kind": kind, "choice_set": row["choice_set"], "answer": "", "chosen": [],
           "choices": ctx.choices(kind, row["choice_set"]), "detail": "", "status": "", "filled_from": "",
           "source": "", "optional": bool(row["optional"]), "show": True}
    if kind == "heading" or not fill:
        return out
    out["filled_from"] = _filled_from(ctx, fill)
    override = next((ctx.form_answers[(row["item_id"], u)] for u in _override_units(ctx, inner)
                     if (row["item_id"], u) in ctx.form_answers), None)
    if override is not None:
        answer = _value_answer(ctx, row, override["answer"], "", "override") or _Answer(_text(override["answer"]))
        out.update(answer=answer.answer, chosen=list(answer.chosen), detail=answer.detail, status="override",
                   source=_text(override.get("source")) if not _empty(override.get("source")) else "form_answers.csv",
                   filled_from="form_answers.csv")
        return out
    family, _, key = fill.partition(":")
    answer = _FAMILIES[family](ctx, row, key, inner)
    if answer is None and fill == "doc:commission_approved_on":
        # 【行政機関等のみ】: a local body has no approval date; the form leaves the item empty
        answer = _Answer("", source="行政機関等のみ（地方公共団体等は記載しない）", status="empty_declared")
    if answer is None and fill == "doc:subcontract_permission" and inner is not None and inner.kind == "outsourcing" \
            and not ctx.subcontractors(inner.payload):
        answer = _Answer("", source="再委託しない", status="empty_declared")
    if answer is None and row["optional"]:
        out.update(status="empty_declared", show=False, source="optional: shown only when the model answers it")
        return out
    if answer is None:
        out.update(answer=PENDING_JA, status="missing")
        return out
    out.update(answer=answer.answer, chosen=list(answer.chosen), detail=answer.detail, source=answer.source,
               status=answer.status)
    return out


def _walk(ctx: _Context, layout: pd.DataFrame) -> list[dict[str, Any]]:
    rows = layout.to_dict("records")
    children: dict[str, list[dict[str, Any]]] = {}
    depth: dict[str, int] = {"": -1}
    for r in rows:  # a parent is an earlier row (form_layout checks it)
        children.setdefault(r["parent"], []).append(r)
        r["depth"] = depth[r["item_id"]] = depth[r["parent"]] + 1
    out: list[dict[str, Any]] = []

    def emit(row: dict[str, Any], enclosing: dict[str, _Unit], n: int | None) -> None:
        if row["kind"] == "repeat":
            units = _units(ctx, row, enclosing)
            if not units and row["repeat"] in ("file", "system"):
                # a document always has these blocks: one block of 【要記入】 when the model has none
                units = [None]  # type: ignore[list-item]
            for i, unit in enumerate(units, 1):
                inner = {**enclosing, unit.kind: unit} if unit is not None else enclosing
                out.append(_answer_row(ctx, row, unit, enclosing, i))
                for child in children.get(row["item_id"], []):
                    emit(child, inner, i)
            return
        out.append(_answer_row(ctx, row, None, enclosing, n))
        kids = children.get(row["item_id"], [])
        if row["kind"] == "table" and row["fill"] == "derive:changes":
            for i, unit in enumerate(_units(ctx, row, enclosing), 1):
                for child in kids:
                    emit_unit(child, {**enclosing, "change": unit}, unit, i)
            return
        for child in kids:
            emit(child, enclosing, n)

    def emit_unit(row: dict[str, Any], enclosing: dict[str, _Unit], unit: _Unit, n: int) -> None:
        out.append(_answer_row(ctx, row, unit, enclosing, n))

    for top in children.get("", []):
        emit(top, {}, None)
    return out


def _forms(model: Model, form: str) -> tuple[str, ...]:
    if form == "auto":
        return _FORMS_OF[required_assessment(model).code]
    if form not in FORMS:
        raise InvalidArgumentError(f"form must be auto or one of {', '.join(FORMS)}, got {form!r}")
    return (form,)


def _previous(model: Model) -> Model | None:
    """The previous version named by ``model.yaml``'s ``previous``, loaded (its own chain not followed).

    The path is resolved by the loader's own rule (:func:`~pia_analysis.formats.previous_chain`): a workbook's
    ``previous`` is relative to the folder holding it, a directory's to the directory.
    """
    if not model.meta.get("previous") or model.path is None:
        return None
    from ..formats import load_model, previous_chain

    chain = previous_chain(model)
    return load_model(chain[0], check_chain=False) if chain else None


def assessment_answers(model: Model, form: str = "auto", previous: Model | None = None) -> pd.DataFrame:
    """Every item of the 評価書 answered from the model, in the form's order, repeated blocks expanded.

    One row per layout item (``catalog/form_layout.csv``) and unit: the file blocks (Ⅱ, 別添2) once per file with
    My Numbers, Ⅰ 2 once per system, the 委託事項 and 提供先・移転先 blocks once per unit inside each file block, the
    rows of (別添3) once per change and form item. Each item is answered by its ``fill`` (see the module docstring and
    ``docs/assessment.md``); ``form_answers.csv`` overrides any item; a stage the model declares out leaves its
    ratings, sub-measures and controls empty (``empty_declared``); what nothing fills is ``missing`` and printed
    :data:`PENDING_JA`.

    Parameters
    ----------
    model
        A loaded model.
    form
        ``"auto"`` (the forms the threshold judgment requires: the 基礎項目評価書 and, for ``focused`` / ``full``,
        the 重点項目評価書 / 全項目評価書; none for a population the threshold exempts), ``"full"``, ``"focused"``
        or ``"basic"``.
    previous
        The previous version for (別添3). By default the one ``model.yaml``'s ``previous`` names, loaded from
        the model's directory; without one, (別添3) says なし.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ANSWER_COLUMNS`: ``form``, ``item_id``, ``parent``, ``order`` (the layout's), ``depth`` (0 for
        a section, 1 for its items … : the nesting a writer indents by), ``unit`` (the
        id of the unit the row is written for: a file, system, 委託事項 — an ``outsourcing.csv`` id or the
        contractor-run system's id — recipient system or change number; ``""`` for a per-document item),
        ``unit_kind``, ``parent_unit`` (the enclosing file of a 委託事項 or recipient block), ``section``, ``number``
        (``{n}`` replaced), ``label_ja``, ``label_en``, ``kind``, ``choice_set``, ``answer`` (the text as printed;
        for a choice the chosen label(s), その他 with its text; :data:`PENDING_JA` when missing), ``chosen`` (list of
        the chosen labels, each one of ``choices``), ``choices`` (list: the <選択肢> of choice, band, rated and
        sub-measure items), ``detail`` (the count behind a band, a sub-measure's text …), ``status`` (one of
        :data:`ANSWER_STATUSES`; ``""`` for headings), ``filled_from`` (the model table or key that fills the item,
        or would), ``source``, ``optional``, ``show`` (False for an optional item the model does not answer).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded model.
    pia_analysis.util.errors.InvalidArgumentError
        When ``form`` is not ``auto`` or a form of the layout.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> a = assessment_answers(load_model(bundled_model_path()))
    >>> sorted(a["form"].unique())
    ['basic', 'full']
    >>> row = a.loc[(a["item_id"] == "full.II.2.2") & (a["unit"] == "JUKI_FILE")].iloc[0]
    >>> row["answer"], row["status"], row["detail"]
    ('10万人以上100万人未満', 'derived', '932,000人')
    """
    require_model(model, "assessment_answers")
    forms = _forms(model, form)
    if previous is None and forms:
        previous = _previous(model)
    rows: list[dict[str, Any]] = []
    shared: _Context | None = None
    for name in forms:
        ctx = _Context(model, name, previous)
        if shared is not None:  # the model's facts are the same for every form: reuse what was computed
            ctx.__dict__.update({k: v for k, v in shared.__dict__.items() if k not in ("form",)})
            ctx.form = name
        rows += _walk(ctx, form_layout(name))
        shared = ctx
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)


def assessment_completeness(answers: pd.DataFrame) -> pd.DataFrame:
    """Per form and section, how the items were filled, and which model table or key would fill each missing one.

    Parameters
    ----------
    answers
        The frame of :func:`assessment_answers`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPLETENESS_COLUMNS`: ``form``, ``section`` (in the form's order, then ``計`` for the
        form), ``items`` (answerable rows shown: headings, the blocks' title rows and unanswered optional items left
        out), the counts by
        status ``model``, ``derived``, ``document``, ``override``, ``empty_declared``, ``missing`` (printed
        【要記入】), ``filled_share`` (the filled items — model, derived, document, override — over the items that
        need an answer, i.e. all but ``empty_declared``; 1.0 when none does), ``change_rows`` (the rows of
        (別添3), one per row of the sheet, counted apart: their fields are written from the diff against the previous
        version, not items of the form the model fills, so they are in none of the other counts) and
        ``missing_items`` (one per line: ``number label [unit] ← the table or key that would fill it``).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``answers`` lacks a column of :data:`ANSWER_COLUMNS`.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers, assessment_completeness
    >>> c = assessment_completeness(assessment_answers(load_model(bundled_model_path()), form="basic"))
    >>> c.loc[c["section"] == "Ⅲ", ["items", "derived", "missing"]].values.tolist()
    [[1, 1, 0]]
    >>> print(c.loc[c["section"] == "Ⅱ", "missing_items"].iloc[0].splitlines()[0])
    2 取扱者数 ← model.yaml handlers
    """
    if missing := [c for c in ANSWER_COLUMNS if c not in answers.columns]:
        raise InvalidArgumentError(f"answers lack column(s) {', '.join(missing)}: give assessment_answers' frame")
    rows = []
    # a block's title row (kind repeat) names its unit: not an item of the form to fill
    items = answers.loc[(answers["status"] != "") & answers["show"] & (answers["kind"] != "repeat")]
    # the 別添3 rows: as many as the changes, each field filled by the diff; counted apart so that a version
    # with many changes does not look better filled than the same model without a previous version
    is_change = items["unit_kind"] == "change"
    changes, items = items.loc[is_change], items.loc[~is_change]
    for form in dict.fromkeys(answers["form"]):
        of_form = items.loc[items["form"] == form]
        change_units = changes.loc[changes["form"] == form, ["section", "unit"]].drop_duplicates()
        groups = [(s, of_form.loc[of_form["section"] == s]) for s in dict.fromkeys(answers.loc[answers["form"] == form,
                                                                                              "section"])]
        for section, group in [*groups, ("計", of_form)]:
            counts = group["status"].value_counts()
            filled = sum(int(counts.get(s, 0)) for s in ("model", "derived", "document", "override"))
            need = len(group) - int(counts.get("empty_declared", 0))
            missing_rows = group.loc[group["status"] == "missing"]
            lines = [" ".join(p for p in (r.number, r.label_ja or r.item_id) if p)
                     + (f" [{r.unit}]" if r.unit else "") + f" ← {r.filled_from}"
                     for r in missing_rows.itertuples()]
            rows.append({"form": form, "section": section, "items": len(group),
                         **{s: int(counts.get(s, 0)) for s in ANSWER_STATUSES},
                         "filled_share": round(filled / need, 3) if need else 1.0,
                         "change_rows": int(len(change_units) if section == "計"
                                            else (change_units["section"] == section).sum()),
                         "missing_items": "\n".join(dict.fromkeys(lines))})
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)
