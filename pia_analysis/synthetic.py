"""Synthetic models of many municipalities, for benchmarks and scale tests.

:func:`synthetic_model` copies the *local* part of a template model (by default the bundled Kitakyushu
model) once per municipality, with its own ids, and shares the *national* part between them: the systems
in zones run by J-LIS, the State or other bodies (Juki-net servers, the intermediate server platform,
the information-provision network, the convenience-store issuance centre and stores, other
municipalities and agencies). That is how the real systems are laid out: every city has its own
register, CS and connector, and all of them talk to the same national servers.

Each municipality gets a random population (log-uniform from 3,000 to 1,500,000; file records scale
with it), a random factor on its entry likelihoods (0.5–1.5) and on the effectiveness of its own
controls (0.8–1.2, capped at 0.99; organisational measures with effectiveness 0 stay 0). The tables have
the same columns and dtypes as :func:`pia_analysis.load_model` gives, and a synthetic model saved with
:func:`pia_analysis.save_model` loads back without problems: drawn probabilities are rounded to six decimals,
since a full float such as ``0.98765432101`` reads as twelve digits, and one in ten of those has a valid My
Number check digit, which the loader refuses as personal data.

:func:`national_model` builds the same way a model of the whole country: the 1,741 municipalities of
the 47 prefectures (real counts per prefecture), each with its own copy of the local systems, around the
shared national systems — one 都道府県サーバ per prefecture, the 全国サーバ and the card management
system of Juki-net, the intermediate server platform, the information-provision network system, the
J-LIS certificate issuance centre — and LGWAN, the closed network joining every municipality's LGWAN
segment.

:func:`synthetic_cities` writes city workspaces (``docs/city.md``) instead of one model: each a fictitious
市, 町 or 村 copied from the bundled example city (its affairs sharing the 団体内統合宛名システム, the 中間サーバー
and コンビニ交付), with its own population, for the runner of many cities (:mod:`pia_analysis.whatif.parallel`).

The numbers are made up: use these models to measure speed and scaling, never to judge a real city.
"""

from __future__ import annotations

__all__ = ["NATIONAL_MUNICIPALITIES", "PREFECTURES", "SHARED_OPERATORS", "national_model", "synthetic_cities",
           "synthetic_model"]

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .formats import bundled_model_path, load_model
from .formats.workspace import bundled_workspace_path
from .model.cells import empty_table
from .model.model import Model
from .model.schema import STATUSES, TABLE_BY_NAME
from .util.errors import InvalidArgumentError
from .util.files import write_new_dir

#: Zones whose operator is one of these are shared by every municipality; the others are copied.
SHARED_OPERATORS = ("jlis", "national", "other_body")

#: The 47 prefectures in code order (01 北海道 … 47 沖縄県): (name_ja, name_en, municipalities). The
#: counts are those of the real municipalities (市区町村, the 23 special wards of Tokyo included): 1,741.
PREFECTURES: tuple[tuple[str, str, int], ...] = (
    ("北海道", "Hokkaido", 179), ("青森県", "Aomori", 40), ("岩手県", "Iwate", 33), ("宮城県", "Miyagi", 35),
    ("秋田県", "Akita", 25), ("山形県", "Yamagata", 35), ("福島県", "Fukushima", 59), ("茨城県", "Ibaraki", 44),
    ("栃木県", "Tochigi", 25), ("群馬県", "Gunma", 35), ("埼玉県", "Saitama", 63), ("千葉県", "Chiba", 54),
    ("東京都", "Tokyo", 62), ("神奈川県", "Kanagawa", 33), ("新潟県", "Niigata", 30), ("富山県", "Toyama", 15),
    ("石川県", "Ishikawa", 19), ("福井県", "Fukui", 17), ("山梨県", "Yamanashi", 27), ("長野県", "Nagano", 77),
    ("岐阜県", "Gifu", 42), ("静岡県", "Shizuoka", 35), ("愛知県", "Aichi", 54), ("三重県", "Mie", 29),
    ("滋賀県", "Shiga", 19), ("京都府", "Kyoto", 26), ("大阪府", "Osaka", 43), ("兵庫県", "Hyogo", 41),
    ("奈良県", "Nara", 39), ("和歌山県", "Wakayama", 30), ("鳥取県", "Tottori", 19), ("島根県", "Shimane", 19),
    ("岡山県", "Okayama", 27), ("広島県", "Hiroshima", 23), ("山口県", "Yamaguchi", 19), ("徳島県", "Tokushima", 24),
    ("香川県", "Kagawa", 17), ("愛媛県", "Ehime", 20), ("高知県", "Kochi", 34), ("福岡県", "Fukuoka", 60),
    ("佐賀県", "Saga", 20), ("長崎県", "Nagasaki", 21), ("熊本県", "Kumamoto", 45), ("大分県", "Oita", 18),
    ("宮崎県", "Miyazaki", 26), ("鹿児島県", "Kagoshima", 43), ("沖縄県", "Okinawa", 41),
)
#: Municipalities of the national model.
NATIONAL_MUNICIPALITIES = sum(count for _ja, _en, count in PREFECTURES)

