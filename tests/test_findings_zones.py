"""The findings' exposure readings without whole tables per zone, against the tables they replace.

Issue 17: the internet-zone rule (``internet-reaches-mn``) built two whole exposure tables per internet-facing
zone, and ``exposed-mn-holder`` the most likely path of every system without controls, where it reads only
the values (10,000 systems did not finish in 15 minutes). :class:`ReferenceContext` keeps those readings as
they were: every value is read from :func:`~pia_analysis.analysis.exposure.exposure_and_paths` of the model
with the zone's systems as entry points of likelihood 1 (and with the controls removed). The new readings of
:class:`~pia_analysis.analysis.findings.FindingContext` must give the same values, holders and paths, and
the rules the same findings, field for field.
"""

from __future__ import annotations

import random
from functools import cached_property

import pytest

from coverage_models import build, control, file, flow, system, zone
from pia_analysis import bundled_model_path, load_model, synthetic_model
from pia_analysis.analysis.exposure import exposure_and_paths
from pia_analysis.analysis.findings import RULES, FindingContext
from pia_analysis.analysis.findings.engine import _evaluate


class ReferenceContext(FindingContext):
    """The readings as the rules made them before: whole exposure tables, one per zone and control state."""

    def table(self, zone_id: str, with_controls: bool):
        key = ("reference", zone_id, with_controls)
        if key not in self._cache:
            systems = self.model.systems.copy()
            systems["entry_likelihood"] = (systems["zone_id"] == zone_id).astype("float64")
            changes = {"systems": systems}
            if not with_controls:
                changes["controls"] = self.model.controls.iloc[0:0]
            self._cache[key] = exposure_and_paths(self.model.replace(**changes))
        return self._cache[key]

    def zone_best(self, zone_id, with_controls):
        exp = self.table(zone_id, with_controls)["exposure"]
        best, who = 0.0, None
        for sid in self.mn_holders():  # the first holder (in id order) of the highest value
            value = float(exp[sid])
            if value > best:
                best, who = value, sid
        return best, who

    def zone_best_path(self, zone_id):
        who = self.zone_best(zone_id, True)[1] or self.zone_best(zone_id, False)[1]
        return list(self.table(zone_id, True).loc[who, "path"]) if who else []

    def zone_records_reached(self, zone_id):
        raw = self.table(zone_id, False)["exposure"]
        return max((self.mn_records_held(s) for s in self.mn_holders() if raw[s] > 0), default=0)

    @cached_property
    def raw_exposure_values(self):
        raw = exposure_and_paths(self.model.replace(controls=self.model.controls.iloc[0:0]))
        return {sid: float(v) for sid, v in raw["exposure"].items()}


def _with_internet(model, zone_ids):
    zones = model.zones.copy()
    zones["internet_facing"] = zones["zone_id"].isin(zone_ids)
    return model.replace(zones=zones)


def _random_model(tmp_path, seed: int, n: int = 40):
    """Zones of five, flows each way at random, walls (effectiveness 1), equal controls (ties), empty files."""
    rng = random.Random(seed)
    n_zones = n // 5
    zones = [zone(f"Z{z}", internet=z % 3 == 0) for z in range(n_zones)]
    files = [file("MN", 1000), file("MN0", 0), file("BIG", 50_000), file("PLAIN", 9000, my_number=False)]
    systems, flows, controls = [], [], []
    for i in range(n):
        r = rng.random()
        holds = ["MN"] if r < 0.15 else ["MN0"] if r < 0.2 else ["BIG", "PLAIN"] if r < 0.28 else []
        entry = rng.choice([None, None, 0.1, 0.3, 0.3, 1.0])
        systems.append(system(f"S{i:02d}", f"Z{i // 5}", holds=holds, entry=entry))
    for k in range(3 * n):
        u, v = rng.sample(range(n), 2)
        flows.append(flow(f"F{k:03d}", f"S{u:02d}", f"S{v:02d}", "use", interactive=rng.random() < 0.3))
    for k in range(n):
        target = rng.choice([f"S{rng.randrange(n):02d}", f"F{rng.randrange(3 * n):03d}"])
        eff = rng.choice([0.5, 0.5, 0.9, 1.0, 0.0])
        controls.append(control(f"C{k:02d}", ["use-2"], [target], effectiveness=eff,
                                status="implemented" if rng.random() < 0.8 else "planned"))
    return build(tmp_path / f"m{seed}", {"zones": zones, "systems": systems, "files": files, "flows": flows,
                                         "controls": controls, "ratings": []})


