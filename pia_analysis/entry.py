"""The ``pia-analysis`` console script: Ctrl-C at any moment is one line "interrupted", exit 130.

The command line module imports pandas and the model layers, which takes a second or more; a Ctrl-C
during those imports would otherwise print a KeyboardInterrupt traceback before :func:`cli.main` runs.
This module, and the package's ``__init__`` (whose imports are lazy), import nothing heavy, so the
interrupt is caught here from the first moment the script runs.
"""

from __future__ import annotations

import sys


def run() -> int:
    """Import the CLI and run it; an interrupt while importing exits 130 with one line."""
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