# The national model's LGWAN part (added to the bundled template's systems).
_LGWAN_ZONES = (
    {"zone_id": "LGWAN", "name_ja": "総合行政ネットワーク（LGWAN）",
     "name_en": "LGWAN (local government wide area network)",
     "internet_facing": False, "operator": "jlis",
     "source": "synthetic: the closed network of every municipality, run by J-LIS"},
    {"zone_id": "LGWAN_SEG", "name_ja": "LGWAN接続系ネットワーク（庁内）",
     "name_en": "LGWAN-connected segment (in the office)",
     "internet_facing": False, "operator": "city",
     "source": "synthetic: the middle layer of the three-layer separation (三層分離)"},
)
_LGWAN_BACKBONE = "LGWAN_BACKBONE"
_LGWAN_TERM = "LGWAN_TERM"
_PREF_SRV = "PREF_SRV"  # the template's prefecture server: one per prefecture in the national model



#: Decimals of a drawn probability (entry likelihood, effectiveness): fewer than eleven, so that no saved
#: value reads as a 12-digit My Number with a valid check digit (``0.`` and eleven digits did).
_DECIMALS = 6


def _drawn(value: float) -> float:
    """A drawn probability as saved: a float rounded to :data:`_DECIMALS` decimals."""
    return round(float(value), _DECIMALS)


def _frame(rows: list[dict], like: pd.DataFrame) -> pd.DataFrame:
    """Rows as a DataFrame with exactly the columns and dtypes of the template table."""
    frame = pd.DataFrame(rows, columns=list(like.columns))
    if frame.empty:
        return like.iloc[0:0].copy()
    return frame.astype(like.dtypes.to_dict())


@dataclass
class _Copies:
    """The rows of a replicated model, before they become DataFrames."""

    files: list[dict]
    systems: list[dict]
    flows: list[dict]
    controls: list[dict]
    local_ids: set[str]


