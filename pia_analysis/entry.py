"""The ``pia-analysis`` console script: Ctrl-C at any moment is one line "interrupted", exit 130.

The command line module imports pandas and the model layers, which takes a second or more; a Ctrl-C
during those imports would otherwise print a KeyboardInterrupt traceback before :func:`cli.main` runs.
This module, and the package's ``__init__`` (whose imports are lazy), import nothing heavy, so the
interrupt is caught here from the first moment the script runs.
"""

from __future__ import annotations

__all__ = ["run"]

import sys


def run() -> int:
    """Import the CLI and run it; an interrupt while importing exits 130 with one line.

    Returns
    -------
    int
        The exit status of :func:`pia_analysis.cli.main` (0 success, 1 findings or differences the command
        reports, 2 bad input or a refused output, 4 a failed write, 130 interrupted).

    Examples
    --------
    >>> from pia_analysis.entry import run
    >>> import sys
    >>> from unittest import mock
    >>> from pia_analysis import bundled_model_path
    >>> with mock.patch.object(sys, "argv", ["pia-analysis", "validate", str(bundled_model_path())]):
    ...     status = run()  # doctest: +ELLIPSIS
    OK: kitakyushu-juki-r3 — 北九州市 住民基本台帳に関する事務 全項目評価（令和3年度 再実施）
    ...
    >>> status
    0
    """
    try:
        from .cli import interrupted_exit, main
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("interrupted", file=sys.stderr)
        return 130
    try:
        return main()
    except KeyboardInterrupt:  # between main's own handlers (e.g. while parsing the command line)
        return interrupted_exit(2)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
