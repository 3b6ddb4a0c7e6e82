"""The one writer of pia-analysis: every file and folder the tool writes goes through this module.

Rules it enforces (README, "Output rules"):

* **Packs** (``report --out``, ``scenario --report``): :func:`write_pack` builds the whole folder in a
  temporary ``.NAME.partial-PID-…`` folder beside it, adds ``manifest.json`` (tool, version, every file's
  sha256) and only then swaps it into place. The target must be missing, empty or an earlier pack whose
  files are all listed in its manifest and unchanged; anything else is refused (:class:`OutputRefused`)
  before any work (:func:`check_pack_target`). A model directory, a folder inside or around one, the input
  workbook, an existing file, a symlink, ``.``, ``""``, ``/`` and the home folder are refused too.
* **Files** (:func:`write_file`): written through a temporary file in the same folder and ``os.replace``;
  an existing file is replaced only with ``force``; a symlink, a folder, the input and a model directory's
  own files (``model.yaml``, its tables) are never written.
* **New folders** (:func:`write_new_dir`: ``new``, ``convert`` to a new directory): missing or empty only.
* Modes follow the user's umask (0644/0755 under umask 022), not ``mkstemp``'s private 0600/0700.
* SIGTERM and SIGHUP raise :class:`Interrupted` (a ``KeyboardInterrupt``) while a write is under way, so
  temporary files are removed and an earlier pack stays intact; leftovers of a killed run are removed by
  the next run into the same place once the process that made them is gone.
* Operating-system failures (read-only folder, full disk, over-long name) become :class:`WriteFailed`,
  "cannot write PATH: reason".
"""

from __future__ import annotations

__all__ = ["MANIFEST", "Interrupted", "OutputRefused", "WriteFailed", "check_file_target", "check_pack_target",
           "handle_signals", "remove_scratch_dir", "scratch_dir", "write_file", "write_model_files", "write_new_dir",
           "write_pack"]

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import PiaError
from .version import __version__

TOOL = "pia-analysis"
MANIFEST = "manifest.json"
_SHOWN = 8  # entries named in a refusal; the rest are counted


class OutputRefused(PiaError):
    """The output path would replace or delete something the tool did not write (CLI exit 2)."""


class WriteFailed(PiaError):
    """The operating system refused a write: read-only folder, full disk, over-long name … (CLI exit 4)."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"cannot write {self.path}: {reason}")


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP received during a write; handled like Ctrl-C (exit ``128 + signum``)."""

    def __init__(self, signum: int):
        super().__init__(f"signal {signum}")
        self.signum = signum


# ---------------------------------------------------------------------------------------------------
# signals, modes, failures


def _raise_interrupted(signum, _frame):
    raise Interrupted(signum)


_raise_interrupted._pia_interrupt = True  # type: ignore[attr-defined]


@contextmanager
def handle_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only).

    A handler someone else installed, or an ignored signal (``nohup``), is left alone.

    Yields
    ------
    None
        Inside, SIGTERM and SIGHUP raise :class:`Interrupted`, a :class:`KeyboardInterrupt`.

    Examples
    --------
    >>> from pia_analysis.util.files import handle_signals
    >>> with handle_signals():
    ...     pass
    """
    saved = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None:
                continue
            current = signal.getsignal(sig)
            if current is signal.SIG_DFL or getattr(current, "_pia_interrupt", False):
                saved[sig] = signal.signal(sig, _raise_interrupted)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP for the two renames that swap a pack, so it is never half-swapped."""
    sigs = {s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None}
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode of a new file under the current umask (0644 under 022)."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """The mode of a new folder under the current umask (0755 under 022)."""
    return 0o777 & ~_umask()


@contextmanager
def _failures(target: Path, work: Path | None = None) -> Iterator[None]:
    """Turn an operating-system error into :class:`WriteFailed` naming the user's path, not a temporary one."""
    try:
        yield
    except OSError as exc:
        name = exc.filename
        if name is None or (work is not None and _within(Path(name), work)) or Path(str(name)).name.startswith(
                f".{_tag(target.name)}."):
            name = target
        reason = exc.strerror or (errno.errorcode.get(exc.errno or 0) if exc.errno else None) or str(exc)
        if exc.errno in _WHAT_TO_DO:  # the OS's words alone do not say what to do about these
            reason += f" ({_WHAT_TO_DO[exc.errno]})"
        raise WriteFailed(name, reason) from None