def _replicate(tpl: Model, prefixes: Sequence[str], labels: Sequence[tuple[str, str]], population: np.ndarray,
               entry_factor: np.ndarray, eff_factor: np.ndarray) -> _Copies:
    """The template's local part once per prefix around its shared part (see the module docstring).

    ``labels[m]`` is the (Japanese, English) label of municipality ``m`` added to its systems' names;
    ``population``, ``entry_factor`` and ``eff_factor`` (municipalities × controls) its random draws.
    """
    shared_zones = set(tpl.zones.loc[tpl.zones["operator"].isin(SHARED_OPERATORS), "zone_id"])
    systems = tpl.systems.to_dict("records")
    shared_sys = {s["system_id"] for s in systems if s["zone_id"] in shared_zones}
    local_sys = [s for s in systems if s["system_id"] not in shared_sys]
    # A file held by a local system is that municipality's own (its register, its CS files).
    local_files = {f for s in local_sys for f in s["holds"]}
    flows = tpl.flows.to_dict("records")
    local_flows = {f["flow_id"] for f in flows if f["source"] not in shared_sys or f["target"] not in shared_sys}
    local_ids = {s["system_id"] for s in local_sys} | local_files | local_flows
    controls = tpl.controls.to_dict("records")
    base_population = max(int(tpl.meta.get("target_population", 0)) or 1, 1)
    template_files = tpl.files.to_dict("records")

    def local(ident: str, prefix: str) -> str:
        return prefix + ident if ident in local_ids else ident

    def every_copy(ident: str) -> list[str]:
        return [p + ident for p in prefixes] if ident in local_ids else [ident]

    # --- files
    file_rows = [dict(f) for f in template_files if f["file_id"] not in local_files]
    for m, prefix in enumerate(prefixes):
        for f in template_files:
            if f["file_id"] in local_files:
                row = dict(f)
                row["file_id"] = prefix + f["file_id"]
                row["records"] = int(round(int(f["records"]) * int(population[m]) / base_population))
                row["source"] = f"synthetic: copy of {tpl.id} {f['file_id']} for municipality {m + 1}"
                file_rows.append(row)

    # --- systems: shared ones first (holding every municipality's copy of a local file they hold)
    system_rows = []
    for s in systems:
        if s["system_id"] in shared_sys:
            row = dict(s)
            row["holds"] = [c for f in s["holds"] for c in every_copy(f)]
            system_rows.append(row)
    for m, prefix in enumerate(prefixes):
        label_ja, label_en = labels[m]
        for s in local_sys:
            row = dict(s)
            row["system_id"] = prefix + s["system_id"]
            row["name_ja"] = f"{s['name_ja']}（{label_ja}）"
            row["name_en"] = f"{s['name_en']} ({label_en})"
            row["holds"] = [local(f, prefix) for f in s["holds"]]
            row["entry_likelihood"] = _drawn(min(1.0, float(s["entry_likelihood"]) * entry_factor[m]))
            row["source"] = f"synthetic: copy of {tpl.id} {s['system_id']}"
            system_rows.append(row)

    # --- flows
    flow_rows = []
    for f in flows:
        if f["flow_id"] not in local_flows:
            row = dict(f)
            row["files"] = [c for x in f["files"] for c in every_copy(x)]
            flow_rows.append(row)
    for prefix in prefixes:
        for f in flows:
            if f["flow_id"] in local_flows:
                row = dict(f)
                for key in ("flow_id", "source", "target"):
                    row[key] = local(f[key], prefix)
                row["files"] = [local(x, prefix) for x in f["files"]]
                row["source_ref"] = f"synthetic: copy of {tpl.id} {f['flow_id']}"
                flow_rows.append(row)

    # --- controls: the part naming shared elements (or '*') once, the local part once per municipality
    control_rows = []
    for c in controls:
        shared_targets = [t for t in c["applies_to"] if t not in local_ids]
        if shared_targets:
            control_rows.append({**c, "applies_to": shared_targets})
    for m, prefix in enumerate(prefixes):
        for k, c in enumerate(controls):
            local_targets = [prefix + t for t in c["applies_to"] if t in local_ids]
            if not local_targets:
                continue
            eff = float(c["effectiveness"])
            row = dict(c)
            row["control_id"] = prefix + c["control_id"]
            row["applies_to"] = local_targets
            # Organisational measures (0) stay 0; none becomes a perfect wall by chance.
            row["effectiveness"] = _drawn(min(0.99, eff * eff_factor[m, k])) if eff > 0 else 0.0
            control_rows.append(row)
    return _Copies(file_rows, system_rows, flow_rows, control_rows, local_ids)


def _issue18_features(model: Model, seed: int, processes: bool, nested_zones: bool, control_status: bool) -> Model:
    """``model`` with issue 18's data drawn in: files passing through, zones inside zones, per-element statuses.

    Drawn from their own stream (``seed`` and 18), so the other draws of a seed stay as they were. Each choice
    keeps the model valid and without warnings: a system that holds nothing processes the files its flows carry
    (each such system with probability 1/2); a zone lies inside a zone listed before it (probability 1/2: no
    cycle); a control gets another status on one of its elements, any system for ``*`` (probability 1/3).
    """
    rng = np.random.default_rng([seed, 18])
    changes: dict[str, pd.DataFrame] = {}
    if processes:
        carried: dict[str, list[str]] = {}
        for source, target, files in zip(model.flows["source"], model.flows["target"], model.flows["files"]):
            for end in (source, target):
                carried.setdefault(str(end), []).extend(f for f in files if f not in carried.get(str(end), []))
        systems = model.systems.copy()
        systems["processes"] = [
            list(carried.get(str(sid), [])) if not holds and carried.get(str(sid)) and rng.random() < 0.5 else []
            for sid, holds in zip(systems["system_id"], systems["holds"])]
        changes["systems"] = systems
    if nested_zones:
        zones = model.zones.copy()
        ids = list(zones["zone_id"])
        zones["parent_zone"] = [str(ids[int(rng.integers(0, i))]) if i and rng.random() < 0.5 else ""
                                for i in range(len(ids))]
        changes["zones"] = zones
    if control_status:
        systems = [str(s) for s in model.systems["system_id"]]
        rows = []
        for cid, applies, status in zip(model.controls["control_id"], model.controls["applies_to"],
                                        model.controls["status"]):
            if rng.random() >= 1 / 3:
                continue
            targets = systems if list(applies) == ["*"] else [str(t) for t in applies]
            others = [s for s in STATUSES if s != status]
            rows.append({"control_id": str(cid), "element": targets[int(rng.integers(0, len(targets)))],
                         "status": others[int(rng.integers(0, len(others)))],
                         "source": "synthetic: a status drawn for one element"})
        changes["control_status"] = pd.DataFrame(rows, columns=TABLE_BY_NAME["control_status"].column_names).astype(
            empty_table(TABLE_BY_NAME["control_status"]).dtypes.to_dict())
    return model.replace(**changes) if changes else model


