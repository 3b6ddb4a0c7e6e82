"""Versions of a model: what changed between two, the class of each change, and the history.

:func:`diff` compares two models row by row (by id, in every table) and key by key (``model.yaml``), and
runs the analyses on both (:func:`~pia_analysis.whatif.compare.compare`). Every changed row or key gets a
class (``change_class``), as the guideline (指針) distinguishes them:

* **重要な変更 (important)**: a change to the listed Ⅱ items or to the risk measures of Ⅲ and Ⅳ that does
  not clearly reduce the risk (a measure removed or weakened, encryption turned off, a rating worse). The
  assessment is re-run *before* the change: public comment, a third-party check (第三者点検), submission;
* **評価書の修正 (revision)**: any other change of the 評価書 (a measure added or strengthened, an element
  removed, a count changed): the revised 評価書 is submitted and published again;
* **形式的な変更 (formal)**: names only, and the version's own record.

The rules are data (``catalog/change_rules.csv``: class, form item, wording, source, confidence and form
version); their predicates are code here, keyed by rule id (:data:`PREDICATES`). They are listed by
:func:`change_rules` and documented in ``docs/versions.md``. :meth:`ModelDiff.change_sheet` gives the rows
of (別添3) 変更箇所.

:func:`version_history` walks the ``previous`` chain and shows exposure and coverage across versions.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_CLASSES",
    "CHANGE_RULES",
    "PREDICATES",
    "ChangeRule",
    "ModelDiff",
    "change_rules",
    "diff",
    "first_given",
    "history_coverage",
    "version_history",
    "version_chain",
]

import datetime as dt
import math
import re
import os
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from ..analysis.judgments import ASSESSMENT_CODES, required_assessment
from ..analysis.pipeline import Analysis, analyse
from ..model.model import Model, check_same_assessment, require_model
from ..catalog import CatalogError, choice_sets, read_table, stage_declarations, stages
from ..catalog.layout import band_of
from ..catalog.sub_measures import sub_measure_catalog
from ..model.schema import (MODEL_KEY_MEANINGS, MODEL_KEY_UNITS, MODEL_KEYS, OUTSOURCED_OPERATORS, RATING_RANKS,
                            TABLE_BY_NAME, TABLES)
from ..util.words import operator_word, percent, status_word, yes_no
from .compare import COMPARED_ANALYSES, Comparison, compare, headline_table, max_mn_exposure, plain_value

IMPORTANT, REVISION, FORMAL = "important", "revision", "formal"
#: The classes of a change, most consequential first (a change takes the first class any rule gives it).
CHANGE_CLASSES = (IMPORTANT, REVISION, FORMAL)
CHANGE_CLASS_JA = {IMPORTANT: "重要な変更", REVISION: "評価書の修正", FORMAL: "形式的な変更"}
#: Operators whose systems are run for the city by someone it contracts with (委託・再委託).
#: Stages whose flows deliver data to another party (提供・移転, 情報提供ネットワークシステム).
RECIPIENT_STAGES = ("provide", "network")
CHANGE_COLUMNS = ["table", "id", "change", "fields", "change_class", "change_class_ja", "rule", "rules", "form_item_ja",
                  "reasons_ja", "reasons_en"]
FIELD_COLUMNS = ["table", "id", "column", "old", "new"]


# ---------------------------------------------------------------------------------------------------
# the context the rules read


@dataclass
class DiffContext:
    """The two models and the facts about them that the rules compare."""

    old: Model
    new: Model

    @cached_property
    def old_mn_files(self) -> frozenset[str]:
        return self.old.my_number_files

    @cached_property
    def new_mn_files(self) -> frozenset[str]:
        return self.new.my_number_files

    @cached_property
    def old_recipients(self) -> frozenset[str]:
        """Systems that received My Numbers by a provide or network flow in the old model."""
        f = self.old.flows
        mn = self.old.my_number_files
        carries = f["files"].map(lambda files: bool(_mn(files, mn)))
        return frozenset(f.loc[f["stage"].isin(RECIPIENT_STAGES) & carries, "target"])

    @cached_property
    def old_zone_operator(self) -> dict[str, str]:
        return dict(zip(self.old.zones["zone_id"], self.old.zones["operator"]))

    @cached_property
    def new_zone_operator(self) -> dict[str, str]:
        return dict(zip(self.new.zones["zone_id"], self.new.zones["operator"]))

    @cached_property
    def new_elements(self) -> frozenset[str]:
        """The ids of the new model's systems and flows (what a control may apply to)."""
        return frozenset(self.new.systems["system_id"]) | frozenset(self.new.flows["flow_id"])

    @cached_property
    def form_items(self) -> dict[tuple[str, str], str]:
        """(table, detail) -> the form item (``catalog/change_items.csv``; detail: a flow's stage, a model key)."""
        table = read_table("change_items.csv")
        return {(t, d): item for t, d, item in table[["table", "detail", "form_item_ja"]].itertuples(index=False)}

    @cached_property
    def layout_items(self) -> dict[str, str]:
        """item_id -> its section, number and label in the 評価書 layouts (``catalog/form_layout.csv``)."""
        from ..catalog.layout import FORMS, form_layout

        return {row.item_id: " ".join(part for part in (row.section, row.number, row.label_ja) if part)
                for form in FORMS for row in form_layout(form).itertuples(index=False)}

    @cached_property
    def item_classes(self) -> dict[tuple[str, str], str]:
        """(table, detail) -> the class a change to that item gives (``catalog/change_items.csv`` change_class).

        Set for the document-only data (model.yaml's ``document`` keys, the columns of ``file_details``,
        ``outsourcing``, ``recipients``, the items answered in ``form_answers``): 重要な変更 for the items the
        guideline lists (使用目的, 委託事項 …), 評価書の修正 for the others.
        """
        table = read_table("change_items.csv")
        return {(t, d): c for t, d, c in table[["table", "detail", "change_class"]].itertuples(index=False) if c}

    @cached_property
    def sub_measures(self) -> pd.DataFrame:
        """The packaged sub-measures by id (``catalog/sub_measures.csv``): form item, label and choice set."""
        return sub_measure_catalog().set_index("sub_measure_id")

    @cached_property
    def choice_ranks(self) -> dict[tuple[str, str], int]:
        """(choice set, choice) -> favourable rank (1 best), unranked choices absent (``catalog/choice_sets.csv``)."""
        sets = choice_sets().dropna(subset=["favourable_rank"])
        return {(s, label): int(rank) for s, label, rank in
                sets[["choice_set", "label_ja", "favourable_rank"]].itertuples(index=False)}

    @cached_property
    def judgments(self) -> tuple[Any, Any]:
        return required_assessment(self.old), required_assessment(self.new)


@dataclass(frozen=True)
class Change:
    """One changed row (``table`` a table name) or model.yaml key (``table == "model"``).

    ``old``/``new`` are the row as a dict (None when added/removed); for model keys, ``{key: value}``.
    ``fields`` lists the changed columns.
    """

    table: str
    id: str
    change: str  # added, removed, changed
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeRule:
    """A change rule: ``applies(ctx, change)`` is True when the rule classifies the change as ``change_class``.

    The fields but the two callables come from ``catalog/change_rules.csv``; ``reason`` gives the
    sentence shown for a change it fires on (Japanese, English).
    """

    rule_id: str
    change_class: str  # important, revision, formal
    form_item_ja: str
    title_ja: str
    title_en: str
    source: str
    confidence: str  # confirmed, recalled, project
    form_version: str
    applies: Callable[[DiffContext, Change], bool]
    reason: Callable[[DiffContext, Change], tuple[str, str]]


# ---------------------------------------------------------------------------------------------------
# the predicates


def _mn(files: list[str] | None, mn: frozenset[str]) -> set[str]:
    return {f for f in (files or []) if f in mn}


def _new_mn_file(ctx: DiffContext, c: Change) -> bool:
    if c.table != "files" or c.new is None or not c.new["contains_my_number"]:
        return False
    return c.change == "added" or not c.old["contains_my_number"]


def _new_mn_holder(ctx: DiffContext, c: Change) -> bool:
    if c.table == "zones":
        # a zone added with a new My Number store in it is the same change as the store (one 保管場所): so
        # both 別添3 rows take the same class, not 事後 for the zone and 事前 for its system
        return c.change == "added" and bool(_new_holders_in(ctx, c.id))
    if c.table != "systems" or c.new is None:
        return False
    now = _mn(c.new["holds"], ctx.new_mn_files)
    before = _mn(c.old["holds"], ctx.old_mn_files) if c.old is not None else set()
    return bool(now - before)


def _new_holders_in(ctx: DiffContext, zone_id: str) -> list[str]:
    """The systems of the newer version in ``zone_id`` that hold a My Number file they did not hold before."""
    old_holds = dict(zip(ctx.old.systems["system_id"], ctx.old.systems["holds"]))
    return [str(s) for s, z, holds in zip(ctx.new.systems["system_id"], ctx.new.systems["zone_id"],
                                          ctx.new.systems["holds"])
            if z == zone_id and _mn(holds, ctx.new_mn_files) - _mn(old_holds.get(s) or [], ctx.old_mn_files)]