# What to do when the OS refuses a write for a reason its message leaves obscure. A pack replaces its folder
# (renames it), which a mount point refuses with EBUSY even when it could be written to.
_WHAT_TO_DO = {
    errno.EBUSY: "the folder is a mount point or in use, so it cannot be replaced: give --out a new folder "
                 "inside it, e.g. DIR/pack",
    errno.EROFS: "the disk is mounted read-only: write to a folder on another disk",
}


def _within(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


def _tag(name: str) -> str:
    """The name as it appears in temporary names; cut so that ``.NAME.partial-PID-XXXXXXXX.tmp`` fits 255 bytes."""
    if len(name.encode("utf-8")) <= 150:
        return name
    return name[:40] + "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def _stale_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\." + re.escape(_tag(name)) + r"\.(?:partial|old)-(\d+)(?:-[^/]*)?")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's live process
        return True
    return True


def _remove_stale(folder: Path, name: str) -> None:
    """Remove ``.NAME.partial-PID-*`` / ``.NAME.old-PID`` left by a killed run whose process is gone."""
    pattern = _stale_pattern(name)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if not m or _alive(int(m.group(1))):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _make_dirs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)  # new folders get 0777 less the umask


def _set_modes(root: Path) -> None:
    """``mkdtemp``/``mkstemp`` make private entries; give everything the umask's modes."""
    fmode, dmode = file_mode(), dir_mode()
    os.chmod(root, dmode)
    for here, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(here, d), dmode)
        for f in files:
            p = os.path.join(here, f)
            if not os.path.islink(p):
                os.chmod(p, fmode)


# ---------------------------------------------------------------------------------------------------
# what a path is


def _shown(path: str | os.PathLike[str]) -> str:
    return str(path)


def _names(entries: list[str]) -> str:
    head = ", ".join(entries[:_SHOWN])
    return head + (f", … ({len(entries) - _SHOWN} more)" if len(entries) > _SHOWN else "")


def _entries(folder: Path) -> list[str]:
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        out.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return out


# The files of a model directory, never overwritten. The model format (model.schema.TABLES) is a layer
# above this one, so the names are restated here and tests/test_layers.py checks that they agree.
MODEL_FILE_NAMES = frozenset({"model.yaml", "controls.csv", "files.csv", "flows.csv", "ratings.csv", "risks.csv",
                              "sub_measures.csv", "systems.csv", "zones.csv", "file_details.csv", "outsourcing.csv",
                              "recipients.csv", "form_answers.csv", "holdings.csv", "control_status.csv",
                              "triage.csv"})

# Caches the operating system writes into any folder it shows (Finder, Explorer) and regenerates at will:
# inside an earlier pack they count as part of it and go with it when it is replaced.
OS_CACHE_NAMES = frozenset({".ds_store", "thumbs.db"})
# Entries by which a folder without manifest.json is recognised as a pack of a version before manifests.
_LEGACY_PACK_ENTRIES = frozenset({"briefing.pdf", "briefing.md", "tables.xlsx", "charts/", "tables/"})


def _name_key(name: str) -> str:
    """A file name as a case-insensitive, normalising file server (a Windows share, macOS) compares it."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def is_model_file_name(name: str) -> bool:
    """Whether ``name`` is, on a case-insensitive server, one of a model directory's own files.

    >>> is_model_file_name("FLOWS.CSV"), is_model_file_name("Model.YAML"), is_model_file_name("notes.csv")
    (True, True, False)
    """
    return _name_key(name) in MODEL_FILE_NAMES


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(os.path.abspath(path)))


def _choose(option: str | None) -> str:
    """The advice closing a folder refusal, naming the command's own option (``--out``, ``--report``, DST)."""
    return "choose an empty or new folder" + (f" for {option}" if option else "")


def _common_refusals(path: Path, shown: str, option: str | None = None) -> None:
    """Paths no command ever writes: ``""``, ``.``, ``/``, the home folder, a symlink."""
    if shown.strip() == "":
        raise OutputRefused("an empty output path; name a new folder or file" + (f" as {option}" if option else ""))
    resolved = _resolved(path)
    if resolved == Path(resolved.anchor):
        raise OutputRefused(f"{shown} is the root folder; {_choose(option)}")
    if resolved == Path(os.getcwd()).resolve():
        example = f"{shown.rstrip('/')}/out" if shown not in (".", "./") else "briefing"
        if option and option.startswith("-"):
            example = f"{option} {example}"
        raise OutputRefused(f"{shown} is the current folder; {_choose(option)}, e.g. {example}")
    home = os.path.expanduser("~")
    if home not in ("~", "/") and resolved == _resolved(Path(home)):
        raise OutputRefused(f"{shown} is the home folder; {_choose(option)}")
    if path.is_symlink():
        raise OutputRefused(f"{shown} is a symbolic link; choose a new name (the tool does not write through links)")