def synthetic_model(municipalities: int, seed: int = 0, template: Model | None = None, *, processes: bool = False,
                    nested_zones: bool = False, control_status: bool = False) -> Model:
    """A model of ``municipalities`` copies of a template's local systems around its shared national ones.

    With the bundled template each municipality adds 11 systems, 3 files and 18 flows to 9 shared
    systems, so ``synthetic_model(90)`` has 999 systems and ``synthetic_model(909)`` 10,008.
    ``processes``, ``nested_zones`` and ``control_status`` draw issue 18's data in as well (for round trips
    of the format: files passing through systems that hold nothing, zones inside zones, a control's status on
    one element), each from its own random stream.

    Parameters
    ----------
    municipalities
        How many municipalities (>= 1).
    seed
        Seed of the random populations, likelihoods and effectiveness values.
    template
        The model to copy; by default the bundled Kitakyushu model.
    processes
        Give a system that holds nothing the files its flows carry as ``processes`` (each with probability 1/2).
    nested_zones
        Put a zone inside one listed before it (``parent_zone``; each with probability 1/2).
    control_status
        Give a control another status on one of its elements (``control_status``; each with probability 1/3).

    Returns
    -------
    Model
        A model with ``path=None``. Local ids are prefixed with ``M0001_``, ``M0002_`` …

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``municipalities`` is below 1.

    Examples
    --------
    >>> from pia_analysis import synthetic_model
    >>> m = synthetic_model(3, seed=1)
    >>> len(m.systems), len(m.flows), m.systems["system_id"].iloc[-1]
    (42, 58, 'M0003_SUBCON_TERM')
    >>> t = synthetic_model(2, seed=1, processes=True, nested_zones=True, control_status=True)
    >>> bool(t.zones["parent_zone"].astype(bool).any()), len(t.control_status) > 0
    (True, True)
    """
    if municipalities < 1:
        raise InvalidArgumentError(f"municipalities must be at least 1, not {municipalities}")
    tpl = template if template is not None else load_model(bundled_model_path())
    rng = np.random.default_rng(seed)
    width = max(4, len(str(municipalities)))
    prefixes = [f"M{i:0{width}d}_" for i in range(1, municipalities + 1)]
    population = np.rint(10 ** rng.uniform(np.log10(3_000), np.log10(1_500_000), municipalities)).astype(np.int64)
    entry_factor = rng.uniform(0.5, 1.5, municipalities)
    eff_factor = rng.uniform(0.8, 1.2, (municipalities, len(tpl.controls)))
    labels = [(f"団体{m + 1}", f"municipality {m + 1}") for m in range(municipalities)]
    copies = _replicate(tpl, prefixes, labels, population, entry_factor, eff_factor)

    # the template's procedure record (its public comment, its publication) is not the copies' own
    meta = {key: value for key, value in tpl.meta.items() if key not in ("previous", "procedure")}
    meta.update({
        "id": f"synthetic-{municipalities}x-seed{seed}",
        "title_ja": f"合成モデル：{tpl.meta.get('title_ja', tpl.id)} を {municipalities} 団体分複製（seed {seed}）",
        "title_en": f"Synthetic model: {municipalities} municipalities copied from {tpl.id} (seed {seed})",
        "organisation": "synthetic",
        "target_population": int(population.sum()),
    })
    model = Model(
        meta=meta,
        zones=tpl.zones.copy(),
        systems=_frame(copies.systems, tpl.systems),
        files=_frame(copies.files, tpl.files),
        flows=_frame(copies.flows, tpl.flows),
        controls=_frame(copies.controls, tpl.controls),
        risks=tpl.risks.copy(),
        ratings=tpl.ratings.copy(),
        sub_measures=tpl.sub_measures.copy(),
        path=None,
    )
    return _issue18_features(model, seed, processes, nested_zones, control_status)


# ---------------------------------------------------------------------------------------------------
# the national model


def _municipality_index() -> list[tuple[int, int]]:
    """(prefecture number 1–47, number within the prefecture) of the 1,741 municipalities, in code order."""
    return [(p, k) for p, (_ja, _en, count) in enumerate(PREFECTURES, 1) for k in range(1, count + 1)]