def _new_mn_flow(ctx: DiffContext, c: Change) -> bool:
    if c.table != "flows" or c.new is None:
        return False
    now = _mn(c.new["files"], ctx.new_mn_files)
    if not now:
        return False
    if c.change == "added":
        return True
    before = _mn(c.old["files"], ctx.old_mn_files)
    moved = (c.old["source"], c.old["target"]) != (c.new["source"], c.new["target"])
    return bool(now - before) or moved


def _new_outsourcing(ctx: DiffContext, c: Change) -> bool:
    if c.new is None:
        return False
    if c.table == "flows":
        return c.new["stage"] == "outsource" and (c.change == "added" or c.old["stage"] != "outsource")
    if c.table in ("systems", "zones"):
        now = c.new["operator"] in OUTSOURCED_OPERATORS
        before = c.old is not None and c.old["operator"] in OUTSOURCED_OPERATORS
        # A subcontractor where there was a contractor is a new re-outsourcing (再委託).
        resub = (c.old is not None and c.old["operator"] == "contractor" and c.new["operator"] == "subcontractor")
        return (now and not before) or resub
    return False


def _outsourcing_reason(c: Change) -> tuple[str, str]:
    """The reason of new-outsourcing for a system or zone, by its name and the operator's word.

    It says whether it is a new outsourcing (委託の追加) or a new re-outsourcing (再委託の追加: a contractor's system
    now run by a subcontractor).
    """
    name = c.new.get("name_ja") or c.id
    shown_ja = f"{name}（{c.id}）" if name != c.id else c.id
    shown_en = f"{c.new.get('name_en') or c.id} ({c.id})" if c.new.get("name_en") else c.id
    operator = str(c.new["operator"])
    if c.old is not None and c.old["operator"] == "contractor" and operator == "subcontractor":
        return (f"{shown_ja}の運用が{operator_word('contractor')}から{operator_word(operator)}に移る（再委託の追加）",
                f"{shown_en} is now run by {operator_word(operator, 'en')} instead of "
                f"{operator_word('contractor', 'en')} (a new re-outsourcing)")
    return (f"{shown_ja}を{operator_word(operator)}が運用する（委託の追加）",
            f"{shown_en} is run by {operator_word(operator, 'en')} (a new outsourcing)")


def _new_recipient(ctx: DiffContext, c: Change) -> bool:
    if c.table != "flows" or c.new is None or c.new["stage"] not in RECIPIENT_STAGES:
        return False
    if not _mn(c.new["files"], ctx.new_mn_files):  # a flow with no My Number file provides no 特定個人情報
        return False
    if (c.old is not None and _mn(c.old["files"], ctx.old.my_number_files) and c.old["stage"] in RECIPIENT_STAGES
            and c.old["target"] == c.new["target"]):
        return False
    return c.new["target"] not in ctx.old_recipients


def _mn_storage_moved(ctx: DiffContext, c: Change) -> bool:
    if c.table != "systems" or c.change != "changed" or "zone_id" not in c.fields:
        return False
    if not _mn(c.new["holds"], ctx.new_mn_files):
        return False
    return ctx.new_zone_operator.get(c.new["zone_id"]) != ctx.old_zone_operator.get(c.old["zone_id"])


def _new_record_items(ctx: DiffContext, c: Change) -> bool:
    if c.table != "files" or c.change != "changed" or "items" not in c.fields or not c.new["contains_my_number"]:
        return False
    return bool(set(c.new["items"]) - set(c.old["items"]))


_BAND_KEYS = ("target_population", "handlers", "serious_incident")


def _band_up(ctx: DiffContext, c: Change) -> bool:
    if c.table != "model" or c.id not in _BAND_KEYS:
        return False
    old, new = ctx.judgments
    return ASSESSMENT_CODES.index(new.code) > ASSESSMENT_CODES.index(old.code)


def _ids(values: set[str]) -> str:
    return ", ".join(sorted(values))


#: A control's status, from most to least protective (``unknown`` and ``missing`` protect nothing).
_STATUS_RANK = {"implemented": 0, "planned": 1, "missing": 2, "unknown": 2}
#: Columns that only name an element: a change of these alone is formal (形式的な変更).
_NAME_COLUMNS = frozenset({"name_ja", "name_en", "title_ja", "title_en"})
#: model.yaml keys that record the version itself, not the handling it describes.
_VERSION_KEYS = frozenset({"id", "previous", "assessed_on", "procedure"})


def _rating_rank(value: Any) -> int | None:
    # the favourable rank of catalog/choice_sets.csv: a Section Ⅳ rating ranks as its Ⅲ counterpart
    return RATING_RANKS.get(value) if isinstance(value, str) else None


def _set(value: Any) -> set[str]:
    return set(value or [])


def _control_moves(c: Change) -> tuple[list[str], list[str]]:
    """(weakened, strengthened): the ways a changed control became less or more protective, as texts."""
    weaker: list[str] = []
    stronger: list[str] = []
    if c.table != "controls" or c.change != "changed":
        return weaker, stronger
    old, new = c.old, c.new
    if "status" in c.fields:
        a, b = _STATUS_RANK.get(old["status"], 2), _STATUS_RANK.get(new["status"], 2)
        (weaker if b > a else stronger if b < a else []).append(f"status {old['status']} → {new['status']}")
    if "effectiveness" in c.fields:
        a, b = float(old["effectiveness"]), float(new["effectiveness"])
        (weaker if b < a else stronger if b > a else []).append(f"effectiveness {a:g} → {b:g}")
    for col in ("mitigates", "applies_to"):
        if col in c.fields:
            lost, gained = _set(old[col]) - _set(new[col]), _set(new[col]) - _set(old[col])
            if lost:
                weaker.append(f"{col} −{_ids(lost)}")
            if gained:
                stronger.append(f"{col} +{_ids(gained)}")
    return weaker, stronger


def _orphaned(ctx: DiffContext, c: Change) -> bool:
    """A removed control whose every element is gone from the new model: removed with what it protected."""
    targets = _set(c.old["applies_to"]) - {"*"}
    return bool(targets) and not targets & ctx.new_elements


def _control_removed(ctx: DiffContext, c: Change) -> bool:
    return (c.table == "controls" and c.change == "removed" and _STATUS_RANK.get(c.old["status"], 2) < 2
            and not _orphaned(ctx, c))


def _control_weakened(ctx: DiffContext, c: Change) -> bool:
    return bool(_control_moves(c)[0])


def _control_added(ctx: DiffContext, c: Change) -> bool:
    # a measure recorded as missing or unknown adds no protection: it is some other change (a revision)
    return c.table == "controls" and c.change == "added" and c.new["status"] in ("implemented", "planned")


def _control_strengthened(ctx: DiffContext, c: Change) -> bool:
    return bool(_control_moves(c)[1])


def _encryption(c: Change, before: bool) -> bool:
    return (c.table == "flows" and c.change == "changed" and "encrypted" in c.fields
            and bool(c.old["encrypted"]) is before and bool(c.new["encrypted"]) is not before)


def _rating_move(c: Change) -> int:
    """+1 when a rating got worse, -1 when better, 0 otherwise (or when either side is not a rating)."""
    if c.table != "ratings" or c.change != "changed" or "rating" not in c.fields:
        return 0
    a, b = _rating_rank(c.old["rating"]), _rating_rank(c.new["rating"])
    if a is None or b is None or a == b:
        return 0
    return 1 if b > a else -1


def _sub_measure_move(ctx: DiffContext, c: Change) -> int:
    """+1 when a sub-measure's answer got worse, -1 when better (by ``favourable_rank``), 0 otherwise.

    0 too when either answer is unranked (再委託していない, 政府機関ではない; ⑨ and ⑩ report facts): the change is
    then a revision (``other-change``).
    """
    if c.table != "sub_measures" or c.change != "changed" or "answer" not in c.fields:
        return 0
    if c.id not in ctx.sub_measures.index:
        return 0
    choice_set = ctx.sub_measures.at[c.id, "choice_set"]
    a, b = ctx.choice_ranks.get((choice_set, c.old["answer"])), ctx.choice_ranks.get((choice_set, c.new["answer"]))
    if a is None or b is None or a == b:
        return 0
    return 1 if b > a else -1


def _sub_measure_label(ctx: DiffContext, c: Change) -> str:
    return str(ctx.sub_measures.at[c.id, "label_ja"]) if c.id in ctx.sub_measures.index else ""


def _element_removed(ctx: DiffContext, c: Change) -> bool:
    if c.change != "removed" or c.table == "model":
        return False
    return c.table != "controls" or _orphaned(ctx, c)


def _renamed(ctx: DiffContext, c: Change) -> bool:
    return c.change == "changed" and c.table != "model" and bool(c.fields) and set(c.fields) <= _NAME_COLUMNS \
        or c.table == "model" and c.id in ("title_ja", "title_en") and c.change == "changed"


def _version_record(ctx: DiffContext, c: Change) -> bool:
    return c.table == "model" and c.id in _VERSION_KEYS


