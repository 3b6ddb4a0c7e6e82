"""Versions of a model: what changed between two, whether it is an important change, and the history.

:func:`diff` compares two models row by row (by id, in every table) and key by key (``model.yaml``), and
runs the analyses on both (:func:`~pia_analysis.whatif.compare.compare`). Every changed row or key is then
classified:

* **重要な変更 (important change)** when at least one rule of :data:`CHANGE_RULES` fires. A municipality
  must then re-run its full assessment *before* making the change: public comment (normally >= 30 days),
  a third-party check (第三者点検) and submission to the Commission (ppc_assessment_facts §3);
* **軽微な変更 (minor revision)** otherwise: recorded at the yearly review.

The rules are plain predicates on one change, each with the basis it rests on and a confidence mark
(``confirmed``: stated in a public source; ``recalled``: the usual reading of the guideline's list of
important-change items, not re-checked against the current text; ``project``: this toolkit's own
operationalisation). They are listed by :func:`change_rules` and documented in ``docs/versions.md``.
Removals never fire a rule (they lower the risk); they are reported as minor, with that said.

:func:`version_history` walks the ``previous`` chain and shows exposure and coverage across versions.
"""

from __future__ import annotations

__all__ = [
    "CHANGE_RULES",
    "ChangeRule",
    "ModelDiff",
    "change_rules",
    "diff",
    "history_coverage",
    "version_history",
    "version_chain",
]

import datetime as dt
import math
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
from ..model.schema import MODEL_KEYS, OUTSOURCED_OPERATORS, TABLES
from .compare import COMPARED_ANALYSES, Comparison, compare, headline_table, max_mn_exposure, plain_value

IMPORTANT, MINOR = "important", "minor"
IMPORTANCE_JA = {IMPORTANT: "重要な変更", MINOR: "軽微な変更"}
#: Operators whose systems are run for the city by someone it contracts with (委託・再委託).
#: Stages whose flows deliver data to another party (提供・移転, 情報提供ネットワークシステム).
RECIPIENT_STAGES = ("provide", "network")
CHANGE_COLUMNS = ["table", "id", "change", "fields", "importance", "importance_ja", "rules", "reasons_ja", "reasons_en"]
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
        """Systems that were the target of a provide or network flow in the old model."""
        f = self.old.flows
        return frozenset(f.loc[f["stage"].isin(RECIPIENT_STAGES), "target"])

    @cached_property
    def old_zone_operator(self) -> dict[str, str]:
        return dict(zip(self.old.zones["zone_id"], self.old.zones["operator"]))

    @cached_property
    def new_zone_operator(self) -> dict[str, str]:
        return dict(zip(self.new.zones["zone_id"], self.new.zones["operator"]))

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
    """An important-change rule: ``applies(ctx, change)`` is True when the change is 重要な変更 by it.

    ``reason`` gives the sentence shown for a change it fires on (Japanese, English).
    """

    rule_id: str
    title_ja: str
    title_en: str
    basis: str
    confidence: str  # confirmed, recalled, project
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
    if c.table != "systems" or c.new is None:
        return False
    now = _mn(c.new["holds"], ctx.new_mn_files)
    before = _mn(c.old["holds"], ctx.old_mn_files) if c.old is not None else set()
    return bool(now - before)


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


def _new_recipient(ctx: DiffContext, c: Change) -> bool:
    if c.table != "flows" or c.new is None or c.new["stage"] not in RECIPIENT_STAGES:
        return False
    if c.old is not None and c.old["stage"] in RECIPIENT_STAGES and c.old["target"] == c.new["target"]:
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