def national_model(seed: int = 0, municipalities: int | None = None) -> Model:
    """A synthetic model of the whole country: 1,741 municipalities around the shared national systems.

    Built from the bundled Kitakyushu model like :func:`synthetic_model`, with these differences:

    * the municipalities are those of the 47 prefectures (:data:`PREFECTURES`, real counts); local ids
      are prefixed ``P<prefecture>M<number>_`` (``P40M001_JUKI_REC`` is the register of Fukuoka's first
      municipality) and system names carry the prefecture;
    * the prefecture server of the template (``PREF_SRV``) becomes one server per prefecture
      (``PREF01_SRV`` … ``PREF47_SRV``): each municipality's CS reports to its own prefecture's server,
      and each of those to the one national server (flows ``PREF01_F09`` …);
    * **LGWAN**: a shared backbone (``LGWAN_BACKBONE``, zone ``LGWAN``, run by J-LIS) reached from an
      LGWAN terminal in every municipality (``…_LGWAN_TERM``, zone ``LGWAN_SEG``, an entry point:
      e-mail and web use on the closed network), and joined to the intermediate server platform, which
      is reached over LGWAN. Controls: the separation of the LGWAN segment from the My Number systems
      (three-layer separation, on the backbone's link to the intermediate servers) and terminal
      authentication in each municipality;
    * populations are log-normal (median 27,000, clipped to 150–3,800,000): about 103 million in all with
      seed 0.

    With all 1,741 municipalities: 20,948 systems (12 per municipality and 56 shared), 5,223 files,
    33,130 flows and 50,507 controls; saved with :func:`pia_analysis.save_model`, about 28 MB of CSV that
    load back without problems.

    Parameters
    ----------
    seed
        Seed of the random populations, likelihoods and effectiveness values.
    municipalities
        Only the first ``municipalities`` municipalities in code order (Hokkaido first), for tests and
        quick benchmarks; every shared system stays (the 47 prefecture servers included). The random
        values are drawn for all 1,741 first, so a smaller model is exactly a part of the full one: the
        same rows, with the shared systems' and flows' file lists limited to the files in it.

    Returns
    -------
    Model
        A valid model in memory (``path`` None), its id ``national-<municipalities>x-seed<seed>``.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``municipalities`` is not between 1 and :data:`NATIONAL_MUNICIPALITIES`.

    Examples
    --------
    >>> from pia_analysis import national_model
    >>> m = national_model(municipalities=2)
    >>> m.systems["system_id"].iloc[-1], "PREF01_SRV" in set(m.systems["system_id"])
    ('P01M002_LGWAN_TERM', True)
    """
    count = NATIONAL_MUNICIPALITIES if municipalities is None else int(municipalities)
    if not 1 <= count <= NATIONAL_MUNICIPALITIES:
        raise InvalidArgumentError(
            f"municipalities must be between 1 and {NATIONAL_MUNICIPALITIES}, not {municipalities}")
    tpl = load_model(bundled_model_path())
    rng = np.random.default_rng(seed)
    n_all = NATIONAL_MUNICIPALITIES
    population_all = np.clip(np.rint(np.exp(rng.normal(np.log(27_000), 1.3, n_all))), 150, 3_800_000).astype(np.int64)
    entry_all = rng.uniform(0.5, 1.5, n_all)
    eff_all = rng.uniform(0.8, 1.2, (n_all, len(tpl.controls)))
    lgwan_eff_all = rng.uniform(0.8, 1.2, n_all)
    index = _municipality_index()[:count]
    prefixes = [f"P{p:02d}M{k:03d}_" for p, k in index]
    labels = [(f"{PREFECTURES[p - 1][0]} 団体{k}", f"{PREFECTURES[p - 1][1]} municipality {k}") for p, k in index]
    population, entry_factor = population_all[:count], entry_all[:count]
    copies = _replicate(tpl, prefixes, labels, population, entry_factor, eff_all[:count])
    prefectures = list(range(1, len(PREFECTURES) + 1))  # every prefecture's server, even in a part
    pref_of_prefix = {prefix: p for prefix, (p, _k) in zip(prefixes, index)}

    def pref_of(ident: str) -> int | None:
        return pref_of_prefix.get(ident[:8]) if ident[:1] == "P" and ident[7:8] == "_" else None

    def server(p: int) -> str:
        return f"PREF{p:02d}_SRV"

    # --- one prefecture server per prefecture, instead of the template's one
    systems: list[dict] = []
    for row in copies.systems:
        if row["system_id"] != _PREF_SRV:
            systems.append(row)
            continue
        for p in prefectures:
            ja, en, _n = PREFECTURES[p - 1]
            systems.append({**row, "system_id": server(p), "name_ja": f"{row['name_ja']}（{ja}）",
                            "name_en": f"{row['name_en']} ({en})",
                            "holds": [f for f in row["holds"] if pref_of(f) == p],
                            "source": f"synthetic: {tpl.id} {_PREF_SRV}, one per prefecture"})
    split_flows: dict[str, list[str]] = {}  # shared flow touching PREF_SRV -> its per-prefecture copies
    flows: list[dict] = []
    for row in copies.flows:
        ends = (row["source"], row["target"])
        if _PREF_SRV not in ends:
            flows.append(row)
        elif pref_of(row["flow_id"]) is not None:  # a municipality's flow: to its own prefecture's server
            p = pref_of(row["flow_id"])
            flows.append({**row, **{k: server(p) for k in ("source", "target") if row[k] == _PREF_SRV}})
        else:
            split_flows[row["flow_id"]] = []
            for p in prefectures:
                fid = f"PREF{p:02d}_{row['flow_id']}"
                split_flows[row["flow_id"]].append(fid)
                flows.append({**row, "flow_id": fid,
                              **{k: server(p) for k in ("source", "target") if row[k] == _PREF_SRV},
                              "files": [f for f in row["files"] if pref_of(f) in (p, None)]})
    expand = {_PREF_SRV: [server(p) for p in prefectures], **split_flows}
    controls = [{**c, "applies_to": [t for a in c["applies_to"] for t in expand.get(a, [a])]}
                for c in copies.controls]

    # --- LGWAN: the backbone, a terminal in every municipality, and the link to the intermediate servers
    system_like = tpl.systems.iloc[0].to_dict()
    systems.append({**system_like, "system_id": _LGWAN_BACKBONE, "name_ja": "LGWAN 全国ネットワーク基盤",
                    "name_en": "LGWAN backbone", "zone_id": "LGWAN", "kind": "network", "operator": "jlis",
                    "holds": [], "entry_likelihood": 0.0,
                    "source": "synthetic: LGWAN, the closed network of local governments (J-LIS)"})
    flow_like = tpl.flows.iloc[0].to_dict()
    flows.append({**flow_like, "flow_id": "LGWAN_F01", "source": _LGWAN_BACKBONE, "target": "MIDDLE_SRV", "files": [],
                  "stage": "network", "channel": "LGWAN", "interactive": True, "encrypted": True,
                  "source_ref": "synthetic: the intermediate server platform is reached over LGWAN"})
    control_like = tpl.controls.iloc[0].to_dict()
    controls.append({**control_like, "control_id": "C-LGWAN-SEPARATION",
                     "name_ja": "LGWAN接続系と個人番号利用事務系の分離（三層分離）",
                     "name_en": "LGWAN segment separated from the My Number systems (three-layer separation)",
                     "mitigates": ["use-2", "network-4", "retain-1"], "applies_to": ["LGWAN_F01"],
                     "effectiveness": 0.9, "status": "implemented",
                     "source": "synthetic: assumption for a benchmark model"})
    for m, prefix in enumerate(prefixes):
        label_ja, label_en = labels[m]
        term = prefix + _LGWAN_TERM
        systems.append({**system_like, "system_id": term, "name_ja": f"LGWAN接続系端末（{label_ja}）",
                        "name_en": f"LGWAN terminals ({label_en})", "zone_id": "LGWAN_SEG", "kind": "terminal",
                        "operator": "city", "holds": [],
                        "entry_likelihood": _drawn(min(1.0, 0.04 * entry_factor[m])),
                        "source": "synthetic: staff terminals on the LGWAN segment (e-mail, LGWAN web)"})
        flows.append({**flow_like, "flow_id": prefix + "LGWAN_F02", "source": term, "target": _LGWAN_BACKBONE,
                      "files": [], "stage": "use", "channel": "LGWAN", "interactive": True, "encrypted": True,
                      "source_ref": "synthetic: each municipality's LGWAN segment"})
        controls.append({**control_like, "control_id": prefix + "C-LGWAN-AUTH",
                         "name_ja": "LGWAN接続系端末の多要素認証とログ管理",
                         "name_en": "Multi-factor authentication and logging on the LGWAN terminals",
                         "mitigates": ["use-2", "use-3"], "applies_to": [term],
                         "effectiveness": _drawn(min(0.99, 0.6 * lgwan_eff_all[m])), "status": "implemented",
                         "source": "synthetic: assumption for a benchmark model"})

    lgwan_zones = pd.DataFrame(list(_LGWAN_ZONES), columns=tpl.zones.columns)
    if "parent_zone" in lgwan_zones:  # outermost zones (an optional column the rows above do not name)
        lgwan_zones["parent_zone"] = [z.get("parent_zone", "") for z in _LGWAN_ZONES]
    zones = pd.concat([tpl.zones, lgwan_zones], ignore_index=True).astype(tpl.zones.dtypes.to_dict())
    # the template's procedure record (its public comment, its publication) is not the copies' own
    meta = {key: value for key, value in tpl.meta.items() if key not in ("previous", "procedure")}
    full = count == NATIONAL_MUNICIPALITIES
    meta.update({
        "id": f"national-{count}x-seed{seed}",
        "title_ja": (f"合成モデル：全国 {count:,} 団体の住民基本台帳システム（{tpl.id} を複製、seed {seed}）"
                     if full else f"合成モデル：全国モデルの先頭 {count:,} 団体（{tpl.id} を複製、seed {seed}）"),
        "title_en": (f"Synthetic model: the resident register systems of {count:,} municipalities "
                     f"(copied from {tpl.id}, seed {seed})" if full else
                     f"Synthetic model: the first {count:,} municipalities of the national model "
                     f"(copied from {tpl.id}, seed {seed})"),
        "organisation": "synthetic",
        "target_population": int(population.sum()),
    })
    return Model(
        meta=meta,
        zones=zones,
        systems=_frame(systems, tpl.systems),
        files=_frame(copies.files, tpl.files),
        flows=_frame(flows, tpl.flows),
        controls=_frame(controls, tpl.controls),
        risks=tpl.risks.copy(),
        ratings=tpl.ratings.copy(),
        sub_measures=tpl.sub_measures.copy(),
        path=None,
    )


