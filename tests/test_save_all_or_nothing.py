"""Saving into an existing model directory changes every file or none (found by issue 18's attack trial:
``import-otm --force`` met a symlink, or a full disk, at the third file and left new and old tables mixed)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from pia_analysis import bundled_model_path, load_model, save_model
from pia_analysis.util.files import OutputRefused, WriteFailed


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    return {p.relative_to(folder).as_posix(): (os.readlink(p) if p.is_symlink() else p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_symlink() or p.is_file()}


@pytest.fixture
def other_model():
    model = load_model(Path(__file__).parent / "models" / "tiny")
    return model


def test_a_symlink_among_the_targets_is_refused_before_anything_is_written(tmp_path, other_model):
    target = tmp_path / "m"
    shutil.copytree(bundled_model_path(), target)
    (tmp_path / "precious.csv").write_text("mine\n", encoding="utf-8")
    (target / "zones.csv").unlink()
    (target / "zones.csv").symlink_to(tmp_path / "precious.csv")
    before = _snapshot(target)
    with pytest.raises(OutputRefused, match="symbolic link"):
        save_model(other_model, target)
    assert _snapshot(target) == before
    assert (tmp_path / "precious.csv").read_text(encoding="utf-8") == "mine\n"


def test_a_full_disk_half_way_leaves_the_folder_as_it_was(tmp_path, other_model, monkeypatch):
    target = tmp_path / "m"
    shutil.copytree(bundled_model_path(), target)
    before = _snapshot(target)
    real_fdopen = os.fdopen
    calls = {"n": 0}

    def full_disk(fd, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # the third file's content: the disk is full
            os.close(fd)
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", full_disk)
    with pytest.raises((WriteFailed, OSError)):
        save_model(other_model, target)
    monkeypatch.undo()
    assert _snapshot(target) == before  # no new table, no temporary file left behind


def test_a_save_replaces_the_tables_and_drops_the_ones_the_model_no_longer_has(tmp_path, other_model):
    target = tmp_path / "m"
    shutil.copytree(bundled_model_path(), target)
    (target / "notes.txt").write_text("the analyst's own notes\n", encoding="utf-8")
    save_model(other_model, target)
    again = load_model(target)
    assert again.id == other_model.id and len(again.systems) == len(other_model.systems)
    assert not (target / "ratings.csv").exists() or len(again.ratings) == len(other_model.ratings)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "the analyst's own notes\n"  # not a model file
    assert not [p.name for p in target.iterdir() if p.name.startswith(".")]  # no temporary file left