CHANGE_RULES: tuple[ChangeRule, ...] = (
    ChangeRule(
        "new-mn-file", "特定個人情報ファイルの追加", "A new file with My Numbers",
        "guideline list of important-change items: 特定個人情報ファイルの種類 (a new file also needs its own "
        "assessment); ppc_assessment_facts §3: re-run before an important change",
        "recalled", _new_mn_file,
        lambda ctx, c: (f"{c.id} は個人番号を含むファイルとして新たに加わる",
                        f"{c.id} is a new file containing My Numbers"),
    ),
    ChangeRule(
        "new-mn-holder", "特定個人情報ファイルの新たな保管場所", "A system newly holding My Numbers",
        "guideline list of important-change items: 保管場所 (where the file is kept); the minutes of 2021-11-09 "
        "name the first off-site copy of resident data as the reason of the 平成28年 re-run",
        "recalled", _new_mn_holder,
        lambda ctx, c: (f"{c.id} が {_ids(_mn(c.new['holds'], ctx.new_mn_files))} を新たに保管する"
                        f"（ゾーン {c.new['zone_id']}、運用 {c.new['operator']}）",
                        f"{c.id} newly holds {_ids(_mn(c.new['holds'], ctx.new_mn_files))} "
                        f"(zone {c.new['zone_id']}, run by {c.new['operator']})"),
    ),
    ChangeRule(
        "new-mn-flow", "特定個人情報の新たな流れ", "A new flow carrying My Numbers",
        "guideline list of important-change items: 入手元・入手方法, 使用方法, 提供先・移転先 (a new route of the "
        "file between systems)",
        "recalled", _new_mn_flow,
        lambda ctx, c: (f"{c.id}（{c.new['source']}→{c.new['target']}、{c.new['stage']}）が "
                        f"{_ids(_mn(c.new['files'], ctx.new_mn_files))} を運ぶ",
                        f"{c.id} ({c.new['source']}→{c.new['target']}, {c.new['stage']}) carries "
                        f"{_ids(_mn(c.new['files'], ctx.new_mn_files))}"),
    ),
    ChangeRule(
        "new-outsourcing", "委託・再委託の追加", "A new outsourcing or re-outsourcing",
        "guideline list of important-change items: 委託の有無・委託事項, 再委託の有無; modelled as a new "
        "outsource-stage flow or a system/zone newly run by a contractor or subcontractor",
        "recalled", _new_outsourcing,
        lambda ctx, c: ((f"{c.id} は委託の流れ（{c.new['source']}→{c.new['target']}）", f"{c.id} is an outsourcing "
                         f"flow ({c.new['source']}→{c.new['target']})") if c.table == "flows" else
                        (f"{c.id} は {c.new['operator']} が運用する", f"{c.id} is run by a {c.new['operator']}")),
    ),
    ChangeRule(
        "new-recipient", "提供先・移転先の追加", "A new recipient",
        "guideline list of important-change items: 提供先・移転先; modelled as a provide/network flow to a "
        "system that received no provide/network flow before",
        "recalled", _new_recipient,
        lambda ctx, c: (f"{c.new['target']} は新たな提供先（{c.id}、{c.new['stage']}）",
                        f"{c.new['target']} is a new recipient ({c.id}, {c.new['stage']})"),
    ),
    ChangeRule(
        "mn-storage-moved", "特定個人情報ファイルの保管場所の移動", "My Number file moved to another operator's zone",
        "guideline list of important-change items: 保管場所; modelled as a system holding My Numbers moving "
        "to a zone with another operator",
        "recalled", _mn_storage_moved,
        lambda ctx, c: (f"{c.id} は {c.old['zone_id']} から {c.new['zone_id']} へ移る",
                        f"{c.id} moves from {c.old['zone_id']} to {c.new['zone_id']}"),
    ),
    ChangeRule(
        "new-record-items", "記録項目の追加", "New recorded items in a My Number file",
        "guideline list of important-change items: 記録される項目",
        "recalled", _new_record_items,
        lambda ctx, c: (f"{c.id} に項目 {_ids(set(c.new['items']) - set(c.old['items']))} が加わる",
                        f"{c.id} gains the items {_ids(set(c.new['items']) - set(c.old['items']))}"),
    ),
    ChangeRule(
        "threshold-up", "しきい値判断の結果がより重い評価になる",
        "The threshold judgment requires a heavier assessment",
        "ppc_assessment_facts §3 [confirmed]: re-run when the threshold result changes; §2 threshold table "
        "(catalog/thresholds.csv)",
        "confirmed", _band_up,
        lambda ctx, c: (f"しきい値判断: {ctx.judgments[0].label_ja} → {ctx.judgments[1].label_ja}",
                        f"threshold judgment: {ctx.judgments[0].label_en} → {ctx.judgments[1].label_en}"),
    ),
)


def change_rules() -> pd.DataFrame:
    """The important-change rules of :data:`CHANGE_RULES` as a table.

    Returns
    -------
    DataFrame
        One row per rule, in order: ``rule_id``, ``title_ja``, ``title_en``, ``basis`` (the source it rests
        on) and ``confidence`` (``confirmed``, ``recalled`` or ``project``), all strings.

    Examples
    --------
    >>> from pia_analysis.whatif.versions import change_rules
    >>> change_rules()["rule_id"].tolist()[:3]
    ['new-mn-file', 'new-mn-holder', 'new-mn-flow']
    """
    return pd.DataFrame([{"rule_id": r.rule_id, "title_ja": r.title_ja, "title_en": r.title_en, "basis": r.basis,
                          "confidence": r.confidence} for r in CHANGE_RULES])


# ---------------------------------------------------------------------------------------------------
# row differences


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return list(a or []) == list(b or [])
    return a == b


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value)) or "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    text = "—" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


#: The provenance column of each table (flows' ``source`` is the source *system*; its provenance is
#: ``source_ref``).
PROVENANCE_COLUMNS = {"zones": "source", "systems": "source", "files": "source", "flows": "source_ref",
                      "controls": "source"}