def _input_refusals(resolved: Path, shown: str, inputs: Iterable[str | os.PathLike[str]]) -> None:
    """The output is, or holds, one of the inputs (a folder inside a model is refused by the model.yaml rule).

    An input path that cannot even be looked at (over-long, …) is left to the loader, which names it.
    """
    for item in inputs:
        if item is None or str(item) == "":
            continue
        try:
            ip = _resolved(Path(item))
        except (OSError, ValueError):
            continue
        if ip == resolved:
            raise OutputRefused(f"{shown} is the input {item}; choose a new name")
        if resolved in ip.parents:
            raise OutputRefused(f"{shown} holds the input {item}; choose an empty or new folder")


def _model_dir_of(resolved: Path) -> Path | None:
    """The model directory (a folder with ``model.yaml``) that ``resolved`` is or lies inside, if any."""
    for folder in (resolved, *resolved.parents):
        if (folder / "model.yaml").is_file():
            return folder
    return None


def _is_pack(folder: Path) -> bool:
    """Whether ``folder`` holds a ``manifest.json`` written by pia-analysis."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("tool") == TOOL and isinstance(doc.get("files"), dict)


def _pack_around(resolved: Path) -> Path | None:
    """The earlier pack that ``resolved`` lies inside (not the pack itself), if any."""
    for folder in resolved.parents:
        if _is_pack(folder):
            return folder
    return None


def _excel_locks(foreign: list[str], listed: Iterable[str]) -> list[str]:
    """The files that Excel lock files (``~$NAME``) among ``foreign`` say are open.

    Excel names its lock ``~$`` + the name, or for longer names ``~$`` + the name less its first two
    characters (``~$bles.xlsx`` for ``tables.xlsx``).
    """
    out = []
    for rel in foreign:
        folder, _, name = rel.rpartition("/")
        if not name.startswith("~$"):
            continue
        rest = name[2:]
        prefix = folder + "/" if folder else ""
        siblings = [k for k in listed if k.rpartition("/")[0] == folder]
        exact = [k for k in siblings if k == prefix + rest]
        cut = [k for k in siblings
               if k.rpartition("/")[2].endswith(rest) and len(k.rpartition("/")[2]) == len(rest) + 2]
        out.append((exact or cut or [prefix + rest])[0])
    return out


def _pack_problems(out: Path) -> tuple[list[str], list[str], dict | None]:
    """What keeps a non-empty folder from taking a pack.

    (entries pia-analysis did not write, pack files changed since it wrote them, the manifest's files or
    None when there is no manifest) for a non-empty folder.
    """
    try:
        doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        listed = doc["files"] if isinstance(doc, dict) and doc.get("tool") == TOOL else None
        if not isinstance(listed, dict):
            listed = None
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if listed is None:
        return _entries(out), [], None

    dirs = {"/".join(k.split("/")[:i]) for k in listed for i in range(1, k.count("/") + 1)}
    foreign, edited = [], []
    for here, subdirs, files in os.walk(out):
        rel_here = os.path.relpath(here, out).replace(os.sep, "/")
        prefix = "" if rel_here == "." else rel_here + "/"
        keep = []
        for d in sorted(subdirs):
            rel = prefix + d
            if os.path.islink(os.path.join(here, d)) or rel not in dirs:
                foreign.append(rel + "/")
            else:
                keep.append(d)
        subdirs[:] = keep
        for f in sorted(files):
            rel = prefix + f
            p = os.path.join(here, f)
            if rel == MANIFEST and not prefix:
                continue
            if _name_key(f) in OS_CACHE_NAMES and rel not in listed and not os.path.islink(p):
                continue  # regenerated by the OS: part of the earlier pack, replaced with it
            if rel not in listed or os.path.islink(p) or not os.path.isfile(p):
                foreign.append(rel)
            elif _sha256(Path(p)) != listed[rel]:
                edited.append(rel)
    return sorted(foreign), sorted(edited), listed


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _nearest_existing(path: Path) -> Path:
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            return folder
    return Path(path.anchor or ".")


def _check_parent(path: Path, shown: str) -> None:
    """The nearest existing ancestor must be a folder: refuse ``file.txt/out`` before any work (exit 4)."""
    absolute = Path(os.path.abspath(path))
    existing = _nearest_existing(absolute.parent)
    if not existing.is_dir():
        raise WriteFailed(shown, f"{existing} is not a folder")
    for part in absolute.parts:
        if len(os.fsencode(part)) > 255:
            raise WriteFailed(shown, os.strerror(errno.ENAMETOOLONG))


# ---------------------------------------------------------------------------------------------------
# checks (called by the CLI before any work, and again just before writing)


def check_pack_target(out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                      option: str | None = None) -> str:
    """Check that a pack may be written at ``out``; returns ``"new"``, ``"empty"`` or ``"pack"``.

    Raises :class:`OutputRefused` naming what is there when ``out`` holds anything the tool did not write
    (an earlier pack counts only while every entry is listed, unchanged, in its ``manifest.json``), is or
    lies inside or around a model directory or one of ``inputs``, lies inside an earlier pack, is a file, a
    symlink, ``.``, ``""``, ``/`` or the home folder. :class:`WriteFailed` when it cannot be written at all
    (under a file, over-long name). ``option`` (``--out``, ``--report``) is named in the advice.

    Parameters
    ----------
    out
        The pack folder.
    inputs
        The files and folders the command reads: never written over.
    option
        The command-line option that named ``out``, for the advice.

    Returns
    -------
    str
        ``"new"`` (nothing there), ``"empty"`` (an empty folder) or ``"pack"`` (an earlier, unchanged pack).

    Raises
    ------
    OutputRefused
        When ``out`` is refused (see above).
    WriteFailed
        When it cannot be written at all.

    Examples
    --------
    >>> from pia_analysis.util.files import check_pack_target
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_pack_target(d / "pack")
    'new'
    >>> (d / "memo.txt").write_text("mine")
    4
    >>> check_pack_target(d)
    Traceback (most recent call last):
    ...
    pia_analysis.util.files.OutputRefused: ... holds 1 entry that pia-analysis did not write: memo.txt; ...
    """
    shown = _shown(out)
    path = Path(out)
    try:
        _common_refusals(path, shown, option)
        resolved = _resolved(path)
        model_dir = _model_dir_of(resolved)
        if model_dir == resolved:
            raise OutputRefused(f"{shown} is a model directory; {_choose(option)}")
        if model_dir is not None:
            raise OutputRefused(f"{shown} lies inside the model directory {model_dir}; "
                                f"choose a folder outside it{f' for {option}' if option else ''}")
        _input_refusals(resolved, shown, inputs)
        _inside_pack_refusal(resolved, shown, option)
        if not os.path.lexists(path):
            _check_parent(path, shown)
            return "new"
        if not path.is_dir():
            raise OutputRefused(f"{shown} is an existing file, not a folder; {_choose(option)} "
                                "(the file is left as it is)")
        models = sorted(e.name + "/" for e in os.scandir(path)
                        if e.is_dir(follow_symlinks=False) and os.path.isfile(os.path.join(e.path, "model.yaml")))
        if models:
            raise OutputRefused(f"{shown} holds the model directory {_names(models)}; {_choose(option)}")
        if not any(os.scandir(path)):
            return "empty"
        foreign, edited, listed = _pack_problems(path)
    except OSError as exc:
        raise WriteFailed(shown, exc.strerror or str(exc)) from None
    folder = shown.rstrip("/") + "/"
    locks = _excel_locks(foreign, listed or ())
    if locks:
        raise OutputRefused(f"{folder}{locks[0]} is open in Excel: close it and run again")
    if foreign and listed is None and _LEGACY_PACK_ENTRIES & set(foreign):
        n = len(foreign)
        raise OutputRefused(f"{folder} holds {n} {'entry' if n == 1 else 'entries'} and no {MANIFEST}: "
                            f"{_names(foreign)}; if it is a pack written by an earlier version of pia-analysis, "
                            f"delete it or choose a new folder{f' for {option}' if option else ''}")
    if foreign:
        n = len(foreign)
        raise OutputRefused(f"{folder} holds {n} {'entry' if n == 1 else 'entries'} that pia-analysis did not "
                            f"write: {_names(foreign)}; {_choose(option)}")
    if edited:
        raise OutputRefused(f"{folder} is an earlier pack, but {_names(edited)} changed since pia-analysis wrote "
                            f"it; move your copy out of it or {_choose(option)}")
    return "pack"


def _within_refusals(resolved: Path, shown: str, within: Iterable[tuple[str | os.PathLike[str], str]]) -> None:
    """The output lies inside one of the folders ``within`` (a workspace: every file there is an input)."""
    for folder, what in within:
        try:
            fp = _resolved(Path(folder))
        except (OSError, ValueError):
            continue
        if fp == resolved or fp in resolved.parents:
            raise OutputRefused(f"{shown} lies inside {what} {folder}, whose files are the command's input; "
                                "choose a file outside it")


def _inside_pack_refusal(resolved: Path, shown: str, option: str | None) -> None:
    pack = _pack_around(resolved)
    if pack is not None:
        raise OutputRefused(f"{shown} lies inside the earlier pack {pack}/, which the next run replaces whole; "
                            f"choose the pack folder itself or a new folder{f' for {option}' if option else ''}")


def check_file_target(path: str | os.PathLike[str], *, force: bool = False,
                      inputs: Iterable[str | os.PathLike[str]] = (),
                      within: Iterable[tuple[str | os.PathLike[str], str]] = ()) -> None:
    """Check that a file may be written at ``path`` (raises :class:`OutputRefused` or :class:`WriteFailed`).

    Refused: ``""``, a folder, a symlink, one of ``inputs``, a file inside one of the folders ``within``,
    ``model.yaml`` or a table of a model directory (even with ``force``), and an existing file unless ``force``.

    Parameters
    ----------
    path
        The file to write.
    force
        Whether an existing file may be replaced.
    inputs
        The files and folders the command reads: never written over.
    within
        ``(folder, what)`` pairs: folders no file is written inside, even a new one (a city workspace and the
        folders it names, all inputs); ``what`` names the folder in the refusal (``"the city workspace"``).

    Raises
    ------
    OutputRefused
        When the target is refused (see above).
    WriteFailed
        When it cannot be written at all (under a file, an over-long name).

    Examples
    --------
    >>> from pia_analysis.util.files import check_file_target
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_file_target(d / "new.csv")
    >>> check_file_target(d)
    Traceback (most recent call last):
    ...
    pia_analysis.util.files.OutputRefused: ... is a folder; give a file name
    """
    shown = _shown(path)
    p = Path(path)
    try:
        if shown.strip() == "":
            raise OutputRefused("an empty output path; name a new file")
        if p.is_symlink():
            raise OutputRefused(f"{shown} is a symbolic link; choose a new name (the tool does not write through "
                                f"links)")
        if p.is_dir():
            raise OutputRefused(f"{shown} is a folder; give a file name")
        resolved = _resolved(p)
        _within_refusals(resolved, shown, within)  # first: the broadest reason (a workspace is all inputs)
        if (resolved.parent / "model.yaml").is_file() and is_model_file_name(resolved.name):
            raise OutputRefused(f"{shown} is a file of the model directory {resolved.parent}; "
                                "choose a name outside the model's own files")
        # a new file beside the model's own files (an export kept with the model) is fine; an existing one is
        # the user's (their README, notes), never replaced, even with --force
        model_dir = _model_dir_of(resolved.parent)
        if model_dir is not None and os.path.lexists(p):
            raise OutputRefused(f"{shown} already exists inside the model directory {model_dir}; files there are "
                                "never replaced, even with --force: choose a new name")
        _input_refusals(resolved, shown, inputs)
        if os.path.lexists(p):
            if not force:
                raise OutputRefused(f"{shown} already exists; add --force to replace it, or choose a new name")
        else:
            _check_parent(p, shown)
    except OSError as exc:
        raise WriteFailed(shown, exc.strerror or str(exc)) from None


def check_new_dir(out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                  option: str | None = None) -> None:
    """Check that a new folder (a new model) may be made at ``out``: missing or empty only, not inside a pack."""
    shown = _shown(out)
    path = Path(out)
    try:
        _common_refusals(path, shown, option)
        _input_refusals(_resolved(path), shown, inputs)
        _inside_pack_refusal(_resolved(path), shown, option)
        if not os.path.lexists(path):
            _check_parent(path, shown)
            return
        if not path.is_dir():
            raise OutputRefused(f"{shown} is an existing file, not a folder; {_choose(option)} "
                                "(the file is left as it is)")
        entries = _entries(path)
    except OSError as exc:
        raise WriteFailed(shown, exc.strerror or str(exc)) from None
    if entries:
        n = len(entries)
        raise OutputRefused(f"{shown.rstrip('/')}/ holds {n} {'entry' if n == 1 else 'entries'}: {_names(entries)}; "
                            f"{_choose(option)}")


def check_dir_update(out: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = (),
                     option: str | None = None) -> None:
    """Check a model directory before ``convert --force`` replaces its files.

    Check an existing model directory whose model files ``convert --force`` will replace (nothing else is
    touched): refused when it is ``.``, ``/``, the home folder, a symlink, not a folder, one of ``inputs``, or
    a folder that is not empty and not a model directory (no ``model.yaml``: a photo folder, a pack …).
    """
    shown = _shown(out)
    path = Path(out)
    try:
        _common_refusals(path, shown, option)
        _input_refusals(_resolved(path), shown, inputs)
        _inside_pack_refusal(_resolved(path), shown, option)
        if not path.is_dir():
            raise OutputRefused(f"{shown} is an existing file, not a folder; {_choose(option)} "
                                "(or a name ending in .xlsx for a workbook)")
        if not (path / "model.yaml").is_file():
            entries = _entries(path)
            if entries:
                n = len(entries)
                raise OutputRefused(
                    f"{shown.rstrip('/')}/ is not a model directory (no model.yaml) and holds {n} "
                    f"{'entry' if n == 1 else 'entries'}: {_names(entries)}; --force replaces only the files of a "
                    f"model directory: {_choose(option)}")
    except OSError as exc:
        raise WriteFailed(shown, exc.strerror or str(exc)) from None


# ---------------------------------------------------------------------------------------------------
# writers


def _manifest_bytes(root: Path) -> bytes:

    files = {}
    for here, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            p = Path(here) / name
            rel = p.relative_to(root).as_posix()
            if rel != MANIFEST:
                files[rel] = _sha256(p)
    doc = {"tool": TOOL, "version": __version__,
           "note": "written by pia-analysis; the folder is replaced whole by the next run, unless edited",
           "files": dict(sorted(files.items()))}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _swap_in(work: Path, out: Path) -> None:
    """Rename ``work`` to ``out``; an earlier ``out`` is moved aside first and removed last."""
    with _signals_blocked():
        old = None
        if os.path.lexists(out):
            old = out.with_name(f".{_tag(out.name)}.old-{os.getpid()}")
            os.rename(out, old)
        try:
            os.rename(work, out)
        except BaseException:
            if old is not None:
                os.rename(old, out)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _keep_modes(out: Path, work: Path) -> None:
    """Keep the modes of a folder used again and of what was in it.

    A folder used again keeps its mode, and each file or folder that was in it keeps its own (a private
    ``chmod 700`` pack stays private); new entries follow the umask.
    """
    if not out.is_dir() or out.is_symlink():
        return
    os.chmod(work, out.stat().st_mode & 0o7777)
    for here, dirs, names in os.walk(work):
        for name in dirs + names:
            new = Path(here) / name
            old = out / new.relative_to(work)
            try:
                st = old.lstat()
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode) or new.is_symlink() or stat.S_ISDIR(st.st_mode) != new.is_dir():
                continue
            os.chmod(new, st.st_mode & 0o7777)


def _build_dir(out: Path, build: Callable[[Path], object], check: Callable[[], object], manifest: bool) -> Path:
    with handle_signals():
        parent = Path(os.path.abspath(out)).parent
        with _failures(out):
            _make_dirs(parent)
            _remove_stale(parent, out.name)
            work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{_tag(out.name)}.partial-{os.getpid()}-"))
        try:
            with _failures(out, work):
                build(work)
                _set_modes(work)
                if manifest:
                    (work / MANIFEST).write_bytes(_manifest_bytes(work))
                    os.chmod(work / MANIFEST, file_mode())
            check()  # someone may have put a file there while we worked
            with _failures(out, work):
                _keep_modes(out, work)
                _swap_in(work, out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return out


def write_pack(out: str | os.PathLike[str], build: Callable[[Path], object], *,
               inputs: Iterable[str | os.PathLike[str]] = (), option: str | None = None) -> Path:
    """Write a pack folder whole or not at all.

    ``build(folder)`` fills a temporary folder, ``manifest.json`` is added, and the folder replaces ``out``
    (missing, empty or an earlier unchanged pack; see :func:`check_pack_target`).

    On any failure or interruption the temporary folder is removed and an earlier pack is left intact. A
    folder used again keeps its mode, and files that were in the earlier pack keep theirs.

    Parameters
    ----------
    out
        The pack folder.
    build
        Called with the temporary folder to fill.
    inputs
        The files and folders the command reads: never written over.
    option
        The command-line option that named ``out``, for the advice.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    OutputRefused
        When ``out`` is refused (:func:`check_pack_target`).
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pia_analysis.util.files import write_pack
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "pack"
    >>> _ = write_pack(out, lambda d: (d / "a.txt").write_text("x"))
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt', 'manifest.json']
    >>> _ = write_pack(out, lambda d: (d / "b.txt").write_text("y"))  # an earlier pack is replaced
    >>> sorted(p.name for p in out.iterdir())
    ['b.txt', 'manifest.json']
    """
    out = Path(out)
    inputs = list(inputs)
    check_pack_target(out, inputs=inputs, option=option)
    return _build_dir(out, build, lambda: check_pack_target(out, inputs=inputs, option=option), manifest=True)


def write_new_dir(out: str | os.PathLike[str], build: Callable[[Path], object], *,
                  inputs: Iterable[str | os.PathLike[str]] = (), option: str | None = None) -> Path:
    """Make the folder ``out`` (missing or empty) whole or not at all.

    ``build(folder)`` fills a temporary folder that is renamed into place. No manifest: the folder is the
    user's (a new model).

    Parameters
    ----------
    out
        The folder to make.
    build
        Called with the temporary folder to fill.
    inputs
        The files and folders the command reads: never written over.
    option
        The command-line option that named ``out``, for the advice.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    OutputRefused
        When ``out`` exists and is not an empty folder, or is one of ``inputs``.
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pia_analysis.util.files import write_new_dir
    >>> import tempfile, pathlib
    >>> out = write_new_dir(pathlib.Path(tempfile.mkdtemp()) / "m", lambda d: (d / "a.txt").write_text("x"))
    >>> [p.name for p in out.iterdir()]
    ['a.txt']
    """
    out = Path(out)
    inputs = list(inputs)
    check_new_dir(out, inputs=inputs, option=option)
    return _build_dir(out, build, lambda: check_new_dir(out, inputs=inputs, option=option), manifest=False)


def _write_atomic(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    with handle_signals(), _failures(path):
        _make_dirs(Path(os.path.abspath(path)).parent)
        _remove_stale(Path(os.path.abspath(path)).parent, path.name)
        try:  # replacing a file keeps its mode (a colleague's group access); a new one follows the umask
            mode = path.stat().st_mode & 0o777 if path.is_file() and not path.is_symlink() else file_mode()
        except OSError:
            mode = file_mode()
        fd, tmp = tempfile.mkstemp(dir=Path(os.path.abspath(path)).parent,
                                   prefix=f".{_tag(path.name)}.partial-{os.getpid()}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def write_file(path: str | os.PathLike[str], data: bytes | str, *, force: bool = False,
               inputs: Iterable[str | os.PathLike[str]] = (),
               within: Iterable[tuple[str | os.PathLike[str], str]] = ()) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole or not at all; returns the path.

    An existing file is replaced only when ``force``; a symlink, a folder, one of ``inputs`` and a model
    directory's own files are refused (:func:`check_file_target`).

    Parameters
    ----------
    path
        The file to write.
    data
        Its content: bytes, or text written as UTF-8.
    force
        Whether an existing file may be replaced.
    inputs
        The files and folders the command reads: never written over.
    within
        ``(folder, what)`` pairs: folders no file is written inside (:func:`check_file_target`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputRefused
        When the target is refused (:func:`check_file_target`).
    WriteFailed
        When writing fails (a read-only folder, a full disk).

    Examples
    --------
    >>> from pia_analysis.util.files import write_file
    >>> import tempfile, pathlib
    >>> p = write_file(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "x")
    >>> write_file(p, "y")
    Traceback (most recent call last):
    ...
    pia_analysis.util.files.OutputRefused: ... already exists; add --force to replace it, or choose a new name
    >>> write_file(p, "y", force=True).read_text()
    'y'
    """
    path = Path(path)
    check_file_target(path, force=force, inputs=inputs, within=within)
    return _write_atomic(path, data)


