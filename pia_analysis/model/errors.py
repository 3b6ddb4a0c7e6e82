"""One error hierarchy: every error the toolkit raises on purpose is a :class:`PiaError`.

* :class:`ModelError` — a model that cannot be loaded, with every located :class:`Problem` found at once;
* :class:`UnknownElementError` — an id or key that names no element (also a :class:`KeyError`);
* :class:`DifferentAssessmentError` — two models compared as versions of one assessment that are not;
* :class:`CatalogError` — a packaged catalogue table that is not as the code expects;
* :class:`InvalidArgumentError` — an argument outside what a function accepts (also a :class:`ValueError`);
* :class:`ModelTypeError` — something other than a loaded :class:`~pia_analysis.Model` given to a function
  that analyses one (also a :class:`TypeError`);
* :class:`~pia_analysis.util.files.OutputRefused` and :class:`~pia_analysis.util.files.WriteFailed` — the
  file writer's refusals.

:class:`PiaError`, :class:`InvalidArgumentError` and :class:`CatalogError` live in the layers below (``util``,
``catalog``) so that those can raise them; they are re-exported here, the one place to read the hierarchy.

A :class:`Problem` found by the checks every reader shares (:mod:`pia_analysis.model.cells`,
:mod:`pia_analysis.model.checks`) is located neutrally: in a table (a :class:`TableRef`), at a data row, in
a column, and its message names other tables as :class:`TableRef` s too. Each reader renders it in its own
words with a :class:`Naming` (:meth:`Naming.located`): the directory reader as ``root/zones.csv:LINE`` and
``zones.csv``, the workbook reader as ``book.xlsx[zones]:ROW`` and ``the zones sheet``.
"""

from __future__ import annotations

__all__ = ["CatalogError", "DifferentAssessmentError", "InvalidArgumentError", "ModelError", "ModelTypeError",
           "Naming", "PiaError", "Problem", "TableRef", "UnknownElementError", "UnknownIdError",
           "sort_problems", "unknown_id"]

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..catalog import CatalogError
from ..util.errors import InvalidArgumentError, PiaError
from .mynumber import redact
from .schema import TABLES, RowRef, TableRef, Text



def _redacted(text: Text) -> Text:
    if isinstance(text, str):
        return redact(text)
    return tuple(part if isinstance(part, (TableRef, RowRef)) else redact(str(part)) for part in text)


def _rendered(text: Text, naming: Naming | None) -> str:
    if isinstance(text, str):
        return text
    if naming is None:
        return "".join(map(str, text))
    return "".join(part if isinstance(part, str) else f"{naming.row} {part.number}" if isinstance(part, RowRef)
                   else naming.place(part.name) if part.place else naming.word(part.name) for part in text)


@dataclass
class Problem:
    """One located problem in a model: ``file:line: column: message (hint)``.

    ``file``, ``message`` and ``hint`` are always text. A check may give ``file`` as a :class:`TableRef`
    (the table the problem is in, for the reader to place) and ``message`` or ``hint`` as text parts that
    name tables as :class:`TableRef` s; until a reader renders it (:meth:`Naming.located`), such a problem
    reads as in a model directory without its folder (``zones.csv``). ``table`` keeps that table.

    Any valid-looking My Number in the file, column, message or hint is masked when the problem is made
    (:func:`~pia_analysis.model.mynumber.redact`): a check that repeats what the user wrote can never print
    one in full, whichever check it is.

    Examples
    --------
    >>> from pia_analysis import Problem
    >>> from pia_analysis.model.errors import Naming, TableRef
    >>> str(Problem("model.yaml", 3, "123456789018", "unknown key", "remove 1234-5678-9018"))
    'model.yaml:3: **** **** **18: unknown key (hint: remove **** **** **18)'
    >>> p = Problem(TableRef("systems"), 2, "zone_id", "'X' is not a known zone_id",
    ...             ("use an id listed in ", TableRef("zones"), ", or add it there"))
    >>> str(p)
    "systems.csv:2: zone_id: 'X' is not a known zone_id (hint: use an id listed in zones.csv, or add it there)"
    >>> str(Naming.directory("city").located([p])[0])
    "city/systems.csv:2: zone_id: 'X' is not a known zone_id (hint: use an id listed in zones.csv, or add it there)"
    """

    file: str
    line: int | None
    column: str
    message: str
    hint: str = ""
    table: str | None = field(default=None, compare=False)
    _parts: tuple[Text, Text] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Keep the neutral parts, render the default text and mask any My Number."""
        if isinstance(self.file, TableRef):
            self.table, self.file = self.file.name, str(self.file)
        self.file = redact(str(self.file))
        self.column = redact(str(self.column))
        message, hint = _redacted(self.message), _redacted(self.hint)
        self._parts = None if isinstance(message, str) and isinstance(hint, str) else (message, hint)
        self.message, self.hint = _rendered(message, None), _rendered(hint, None)

    def __str__(self) -> str:
        """The problem as one line: ``file:line: column: message (hint: …)``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def sort_problems(problems: Iterable[Problem], order: Sequence[str] = (), *,
                  unlisted_by_label: bool = True) -> list[Problem]:
    """Problems in the order a reader lists them: by location label as ``order`` lists them, then by line.

    The one sort of every reader (directory, workbook, in-memory tables, scenarios). A label ``order``
    does not list comes after those it lists: ordered by label when ``unlisted_by_label`` (the workbook's
    parts and odd sheets), else as found (the directory's names). Within a label, by line; problems
    without a line first; otherwise as found (the sort is stable).

    Parameters
    ----------
    problems
        The problems, as found.
    order
        Location labels (``Problem.file``) in the order to list them.
    unlisted_by_label
        Whether problems at labels ``order`` does not list are ordered by label.

    Returns
    -------
    list of Problem
        A new list.

    Examples
    --------
    >>> from pia_analysis import Problem
    >>> from pia_analysis.model.errors import sort_problems
    >>> found = [Problem("b", 3, "", "x"), Problem("a", 2, "", "y"), Problem("b", 1, "", "z")]
    >>> [f"{p.file}:{p.line}" for p in sort_problems(found, ["b"])]
    ['b:1', 'b:3', 'a:2']
    """
    rank = {label: i for i, label in enumerate(order)}
    if unlisted_by_label:
        return sorted(problems, key=lambda p: (rank.get(p.file, len(rank)), p.file, p.line or 0))
    return sorted(problems, key=lambda p: (rank.get(p.file, len(rank)), p.line or 0))


