"""What-if answers show what changed (issue 14): changed paths are changes; the delta charts use names and %.

The council's question: moving the counter terminals onto an internet-connected segment changed the route
into the resident register from the contractor's terminal to the counter at the same 2.5 % a year, and the
output said "no change". Here the same kind of change, on the bundled model and on the small tiny model.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest

from broken_cases import TINY
from pia_analysis import bundled_model_path, load_model
from pia_analysis.charts.delta import coverage_delta_figure, exposure_delta_figure
from pia_analysis.cli import main
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.compare import EXPOSURE_CHANGES, compare, exposure_change

NET_ZONE = {"zone_id": "NET", "name_ja": "インターネット接続系", "name_en": "Internet-connected segment",
            "internet_facing": True, "operator": "city", "source": "test"}
# The counter terminals move onto the internet-connected segment and become as likely an entry point as the
# contractor's terminal was; the contractor's terminal gets a little less likely. The register stays at 2.5 %.
COUNTER_ONLINE = {"id": "counter-online", "title_ja": "窓口端末をインターネット接続系へ",
                  "title_en": "Counter terminals on the internet-connected segment",
                  "add": {"zones": [NET_ZONE]},
                  "set": {"systems": {"JUKI_TERM": {"zone_id": "NET", "entry_likelihood": 0.05},
                                      "VENDOR_TERM": {"entry_likelihood": 0.04}}}}
# Only the zone moves: the paths and probabilities stay, the paths through the terminal cross one more zone.
TERMINAL_MOVED = {"id": "terminal-moved", "add": {"zones": [NET_ZONE]},
                  "set": {"systems": {"JUKI_TERM": {"zone_id": "NET"}}}}
COUNTER_YAML = """\
id: counter-online
title_ja: 窓口端末をインターネット接続系へ
title_en: Counter terminals on the internet-connected segment
add:
  zones:
    - {zone_id: NET, name_ja: インターネット接続系, name_en: Internet-connected segment, internet_facing: true,
       operator: city, source: test}
set:
  systems:
    JUKI_TERM: {zone_id: NET, entry_likelihood: 0.05}
    VENDOR_TERM: {entry_likelihood: 0.04}
