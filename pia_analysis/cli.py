"""The ``pia-analysis`` command line.

Exit codes: 0 success, 1 a bad model (every problem printed, located), 2 a usage error (including an
output path that would replace something the tool did not write), 3 an unexpected internal error (a
one-line message; ``--debug`` shows the traceback and still exits 3), 4 a write failure ("cannot write
PATH: reason": read-only folder, full disk, over-long name), 128+N when stopped by signal N (130 Ctrl-C,
143 SIGTERM, 129 SIGHUP; temporary files removed, an earlier pack left intact; 141, as for SIGPIPE, quietly
when the reader of the output went away, as ``| head`` does).
Analysis modules are imported inside the commands, so ``pia-analysis validate`` stays quick.

Every file and folder is written through :mod:`pia_analysis.util.files`; the output path is checked
before the model is loaded, so a refused path costs no work.
"""

from __future__ import annotations

__all__ = ["EPILOG", "UsageError", "build_parser", "interrupted_exit", "main"]

import argparse
import json
import math
import os
import re
import sys
import textwrap
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .model.mynumber import mask_numbers
from .catalog import CatalogProblems
from .model.errors import DifferentAssessmentError, ModelError, PiaError
from .util.files import OutputRefused, WriteFailed, check_file_target, check_pack_target, handle_signals

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_INTERNAL, EXIT_WRITE = 0, 1, 2, 3, 4
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE: the reader of stdout went away (`| head`)
EPILOG = ("exit codes: 0 success, 1 a bad model, 2 a usage error or a refused output path, 3 an internal error, "
          "4 cannot write (read-only folder, full disk, over-long name), 128+N stopped by signal N. "
          "Outputs never replace what pia-analysis did not write: a pack goes to a new, empty or earlier-pack "
          "folder; a file is replaced only with --force.")


class UsageError(PiaError):
    """A command line that cannot be carried out (exit 2)."""


def _named(path: str | None) -> None:
    """An output path given as ``""`` is refused at once (it would mean the current folder)."""
    if path is not None and not path.strip():
        raise OutputRefused("an empty output path; name a new folder or file")


class StrictWarnings(ModelError):
    """Warnings of a model loaded with ``--strict``: reported and exited on as the problems of a bad model."""


def _warn(model, strict: bool) -> None:
    """Print the warnings of ``model``; with ``strict`` they are errors (:class:`StrictWarnings`)."""
    if strict and model.warnings:
        raise StrictWarnings(list(model.warnings))
    # What the reader accepted but the model should say otherwise, located as errors are: printed, not fatal.
    for problem in model.warnings:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)


def _load(path: str, strict: bool = False):
    from .formats import load_model

    model = load_model(path)
    _warn(model, strict)
    return model


# ---------------------------------------------------------------------------------------------------
# output helpers


def _plain(value):
    """A JSON-friendly form of a cell: lists stay lists, numpy scalars become Python ones, NaN becomes null."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN: strict JSON has no NaN
        return None
    return value


def emit_table(frame: pd.DataFrame, fmt: str, out=None) -> None:
    """Print a DataFrame as an aligned table, CSV or JSON records (stable, as given): the one table printer."""
    out = out or sys.stdout
    if fmt == "json":
        records = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
        out.write(json.dumps(records, ensure_ascii=False, indent=2, default=str, allow_nan=False) + "\n")
        return
    if fmt == "csv":
        from .util.spreadsheet import csv_text  # spreadsheet-safe, as every CSV the tool writes

        out.write(csv_text(frame))
    else:
        from .util.text_table import format_table, terminal_width

        # paths as A → B, counts as integers, wrapped to the terminal (100 columns when not a terminal)
        out.write(format_table(frame, terminal_width(out)))


# ---------------------------------------------------------------------------------------------------
# commands


def _cmd_validate(args: argparse.Namespace) -> int:
    from .analysis.provenance import unsourced_rows

    model = _load(args.model, args.strict)
    s = model.summary()
    en = args.lang == "en"
    print(f"OK: {model.path.name} — {model.title(args.lang)}")
    print(f"  zones {s['zones']}, systems {s['systems']}, files {s['files']}, flows {s['flows']}, controls "
          f"{s['controls']}" if en else
          f"  ゾーン {s['zones']}、システム {s['systems']}、ファイル {s['files']}、流れ {s['flows']}、"
          f"対策 {s['controls']}")
    entries = model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"].tolist()
    print(f"  {'entry points' if en else '入口'} {s['entry_points']}: {', '.join(sorted(entries)) or '-'}")
    mn = sorted(model.my_number_files)
    mn_words = "files with My Numbers" if en else "個人番号を含むファイル"
    print(f"  {mn_words} {s['my_number_files']}: {', '.join(mn) or '-'}")
    unsourced = unsourced_rows(model)
    if len(unsourced):
        where = ", ".join(f"{t}:{i}" for t, i in unsourced.itertuples(index=False))
        print(f"  warning: {len(unsourced)} row(s) have no source: {where}" if en else
              f"  警告: 出典のない行が {len(unsourced)} 行あります: {where}")
    return EXIT_OK


def _cmd_city_validate(args: argparse.Namespace) -> int:
    from .formats.workspace import load_workspace, shared_use

    # warnings first (as a model's), then the summary; --strict makes them errors (exit 1, as a model's)
    workspace = load_workspace(args.model, strict=args.strict)
    for problem in workspace.warnings:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)
    en = args.lang == "en"
    affairs = workspace.affairs
    use = shared_use(workspace)
    counts = ", ".join(f"{name} {int((use['table'] == name).sum())}" for name in use["table"].unique()) or "-"
    print(f"OK: {workspace.organisation} ({Path(args.model).name or args.model}) — "
          + (f"{len(affairs)} affair(s); shared part: {counts}" if en else
             f"事務 {len(affairs)} 件、共有部分: {counts}"))
    rows = []
    for affair_id, name, model_path in affairs[["affair_id", "name", "model_path"]].itertuples(index=False):
        model = workspace.models[affair_id]
        s = model.summary()
        shared = len(model.shared_ids)
        rows.append({"affair_id": affair_id, "name": name, "model": os.path.relpath(model_path, workspace.path),
                     "systems": s["systems"], "flows": s["flows"], "controls": s["controls"],
                     "my_number_files": s["my_number_files"], "shared_rows": shared})
    headings = {"affair_id": ("事務ID", "affair"), "name": ("事務の名称", "name"), "model": ("モデル", "model"),
                "systems": ("システム", "systems"), "flows": ("流れ", "flows"), "controls": ("対策", "controls"),
                "my_number_files": ("個人番号のファイル", "My Number files"),
                "shared_rows": ("共有部分から読んだ行", "shared rows loaded")}
    print(f"\n{'Affairs' if en else '事務'}")
    emit_table(_headed(pd.DataFrame(rows, columns=list(headings)), headings, args.lang), "table")
    if len(use):
        unused = "(unused)" if en else "（未使用）"
        shown = use.assign(affairs=[", ".join(a) if a else unused for a in use["affairs"]])
        headings = {"table": ("表", "table"), "id": ("ID", "id"), "name_ja": ("名称", "name"),
                    "affairs": ("使う事務", "used by"), "count": ("事務数", "affairs")}
        print(f"\n{'Shared elements and the affairs that use them' if en else '共有部分の要素と使う事務'}")
        emit_table(_headed(shown[list(headings)], headings, args.lang), "table")
    return EXIT_OK


def _cmd_city_impact(args: argparse.Namespace) -> int:
    from .formats.workspace import load_workspace
    from .whatif.city import shared_change_impact

    if (args.new is None) == (getattr(args, "scenario", None) is None):
        raise UsageError("give either NEW_WORKSPACE or --scenario FILE (a scenario applied to the workspace)")
    if args.new is None:
        return _cmd_city_impact_scenario(args)
    # Both workspaces are read before either is reported, so that two broken ones show all their problems at once.
    loaded, failed = [], []
    for path in (args.model, args.new):
        try:
            workspace = load_workspace(path, strict=args.strict)
        except ModelError as exc:
            failed.append((path, exc))
            continue
        loaded.append(workspace)
        for problem in workspace.warnings:
            print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)
    for path, exc in failed:
        _problems(f"the workspace at {path} is not valid", exc)
    if failed:
        return EXIT_MODEL
    return _print_impact(args, loaded[0], shared_change_impact(*loaded))


def _cmd_city_impact_scenario(args: argparse.Namespace) -> int:
    from .formats.workspace import load_workspace
    from .whatif.city import shared_change_impact
    from .whatif.migration import apply_city_scenario

    workspace = load_workspace(args.model, strict=args.strict)
    for problem in workspace.warnings:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)
    try:
        changed = apply_city_scenario(workspace, Path(args.scenario))
    except ModelError as exc:
        return _problems(f"the scenario {args.scenario} does not apply to the workspace at {args.model}", exc)
    return _print_impact(args, workspace, shared_change_impact(workspace, changed))


def _print_impact(args: argparse.Namespace, workspace, impact) -> int:
    """The per-affair table and the (別添3) rows of ``impact`` in ``args.format``."""
    if args.format == "csv":  # the rows of (別添3) 変更箇所 of every affair, affair_id first
        print(impact.sheets.to_csv(index=False, lineterminator="\n"), end="")
        return EXIT_OK
    if args.format == "json":
        payload = {"affairs": [{k: _plain(v) for k, v in r.items()} for r in impact.affairs.to_dict("records")],
                   "sheets": [{k: _plain(v) for k, v in r.items()} for r in impact.sheets.to_dict("records")]}
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    en = args.lang == "en"
    table = impact.affairs.assign(shared_changes=[", ".join(i) or "-" for i in impact.affairs["shared_changes"]],
                                  change_class_ja=[c if s == "compared" else s for c, s in
                                                   zip(impact.affairs["change_class_ja"], impact.affairs["status"])])
    reasons = "reasons_en" if en else "reasons_ja"
    headings = {"affair_id": ("事務ID", "affair"), "name": ("事務の名称", "name"),
                "change_class_ja": ("変更の区分", "class of change"), "changes": ("変更", "changes"),
                "shared_changes": ("変わった共有部分", "shared elements changed"), reasons: ("理由", "reasons"),
                "sheet_rows": ("別添3の行", "別添3 rows")}
    # an affair added or removed between the versions is changed too, though it has no diff to count
    touched = int(((impact.affairs["changes"] > 0) | (impact.affairs["status"] != "compared")).sum())
    print(f"{workspace.organisation}: " + (f"{touched} of {len(table)} affair(s) changed" if en else
                                           f"事務 {len(table)} 件のうち {touched} 件に変更"))
    _section("Per affair" if en else "事務ごと", _headed(table, headings, args.lang))
    sheet_columns = ["affair_id", "項目", "変更前の記載", "変更後の記載", "提出時期"]
    _section("(別添3) 変更箇所", impact.sheets[sheet_columns] if len(impact.sheets) else impact.sheets)
    return EXIT_OK


def _cmd_city_report(args: argparse.Namespace) -> int:
    from .formats.workspace import load_workspace
    from .outputs.city_briefing import check_city_pack_target, write_city_report

    # the folder is checked before any work: a user's folder with files is refused, an earlier pack needs --force
    check_city_pack_target(args.out, args.model, args.force)
    workspace = load_workspace(args.model, strict=args.strict)
    for problem in workspace.warnings:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)
    out = write_city_report(workspace, Path(args.out), lang=args.lang, today=args.today, force=args.force)
    print(f"city briefing pack written to {out}")
    return EXIT_OK


def _cmd_city_migrate(args: argparse.Namespace) -> int:
    import yaml

    from .formats.workspace import load_workspace
    from .util.errors import InvalidArgumentError
    from .util.files import check_new_dir, write_file
    from .whatif.migration import city_migration, write_migration

    check_new_dir(args.out, inputs=[args.model], option="--out")  # before any work
    if args.scenario_out:
        check_file_target(args.scenario_out, inputs=[args.model])
    workspace = load_workspace(args.model, strict=args.strict)
    for problem in workspace.warnings:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)
    encrypted = None if args.encrypted is None else args.encrypted == "yes"
    try:
        migration = city_migration(workspace, args.systems, zone_id=args.zone, vendor=args.vendor,
                                   line=args.line, encrypted=encrypted, on=args.on)
    except InvalidArgumentError as exc:
        message = mask_numbers(str(exc))  # a name, the vendor or the zone: the option is named first
        option = "--vendor" if message.startswith("vendor") else "--zone" if message.startswith("zone") else "--systems"
        raise UsageError(f"{option}: {message}") from None
    except ModelError as exc:
        return _problems(f"the move to the government cloud cannot be made on the workspace at {args.model}; "
                         "nothing written", exc)
    text = ("# written by pia-analysis city migrate: the move to the government cloud (docs/government-cloud.md)\n"
            + _declarations_note(migration.declarations)
            + yaml.safe_dump(migration.spec, allow_unicode=True, sort_keys=False, width=100))
    # Everything is computed: now the writing, the scenario file first (one atomic file) and the workspace
    # last (whole or not at all); a failure or an interruption while writing the workspace takes the scenario
    # file back, so that nothing of the run is left.
    if args.scenario_out:
        write_file(args.scenario_out, text, inputs=[args.model])
    try:
        write_migration(migration, args.out, inputs=[args.model])
    except BaseException:
        if args.scenario_out:
            Path(args.scenario_out).unlink(missing_ok=True)
        raise
    en = args.lang == "en"
    if args.format == "json":
        payload = {"workspace": str(args.out), "scenario": migration.spec,
                   **{name: [{k: _plain(v) for k, v in r.items()} for r in getattr(migration, name).to_dict("records")]
                      for name in ("affairs", "exposure", "coverage", "sheets", "cloud_to_cloud", "questions")}}
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    table = migration.affairs.assign(moved=[", ".join(m) or "-" for m in migration.affairs["moved"]],
                                     rules=[", ".join(r) or "-" for r in migration.affairs["rules"]])
    headings = {"affair_id": ("事務ID", "affair"), "change_class_ja": ("変更の区分", "class of change"),
                "rules": ("規則", "rules"), "sheet_rows": ("別添3の行", "別添3 rows"),
                "moved": ("移すシステム", "systems moved"),
                "exposure_max_before": ("最大露出（前）", "max exposure before"),
                "exposure_max_after": ("最大露出（後）", "max exposure after"),
                "coverage_before": ("網羅率（前）", "coverage before"),
                "coverage_after": ("網羅率（後）", "coverage after")}
    print(f"{workspace.organisation}: " + (f"moved to the government cloud, written to {args.out}" if en else
                                           f"ガバメントクラウドへの移行を {args.out} に書き出しました"))
    _section("Per affair" if en else "事務ごと", _headed(table, headings, args.lang))
    _section("(別添3) 変更箇所", migration.sheets[["affair_id", "項目", "提出時期"]] if len(migration.sheets)
             else migration.sheets)
    if len(migration.cloud_to_cloud):
        _section("Already in a government-cloud zone (cloud to cloud)" if en else
                 "すでにガバメントクラウド上のシステム", migration.cloud_to_cloud)
    question = "question_en" if en else "question_ja"
    _section("Controls naming a moved system: questions for the analyst" if en else "移すシステムに係る対策（要確認）",
             migration.questions[["affair_id", "control_id", question]])
    return EXIT_OK


def _declarations_note(declarations: dict[str, list[str]]) -> str:
    """The comment of the scenario file saying which affairs' model.yaml the move changes (not a table)."""
    if not declarations:
        return ""
    lines = ["# The move also drops 委託しない (outsource) from declared_not_applicable in the model.yaml of: "
             + ", ".join(declarations) + " (a contractor now handles their files; the moved workspace has it).",
             "# A city scenario changes tables only: applied with 'city impact --scenario', drop it there by hand."]
    return "".join(line + "\n" for line in lines)


