"""util/side_by_side (issue 17): two pieces of a pack written at once, in a forked child and here.

Both pieces' files are written; a failure in either is raised here as without a fork (the child's by
running its piece again here); no child is left behind; PIA_ANALYSIS_SERIAL runs them one after the other.
"""

from __future__ import annotations

import os

import pytest

from pia_analysis.util import side_by_side as sbs


def _no_child_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_both_pieces_write_their_files(tmp_path):
    sbs.side_by_side(lambda: (tmp_path / "there.txt").write_text("there"),
                     lambda: (tmp_path / "here.txt").write_text("here"))
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["here", "there"]
    assert _no_child_left()


def test_the_childs_error_is_raised_here(tmp_path):
    calls = []

    def there():
        calls.append(os.getpid())
        raise ValueError("the chart could not be written")

    with pytest.raises(ValueError, match="the chart could not be written"):
        sbs.side_by_side(there, lambda: (tmp_path / "here.txt").write_text("here"))
    assert (tmp_path / "here.txt").read_text() == "here"
    assert calls[-1] == os.getpid()  # run again here (the child's own call is in its memory, not ours)
    assert _no_child_left()


def test_an_error_here_ends_the_child(tmp_path):
    def here():
        raise KeyError("tables")

    with pytest.raises(KeyError):
        sbs.side_by_side(lambda: (tmp_path / "there.txt").write_text("there"), here)
    assert _no_child_left()


def test_serial_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("PIA_ANALYSIS_SERIAL", "1")
    assert not sbs.can_fork()
    order = []
    sbs.side_by_side(lambda: order.append(("there", os.getpid())), lambda: order.append(("here", os.getpid())))
    assert order == [("there", os.getpid()), ("here", os.getpid())]