def _row_changes(old: Model, new: Model, provenance: bool = False) -> list[Change]:
    out: list[Change] = []
    for table in TABLES:
        key = table.key
        skip = {key} if provenance else {key, PROVENANCE_COLUMNS.get(table.name)}
        if getattr(old, table.name) is getattr(new, table.name):
            continue  # the same table (versions of a chain share unchanged tables: io.load_chain)
        a = {r[key]: r for r in getattr(old, table.name).to_dict("records")}
        b = {r[key]: r for r in getattr(new, table.name).to_dict("records")}
        for rid in sorted(set(a) | set(b)):
            if rid not in b:
                out.append(Change(table.name, rid, "removed", a[rid], None))
            elif rid not in a:
                out.append(Change(table.name, rid, "added", None, b[rid]))
            else:
                cols = [c for c in dict.fromkeys([*a[rid], *b[rid]]) if c not in skip]
                changed = tuple(c for c in cols if not _same(a[rid].get(c, ""), b[rid].get(c, "")))
                if changed:
                    out.append(Change(table.name, rid, "changed", a[rid], b[rid], changed))
    # the procedure block records how each version was assessed (dates of its public comment, publication):
    # not a change to the 評価書's content, so the diff leaves it out
    keys = [k for k in MODEL_KEYS if (k in old.meta or k in new.meta) and k != "procedure"]
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
        change`` (added, removed, changed), ``fields`` (``column: old → new`` texts), ``importance``
        (``important`` / ``minor``), ``importance_ja`` (重要な変更 / 軽微な変更), ``rules`` (the rule ids that
        fired; ``["minor"]`` when none did), ``reasons_ja``, ``reasons_en``. Model keys first, then the
        tables in format order, ids sorted.
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
        return self.changes.loc[self.changes["importance"] == IMPORTANT].reset_index(drop=True)

    @property
    def is_important(self) -> bool:
        """True when at least one change is 重要な変更 (re-run with public comment and third-party check)."""
        return bool((self.changes["importance"] == IMPORTANT).any())

    @property
    def classification(self) -> str:
        """``important``, ``minor``, or ``none`` (no change at all)."""
        if self.changes.empty:
            return "none"
        return IMPORTANT if self.is_important else MINOR

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
        return (f"軽微な変更のみです（{len(self.changes)} 件）。年1回の見直しで評価書を修正します。" if ja else
                f"Minor revisions only ({len(self.changes)}): record them at the yearly review.")

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
        """Counts of changes by table and kind (added, removed, changed) and of important ones.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, diff, load_model
        >>> m = load_model(bundled_model_path())
        >>> list(diff(m, m).summary().columns)
        ['table', 'added', 'removed', 'changed', 'important']
        """
        if self.changes.empty:
            return pd.DataFrame(columns=["table", "added", "removed", "changed", "important"])
        counts = pd.crosstab(self.changes["table"], self.changes["change"])
        counts = counts.reindex(columns=["added", "removed", "changed"], fill_value=0)
        counts["important"] = self.changes.groupby("table")["importance"].apply(lambda s: int((s == IMPORTANT).sum()))
        order = ["model"] + [t.name for t in TABLES]
        counts = counts.reindex([t for t in order if t in counts.index]).astype("int64")
        counts.columns.name = None
        return counts.rename_axis("table").reset_index()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the verdict, every classified change, and the analysis deltas."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "old": self.old.id, "new": self.new.id, "classification": self.classification,
            "verdict_ja": self.verdict("ja"), "verdict_en": self.verdict("en"),
            "changes": records(self.changes), "analysis": self.comparison.to_dict(),
        }


def _classify(ctx: DiffContext, change: Change) -> dict[str, Any]:
    fired = [r for r in CHANGE_RULES if r.applies(ctx, change)]
    if c_fields := change.fields:
        old, new = change.old or {}, change.new or {}
        fields = [f"{f}: {_show(old.get(f))} → {_show(new.get(f))}" for f in c_fields]
    else:
        fields = []
    if fired:
        reasons = [r.reason(ctx, change) for r in fired]
        ja = [f"[{r.rule_id}] {t[0]}" for r, t in zip(fired, reasons)]
        en = [f"[{r.rule_id}] {t[1]}" for r, t in zip(fired, reasons)]
    elif change.change == "removed":
        ja = ["削除はリスクを増やさないため重要な変更の規則の対象外"]
        en = ["a removal lowers the risk: no important-change rule applies"]
    else:
        ja, en = ["重要な変更の規則に該当しない"], ["no important-change rule applies"]
    return {
        "table": change.table, "id": change.id, "change": change.change, "fields": fields,
        "importance": IMPORTANT if fired else MINOR, "importance_ja": IMPORTANCE_JA[IMPORTANT if fired else MINOR],
        "rules": [r.rule_id for r in fired] or ["minor"], "reasons_ja": "; ".join(ja), "reasons_en": "; ".join(en),
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
    [new-outsourcing] CONV_SRV is run by a contractor
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
        ``vs_previous`` (important / minor / none; empty for the first), ``important_changes`` (count)
        and ``important_rules``.

    Each version is analysed once (a version with the same tables as the one before reuses its analyses)
    and compared with the one before: the time is linear in the number of versions.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, version_history
    >>> h = version_history(bundled_model_path())
    >>> h[["version", "vs_previous", "important_changes"]].values.tolist()
    [['kitakyushu-juki-h26', '', 0], ['kitakyushu-juki-h28', 'important', 5], ['kitakyushu-juki-r3', 'minor', 0]]
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
            important = [c for c in changes if c["importance"] == IMPORTANT]
            verdict = "none" if not changes else IMPORTANT if important else MINOR
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