"""


@pytest.fixture(scope="module")
def r3():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def counter(r3):
    return compare(r3, apply_scenario(r3, COUNTER_ONLINE), label_after="counter-online")


def row_of(comparison, system_id):
    d = comparison.exposure_delta.set_index("system_id")
    return d.loc[system_id]


def test_a_new_route_at_the_same_probability_is_a_change(counter):
    row = row_of(counter, "JUKI_REC")
    assert row["exposure_before"] == pytest.approx(0.025) and row["exposure_after"] == pytest.approx(0.025)
    assert row["change"] == "path_changed"
    assert row["entry_point_before"] == "VENDOR_TERM" and row["entry_point_after"] == "JUKI_TERM"
    assert row["what_changed"] == ["entry_point", "path", "zone_crossings"]
    assert (row["zone_crossings_before"], row["zone_crossings_after"]) == (0, 1)
    changed = counter.changed_exposure()
    assert "JUKI_REC" in set(changed["system_id"])
    # the moved probabilities come first, then the changed paths, in id order among equals
    kinds = changed["change"].tolist()
    assert kinds == sorted(kinds, key=lambda k: k != "exposure_changed")
    assert set(kinds) == {"exposure_changed", "path_changed"}


def test_zone_crossings_alone_are_a_change(r3):
    c = compare(r3, apply_scenario(r3, TERMINAL_MOVED))
    row = row_of(c, "JUKI_TERM")
    assert row["path_before"] == row["path_after"] == ["VENDOR_TERM", "JUKI_REC", "JUKI_TERM"]
    assert row["change"] == "zone_crossings_changed" and row["what_changed"] == ["zone_crossings"]
    assert c.changed_exposure()["system_id"].tolist() == ["JUKI_TERM"]


def test_the_same_model_has_no_change_of_any_kind(r3):
    c = compare(r3, r3)
    assert set(c.exposure_delta["change"]) == {"unchanged"}
    assert c.to_dict()["exposure_changes"] == {k: 0 for k in EXPOSURE_CHANGES if k != "unchanged"}


def test_the_kind_follows_the_first_part_that_differs():
    base = {"presence": "both", "exposure_before": 0.1, "exposure_after": 0.1, "entry_point_before": "A",
            "entry_point_after": "A", "path_before": ["A", "B"], "path_after": ["A", "B"],
            "zone_crossings_before": 1, "zone_crossings_after": 1}
    assert exposure_change(base) == ("unchanged", [])
    assert exposure_change(base | {"exposure_after": 0.2})[0] == "exposure_changed"
    assert exposure_change(base | {"path_after": ["A", "C", "B"]}) == ("path_changed", ["path"])
    assert exposure_change(base | {"presence": "added"}) == ("added", [])
    # a difference below the tolerance is the same probability
    assert exposure_change(base | {"exposure_after": 0.1 + 1e-15})[0] == "unchanged"


def test_a_system_that_comes_or_goes_is_a_change_on_the_tiny_model():
    tiny = load_model(TINY)
    gone = tiny.systems["system_id"].iloc[-1]
    c = compare(tiny, apply_scenario(tiny, {"id": "x", "remove": {"systems": [gone]}}))
    assert row_of(c, gone)["change"] == "removed"
    assert gone in set(c.changed_exposure()["system_id"])


def test_the_json_counts_and_lists_the_changed_paths(counter):
    d = json.loads(json.dumps(counter.to_dict()))
    assert d["exposure_changes"]["path_changed"] == int((counter.exposure_delta["change"] == "path_changed").sum()) > 0
    reg = next(r for r in d["exposure"] if r["system_id"] == "JUKI_REC")
    assert reg["change"] == "path_changed" and reg["path_after"] == ["JUKI_TERM", "JUKI_REC"]


def test_the_cli_reports_the_changed_path(tmp_path, capsys):
    scenario = tmp_path / "counter-online.yaml"
    scenario.write_text(COUNTER_YAML, encoding="utf-8")
    assert main(["scenario", str(bundled_model_path()), str(scenario), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    section = out.split("Exposure: systems whose exposure or most likely attack path changed", 1)[1]
    section = section.split("\nCoverage per stage", 1)[0]
    reg = next(line for line in section.splitlines() if line.startswith("JUKI_REC "))
    assert "path changed" in reg and "2.5%" in reg and "→" not in reg.split("path changed")[1].split()[0]
    assert "path changed" in section.splitlines()[-1]  # the count line: "probability changed 2, path changed …"
    assert main(["scenario", str(bundled_model_path()), str(scenario), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["exposure_changes"]["path_changed"] > 0
    assert any(r["system_id"] == "JUKI_REC" and r["change"] == "path_changed" for r in payload["exposure"])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_delta_charts_use_names_and_percentages(counter, r3, lang):
    names = " ".join(r3.systems["name_ja"]) + " ".join(r3.systems["name_en"])
    # ids that are also words of a name ("CS" in 市町村CS) cannot tell an id from a name
    ids = {i for i in set(r3.systems["system_id"]) | {"NET", "counter-online", r3.id} if i not in names}
    assert {"JUKI_REC", "VENDOR_TERM", "JUKI_TERM"} <= ids
    fig = exposure_delta_figure(counter, lang=lang, title=COUNTER_ONLINE[f"title_{lang}"])
    try:
        ax = fig.axes[0]
        texts = ([t.get_text() for t in fig.findobj(plt.Text)])
        assert not [t for t in texts if any(i in t for i in ids)], "an id on the chart"
        labels = [t.get_text() for t in ax.get_yticklabels()]
        name = r3.systems.set_index("system_id").at["JUKI_REC", f"name_{lang}"]
        assert f"{name} ●" in labels
        assert all(t.get_text().endswith("%") for t in ax.get_xticklabels() if t.get_text())
        note = next(t.get_text() for t in fig.findobj(plt.Text) if t.get_gid() == "delta-JUKI_REC")
        counter_name = r3.systems.set_index("system_id").at["JUKI_TERM", f"name_{lang}"]
        assert counter_name.replace(" ", "") in note.replace("\n", "").replace(" ", "")
        assert ("入口" in note) if lang == "ja" else ("entry point" in note)
        # the notes sit right of the axes, the legend below it: no text over the bars
        assert note and fig.legends and not ax.get_legend()
    finally:
        plt.close(fig)
    fig = coverage_delta_figure(counter, lang=lang, title=COUNTER_ONLINE[f"title_{lang}"])
    try:
        texts = [t.get_text() for t in fig.findobj(plt.Text)]
        assert not [t for t in texts if any(i in t for i in ids)]
    finally:
        plt.close(fig)
