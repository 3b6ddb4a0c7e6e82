"""Model files in every format: one place decides, by the path, which reader or writer to use.

A model is a directory of CSV tables with a ``model.yaml`` (:mod:`.directory`) or one ``.xlsx`` workbook
(:mod:`.workbook`); :mod:`.templates` writes new models and converts between the two.
"""

from __future__ import annotations

__all__ = ["bundled_model_path", "load_chain", "load_model", "previous_chain", "previous_metas", "read_meta",
           "row_locations", "row_places", "save_model", "validate"]

import os
from importlib import resources
from pathlib import Path
from typing import Any

from ..model.errors import ModelError, Naming, Problem, unknown_id
from ..model.model import Model, require_model
from ..model.schema import SHARED_TABLES, TABLE_BY_NAME, TABLES, TableRef
from .directory import (
    OTHER_SPREADSHEETS,
    key_line,
    load_directory,
    path_is,
    read_directory_meta,
    read_table,
    save_directory,
    shorten,
    table_files_key,
)
from .workbook import (
    load_workbook,
    other_spreadsheet_problem,
    read_workbook_meta,
    row_numbers,
    save_workbook,
    workbook_naming,
)


def bundled_model_path(name: str = "kitakyushu-juki-r3") -> Path:
    """The directory of a model bundled with the package (the checkout's top-level ``data/`` folder).

    The models are the package data of ``pia_analysis.data``, found through :mod:`importlib.resources`: inside
    the installed package after ``pip install .``, the checkout's ``data/`` after ``pip install -e .``. A
    checkout put on ``sys.path`` without installing has no such package; its ``data/`` beside ``pia_analysis/``
    is used then.

    Parameters
    ----------
    name : str
        The model's folder name: ``kitakyushu-juki-r3`` (default), ``kitakyushu-juki-h28`` or
        ``kitakyushu-juki-h26``.

    Returns
    -------
    pathlib.Path
        A real path on disk: a bundled model's ``previous`` names its sibling folder by a relative path.

    Raises
    ------
    pia_analysis.model.errors.UnknownIdError
        When no bundled model has that name (a ``KeyError`` and a ``ValueError``); the message names the
        bundled models.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path
    >>> bundled_model_path().name
    'kitakyushu-juki-r3'
    >>> (bundled_model_path() / "model.yaml").is_file()
    True
    """
    try:
        # pip installs a wheel unzipped, so the package data is a real directory (no as_file copy, which would
        # vanish on return); an editable install maps the package to the checkout's data/.
        root = Path(str(resources.files("pia_analysis.data")))
    except ModuleNotFoundError:
        root = Path(str(resources.files("pia_analysis"))).parent / "data"
    here = root.resolve() / name
    if not here.is_dir():
        known = [d.name for d in root.resolve().iterdir() if (d / "model.yaml").is_file()]
        raise unknown_id("bundled model", name, known, where="the package")
    return here


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked ``model.yaml`` keys of the model directory ``path`` (no tables are read).

    A workbook's ``model`` sheet is read the same way.

    Parameters
    ----------
    path
        A model directory (or its ``model.yaml``) or workbook.

    Returns
    -------
    dict
        The keys as loaded: ``assessed_on`` a :class:`datetime.date`, counts ``int``, ``previous`` as written.

    Raises
    ------
    ModelError
        With the located problems of ``model.yaml`` (or of the ``model`` sheet).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, read_meta
    >>> read_meta(bundled_model_path())["previous"]
    '../kitakyushu-juki-h28'
    """
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        return read_workbook_meta(path)
    if Path(path).suffix.lower() in OTHER_SPREADSHEETS:  # .xls, .xlsm, .ods …: not read, say how to save it
        problem = other_spreadsheet_problem(path)
        if problem is not None:
            raise ModelError([problem])
    return read_directory_meta(path)


def previous_chain(model: Model) -> list[Path]:
    """The directories of the earlier versions of ``model``, newest first (from ``previous``).

    Each version's ``model.yaml`` is read once.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    list of pathlib.Path
        The resolved path of each earlier version, newest first; empty when ``previous`` is not set.

    Raises
    ------
    ModelError
        When a version's keys have problems, or the chain loops back (possible only for a model built in
        memory: loading checks it).

    Examples
    --------
    >>> from pia_analysis.formats import previous_chain
    >>> from pia_analysis import bundled_model_path, load_model
    >>> [p.name for p in previous_chain(load_model(bundled_model_path()))]
    ['kitakyushu-juki-h28', 'kitakyushu-juki-h26']
    """
    return [path for path, _meta in previous_metas(model)]


def previous_metas(model: Model) -> list[tuple[Path, dict[str, Any]]]:
    """The earlier versions of ``model``, newest first: ``(directory or workbook, its checked keys)``.

    Linear in the length of the chain: each version's keys are read once (:func:`read_meta`).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    list of (pathlib.Path, dict)
        For each earlier version, newest first: its resolved path and its checked keys.

    Raises
    ------
    ModelError
        As :func:`previous_chain`.

    Examples
    --------
    >>> from pia_analysis.formats import previous_metas
    >>> from pia_analysis import bundled_model_path, load_model
    >>> [meta["id"] for _path, meta in previous_metas(load_model(bundled_model_path()))]
    ['kitakyushu-juki-h28', 'kitakyushu-juki-h26']
    """
    out: list[tuple[Path, dict[str, Any]]] = []
    seen = {model.path} if model.path is not None else set()
    current, rel = model.path, model.meta.get("previous")
    while rel is not None and current is not None:
        try:
            current = (current / rel).resolve()
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError([Problem(f"{model.path}/model.yaml", None, "previous",
                                      f"{rel!r} is not a usable path: {exc}",
                                      "give the path of the previous version's directory")]) from None
        if current in seen:
            raise ModelError([_loop_problem(model, current)])
        seen.add(current)
        meta = read_meta(current)
        out.append((current, meta))
        rel = meta.get("previous")
    return out


def _loop_problem(model: Model, target: Path) -> Problem:
    label = model.path / "model.yaml" if model.path is not None and path_is(model.path, "dir") else model.path
    return Problem(str(label), None, "previous", f"the chain of previous versions loops back to {target}",
                   "a model's previous version must be an older, different model")


def load_chain(model: Model | str | os.PathLike[str]) -> list[Model]:
    """A model and its earlier versions (``previous``), loaded, **newest first**.

    Each version is loaded once, with only its own link checked (that ``previous`` names a model); the
    directories seen are kept, so a chain that loops back is a located error on the ``previous`` line of
    the version that closes the loop. A version whose table files are byte for byte those of the version
    loaded just before it shares that version's tables (models are immutable) instead of parsing them
    again, so a long chain of reviews that changed only ``model.yaml`` loads quickly. Time is linear in
    the length of the chain.

    Parameters
    ----------
    model
        A loaded model or the path of a model directory or workbook.

    Raises
    ------
    ModelError
        With the located problems of the first version (newest first) that cannot be loaded, or of the
        loop.

    Returns
    -------
    list of Model
        The model first, then each earlier version.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_chain
    >>> [m.id for m in load_chain(bundled_model_path())]
    ['kitakyushu-juki-r3', 'kitakyushu-juki-h28', 'kitakyushu-juki-h26']
    """
    newest = model if isinstance(model, Model) else load_model(model, check_chain=False)
    chain = [newest]
    seen = {newest.path}
    key = table_files_key(newest.path) if newest.path is not None and path_is(newest.path, "dir") else None
    while (rel := chain[-1].meta.get("previous")) is not None and chain[-1].path is not None:
        here = chain[-1].path
        yaml_path = here / "model.yaml" if path_is(here, "dir") else here
        try:
            target = (here / rel).resolve()
        except (OSError, ValueError, RuntimeError) as exc:  # only for a model built in memory: loading checks it
            raise ModelError([Problem(str(yaml_path), None, "previous",
                                      f"{shorten(str(rel))!r} is not a usable path: {exc}",
                                      "give the path of the previous version")]) from None
        if target in seen:
            line = key_line(yaml_path, "previous") if yaml_path.name == "model.yaml" else None
            raise ModelError([Problem(str(yaml_path), line, "previous",
                                      f"the chain of previous versions loops back to {target}",
                                      "a model's previous version must be an older, different model")])
        seen.add(target)
        if target.suffix.lower() == ".xlsx" and not path_is(target, "dir"):
            chain.append(load_model(target, check_chain=False))
            key = None
            continue
        this_key = table_files_key(target)
        shared = chain[-1] if key is not None and this_key == key else None
        chain.append(load_directory(target, check_chain=False, shared=shared))
        key = this_key
    return chain


def row_locations(model: Model) -> tuple[Naming, dict[str, list[int]]]:
    """Where the rows of a loaded model are, in the words of the reader that loaded it.

    A model loaded from a directory is named as one (``root/flows.csv:3``, ``systems.csv``, ``line 3``), a
    model loaded from a workbook as one (``book.xlsx[flows]:3``, ``the systems sheet``, ``row 3``), a model
    built in memory as a directory named by its id. Each row's number is read from the model's files when
    the table there still holds the same ids in the same order (a CSV line, a sheet row: blank rows and
    multi-line cells counted); otherwise row *i* is numbered *i* + 2, where the savers write it. The rows of a
    city workspace's shared part are numbered in their shared file (:func:`row_places` names the file).

    Parameters
    ----------
    model
        A loaded model (or one built in memory, ``path`` None).

    Returns
    -------
    (Naming, dict of str to list of int)
        The reader's :class:`~pia_analysis.model.errors.Naming`, and for every table of
        :data:`~pia_analysis.model.schema.TABLES` the line or row number of each of its rows, in row order.

    Examples
    --------
    >>> from pia_analysis.formats import row_locations
    >>> from pia_analysis import bundled_model_path, load_model
    >>> naming, rows = row_locations(load_model(bundled_model_path().with_suffix(".xlsx")))
    >>> naming.place("flows").endswith(".xlsx[flows]"), naming.word("systems"), rows["zones"][:2]
    (True, 'the systems sheet', [2, 3])
    """
    require_model(model, "row_locations")
    naming, places = row_places(model)
    return naming, {name: [line for _where, line in locs] for name, locs in places.items()}


def row_places(model: Model) -> tuple[Naming, dict[str, list[tuple[Any, int]]]]:
    """Where each row of a loaded model is: its table (placed by the reader's naming) or its shared file, and line.

    As :func:`row_locations`, with the file of each row: the model's own rows are located in their table, a
    :class:`~pia_analysis.model.schema.TableRef` the returned naming places (``root/systems.csv``); the rows of
    a city workspace's shared part in their shared file (``city/shared/systems.csv``), by its label.

    Parameters
    ----------
    model
        A loaded model (or one built in memory, ``path`` None).

    Returns
    -------
    (Naming, dict of str to list of (TableRef or str, int))
        The reader's naming, and for every table the location of each row, in row order.

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis import load_model
    >>> from pia_analysis.formats import row_places
    >>> naming, places = row_places(load_model(Path("tests/workspaces/good/affairs/zei")))
    >>> [(str(where).endswith("shared/systems.csv"), line) for where, line in places["systems"]]
    [(False, 2), (False, 3), (True, 2)]
    """
    require_model(model, "row_places")
    frames = {t.name: getattr(model, t.name) for t in TABLES}
    places: dict[str, list[tuple[Any, int]]] = {
        name: [(TableRef(name), i + 2) for i in range(len(frame))] for name, frame in frames.items()}
    if model.path is None:
        return Naming.directory(model.id), places
    shared = model.shared_ids
    own_rows = {t.name: [i for i, k in enumerate(frames[t.name][t.key]) if t.name not in SHARED_TABLES
                         or str(k) not in shared] for t in TABLES}
    label_root = str(model.path)
    workbook = model.path.suffix.lower() == ".xlsx" and not path_is(model.path, "dir")
    if workbook:
        found = row_numbers(model.path)
        naming = workbook_naming(label_root)
    else:
        naming = Naming.directory(label_root)
    for table in TABLES:
        frame = frames[table.name]
        ids = [str(frame[table.key].iloc[i]) for i in own_rows[table.name]]
        if workbook:
            file_ids, file_lines = list(found.get(table.name, {})), list(found.get(table.name, {}).values())
        else:
            try:
                raw = read_table(model.path, table, label_root, [])
            except (OSError, ValueError):  # pragma: no cover - the file changed under us: counted as saved
                raw = None
            file_ids, file_lines = ([str(k) for k in raw.frame[table.key]], raw.lines) if raw is not None else (
                None, None)
        if file_ids == ids and file_lines is not None:
            for i, line in zip(own_rows[table.name], file_lines):
                places[table.name][i] = (TableRef(table.name), line)
    if shared:
        _shared_places(model, frames, places)
    return naming, places


def _shared_places(model: Model, frames: dict[str, Any], places: dict[str, list[tuple[Any, int]]]) -> None:
    """Locate the rows of the shared part in their files (the part ``model.yaml``'s ``shared`` names)."""
    from .directory import read_shared_part

    rel = model.meta.get("shared")
    if rel is None or model.path is None:
        return
    base = model.path if path_is(model.path, "dir") else model.path.parent
    label = os.path.normpath(os.path.join(str(base), rel))
    part = read_shared_part(base / rel, label, check=False)
    for name in SHARED_TABLES:
        raw = part.tables.get(name)
        if raw is None:
            continue
        key = TABLE_BY_NAME[name].key
        at = {str(k): (where, line) for k, where, line in zip(raw.frame[key], raw.labels or [], raw.lines)}
        for i, k in enumerate(frames[name][key]):
            if str(k) in model.shared_ids and str(k) in at:
                places[name][i] = at[str(k)]


def validate(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of the model at ``path`` (empty when it is valid).

    Parameters
    ----------
    path
        A model directory (or its ``model.yaml``) or workbook.

    Returns
    -------
    list of Problem
        Located and sorted as :class:`~pia_analysis.model.errors.ModelError` lists them.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, validate
    >>> validate(bundled_model_path())
    []
    """
    try:
        load_model(path)
    except ModelError as exc:
        return exc.problems
    return []


def load_model(path: str | os.PathLike[str], *, check_chain: bool = True) -> Model:
    """Load and validate a model directory or workbook.

    Parameters
    ----------
    path
        The model directory (or its ``model.yaml``).
    check_chain
        Walk the whole chain of earlier versions (``previous``) to check that it ends (the default).
        False checks only that ``previous`` names a model: for callers that walk the chain themselves
        (:func:`load_chain`), so that loading a chain of *n* versions stays linear in *n*.

    Raises
    ------
    ModelError
        With every problem found, each located as ``file:line: column: message``.

    Returns
    -------
    Model
        The checked, typed model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> sorted(model.files["file_id"])
    ['HONNIN_FILE', 'JUKI_FILE', 'SOUFU_FILE']
    """
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        return load_workbook(path, check_chain=check_chain)
    if Path(path).suffix.lower() in OTHER_SPREADSHEETS:  # .xls, .xlsm, .ods …: not read, say how to save it
        problem = other_spreadsheet_problem(path)
        if problem is not None:
            raise ModelError([problem])
    return load_directory(Path(path), check_chain=check_chain)


def _standalone(model: Model) -> Model:
    """An affair of a city workspace as an ordinary model: the rows it was loaded with, no link to the part."""
    if not model.shared_ids and "shared" not in model.meta and "shared_systems" not in model.meta:
        return model
    from ..model.cells import empty_table

    meta = {k: v for k, v in model.meta.items() if k not in ("shared", "shared_systems")}
    return model.replace(meta=meta, holdings=empty_table(TABLE_BY_NAME["holdings"]), shared_ids=frozenset())


def save_model(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as a model directory at ``path`` (created if needed); returns the directory.

    A path ending in ``.xlsx`` writes a workbook instead. ``previous`` is rewritten relative to the new
    location so that the chain still resolves. Each file is written whole or not at all. An affair of a city
    workspace is written standalone, as it was loaded: the shared rows it uses in its own tables (its
    ``holdings.csv`` files already in their systems' ``holds``), without ``shared`` and ``shared_systems``, so
    that it loads back the same wherever it is written (docs/city.md).

    Parameters
    ----------
    model
        The model to write.
    path
        The directory (or ``.xlsx`` workbook) to write.

    Returns
    -------
    pathlib.Path
        The directory or workbook written.

    Raises
    ------
    OutputRefused
        When a file there may not be replaced (a symlink, a folder).
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pia_analysis import save_model
    >>> import tempfile
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> out = save_model(m, tempfile.mkdtemp())
    >>> load_model(out).systems.equals(m.systems)
    True
    """
    require_model(model, "save_model")
    model = _standalone(model)
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        return save_workbook(model, path)
    return save_directory(model, path)