def _assert_same(model, threshold: float = 0.01) -> int:
    """Same readings for every zone, and the same findings (include_all) for every rule; the zones compared."""
    new, ref = FindingContext(model, threshold), ReferenceContext(model, threshold)
    zones = sorted(ref.zones_with_systems)
    for zid in zones:
        for with_controls in (True, False):
            assert new.zone_best(zid, with_controls) == ref.zone_best(zid, with_controls), (zid, with_controls)
        assert new.zone_best_path(zid) == ref.zone_best_path(zid), zid
        assert new.zone_records_reached(zid) == ref.zone_records_reached(zid), zid
    assert new.raw_exposure_values == ref.raw_exposure_values
    for rule in RULES:
        for element in rule.elements(ref):
            assert _evaluate(rule, new, element) == _evaluate(rule, ref, element), (rule.rule_id, element)
    return len(zones)


@pytest.mark.parametrize(("municipalities", "seed"), [(1, 0), (3, 1), (8, 2)])
def test_synthetic_models_read_as_the_whole_tables_did(municipalities, seed):
    model = synthetic_model(municipalities, seed=seed)
    assert _assert_same(model) == 11
    # the internet-zone rule applies once zones face the internet: open and mitigated ones
    exposed = _with_internet(model, ["PUBLIC", "OFFSITE", "SUBCON", "CORE"])
    _assert_same(exposed)
    _assert_same(exposed, threshold=1e-4)


def test_ties_go_to_the_smallest_holder_id():
    # without controls every holder a zone reaches is exposed at 1.0 (and every reached system ties)
    bare = synthetic_model(3, seed=4)
    bare = _with_internet(bare.replace(controls=bare.controls.iloc[0:0]), ["PUBLIC", "CORE", "STORE"])
    _assert_same(bare)


def test_the_bundled_model_reads_as_the_whole_tables_did():
    model = load_model(bundled_model_path())
    _assert_same(model)
    _assert_same(_with_internet(model, list(model.zones["zone_id"])), threshold=0.3)


@pytest.mark.parametrize("seed", range(6))
def test_random_models_read_as_the_whole_tables_did(tmp_path, seed):
    model = _random_model(tmp_path, seed)
    _assert_same(model)
    _assert_same(model, threshold=0.2)


def test_a_zone_that_reaches_no_holder(tmp_path):
    model = build(tmp_path, {
        "zones": [zone("NET", internet=True), zone("CORE")],
        "systems": [system("W", "NET"), system("H", "CORE", holds=["MN"]), system("I", "CORE", holds=["MN"])],
        "files": [file("MN", 700)],
        "flows": [flow("F1", "H", "W", "use"), flow("F2", "W", "I", "use")],
        "controls": [control("K", ["use-2"], ["F2"], effectiveness=1.0)], "ratings": [],
    })
    ctx = FindingContext(model)
    # F2 is walled: with the controls NET reaches nothing; without them it reaches I (F1 runs H → W only)
    assert ctx.zone_best("NET", True) == (0.0, None) and ctx.zone_best_path("NET") == []
    assert ctx.zone_best("NET", False) == (1.0, "I") and ctx.zone_records_reached("NET") == 700
    # CORE's own holders are reached at 1.0: H and I tie, H (the smaller id) is the one named
    assert ctx.zone_best("CORE", True) == (1.0, "H") and ctx.zone_best_path("CORE") == ["H"]
    _assert_same(model)