#: The tables of what only the 評価書 states (the model's document-only data).
DOCUMENT_TABLES = ("file_details", "outsourcing", "recipients", "form_answers")


#: The document-only columns of the other tables (systems' functions): table -> columns (schema ``fills``).
DOCUMENT_COLUMNS = {t.name: frozenset(c.name for c in t.columns if c.fills) for t in TABLES
                    if t.name not in DOCUMENT_TABLES and any(c.fills for c in t.columns)}


def _document_details(c: Change) -> list[str]:
    """The items of the document-only data a change touches: the change_items.csv details it is classed by."""
    if c.table == "model":
        return [c.id] if c.id.startswith("document.") else []
    if c.table not in DOCUMENT_TABLES:
        return [f for f in c.fields if f in DOCUMENT_COLUMNS.get(c.table, ())]
    if c.table == "form_answers":
        return [str((c.new or c.old or {}).get("item_id", ""))]
    return [f for f in c.fields if f != "source"]


def _document_class(ctx: DiffContext, c: Change, detail: str) -> str:
    # an item without its own row takes its table's (form_answers: any other item is a revision)
    return ctx.item_classes.get((c.table, detail)) or ctx.item_classes.get((c.table, ""), REVISION)


def _document_classes(ctx: DiffContext, c: Change) -> set[str]:
    return {_document_class(ctx, c, d) for d in _document_details(c)}


def _document_reason(change_class: str) -> Callable[[DiffContext, Change], tuple[str, str]]:
    """The reason of a document-item rule: the items of its class that changed, by their form items."""
    def reason(ctx: DiffContext, c: Change) -> tuple[str, str]:
        items = "、".join(dict.fromkeys(_form_item_of(ctx, c, d) for d in _document_details(c)
                                       if _document_class(ctx, c, d) == change_class))
        return f"評価書の記載 {items} を改める", f"the 評価書's text of {items} changes"
    return reason


def _describe(row: dict[str, Any] | None) -> str:
    if not row:
        return ""
    name = row.get("name_ja") or row.get("name_en") or ""
    return f"（{name}）" if name else ""


#: The predicate and the reason (ja, en) of each rule id of ``catalog/change_rules.csv``. The catalogue
#: says which class a rule gives, its form item, wording, source and mark; the code says when it fires.
PREDICATES: dict[str, tuple[Callable[[DiffContext, Change], bool],
                            Callable[[DiffContext, Change], tuple[str, str]]]] = {
    "new-mn-file": (_new_mn_file, lambda ctx, c: (f"{c.id} は個人番号を含むファイルとして新たに加わる",
                                                  f"{c.id} is a new file containing My Numbers")),
    "new-mn-holder": (_new_mn_holder, lambda ctx, c: (
        (f"新たなゾーン {c.id} に {_ids(_new_holders_in(ctx, c.id))} が個人番号を保管する",
         f"the new zone {c.id} holds the new My Number store(s) {_ids(_new_holders_in(ctx, c.id))}")
        if c.table == "zones" else
        (f"{c.id} が {_ids(_mn(c.new['holds'], ctx.new_mn_files))} を新たに保管する"
         f"（ゾーン {c.new['zone_id']}、運用 {c.new['operator']}）",
         f"{c.id} newly holds {_ids(_mn(c.new['holds'], ctx.new_mn_files))} "
         f"(zone {c.new['zone_id']}, run by {c.new['operator']})"))),
    "new-mn-flow": (_new_mn_flow, lambda ctx, c: (
        f"{c.id}（{c.new['source']}→{c.new['target']}、{c.new['stage']}）が "
        f"{_ids(_mn(c.new['files'], ctx.new_mn_files))} を運ぶ",
        f"{c.id} ({c.new['source']}→{c.new['target']}, {c.new['stage']}) carries "
        f"{_ids(_mn(c.new['files'], ctx.new_mn_files))}")),
    "new-outsourcing": (_new_outsourcing, lambda ctx, c: (
        (f"{c.id} は委託の流れ（{c.new['source']}→{c.new['target']}）",
         f"{c.id} is an outsourcing flow ({c.new['source']}→{c.new['target']})") if c.table == "flows" else
        _outsourcing_reason(c))),
    "new-recipient": (_new_recipient, lambda ctx, c: (
        f"{c.new['target']} は新たな提供先（{c.id}、{c.new['stage']}）",
        f"{c.new['target']} is a new recipient ({c.id}, {c.new['stage']})")),
    "mn-storage-moved": (_mn_storage_moved, lambda ctx, c: (
        f"{c.id} は {c.old['zone_id']} から {c.new['zone_id']} へ移る",
        f"{c.id} moves from {c.old['zone_id']} to {c.new['zone_id']}")),
    "new-record-items": (_new_record_items, lambda ctx, c: (
        f"{c.id} に項目 {_ids(set(c.new['items']) - set(c.old['items']))} が加わる",
        f"{c.id} gains the items {_ids(set(c.new['items']) - set(c.old['items']))}")),
    "threshold-up": (_band_up, lambda ctx, c: (
        f"しきい値判断: {ctx.judgments[0].label_ja} → {ctx.judgments[1].label_ja}",
        f"threshold judgment: {ctx.judgments[0].label_en} → {ctx.judgments[1].label_en}")),
    "control-removed": (_control_removed, lambda ctx, c: (
        f"対策 {c.id}{_describe(c.old)}（{c.old['status']}）を削除する",
        f"the measure {c.id} ({c.old['status']}) is removed")),
    "control-weakened": (_control_weakened, lambda ctx, c: (
        f"対策 {c.id}{_describe(c.new)} が後退する: {', '.join(_control_moves(c)[0])}",
        f"the measure {c.id} is weakened: {', '.join(_control_moves(c)[0])}")),
    "encryption-off": (lambda ctx, c: _encryption(c, True), lambda ctx, c: (
        f"{c.id}（{c.new['source']}→{c.new['target']}）の暗号化をやめる",
        f"{c.id} ({c.new['source']}→{c.new['target']}) is no longer encrypted")),
    "rating-worse": (lambda ctx, c: _rating_move(c) > 0, lambda ctx, c: (
        f"{c.id} の自己評価: {c.old['rating']} → {c.new['rating']}",
        f"self-rating of {c.id}: {c.old['rating']} → {c.new['rating']}")),
    "sub-measure-worse": (lambda ctx, c: _sub_measure_move(ctx, c) > 0, lambda ctx, c: (
        f"{c.id}（{_sub_measure_label(ctx, c)}）の回答: {c.old['answer']} → {c.new['answer']}",
        f"answer of {c.id}: {c.old['answer']} → {c.new['answer']}")),
    "control-added": (_control_added, lambda ctx, c: (
        f"対策 {c.id}{_describe(c.new)} を追加する（{c.new['status']}）",
        f"the measure {c.id} is added ({c.new['status']})")),
    "control-strengthened": (_control_strengthened, lambda ctx, c: (
        f"対策 {c.id} が強化される: {', '.join(_control_moves(c)[1])}",
        f"the measure {c.id} is strengthened: {', '.join(_control_moves(c)[1])}")),
    "encryption-on": (lambda ctx, c: _encryption(c, False), lambda ctx, c: (
        f"{c.id} を暗号化する", f"{c.id} is now encrypted")),
    "rating-better": (lambda ctx, c: _rating_move(c) < 0, lambda ctx, c: (
        f"{c.id} の自己評価: {c.old['rating']} → {c.new['rating']}",
        f"self-rating of {c.id}: {c.old['rating']} → {c.new['rating']}")),
    "sub-measure-better": (lambda ctx, c: _sub_measure_move(ctx, c) < 0, lambda ctx, c: (
        f"{c.id}（{_sub_measure_label(ctx, c)}）の回答: {c.old['answer']} → {c.new['answer']}",
        f"answer of {c.id}: {c.old['answer']} → {c.new['answer']}")),
    "sub-measure-detail": (lambda ctx, c: c.table == "sub_measures" and c.change == "changed" and "detail" in c.fields,
                           lambda ctx, c: (f"{c.id}（{_sub_measure_label(ctx, c)}）の記載を改める",
                                           f"the text of {c.id} is rewritten")),
    "document-item-important": (lambda ctx, c: IMPORTANT in _document_classes(ctx, c), _document_reason(IMPORTANT)),
    "document-item-revision": (lambda ctx, c: REVISION in _document_classes(ctx, c), _document_reason(REVISION)),
    "element-removed": (_element_removed, lambda ctx, c: (
        f"{c.table} の {c.id} を削除する（リスクを明らかに軽減する変更）",
        f"{c.table} {c.id} is removed (a change that clearly reduces the risk)")),
    "renamed": (_renamed, lambda ctx, c: (f"{c.id} の名称のみの変更", f"{c.id}: names only")),
    "version-record": (_version_record, lambda ctx, c: (f"版の記録 {c.id}", f"the version's record: {c.id}")),
    "other-change": (lambda ctx, c: True, lambda ctx, c: (
        "重要な変更にも形式的な変更にも当たらない変更", "neither an important nor a formal change")),
}


