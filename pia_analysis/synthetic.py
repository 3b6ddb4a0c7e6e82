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
:func:`pia_analysis.save_model` loads back without problems.

The numbers are made up: use these models to measure speed and scaling, never to judge a real city.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import bundled_model_path, load_model
from .model import Model

__all__ = ["SHARED_OPERATORS", "synthetic_model"]

#: Zones whose operator is one of these are shared by every municipality; the others are copied.
SHARED_OPERATORS = ("jlis", "national", "other_body")


def _frame(rows: list[dict], like: pd.DataFrame) -> pd.DataFrame:
    """Rows as a DataFrame with exactly the columns and dtypes of the template table."""
    frame = pd.DataFrame(rows, columns=list(like.columns))
    if frame.empty:
        return like.iloc[0:0].copy()
    return frame.astype(like.dtypes.to_dict())


def synthetic_model(municipalities: int, seed: int = 0, template: Model | None = None) -> Model:
    """A model of ``municipalities`` copies of a template's local systems around its shared national ones.

    With the bundled template each municipality adds 11 systems, 3 files and 18 flows to 9 shared
    systems, so ``synthetic_model(90)`` has 999 systems and ``synthetic_model(909)`` 10,008.

    Parameters
    ----------
    municipalities
        How many municipalities (>= 1).
    seed
        Seed of the random populations, likelihoods and effectiveness values.
    template
        The model to copy; by default the bundled Kitakyushu model.

    Returns
    -------
    Model
        A model with ``path=None``. Local ids are prefixed with ``M0001_``, ``M0002_`` …

    Examples
    --------
    >>> m = synthetic_model(3, seed=1)
    >>> len(m.systems), len(m.flows), m.systems["system_id"].iloc[-1]
    (42, 58, 'M0003_SUBCON_TERM')
    """
    if municipalities < 1:
        raise ValueError(f"municipalities must be at least 1, not {municipalities}")
    tpl = template if template is not None else load_model(bundled_model_path())
    rng = np.random.default_rng(seed)
    width = max(4, len(str(municipalities)))
    prefixes = [f"M{i:0{width}d}_" for i in range(1, municipalities + 1)]

    shared_zones = set(tpl.zones.loc[tpl.zones["operator"].isin(SHARED_OPERATORS), "zone_id"])
    systems = tpl.systems.to_dict("records")
    shared_sys = {s["system_id"] for s in systems if s["zone_id"] in shared_zones}
    local_sys = [s for s in systems if s["system_id"] not in shared_sys]
    # A file held by a local system is that municipality's own (its register, its CS files).
    local_files = {f for s in local_sys for f in s["holds"]}
    flows = tpl.flows.to_dict("records")
    local_flows = {f["flow_id"] for f in flows if f["source"] not in shared_sys or f["target"] not in shared_sys}
    local_ids = {s["system_id"] for s in local_sys} | local_files | local_flows

    population = np.rint(10 ** rng.uniform(np.log10(3_000), np.log10(1_500_000), municipalities)).astype(np.int64)
    entry_factor = rng.uniform(0.5, 1.5, municipalities)
    controls = tpl.controls.to_dict("records")
    eff_factor = rng.uniform(0.8, 1.2, (municipalities, len(controls)))
    base_population = max(int(tpl.meta.get("target_population", 0)) or 1, 1)

    def local(ident: str, prefix: str) -> str:
        return prefix + ident if ident in local_ids else ident

    def every_copy(ident: str) -> list[str]:
        return [p + ident for p in prefixes] if ident in local_ids else [ident]

    # --- files
    file_rows = []
    for f in tpl.files.to_dict("records"):
        if f["file_id"] not in local_files:
            file_rows.append(dict(f))
    for m, prefix in enumerate(prefixes):
        for f in tpl.files.to_dict("records"):
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
        for s in local_sys:
            row = dict(s)
            row["system_id"] = prefix + s["system_id"]
            row["name_ja"] = f"{s['name_ja']}（団体{m + 1}）"
            row["name_en"] = f"{s['name_en']} (municipality {m + 1})"
            row["holds"] = [local(f, prefix) for f in s["holds"]]
            row["entry_likelihood"] = float(min(1.0, float(s["entry_likelihood"]) * entry_factor[m]))
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
            row["effectiveness"] = float(min(0.99, eff * eff_factor[m, k])) if eff > 0 else 0.0
            control_rows.append(row)

    meta = {key: value for key, value in tpl.meta.items() if key != "previous"}
    meta.update({
        "id": f"synthetic-{municipalities}x-seed{seed}",
        "title_ja": f"合成モデル：{tpl.meta.get('title_ja', tpl.id)} を {municipalities} 団体分複製（seed {seed}）",
        "title_en": f"Synthetic model: {municipalities} municipalities copied from {tpl.id} (seed {seed})",
        "organisation": "synthetic",
        "target_population": int(population.sum()),
    })
    return Model(
        meta=meta,
        zones=tpl.zones.copy(),
        systems=_frame(system_rows, tpl.systems),
        files=_frame(file_rows, tpl.files),
        flows=_frame(flow_rows, tpl.flows),
        controls=_frame(control_rows, tpl.controls),
        risks=tpl.risks.copy(),
        ratings=tpl.ratings.copy(),
        path=None,
    )