def _city_folders(paths: list[str]) -> list[str]:
    """The workspaces named: a folder holding city.yaml, or a folder of such folders (its workspaces by name)."""
    out: list[str] = []
    for path in paths:
        folder = Path(path)
        inner = sorted(p for p in folder.iterdir() if (p / "city.yaml").is_file()) if folder.is_dir() else []
        if (folder / "city.yaml").is_file() or not inner:
            out.append(path)  # a workspace, or something the runner reports as not one (located)
        else:
            out.extend(str(p) for p in inner)
    return out


def _cmd_city_portfolio(args: argparse.Namespace) -> int:
    import datetime as dt

    from .formats.workspace import workspace_inputs
    from .util.errors import InvalidArgumentError
    from .util.files import write_file
    from .util.spreadsheet import csv_text
    from .whatif.parallel import MAX_TRIALS, CityRunError, city_summary, run_cities

    _named(args.out)
    for option, value in (("--trials", args.trials), ("--seed", args.seed)):
        if value < 0:
            raise UsageError(f"{option} must be a non-negative integer, not {value}")
    if args.trials > MAX_TRIALS:
        raise UsageError(f"--trials must be at most {MAX_TRIALS} (ten million per affair), not {args.trials}")
    if Path(args.out).suffix.lower() != ".csv":
        raise UsageError(f"{args.out}: the portfolio is written as a .csv file")
    cities = _city_folders(args.model)
    given: dict[Path, str] = {}
    for city in cities:  # a workspace given twice (itself and in its folder) would give its rows twice: refused
        key = Path(city).resolve()
        if key in given:
            raise UsageError(f"{city} is the workspace {given[key]} again; give each workspace once")
        given[key] = city
    # every file of a workspace is an input (city.yaml, shared/, affairs/, a shared folder or affair outside it
    # that city.yaml names): the table is written outside all of them, as city report's pack is
    within = [(str(p), what) for city in cities for p, what in workspace_inputs(city)]
    check_file_target(args.out, force=args.force, inputs=args.model, within=within)  # before any work
    # one day for every city, whichever process runs it and whenever (a run may pass midnight)
    today = dt.date.today()
    try:
        table = run_cities(city_summary, cities, workers=args.workers, scheduler=args.scheduler,
                           trials=args.trials, seed=args.seed, today=today)
    except InvalidArgumentError as exc:  # no Dask, a bad --scheduler or --workers: one line
        raise UsageError(str(exc)) from None
    except CityRunError as exc:
        print(f"error: {len(exc.failures)} of {len(cities)} workspace(s) could not be analysed; nothing written"
              if args.lang == "en" else
              f"エラー: {len(cities)} 件のワークスペースのうち {len(exc.failures)} 件を分析できませんでした。"
              "ファイルは書いていません", file=sys.stderr)
        for failure in exc.failures:
            print(f"  {mask_numbers(failure.city)}:", file=sys.stderr)
            for problem in failure.problems:
                print(f"    {mask_numbers(problem)}", file=sys.stderr)
        return EXIT_MODEL
    out = write_file(args.out, csv_text(table), force=args.force, inputs=args.model, within=within)
    if args.lang == "en":
        _written(out, f"portfolio of {len(table)} affair(s) in {len(cities)} workspace(s)")
    else:
        print(f"{len(cities)} 件のワークスペースの {len(table)} 事務の一覧を {out} に書きました", file=sys.stderr)
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from .outputs.briefing import write_report

    check_pack_target(args.out, inputs=[args.model], option="--out")  # before any work
    model = _load(args.model, args.strict)
    out = write_report(model, Path(args.out), lang=args.lang, progress=lambda msg: print(msg, file=sys.stderr),
                       today=args.today, inputs=[args.model])
    print(f"briefing pack written to {out}")
    return EXIT_OK


def _cmd_assessment(args: argparse.Namespace) -> int:
    from .outputs.assessment import write_assessment

    check_pack_target(args.out, inputs=[args.model], option="--out")  # before any work
    model = _load(args.model, args.strict)
    summary = write_assessment(model, Path(args.out), form=args.form, lang=args.lang,
                               progress=lambda msg: print(msg, file=sys.stderr), inputs=[args.model])
    for line in summary.values():
        print(line)
    if not summary:
        print("the threshold requires no 評価書 for this model (give --form basic to write one anyway)")
    print(f"評価書 written to {args.out}")
    return EXIT_OK


def _headed(frame: pd.DataFrame, headings: dict[str, tuple[str, str]], lang: str) -> pd.DataFrame:
    """The columns of ``headings`` (in its order), each headed by its words in ``lang``."""
    out = frame[list(headings)].copy()
    out.columns = [headings[c][0 if lang != "en" else 1] for c in headings]
    return out


def _stage_names(stages, lang: str) -> list[str]:
    """Short stage names in ``lang`` (入手, Acquisition …) for a terminal table; "" for no stage."""
    from .catalog import stages as stage_table

    names = stage_table().set_index("stage")["short_en" if lang == "en" else "short_ja"]
    return [str(names.get(s, s)) if s else "" for s in stages]


def _yes_no(values, lang: str) -> list[str]:
    """Booleans as ○/× (yes/no in English): never True/False on a terminal."""
    words = ("○", "×") if lang != "en" else ("yes", "no")
    return [words[0] if bool(v) else words[1] for v in values]


# The terminal tables of exposure, coverage and findings (--format table): headings, stage names, statuses,
# levels and yes/no in the chosen language (--lang); the ids stay in their own column, and csv and json keep
# the analysts' column names and codes, whatever --lang says.
_EXPOSURE_HEADINGS = {
    "system_id": ("ID", "id"), "name": ("名称", "name"),
    "exposure": ("曝露（経路・下限）", "exposure (path, lower bound)"),
    "compromise": ("侵害確率（全経路）", "compromise (any path)"),
    "compromise_measure": ("算出", "measure"),
    "given": ("前提のもとでの侵害確率", "compromise if given"),
    "path": ("最も起こりやすい経路（入口から）", "most likely path (from its entry point)"),
    "zone_crossings": ("ゾーン越え", "zone crossings"), "holds_my_number": ("個人番号", "My Number"),
    "people": ("保有人数", "people held"), "records_at_stake": ("期待値", "expected records"),
}
# Which measure a compromise probability is, short for a table's column (util.words.MEASURE_WORDS in full, in the
# footnote): the value's text already shows the 95 % interval of a sampled one and the range of bounds.
_SHORT_MEASURE_WORDS = {"exact": ("厳密", "exact"), "sampled": ("標本推定", "sampled"), "bounds": ("上下限", "bounds")}


def _given_ids(model, items: list[str] | None) -> dict[str, list[str]]:
    """``--given`` as compromise_probability's ``given`` mapping: ``system:ID``, ``control:ID`` or a bare id.

    A bare id names a system or a control of the model; one naming both must say which. An unknown id is a
    usage error (exit 2) saying which ``--given`` it was and the nearest known ids.
    """
    from .model.errors import unknown_id

    systems = sorted(model.systems["system_id"])
    controls = sorted(model.controls["control_id"])
    out: dict[str, list[str]] = {"systems": [], "controls": []}
    for item in items or ():
        kind, _, key = item.partition(":") if item.startswith(("system:", "control:")) else ("", "", item)
        known = {"system": systems, "control": controls}.get(kind)
        if known is None:  # a bare id: a system or a control of the model
            if key in systems and key in controls:
                raise UsageError(f"--given {item}: {key!r} is both a system and a control of the model; "
                                 f"write system:{key} or control:{key}")
            kind = "system" if key in systems else "control" if key in controls else ""
        if not kind or key not in (systems if kind == "system" else controls):
            error = unknown_id(kind or "system or control", key, known if known is not None else systems + controls)
            raise UsageError(f"--given {item}: {error}")
        bucket = out["systems" if kind == "system" else "controls"]
        if key not in bucket:
            bucket.append(key)
    return {k: sorted(v) for k, v in out.items()}


def _foothold_ids(model, items: list[str] | None) -> list[str]:
    """``--foothold`` as compromise_probability's ``footholds``: system ids, each checked (exit 2 when unknown)."""
    from .model.errors import unknown_id

    systems = sorted(model.systems["system_id"])
    out: list[str] = []
    for item in items or ():
        key = item.removeprefix("system:")
        if key not in systems:
            raise UsageError(f"--foothold {item}: {unknown_id('system', key, systems)}")
        if key not in out:
            out.append(key)
    return sorted(out)