# ---------------------------------------------------------------------------------------------------
# synthetic city workspaces

# the example city's affairs, copied in this order (then again, as その2, その3 …)
_CITY_AFFAIRS = ("juki", "juminzei", "kokuho")
# the example city's population (its city.yaml comment and the register's target_population)
_CITY_TEMPLATE_POPULATION = 302_000
_SYNTHETIC_SOURCE = "assumption: synthetic city (fictitious), copied from the example city"


def _kind(population: int) -> str:
    """市 above 50,000 residents (the Local Autonomy Act's threshold for a city), 町 above 10,000, else 村."""
    return "市" if population >= 50_000 else "町" if population >= 10_000 else "村"


def _city_csv(text: str, scale: float, entry_factor: float) -> str:
    """A table of the example city with records scaled, entry likelihoods varied and every source an assumption."""
    rows = list(csv.DictReader(io.StringIO(text)))
    fields = list(csv.DictReader(io.StringIO(text)).fieldnames or [])
    for row in rows:
        if row.get("records"):
            row["records"] = str(max(1, round(int(row["records"]) * scale)))
        if row.get("entry_likelihood"):
            row["entry_likelihood"] = f"{min(1.0, float(row['entry_likelihood']) * entry_factor):.6g}"
        # a flow's provenance is source_ref (its source is the sending system)
        column = "source_ref" if "source_ref" in row else "source" if "source" in row else None
        if column:
            was = row[column].removeprefix("assumption: ").removeprefix("example city: ")
            row[column] = f"{_SYNTHETIC_SOURCE}: {was}" if was else _SYNTHETIC_SOURCE
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _city_model_yaml(text: str, values: dict[str, str]) -> str:
    """The example affair's model.yaml with its top-level keys ``values`` replaced (comments dropped)."""
    lines = ["# a synthetic affair of a fictitious body (pia_analysis.synthetic.synthetic_cities): made-up numbers"]
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key = line.split(":", 1)[0]
        lines.append(f"{key}: {values[key]}" if key in values and not line.startswith(" ") else line)
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_city(folder: Path, number: int, affairs: int, seed: int, template: Path) -> None:
    # one generator per city, from (seed, number): a city is the same whatever the number of cities written
    rng = np.random.default_rng([seed, number])
    population = int(np.rint(10 ** rng.uniform(np.log10(1_000), np.log10(1_000_000))))
    entry_factor = float(rng.uniform(0.5, 1.5))
    kind = _kind(population)
    name = f"合成{number:04d}{kind}"
    scale = population / _CITY_TEMPLATE_POPULATION
    (folder / "shared").mkdir(parents=True)
    for table in sorted((template / "shared").glob("*.csv")):
        (folder / "shared" / table.name).write_text(
            _city_csv(table.read_text(encoding="utf-8"), scale, entry_factor), encoding="utf-8")
    index = [f"# {name}: a fictitious {kind} of {population:,} residents (synthetic_cities, seed {seed}); made-up",
             f"organisation: {name}", f"organisation_kind: {kind}", "shared: shared", "affairs:"]
    for j in range(affairs):
        base = _CITY_AFFAIRS[j % len(_CITY_AFFAIRS)]
        round_ = j // len(_CITY_AFFAIRS) + 1
        affair_id = base if round_ == 1 else f"{base}{round_}"
        source = template / "affairs" / base
        meta_text = (source / "model.yaml").read_text(encoding="utf-8")
        meta = {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in meta_text.splitlines()
                if ":" in line and not line.startswith(("#", " "))}
        affair_name = meta["affairs"] if round_ == 1 else f"{meta['affairs']}（その{round_}）"
        target = max(1, round(int(meta["target_population"]) * scale))
        out = folder / "affairs" / affair_id
        out.mkdir(parents=True)
        for table in sorted(source.glob("*.csv")):
            (out / table.name).write_text(_city_csv(table.read_text(encoding="utf-8"), scale, entry_factor),
                                          encoding="utf-8")
        (out / "model.yaml").write_text(_city_model_yaml(meta_text, {
            "id": f"synthetic-{number:04d}-{affair_id}",
            "title_ja": _quoted(f"{name} {affair_name}（合成）"),
            "title_en": _quoted(f"Synthetic body {number:04d}, {affair_id} (made up)"),
            "organisation": name, "organisation_kind": kind, "affairs": _quoted(affair_name),
            "target_population": str(target)}), encoding="utf-8")
        index.append(f"  - {{id: {affair_id}, name: {_quoted(affair_name)}, model: affairs/{affair_id}, "
                     f"source: {_quoted(_SYNTHETIC_SOURCE)}}}")
    (folder / "city.yaml").write_text("\n".join(index) + "\n", encoding="utf-8")