def _load_rules() -> tuple[ChangeRule, ...]:
    """The rules of ``catalog/change_rules.csv`` joined to their predicates, in catalogue order."""
    table = read_table("change_rules.csv")
    missing = [c for c in _RULE_COLUMNS if c not in table.columns]
    if missing:
        raise CatalogError(f"catalog/change_rules.csv: missing column(s) {', '.join(missing)}")
    problems = []
    for i, row in enumerate(table.to_dict("records"), start=2):
        if row["rule_id"] not in PREDICATES:
            problems.append(f"line {i}: rule {row['rule_id']!r} has no predicate in whatif/versions.py")
        if row["change_class"] not in CHANGE_CLASSES:
            problems.append(f"line {i}: change_class {row['change_class']!r} is not one of {', '.join(CHANGE_CLASSES)}")
    if absent := sorted(set(PREDICATES) - set(table["rule_id"])):
        problems.append(f"no row for the rule(s) {', '.join(absent)}")
    if problems:
        raise CatalogError("catalog/change_rules.csv: " + "; ".join(problems))
    return tuple(ChangeRule(rule_id=r["rule_id"], change_class=r["change_class"], form_item_ja=r["form_item_ja"],
                            title_ja=r["title_ja"], title_en=r["title_en"], source=r["source"],
                            confidence=r["confidence"], form_version=r["form_version"],
                            applies=PREDICATES[r["rule_id"]][0], reason=PREDICATES[r["rule_id"]][1])
                 for r in table.to_dict("records"))


_RULE_COLUMNS = ["rule_id", "change_class", "form_item_ja", "title_ja", "title_en", "source", "confidence",
                 "form_version"]
#: The change rules, read from ``catalog/change_rules.csv`` when the module is imported.
CHANGE_RULES: tuple[ChangeRule, ...] = _load_rules()


def change_rules() -> pd.DataFrame:
    """The change rules of :data:`CHANGE_RULES` (``catalog/change_rules.csv``) as a table.

    Returns
    -------
    DataFrame
        One row per rule, in the order they are tried: ``rule_id``, ``change_class`` (``important`` 重要な変更,
        ``revision`` 評価書の修正, ``formal`` 形式的な変更), ``form_item_ja`` (the form item it concerns),
        ``title_ja``, ``title_en``, ``source`` (what it rests on), ``confidence`` (``confirmed``, ``recalled``
        or ``project``) and ``form_version``, all strings.

    Examples
    --------
    >>> from pia_analysis.whatif.versions import change_rules
    >>> t = change_rules()
    >>> t["rule_id"].tolist()[:3], t.set_index("rule_id").at["control-removed", "change_class"]
    (['new-mn-file', 'new-mn-holder', 'new-mn-flow'], 'important')
    """
    return pd.DataFrame([{c: getattr(r, c) for c in _RULE_COLUMNS} for r in CHANGE_RULES], columns=_RULE_COLUMNS)


# ---------------------------------------------------------------------------------------------------
# row differences


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return list(a or []) == list(b or [])
    return a == b


