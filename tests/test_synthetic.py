"""Tests of pia_analysis.synthetic: the generated models have the loader's shape and survive save/load."""

from __future__ import annotations

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model, save_model, validate
from pia_analysis.analysis.exposure import blast_radius, node_exposure
from pia_analysis.analysis.simulation import simulate_compromise
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


# --- the national model -------------------------------------------------------------------------------

from pia_analysis.synthetic import NATIONAL_MUNICIPALITIES, PREFECTURES, national_model  # noqa: E402


@pytest.fixture(scope="module")
def national():
    return national_model(seed=0)


@pytest.fixture(scope="module")
def national_part():
    return national_model(seed=0, municipalities=60)  # Hokkaido's first 60 municipalities


def test_national_counts(national, kitakyushu):
    assert NATIONAL_MUNICIPALITIES == 1741 and len(PREFECTURES) == 47
    systems = national.systems
    local = systems["system_id"].str.match(r"^P\d{2}M\d{3}_")
    prefixes = systems.loc[local, "system_id"].str[:8]
    assert prefixes.nunique() == 1741
    assert prefixes.value_counts().eq(12).all()  # 11 copied systems and an LGWAN terminal each
    shared = set(systems.loc[~local, "system_id"])
    assert {f"PREF{p:02d}_SRV" for p in range(1, 48)} <= shared
    assert {"NATIONAL_SRV", "CARD_MGMT", "MIDDLE_SRV", "IPNS_HUB", "JLIS_CENTRE", "LGWAN_BACKBONE"} <= shared
    assert "PREF_SRV" not in shared and len(shared) == 8 + 47 + 1
    assert len(systems) == 1741 * 12 + 56 == 20_948
    assert len(national.files) == 1741 * len(kitakyushu.files)
    assert len(national.flows) == 33_130 and len(national.controls) == 50_507
    for frame, key in ((systems, "system_id"), (national.flows, "flow_id"), (national.controls, "control_id"),
                       (national.files, "file_id")):
        assert frame[key].is_unique, key
    assert set(national.zones["zone_id"]) >= {"LGWAN", "LGWAN_SEG"}
    assert national.meta["target_population"] == int(
        national.files.loc[national.files["file_id"].str.endswith("_JUKI_FILE"), "records"].sum())
    for name in TABLES:  # the loader's columns and dtypes
        ours, theirs = getattr(national, name), getattr(kitakyushu, name)
        assert list(ours.columns) == list(theirs.columns), name
        assert ours.dtypes.to_dict() == theirs.dtypes.to_dict(), name


def test_national_shared_systems(national):
    holds = dict(zip(national.systems["system_id"], national.systems["holds"]))
    flows = national.flows.set_index("flow_id")
    # every municipality's CS reports to its own prefecture's server, and each of those to the national one
    assert flows.at["P40M001_F08", "target"] == "PREF40_SRV" and flows.at["P01M179_F08", "target"] == "PREF01_SRV"
    assert flows.at["PREF13_F09", "source"] == "PREF13_SRV" and flows.at["PREF13_F09", "target"] == "NATIONAL_SRV"
    assert len(holds["PREF40_SRV"]) == 60 and all(f.startswith("P40M") for f in holds["PREF40_SRV"])
    assert len(holds["NATIONAL_SRV"]) == 1741 and len(holds["CARD_MGMT"]) == 1741
    assert flows.at["PREF40_F09", "files"] == holds["PREF40_SRV"]
    # LGWAN: a terminal per municipality on the shared backbone, which reaches the intermediate servers
    assert flows.at["P40M001_LGWAN_F02", "source"] == "P40M001_LGWAN_TERM"
    assert flows.at["P40M001_LGWAN_F02", "target"] == "LGWAN_BACKBONE"
    assert (flows.at["LGWAN_F01", "source"], flows.at["LGWAN_F01", "target"]) == ("LGWAN_BACKBONE", "MIDDLE_SRV")
    assert int((national.flows["target"] == "LGWAN_BACKBONE").sum()) == 1741
    # one intermediate server platform for all: every address system's link (F14), the network system's
    # (F15) and LGWAN's
    assert int((national.flows["target"] == "MIDDLE_SRV").sum()) == 1741 + 2
    controls = national.controls.set_index("control_id")
    assert controls.at["C-UPDATE-SYNC", "applies_to"][:2] == ["PREF01_SRV", "PREF02_SRV"]
    assert "NATIONAL_SRV" in controls.at["C-UPDATE-SYNC", "applies_to"]
    assert controls.at["P40M001_C-LGWAN-AUTH", "applies_to"] == ["P40M001_LGWAN_TERM"]
    assert national.systems["entry_likelihood"].between(0, 1).all()
    assert national.controls["effectiveness"].between(0, 0.99).all()


