"""Record, or check, the sha256 of every output a behaviour-preserving refactor must leave unchanged.

What is recorded:

* the Kitakyushu briefing pack, ``report data/kitakyushu-juki-r3 --lang ja`` and ``--lang en``: every file
  in the pack, by its path inside the pack;
* every ``--format csv`` output on standard output (``exposure``, ``coverage``, ``findings``,
  ``section3``) on ``data/kitakyushu-juki-r3``, ``-h28``, ``-h26`` and ``tests/models/tiny``;
* the stored outputs of every notebook under ``notebooks/``: the ``outputs`` of each code cell,
  JSON-canonicalised (sorted keys, no whitespace), by notebook and cell number.

Usage (from the repository root)::

    PYTHONHASHSEED=0 python scripts/record_outputs.py --write /tmp/outputs.json   # before the refactor
    PYTHONHASHSEED=0 python scripts/record_outputs.py --check /tmp/outputs.json   # after: exit 1 if any differs

The commands run with the same Python as this script (``python -m pia_analysis.cli``), with
``PYTHONHASHSEED=0`` and the repository root first on ``PYTHONPATH``, so the working tree is what is
measured. A failing command is recorded as its exit code and the sha256 of its standard error, so a
refactor that breaks a command shows up as a difference too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("data/kitakyushu-juki-r3", "data/kitakyushu-juki-h28", "data/kitakyushu-juki-h26", "tests/models/tiny")
CSV_COMMANDS = ("exposure", "coverage", "findings", "section3")
PACK_MODEL = "data/kitakyushu-juki-r3"
LANGS = ("ja", "en")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "pia_analysis.cli", *args], cwd=ROOT, env=_env(),
                          capture_output=True, check=False)


def _failed(proc: subprocess.CompletedProcess[bytes]) -> str:
    return f"exit {proc.returncode}; stderr sha256 {_sha(proc.stderr)}"


def record_packs(sums: dict[str, str]) -> None:
    """The sha256 of every file in the Kitakyushu pack, in each language."""
    for lang in LANGS:
        with tempfile.TemporaryDirectory(prefix="record-outputs-") as tmp:
            out = Path(tmp) / "pack"
            proc = _run("report", PACK_MODEL, "--out", str(out), "--lang", lang)
            key = f"pack/{lang}"
            if proc.returncode != 0:
                sums[key] = _failed(proc)
                continue
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                sums[f"{key}/{path.relative_to(out).as_posix()}"] = _sha(path.read_bytes())


def record_csv(sums: dict[str, str]) -> None:
    """The sha256 of each command's ``--format csv`` standard output, per model."""
    for model in MODELS:
        for command in CSV_COMMANDS:
            proc = _run(command, model, "--format", "csv")
            sums[f"csv/{model}/{command}"] = _sha(proc.stdout) if proc.returncode == 0 else _failed(proc)


def record_notebooks(sums: dict[str, str]) -> None:
    """The sha256 of the stored outputs of each code cell of each notebook (canonical JSON)."""
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(nb_path.read_text(encoding="utf-8"))
        for number, cell in enumerate(notebook.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            canonical = json.dumps(cell.get("outputs", []), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            sums[f"notebook/{nb_path.name}/cell{number:03d}"] = _sha(canonical.encode("utf-8"))


def record() -> dict[str, str]:
    """Every recorded output, key → sha256 (or a description of the failure), keys sorted."""
    sums: dict[str, str] = {}
    record_packs(sums)
    record_csv(sums)
    record_notebooks(sums)
    return dict(sorted(sums.items()))


def compare(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """One line per key that is missing, new or different."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            lines.append(f"missing now: {key}")
        elif key not in expected:
            lines.append(f"new output: {key}")
        elif expected[key] != actual[key]:
            lines.append(f"differs: {key}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", metavar="FILE", help="record the sums into FILE (JSON)")
    mode.add_argument("--check", metavar="FILE", help="compare with FILE; exit 1 listing what differs")
    args = parser.parse_args(argv)
    sums = record()
    if args.write:
        Path(args.write).write_text(json.dumps(sums, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{len(sums)} outputs recorded in {args.write}")
        return 0
    expected = json.loads(Path(args.check).read_text(encoding="utf-8"))
    differences = compare(expected, sums)
    for line in differences:
        print(line)
    if differences:
        print(f"{len(differences)} of {len(set(expected) | set(sums))} outputs differ from {args.check}")
        return 1
    print(f"all {len(sums)} outputs as recorded in {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
