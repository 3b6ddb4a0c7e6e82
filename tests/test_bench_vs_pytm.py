"""benchmarks/bench_vs_pytm.py writes the same topology twice: a model our loader accepts, a pytm script that
compiles; without pytm it says how to install it (issue 17). The timings themselves are the benchmark's, not
a test's."""

from __future__ import annotations

import collections
import importlib.util
import sys
from pathlib import Path

import pytest

from pia_analysis import load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_vs_pytm", ROOT / "benchmarks" / "bench_vs_pytm.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_topology_has_three_flows_per_node_and_one_foreign_each(bench):
    topo = bench.topology(100, seed=3)
    assert len(topo.nodes) == 100 and len(topo.zones) == 5
    assert len(topo.flows) == 300
    out = collections.Counter(f.source for f in topo.flows)
    assert set(out.values()) == {3}
    crossing = collections.Counter(f.source for f in topo.flows if f.crossing)
    assert len(crossing) == 100 and set(crossing.values()) == {1}
    assert all(topo.node(f.source).zone != topo.node(f.target).zone for f in topo.flows if f.crossing)
    assert bench.topology(100, seed=3).flows == topo.flows  # deterministic


def test_our_model_loads_with_the_same_nodes_and_flows(bench, tmp_path):
    topo = bench.topology(60)
    bench.write_ours(topo, tmp_path / "model")
    model = load_model(tmp_path / "model")
    assert sorted(model.systems["system_id"]) == sorted(n.ident for n in topo.nodes)
    assert len(model.flows) == len(topo.flows)
    assert set(model.zones["zone_id"]) == {f"Z{z:04d}" for z in range(len(topo.zones))}
    # one firewall per zone guards every flow that enters it
    fw = model.controls.loc[model.controls["control_id"].str.startswith("C-FW-")]
    guarded = [f for ids in fw["applies_to"] for f in ids]
    assert sorted(guarded) == sorted(f.ident for f in topo.flows if f.crossing)


def test_pytm_script_compiles_and_names_every_element(bench, tmp_path):
    topo = bench.topology(60)
    bench.write_pytm(topo, tmp_path / "tm.py")
    text = (tmp_path / "tm.py").read_text(encoding="utf-8")
    compile(text, "tm.py", "exec")
    assert text.count("Dataflow(E[") == len(topo.flows)
    assert sum(text.count(f"= {role}(") for role in ("Actor", "Server", "Process", "Datastore")) == len(topo.nodes)
    assert "tm.process()" in text


def test_without_pytm_it_says_how_to_install_it(bench, tmp_path, capsys):
    assert bench.pytm_python(str(tmp_path / "no-python")) is None
    out = capsys.readouterr().out
    assert "pip install pytm==1.4.0" in out and "--pytm-python" in out