@dataclass(frozen=True)
class Naming:
    """How one reader names the tables of a model: where they are, and in the words of a message.

    ``places`` maps a table name (``"model"`` for the model keys) to its location label, ``words`` to how a
    message names it; ``order`` lists the location labels in the order problems are listed (see
    :func:`sort_problems`); ``row`` is how a message names a row (a :class:`~pia_analysis.model.schema.RowRef`):
    ``line`` of a CSV file, ``row`` of a sheet.

    Examples
    --------
    >>> from pia_analysis.model.errors import Naming
    >>> naming = Naming.directory("city")
    >>> naming.place("zones"), naming.word("zones"), naming.place("model")
    ('city/zones.csv', 'zones.csv', 'city/model.yaml')
    """

    places: Mapping[str, str]
    words: Mapping[str, str]
    order: tuple[str, ...]
    unlisted_by_label: bool = True
    row: str = "line"

    @classmethod
    def directory(cls, root: str, *, unlisted_by_label: bool = True) -> Naming:
        """The names of a model directory at ``root``: ``root/zones.csv``, and ``zones.csv`` in words.

        Parameters
        ----------
        root
            The directory's label in messages.
        unlisted_by_label
            See :func:`sort_problems`.

        Returns
        -------
        Naming
            Problems listed model.yaml first, then the tables in format order.

        Examples
        --------
        >>> from pia_analysis.model.errors import Naming
        >>> Naming.directory("city").order[:2]
        ('city/model.yaml', 'city/zones.csv')
        """
        places = {"model": f"{root}/model.yaml", **{t.name: f"{root}/{t.filename}" for t in TABLES}}
        words = {"model": "model.yaml", **{t.name: t.filename for t in TABLES}}
        return cls(places, words, tuple(places.values()), unlisted_by_label)

    def place(self, table: str) -> str:
        """The location label of ``table``.

        Parameters
        ----------
        table
            A table name, or ``"model"``.

        Returns
        -------
        str
            E.g. ``root/zones.csv``.

        Examples
        --------
        >>> from pia_analysis.model.errors import Naming
        >>> Naming.directory("city").place("flows")
        'city/flows.csv'
        """
        return self.places[table]

    def word(self, table: str) -> str:
        """How a message names ``table``.

        Parameters
        ----------
        table
            A table name, or ``"model"``.

        Returns
        -------
        str
            E.g. ``zones.csv``.

        Examples
        --------
        >>> from pia_analysis.model.errors import Naming
        >>> Naming.directory("city").word("flows")
        'flows.csv'
        """
        return self.words[table]

    def render(self, problem: Problem) -> Problem:
        """``problem`` in this reader's words: its table placed, the tables its text names in words.

        Parameters
        ----------
        problem
            A problem, neutral or already rendered (returned as it is).

        Returns
        -------
        Problem
            A problem whose ``file``, ``message`` and ``hint`` use this naming.

        Examples
        --------
        >>> from pia_analysis import Problem
        >>> from pia_analysis.model.errors import Naming, TableRef
        >>> p = Problem(TableRef("zones"), 3, "", "is odd")
        >>> Naming.directory("city").render(p).file
        'city/zones.csv'
        """
        if problem.table is None and problem._parts is None:
            return problem
        file = self.place(problem.table) if problem.table is not None else problem.file
        message, hint = problem._parts if problem._parts is not None else (problem.message, problem.hint)
        return replace(problem, file=file, message=_rendered(message, self), hint=_rendered(hint, self),
                       table=None)

    def located(self, problems: Iterable[Problem]) -> list[Problem]:
        """Every problem rendered (:meth:`render`) and sorted (:func:`sort_problems` in :attr:`order`).

        Parameters
        ----------
        problems
            The problems a reader found.

        Returns
        -------
        list of Problem
            Rendered, in the order the reader lists them.

        Examples
        --------
        >>> from pia_analysis.model.errors import Naming, TableRef
        >>> from pia_analysis import Problem
        >>> naming = Naming.directory("city")
        >>> found = [Problem(TableRef("flows"), 2, "", "b"), Problem(TableRef("zones"), 5, "", "a")]
        >>> [str(p) for p in naming.located(found)]
        ['city/zones.csv:5: a', 'city/flows.csv:2: b']
        """
        return sort_problems([self.render(p) for p in problems], self.order,
                             unlisted_by_label=self.unlisted_by_label)