def _given_words(given: dict[str, list[str]], lang: str) -> str:
    """The assumption of ``--given`` / ``--foothold`` in words.

    Which systems are known compromised (an observation: the probabilities are conditional on it), which
    controls failed, where the attacker is placed.
    """
    en = lang == "en"
    parts = []
    if given["systems"]:
        parts.append(("known compromised (conditional on it): " if en else "侵害が判明したシステム（条件付き）: ")
                     + ", ".join(given["systems"]))
    if given["controls"]:
        parts.append(("controls failed: " if en else "機能しない対策: ") + ", ".join(given["controls"]))
    if given.get("footholds"):
        parts.append(("attacker placed on (whatever its controls): " if en
                      else "攻撃者が既に入り込んでいるシステム（対策によらず）: ") + ", ".join(given["footholds"]))
    return ("given — " if en else "前提 — ") + ("; " if en else "、").join(parts)


def _check_trials(args: argparse.Namespace) -> None:
    """``--trials`` and ``--seed``, the briefing pack's when not given (the same figures as its tables)."""
    from .analysis.pipeline import MONTE_CARLO_SEED, MONTE_CARLO_TRIALS
    from .whatif.parallel import MAX_TRIALS

    args.trials = MONTE_CARLO_TRIALS if args.trials is None else args.trials
    args.seed = MONTE_CARLO_SEED if args.seed is None else args.seed
    if args.trials < 1:
        raise UsageError(f"--trials must be at least 1, not {args.trials}")
    if args.trials > MAX_TRIALS:
        raise UsageError(f"--trials must be at most {MAX_TRIALS} (ten million), not {args.trials}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, not {args.seed}")


def _exposure_table(model, args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """node_exposure with, after ``exposure``, which measure it is and the compromise probability by any path.

    csv and json columns (codes whatever ``--lang``): ``exposure_measure`` (``path``: a lower bound),
    ``compromise_probability`` (NaN when only bounds are known), ``compromise_low``, ``compromise_high``,
    ``compromise_measure`` (``exact``, ``sampled`` or ``bounds``); with ``--given`` the same four as
    ``given_probability``, ``given_low``, ``given_high``, ``given_measure``.
    """
    from .analysis.compromise import compromise_probability
    from .analysis.pipeline import analyse
    from .util.errors import InvalidArgumentError

    given = _given_ids(model, args.given)  # before any work: a wrong id costs nothing
    footholds = _foothold_ids(model, args.foothold)
    given["footholds"] = footholds
    # as the briefing: exact where feasible, bounded systems sampled with --trials; above
    # COMPROMISE_MAX_SYSTEMS the Monte Carlo's estimate (analysis.pipeline)
    results = analyse(model, trials=args.trials, seed=args.seed, only=("exposure", "compromise"))
    table = results.exposure
    blocks = [("compromise", results.compromise)]
    if given["systems"] or given["controls"] or footholds:
        known = {"systems": given["systems"], "controls": given["controls"]}
        try:
            blocks.append(("given", compromise_probability(model, given=known if any(known.values()) else None,
                                                           footholds=footholds or None, trials=args.trials,
                                                           seed=args.seed)))
        except InvalidArgumentError as exc:  # e.g. a --given no attack reaches: a question the model refuses
            words = str(exc).replace("given:", "--given:", 1).replace("footholds=", "--foothold")
            raise UsageError(words) from None
    at = list(table.columns).index("exposure") + 1
    columns: dict[str, object] = {"exposure_measure": ["path"] * len(table)}
    for prefix, frame in blocks:
        c = frame.set_index("system_id").reindex(table["system_id"])
        columns.update({f"{prefix}_probability": c["probability"].to_numpy(dtype=float),
                        f"{prefix}_low": c["low"].to_numpy(dtype=float),
                        f"{prefix}_high": c["high"].to_numpy(dtype=float),
                        f"{prefix}_measure": c["method"].astype(str).to_numpy()})
    table = table.copy()
    for k, (name, values) in enumerate(columns.items()):
        table.insert(at + k, name, pd.Series(values, index=table.index))
    return table, given


def _cmd_exposure(args: argparse.Namespace) -> int:
    from .outputs.briefing import largest_my_number_file
    from .outputs.wording import percent
    from .util.words import probability_text

    _check_trials(args)
    model = _load(args.model, args.strict)
    table, given = _exposure_table(model, args)
    if args.format != "table":
        emit_table(table, args.format)
        return EXIT_OK
    lang = args.lang
    en = lang == "en"

    def text(prefix: str) -> list[str]:  # the value with its interval or range when it is not exact
        return [probability_text(p, m, lo, hi, lang) for p, m, lo, hi in
                zip(table[f"{prefix}_probability"], table[f"{prefix}_measure"], table[f"{prefix}_low"],
                    table[f"{prefix}_high"])]

    names = table["name_en" if en else "name_ja"].where(lambda n: n.astype(bool), table["name_ja"])
    view = table.assign(
        name=names, exposure=[percent(x, lang) for x in table["exposure"]],
        compromise=text("compromise"),
        compromise_measure=[_SHORT_MEASURE_WORDS.get(m, (m, m))[1 if en else 0] for m in table["compromise_measure"]],
        path=[" → ".join(p) for p in table["path"]],  # the ids of the path, as analysts join on them
        holds_my_number=_yes_no(table["holds_my_number"], lang),
        # what is at stake if the system is reached (its largest My Number file), beside the expected value
        people=[largest_my_number_file(model, s) for s in table["system_id"]],
        records_at_stake=table["records_at_stake"].round().astype("int64"))
    headings = dict(_EXPOSURE_HEADINGS)
    measures = sorted(set(table["compromise_measure"]) | set(table.get("given_measure", ())))
    if len(measures) == 1:  # one measure for every value (the usual: all exact): said once, below the table
        del headings["compromise_measure"]
    if "given_probability" in table:
        view["given"] = text("given")
        print(_given_words(given, lang))
    else:
        del headings["given"]
    # So that a redirected table still fits its 100 columns with the paths' arrows on their line: the zone
    # crossings give way to the compromise probability, and the My Number yes/no to a further column (the
    # measure, --given's), the people held saying it (0: none). csv and json keep both.
    del headings["zone_crossings"]
    if "given" in headings or "compromise_measure" in headings:
        del headings["holds_my_number"]
    emit_table(_headed(view, headings, lang), "table")
    how = {"exact": ("厳密に計算した値", "computed exactly"),
           "sampled": ("モンテカルロ法の推定（括弧内は95%区間）", "Monte Carlo estimates (95% interval in brackets)"),
           "bounds": ("保証された下限〜上限", "certified lower–upper bounds")}
    if len(measures) == 1:
        measure_line = (f"侵害確率はすべて{how[measures[0]][0]}。" if not en else
                        f"compromise probabilities: all {how[measures[0]][1]}.")
    else:
        measure_line = ("算出: " + "、".join(f"{_SHORT_MEASURE_WORDS[m][0]} = {how[m][0]}" for m in measures) + "。"
                        if not en else
                        "measure: " + "; ".join(f"{_SHORT_MEASURE_WORDS[m][1]} = {how[m][1]}" for m in measures) + ".")
    print("曝露 = 最も起こりやすい1経路の確率: 侵害確率（全経路。共有される対策は1回の成否）の下限。\n"
          + measure_line + "\n"
          "期待値 = 曝露（年間確率）× 保有人数: 1年あたりの平均の記録数（経路による下限。fix-first の期待値は\n"
          "侵害確率 × 保有人数で、これ以上）。到達されたときに影響を受けるのは保有人数の全員。"
          if not en else
          "exposure = the probability of the most likely single path: a lower bound of the compromise\n"
          "probability (any path; a shared control holds or fails once for all it guards).\n"
          + measure_line + "\n"
          "expected records = exposure (a year) × people held: an average per year (the path's lower bound;\n"
          "fix-first's expected records use the compromise probability, at least this);\n"
          "if the system is reached, every person held is affected.")
    return EXIT_OK


# The terminal tables of fix-first and importance (docs/cli-compromise.md), headed in --lang; csv and json keep
# the analysis' columns and codes.
_FIX_FIRST_HEADINGS = {
    "step": ("手順", "step"), "action": ("何をするか", "what to do"), "id": ("ID", "id"), "name": ("名称", "name"),
    "fall": ("期待値の減少（件/年）", "fall (records a year)"),
    "cumulative_fall": ("減少の累計", "cumulative fall"),
    "expected_records": ("残る期待値", "expected records left"),
    "in_min_cut": ("最小カット", "in minimum cut"),
}
_IMPORTANCE_HEADINGS = {
    "id": ("ID", "id"), "name": ("名称", "name"), "status": ("状態", "status"),
    "effectiveness": ("有効性", "effectiveness"),
    "holder": ("個人番号保有システム", "My Number holder"), "probability": ("侵害確率", "compromise probability"),
    "birnbaum": ("重要度（Birnbaum）", "importance (Birnbaum)"),
    "birnbaum_max": ("重要度（Birnbaum・最大）", "importance (Birnbaum, largest)"),
    "birnbaum_weighted": ("重要度×保有人数（件/年）", "importance × people (records a year)"),
    "records_fall": ("期待値の減少（件/年）", "fall (records a year)"),
    "records": ("保有人数", "people held"),
}


def _records_text(value: float) -> str:
    """Expected records a year as a whole number; a positive value below one as "<1" (never a bare 0)."""
    if value != value:
        return "-"
    return "<1" if 0 < value < 0.5 else f"{round(value):,}"


def _element_names(model, lang: str) -> dict[tuple[str, str], str]:
    """(kind, id) → what a reader calls it: a control by its name, a flow as source → target."""
    en = lang == "en"
    out = {("control", c): (e if en and e else j) for c, j, e in
           model.controls[["control_id", "name_ja", "name_en"]].itertuples(index=False)}
    out.update({("flow", f): f"{s} → {t}" for f, s, t in model.flows[["flow_id", "source", "target"]]
                .itertuples(index=False)})
    return out


def _inexact_note(holders: list[str], lang: str) -> None:
    """Say on stderr (every format) which My Number holders were too large to compute and are left out."""
    if holders:
        print(f"note: {len(holders)} My Number holder(s) too large to compute exactly are left out: "
              f"{', '.join(holders)}" if lang == "en" else
              f"注: 厳密に計算できない個人番号保有システム {len(holders)} 件を除いています: {', '.join(holders)}",
              file=sys.stderr)


def _cmd_fix_first(args: argparse.Namespace) -> int:
    from .analysis.compromise import fix_first

    if args.k < 1:
        raise UsageError(f"--k must be at least 1, not {args.k}")
    model = _load(args.model, args.strict)
    plan = fix_first(model, k=args.k)
    before, cut, inexact = (plan.attrs["expected_records_before"], plan.attrs["min_cut"],
                            plan.attrs["inexact_holders"])
    _inexact_note(inexact, args.lang)
    if args.format == "json":  # the plan's rows and, beside them, what they start from and the minimum cut
        payload = {"expected_records_before": before, "min_cut": cut, "inexact_holders": inexact,
                   "steps": [{k: _plain(v) for k, v in r.items()} for r in plan.to_dict("records")]}
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str, allow_nan=False))
        return EXIT_OK
    if args.format == "csv":
        emit_table(plan, "csv")
        return EXIT_OK
    lang, en = args.lang, args.lang == "en"
    names = _element_names(model, lang)
    actions = {"control": ("完全に有効化", "make fully effective"), "flow": ("遮断", "block")}
    view = plan.assign(
        action=[actions[k][1 if en else 0] for k in plan["kind"]],
        name=[names.get((k, i), "") for k, i in zip(plan["kind"], plan["id"])],
        fall=[_records_text(x) for x in plan["fall"]],
        cumulative_fall=[_records_text(x) for x in plan["cumulative_fall"]],
        expected_records=[_records_text(x) for x in plan["expected_records"]],
        in_min_cut=[w if k == "flow" else "" for w, k in zip(_yes_no(plan["in_min_cut"], lang), plan["kind"])])
    print(f"expected records at stake before the plan: {_records_text(before)} a year\n"
          "(Σ over the My Number holders of compromise probability × people held)" if en else
          f"対策前の記録の期待値: {_records_text(before)} 件/年"
          "（個人番号保有システムごとの 侵害確率 × 保有人数 の合計）")
    if plan.empty and inexact:  # nothing computed exactly is no evidence that nothing helps
        print("  no plan for the holders computed exactly (none of their fixes lowers it); the holders too large "
              "to compute exactly are left out (above)" if en else
              "  正確に計算できた保有システムには下げられる対策・流れはありません。正確に計算できなかった保有システム"
              "（上記）は計画に含みません")
    elif plan.empty:
        print("  nothing lowers it: no control or flow stands between an entry point and a My Number holder"
              if en else "  下げられる対策・流れはありません（入口と個人番号保有システムの間に対策も流れもない）")
    else:
        emit_table(_headed(view, _FIX_FIRST_HEADINGS, lang), "table")
    print("minimum cut (the fewest flows that cut every path to a My Number holder):" if en else
          "最小カット（個人番号保有システムへのすべての経路を断つ最少の流れ）:")
    print(textwrap.fill(", ".join(cut) or "-", width=100, initial_indent="  ", subsequent_indent="  "))
    print("each step lowers the expected records most, given the steps before (greedy); the minimum cut answers\n"
          "another question: which flows cut every path." if en else
          "各手順は、それまでの手順の後で期待値を最も下げるもの（貪欲法）。\n"
          "最小カットは別の問い（すべての経路を断つ流れはどれか）に答えます。")
    return EXIT_OK