def _show(value: Any, limit: int | None = 60) -> str:
    """A value as a change table writes it; cut at ``limit`` characters for a screen (None: whole, as 別添3 must)."""
    if isinstance(value, dict):  # a block of model.yaml: "key: text; …", never a Python repr
        return "; ".join(f"{k}: {_show(v, limit)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value)) or "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    text = "—" if value is None else str(value)
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "…"


#: The provenance column of each table (flows' ``source`` is the source *system*; its provenance is
#: ``source_ref``).
PROVENANCE_COLUMNS = {"zones": "source", "systems": "source", "files": "source", "flows": "source_ref",
                      "controls": "source", "sub_measures": "source", "file_details": "source",
                      "outsourcing": "source", "recipients": "source", "form_answers": "source"}


#: Tables whose rows are answers to the form's fixed questions: a row in one version only is an answer recorded in
#: one model only (the other leaves it 未回答, unknown), not a change of the 評価書, and is not compared.
ANSWERED_ONLY = frozenset({"sub_measures", *DOCUMENT_TABLES})


def _row_key(table: str, key: str, row: dict[str, Any]) -> str:
    """The id of a row in the diff: its key; an answer of form_answers by its item and unit (item@unit)."""
    if table == "form_answers" and row.get("unit"):
        return f"{row[key]}@{row['unit']}"
    return str(row[key])


def _given(value: Any) -> bool:
    """A cell of the document-only data that says something (empty: not given, never compared)."""
    return not (value is None or value == "" or value == [] or (isinstance(value, float) and value != value))


def _row_changes(old: Model, new: Model, provenance: bool = False) -> list[Change]:
    out: list[Change] = []
    for table in TABLES:
        key = table.key
        skip = {key} if provenance else {key, PROVENANCE_COLUMNS.get(table.name)}
        if getattr(old, table.name) is getattr(new, table.name):
            continue  # the same table (versions of a chain share unchanged tables: io.load_chain)
        a = {_row_key(table.name, key, r): r for r in getattr(old, table.name).to_dict("records")}
        b = {_row_key(table.name, key, r): r for r in getattr(new, table.name).to_dict("records")}
        for rid in sorted(set(a) | set(b)):
            if table.name in ANSWERED_ONLY and (rid not in a or rid not in b):
                continue  # 未回答 on one side: the model does not say what that version's 評価書 answered
            if rid not in b:
                out.append(Change(table.name, rid, "removed", a[rid], None))
            elif rid not in a:
                out.append(Change(table.name, rid, "added", None, b[rid]))
            else:
                cols = [c for c in dict.fromkeys([*a[rid], *b[rid]]) if c not in skip]
                # a document-only cell given in one version only is not recorded in the other: not compared
                if table.name in DOCUMENT_TABLES:
                    cols = [c for c in cols if _given(a[rid].get(c)) and _given(b[rid].get(c))]
                else:
                    cols = [c for c in cols if c not in DOCUMENT_COLUMNS.get(table.name, ())
                            or (_given(a[rid].get(c)) and _given(b[rid].get(c)))]
                changed = tuple(c for c in cols if not _same(a[rid].get(c, ""), b[rid].get(c, "")))
                if changed:
                    out.append(Change(table.name, rid, "changed", a[rid], b[rid], changed))
    # the procedure block records how each version was assessed (dates of its public comment, publication):
    # not a change to the 評価書's content, so the diff leaves it out
    # the document block: each item of the 評価書 it states is compared on its own, where both versions give it
    docs_a, docs_b = old.document, new.document
    for item in (k for k in docs_a if k in docs_b and k != "source" and not _same(docs_a[k], docs_b[k])):
        out.append(Change("model", f"document.{item}", "changed", {f"document.{item}": docs_a[item]},
                          {f"document.{item}": docs_b[item]}, (f"document.{item}",)))
    keys = [k for k in MODEL_KEYS if (k in old.meta or k in new.meta) and k not in ("procedure", "document")]
    for k in keys:
        va, vb = old.meta.get(k), new.meta.get(k)
        if k == "previous":
            # A relative path: compare where it points, not how it is spelt.
            va = str((old.path / va).resolve()) if va is not None and old.path is not None else va
            vb = str((new.path / vb).resolve()) if vb is not None and new.path is not None else vb
        if not _same(va, vb):
            change = "added" if va is None else ("removed" if vb is None else "changed")
            out.append(Change("model", k, change, None if va is None else {k: old.meta.get(k)},
                              None if vb is None else {k: new.meta.get(k)}, (k,)))
    return out


# ---------------------------------------------------------------------------------------------------
# the diff


@dataclass
class ModelDiff:
    """The differences between two versions of a model (see :func:`diff`).

    Attributes
    ----------
    old, new : Model
    changes : DataFrame
        One row per changed row (by table and id) or model.yaml key (table ``model``): ``table, id,
        change`` (added, removed, changed), ``fields`` (``column: old → new`` texts), ``change_class``
        (``important`` 重要な変更 / ``revision`` 評価書の修正 / ``formal`` 形式的な変更), ``change_class_ja``,
        ``rule`` (the rule that classified it: the first rule of that class that fired), ``rules`` (every rule
        that fired), ``form_item_ja`` (the form item of ``rule``), ``reasons_ja``, ``reasons_en``. Model keys
        first, then the tables in format order, ids sorted.
    fields : DataFrame
        The changed cells in long form: ``table, id, column, old, new`` (values as loaded).
    comparison : Comparison
        The exposure, coverage and findings of both versions and their deltas, findings matched by their
        stable ids (:func:`~pia_analysis.whatif.compare.compare`); computed on first use, as the row
        differences and their classification do not need it.
    """

    old: Model
    new: Model
    changes: pd.DataFrame
    fields: pd.DataFrame

    @cached_property
    def comparison(self) -> Comparison:
        """The analyses of both versions and their deltas (:func:`~pia_analysis.whatif.compare.compare`)."""
        return compare(self.old, self.new)

    @property
    def important(self) -> pd.DataFrame:
        """The changes classified 重要な変更."""
        return self.changes.loc[self.changes["change_class"] == IMPORTANT].reset_index(drop=True)

    @property
    def is_important(self) -> bool:
        """True when at least one change is 重要な変更 (re-run with public comment and third-party check)."""
        return bool((self.changes["change_class"] == IMPORTANT).any())

    @property
    def classification(self) -> str:
        """The most consequential class of any change (``important``, ``revision``, ``formal``), or ``none``."""
        return _overall(self.changes["change_class"].tolist())

    def verdict(self, lang: str = "ja") -> str:
        """One sentence: what the change means for the city's procedure.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, diff, load_model
        >>> m = load_model(bundled_model_path())
        >>> diff(m, m).verdict("en")
        'No change.'
        """
        ja = lang != "en"
        n = len(self.important)
        if self.classification == "none":
            return "変更はありません。" if ja else "No change."
        if self.is_important:
            rules = sorted({r for rs in self.important["rules"] for r in rs})
            return (f"重要な変更が {n} 件あります（{', '.join(rules)}）。"
                    "変更前に評価を再実施し、パブリックコメントと第三者点検を経て"
                    "個人情報保護委員会に提出する必要があります。" if ja else
                    f"{n} important change(s) ({', '.join(rules)}): the assessment must be re-run before the change, "
                    "with public comment and a third-party check, and submitted to the Commission.")
        n_rev = int((self.changes["change_class"] == REVISION).sum())
        n_formal = len(self.changes) - n_rev
        if self.classification == REVISION:
            return (f"重要な変更はなく、評価書の修正です（{n_rev} 件、ほかに形式的な変更 {n_formal} 件）。"
                    "修正した評価書を個人情報保護委員会に提出し、再び公表します。" if ja else
                    f"No important change: a revision of the assessment (評価書の修正, {n_rev} change(s), and "
                    f"{n_formal} formal): submit the revised assessment to the Commission and publish it again.")
        return (f"形式的な変更のみです（{n_formal} 件）。" if ja else f"Formal changes only ({n_formal}).")

    def ids(self, table: str, change: str) -> list[str]:
        """The ids of ``table`` (``model`` for model.yaml keys) that were ``added``, ``removed`` or ``changed``.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, diff, load_model
        >>> h26, h28 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h26", "h28"))
        >>> diff(h26, h28).ids("flows", "added")
        ['F17', 'F18', 'F19']
        """
        c = self.changes
        return sorted(c.loc[(c["table"] == table) & (c["change"] == change), "id"])

    def summary(self) -> pd.DataFrame:
        """Counts of changes by table: by kind (added, removed, changed) and by class (important, revision, formal).

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, diff, load_model
        >>> m = load_model(bundled_model_path())
        >>> list(diff(m, m).summary().columns)
        ['table', 'added', 'removed', 'changed', 'important', 'revision', 'formal']
        """
        if self.changes.empty:
            return pd.DataFrame(columns=["table", "added", "removed", "changed", *CHANGE_CLASSES])
        counts = pd.crosstab(self.changes["table"], self.changes["change"])
        counts = counts.reindex(columns=["added", "removed", "changed"], fill_value=0)
        for cls in CHANGE_CLASSES:
            counts[cls] = self.changes.groupby("table")["change_class"].apply(lambda s, c=cls: int((s == c).sum()))
        order = ["model"] + [t.name for t in TABLES]
        counts = counts.reindex([t for t in order if t in counts.index]).astype("int64")
        counts.columns.name = None
        return counts.rename_axis("table").reset_index()

    def change_sheet(self) -> pd.DataFrame:
        """The rows of (別添3) 変更箇所: one per change of the 評価書 and form item, in the order of :attr:`changes`.

        A change that rules of its class name under several form items (a system moved into a contractor's zone:
        Ⅱ 4 委託 and Ⅱ 6 ①保管場所) has one row per item; an item that is part of another already listed (Ⅱ 4 ④
        beside Ⅱ 4) adds none.

        Returns
        -------
        DataFrame
            Columns, all strings: ``変更日`` (the new version's ``procedure.submitted_on`` when recorded, else
            its ``assessed_on``; ``変更日の根拠`` says which), ``項目`` (the form item of
            the rule, with the element by its name), ``変更前の記載``,
            ``変更後の記載`` (in the form's words: counts in 人 with their band, statuses in words, percentages,
            risks by their labels, elements by name, 記載なし for nothing stated), ``提出時期`` (``事前`` for a
            重要な変更, which is assessed again before the change; ``事後`` otherwise), ``提出時期に係る説明``;
            then, for analysts, ``区分`` (重要な変更 / 評価書の修正 / 形式的な変更), ``規則`` (the rule id),
            ``変更日の根拠`` and ``model_ref`` (table, id and changed columns). The version's own record (``id``,
            ``previous``, ``assessed_on``, ``procedure``: rule ``version-record``) is not a change of the 評価書
            and has no row. Document-only data the older version does not record at all (:func:`first_given`)
            has no rows but one note at the end (区分 注記, 規則 ``first-given``).

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, diff, load_model
        >>> h26, h28 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h26", "h28"))
        >>> sheet = diff(h26, h28).change_sheet()
        >>> list(sheet.columns)[:6]
        ['変更日', '項目', '変更前の記載', '変更後の記載', '提出時期', '提出時期に係る説明']
        >>> sheet.loc[sheet["規則"] == "new-mn-holder", ["提出時期", "区分"]].values.tolist()
        [['事前', '重要な変更'], ['事前', '重要な変更']]
        """
        # The 評価書 is changed on the day it is submitted; the assessment (committee) day stands in for it
        # only when no submission is recorded, and the sheet says so.
        submitted = (self.new.meta.get("procedure") or {}).get("submitted_on")
        before = (self.old.meta.get("procedure") or {}).get("submitted_on")
        assessed = self.new.meta.get("assessed_on")
        # a submission no later than the older version's, or before the newer one was assessed, is the older
        # version's procedure block copied over: not this version's day
        stale = submitted is not None and ((before is not None and submitted <= before)
                                           or (isinstance(assessed, dt.date) and submitted < assessed))
        on = submitted if submitted is not None and not stale else assessed
        day = on.isoformat() if isinstance(on, dt.date) else ("" if on is None else str(on))
        day_basis = ("提出日（procedure.submitted_on）" if submitted is not None and not stale else
                     "評価実施日（assessed_on。procedure.submitted_on が評価実施日または前の版の提出日より前で、"
                     "前の版の記録のままと見られるため）" if stale else
                     "評価実施日（assessed_on。提出日 procedure.submitted_on の記録がないため）")
        rules = {r.rule_id: r for r in CHANGE_RULES}
        words = _SheetWords(self.old, self.new)
        rows = []
        for c in self.changes.to_dict("records"):
            if c["rule"] == "version-record":
                continue
            old, new = _sheet_rows(self, c["table"], c["id"])
            # one row per form item the change rules of its class name: a system moved into a contractor's
            # tenancy changes both Ⅱ 4 (委託) and Ⅱ 6 ①保管場所, and (別添3) lists each item changed
            fired = [r for r in (c.get("rules") or []) if r in rules and rules[r].change_class == c["change_class"]]
            items: dict[str, ChangeRule] = {c["form_item_ja"]: rules[c["rule"]]}
            for rule in (rules[r] for r in fired):
                item = rule.form_item_ja or c["form_item_ja"]
                # two rules naming one item, or an item and a part of it (Ⅱ 4 and Ⅱ 4 ④): one row
                if not any(item.startswith(i) or i.startswith(item) for i in items):
                    items[item] = rule
            for item, rule in items.items():
                rows.append(self._sheet_row(c, rule, item, old, new, words, day, day_basis))
        if first := first_given(self.old, self.new):
            # data the older version does not record at all is not a change of the 評価書: one note, no rows
            items = "、".join(words.first_given_item(t) for t in first)
            rows.append({"変更日": day, "項目": items, "変更前の記載": NOT_STATED,
                         "変更後の記載": FIRST_GIVEN_NOTE, "提出時期": "",
                         "提出時期に係る説明": FIRST_GIVEN_WHY,
                         "区分": NOTE_CLASS, "規則": FIRST_GIVEN_RULE, "変更日の根拠": day_basis,
                         "model_ref": "; ".join(first)})
        return pd.DataFrame(rows, columns=SHEET_COLUMNS)

    def _sheet_row(self, c: dict[str, Any], rule: ChangeRule, item: str, old: dict[str, Any], new: dict[str, Any],
                   words: _SheetWords, day: str, day_basis: str) -> dict[str, Any]:
        """One (別添3) row: the change ``c`` under the form item ``item`` that ``rule`` names."""
        ref = f"{c['table']} {c['id']}"
        if c["change"] == "changed":
            cols = list(self.fields.loc[(self.fields["table"] == c["table"]) & (self.fields["id"] == c["id"]),
                                        "column"])
            # the filed 別添3 gives the whole text before and after: never cut
            before, after = words.cells(c["table"], cols, old), words.cells(c["table"], cols, new)
            ref += "" if c["table"] == "model" else ": " + ", ".join(cols)
        else:
            before = words.row(c["table"], c["id"], old) if old else NOT_STATED
            after = words.row(c["table"], c["id"], new) if new else NOT_STATED
        important = c["change_class"] == IMPORTANT
        why = (f"重要な変更（{rule.title_ja}）: 変更前に評価を再実施し、提出する" if important else
               f"{c['change_class_ja']}（{rule.title_ja}）: 重要な変更に当たらないため、変更後に提出し公表する")
        element = words.element(c["table"], c["id"], old or new)
        return {"変更日": day, "項目": item + (f"（{element}）" if element else ""),
                "変更前の記載": before, "変更後の記載": after, "提出時期": "事前" if important else "事後",
                "提出時期に係る説明": why, "区分": c["change_class_ja"], "規則": rule.rule_id,
                "変更日の根拠": day_basis, "model_ref": ref}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the verdict, every classified change, the (別添3) rows and the analysis deltas."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "old": self.old.id, "new": self.new.id, "classification": self.classification,
            "verdict_ja": self.verdict("ja"), "verdict_en": self.verdict("en"),
            "changes": records(self.changes), "change_sheet": records(self.change_sheet()),
            "analysis": self.comparison.to_dict(),
        }


