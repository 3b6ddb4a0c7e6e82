"""util/side_by_side (issue 17): two pieces of a pack written at once, in a forked child and here.

Both pieces' files are written; a failure in either is raised here as without a fork (the child's by
running its piece again here); no child is left behind; PIA_ANALYSIS_SERIAL runs them one after the other.
"""

from __future__ import annotations

import os
import subprocess
import sys


from pia_analysis.util import side_by_side as sbs


# The fork is taken only in a process running no other thread (util/side_by_side.can_fork); a test session has
# run Dask clusters and process pools by now, whose threads and children linger. Each scenario therefore runs in a
# fresh interpreter, where "no child left" and "the fork was taken" mean what they say.
SCENARIO = """
import os, sys
from pathlib import Path
from pia_analysis.util import side_by_side as sbs

folder = Path(sys.argv[1])
fork = sbs.can_fork()
assert fork == (len(os.sched_getaffinity(0)) >= 2), fork  # a fresh interpreter: no other thread

def no_child_left():
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False

def there_fails():
    (folder / "calls.txt").open("a").write(f"{os.getpid()}\\n")
    raise ValueError("the chart could not be written")

def here_fails():
    raise KeyError("tables")

case = sys.argv[2]
if case == "both":
    sbs.side_by_side(lambda: (folder / "there.txt").write_text("there"),
                     lambda: (folder / "here.txt").write_text("here"))
elif case == "there-fails":
    try:
        sbs.side_by_side(there_fails, lambda: (folder / "here.txt").write_text("here"))
    except ValueError as exc:
        assert "could not be written" in str(exc)
    else:
        raise AssertionError("no error")
    # run again here: the last call is this process's (the child's, if any, came first)
    assert (folder / "calls.txt").read_text().split()[-1] == str(os.getpid())
elif case == "here-fails":
    try:
        sbs.side_by_side(lambda: (folder / "there.txt").write_text("there"), here_fails)
    except KeyError:
        pass
    else:
        raise AssertionError("no error")
assert no_child_left()
print("fork" if fork else "serial")
"""


def _scenario(tmp_path, case: str) -> str:
    done = subprocess.run([sys.executable, "-c", SCENARIO, str(tmp_path), case], capture_output=True, text=True,
                          timeout=120, env={k: v for k, v in os.environ.items() if k != "PIA_ANALYSIS_SERIAL"})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_both_pieces_write_their_files(tmp_path):
    _scenario(tmp_path, "both")
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["here", "there"]


def test_the_childs_error_is_raised_here(tmp_path):
    mode = _scenario(tmp_path, "there-fails")
    calls = (tmp_path / "calls.txt").read_text().split()
    if mode == "fork":  # the child failed while this process wrote its piece; the child's piece ran again here
        assert (tmp_path / "here.txt").read_text() == "here" and len(calls) == 2 and calls[0] != calls[1]
    else:  # one after the other: the first piece's error stops the second
        assert len(calls) == 1


def test_an_error_here_ends_the_child(tmp_path):
    _scenario(tmp_path, "here-fails")  # (no child left behind: asserted in the scenario)


def test_serial_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("PIA_ANALYSIS_SERIAL", "1")
    assert not sbs.can_fork()
    order = []
    sbs.side_by_side(lambda: order.append(("there", os.getpid())), lambda: order.append(("here", os.getpid())))
    assert order == [("there", os.getpid()), ("here", os.getpid())]
