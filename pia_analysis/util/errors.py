"""The root of the package's errors, at the lowest layer so that every layer can subclass it.

:class:`PiaError` is defined here rather than in :mod:`pia_analysis.model.errors` because ``util`` sits
below ``model``: the file writer's refusals (:class:`~pia_analysis.util.files.OutputRefused`,
:class:`~pia_analysis.util.files.WriteFailed`) are ``PiaError`` s too. ``model.errors`` re-exports it, and
that is where a reader of a ``Raises`` section finds the whole hierarchy.
"""

from __future__ import annotations

__all__ = ["InvalidArgumentError", "PiaError"]


class PiaError(Exception):
    """Any error the toolkit raises on purpose: catch this to handle them all.

    Examples
    --------
    >>> from pia_analysis.util.errors import PiaError
    >>> from pia_analysis.util.files import OutputRefused
    >>> issubclass(OutputRefused, PiaError)
    True
    """


class InvalidArgumentError(PiaError, ValueError):
    """An argument outside what a function accepts (``k < 1``, a ``lang`` other than ``ja``/``en`` …).

    A :class:`ValueError` too, so that code catching ``ValueError`` keeps working.

    Examples
    --------
    >>> from pia_analysis.util.errors import InvalidArgumentError, PiaError
    >>> issubclass(InvalidArgumentError, PiaError) and issubclass(InvalidArgumentError, ValueError)
    True
    """
