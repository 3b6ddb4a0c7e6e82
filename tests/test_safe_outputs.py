"""Outputs: the tool deletes or replaces only what it wrote itself (issue 11, section 1).

Every writing command is run against every output hazard (a user's folder, the model, the input workbook,
an existing file, a symlink, ``.``, ``""``, ``/``, the home folder, an edited pack, unwritable paths); the
whole temporary tree (with the fake home and working folder) is hashed before and after: nothing of the
user's may change, nothing partial may be left. Then the positive rules: packs carry a manifest and are
replaced, empty folders used, re-runs are byte-identical, signals clean up, modes follow the umask.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import pytest

from broken_cases import TINY
from pia_analysis import bundled_model_path, load_model
from pia_analysis.cli import build_parser, main
from pia_analysis.util import files as F
from pia_analysis.util.files import (MANIFEST, Interrupted, OutputRefused, WriteFailed, check_file_target,
                                     check_pack_target, handle_signals, write_file, write_new_dir, write_pack)
from pia_analysis.formats.workbook import save_workbook

ROOT = Path(__file__).resolve().parent.parent
# matplotlib finds its cache folder once, under the real home: the tests' fake HOME stays untouched by it.
matplotlib.get_cachedir()
matplotlib.get_configdir()
SCENARIO = "id: what-if\ntitle_ja: 試し\ntitle_en: Try\nset:\n  systems:\n    REG: {entry_likelihood: 0.5}\n"


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (files by content and mode, folders, symlinks by target)."""
    out = {}
    for here, dirs, names in os.walk(root):
        for name in dirs + names:
            p = Path(here) / name
            rel = str(p.relative_to(root))
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = f"dir:{st.st_mode & 0o777:o}"
            else:
                out[rel] = f"{st.st_mode & 0o777:o}:" + hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def leftovers(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if ".partial-" in p.name or p.name.endswith(".tmp")
                  or ".old-" in p.name)


