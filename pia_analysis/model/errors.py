"""One error hierarchy: every error the toolkit raises on purpose is a :class:`PiaError`.

* :class:`ModelError` — a model that cannot be loaded, with every located :class:`Problem` found at once;
* :class:`UnknownElementError` — an id or key that names no element (also a :class:`KeyError`);
* :class:`CatalogError` — a packaged catalogue table that is not as the code expects;
* :class:`~pia_analysis.util.files.OutputRefused` and :class:`~pia_analysis.util.files.WriteFailed` — the
  file writer's refusals.

:class:`PiaError` and :class:`CatalogError` live in the layers below (``util``, ``catalog``) so that those
can raise them; they are re-exported here, the one place to read the hierarchy.
"""

from __future__ import annotations

__all__ = ["CatalogError", "ModelError", "PiaError", "Problem", "UnknownElementError"]

from dataclasses import dataclass, field

from ..catalog import CatalogError
from ..util.errors import PiaError
from .mynumber import redact


@dataclass
class Problem:
    """One located problem in a model: ``file:line: column: message (hint)``.

    Any valid-looking My Number in the file, column, message or hint is masked when the problem is made
    (:func:`~pia_analysis.model.mynumber.redact`): a check that repeats what the user wrote can never print
    one in full, whichever check it is.

    Examples
    --------
    >>> str(Problem("model.yaml", 3, "123456789018", "unknown key", "remove 1234-5678-9018"))
    'model.yaml:3: **** **** **18: unknown key (hint: remove **** **** **18)'
    """

    file: str
    line: int | None
    column: str
    message: str
    hint: str = ""
    sort_key: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        self.file = redact(str(self.file))
        self.column = redact(str(self.column))
        self.message = redact(str(self.message))
        self.hint = redact(str(self.hint))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ModelError(PiaError, ValueError):
    """A model that cannot be loaded; ``problems`` lists every located problem found at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the model:\n{lines}")


class UnknownElementError(PiaError, KeyError):
    """A key or id that names no element of the table or catalogue it was looked up in.

    A :class:`KeyError` too, so that code catching ``KeyError`` keeps working.

    Examples
    --------
    >>> issubclass(UnknownElementError, KeyError)
    True
    """