SHEET_COLUMNS = ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明", "区分", "規則",
                 "変更日の根拠", "model_ref"]
#: What (別添3) writes where a version states nothing.
NOT_STATED = "記載なし"
#: The (別添3) note on data first recorded in the newer version: its 区分, 規則 and 変更後の記載.
NOTE_CLASS, FIRST_GIVEN_RULE = "注記", "first-given"
FIRST_GIVEN_NOTE = "この版で初めて記録（変更箇所としては挙げない）"
FIRST_GIVEN_WHY = ("前の版に記録がなく、この版で初めて記録した記載であり、評価書の変更ではないため、"
                   "行ごとの変更箇所としては挙げない")
#: The columns that describe a row of each table in (別添3): what the 評価書 says about the element.
_SHEET_DETAIL = {
    "zones": ("operator",), "systems": ("zone_id", "operator", "holds"),
    "files": ("records", "contains_my_number", "items"), "flows": ("stage", "files", "encrypted"),
    "controls": ("status", "effectiveness", "mitigates", "applies_to"), "ratings": ("rating",),
    "sub_measures": ("answer", "detail"),
}
#: The document-only data a version may not record at all (a table, or model.yaml's ``document`` block).
FIRST_GIVEN_SOURCES = ("document", *DOCUMENT_TABLES, "sub_measures")
#: Counts whose form item is a band (the layout row that bands them is filled by ``fill``): the value is given in
#: people and in the band the form shows. The model.yaml keys are found by their own ``model:key`` fill.
#: target_population is changed as Ⅱ 2 ② (catalog/change_items.csv), the band of a file's people.
_BAND_FILLS = {("files", "records"): "derive:file_records", ("model", "target_population"): "derive:file_records"}


def first_given(old: Model, new: Model) -> list[str]:
    """The document-only data that ``new`` records and ``old`` does not record at all.

    Such data is first recorded, not changed: (別添3) lists none of its rows and says so once (a note row).
    When both versions record a table, its rows are compared as any other.

    Parameters
    ----------
    old, new
        Two versions of a model.

    Returns
    -------
    list of str
        Of ``document`` (model.yaml's block), ``file_details``, ``outsourcing``, ``recipients``,
        ``form_answers`` and ``sub_measures``, those empty in ``old`` and given in ``new``, in that order.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.whatif.versions import first_given
    >>> h28, r3 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h28", "r3"))
    >>> first_given(h28, r3)
    ['document', 'file_details', 'outsourcing', 'recipients', 'sub_measures']
    >>> first_given(r3, r3)
    []
    """
    def given(m: Model, source: str) -> bool:
        return bool(m.document) if source == "document" else not getattr(m, source).empty

    return [s for s in FIRST_GIVEN_SOURCES if given(new, s) and not given(old, s)]


def _label(meaning: str) -> str:
    """A column's or key's meaning (model/schema.py) cut to the label a form row gives it.

    「状況: implemented …」→ 状況, 「記録される人数（整数）」→ 記録される人数, 「必須。対象人数（…」→ 対象人数,
    「適用先の system_id・flow_id（…」→ 適用先, 「軽減するリスクのID（…」→ 軽減するリスク.
    """
    text = re.sub(r"^(必須|任意)。", "", meaning)
    text = re.split(r"[（(:：。]", text, maxsplit=1)[0].strip()
    text = re.sub(r"の\s*[A-Za-z_・ ]+$", "", text)  # 「保有するファイルの file_id」: the column's name
    return text.removesuffix("のID").strip()


class _SheetWords:
    """The form's words for (別添3): elements by name, counts in 人 with their band, codes in words.

    Names are looked up in the newer version, then the older (a removed element is named as it was).
    """

    def __init__(self, old: Model, new: Model) -> None:
        from ..catalog.layout import FORMS, form_layout
        from ..model.organisation import organisation_kind

        self.models = (new, old)
        self.body = organisation_kind(new.meta).word_ja
        layout = pd.concat([form_layout(f) for f in FORMS], ignore_index=True)
        bands = layout.loc[layout["kind"] == "band"]
        by_fill = dict(zip(bands["fill"], bands["choice_set"]))
        self.bands = {(t, c): by_fill[f] for (t, c), f in _BAND_FILLS.items() if f in by_fill}
        self.bands.update({("model", str(f).split(":", 1)[1]): b for f, b in by_fill.items()
                           if str(f).startswith("model:") and ("model", str(f).split(":", 1)[1]) not in self.bands})
        self.risks: dict[str, str] = {}
        for m in self.models[::-1]:  # the newer wording wins
            self.risks.update(zip(m.risk_items["risk_id"], m.risk_items["name_ja"]))
            self.risks.update(zip(m.rated_items["rated_item_id"], m.rated_items["name_ja"]))
        self.stages = dict(zip(stages()["stage"], stages()["short_ja"]))

    def name(self, element: str) -> str:
        for m in self.models:
            named = m.element_name(element)
            if named != element:
                return named
        return element

    def label(self, table: str, column: str) -> str:
        if table == "model":
            return _label(MODEL_KEY_MEANINGS.get(column, ("",))[0]) or column
        return _label(TABLE_BY_NAME[table].column(column).meaning_in("directory")[0]) or column

    def count(self, table: str, column: str, value: Any, unit: str) -> str:
        n = int(value)
        band = self.bands.get((table, column))
        return f"{n:,}{unit}" + (f"（{band_of(band, n)}）" if band else "")

    def value(self, table: str, column: str, value: Any) -> str:
        """One value as the form writes it (記載なし when the version states nothing)."""
        if not _given(value):
            return NOT_STATED
        if table == "model":
            if column in ("declared_not_applicable", "other_risk_measures"):
                return _model_text(column, value)
            if column in MODEL_KEY_UNITS and isinstance(value, (int, float)) and not isinstance(value, bool):
                return self.count(table, column, value, MODEL_KEY_UNITS[column][0])
            if isinstance(value, bool):
                return yes_no(value)
            return _show(value, None)
        col = TABLE_BY_NAME[table].column(column)
        if column == "status":
            return status_word(str(value))
        if column == "operator":
            return self.body if value == "city" else operator_word(str(value))
        if column == "stage":
            return self.stages.get(str(value), str(value))
        if column == "rating":
            return str(value)
        if column == "mitigates":
            return "、".join(self.risks.get(str(r), str(r)) for r in value)
        if col.kind == "prob":
            return percent(float(value))
        if col.kind == "bool":
            return yes_no(value)
        if col.kind in ("int", "count") and not isinstance(value, bool):
            return self.count(table, column, value, col.unit[0] if col.unit else "人" if col.kind == "count" else "")
        if col.kind in ("ref", "reflist"):
            refs = value if isinstance(value, (list, tuple)) else [value]
            return "、".join(f"{self.body}全体" if r == "*" else self.name(str(r)) for r in refs)
        if isinstance(value, (list, tuple)):
            return "、".join(map(str, value))
        return _show(value, None)

    def cells(self, table: str, columns: Sequence[str], row: dict[str, Any]) -> str:
        """The changed cells of a row, by the columns' meanings.

        The value alone for a model.yaml key, an answer to the form, or one item of the document-only data (its
        form item names it), else 「label：value」 for each column.
        """
        if table in ("model", "sub_measures", "form_answers") or (len(columns) == 1 and table in DOCUMENT_TABLES):
            return "／".join(self.value(table, c, row.get(c)) for c in columns)
        return "／".join(f"{self.label(table, c)}：{self.value(table, c, row.get(c))}" for c in columns)

    def row(self, table: str, rid: str, row: dict[str, Any]) -> str:
        """An added or removed row: its name and what the 評価書 says of it."""
        if table == "model":
            return self.value(table, rid, row.get(rid))
        parts = "／".join(f"{self.label(table, c)}：{self.value(table, c, row.get(c))}"
                         for c in _SHEET_DETAIL.get(table, ()) if c in row)
        name = self.element(table, rid, row)
        return (f"{name}（{parts}）" if name and parts else name or parts) or NOT_STATED

    def element(self, table: str, rid: str, row: dict[str, Any] | None) -> str:
        """The element a change concerns, by name (empty when the form item names it already)."""
        row = row or {}
        if table in ("model", "sub_measures", "form_answers"):
            unit = row.get("unit") if table == "form_answers" else None
            return self.name(str(unit)) if _given(unit) else ""
        if table == "ratings":
            return self.risks.get(rid, "")
        if table == "flows":
            return self.name(rid)
        name = row.get("name_ja")
        if isinstance(name, str) and name:
            return name
        key = next(t.key for t in TABLES if t.name == table)
        named = self.name(str(row.get(key, rid)))
        return named if named != str(row.get(key, rid)) else ""

    def first_given_item(self, source: str) -> str:
        """The form items of data first recorded (catalog/change_items.csv)."""
        items = _change_items()
        if source == "document":
            sections = dict.fromkeys(item.split(" ")[0] for (t, d), item in items.items()
                                     if t == "model" and d.startswith("document."))
            return "評価書の記載（" + "、".join(sections) + "）"
        return items.get((source, ""), "") or "・".join(dict.fromkeys(
            " ".join(item.split(" ")[:2]) for (t, d), item in items.items() if t == source))