def _cmd_importance(args: argparse.Namespace) -> int:
    from .analysis.compromise import control_importance, flow_importance
    from .outputs.wording import percent
    from .util.words import status_word

    model = _load(args.model, args.strict)
    kind = "control" if args.of == "controls" else "flow"
    table = (control_importance if kind == "control" else flow_importance)(model, by_holder=args.by_holder)
    _inexact_note(table.attrs["inexact_holders"], args.lang)
    if args.format != "table":
        emit_table(table, args.format)
        return EXIT_OK
    lang, en = args.lang, args.lang == "en"
    names = _element_names(model, lang)
    key = f"{kind}_id"
    view = table.assign(id=table[key], name=[names.get((kind, i), "") for i in table[key]])
    for column in ("birnbaum", "birnbaum_max", "probability"):
        if column in view:
            view[column] = [percent(x, lang) for x in view[column]]
    for column in ("birnbaum_weighted", "records_fall", "records"):
        if column in view:
            view[column] = [_records_text(x) for x in view[column]]
    if "status" in view:
        view["status"] = [status_word(s, lang) for s in view["status"]]
        view["effectiveness"] = [percent(x, lang) for x in view["effectiveness"]]
    headings = {c: w for c, w in _IMPORTANCE_HEADINGS.items() if c in ("id", "name") or c in table.columns}
    emit_table(_headed(view, headings, lang), "table")
    if kind == "control":
        print("importance (Birnbaum) = P(holder compromised | the control fails) − P(… | it holds);\n"
              "fall = the fall in expected records a year if the control were fully effective (implemented, 100%)."
              if en else
              "重要度（Birnbaum）= 対策が機能しないときの侵害確率 − 機能するときの侵害確率\n"
              "（個人番号保有システムごと）。期待値の減少 = その対策を完全に有効（実施済み・有効性100%）に\n"
              "したときの、1年あたりの記録の期待値の減少。")
    else:
        print("importance (Birnbaum) = P(holder compromised | the flow passable) − P(… | the flow blocked);\n"
              "fall = the fall in expected records a year if the flow were blocked." if en else
              "重要度（Birnbaum）= 流れが通れるときの侵害確率 − 遮断したときの侵害確率\n"
              "（個人番号保有システムごと）。\n"
              "期待値の減少 = その流れを遮断したときの、1年あたりの記録の期待値の減少。")
    return EXIT_OK


_COVERAGE_HEADINGS = {
    # (elements × risks = pairs: the two factors are in csv and json)
    "stage": ("段階", "stage"), "name": ("名称", "name"), "pairs": ("組", "pairs"), "covered": ("対策あり", "covered"),
    "planned": ("計画中", "planned"), "gaps": ("対策なし", "gaps"), "coverage": ("網羅率", "coverage"),
    "coverage_if_planned": ("計画分を含む網羅率", "with planned"),
    "reason": ("対象外の理由（宣言）", "why n/a"),
}


def _cmd_coverage(args: argparse.Namespace) -> int:
    from .analysis.coverage import rating_check, stage_coverage
    from .catalog import read_table
    from .outputs.section3 import declared_out_cells
    from .outputs.wording import percent

    model = _load(args.model, args.strict)
    table = stage_coverage(model)
    if args.format != "table":
        if args.format != "json":  # a declared-out stage reads 対象外（宣言: …）, not NaN; JSON keeps null
            table = declared_out_cells("stage_coverage", table, rating_check(model))
        emit_table(table, args.format)
        return EXIT_OK
    lang, ja = args.lang, args.lang != "en"
    declarations = read_table("stage_declarations.csv")
    declared_en = dict(zip(declarations["label_ja"], declarations["label_en"]))

    def reason(declared: str, in_scope: bool) -> str:  # why a stage has no ratio: declared out, or nothing in it
        if declared:
            labels = [d.strip() for d in str(declared).split("、") if d.strip()] or [str(declared)]
            return (str(declared) if ja else
                    "declared: " + ", ".join(declared_en.get(d, d) for d in labels))
        return "" if in_scope else ("要素なし" if ja else "nothing to assess")

    out_word = "対象外" if ja else "n/a"  # the reason is in its own column
    reasons = [reason(d, bool(i)) for d, i in zip(table.get("declared", [""] * len(table)), table["in_scope"])]
    ratio = {col: [percent(v, lang) if r == "" else out_word for v, r in zip(table[col], reasons)]
             for col in ("coverage", "coverage_if_planned")}
    # (in_scope is not shown: a stage out of scope says 対象外 and why)
    view = table.assign(name=_stage_names(table["stage"], lang), reason=reasons, **ratio)
    headings = dict(_COVERAGE_HEADINGS)
    if not any(reasons):
        del headings["reason"]  # every stage has a ratio: the column would be empty
    emit_table(_headed(view, headings, lang), "table")
    return EXIT_OK


_FINDINGS_HEADINGS = {
    "finding_id": ("ID", "id"), "status": ("状態", "status"), "risk_level": ("リスク水準", "risk level"),
    "stage": ("段階", "stage"), "assumed": ("仮定", "assumed"), "title": ("指摘", "finding"),
    "detail": ("詳細", "detail"),
}
# The analyst's decision as a terminal table says it (--decided): the state judged on --today, its date.
_DECISION_STATE_WORDS = {"accepted": ("受容", "accepted"), "false_positive": ("誤検知", "false positive"),
                         "fixing": ("対応中", "fixing"),
                         "reopened": ("再開（見直し期限切れ）", "reopened (review due)"), "undecided": ("", "")}
_TRIAGE_TODAY_HELP = ("the day the analyst's decisions (triage.csv) are judged on: a decision past its review date "
                      "shows its finding as open again. 2026-04-01, 2026/4/1, 令和8年4月1日 or R8.4.1 (default: "
                      "today's date)")


def _triage_warn(model, found, strict: bool) -> None:
    """Print the findings-time warnings of the analyst's decisions, located as the loader locates rows."""
    import dataclasses

    from .formats import row_places

    problems = found.attrs.get("triage_warnings") or []
    if not problems:
        return
    naming, places = row_places(model)
    rows = places.get("triage", [])
    # the analysis counts rows from line 2; the reader knows each row's real line (a workbook's sheet row …)
    problems = [dataclasses.replace(p, line=rows[p.line - 2][1]) if p.line and 0 <= p.line - 2 < len(rows) else p
                for p in problems]
    problems = naming.located(problems)
    if strict:
        raise StrictWarnings(problems)
    for problem in problems:
        print(f"warning: {mask_numbers(str(problem))}", file=sys.stderr)


def _decision_text(row, lang: str) -> str:
    """The --decided column: 受容（2026-10-01 山田、見直し 2027-03-31）, or "" for an undecided finding."""
    state = row["decision_state"]
    if state == "undecided":
        return ""
    ja = lang != "en"
    word = _DECISION_STATE_WORDS[state][0 if ja else 1]
    if state == "reopened":
        word += ("：" if ja else ": ") + _DECISION_STATE_WORDS[row["decision"]][0 if ja else 1]
    who = ", ".join(x for x in (row["decided_by"], row["decided_on"]) if x)
    due = row["review_on"]
    if due:
        who += (f"、見直し {due}" if ja else f"; review {due}") if row["decision"] != "fixing" else \
            (f"、期限 {due}" if ja else f"; due {due}")
    reason = f" {row['decision_reason']}" if row["decision_reason"] else ""
    return f"{word}（{who}）{reason}" if ja else f"{word} ({who}){reason}"


def _cmd_findings(args: argparse.Namespace) -> int:
    import datetime as dt

    from .analysis.findings import find_findings
    from .analysis.findings.triage import decided
    from .outputs.wording import CouncilWords, count_noun

    model = _load(args.model, args.strict)
    # the analyst's decisions are judged on a day: --today, else the wall clock (interactive use)
    found = find_findings(model, include_all=args.all, exposure_threshold=args.threshold,
                          as_of=args.today or dt.date.today())
    _triage_warn(model, found, args.strict)
    if args.format != "table":  # csv and json carry every finding, decided or not, with the decision columns
        emit_table(found, args.format)
        return EXIT_OK
    lang, ja = args.lang, args.lang != "en"
    hidden = decided(found)
    n_hidden = int(hidden.sum())
    if not args.decided:
        found = found.loc[~hidden].reset_index(drop=True)
    # on a terminal, open findings first (csv and json keep the engine's order)
    found = found.sort_values("status", key=lambda s: s.ne("open"), kind="stable").reset_index(drop=True)
    words = CouncilWords(model, lang)
    statuses = {"not_applicable": "not_applicable_finding"}  # a rule that does not apply, not a declared stage
    view = found.assign(
        status=[words.status(statuses.get(s, s)) for s in found["status"]],
        risk_level=[f"{words.level(v)} ({int(v)})" for v in found["risk_level"]],
        stage=_stage_names(found["stage"], lang),
        assumed=_yes_no(found["assumed"], lang), title=found[f"title_{lang}"], detail=found[f"detail_{lang}"],
        decision=[_decision_text(r, lang) for r in found.to_dict("records")])
    headings = dict(_FINDINGS_HEADINGS)
    if args.decided:  # beside the status: the analysis' verdict and the analyst's decision, both
        items = list(headings.items())
        headings = dict(items[:2] + [("decision", ("判断", "decision"))] + items[2:])
    emit_table(_headed(view, headings, lang), "table")
    # the table's assumed column is easy to miss in a wide listing: say it once more below
    # (the ids are in the table's column; listing them here would make a line as wide as the model)
    assumed = int(found["assumed"].sum())
    print(f"前提（仮定）に基づく指摘: {assumed}件（全 {len(found)}件中。仮定の列。--format csv で行の一覧）" if ja else
          f"{assumed} of {count_noun(len(found), 'finding')} rest on an assumption (column assumed; --format csv "
          "lists the rows)")
    judged = found.attrs.get("triage_as_of") or args.today or dt.date.today()
    if n_hidden and not args.decided:
        print(f"判断済みの指摘 {n_hidden}件を表示していません（--decided で表示。{judged.isoformat()} 時点の判断）"
              if ja else f"{count_noun(n_hidden, 'decided finding')} hidden (--decided; decisions as of "
              f"{judged.isoformat()})")
    elif n_hidden:
        print(f"判断済みの指摘 {n_hidden}件を含みます（{judged.isoformat()} 時点の判断）" if ja else
              f"{count_noun(n_hidden, 'decided finding')} shown (decisions as of {judged.isoformat()})")
    return EXIT_OK


def _cmd_procedure(args: argparse.Namespace) -> int:
    import datetime as dt

    from .analysis.procedure import procedure_check

    model = _load(args.model, args.strict)
    # the re-run and the yearly review are judged on a day: --today, else the wall clock (interactive use)
    table = procedure_check(model, today=args.today or dt.date.today())
    if args.format == "table":  # the columns a reader needs on a terminal; csv and json give them all
        table = table[["check", "status", f"detail_{args.lang}", f"question_{args.lang}", "rule_id", "duty"]]
    emit_table(table, args.format)
    return EXIT_OK


