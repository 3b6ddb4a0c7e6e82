"""Tests of pia_analysis.synthetic: the generated models have the loader's shape and survive save/load."""

from __future__ import annotations

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model, save_model, validate
from pia_analysis.exposure import blast_radius, node_exposure, simulate_compromise
from pia_analysis.synthetic import synthetic_model

TABLES = ("zones", "systems", "files", "flows", "controls", "risks", "ratings")


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def small():
    return synthetic_model(3, seed=1)


def test_sizes_follow_the_template(kitakyushu, small):
    shared = {"PREF_SRV", "NATIONAL_SRV", "CARD_MGMT", "OTHER_CS", "MIDDLE_SRV", "IPNS_HUB", "OTHER_BODY",
              "JLIS_CENTRE", "STORE_KIOSK"}
    local = len(kitakyushu.systems) - len(shared)
    assert len(small.systems) == len(shared) + 3 * local
    assert shared <= set(small.systems["system_id"])
    assert {"M0001_JUKI_REC", "M0003_CS", "M0002_CONV_SRV"} <= set(small.systems["system_id"])
    assert len(small.files) == 3 * len(kitakyushu.files)  # every file is a municipality's own
    assert small.systems["system_id"].is_unique and small.flows["flow_id"].is_unique
    assert small.controls["control_id"].is_unique


def test_same_columns_and_dtypes_as_the_loader(kitakyushu, small):
    for name in TABLES:
        ours, theirs = getattr(small, name), getattr(kitakyushu, name)
        assert list(ours.columns) == list(theirs.columns), name
        assert ours.dtypes.to_dict() == theirs.dtypes.to_dict(), name
    assert isinstance(small.systems.at[0, "holds"], list)
    assert small.flows["interactive"].dtype == bool


def test_saved_synthetic_model_validates_and_loads_back(small, tmp_path):
    out = save_model(small, tmp_path / "synthetic")
    assert validate(out) == []
    back = load_model(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(small, name), obj=name)
    pd.testing.assert_frame_equal(node_exposure(back), node_exposure(small))


def test_shared_systems_are_shared(small):
    flows = small.flows.set_index("flow_id")
    # every municipality's CS reports to the one prefecture server, whose holds list every copy
    assert flows.loc[["M0001_F08", "M0002_F08", "M0003_F08"], "target"].tolist() == ["PREF_SRV"] * 3
    holds = dict(zip(small.systems["system_id"], small.systems["holds"]))
    assert holds["PREF_SRV"] == ["M0001_HONNIN_FILE", "M0002_HONNIN_FILE", "M0003_HONNIN_FILE"]
    assert holds["M0002_JUKI_REC"] == ["M0002_JUKI_FILE"]
    # a control on shared and local elements is split into one shared copy and one per municipality
    controls = small.controls.set_index("control_id")
    assert controls.at["C-UPDATE-SYNC", "applies_to"] == ["PREF_SRV", "NATIONAL_SRV"]
    assert controls.at["M0002_C-UPDATE-SYNC", "applies_to"] == ["M0002_CS", "M0002_F06", "M0002_F11"]
    assert controls.at["C-BREACH-RESPONSE", "applies_to"] == ["*"]


def test_seeded_and_varied(small):
    again = synthetic_model(3, seed=1)
    other = synthetic_model(3, seed=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(small, name))
    assert not small.files["records"].equals(other.files["records"])
    records = small.files.set_index("file_id")["records"]
    assert records["M0001_JUKI_FILE"] == records["M0001_HONNIN_FILE"]  # one population per municipality
    assert ((records >= 3_000) & (records <= 1_500_000)).all()
    assert small.meta["target_population"] == int(records[records.index.str.endswith("_JUKI_FILE")].sum())
    assert small.systems["entry_likelihood"].between(0, 1).all()
    assert small.controls["effectiveness"].between(0, 0.99).all()


def test_analyses_run_on_a_synthetic_model(small):
    table = node_exposure(small)
    assert len(table) == len(small.systems)
    sim = simulate_compromise(small, trials=2000, seed=0).set_index("system_id")
    assert (table.set_index("system_id").loc[sim.index, "exposure"] <= sim["ci_high"]).all()
    # the kiosk is shared: it reaches every municipality's issuance server, and no register
    reached = set(blast_radius(small, "STORE_KIOSK").systems["system_id"])
    assert {"M0001_CONV_SRV", "M0002_CONV_SRV", "M0003_CONV_SRV"} <= reached
    assert not any(sid.endswith("JUKI_REC") for sid in reached)


def test_rejects_no_municipality():
    with pytest.raises(ValueError):
        synthetic_model(0)