def write_model_file(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write one file of a model (``save_model``, ``save_workbook``, ``convert --force``) whole or not at all.

    The caller has decided that ``path`` may be replaced; only a symlink is refused (it is replaced by a
    file, never written through).
    """
    path = Path(path)
    if path.is_symlink():
        raise OutputRefused(f"{path} is a symbolic link; the tool does not write through links")
    return _write_atomic(path, data)


def write_model_files(folder: str | os.PathLike[str], files: dict[str, bytes | str],
                      remove: Iterable[str] = ()) -> Path:
    """Replace the files of a model directory as one step: every file written, or none changed.

    ``save_model`` into an existing model directory (``convert --force``, ``import-otm --force``) writes many
    files; written one by one, a full disk or a symlink found at the third file left a model mixing new and old
    tables. Here every target is checked first (a symlink or a folder is refused before anything is written),
    every new content is written beside its target as a temporary file (a failure removes them all and leaves
    the folder as it was), and only then are they renamed into place and the files in ``remove`` deleted.

    Parameters
    ----------
    folder
        The model directory (created if absent).
    files
        File name → content (text is written as UTF-8).
    remove
        Names of files to delete once the new ones are in place (tables the model no longer has); absent ones
        are skipped.

    Returns
    -------
    pathlib.Path
        ``folder``.

    Raises
    ------
    OutputRefused
        When a target is a symbolic link or a folder (nothing written).
    WriteFailed
        When the disk refuses a write (nothing changed).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from pia_analysis.util.files import write_model_files
    >>> d = write_model_files(Path(tempfile.mkdtemp()) / "m", {"model.yaml": "id: x", "zones.csv": "zone_id"})
    >>> sorted(p.name for p in d.iterdir())
    ['model.yaml', 'zones.csv']
    """
    root = Path(folder)
    targets = [root / name for name in files] + [root / name for name in remove]
    for path in targets:  # refused before anything is written
        if path.is_symlink():
            raise OutputRefused(f"{path} is a symbolic link; the tool does not write through links (nothing was "
                                "written)")
        if path.is_dir():
            raise OutputRefused(f"{path} is a folder where a model file belongs (nothing was written)")
    staged: list[tuple[Path, Path]] = []
    with handle_signals(), _failures(root):
        _make_dirs(Path(os.path.abspath(root)))
        try:
            for name, data in files.items():
                path = root / name
                _remove_stale(Path(os.path.abspath(root)), name)
                try:  # replacing a file keeps its mode (a colleague's group access); a new one follows the umask
                    mode = path.stat().st_mode & 0o777 if path.is_file() else file_mode()
                except OSError:
                    mode = file_mode()
                fd, tmp = tempfile.mkstemp(dir=os.path.abspath(root), prefix=f".{_tag(name)}.partial-{os.getpid()}-",
                                           suffix=".tmp")
                staged.append((Path(tmp), path))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                os.chmod(tmp, mode)
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        with _signals_blocked():  # renames do not fail for want of space: the folder changes all at once
            for tmp, path in staged:
                os.replace(tmp, path)
            for name in remove:
                (root / name).unlink(missing_ok=True)
    return root


@contextmanager
def scratch_file(beside: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file path beside ``beside`` (for writers that need a path), removed on exit."""
    beside = Path(beside)
    folder = Path(os.path.abspath(beside)).parent
    with _failures(beside):
        _make_dirs(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{_tag(beside.name)}.partial-{os.getpid()}-", suffix=".tmp")
        os.close(fd)
    try:
        yield Path(tmp)
    finally:
        Path(tmp).unlink(missing_ok=True)


def scratch_dir(prefix: str = "pia-") -> Path:
    """A new private temporary folder, for work that is loaded back and never a user's output.

    Parameters
    ----------
    prefix
        The start of the folder's name.

    Returns
    -------
    pathlib.Path
        The folder (mode 0700), in the system's temporary folder; remove it with :func:`remove_scratch_dir`.

    Raises
    ------
    OSError
        When the folder cannot be made.

    Examples
    --------
    >>> from pia_analysis.util.files import remove_scratch_dir, scratch_dir
    >>> folder = scratch_dir()
    >>> folder.is_dir()
    True
    >>> remove_scratch_dir(folder); folder.exists()
    False
    """
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_scratch_dir(path: str | os.PathLike[str]) -> None:
    """Remove a folder made by :func:`scratch_dir` and everything in it (nothing when it is gone).

    Parameters
    ----------
    path
        The folder.

    Returns
    -------
    None

    Raises
    ------
    Nothing: a folder that cannot be removed is left.

    Examples
    --------
    >>> from pia_analysis.util.files import remove_scratch_dir
    >>> remove_scratch_dir("/nonexistent-pia-scratch")
    """
    shutil.rmtree(path, ignore_errors=True)