class World:
    """A user's folder tree: a model, its workbook, a scenario, a council folder, a home and a working folder."""

    def __init__(self, root: Path):
        self.root = root
        self.model = root / "assess" / "tiny"
        shutil.copytree(TINY, self.model)
        self.workbook = save_workbook(load_model(self.model), root / "tiny.xlsx")
        self.scenario = root / "what-if.yaml"
        self.scenario.write_text(SCENARIO, encoding="utf-8")
        self.council = root / "council"
        (self.council / "photos").mkdir(parents=True)
        (self.council / "memo.txt").write_text("議事メモ", encoding="utf-8")
        (self.council / "budget.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        (self.council / "photos" / "p1.jpg").write_bytes(b"\xff\xd8\xff")
        (root / "notes.pdf").write_bytes(b"%PDF-1.4 the user's")
        (root / "empty-target").mkdir()
        self.home = root / "home"
        self.home.mkdir()
        (self.home / ".bashrc").write_text("export X=1\n")
        self.cwd = root / "cwd"
        self.cwd.mkdir()
        (self.cwd / "notes.txt").write_text("mine")
        self.pack = root / "oldpack"
        write_pack(self.pack, lambda d: (d / "briefing.md").write_text("# old\n", encoding="utf-8"))
        (self.pack / "briefing.md").write_text("# old, with my edits\n", encoding="utf-8")  # edited by hand
        self.src = None  # the model a command reads (set per command)


@pytest.fixture()
def world(tmp_path: Path, monkeypatch) -> World:
    w = World(tmp_path)
    monkeypatch.setenv("HOME", str(w.home))
    monkeypatch.chdir(w.cwd)
    return w


# command name → (argv builder, kind of output, suffix, whether --force exists, default input)
COMMANDS = {
    "report": (lambda w, o: ["report", str(w.src), "--out", o], "dir", "", False, "model"),
    "assessment": (lambda w, o: ["assessment", str(w.src), "--out", o, "--form", "basic"], "dir", "", False, "model"),
    "scenario": (lambda w, o: ["scenario", str(w.src), str(w.scenario), "--report", o], "dir", "", False, "model"),
    "section3-xlsx": (lambda w, o: ["section3", str(w.src), "--out", o], "file", ".xlsx", True, "model"),
    "section3-md": (lambda w, o: ["section3", str(w.src), "--out", o], "file", ".md", True, "model"),
    "export-otm": (lambda w, o: ["export-otm", str(w.src), o], "file", ".json", True, "model"),
    "export-findings-sarif": (lambda w, o: ["export-findings", str(w.src), o], "file", ".sarif", True, "model"),
    "export-findings-csv": (lambda w, o: ["export-findings", str(w.src), o], "file", ".csv", True, "model"),
    "convert-dir": (lambda w, o: ["convert", str(w.src), o], "newdir", "", True, "workbook"),
    "convert-xlsx": (lambda w, o: ["convert", str(w.src), o], "file", ".xlsx", True, "model"),
    "new-dir": (lambda w, o: ["new", o], "newdir", "", True, None),
    "new-xlsx": (lambda w, o: ["new", o, "--xlsx"], "file", ".xlsx", True, None),
}


def _existing(w: World, kind: str, suffix: str) -> str:
    if kind == "file":
        p = w.root / f"existing{suffix}"
        p.write_bytes(b"the user's own file")
        return str(p)
    return str(w.root / "notes.pdf")


def _symlink(w: World, kind: str, suffix: str) -> str:
    link = w.root / f"link{suffix}"
    link.symlink_to(w.council / "budget.xlsx" if kind == "file" else w.root / "empty-target")
    return str(link)


def _input(w: World, kind: str, suffix: str) -> str:
    w.src = w.workbook  # the command reads the workbook and is asked to write over it
    return str(w.workbook)


# hazard → (path builder, expected exit, add --force where the command has it, kinds it applies to)
HAZARDS = {
    "user_folder": (lambda w, k, s: str(w.council), 2, False, ("dir", "file", "newdir")),
    "model_dir": (lambda w, k, s: str(w.model), 2, False, ("dir", "file", "newdir")),
    "model_dir_force": (lambda w, k, s: str(w.model), 2, True, ("file", "newdir")),
    "inside_model": (lambda w, k, s: str(w.model / "briefing"), 2, False, ("dir",)),
    "model_table": (lambda w, k, s: str(w.model / "zones.csv"), 2, True, ("file", "newdir")),
    "contains_model": (lambda w, k, s: str(w.root / "assess"), 2, False, ("dir", "file", "newdir")),
    "input_workbook": (_input, 2, True, ("dir", "file", "newdir")),
    "existing_file": (_existing, 2, False, ("dir", "file", "newdir")),
    "symlink": (_symlink, 2, True, ("dir", "file", "newdir")),
    "dot": (lambda w, k, s: ".", 2, False, ("dir", "file", "newdir")),
    "empty": (lambda w, k, s: "", 2, False, ("dir", "file", "newdir")),
    "root": (lambda w, k, s: "/", 2, False, ("dir", "file", "newdir")),
    "home": (lambda w, k, s: str(w.home), 2, False, ("dir", "file", "newdir")),
    "edited_pack": (lambda w, k, s: str(w.pack), 2, False, ("dir", "file", "newdir")),
    "under_a_file": (lambda w, k, s: str(w.council / "memo.txt" / f"out{s}"), 4, False, ("dir", "file", "newdir")),
    # a folder the kernel lets nobody write, root included (chmod does not stop root)
    "read_only": (lambda w, k, s: f"/proc/pia-analysis-out{s}", 4, False, ("dir", "file", "newdir")),
    "name_too_long": (lambda w, k, s: str(w.root / ("x" * 300 + s)), 4, False, ("dir", "file", "newdir")),
}

NOT_HAZARDS = {
    # ``new PATH --xlsx`` appends .xlsx: ``new council --xlsx`` writes a new council.xlsx beside the folder
    ("new-xlsx", h) for h in ("user_folder", "model_dir", "model_dir_force", "model_table", "contains_model", "home",
                              "edited_pack")
} | {
    ("new-dir", "input_workbook"), ("new-xlsx", "input_workbook"),  # new reads no input
    # the documented use of --force: convert replaces the model files of an existing model directory
    ("convert-dir", "model_dir_force"),
}
CASES = [(c, h) for c, (_b, kind, *_r) in COMMANDS.items() for h, (*_x, kinds) in HAZARDS.items() if kind in kinds
         and (c, h) not in NOT_HAZARDS]


@pytest.mark.parametrize("command,hazard", CASES, ids=[f"{c}-{h}" for c, h in CASES])
def test_every_writer_refuses_every_hazard(world: World, capsys, command: str, hazard: str):
    build, kind, suffix, has_force, src = COMMANDS[command]
    make, expected, force, _kinds = HAZARDS[hazard]
    world.src = {"model": world.model, "workbook": world.workbook, None: None}[src]
    out = make(world, kind, suffix)
    argv = build(world, out) + (["--force"] if force and has_force else [])
    before = tree(world.root)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == expected, (argv, err)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if expected == 4:
        assert lines[0].startswith("pia-analysis: cannot write "), err
    if out:
        assert out.rstrip("/") in lines[0] or out in lines[0], err
    else:
        assert "empty" in lines[0] or "''" in lines[0] or "already exists" in lines[0], err
    assert tree(world.root) == before, "something of the user's changed"
    assert leftovers(world.root) == []


def test_the_matrix_covers_every_writing_command():
    writers = {"report", "assessment", "scenario", "section3", "export-otm", "export-findings", "convert", "new"}
    assert {c.split("-")[0] if not c.startswith("export") else "-".join(c.split("-")[:2]) for c in COMMANDS} == writers
    assert len(CASES) >= 150


# ---------------------------------------------------------------------------------------------------
# what is allowed


def test_report_into_a_new_an_empty_and_an_earlier_pack(tmp_path: Path, capsys):
    new = tmp_path / "a" / "b" / "pack"
    assert main(["report", str(TINY), "--out", str(new)]) == 0
    manifest = json.loads((new / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tool"] == "pia-analysis"
    listed = set(manifest["files"])
    on_disk = {str(p.relative_to(new)) for p in new.rglob("*") if p.is_file()} - {MANIFEST}
    assert listed == on_disk and "briefing.pdf" in listed and "charts/exposure.png" in listed
    assert all(hashlib.sha256((new / k).read_bytes()).hexdigest() == v for k, v in manifest["files"].items())
    first = tree(new)
    # an earlier pack is replaced, and re-runs write the same bytes (manifest included)
    (new / "charts" / "stale.png").unlink(missing_ok=True)
    assert check_pack_target(new) == "pack"
    assert main(["report", str(TINY), "--out", str(new)]) == 0
    assert tree(new) == first
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_pack_target(empty) == "empty"
    assert main(["report", str(TINY), "--out", str(empty)]) == 0
    assert tree(empty) == first
    assert leftovers(tmp_path) == []
    assert "briefing pack written" in capsys.readouterr().out


def test_a_pack_with_a_file_dropped_in_is_refused_naming_it(tmp_path: Path, capsys):
    pack = write_pack(tmp_path / "p", lambda d: (d / "a.txt").write_text("x"))
    (pack / "charts").mkdir()
    (pack / "charts" / "mine.png").write_bytes(b"x")
    with pytest.raises(OutputRefused, match=r"holds 1 entry that pia-analysis did not write: charts/"):
        check_pack_target(pack)
    (pack / "charts" / "mine.png").unlink()
    (pack / "charts").rmdir()
    (pack / MANIFEST).write_text('{"tool": "other"}')  # a manifest not ours: the folder is not a pack
    with pytest.raises(OutputRefused, match=r"a\.txt, manifest\.json"):
        check_pack_target(pack)


def test_scenario_report_is_one_pack_with_its_delta(tmp_path: Path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "pack"
    assert main(["scenario", str(TINY), str(scenario), "--report", str(out)]) == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert {"delta/effects.csv", "delta/comparison.json", "delta/exposure_delta.png", "briefing.pdf"} <= set(
        manifest["files"])
    assert not (out / "delta" / MANIFEST).exists(), "one manifest for the pack and its delta"
    first = tree(out)
    assert main(["scenario", str(TINY), str(scenario), "--report", str(out)]) == 0  # replaces its own pack
    assert tree(out) == first
    assert leftovers(tmp_path) == []


def test_file_outputs_need_force_to_replace(tmp_path: Path, capsys):
    out = tmp_path / "s3.xlsx"
    assert main(["section3", str(TINY), "--out", str(out)]) == 0
    data = out.read_bytes()
    assert main(["section3", str(TINY), "--out", str(out)]) == 2
    assert "already exists; add --force" in capsys.readouterr().err
    out.write_bytes(b"changed")
    assert main(["section3", str(TINY), "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == data
    for argv in (["export-otm", str(TINY), str(tmp_path / "m.json")],
                 ["export-findings", str(TINY), str(tmp_path / "f.csv")],
                 ["new", str(tmp_path / "n.xlsx"), "--xlsx"],
                 ["convert", str(TINY), str(tmp_path / "c.xlsx")]):
        assert main(argv) == 0
        written = Path(argv[2] if argv[0] != "new" else argv[1]).read_bytes()
        assert main(argv) == 2
        assert main([*argv, "--force"]) == 0
        assert Path(argv[2] if argv[0] != "new" else argv[1]).read_bytes() == written
    assert leftovers(tmp_path) == []


def test_convert_force_into_a_folder_keeps_other_files(tmp_path: Path, capsys):
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "memo.txt").write_text("keep me")
    (dst / "model.yaml").write_bytes((TINY / "model.yaml").read_bytes())  # a model directory: --force applies
    (dst / "zones.csv").write_text("old")
    assert main(["convert", str(TINY), str(dst)]) == 2
    assert (dst / "zones.csv").read_text() == "old"
    assert main(["convert", str(TINY), str(dst), "--force"]) == 0
    assert (dst / "memo.txt").read_text() == "keep me"
    assert (dst / "zones.csv").read_bytes() == (TINY / "zones.csv").read_bytes()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------------------------------
# write failures, signals, leftovers, modes


def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_on_a_file_is_one_line_exit_4(tmp_path: Path, capsys, monkeypatch):
    out = tmp_path / "m.json"
    out.write_text("the earlier export")
    monkeypatch.setattr(F.os, "replace", _enospc)
    assert main(["export-otm", str(TINY), str(out), "--force"]) == 4
    err = capsys.readouterr().err
    assert err == f"pia-analysis: cannot write {out}: No space left on device\n"
    assert out.read_text() == "the earlier export"
    assert leftovers(tmp_path) == []


def test_full_disk_while_writing_a_pack_keeps_the_earlier_pack(tmp_path: Path, capsys, monkeypatch):
    out = tmp_path / "pack"
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    before = tree(tmp_path)
    import pia_analysis.outputs.briefing as report

    def full(_tables, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(report, "write_xlsx", full)
    capsys.readouterr()
    assert main(["report", str(TINY), "--out", str(out)]) == 4
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"pia-analysis: cannot write {out}: No space left on device"
    assert "Traceback" not in err
    assert tree(tmp_path) == before and leftovers(tmp_path) == []


def test_a_failed_swap_puts_the_earlier_pack_back(tmp_path: Path, monkeypatch):
    out = write_pack(tmp_path / "p", lambda d: (d / "a.txt").write_text("old"))
    before = tree(tmp_path)
    real = os.rename
    calls = []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real(src, dst)

    monkeypatch.setattr(F.os, "rename", second_fails)
    with pytest.raises(WriteFailed, match="Input/output error"):
        write_pack(out, lambda d: (d / "a.txt").write_text("new"))
    assert tree(tmp_path) == before and leftovers(tmp_path) == []


def test_debug_keeps_exit_3_and_shows_the_traceback(tmp_path: Path, capsys, monkeypatch):
    import pia_analysis.analysis.exposure as exposure

    def broken(*_a, **_k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(exposure, "node_exposure", broken)
    assert main(["exposure", str(TINY)]) == 3
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--debug", "exposure", str(TINY)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err


def test_exit_codes_are_documented():
    epilog = build_parser().epilog
    assert "4 cannot write" in epilog and "128+N" in epilog
    import pia_analysis.cli as cli

    assert "4 a write failure" in cli.__doc__
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "cannot write" in readme and "Output rules" in readme


def _default_signals() -> None:
    # The child starts with SIGTERM and SIGHUP at their defaults, whatever the test runner inherited: under
    # `nohup make test` SIGHUP is ignored, and the tool rightly keeps an ignored SIGHUP ignored.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _cli(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "pia_analysis.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, preexec_fn=_default_signals, **kw)


def _wait_for_partial(folder: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until the run has made its temporary folder (it is working), so the signal lands mid-write."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if any(".partial-" in p.name for p in folder.iterdir()):
            time.sleep(1.0)
            return
        time.sleep(0.05)
    raise AssertionError("the report never started writing")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_during_report_clean_up(tmp_path: Path, sig):
    out = write_pack(tmp_path / "pack", lambda d: (d / "briefing.md").write_text("# earlier pack\n"))
    before = tree(tmp_path)
    proc = _cli("report", str(bundled_model_path()), "--out", str(out))
    _wait_for_partial(tmp_path, proc)
    proc.send_signal(sig)
    _stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and f"stopped by signal {int(sig)}" in err
    assert tree(tmp_path) == before, "the earlier pack is intact"
    assert leftovers(tmp_path) == []


def test_sigkill_leftovers_are_removed_by_the_next_run(tmp_path: Path, capsys):
    proc = _cli("report", str(TINY), "--out", str(tmp_path / "pack"))
    _wait_for_partial(tmp_path, proc)
    proc.kill()
    proc.wait(timeout=30)
    assert any(".partial-" in p.name for p in tmp_path.iterdir()), "SIGKILL leaves the temporary folder"
    # a live process's temporary folder (here: ours) is not touched
    alive = tmp_path / f".pack.partial-{os.getpid()}-live"
    alive.mkdir()
    dead_old = tmp_path / f".pack.old-{proc.pid}"
    dead_old.mkdir()
    (dead_old / "x").write_text("x")
    assert main(["report", str(TINY), "--out", str(tmp_path / "pack")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "pack"]


@pytest.mark.parametrize("umask,fmode,dmode", [(0o022, 0o644, 0o755), (0o002, 0o664, 0o775)])
def test_modes_follow_the_umask(tmp_path: Path, capsys, umask, fmode, dmode):
    old = os.umask(umask)
    try:
        assert main(["report", str(TINY), "--out", str(tmp_path / "pack")]) == 0
        assert main(["section3", str(TINY), "--out", str(tmp_path / "s3.xlsx")]) == 0
        assert main(["export-otm", str(TINY), str(tmp_path / "m.json")]) == 0
        assert main(["export-findings", str(TINY), str(tmp_path / "f.csv")]) == 0
        assert main(["new", str(tmp_path / "blank")]) == 0
        assert main(["new", str(tmp_path / "blank"), "--xlsx"]) == 0
        assert main(["convert", str(TINY), str(tmp_path / "conv")]) == 0
        assert main(["convert", str(TINY), str(tmp_path / "conv.xlsx")]) == 0
    finally:
        os.umask(old)
    modes = {str(p.relative_to(tmp_path)): (p.stat().st_mode & 0o777, p.is_dir()) for p in tmp_path.rglob("*")}
    assert len(modes) > 30
    wrong = {k: oct(m) for k, (m, is_dir) in modes.items() if m != (dmode if is_dir else fmode)}
    assert wrong == {}


# ---------------------------------------------------------------------------------------------------
# the util functions themselves


def test_check_pack_target_kinds(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert check_pack_target(tmp_path / "new") == "new"
    with pytest.raises(OutputRefused, match="is the home folder"):
        check_pack_target(tmp_path / "home")
    with pytest.raises(OutputRefused, match="is a model directory"):
        check_pack_target(TINY)
    with pytest.raises(OutputRefused, match="lies inside the model directory"):
        check_pack_target(TINY / "sub" / "pack")
    with pytest.raises(OutputRefused, match="holds the input"):
        check_pack_target(tmp_path, inputs=[tmp_path / "x" / "m.xlsx"])
    with pytest.raises(WriteFailed, match="File name too long"):
        check_pack_target(tmp_path / ("y" * 256))


def test_write_file_rules(tmp_path: Path):
    model = tmp_path / "m"
    shutil.copytree(TINY, model)
    for name in ("model.yaml", "zones.csv", "ratings.csv"):
        with pytest.raises(OutputRefused, match="is a file of the model directory"):
            write_file(model / name, "x", force=True)
    (tmp_path / "target").write_text("t")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OutputRefused, match="symbolic link"):
        write_file(tmp_path / "link", "x", force=True)
    with pytest.raises(OutputRefused, match="is the input"):
        check_file_target(tmp_path / "target", force=True, inputs=[tmp_path / "target"])
    assert (tmp_path / "target").read_text() == "t"
    assert write_file(model / "notes.md", "ok").read_text() == "ok"  # beside the model's files is fine


def test_write_new_dir_is_whole_or_nothing(tmp_path: Path):
    def half(d: Path):
        (d / "a").write_text("a")
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        write_new_dir(tmp_path / "n", half)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(OutputRefused, match="holds 1 entry: x"):
        write_new_dir(tmp_path / "full", lambda d: None)


def test_handle_signals_raises_interrupted_and_respects_nohup():
    with pytest.raises(Interrupted) as info, handle_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert info.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with handle_signals():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # nohup is kept
    finally:
        signal.signal(signal.SIGHUP, old)


def test_the_manifest_is_deterministic(tmp_path: Path):
    def build(d: Path):
        (d / "b").mkdir()
        (d / "b" / "z.txt").write_text("z")
        (d / "a.txt").write_text("a")

    one = write_pack(tmp_path / "one", build)
    two = write_pack(tmp_path / "two", build)
    assert (one / MANIFEST).read_bytes() == (two / MANIFEST).read_bytes()
    doc = json.loads((one / MANIFEST).read_text())
    assert list(doc["files"]) == ["a.txt", "b/z.txt"]
    assert doc["files"]["a.txt"] == hashlib.sha256(b"a").hexdigest()


def test_only_the_one_writer_renames_or_removes():
    """No module but util/files.py creates temporary files, renames or removes trees (doctests aside)."""
    pattern = ("mkstemp", "mkdtemp", "os.replace", "os.rename", ".rename(", "rmtree")
    offenders = []
    for path in sorted((ROOT / "pia_analysis").rglob("*.py")):
        if path.name == "files.py" and path.parent.name == "util":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.strip()
            if code.startswith(">>>") or ".rename(columns" in code:
                continue
            if any(p in code for p in pattern):
                offenders.append(f"{path.name}:{n}: {code}")
    assert offenders == []


def test_an_export_may_sit_beside_the_model_files(tmp_path: Path, capsys):
    model = tmp_path / "m"
    shutil.copytree(TINY, model)
    before = tree(model)
    assert main(["export-otm", str(model), str(model / "otm.json")]) == 0
    assert main(["export-findings", str(model), str(model / "zones.csv"), "--force"]) == 2
    assert "is a file of the model directory" in capsys.readouterr().err
    after = tree(model)
    assert set(after) - set(before) == {"otm.json"} and all(after[k] == v for k, v in before.items())


# ---------------------------------------------------------------------------------------------------
# the user trial's findings (coord/USER_FINDINGS.md): modes, convert --force, model files, Ctrl-C, messages


def test_a_replaced_pack_keeps_its_folder_and_file_modes(tmp_path: Path):
    """A private pack (chmod 700, its files 600) stays private when re-run; new files follow the umask."""
    old = os.umask(0o022)
    try:
        pack = write_pack(tmp_path / "報告_再", lambda d: (d / "briefing.pdf").write_bytes(b"%PDF old"))
        os.chmod(pack, 0o700)
        os.chmod(pack / "briefing.pdf", 0o600)

        def build(d: Path) -> None:
            (d / "briefing.pdf").write_bytes(b"%PDF new")
            (d / "charts").mkdir()
            (d / "charts" / "new.png").write_bytes(b"png")

        write_pack(pack, build)
        assert stat.S_IMODE(pack.stat().st_mode) == 0o700
        assert stat.S_IMODE((pack / "briefing.pdf").stat().st_mode) == 0o600
        assert (pack / "briefing.pdf").read_bytes() == b"%PDF new"
        assert stat.S_IMODE((pack / "charts" / "new.png").stat().st_mode) == 0o644  # new: the umask
        assert stat.S_IMODE((pack / "charts").stat().st_mode) == 0o755
        empty = tmp_path / "empty"
        empty.mkdir(mode=0o700)
        os.chmod(empty, 0o700)
        write_pack(empty, build)
        assert stat.S_IMODE(empty.stat().st_mode) == 0o700
        assert stat.S_IMODE((empty / "briefing.pdf").stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert leftovers(tmp_path) == []


def test_report_rerun_keeps_a_private_pack_private(tmp_path: Path, capsys):
    out = tmp_path / "pack"
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    os.chmod(out, 0o700)
    os.chmod(out / "briefing.pdf", 0o600)
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "briefing.pdf").stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["photos", "pack", "memo"])
def test_convert_force_into_a_folder_that_is_not_a_model_is_refused(tmp_path: Path, capsys, kind: str):
    dst = tmp_path / "写真"
    if kind == "pack":
        write_pack(dst, lambda d: (d / "briefing.md").write_text("# pack\n"))
    else:
        dst.mkdir()
        (dst / ("p1.jpg" if kind == "photos" else "会議メモ.txt")).write_bytes(b"\xff\xd8\xff")
    before = tree(tmp_path)
    for force in ([], ["--force"]):
        assert main(["convert", str(TINY), str(dst), *force]) == 2
        err = capsys.readouterr().err
        assert "not a model directory (no model.yaml)" in err and "DST" in err, err
        assert ("p1.jpg" if kind == "photos" else "briefing.md" if kind == "pack" else "会議メモ.txt") in err
    assert tree(tmp_path) == before
    assert leftovers(tmp_path) == []


def test_convert_force_into_a_model_directory_does_what_the_readme_says(tmp_path: Path, capsys):
    """model.yaml and the tables are rewritten from the source (comments not kept), an optional table the
    source has no rows for is removed, other files are kept — as README and --help say."""
    dst = tmp_path / "試験"
    shutil.copytree(TINY, dst)
    (dst / "model.yaml").write_text("# my comment\n" + (dst / "model.yaml").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    (dst / "README.md").write_text("my notes", encoding="utf-8")
    (dst / "scenarios").mkdir()
    (dst / "scenarios" / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    src = save_workbook(load_model(TINY), tmp_path / "試験.xlsx")
    assert not (TINY / "risks.csv").exists()  # the source has no risks: a header-only risks.csv goes
    (dst / "risks.csv").write_text("risk_id,name_ja\n", encoding="utf-8")
    assert main(["convert", str(src), str(dst)]) == 2
    assert "add --force" in capsys.readouterr().err
    assert main(["convert", str(src), str(dst), "--force"]) == 0
    assert "# my comment" not in (dst / "model.yaml").read_text(encoding="utf-8")
    assert (dst / "README.md").read_text(encoding="utf-8") == "my notes"
    assert (dst / "scenarios" / "s.yaml").read_text(encoding="utf-8") == SCENARIO
    assert not (dst / "risks.csv").exists()
    assert load_model(dst).systems.equals(load_model(TINY).systems)
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "comments and formatting are not kept" in readme and "deletes nothing else" not in readme
    helptext = " ".join(build_parser()._subparsers._group_actions[0].choices["convert"].format_help().split())
    assert "comments and formatting are not kept" in helptext and "neither empty nor a model directory" in helptext


@pytest.mark.parametrize("name", ["README.md", "notes/memo.md", "my.xlsx"])
def test_an_existing_file_inside_a_model_directory_is_never_replaced(tmp_path: Path, capsys, name: str):
    model = tmp_path / "住基モデル"
    shutil.copytree(TINY, model)
    target = model / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(b"the user's notes")
    before = tree(tmp_path)
    assert main(["section3", str(model), "--out", str(target), "--force"]) == 2
    err = capsys.readouterr().err
    assert "never replaced, even with --force" in err and str(target) in err, err
    assert main(["export-otm", str(model), str(target), "--force"]) == 2
    assert tree(tmp_path) == before
    assert main(["section3", str(model), "--out", str(model / "new-s3.md")]) == 0  # a new file beside: fine


@pytest.mark.parametrize("name", ["FLOWS.CSV", "Zones.csv", "Flows.Csv", "RISKS.csv"])
def test_model_file_names_compare_casefolded(tmp_path: Path, capsys, name: str):
    model = tmp_path / "m"
    shutil.copytree(TINY, model)
    before = tree(tmp_path)
    assert main(["export-findings", str(model), str(model / name), "--force"]) == 2
    assert "is a file of the model directory" in capsys.readouterr().err
    assert tree(tmp_path) == before


def test_model_file_names_are_nfc_normalised():
    assert F.is_model_file_name("FLOWS.CSV") and F.is_model_file_name("Model.yaml")
    with pytest.raises(OutputRefused, match="is a file of the model directory"):
        check_file_target(TINY / "MODEL.YAML", force=True)
    # a name typed on macOS (decomposed, NFD) and one typed on Windows (composed, NFC) are the same file
    assert F._name_key("Cafe\u0301.csv") == F._name_key("CAFÉ.csv")
    assert not F.is_model_file_name("flows.csv.bak")


def _entry(*args: str) -> subprocess.Popen:
    """The console script as pyproject.toml declares it (``pia_analysis.entry:run``)."""
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", "import sys; from pia_analysis.entry import run; sys.exit(run())",
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_the_console_script_is_the_light_entry():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'pia-analysis = "pia_analysis.entry:run"' in text
    probe = subprocess.run([sys.executable, "-c", "import sys, pia_analysis.entry; print('pandas' in sys.modules)"],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    assert probe.stdout.strip() == "False", "importing the entry must not load pandas (Ctrl-C there is a traceback)"


@pytest.mark.parametrize("delay", [0.15, 0.25, 0.35, 0.5, 1.0])
def test_ctrl_c_at_any_moment_is_one_line(tmp_path: Path, delay: float):
    out = tmp_path / "pack"
    proc = _entry("report", str(bundled_model_path()), "--out", str(out))
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _stdout, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # finished before the signal: nothing to check
        return
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted", err
    assert leftovers(tmp_path) == []


def test_refusals_name_the_commands_own_option(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    src = save_workbook(load_model(TINY), tmp_path / "t.xlsx")
    for argv, option in ((["scenario", str(TINY), str(scenario), "--report", "."], "--report"),
                         (["convert", str(src), "."], "DST"),
                         (["report", str(TINY), "--out", "."], "--out")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert option in err, err
        assert not (option != "--out" and "--out" in err), err


def test_an_old_pack_without_a_manifest_gets_the_earlier_version_hint(tmp_path: Path, capsys):
    old = tmp_path / "報告_前回"
    (old / "charts").mkdir(parents=True)
    for name in ("briefing.pdf", "briefing.md", "tables.xlsx", "charts/exposure.png"):
        (old / name).write_bytes(b"x")
    before = tree(tmp_path)
    assert main(["report", str(TINY), "--out", str(old)]) == 2
    err = capsys.readouterr().err
    assert "if it is a pack written by an earlier version of pia-analysis, delete it or choose a new folder" in err
    assert "did not write" not in err
    assert tree(tmp_path) == before
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "if it is a pack written by an earlier version of pia-analysis, delete it or choose a new folder" in readme
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "memo.txt").write_text("x")
    assert main(["report", str(TINY), "--out", str(tmp_path / "mine")]) == 2
    assert "did not write: memo.txt" in capsys.readouterr().err  # a user's folder gets no such hint


@pytest.mark.parametrize("where", ["charts", "charts/more", "new"])
def test_an_out_inside_an_earlier_pack_says_so(tmp_path: Path, capsys, where: str):
    pack = write_pack(tmp_path / "報告_再", lambda d: ((d / "charts").mkdir(), (d / "charts" / "a.png").write_bytes(b"x")))
    before = tree(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    before = tree(tmp_path)
    for argv in (["report", str(TINY), "--out", str(pack / where)],
                 ["scenario", str(TINY), str(scenario), "--report", str(pack / where)],
                 ["convert", str(TINY), str(pack / where)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert f"lies inside the earlier pack {pack}/" in err and "choose the pack folder itself" in err, err
    assert tree(tmp_path) == before


def test_convert_onto_a_file_gets_a_hint(tmp_path: Path, capsys):
    memo = tmp_path / "会議メモ.txt"
    memo.write_text("x")
    for force in ([], ["--force"]):
        assert main(["convert", str(TINY), str(memo), *force]) == 2
        err = capsys.readouterr().err
        assert "is not a folder" in err and "ending in .xlsx" in err and "DST" in err, err
    assert memo.read_text() == "x"


@pytest.mark.parametrize("lock,named", [("~$tables.xlsx", "tables.xlsx"), ("~$bles.xlsx", "tables.xlsx"),
                                        ("tables/~$summary.csv", "tables/summary.csv")])
def test_an_excel_lock_in_an_earlier_pack_says_close_it(tmp_path: Path, lock: str, named: str):
    def build(d: Path) -> None:
        (d / "tables").mkdir()
        (d / "tables.xlsx").write_bytes(b"x")
        (d / "tables" / "summary.csv").write_bytes(b"x")

    pack = write_pack(tmp_path / "p", build)
    (pack / lock).write_bytes(b"lock")
    with pytest.raises(OutputRefused, match=re.escape(f"{pack}/{named} is open in Excel: close it and run again")):
        check_pack_target(pack)
    assert (pack / lock).exists()


@pytest.mark.parametrize("cache", [".DS_Store", "Thumbs.db", "charts/.DS_Store", "charts/Thumbs.db"])
def test_os_caches_in_an_earlier_pack_are_part_of_it(tmp_path: Path, capsys, cache: str):
    out = tmp_path / "pack"
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    first = tree(out)
    (out / cache).write_bytes(b"os cache")
    assert check_pack_target(out) == "pack"
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    assert tree(out) == first, "the cache went with the earlier pack"
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert ".DS_Store" in readme and "Thumbs.db" in readme
    # outside a pack, they are the user's folder's like anything else
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "Thumbs.db").write_bytes(b"x")
    assert main(["report", str(TINY), "--out", str(mine)]) == 2


def test_a_mount_point_as_out_says_what_to_do(tmp_path: Path, capsys, monkeypatch):
    # the trial: report --out onto an empty mount point gave only "Device or resource busy" (exit 4)
    out = tmp_path / "mnt"

    def busy(*_a, **_k):
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))

    out.mkdir()
    monkeypatch.setattr(F.os, "replace", busy)  # a pack replaces its folder: a mount point refuses
    monkeypatch.setattr(F.os, "rename", busy)
    code = main(["report", str(TINY), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 4 and "Device or resource busy (the folder is a mount point" in err and "DIR/pack" in err