def test_national_part_is_a_part_of_the_whole(national, national_part):
    assert len(national_part.systems) == 60 * 12 + 56
    for name, key in (("systems", "system_id"), ("flows", "flow_id"), ("files", "file_id"), ("controls", "control_id")):
        part, whole = getattr(national_part, name), getattr(national, name).set_index(key)
        local = part.loc[part[key].str.match(r"^P\d{2}M\d{3}_")].set_index(key)
        pd.testing.assert_frame_equal(local, whole.loc[local.index], obj=name)
    holds = dict(zip(national_part.systems["system_id"], national_part.systems["holds"]))
    assert len(holds["NATIONAL_SRV"]) == 60 and holds["PREF02_SRV"] == []


def test_saved_national_part_validates_and_loads_back(national_part, tmp_path):
    out = save_model(national_part, tmp_path / "national-60")
    assert validate(out) == []
    back = load_model(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(national_part, name), obj=name)


def test_national_is_seeded(national_part):
    again = national_model(seed=0, municipalities=60)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(national_part, name))
    other = national_model(seed=1, municipalities=60)
    assert not other.files["records"].equals(national_part.files["records"])


def test_analyses_run_on_a_national_part(national_part):
    table = node_exposure(national_part).set_index("system_id")
    assert len(table) == len(national_part.systems)
    # an LGWAN terminal reaches another municipality's address system through the intermediate servers
    reached = set(blast_radius(national_part, "P01M001_LGWAN_TERM").systems["system_id"])
    assert {"LGWAN_BACKBONE", "MIDDLE_SRV", "P01M002_ATENA"} <= reached


def test_national_rejects_impossible_sizes():
    for bad in (0, 1742):
        with pytest.raises(ValueError):
            national_model(municipalities=bad)


def test_charts_and_messages_summarise_a_large_model(national_part):
    """Above the charts' size limits (docs/charts.md, "Large models") the pack summarises."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from pia_analysis.analysis.pipeline import analyse
    from pia_analysis.charts import dataflow, figures as charts
    from pia_analysis.outputs import briefing as report

    a = analyse(national_part, trials=500)
    figures = report.chart_figures(a, "en")
    ax = figures["dataflow"].axes[0]
    boxes = [p.get_gid() for p in ax.patches if isinstance(p, FancyBboxPatch) and (p.get_gid() or "").startswith("box-")]
    zones_big = national_part.systems["zone_id"].value_counts()
    big = set(zones_big[zones_big > dataflow.DATAFLOW_ZONE_DETAIL].index)
    assert {f"box-{z}" for z in big} <= set(boxes)  # one box per big zone (CORE, JUKI_CS, JUKINET …)
    assert len(boxes) < 30 < len(national_part.systems)
    labels = [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("flowlabel-")]
    assert "×60" in labels  # e.g. the 60 CS → prefecture server flows as one arrow
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and (p.get_gid() or "").startswith("flow-")]
    # only merged arrows are labelled (×n): a single flow's id is not council text
    assert all(lb.startswith("×") for lb in labels) and len(labels) <= len(arrows) < 60
    bars = figures["exposure"].axes[0].patches
    assert len(bars) == charts.EXPOSURE_CHART_MAX_SYSTEMS
    shown = [b.get_gid()[len("bar-"):] for b in bars]
    holders = set(a.exposure.loc[a.exposure["holds_my_number"], "system_id"])
    assert set(shown) <= holders  # more than 40 holders: only holders
    heat = figures["coverage_heatmap"].axes[0].images[0].get_array()
    assert heat.shape == (national_part.systems["zone_id"].nunique(), 6)
    messages = report.key_messages(a, "en")
    cut = next(m for m in messages if "would cut every entry point" in m)
    assert len(a.min_cut) > report.MESSAGE_MAX_FLOWS and "in_min_cut" in cut
    md = report.briefing_markdown(a, messages, "en")
    assert f"first {report.MARKDOWN_MAX_ROWS} rows of {len(a.exposure):,}" in md


def test_no_generated_value_reads_as_a_my_number(national):
    # Saving and reloading the national model once failed: an effectiveness of 0.98765432101 ("0." and eleven
    # digits) read as a 12-digit My Number with a valid check digit (controls.csv line 47122). Every drawn
    # probability, as saved, must hold none.
    from pia_analysis.model.mynumber import find_my_numbers

    for table, column in (("controls", "effectiveness"), ("systems", "entry_likelihood")):
        values = getattr(national, table)[column].dropna()
        assert not [v for v in values if find_my_numbers(str(v))], (table, column)
        assert (values == values.round(6)).all()
