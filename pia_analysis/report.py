"""The briefing pack written by ``pia-analysis report``.

The pack is built in a temporary directory beside ``out`` and moved into place only when complete, so an
interrupted or failed run leaves any previous pack intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .io import save_model
from .model import Model


def _summary(model: Model) -> dict:
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in model.meta.items()}
    return {"model": meta, "counts": model.summary()}


def write_report(model: Model, out: Path, lang: str = "ja", progress: Callable[[str], None] | None = None) -> Path:
    """Write the briefing pack for ``model`` into the directory ``out`` and return it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = write_report(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "pack")
    >>> (out / "summary.json").exists()
    True
    """
    say = progress or (lambda _msg: None)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.partial-"))
    try:
        say("[1/2] summary")
        (work / "summary.json").write_text(json.dumps(_summary(model), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        say("[2/2] normalised tables")
        save_model(model, work / "model")
        _replace_dir(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out


def _replace_dir(new: Path, target: Path) -> None:
    """Move the finished pack ``new`` to ``target``, replacing an older pack only at the last moment."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