def _sheet_rows(d: ModelDiff, table: str, rid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The old and new row (or ``{key: value}``) of one change ({} where absent)."""
    if table == "model" and rid.startswith("document."):
        item = rid.split(".", 1)[1]
        return tuple({rid: m.document[item]} if item in m.document else {}  # type: ignore[return-value]
                     for m in (d.old, d.new))
    if table == "model":
        return tuple({rid: m.meta[rid]} if rid in m.meta else {} for m in (d.old, d.new))  # type: ignore[return-value]
    key = next(t.key for t in TABLES if t.name == table)

    def row(m: Model) -> dict[str, Any]:
        frame = getattr(m, table)
        hit = [r for r in frame.to_dict("records") if _row_key(table, key, r) == rid]
        return hit[0] if hit else {}

    return row(d.old), row(d.new)


def _model_text(key: str, value: Any, limit: int | None = None) -> str:
    """A model.yaml value as (別添3) writes it.

    Declarations by the form's check-box words, the other measures by their form items (Ⅲ n その他のリスク …,
    Ⅳ 3), other values as :func:`_show`.
    """
    if key == "declared_not_applicable" and isinstance(value, (list, tuple)):
        labels = dict(stage_declarations()[["declaration", "label_ja"]].itertuples(index=False))
        return "、".join(f"{labels.get(d, d)}" for d in value) or "（なし）"
    if key == "other_risk_measures" and isinstance(value, dict):
        items = {d.split(".", 1)[1]: item.split("：")[0] for (t, d), item in _change_items().items()
                 if t == "model" and d.startswith("other_risk_measures.")}
        return "; ".join(f"{items.get(k, k)}: {_show(v, limit)}" for k, v in value.items()) or "（なし）"
    return _show(value, limit)


def _change_items() -> dict[tuple[str, str], str]:
    table = read_table("change_items.csv")
    return {(t, d): item for t, d, item in table[["table", "detail", "form_item_ja"]].itertuples(index=False)}


def _form_item_of(ctx: DiffContext, change: Change, detail: str) -> str:
    """The form item of one item of the document-only data (``catalog/change_items.csv``, by table and detail).

    An answer of ``form_answers`` to an item change_items.csv does not name is named by its layout row
    (section, number and label of ``catalog/form_layout.csv``).
    """
    found = ctx.form_items.get((change.table, detail))
    if found:
        return found
    if change.table == "form_answers" and detail in ctx.layout_items:
        return ctx.layout_items[detail]
    return ctx.form_items.get((change.table, ""), detail)


def _form_item(ctx: DiffContext, change: Change) -> str:
    """The form item of an element (``catalog/change_items.csv``: by table; flows by stage, model keys by key)."""
    items = ctx.form_items
    if _document_details(change):  # document-only data: the items changed, each by its own row
        return "; ".join(dict.fromkeys(_form_item_of(ctx, change, d) for d in _document_details(change)))
    if change.table == "sub_measures" and change.id in ctx.sub_measures.index:
        return str(ctx.sub_measures.at[change.id, "form_item_ja"])  # Ⅲ 3 リスク2 ユーザ認証の管理
    row = change.new or change.old or {}
    detail = row.get("stage", "") if change.table == "flows" else change.id if change.table == "model" else ""
    if change.table == "model":
        # a block or list of model.yaml (other_risk_measures, declared_not_applicable): the form items of its
        # parts that changed (catalog/change_items.csv, detail key.part), in the catalogue's order
        before, after = (change.old or {}).get(change.id), (change.new or {}).get(change.id)
        parts = _changed_parts(before, after)
        named = [item for (t, d), item in items.items() if t == "model" and d.startswith(f"{change.id}.")
                 and d.split(".", 1)[1] in parts]
        if named:
            return "; ".join(named)
    return items.get((change.table, detail)) or items.get((change.table, ""), "")


def _changed_parts(before: Any, after: Any) -> set[str]:
    """The keys of two mappings whose values differ, or the items in one of two lists only (else empty)."""
    if isinstance(before, dict) or isinstance(after, dict):
        a, b = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
        return {str(k) for k in set(a) | set(b) if a.get(k) != b.get(k)}
    if isinstance(before, (list, tuple)) or isinstance(after, (list, tuple)):
        return {str(v) for v in set(before or []) ^ set(after or [])}
    return set()


def _overall(classes: Sequence[str]) -> str:
    """The most consequential of ``classes`` (``none`` when empty)."""
    return next((c for c in CHANGE_CLASSES if c in classes), "none")


def _classify(ctx: DiffContext, change: Change) -> dict[str, Any]:
    # Every rule is tried (the reasons name them all); the change takes the most consequential class any
    # rule gives, and ``rule`` is the first rule of that class in catalogue order. ``other-change`` always
    # fires, so every change has a class; it is listed only when nothing else fired.
    fired = [r for r in CHANGE_RULES if r.applies(ctx, change)]
    if len(fired) > 1:
        fired = [r for r in fired if r.rule_id != "other-change"]
    cls = _overall([r.change_class for r in fired])
    deciding = next(r for r in fired if r.change_class == cls)
    # A rule about any element (renamed, other-change …) leaves the form item to catalog/change_items.csv.
    item = deciding.form_item_ja or _form_item(ctx, change)
    old, new = change.old or {}, change.new or {}
    fields = [f"{f}: {_show(old.get(f))} → {_show(new.get(f))}" for f in change.fields]
    reasons = [r.reason(ctx, change) for r in fired]
    return {
        "table": change.table, "id": change.id, "change": change.change, "fields": fields,
        "change_class": cls, "change_class_ja": CHANGE_CLASS_JA[cls], "rule": deciding.rule_id,
        "rules": [r.rule_id for r in fired], "form_item_ja": item,
        "reasons_ja": "; ".join(f"[{r.rule_id}] {t[0]}" for r, t in zip(fired, reasons)),
        "reasons_en": "; ".join(f"[{r.rule_id}] {t[1]}" for r, t in zip(fired, reasons)),
    }


def _classified_changes(old: Model, new: Model, provenance: bool = False) -> tuple[list[Change], list[dict[str, Any]]]:
    """The changes from ``old`` to ``new`` and their classification (the rows of :attr:`ModelDiff.changes`).

    Model.yaml first, then the tables in format order; ids sorted within a table.
    """
    ctx = DiffContext(old, new)
    order = {name: i for i, name in enumerate(["model"] + [t.name for t in TABLES])}
    found = sorted(_row_changes(old, new, provenance), key=lambda c: order[c.table])
    return found, [_classify(ctx, c) for c in found]


def diff(old: Model, new: Model, provenance: bool = False) -> ModelDiff:
    r"""Every difference between two versions of a model, classified, with the analysis deltas.

    Parameters
    ----------
    old, new
        Two loaded models, typically a model and its ``previous`` version (or a model and the same
        model changed by a scenario).
    provenance
        Also report changes of the provenance columns (``source``; ``source_ref`` of flows). Off by
        default: a reworded source changes the documentation of a row, not the system it describes.

    Returns
    -------
    ModelDiff
        The classified changes (``changes``), the changed cells (``fields``) and, computed on first use,
        the comparison of the analyses (``comparison``).

    Raises
    ------
    DifferentAssessmentError
        When the two models are not versions of one assessment: their ``organisation`` or ``affairs``
        differ (:func:`~pia_analysis.model.model.check_same_assessment`).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, diff, load_model
    >>> h26, h28 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h26", "h28"))
    >>> d = diff(h26, h28)
    >>> d.classification, sorted({r for rs in d.important["rules"] for r in rs})[:3]
    ('important', ['new-mn-flow', 'new-mn-holder', 'new-outsourcing'])
    >>> print(d.changes.set_index("id").at["CONV_SRV", "reasons_en"].replace("; ", "\n"))
    [new-mn-holder] CONV_SRV newly holds JUKI_FILE (zone OFFSITE, run by contractor)
    [new-outsourcing] Certificate issuance server (off site) (CONV_SRV) is run by a contractor (a new outsourcing)
    """
    require_model(old, "diff")
    require_model(new, "diff")
    check_same_assessment(old, new)
    found, classified = _classified_changes(old, new, provenance)
    changes = pd.DataFrame(classified, columns=CHANGE_COLUMNS)
    field_rows = [{"table": c.table, "id": c.id, "column": f, "old": (c.old or {}).get(f), "new": (c.new or {}).get(f)}
                  for c in found for f in c.fields]
    fields = pd.DataFrame(field_rows, columns=FIELD_COLUMNS)
    return ModelDiff(old=old, new=new, changes=changes, fields=fields)


# ---------------------------------------------------------------------------------------------------
# history


def version_chain(model: Model | str | os.PathLike[str]) -> list[Model]:
    """The model and its earlier versions (``previous``), loaded, **oldest first**.

    Each version is loaded once and the chain walked once (:func:`pia_analysis.formats.load_chain`): the time
    is linear in the number of versions.

    Parameters
    ----------
    model
        A loaded model, or the path of a model directory or workbook.

    Returns
    -------
    list of Model
        The versions, oldest first; the last one is ``model``.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, version_chain
    >>> [m.id for m in version_chain(bundled_model_path())]
    ['kitakyushu-juki-h26', 'kitakyushu-juki-h28', 'kitakyushu-juki-r3']
    """
    from ..formats import load_chain

    return list(reversed(load_chain(model)))


def _chain(model: Model | str | os.PathLike[str] | Sequence[Model]) -> list[Model]:
    if isinstance(model, (list, tuple)):
        return list(model)
    return version_chain(model)  # type: ignore[arg-type]


#: The stage coverage of the models version_history analysed (models are immutable), so that
#: history_coverage of the same chain (the CLI prints both) does not compute it again.
_STAGE_COVERAGE: weakref.WeakKeyDictionary[Model, pd.DataFrame] = weakref.WeakKeyDictionary()


def _same_tables(a: Model, b: Model) -> bool:
    """True when ``a`` and ``b`` have equal tables (the analyses read only the tables)."""
    return all(getattr(a, t.name) is getattr(b, t.name) or getattr(a, t.name).equals(getattr(b, t.name))
               for t in TABLES)


def _per_version(chain: list[Model], analyse: Callable[[Model], Any]) -> list[Any]:
    """``analyse`` of each version; a version whose tables equal the previous version's reuses its result.

    A yearly review often changes only ``model.yaml``, so a long chain of such versions stays fast.
    """
    out: list[Any] = []
    for i, m in enumerate(chain):
        out.append(out[-1] if i and _same_tables(chain[i - 1], m) else analyse(m))
    return out


HISTORY_COLUMNS = [
    "version", "assessed_on", "target_population", "required", "systems", "flows", "controls", "mn_holders",
    "mn_holders_outside_city", "max_mn_exposure", "max_mn_system", "records_at_stake", "covered_pairs", "pairs",
    "coverage", "open_findings",
    "vs_previous", "important_changes", "important_rules",
]


def version_history(model: Model | str | os.PathLike[str] | Sequence[Model]) -> pd.DataFrame:
    """Exposure, coverage and findings of each version of a model, oldest first.

    Parameters
    ----------
    model
        A model (loaded, or the path of a model directory or workbook), or its chain as
        :func:`version_chain` returns it (oldest first).

    Returns
    -------
    DataFrame
        One row per version: ``version`` (id), ``assessed_on``, ``target_population``, ``required`` (the
        threshold judgment code), counts of ``systems``, ``flows``, ``controls`` and ``mn_holders``
        (systems holding My Numbers) and ``mn_holders_outside_city`` (of them, those in a zone the city
        does not operate), ``max_mn_exposure`` and ``max_mn_system`` (the most exposed My
        Number holder), ``records_at_stake`` (sum over systems), ``covered_pairs``, ``pairs``,
        ``coverage`` (over all stages), ``open_findings``, and against the previous version
        ``vs_previous`` (the most consequential class of the changes: important / revision / formal, or none;
        empty for the first), ``important_changes`` (count)
        and ``important_rules``.

    Each version is analysed once (a version with the same tables as the one before reuses its analyses)
    and compared with the one before: the time is linear in the number of versions.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, version_history
    >>> h = version_history(bundled_model_path())
    >>> h[["version", "vs_previous", "important_changes"]].values.tolist()
    [['kitakyushu-juki-h26', '', 0], ['kitakyushu-juki-h28', 'important', 3], ['kitakyushu-juki-r3', 'revision', 0]]
    """
    chain = _chain(model)
    analyses: list[Analysis] = _per_version(chain, lambda m: analyse(m, only=COMPARED_ANALYSES))
    for m, a in zip(chain, analyses):
        _STAGE_COVERAGE[m] = a.stage_coverage
    # Pure functions of what they are given, computed once for each distinct input: versions that share
    # their analyses (or their threshold keys) share the results.
    headlines: dict[tuple[int, int], pd.DataFrame] = {}
    required: dict[tuple[Any, ...], str] = {}
    outside: dict[tuple[int, int], int] = {}
    rows = []
    for i, m in enumerate(chain):
        exp, cov = analyses[i].exposure, analyses[i].stage_coverage
        if i == 0:
            before, verdict, n_imp, rules = analyses[i], "", 0, []
        else:
            # diff(previous, m) without its tables: its classification and important changes
            _found, changes = _classified_changes(chain[i - 1], m)
            important = [c for c in changes if c["change_class"] == IMPORTANT]
            verdict = _overall([c["change_class"] for c in changes])
            before, n_imp = analyses[i - 1], len(important)
            rules = sorted({r for c in important for r in c["rules"]})
        key = (id(before), id(analyses[i]))
        if key not in headlines:
            # The headline of compare(previous, m) (of compare(m, m) for the first version) from the
            # analyses computed once per version: it reads only these six tables, not the deltas.
            headlines[key] = headline_table(before.exposure, exp, before.stage_coverage, cov,
                                            before.findings, analyses[i].findings).set_index("metric")
        head = headlines[key]
        threshold = (m.meta["target_population"], m.meta.get("handlers"), m.meta.get("serious_incident"))
        if threshold not in required:
            required[threshold] = required_assessment(m).code
        outside_key = (id(exp), id(m.zones))
        if outside_key not in outside:
            city_zone = dict(zip(m.zones["zone_id"], m.zones["operator"] == "city"))
            outside[outside_key] = int((exp["holds_my_number"] & ~exp["zone_id"].map(city_zone).astype(bool)).sum())
        rows.append({
            "version": m.id, "assessed_on": m.meta["assessed_on"],
            "target_population": int(m.meta["target_population"]),
            "required": required[threshold], "systems": len(m.systems), "flows": len(m.flows),
            "controls": len(m.controls), "mn_holders": int(exp["holds_my_number"].sum()),
            "mn_holders_outside_city": outside[outside_key],
            "max_mn_exposure": float(head.at["max_mn_exposure", "after"]),
            "max_mn_system": max_mn_exposure(exp)[1],
            "records_at_stake": float(head.at["records_at_stake", "after"]),
            "covered_pairs": int(head.at["covered_pairs", "after"]), "pairs": int(cov["pairs"].sum()),
            "coverage": float(head.at["coverage", "after"]), "open_findings": int(head.at["open_findings", "after"]),
            "vs_previous": verdict, "important_changes": n_imp, "important_rules": rules,
        })
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def history_coverage(model: Model | str | os.PathLike[str] | Sequence[Model]) -> pd.DataFrame:
    """Coverage of each stage (rows, official order) in each version (columns, oldest first).

    Parameters
    ----------
    model
        A model (loaded, or the path of a model directory or workbook), or its chain as
        :func:`version_chain` returns it (oldest first).

    Returns
    -------
    DataFrame
        ``stage``, ``name_ja``, then one float64 column per version: the share of the stage's (risk,
        element) pairs covered by an implemented control (NaN where the stage is out of scope). The columns
        are named by the versions' ids; when two versions share an id, the later ones are told apart as
        ``id (2)``, ``id (3)`` ….

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, history_coverage
    >>> t = history_coverage(bundled_model_path())
    >>> list(t.columns)[:2], len(t)
    (['stage', 'name_ja'], 6)
    """
    chain = _chain(model)
    tables = _per_version(chain, lambda m: (_STAGE_COVERAGE.get(m) if m in _STAGE_COVERAGE
                                            else analyse(m, only=("stage_coverage",)).stage_coverage)
                          [["stage", "name_ja", "coverage"]])
    first = tables[0]
    columns: dict[str, Any] = {"stage": first["stage"].tolist(), "name_ja": first["name_ja"].tolist()}
    used: dict[str, int] = {}
    for m, cov in zip(chain, tables):
        name = m.id
        while name in columns:  # a second version with this id (or an id such as "stage")
            used[m.id] = used.get(m.id, 1) + 1
            name = f"{m.id} ({used[m.id]})"
        # Every version lists the same six stages in the official order: aligned by stage all the same.
        columns[name] = cov.set_index("stage")["coverage"].reindex(columns["stage"]).tolist()
    return pd.DataFrame(columns)
