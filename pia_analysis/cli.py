"""The ``pia-analysis`` command line.

Exit codes: 0 success, 1 a bad model (every problem printed, located), 2 a usage error,
3 an unexpected internal error (a one-line message; ``--debug`` shows the traceback).
Analysis modules are imported inside the commands, so ``pia-analysis validate`` stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .schema import ModelError

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    """A command line that cannot be carried out (exit 2)."""


def _load(path: str):
    from .io import load_model

    return load_model(path)


# ---------------------------------------------------------------------------------------------------
# output helpers


def _plain(value):
    """A JSON- and CSV-friendly form of a cell (lists joined by ' → ' for paths, ';' otherwise)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def emit_table(frame: pd.DataFrame, fmt: str, out=None) -> None:
    """Print a DataFrame as an aligned table, CSV or JSON records (stable, as given)."""
    out = out or sys.stdout
    if fmt == "json":
        records = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
        out.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    flat = frame.copy()
    for col in flat.columns:
        if flat[col].map(lambda v: isinstance(v, (list, tuple))).any():
            flat[col] = flat[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    if fmt == "csv":
        flat.to_csv(out, index=False, lineterminator="\n")
    else:
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                               "display.max_colwidth", 60):
            out.write(flat.to_string(index=False) + "\n")


# ---------------------------------------------------------------------------------------------------
# commands


def cmd_validate(args: argparse.Namespace) -> int:
    from .io import unsourced_rows

    model = _load(args.model)
    s = model.summary()
    print(f"OK: {model.path.name} — {model.meta['title_ja']}")
    print(f"  zones {s['zones']}, systems {s['systems']}, files {s['files']}, flows {s['flows']}, controls {s['controls']}")
    entries = model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"].tolist()
    print(f"  entry points {s['entry_points']}: {', '.join(sorted(entries)) or '-'}")
    mn = sorted(model.my_number_files)
    print(f"  files with My Numbers {s['my_number_files']}: {', '.join(mn) or '-'}")
    unsourced = unsourced_rows(model)
    if len(unsourced):
        print(f"  warning: {len(unsourced)} row(s) have no source: "
              + ", ".join(f"{t}:{i}" for t, i in unsourced.itertuples(index=False)))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    model = _load(args.model)
    out = write_report(model, Path(args.out), lang=args.lang, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"briefing pack written to {out}")
    return EXIT_OK


def cmd_exposure(args: argparse.Namespace) -> int:
    from .exposure import node_exposure

    model = _load(args.model)
    emit_table(node_exposure(model), args.format)
    return EXIT_OK


def cmd_coverage(args: argparse.Namespace) -> int:
    from .coverage import stage_coverage

    model = _load(args.model)
    emit_table(stage_coverage(model), args.format)
    return EXIT_OK


def cmd_findings(args: argparse.Namespace) -> int:
    from .findings import find_findings

    model = _load(args.model)
    emit_table(find_findings(model), args.format)
    return EXIT_OK


def cmd_section3(args: argparse.Namespace) -> int:
    from .judgments import section3_table, write_section3

    model = _load(args.model)
    table = section3_table(model)
    if args.out:
        write_section3(model, Path(args.out))
        print(f"Section Ⅲ table written to {args.out}", file=sys.stderr)
    else:
        emit_table(table, args.format)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with the usage line, never a traceback
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pia-analysis", description="Privacy-impact risk analysis of My Number systems.")
    parser.add_argument("--debug", action="store_true", help="show a traceback on an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str, formats: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("model", metavar="MODEL_DIR", help="a model directory (model.yaml and the CSV tables)")
        if formats:
            p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
        p.set_defaults(func=func)
        return p

    add("validate", cmd_validate, "check a model and print a summary")
    p = add("report", cmd_report, "write the council briefing pack for a model")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of labels (default ja)")
    add("exposure", cmd_exposure, "exposure of each system (most likely attack path)", formats=True)
    add("coverage", cmd_coverage, "risk coverage of each process stage", formats=True)
    add("findings", cmd_findings, "findings of the rule engine", formats=True)
    p = add("section3", cmd_section3, "the Section Ⅲ risk table", formats=True)
    p.add_argument("--out", metavar="FILE.xlsx", help="write the table to an Excel workbook (or .md)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ModelError as exc:
        print(f"error: the model at {args.model} is not valid: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_MODEL
    except UsageError as exc:
        print(f"pia-analysis: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback unless asked
        if args.debug:
            raise
        print(f"pia-analysis: internal error: {type(exc).__name__}: {exc} (run with --debug for details and report it)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