def synthetic_cities(folder: str | os.PathLike[str], cities: int, *, affairs: int = 3, seed: int = 0) -> list[Path]:
    """Write ``cities`` synthetic city workspaces into the new folder ``folder``; their paths.

    Each is a fictitious body named ``合成0001市`` (``町`` from 10,000 residents, ``村`` below), copied from the
    bundled example city (:func:`~pia_analysis.formats.workspace.bundled_workspace_path`): the shared part (the
    団体内統合宛名システム, the 中間サーバー, the 総合窓口, コンビニ交付 …) and ``affairs`` affairs, the example's
    住民基本台帳, 個人住民税 and 国民健康保険 in turn (``juki``, ``juminzei``, ``kokuho``, then ``juki2`` … named
    「…（その2）」). Each city draws its population (log-uniform from 1,000 to 1,000,000: every file's
    ``records`` and each affair's ``target_population`` scaled from the example's 302,000, so the form required
    varies) and a factor on its entry likelihoods (0.5–1.5, at most 1) from a generator seeded with
    ``(seed, city number)``: a city is the same whatever ``cities`` is. Every row's ``source`` is an
    ``assumption: synthetic city …``.

    Parameters
    ----------
    folder
        A new folder (missing or empty); written whole or not at all.
    cities
        How many workspaces (>= 1): ``folder/city0001`` …
    affairs
        Affairs per city (>= 1).
    seed
        Seed of the populations and factors.

    Returns
    -------
    list of pathlib.Path
        The workspaces, in order.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``cities`` or ``affairs`` is below 1, or ``seed`` is negative.
    pia_analysis.util.files.OutputRefused
        When ``folder`` exists and is not empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_workspace, synthetic_cities
    >>> paths = synthetic_cities(pathlib.Path(tempfile.mkdtemp()) / "cities", 2, affairs=4, seed=1)
    >>> [p.name for p in paths]
    ['city0001', 'city0002']
    >>> ws = load_workspace(paths[0])
    >>> ws.organisation_kind in ("市", "町", "村"), ws.affairs["affair_id"].tolist()
    (True, ['juki', 'juminzei', 'kokuho', 'juki2'])
    """
    for name, value, least in (("cities", cities, 1), ("affairs", affairs, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidArgumentError(f"{name} must be an integer of at least {least}, not {value!r}")
    template = bundled_workspace_path()
    width = max(4, len(str(cities)))
    names = [f"city{n:0{width}d}" for n in range(1, cities + 1)]

    def build(work: Path) -> None:
        for number, name in enumerate(names, start=1):
            _write_city(work / name, number, affairs, seed, template)

    out = write_new_dir(folder, build)
    return [out / name for name in names]