def _cmd_section3(args: argparse.Namespace) -> int:
    import datetime as dt

    from .analysis.coverage import rating_check
    from .analysis.judgments import section3_table
    from .outputs.section3 import declared_out_cells, write_section3
    from .outputs.wording import percent

    _named(args.out)
    if args.out and Path(args.out).suffix.lower() not in (".xlsx", ".md"):
        raise UsageError(f"--out {args.out}: the Section Ⅲ table is written as .xlsx or .md")
    if args.out:
        check_file_target(args.out, force=args.force, inputs=[args.model])  # before any work
    model = _load(args.model, args.strict)
    as_of = args.today or dt.date.today()  # the analyst's decisions are judged on --today, else the wall clock
    table = section3_table(model, as_of=as_of)
    if args.out:
        write_section3(model, Path(args.out), force=args.force, inputs=[args.model], as_of=as_of)
        print(f"Section Ⅲ table written to {args.out}", file=sys.stderr)
    else:
        if args.format != "json":
            # in text: 対象外 with the declaration for a declared-out item, 未評価 for an unrated one, — for the
            # cells a free-text row has no value for (JSON keeps null)
            table = declared_out_cells("section3", table, rating_check(model))
            rated = table["row_kind"] == "rated"
            unrated = "not rated" if args.lang == "en" else "未評価"
            table["rating"] = table["rating"].astype(object).where(table["rating"].notna(),
                                                                   rated.map({True: unrated, False: "—"}))
            if args.format == "table":  # percentages and words in the chosen language; csv keeps the numbers
                table["coverage"] = [percent(x, args.lang) if isinstance(x, float) and x == x
                                     else x if isinstance(x, str) else "—" for x in table["coverage"]]  # 対象外 …
                table["stage"] = _stage_names(table["stage"], args.lang)
                table["rating_status"] = [_RATING_CHECK_WORDS.get(w, (w, w))[1 if args.lang == "en" else 0]
                                          for w in table["rating_status"]]
                table = _headed(table.assign(name=table["name_en" if args.lang == "en" else "name_ja"]),
                                _SECTION3_HEADINGS, args.lang)
                if args.lang == "en":  # the declared-out cells (対象外（宣言: 委託しない）) in English
                    from .outputs.briefing import declaration_word

                    def english(v: object) -> object:
                        return re.sub(r"対象外（宣言: (.+?)）",
                                      lambda m: f"n/a (declared: {declaration_word(m.group(1), 'en')})", v) \
                            if isinstance(v, str) else v
                    table = table.apply(lambda col: col.map(english))
            else:
                table["coverage"] = table["coverage"].astype(object).where(table["coverage"].notna(), "—")
        emit_table(table, args.format)
    return EXIT_OK


# The terminal table of section3 (--format table): the form's columns, headed in --lang.
_SECTION3_HEADINGS = {
    "risk_id": ("ID", "id"), "stage": ("段階", "stage"), "form_item_ja": ("様式の項目", "form item"),
    "name": ("リスク", "risk"), "rating": ("評価", "rating"), "implemented_controls": ("実施済みの対策", "implemented"),
    "planned_controls": ("計画中の対策", "planned"), "coverage": ("網羅率", "coverage"),
    "rating_status": ("評価の検証", "rating check"), "open_findings": ("未解決の指摘", "open findings"),
    "decided_findings": ("判断済みの指摘", "decided findings"), "text": ("記載", "text"),
}
_RATING_CHECK_WORDS = {"unrated": ("未評価", "not rated"), "free_text": ("記述式", "free text"),
                       "overclaimed": ("評価が裏付けられない", "not borne out"), "consistent": ("整合", "consistent"),
                       "not_applicable": ("対象外", "not applicable")}


# -- scenarios and versions (pia_analysis.whatif.scenario, pia_analysis.whatif.versions) ------------------------------