class ModelError(PiaError, ValueError):
    """A model that cannot be loaded; ``problems`` lists every located problem found at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the model:\n{lines}")


class ModelTypeError(PiaError, TypeError):
    """Something other than a loaded model (a path, a name, a table) given where a model is needed.

    A :class:`TypeError` too. Raised by :func:`pia_analysis.model.model.require_model`, which every public
    function that takes a model calls first; its message says how to load one.

    Examples
    --------
    >>> from pia_analysis import node_exposure
    >>> from pia_analysis.model.errors import ModelTypeError
    >>> try:
    ...     node_exposure("town")
    ... except ModelTypeError as error:
    ...     print(error)
    node_exposure needs a loaded Model, not str: load it first with pia_analysis.load_model('town')
    """


class UnknownElementError(PiaError, KeyError):
    """A key or id that names no element of the table or catalogue it was looked up in.

    A :class:`KeyError` too, so that code catching ``KeyError`` keeps working.

    Examples
    --------
    >>> from pia_analysis.model.errors import UnknownElementError
    >>> issubclass(UnknownElementError, KeyError)
    True
    """


class UnknownIdError(UnknownElementError, ValueError):
    """An id that names no element of a model, its message naming the nearest known ids.

    An :class:`UnknownElementError` (so a :class:`KeyError`) and a :class:`ValueError`: the analyses
    (``attack_paths``, ``blast_radius``), the explorer and the what-if changes raise it for an id the model
    does not have, and code that caught either of the older types keeps working.

    Examples
    --------
    >>> from pia_analysis.model.errors import UnknownIdError
    >>> issubclass(UnknownIdError, KeyError) and issubclass(UnknownIdError, ValueError)
    True
    """

    def __str__(self) -> str:
        """The message itself (a KeyError would show it quoted)."""
        return str(self.args[0]) if self.args else ""


def unknown_id(kind: str, key: Any, known: Iterable[str], where: str = "the model") -> UnknownIdError:
    """An :class:`UnknownIdError` naming an unknown id and the nearest known ones.

    Parameters
    ----------
    kind : str
        What the id should have named (``"system"``, ``"flow"``, ``"control"`` …).
    key : object
        The id that was given.
    known : iterable of str
        The ids that exist.
    where : str, default "the model"
        Where they were looked up, for the message.

    Returns
    -------
    UnknownIdError
        The error, to be raised by the caller; its message lists up to 12 known ids and the close matches.

    Examples
    --------
    >>> from pia_analysis.model.errors import unknown_id
    >>> str(unknown_id("system", "REG2", ["REG", "CS", "ATENA"]))
    "'REG2' is not a system of the model; did you mean REG? (known: ATENA, CS, REG)"
    """
    known = sorted(str(k) for k in known)
    near = difflib.get_close_matches(str(key), known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    listing = ", ".join(known[:12]) + (f", … ({len(known)} in all)" if len(known) > 12 else "")
    return UnknownIdError(f"{key!r} is not a {kind} of {where}{hint} (known: {listing or 'none'})")


class DifferentAssessmentError(PiaError, ValueError):
    """Two models compared as versions of one assessment whose organisation or affairs differ.

    Raised by :func:`check_same_assessment` (so by ``diff`` and ``compare``): the important changes and
    the verdict "the assessment must be re-run" only mean something between versions of one assessment.

    Examples
    --------
    >>> from pia_analysis.model.errors import DifferentAssessmentError
    >>> issubclass(DifferentAssessmentError, ValueError)
    True
    """
