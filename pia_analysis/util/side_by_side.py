"""Two pieces of independent work at once, on two processors: the charts beside the PDF of a briefing pack.

Writing a pack draws every chart three times (PNG, SVG and a PDF page): matplotlib holds the interpreter
lock while it draws, so threads do not help, and a fresh process (``spawn``) spends about a second importing
pandas and matplotlib again, as long as the work it would take over. A **forked** child starts at once with
the figures already in its memory (copy-on-write), so :func:`side_by_side` runs one piece there while this
process runs the other. The files are the same bytes whichever process writes them.

A fork is used only where it is safe and pays: on Linux (macOS and Windows start processes by ``spawn``),
with two processors or more available to this process, and while this process runs no other Python thread
(a forked child gets one thread, and a lock another thread held would stay held in it). Otherwise, or when
``PIA_ANALYSIS_SERIAL`` is set in the environment, the two pieces run here one after the other. When the
child fails, its piece is run again here, so that its error is raised with its own traceback, as without a
fork.
"""

from __future__ import annotations

__all__ = ["can_fork", "side_by_side"]

import os
import signal
import sys
import threading
from collections.abc import Callable


def can_fork() -> bool:
    """Whether :func:`side_by_side` runs its two pieces at once (in a forked child and here).

    Returns
    -------
    bool
        True on Linux with at least two processors available to this process, no other Python thread
        running, and ``PIA_ANALYSIS_SERIAL`` not set.

    Examples
    --------
    >>> from pia_analysis.util.side_by_side import can_fork
    >>> isinstance(can_fork(), bool)
    True
    """
    if os.environ.get("PIA_ANALYSIS_SERIAL") or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    return len(os.sched_getaffinity(0)) >= 2 and threading.active_count() == 1


def side_by_side(there: Callable[[], object], here: Callable[[], object]) -> None:
    """Run ``there`` in a forked child process and ``here`` in this one, at once; return when both are done.

    Both must only write files (the child's return value and changes to memory are lost). Without a fork
    (:func:`can_fork` False) ``there`` runs first, then ``here``, in this process.

    Parameters
    ----------
    there
        The piece for the child: called with no argument.
    here
        The piece for this process: called with no argument.

    Returns
    -------
    None

    Raises
    ------
    BaseException
        Whatever ``here`` raises (the child is stopped first), or what ``there`` raises when the child failed
        and ``there`` is run again here.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from pia_analysis.util.side_by_side import side_by_side
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> side_by_side(lambda: (folder / "a.txt").write_text("a"), lambda: (folder / "b.txt").write_text("b"))
    >>> sorted(p.read_text() for p in folder.iterdir())
    ['a', 'b']
    """
    if not can_fork():
        there()
        here()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: no cleanup of the parent's (atexit, buffers, temporary folders) may run here
        code = 1
        try:
            there()
            code = 0
        except BaseException:  # noqa: BLE001 - reported by the parent, which runs the piece again
            pass
        finally:
            os._exit(code)
    try:
        here()
        _, status = os.waitpid(pid, 0)
    except BaseException:  # (Ctrl-C while waiting too): the child is ended and collected, never left behind
        _stop(pid)
        raise
    if os.waitstatus_to_exitcode(status) != 0:
        there()  # raises the child's error here, with its traceback (or writes what the child could not)


def _stop(pid: int) -> None:
    """End the child ``pid`` and collect it (no zombie left behind)."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # it has ended (and been collected) already
        pass