def _problems(header: str, exc: ModelError) -> int:
    print(f"error: {mask_numbers(header)}: {len(exc.problems)} problem(s)", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_MODEL


def _section(title: str, frame: pd.DataFrame, empty: str = "  (none)") -> None:
    print(f"\n{title}")
    if frame.empty:
        print(empty)
    else:
        emit_table(frame, "table")  # numbers to six significant figures there (JSON keeps full precision)


# The terminal tables of a comparison (scenario, diff): headings, metrics, kinds of change, stages, statuses and
# levels in words of --lang; probabilities and ratios as percentages (a change in percentage points), counts as
# whole numbers; the ids stay in their own column (JSON keeps the codes and full precision).
_METRIC_WORDS = {
    "max_mn_exposure": ("個人番号保有システムの最大曝露（年間確率）",
                        "highest exposure of a My Number holder (a year)"),
    "records_at_stake": ("記録の期待値（件）", "expected records"),
    "reached_systems": ("到達されうるシステム", "systems reachable"),
    "covered_pairs": ("対策のある組", "covered pairs"), "gaps": ("対策のない組", "gaps"),
    "coverage": ("網羅率", "coverage"), "open_findings": ("未対応の指摘", "open findings"),
    "open_risk_level_4": ("未対応の指摘（重大）", "open findings (critical)"),
}
_RATIO_METRICS = frozenset({"max_mn_exposure", "coverage"})
_CHANGE_WORDS = {
    "exposure_changed": ("確率が変化", "probability changed"), "path_changed": ("経路が変化", "path changed"),
    "zone_crossings_changed": ("ゾーン越えが変化", "zone crossings changed"), "added": ("追加", "added"),
    "removed": ("削除", "removed"), "unchanged": ("変化なし", "unchanged"),
    "appeared": ("新たな指摘", "appears"), "disappeared": ("なくなる指摘", "disappears"),
    "risk_level_changed": ("水準が変化", "level changed"), "status_changed": ("状態が変化", "status changed"),
}


def _comparison_tables(c, lang: str) -> dict[str, pd.DataFrame]:
    """The four terminal tables of a comparison in ``lang``: headline, exposure, coverage, findings."""
    from .catalog import read_table
    from .util.words import percent, status_word

    en = lang == "en"
    pick = 1 if en else 0
    none = "—"

    def is_missing(v) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    def pct(v) -> str:
        return none if is_missing(v) else percent(float(v), lang)

    def points(v) -> str:  # a change of a percentage, in percentage points (a relative % would misread)
        if is_missing(v):
            return none
        value = round(100 * float(v), 1)
        return ("±0" if value == 0 else f"{value:+.1f}") + (" pt" if en else " ポイント")

    def count(v, signed: bool = False) -> str:
        if is_missing(v):
            return none
        n = int(round(float(v)))
        return (f"{n:+,}" if n else "±0") if signed else f"{n:,}"

    head = c.headline()
    headline = pd.DataFrame({
        ("指標" if not en else "metric"): [_METRIC_WORDS.get(m, (m, m))[pick] for m in head["metric"]],
        ("変更前" if not en else "before"): [pct(b) if m in _RATIO_METRICS else count(b)
                                          for m, b in zip(head["metric"], head["before"])],
        ("変更後" if not en else "after"): [pct(a) if m in _RATIO_METRICS else count(a)
                                         for m, a in zip(head["metric"], head["after"])],
        ("差" if not en else "change"): [points(d) if m in _RATIO_METRICS else count(d, signed=True)
                                        for m, d in zip(head["metric"], head["delta"])],
        ("備考" if not en else "note"): head["note"].astype(str),
    })
    changed = c.changed_exposure()

    def moved(before, after, fmt) -> str:  # "a → b" when it changed, else the one value
        return fmt(before) if fmt(before) == fmt(after) else f"{fmt(before)} → {fmt(after)}"

    exposure = pd.DataFrame({
        "ID": changed["system_id"],
        ("個人番号" if not en else "My Number"): changed["holds_my_number"].map(
            {True: "○" if not en else "yes", False: ""}),
        ("変化" if not en else "change"): [_CHANGE_WORDS.get(k, (k, k))[pick] for k in changed["change"]],
        ("曝露（年間確率）" if not en else "exposure (a year)"): [
            moved(b, a, pct) for b, a in zip(changed["exposure_before"], changed["exposure_after"])],
        ("経路（変更前）" if not en else "path before"): changed["path_before"],
        ("経路（変更後）" if not en else "path after"): changed["path_after"],
        ("ゾーン越え" if not en else "zone crossings"): [
            moved(b, a, count) for b, a in zip(changed["zone_crossings_before"], changed["zone_crossings_after"])],
    })
    cov = c.coverage_delta
    side = {}
    for name, table in (("before", c.coverage_before), ("after", c.coverage_after)):
        # a stage a model declares not applicable reads 対象外 (its declaration), not "-"
        declared = dict(zip(table["stage"], table["declared"])) if "declared" in table else {}
        side[name] = [(f"対象外（宣言: {declared[st]}）" if not en else "n/a (declared)") if declared.get(st)
                      else pct(v) for st, v in zip(cov["stage"], cov[f"coverage_{name}"])]
    coverage = pd.DataFrame({
        ("段階" if not en else "stage"): _stage_names(cov["stage"], lang),
        ("組" if not en else "pairs"): [moved(b, a, count) for b, a in zip(cov["pairs_before"], cov["pairs_after"])],
        ("対策あり" if not en else "covered"): [moved(b, a, count) for b, a in
                                             zip(cov["covered_before"], cov["covered_after"])],
        ("網羅率（変更前）" if not en else "coverage before"): side["before"],
        ("網羅率（変更後）" if not en else "coverage after"): side["after"],
        ("差" if not en else "change"): [points(d) for d in cov["coverage_delta"]],
    })
    levels = {int(r["level"]): r["label_en" if en else "label_ja"]
              for r in read_table("risk_scales.csv").to_dict("records") if r["scale"] == "risk_level"}
    f = c.findings_delta if c.findings_delta is not None else pd.DataFrame(
        columns=["finding_id", "change", "status_before", "status_after", "risk_level_before", "risk_level_after"])

    def level(v) -> str:  # 0 or empty: the finding is absent on that side
        return none if is_missing(v) or not int(v) else levels.get(int(v), str(v))

    findings = pd.DataFrame({
        ("指摘ID" if not en else "finding"): f["finding_id"],
        ("変化" if not en else "change"): [_CHANGE_WORDS.get(k, (k, k))[pick] for k in f["change"]],
        ("状態" if not en else "status"): [moved(b, a, lambda v: status_word(v, lang) if v else none)
                                          for b, a in zip(f["status_before"], f["status_after"])],
        ("リスクの水準" if not en else "risk level"): [moved(b, a, level) for b, a in
                                                   zip(f["risk_level_before"], f["risk_level_after"])],
    })
    return {"headline": headline, "exposure": exposure, "coverage": coverage, "findings": findings}


def _print_comparison(c, lang: str = "ja") -> None:
    from .whatif.compare import EXPOSURE_CHANGES

    en = lang == "en"
    tables = _comparison_tables(c, lang)
    _section("主な数値" if not en else "Headline", tables["headline"])
    # A system whose probability is unchanged but whose most likely path, entry point or zone crossings
    # changed is listed too (path changed / zone crossings changed): "does the attacker now come in
    # elsewhere?" is the council's question even when the number stays the same.
    _section("曝露: 確率または最も起こりやすい経路が変わるシステム" if not en else
             "Exposure: systems whose exposure or most likely attack path changed", tables["exposure"],
             empty="  （なし）" if not en else "  (none)")
    kinds = c.changed_exposure()["change"].value_counts()
    if len(kinds):
        print("  " + ("、" if not en else ", ").join(f"{_CHANGE_WORDS[k][1 if en else 0]} {int(kinds[k])}"
                                                    for k in EXPOSURE_CHANGES if k in kinds))
    _section("段階ごとの網羅率" if not en else "Coverage per stage", tables["coverage"])
    _section("現れる・なくなる・変わる指摘" if not en else "Findings that appear, disappear or change",
             tables["findings"], empty="  （なし）" if not en else "  (none)")


def _cmd_scenario(args: argparse.Namespace) -> int:
    from .whatif.apply import apply_scenario, scenario_effects, with_id_problems
    from .whatif.compare import compare
    from .whatif.scenario import load_scenario

    if args.report is not None:
        check_pack_target(args.report, inputs=[args.model, args.scenario], option="--report")  # before any work
    model = _load(args.model, args.strict)
    try:
        scenario = load_scenario(args.scenario)
    except ModelError as exc:  # with the ids the model lacks: every problem of the file at once
        return _problems(f"the scenario {args.scenario} is not valid", with_id_problems(model, exc))
    try:
        changed = apply_scenario(model, scenario)
        effects = scenario_effects(model, scenario)
    except ModelError as exc:
        return _problems(f"the scenario {args.scenario} cannot be applied to {args.model}", exc)
    comparison = compare(model, changed, label_before=model.id, label_after=scenario.id)
    if args.format == "json":
        payload = {
            "scenario": {"id": scenario.id, "title_ja": scenario.title_ja, "title_en": scenario.title_en,
                         "source": scenario.source, "path": str(scenario.path)},
            "model": model.id,
            "effects": [{k: _plain(v) for k, v in r.items()} for r in effects.to_dict("records")],
            **comparison.to_dict(),
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
    else:
        en = args.lang == "en"
        print(f"{'Scenario' if en else 'シナリオ'} {scenario.id}: {scenario.title(args.lang)}")
        if scenario.source:
            print(f"  {'source' if en else '出典'}: {scenario.source}")
        print(f"  {'model' if en else 'モデル'}: {model.id} — {model.title(args.lang)}")
        counts = effects.groupby(["table", "op"]).size()
        ops = {"add": "追加", "remove": "削除", "set": "変更"}
        print(("  changes: " if en else "  変更: ") + (", " if en else "、").join(
            f"{t} {o if en else ops.get(o, o)} {n}" for (t, o), n in counts.items()))
        _print_comparison(comparison, args.lang)
    if args.report is not None:
        _scenario_report(model, changed, scenario, comparison, effects, Path(args.report), args.lang,
                         inputs=[args.model, args.scenario])
    return EXIT_OK


def _scenario_report(model, changed, scenario, comparison, effects, out: Path, lang: str, inputs=()) -> None:
    from .charts.delta import build_delta_files
    from .util.spreadsheet import csv_text
    from .outputs.briefing import build_report
    from .util.files import write_pack

    ja = lang != "en"
    meta = dict(changed.meta)
    # The pack is about the changed model: its title says so on every page.
    meta["title_ja"] = f"{meta['title_ja']}［シナリオ: {scenario.title('ja')}］"
    meta["title_en"] = f"{meta['title_en']} [scenario: {scenario.title('en')}]"
    say = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
    # One pack: the changed model's briefing and its delta/ sub-folder are built in the same temporary
    # folder, listed in one manifest and moved into place together (or not at all).
    extra = {
        "comparison.json": json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n",
        "effects.csv": csv_text(effects.assign(before=effects["before"].map(_cell), after=effects["after"].map(_cell))),
    }

    def build(work: Path) -> None:
        # the base model keys the zone colours: a zone keeps its colour from the base's pack to this one
        build_report(changed.replace(meta=meta), work, lang=lang, progress=say, base=model)
        say("[delta] exposure and coverage before/after charts")
        build_delta_files(comparison, work / "delta", lang=lang, title=scenario.title("ja" if ja else "en"),
                          extra_files=extra)

    write_pack(out, build, inputs=inputs, option="--report")
    print(f"briefing pack for the changed model written to {out} (delta charts in {out / 'delta'})")


def _cell(value) -> str:
    # an added or removed row has no before/after value: an empty cell, never "nan" (issue 14)
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _cmd_diff(args: argparse.Namespace) -> int:
    from .whatif.versions import diff

    # Both models are read before any is reported, so that two broken models show all their problems at once.
    loaded, failed = [], []
    for path in (args.old, args.new):
        try:
            loaded.append(_load(path, args.strict))
        except ModelError as exc:
            failed.append((path, exc))
    for path, exc in failed:
        _problems(f"the model at {path} has warnings, errors with --strict" if isinstance(exc, StrictWarnings)
                  else f"the model at {path} is not valid", exc)
    if failed:
        return EXIT_MODEL
    old, new = loaded
    d = diff(old, new, provenance=args.provenance)
    if args.format == "json":
        print(json.dumps(d.to_dict(), ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    if args.format == "csv":
        # The rows of (別添3) 変更箇所, ready to paste into the form.
        print(d.change_sheet().to_csv(index=False, lineterminator="\n"), end="")
        return EXIT_OK
    en = args.lang == "en"
    print(f"{old.id} → {new.id}")
    print(f"  {d.verdict(args.lang)}")
    _section("Changes by table" if en else "表ごとの変更", d.summary())
    reasons = "reasons_en" if en or "reasons_ja" not in d.important.columns else "reasons_ja"
    _section("Important changes (重要な変更)" if en else "重要な変更",
             d.important[["table", "id", "change", "rules", reasons]])
    _section("Every change" if en else "すべての変更",
             d.changes[["table", "id", "change", "change_class", "rule", "fields"]])
    _section("(別添3) 変更箇所", d.change_sheet()[["項目", "変更前の記載", "変更後の記載", "提出時期"]])
    _print_comparison(d.comparison, "en")  # (diff's sections are in English; its verdict in both)
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    from .analysis.coverage import declared_out
    from .outputs.wording import percent
    from .whatif.versions import history_coverage, version_chain, version_history

    chain = version_chain(args.model)  # loaded once for both tables
    for version in chain:  # each version's warnings, as _load prints a model's
        _warn(version, args.strict)
    history = version_history(chain)
    coverage = history_coverage(chain)
    if args.format == "json":
        payload = {
            "versions": [{k: _plain(v) for k, v in r.items()} for r in history.to_dict("records")],
            "coverage": [{k: (None if isinstance(v, float) and v != v else _plain(v)) for k, v in r.items()}
                         for r in coverage.to_dict("records")],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    en = args.lang == "en"
    print(f"{len(history)} version(s), oldest first" if en else f"{len(history)} 版（古い順）")
    view = history.assign(
        required=[_REQUIRED_WORDS.get(r, (r, r))[1 if en else 0] for r in history["required"]],
        max_mn_exposure=[percent(x, args.lang) for x in history["max_mn_exposure"]],
        records_at_stake=history["records_at_stake"].round().astype("int64"))
    _section("Exposure and findings per version" if en else "版ごとの曝露と指摘",
             _headed(view, _HISTORY_HEADINGS, args.lang))
    shown = coverage.drop(columns=["name_ja"]).astype(object)
    for col in shown.columns[1:]:  # a share as a percentage; a stage with no pairs as —
        shown[col] = [percent(x, args.lang) if isinstance(x, float) and x == x else "—" for x in shown[col]]
    for i, version in enumerate(chain):  # a stage whose every rated item a version declares out reads 対象外
        out = declared_out(version)
        items = version.rated_items.groupby("stage")["rated_item_id"].agg(list)
        gone = [stage for stage, ids in items.items() if stage and all(item in out for item in ids)]
        shown.loc[shown["stage"].isin(gone), shown.columns[i + 1]] = "not applicable" if en else "対象外"
    shown["stage"] = _stage_names(shown["stage"], args.lang)
    shown = shown.rename(columns={"stage": "stage" if en else "段階"})
    _section("Coverage per stage and version" if en else "版ごと・段階ごとの網羅率", shown)
    return EXIT_OK


# The terminal table of history (--format table), headed in --lang; json keeps the column names and codes.
_HISTORY_HEADINGS = {
    "version": ("版", "version"), "assessed_on": ("評価実施日", "assessed on"),
    "target_population": ("対象人数", "people covered"), "required": ("必要な評価", "assessment required"),
    "systems": ("システム", "systems"), "mn_holders": ("個人番号を保有", "My Number holders"),
    "mn_holders_outside_city": ("うち団体の外", "of them outside the body"),
    "max_mn_exposure": ("最大の曝露", "highest exposure"), "max_mn_system": ("そのシステム", "its system"),
    "records_at_stake": ("期待値", "expected records"), "open_findings": ("未解決の指摘", "open findings"),
    "vs_previous": ("前版との比較", "vs previous"), "important_changes": ("重要な変更", "important changes"),
}
_REQUIRED_WORDS = {"none": ("不要", "none"), "basic": ("基礎項目評価", "basic"), "focused": ("重点項目評価", "focused"),
                   "full": ("全項目評価", "full")}


# -- workbooks and interchange (pia_analysis.formats.workbook, pia_analysis.outputs.interchange) -----------------------


def _written(path: Path, what: str) -> None:
    print(f"{what} written to {path}", file=sys.stderr)


def _cmd_new(args: argparse.Namespace) -> int:
    from .formats.templates import new_model

    _named(args.path)
    try:
        out = new_model(Path(args.path), xlsx=args.xlsx, force=args.force)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise WriteFailed(args.path, exc.strerror or str(exc)) from None
    kind = "workbook" if out.suffix.lower() == ".xlsx" else "directory"
    print(f"blank model {kind} written to {out}")
    print("  fill it in (target_population: the people in the files; the 0 written is a placeholder that "
          "validate refuses),")
    print(f"  then check it with: pia-analysis validate {out}")
    return EXIT_OK


_NOT_A_MODEL_SUFFIXES = (".xls", ".xlsm", ".xlsb", ".ods", ".csv", ".json", ".yaml", ".yml", ".zip")


def _cmd_convert(args: argparse.Namespace) -> int:
    from .formats.templates import convert

    _named(args.dst)
    dst = Path(args.dst)
    if dst.suffix.lower() in _NOT_A_MODEL_SUFFIXES and not dst.is_dir():
        raise UsageError(f"{args.dst}: the destination is a directory or an .xlsx workbook")
    if Path(args.src).resolve() == dst.resolve():
        raise UsageError(f"{args.src} and {args.dst} are the same path")
    try:
        out = convert(args.src, dst, overwrite=args.force, option="DST")
    except ModelError as exc:
        return _problems(f"the model at {args.src} is not valid (nothing was written)", exc)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise WriteFailed(args.dst, exc.strerror or str(exc)) from None
    print(f"model converted: {args.src} → {out}")
    return EXIT_OK


def _refuse_losses(args: argparse.Namespace, losses: list[tuple[str, str]]) -> int:
    """import-otm --force refused: each file it would lose, and what to do instead (nothing is written)."""
    en = args.lang == "en"
    print((f"error: {args.dir} holds data {args.otm} does not carry; import-otm --force would replace or delete "
           "it, so nothing was written:") if en else
          (f"エラー: {args.dir} には {args.otm} が運ばないデータがあります。import-otm --force はそれを置き換えるか"
           "消すので、何も書きませんでした:"), file=sys.stderr)
    for name, what in losses:
        print(f"  {mask_numbers(str(Path(args.dir) / name))}: {mask_numbers(what)}", file=sys.stderr)
    print((f"  import into a new folder and compare: pia-analysis import-otm {args.otm} NEW_DIR, then "
           f"pia-analysis diff {args.dir} NEW_DIR; or move these files away yourself and run the import again")
          if en else
          (f"  新しいフォルダに取り込んで比べてください: pia-analysis import-otm {args.otm} 新しいフォルダ、"
           f"次に pia-analysis diff {args.dir} 新しいフォルダ。または、これらのファイルを自分で移してから"
           "取り込み直してください"), file=sys.stderr)
    return EXIT_MODEL


def _cmd_import_otm(args: argparse.Namespace) -> int:
    from .formats import save_model, validate
    from .formats.otm import from_otm, import_losses, import_report, read_otm, remainder_in
    from .formats.pytm import from_pytm, is_pytm
    from .formats.threagile import from_threagile, is_threagile
    from .util.files import check_dir_update, check_new_dir, write_model_file, write_new_dir

    _named(args.dir)
    src, dst = Path(args.otm), Path(args.dir)
    if src.suffix.lower() not in (".json", ".otm", ".yaml", ".yml"):
        raise UsageError(f"{args.otm}: an Open Threat Model is read from .json (or .otm) or .yaml")
    # the destination is checked before the document is read: a refused folder costs no work
    nonempty = dst.is_dir() and not dst.is_symlink() and any(dst.iterdir())
    if nonempty and not args.force:
        if (dst / "model.yaml").is_file():
            raise UsageError(f"{dst} already exists and is a model directory; add --force to replace its model "
                             "files (model.yaml, the tables and import-report.md; other files are kept)")
        check_dir_update(dst, inputs=[src], option="DIR")  # names what is there
    if nonempty:
        check_dir_update(dst, inputs=[src], option="DIR")
    else:
        check_new_dir(dst, inputs=[src], option="DIR")
    try:
        # Threagile's YAML and pytm's JSON are translated to OTM first; assessed_on's placeholder is --today
        # (default today) so that a run can be repeated
        on = args.today
        otm = None if is_threagile(src) or is_pytm(src) else read_otm(src)
        result = (from_otm(otm, assessed_on=on) if otm is not None else
                  from_threagile(src, assessed_on=on) if is_threagile(src) else from_pytm(src, assessed_on=on))
    except ModelError as exc:
        return _problems(f"{args.otm} cannot be imported (nothing was written)", exc)
    if nonempty and (dst / "model.yaml").is_file():
        # --force never destroys the analyst's data: a file the document does not carry refuses the import
        losses = import_losses(otm.doc if otm is not None else {}, dst, args.lang)
        if losses:
            return _refuse_losses(args, losses)
    report = import_report(result, src.name, args.lang)

    def build(folder: Path) -> None:
        save_model(result.model, folder)
        write_model_file(folder / "import-report.md", report)

    try:
        if nonempty:  # --force: only the files the import writes are replaced (each whole)
            build(dst)
        else:
            write_new_dir(dst, build, inputs=[src], option="DIR")
    except OSError as exc:
        raise WriteFailed(args.dir, exc.strerror or str(exc)) from None
    en = args.lang == "en"
    m = result.model
    print((f"imported {src.name} → {dst}: zones {len(m.zones)}, systems {len(m.systems)}, files {len(m.files)}, "
           f"flows {len(m.flows)}, controls {len(m.controls)}, extra risks {len(m.risks)}") if en else
          (f"{src.name} を {dst} に取り込みました: ゾーン {len(m.zones)}、システム {len(m.systems)}、ファイル "
           f"{len(m.files)}、流れ {len(m.flows)}、対策 {len(m.controls)}、追加リスク {len(m.risks)}"))
    print((f"  {len(result.assumptions)} row(s) with guessed values, {len(result.remainder)} item(s) not imported, "
           f"{len(result.placeholders)} placeholder(s): see {dst / 'import-report.md'}") if en else
          (f"  推定した値のある行 {len(result.assumptions)}、取り込めなかったもの {len(result.remainder)}、"
           f"仮の値 {len(result.placeholders)}: {dst / 'import-report.md'} を参照"))
    for row in remainder_in(result.remainder, args.lang).itertuples(index=False):
        print(f"  - {row.otm_path}: {row.what} ({row.reason})")
    left = validate(dst)
    if left:
        print("left to fill in (pia-analysis validate):" if en else "記入が残っているもの（pia-analysis validate）:")
        for problem in left:
            print(f"  {mask_numbers(str(problem))}")
    else:
        print("the model validates" if en else "モデルは検証を通ります")
    return EXIT_OK


def _cmd_export_otm(args: argparse.Namespace) -> int:
    from .outputs.interchange import write_otm

    _named(args.out)
    if Path(args.out).suffix.lower() not in (".json", ".otm"):
        raise UsageError(f"{args.out}: the Open Threat Model is written as .json (or .otm)")
    check_file_target(args.out, force=args.force, inputs=[args.model])  # before any work
    model = _load(args.model, args.strict)
    try:
        out = write_otm(model, Path(args.out), lang=args.lang, force=args.force, inputs=[args.model])
    except OSError as exc:
        raise WriteFailed(args.out, exc.strerror or str(exc)) from None
    _written(out, "Open Threat Model (OTM 0.2.0)")
    return EXIT_OK


def _cmd_export_findings(args: argparse.Namespace) -> int:
    import datetime as dt

    from .outputs.interchange import findings_to_csv, findings_to_sarif, to_json_text
    from .util.files import write_file

    _named(args.out)
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".sarif", ".json", ".csv"):
        raise UsageError(f"{args.out}: findings are written as .sarif or .json (SARIF 2.1.0), or as .csv")
    check_file_target(args.out, force=args.force, inputs=[args.model])  # before any work
    model = _load(args.model, args.strict)
    as_of = args.today or dt.date.today()  # the analyst's decisions are judged on --today, else the wall clock
    try:
        if suffix == ".csv":
            out = findings_to_csv(model, Path(args.out), exposure_threshold=args.threshold,
                                  include_mitigated=args.include_mitigated, force=args.force, inputs=[args.model],
                                  as_of=as_of)
            what = "findings (CSV)"
        else:  # as write_sarif does, with the day the decisions are judged on
            log = findings_to_sarif(model, exposure_threshold=args.threshold,
                                    include_mitigated=args.include_mitigated, lang=args.lang, as_of=as_of)
            out = write_file(Path(args.out), to_json_text(log).encode("utf-8"), force=args.force,
                             inputs=[args.model])
            what = "findings (SARIF 2.1.0)"
    except OSError as exc:
        raise WriteFailed(args.out, exc.strerror or str(exc)) from None
    _written(out, what)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------
# parser


def _probability(text: str) -> float:
    """A probability option: 0.03 or 3% (as cells and scenarios accept); 3 asks whether 3 % was meant."""
    from .model.cells import nfkc, percent_hint

    value = nfkc(text)
    try:
        number = float(value.removesuffix("%")) / (100 if value.endswith("%") else 1)  # one %, not 3%%
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (write 0.03 or 3%)") from None
    if not 0.0 <= number <= 1.0 or number != number:
        hint = percent_hint(value, number, "")
        raise argparse.ArgumentTypeError(f"{text} is outside [0, 1]" + (f" ({hint.rstrip('; ')})" if hint else ""))
    return number


def _day(text: str):
    from .model.japanese import DateTextError, parse_date_text

    from .model.schema import MAX_DATE, MIN_DATE

    try:  # the forms model.yaml accepts: 2024-04-01, 2024/4/1, 令和6年4月1日, R6.4.1
        day = parse_date_text(text)
    except DateTextError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc} ({exc.hint})") from None
    if not MIN_DATE <= day <= MAX_DATE:  # the bounds of every date of a model (docs/model-format.md, 'Bounds')
        raise argparse.ArgumentTypeError(f"{text!r} is outside {MIN_DATE.isoformat()} … {MAX_DATE.isoformat()}, "
                                         "the dates a model may hold (check the year)")
    return day


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with the usage line, never a traceback
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of ``pia-analysis``: one subcommand per analysis or output.

    Returns
    -------
    argparse.ArgumentParser
        Its parsed arguments carry ``func``, the handler of the chosen command.

    Examples
    --------
    >>> from pia_analysis.cli import build_parser
    >>> args = build_parser().parse_args(["exposure", "model", "--format", "csv"])
    >>> args.command, args.model, args.format
    ('exposure', 'model', 'csv')
    """
    parser = _Parser(prog="pia-analysis", description="Privacy-impact risk analysis of My Number systems.",
                     epilog=EPILOG)
    parser.add_argument("--debug", action="store_true", help="show a traceback on an internal error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def strict(p: argparse.ArgumentParser) -> None:  # one option for every command that loads a model
        p.add_argument("--strict", action="store_true",
                       help="treat the model's warnings (e.g. a population below a My Number file's records) as "
                            "errors: exit 1")

    def lang(p: argparse.ArgumentParser, help_: str = "language of the printed words and headings (default ja)"
             ) -> None:  # one option, as --strict: every command that prints words for people takes it
        p.add_argument("--lang", choices=("ja", "en"), default="ja", help=help_)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str,
            formats: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("model", metavar="MODEL_DIR",
                       help="a model directory (model.yaml and the CSV tables) or an .xlsx workbook")
        strict(p)
        if formats:
            p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
        p.set_defaults(func=func)
        return p

    lang(add("validate", _cmd_validate, "check a model and print a summary"))
    p = add("report", _cmd_report, "write the council briefing pack for a model")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of labels (default ja)")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help="the day the yearly review and the analyst's decisions (triage.csv) are judged on "
                        "(default: the model's assessed_on for the review, today's date for the decisions)")
    p = add("assessment", _cmd_assessment, "write the 評価書 (xlsx and PDF) the threshold requires, with completeness")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (new, empty or an earlier pack)")
    p.add_argument("--form", choices=("auto", "basic", "focused", "full"), default="auto",
                   help="the form: auto (the ones the threshold requires, default), basic, focused or full")
    p.add_argument("--lang", choices=("ja",), default="ja", help="language of the document (ja)")
    lang_help = ("language of the table format's headings, stage names, statuses, levels and yes/no (default ja, "
                 "as report); csv and json keep the column names and codes")
    p = add("exposure", _cmd_exposure, "exposure of each system (the most likely attack path, a lower bound) beside "
                                       "its compromise probability by any path (exact, bounds or sampled)",
            formats=True)
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help=lang_help)
    p.add_argument("--given", action="append", metavar="ID",
                   help="what if: a system known compromised (SYSTEM_ID or system:ID) or a control known failed "
                        "(control:ID); repeatable. Adds the compromise probability given them: conditional "
                        "on what a compromised system implies (e.g. a shared control on its only way failed)")
    p.add_argument("--foothold", action="append", metavar="SYSTEM_ID",
                   help="what if an attacker is placed on this system (an insider, a way outside the model), "
                        "whatever its controls; repeatable. Nothing is inferred about the controls on the ways to "
                        "it (unlike --given)")
    p.add_argument("--trials", type=int, default=None, metavar="N",
                   help="Monte Carlo trials for the systems too large to compute exactly (default: the briefing "
                        "pack's, so that both print the same figures)")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="seed of that Monte Carlo (default: the briefing pack's)")
    p = add("fix-first", _cmd_fix_first, "what to fix first: a greedy plan of k fixes (make a control fully effective "
                                         "or block a flow), each lowering the expected My Number records at stake "
                                         "most, with the cumulative fall, beside the minimum cut", formats=True)
    p.add_argument("--k", type=int, default=5, metavar="N", help="how many steps (default 5; fewer when nothing "
                                                                 "more lowers the expectation)")
    lang(p, lang_help)
    p = add("importance", _cmd_importance, "how much each control (or flow) matters to the My Number holders: "
                                           "Birnbaum importance and the fall in expected records at stake",
            formats=True)
    p.add_argument("--of", choices=("controls", "flows"), default="controls",
                   help="rank the controls (made fully effective, default) or the flows (blocked)")
    p.add_argument("--by-holder", action="store_true", help="one row per control (or flow) and My Number holder")
    lang(p, lang_help)
    p = add("coverage", _cmd_coverage, "risk coverage of each process stage", formats=True)
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help=lang_help)
    p = add("findings", _cmd_findings, "findings of the rule engine", formats=True)
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help=lang_help)
    p.add_argument("--threshold", type=_probability, default=0.01, metavar="P",
                   help="path probability above which an exposed My Number holder is a finding: 0.01 or 1%% "
                        "(default 0.01)")
    p.add_argument("--all", action="store_true", help="also list the rules that do not apply (not_applicable)")
    p.add_argument("--decided", action="store_true",
                   help="also list the findings the analyst decided (triage.csv: accepted, false positive, being "
                        "fixed), with a decision column; hidden by default (csv and json always list them)")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help=_TRIAGE_TODAY_HELP)
    p = add("procedure", _cmd_procedure, "the assessment procedure recorded in model.yaml, checked against the rules",
            formats=True)
    p.add_argument("--today", type=_day, metavar="DATE",
                   help="the day to judge the 5-year re-run and the yearly review on: 2024-04-01, 2024/4/1, "
                        "令和6年4月1日 or R6.4.1 (default: today's date)")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of the table format (default ja)")
    p = add("section3", _cmd_section3, "the Section Ⅲ risk table", formats=True)
    lang(p, lang_help)
    p.add_argument("--out", metavar="FILE.xlsx", help="write the table to an Excel workbook (or .md)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help=_TRIAGE_TODAY_HELP)
    p = add("scenario", _cmd_scenario, "apply a what-if scenario to a model and compare the analyses")
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="a scenario file (see docs/scenarios.md)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--report", metavar="DIR",
                   help="also write the briefing pack of the changed model, with delta charts")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of titles and charts (default ja)")
    p = sub.add_parser("diff", help="differences between two versions of a model, classified",
                       description="differences between two versions of a model, each classified as 重要な変更 "
                                   "(important), 評価書の修正 (revision) or 形式的な変更 (formal)")
    p.add_argument("old", metavar="OLD_DIR", help="the older model directory")
    p.add_argument("new", metavar="NEW_DIR", help="the newer model directory")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (csv: the rows of (別添3) 変更箇所)")
    p.add_argument("--provenance", action="store_true", help="also report changes of the source columns")
    strict(p)
    lang(p)
    p.set_defaults(func=_cmd_diff)
    p = add("history", _cmd_history, "exposure and coverage across the versions of a model (the previous chain)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    lang(p, lang_help)
    # the commands on a city workspace (docs/city.md): a group, `pia-analysis city COMMAND WORKSPACE …`
    city = sub.add_parser("city", help="commands on a city workspace (several affairs with a shared part)",
                          description="commands on a city workspace: a folder with city.yaml, a shared part and one "
                                      "model per affair (docs/city.md)")
    city_sub = city.add_subparsers(dest="city_command", metavar="CITY_COMMAND", parser_class=_Parser)
    city_sub.required = True

    def add_city(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = city_sub.add_parser(name, help=help_, description=help_)
        p.add_argument("model", metavar="WORKSPACE", help="a city workspace: the folder holding city.yaml")
        strict(p)
        p.set_defaults(func=func, subject="workspace")
        return p

    lang(add_city("validate", _cmd_city_validate,
                  "check a city workspace (its index, shared part and every affair) and print a summary"))
    p = add_city("impact", _cmd_city_impact,
                 "per affair, the class of the change between two versions of a city workspace (重要な変更 / "
                 "評価書の修正 / 形式的な変更), its reason and its (別添3) rows")
    p.add_argument("new", metavar="NEW_WORKSPACE", nargs="?", help="the newer version of the workspace")
    p.add_argument("--scenario", metavar="FILE",
                   help="instead of NEW_WORKSPACE: a scenario applied to the workspace (shared ids bare, an affair's "
                        "own as affair:ID; docs/government-cloud.md)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="output format (csv: the (別添3) rows of every affair)")
    lang(p)
    p = add_city("report", _cmd_city_report,
                 "the committee's portfolio of a city workspace: one row per affair (the form required, the dates, "
                 "procedure, coverage by stage, the most exposed holder, open findings) in the order of attention, "
                 "as a briefing pack (PDF, Markdown, CSV, Excel)")
    p.add_argument("--out", required=True, metavar="DIR", help="the pack's folder (missing, empty, or an earlier "
                                                               "pack with --force)")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help="the committee's day, which the re-run and review dates are judged on: 2024-04-01, "
                        "2024/4/1, 令和6年4月1日 or R6.4.1 (default: today's date; give one for a pack that stays the "
                        "same)")
    p.add_argument("--force", action="store_true", help="replace an earlier pack at --out")
    lang(p)
    p = add_city("migrate", _cmd_city_migrate,
                 "move named systems of a city workspace to the government cloud, write the moved workspace to a new "
                 "folder and print per affair the class of the change, its (別添3) rows, exposure and coverage")
    p.add_argument("--systems", required=True, metavar="IDS",
                   help="the systems to move, comma-separated: shared ids (ATENA) and affairs' own as affair:ID "
                        "(juki:JUKI_REC)")
    p.add_argument("--out", required=True, metavar="NEW_WORKSPACE", help="the new folder (missing or empty)")
    p.add_argument("--zone", default="GOVCLOUD", help="the tenancy zone's id (default GOVCLOUD)")
    p.add_argument("--vendor", default="contractor", choices=("contractor", "subcontractor", "city"),
                   help="who operates the moved applications (default contractor: the vendor)")
    p.add_argument("--line", default="ガバメントクラウド接続回線",
                   help="the channel of the flows over the connection line")
    p.add_argument("--encrypted", choices=("yes", "no"), default=None,
                   help="whether the line is encrypted (default: each flow keeps its own value)")
    p.add_argument("--on", type=_day, metavar="DATE",
                   help="the day of the move, the (別添3) rows' 変更日: 2026-04-01, 令和8年4月1日 … (default: today)")
    p.add_argument("--scenario-out", metavar="FILE", help="also write the move as a scenario file")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    lang(p)
    p = city_sub.add_parser("portfolio", help="one row per affair of many city workspaces, run in parallel",
                            description="one row per affair of many city workspaces (the form required, the most "
                                        "exposed My Number holder and its Monte Carlo probability, the weakest "
                                        "stage), one city per task over processes or a Dask cluster; identical "
                                        "whatever the workers (docs/city.md, 'Many cities')")
    p.add_argument("model", metavar="WORKSPACE", nargs="+",
                   help="a city workspace (the folder holding city.yaml), or a folder of workspaces")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="the table to write (a new .csv file)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--trials", type=int, default=100_000,
                   help="Monte Carlo trials per affair (default 100000, at most 10000000)")
    p.add_argument("--seed", type=int, default=0, help="the run's seed; each affair's is derived from it (default 0)")
    p.add_argument("--workers", type=int, default=None,
                   help="processes (or local Dask workers); default: the number of CPUs; 1: no pool")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT|local",
                   help="run on a Dask cluster (needs the dask extra): its scheduler's address (waited for 10 s), or "
                        "'local'")
    lang(p, "language of the messages printed (the table's columns are the same codes and Japanese terms)")
    p.set_defaults(func=_cmd_city_portfolio, subject="workspace")
    p = sub.add_parser("new", help="create a blank model (directory, or workbook with --xlsx)",
                       description="create a blank model: the headers of every table, a guide (README.md, or a guide "
                                   "sheet and drop-down lists in a workbook) and placeholder model keys")
    p.add_argument("path", metavar="PATH", help="the new directory, or the workbook (.xlsx)")
    p.add_argument("--xlsx", action="store_true", help="write an Excel workbook (.xlsx is added to PATH if missing)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing workbook (a directory must always be new or empty)")
    p.set_defaults(func=_cmd_new)
    p = sub.add_parser("convert", help="convert a model between a directory and an .xlsx workbook",
                       description="convert a model between its two forms: a directory of CSV files and an .xlsx "
                                   "workbook (DST ending in .xlsx is a workbook, else a directory)")
    p.add_argument("src", metavar="SRC", help="the model to read (directory or .xlsx)")
    p.add_argument("dst", metavar="DST", help="where to write it (.xlsx workbook or directory)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing workbook, or the model of an existing model directory (one with "
                        "model.yaml): model.yaml and the tables are rewritten from SRC (their comments and "
                        "formatting are not kept), an optional table SRC has no rows for is removed, other files "
                        "are kept; a folder that is neither empty nor a model directory is refused")
    p.set_defaults(func=_cmd_convert)
    p = add("export-otm", _cmd_export_otm, "export the model as an Open Threat Model (OTM 0.2.0 JSON)")
    p.add_argument("out", metavar="OUT.json", help="the JSON file to write")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of names (default ja)")
    p = sub.add_parser("import-otm", help="import an Open Threat Model (OTM JSON or YAML) as a model directory",
                       description="import an Open Threat Model (OTM 0.1.0/0.2.0, JSON or YAML) as a model directory: "
                                   "a Threagile YAML or pytm JSON model is translated to OTM first; the document is "
                                   "validated first (nothing is written when it is not valid); DIR "
                                   "gets the model and import-report.md (what was guessed, what could not be "
                                   "imported, the placeholders to fill in); see docs/interchange.md")
    p.add_argument("otm", metavar="FILE",
                   help="the OTM document (.json, .otm, .yaml or .yml), or a Threagile or pytm model")
    p.add_argument("dir", metavar="DIR", help="the model directory to make (new or empty)")
    p.add_argument("--force", action="store_true",
                   help="write into an existing model directory: model.yaml, the tables and import-report.md are "
                        "replaced, other files are kept; refused (nothing written) when the directory holds data "
                        "the document does not carry (triage.csv, ratings.csv …, filled-in model.yaml keys, "
                        "files' records), and when a folder is neither empty nor a model directory")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help="the date written as the placeholder of model.yaml's assessed_on (default: today's date; "
                        "give it to get the same bytes on any day and in any time zone)")
    lang(p, "language of import-report.md and of the summary")
    p.set_defaults(func=_cmd_import_otm)
    p = add("export-findings", _cmd_export_findings, "export the open findings as SARIF 2.1.0 (.sarif/.json) or CSV")
    p.add_argument("out", metavar="OUT", help="OUT.sarif or OUT.json (SARIF 2.1.0), or OUT.csv")
    p.add_argument("--threshold", type=_probability, default=0.01, metavar="P",
                   help="path probability above which an exposed My Number holder is a finding: 0.01 or 1%% "
                        "(default 0.01)")
    p.add_argument("--include-mitigated", action="store_true", help="also export the mitigated findings")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of SARIF messages (default ja)")
    p.add_argument("--today", type=_day, metavar="DATE",
                   help=_TRIAGE_TODAY_HELP)
    return parser


def interrupted_exit(signum: int) -> int:
    """One line for Ctrl-C (or SIGTERM/SIGHUP); a second Ctrl-C while exiting is ignored (no traceback).

    Parameters
    ----------
    signum
        The signal that stopped the command (2 for Ctrl-C).

    Returns
    -------
    int
        The exit code, 128 + ``signum``.

    Examples
    --------
    >>> from pia_analysis.cli import interrupted_exit
    >>> import signal
    >>> previous = signal.getsignal(signal.SIGINT)
    >>> interrupted_exit(15)
    143
    >>> _ = signal.signal(signal.SIGINT, previous)
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("interrupted" if signum == 2 else f"stopped by signal {signum}; nothing half-written was left",
          file=sys.stderr)
    return 128 + signum


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pia-analysis`` with the arguments ``argv``; never raises, returns the exit code.

    A bad model prints its located problems; a refused output path or a bad command line prints one
    line; an unexpected error prints one line (its traceback with ``--debug``).

    Parameters
    ----------
    argv
        The arguments after the program name; None: ``sys.argv[1:]``.

    Returns
    -------
    int
        0 success, 1 a bad model, 2 a usage error or a refused output path, 3 an internal error, 4 cannot
        write, 128 + N stopped by signal N (see :data:`EPILOG`).

    Examples
    --------
    >>> from pia_analysis.cli import main
    >>> from pia_analysis import bundled_model_path
    >>> main(["validate", str(bundled_model_path())])  # doctest: +ELLIPSIS
    OK: kitakyushu-juki-r3 — ...
    0
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        return interrupted_exit(2)
    try:
        with handle_signals():  # SIGTERM/SIGHUP like Ctrl-C: temporary files removed, exit 128+signal
            return args.func(args)
    except StrictWarnings as exc:
        print(f"error: the model at {mask_numbers(str(args.model))} has {len(exc.problems)} warning(s), errors "
              "with --strict", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_MODEL
    except ModelError as exc:
        subject = getattr(args, "subject", "model")  # a model, or a city workspace
        print(f"error: the {subject} at {mask_numbers(str(args.model))} is not valid: {len(exc.problems)} problem(s)",
              file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_MODEL
    except (UsageError, OutputRefused, DifferentAssessmentError) as exc:
        print(f"pia-analysis: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CatalogProblems as exc:  # the packaged tables a user corrects (catalog/README.md): a bad input
        print(f"error: the packaged catalogue is not valid: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_MODEL
    except WriteFailed as exc:
        print(f"pia-analysis: {exc}", file=sys.stderr)
        return EXIT_WRITE
    except KeyboardInterrupt as exc:
        return interrupted_exit(getattr(exc, "signum", 2))
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, with the shell's code for a process ended by
        # SIGPIPE (128 + 13), as other tools in a pipe do; keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback unless asked
        if args.debug:  # the traceback, then the same exit code as without --debug
            traceback.print_exc()
            return EXIT_INTERNAL
        print(f"pia-analysis: internal error: {type(exc).__name__}: {exc} (run with --debug for details and report it)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
