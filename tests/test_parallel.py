"""Many cities in parallel (pia_analysis.whatif.parallel, docs/city.md "Many cities").

The same cities run in this process, on a pool of two processes and on a Dask LocalCluster of two workers must
give the same bytes; a city given in another order gives the same rows; a broken workspace among good ones is
reported with its path and its located problems while the others still run; ``--scheduler`` without Dask names
the extra to install. Small trials and three cities keep it fast (the pools' start-up dominates).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import CityRunError, city_summary, load_workspace, run_cities, synthetic_cities
from pia_analysis.cli import main
from pia_analysis.util.errors import InvalidArgumentError
from pia_analysis.util.seeds import affair_seed

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "tests" / "workspaces" / "good"
BROKEN = ROOT / "tests" / "workspaces" / "defined_twice"
TRIALS = 2_000


@pytest.fixture(scope="module")
def cities(tmp_path_factory) -> list[Path]:
    return synthetic_cities(tmp_path_factory.mktemp("parallel") / "cities", 3, affairs=3, seed=7)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------------
# the default task


def test_city_summary_one_row_per_affair_with_its_own_seed():
    table = city_summary(GOOD, trials=TRIALS, seed=3)
    assert table["affair_id"].tolist() == ["juki", "zei"]
    assert table["seed"].tolist() == [affair_seed(3, "テスト市", "juki"), affair_seed(3, "テスト市", "zei")]
    # the most exposed holder is node_exposure's first holder; juki's is the shared ATENA (docs/city.md: 0.05)
    assert table.loc[0, "holder_id"] == "ATENA" and table.loc[0, "holder_exposure"] == pytest.approx(0.05)
    # the union over all paths is at least the most likely one, up to sampling error
    assert (table["compromise_ci_high"] >= table["holder_exposure"]).all()
    assert (table["trials"] == TRIALS).all()


def test_city_summary_without_trials_skips_the_simulation():
    table = city_summary(GOOD, trials=0)
    assert table["compromise_probability"].isna().all()
    assert table["holder_id"].tolist() == ["ATENA", "TAX"]


@pytest.mark.parametrize("kwargs", [{"trials": -1}, {"seed": -2}, {"trials": 1.5}])
def test_city_summary_refuses_bad_arguments(kwargs):
    with pytest.raises(InvalidArgumentError):
        city_summary(GOOD, **kwargs)


# ---------------------------------------------------------------------------------------------------
# identical whatever the backend


def test_identical_bytes_in_process_on_processes_and_on_dask(cities):
    in_process = run_cities(city_summary, cities, workers=1, trials=TRIALS, seed=5).to_csv()
    processes = run_cities(city_summary, cities, workers=2, trials=TRIALS, seed=5).to_csv()
    dask = run_cities(city_summary, cities, workers=2, scheduler="local", trials=TRIALS, seed=5).to_csv()
    assert processes == in_process
    assert dask == in_process
    assert in_process.count("\n") == 1 + 3 * 3
    # the run's seed matters (a test that could fail: not every seed gives the same draws)
    assert run_cities(city_summary, cities, workers=1, trials=TRIALS, seed=6).to_csv() != in_process


def test_another_order_gives_the_same_rows_per_city(cities):
    forward = run_cities(city_summary, cities, workers=2, trials=TRIALS)
    backward = run_cities(city_summary, list(reversed(cities)), workers=1, trials=TRIALS)
    # results in the order given, not the order finished
    assert backward["workspace"].unique().tolist() == [str(c) for c in reversed(cities)]
    for city in cities:
        a = forward.loc[forward["workspace"] == str(city)].reset_index(drop=True)
        b = backward.loc[backward["workspace"] == str(city)].reset_index(drop=True)
        assert a.to_csv() == b.to_csv()


def test_no_city_is_an_empty_table():
    assert run_cities(city_summary, [], workers=2).empty


@pytest.mark.parametrize("kwargs, words", [({"workers": 0}, "--workers must be 1 or more"), ({"workers": True}, "workers"),
                                           ({"scheduler": "bogus"}, "tcp://host:port")])
def test_bad_workers_or_scheduler(kwargs, words):
    with pytest.raises(InvalidArgumentError, match=words):
        run_cities(city_summary, [GOOD], **kwargs)


# ---------------------------------------------------------------------------------------------------
# failures


def test_a_bad_workspace_is_reported_with_its_path_and_the_others_run(cities, tmp_path):
    missing = tmp_path / "nowhere"
    given = [cities[0], BROKEN, cities[1], missing]
    with pytest.raises(CityRunError) as caught:
        run_cities(city_summary, given, workers=2, trials=TRIALS)
    error = caught.value
    assert [f.city for f in error.failures] == [str(BROKEN), str(missing)]
    broken = error.failures[0].problems
    assert any("affairs/juki/systems.csv:4: system_id: [juki] 'ATENA' is also defined in the shared part" in p
               for p in broken)
    assert "is not a folder" in error.failures[1].problems[0]
    assert "Traceback" not in str(error)
    assert str(BROKEN) in str(error) and str(missing) in str(error)
    # the good cities ran, in their order
    assert error.results["workspace"].unique().tolist() == [str(cities[0]), str(cities[1])]


def _buggy_task(path, **_kwargs):
    raise ZeroDivisionError("a bug in a task")


def _not_a_frame(path, **_kwargs):
    return [path]


def test_a_failing_task_is_reported_not_raised():
    with pytest.raises(CityRunError) as caught:
        run_cities(_buggy_task, [GOOD, BROKEN], workers=1)
    assert [f.problems for f in caught.value.failures] == [("ZeroDivisionError: a bug in a task",)] * 2
    with pytest.raises(CityRunError, match="returned list, not a DataFrame"):
        run_cities(_not_a_frame, [GOOD], workers=1)


def test_scheduler_without_dask_names_the_extra(monkeypatch):
    # as after a plain install: importing dask fails
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(InvalidArgumentError, match=r"pip install 'pia-analysis\[dask\]'"):
        run_cities(city_summary, [GOOD], scheduler="local")


# ---------------------------------------------------------------------------------------------------
# synthetic cities


def test_synthetic_cities_are_deterministic_and_valid(tmp_path, cities):
    again = synthetic_cities(tmp_path / "again", 3, affairs=3, seed=7)
    assert _tree(again[0].parent) == _tree(cities[0].parent)
    # a city does not depend on how many are written
    fewer = synthetic_cities(tmp_path / "fewer", 1, affairs=3, seed=7)
    assert _tree(fewer[0]) == _tree(cities[0])
    other = synthetic_cities(tmp_path / "other", 1, affairs=3, seed=8)
    assert _tree(other[0]) != _tree(cities[0])
    for city in cities:
        ws = load_workspace(city)
        assert not ws.warnings
        assert ws.organisation.endswith(ws.organisation_kind) and ws.organisation_kind in ("市", "町", "村")
        for model in ws.models.values():
            for table in ("systems", "files", "controls", "zones"):
                assert model.__getattribute__(table)["source"].str.startswith("assumption: synthetic city").all()
            assert model.flows["source_ref"].str.startswith("assumption: synthetic city").all()
    thirty = load_workspace(synthetic_cities(tmp_path / "thirty", 1, affairs=30, seed=0)[0])
    assert len(thirty.affairs) == 30 and thirty.affairs["affair_id"].iloc[-1] == "kokuho10"


def test_synthetic_cities_refuses_a_folder_in_use_and_bad_counts(tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("x")
    from pia_analysis.util.files import OutputRefused
    with pytest.raises(OutputRefused):
        synthetic_cities(tmp_path / "used", 1)
    with pytest.raises(InvalidArgumentError):
        synthetic_cities(tmp_path / "new", 0)
    assert (tmp_path / "used" / "mine.txt").read_text() == "x"


# ---------------------------------------------------------------------------------------------------
# the command


def test_cli_portfolio_writes_the_table_and_never_overwrites(cities, tmp_path, capsys):
    out = tmp_path / "portfolio.csv"
    folder = str(cities[0].parent)
    assert main(["city", "portfolio", folder, "--trials", str(TRIALS), "--workers", "1", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["workspace"].unique().tolist() == [str(c) for c in cities]  # a folder of workspaces, by name
    expected = run_cities(city_summary, cities, workers=1, trials=TRIALS)
    assert table["compromise_probability"].tolist() == expected["compromise_probability"].tolist()
    before = out.read_bytes()
    assert main(["city", "portfolio", folder, "--trials", "10", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_cli_portfolio_reports_bad_workspaces_and_writes_nothing(cities, tmp_path, capsys):
    out = tmp_path / "portfolio.csv"
    code = main(["city", "portfolio", str(cities[0]), str(BROKEN), "--trials", "100", "--workers", "1",
                 "--out", str(out), "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "1 of 2 workspace(s) could not be analysed" in err
    assert f"{BROKEN}:" in err and "systems.csv:4: system_id: [juki]" in err
    assert "Traceback" not in err
    # the analyst's language by default: the same failure in Japanese
    assert main(["city", "portfolio", str(cities[0]), str(BROKEN), "--trials", "100", "--workers", "1",
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "2 件のワークスペースのうち 1 件を分析できませんでした" in err and not out.exists()


def test_cli_portfolio_without_dask_says_which_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    code = main(["city", "portfolio", str(GOOD), "--scheduler", "local", "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "the 'dask' extra" in err[0] and "pip install 'pia-analysis[dask]'" in err[0]


@pytest.mark.parametrize("args, words", [(["--trials", "-1"], "--trials"), (["--out", "p.txt"], ".csv"),
                                         (["--trials", "100000000000000000000"], "--trials must be at most 10000000"),
                                         (["--workers", "0"], "--workers must be 1 or more")])
def test_cli_portfolio_usage_errors(args, words, tmp_path, capsys):
    full = ["city", "portfolio", str(GOOD), "--out", str(tmp_path / "p.csv"), *args]
    assert main(full) == 2
    assert words in capsys.readouterr().err


def _workspace_copy(tmp_path: Path) -> Path:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(GOOD, ws)
    return ws


@pytest.mark.parametrize("target", ["shared/systems.csv", "city.csv", "affairs/juki/flows.csv", "shared/new.csv",
                                    "notes.csv"])
def test_cli_portfolio_never_writes_inside_an_input_workspace(target, tmp_path, capsys):
    # the attack trial: --out W/shared/flows.csv --force replaced the shared table, and W no longer loaded
    ws = _workspace_copy(tmp_path)
    before = _tree(ws)
    code = main(["city", "portfolio", str(ws), "--trials", "10", "--workers", "1", "--force",
                 "--out", str(ws / target)])
    err = capsys.readouterr().err
    assert code == 2 and "lies inside the city workspace" in err, err
    assert _tree(ws) == before


def test_cli_portfolio_never_writes_into_a_shared_folder_or_affair_outside_the_workspace(tmp_path, capsys):
    import shutil

    ws = _workspace_copy(tmp_path)
    shutil.move(ws / "shared", tmp_path / "outside_shared")
    shutil.move(ws / "affairs" / "zei", tmp_path / "outside_zei")
    text = (ws / "city.yaml").read_text(encoding="utf-8")
    (ws / "city.yaml").write_text(text.replace("shared: shared", "shared: ../outside_shared")
                                  .replace("model: affairs/zei", "model: ../outside_zei"), encoding="utf-8")
    for name in ("affairs/juki", "outside_zei"):  # the affairs' own pointers to the shared part
        meta = tmp_path / ("ws/" + name if name.startswith("affairs") else name) / "model.yaml"
        meta.write_text("\n".join(line if not line.startswith("shared:") else
                                  f"shared: {Path('..' if name == 'outside_zei' else '../../..') / 'outside_shared'}"
                                  for line in meta.read_text(encoding="utf-8").splitlines()) + "\n",
                        encoding="utf-8")
    assert load_workspace(ws).shared_path == (tmp_path / "outside_shared").resolve()
    for target, what in (("outside_shared/flows.csv", "its shared folder"),
                         ("outside_zei/out.csv", "the model of affair zei")):
        before = _tree(tmp_path / target.split("/")[0])
        code = main(["city", "portfolio", str(ws), "--trials", "10", "--workers", "1", "--force",
                     "--out", str(tmp_path / target)])
        err = capsys.readouterr().err
        assert code == 2 and f"lies inside {what}" in err, err
        assert _tree(tmp_path / target.split("/")[0]) == before


@pytest.mark.parametrize("scheduler, words", [("tcp://", "not a Dask scheduler's address"),
                                              ("http://h:1", "not a Dask scheduler's address"),
                                              ("tcp://127.0.0.1:1", "no Dask scheduler answered within")])
def test_cli_portfolio_bad_scheduler_is_one_usage_line(scheduler, words, tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")
    import pia_analysis.whatif.parallel as parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1)  # the real one is 10 s
    code = main(["city", "portfolio", str(GOOD), "--scheduler", scheduler, "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and words in err[0], err
    assert "internal error" not in err[0] and not (tmp_path / "p.csv").exists()


def test_interrupted_dask_run_closes_the_cluster_quietly_and_leaves_no_scratch(tmp_path, monkeypatch, capsys):
    pytest.importorskip("dask.distributed")
    import tempfile

    import pia_analysis.whatif.parallel as parallel

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the scratch folder is made here, then removed
    closed = []

    class Client:
        def map(self, *args, **kwargs):
            return []

        def gather(self, futures):
            raise KeyboardInterrupt  # Ctrl-C while the cities run

        def close(self):
            closed.append("client")

    class Cluster:
        def close(self):
            closed.append("cluster")

    def client(scheduler, workers, scratch):
        assert Path(scratch).parent == tmp_path and Path(scratch).is_dir()
        return Client(), Cluster()

    monkeypatch.setattr(parallel, "_dask_client", client)
    with pytest.raises(KeyboardInterrupt):
        run_cities(city_summary, [GOOD], scheduler="local", workers=1)
    assert closed == ["client", "cluster"] and list(tmp_path.iterdir()) == []


def test_cli_portfolio_refuses_a_workspace_given_twice(tmp_path, capsys):
    # its rows would be listed twice: refused (a folder of workspaces and one of them inside it, too)
    code = main(["city", "portfolio", str(GOOD), str(GOOD / ".." / "good"), "--out", str(tmp_path / "p.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "give each workspace once" in err and not (tmp_path / "p.csv").exists()
