"""New models and conversions.

The ``new`` command's blank model and guide, and ``convert`` between a
model directory and a model workbook.
"""

from __future__ import annotations

__all__ = ["README_POINTS", "convert", "new_model"]

import datetime as dt
import os
from pathlib import Path
from typing import Any

from .. import catalog
from ..model.errors import ModelError, Problem
from ..model.model import Model
from ..model.schema import DIRECTORY_KEY_MEANINGS, DOCUMENT_KEYS, KIND_MEANINGS, MODEL_KEY_MEANINGS, MODEL_KEYS, TABLES
from ..util.files import OutputRefused, check_dir_update, check_file_target, check_new_dir, write_file, write_new_dir
from ..model import cells as model_cells
from . import load_model, save_model
from .workbook import (
    is_workbook_path,
    load_workbook,
    workbook_bytes,
)


README_POINTS: tuple[tuple[str, str], ...] = (
    ("このフォルダは、個人番号を扱う1つの事務のモデルです。"
     "model.yaml に評価の基本情報を、各 CSV ファイルに表を記入します。",
     "This folder is the model of one affair that uses My Numbers: model.yaml holds the assessment's key facts, "
     "the CSV files hold the tables."),
    ("各 CSV の1行目は列名です。変更しないでください。2行目から1行に1件ずつ記入します。risks.csv・ratings.csv・"
     "sub_measures.csv は空のままでも構いません。文字コードは UTF-8（BOM 付き可）または Excel の CSV（cp932）です。",
     "Line 1 of each CSV file holds the column names: keep them. One item per line from line 2. risks.csv, "
     "ratings.csv and sub_measures.csv may stay empty. Save as UTF-8 (with or without BOM) or Excel's CSV (cp932)."),
    ("複数の値は ; で区切ります。TRUE/FALSE の列には true/false、yes/no、1/0、はい/いいえ、○/×、あり/なし が使えます。"
     "選択肢の列には日本語の語（入手、委託先、実施済み など）も、日付には 2021/11/9、令和3年11月9日、R3.11.9 も"
     "使えます（docs/model-format.md の一覧）。",
     "Separate several values with ;. Yes/no columns accept true/false, yes/no, 1/0, はい/いいえ, ○/×, あり/なし. "
     "Columns with choices accept the Japanese words too (入手, 委託先, 実施済み …), dates 2021/11/9, 令和3年11月9日 "
     "and R3.11.9 (listed in docs/model-format.md)."),
    ("実在する個人番号を記入しないでください。正しい検査用数字をもつ12桁の数字を含むモデルは読み込まれません。",
     "Never type a real My Number: a model holding a 12-digit number with a valid check digit is refused."),
    ("評価書だけに書く事項は任意です: model.yaml の document ブロック（事務の内容、法令上の根拠、担当部署 …）、"
     "file_details.csv（ファイルごとの使用目的、保管期間 …）、outsourcing.csv（委託事項）、recipients.csv"
     "（提供先の法令上の根拠・用途）、form_answers.csv（モデルから導く回答に代えて書く回答）。空のままなら評価書の"
     "その項目は【要記入】になります。法令の条項や部署名は、確かな出典があるものだけを書いてください。",
     "What only the 評価書 states is optional: model.yaml's document block (the affair's content, legal bases, the "
     "department …), file_details.csv (per file: purpose, retention …), outsourcing.csv (the 委託事項), "
     "recipients.csv (each recipient's legal basis and use) and form_answers.csv (answers written instead of the "
     "derived ones). Left empty, the 評価書 marks the item 【要記入】. Write legal articles and department names "
     "only from a source you can cite."),
    ("任意（issue 18）: systems.csv の processes 列に保管せず経由するだけのファイルを、zones.csv の parent_zone 列に"
     "そのゾーンを含むゾーンを書けます。control_status.csv は要素ごとに異なる対策の状況を、triage.csv は指摘"
     "（finding_id）についての判断（受容・誤検知・対応中）と理由・判断者・日付を記録します。",
     "Optional (issue 18): a processes column in systems.csv lists the files passing through without being kept, "
     "a parent_zone column in zones.csv the zone a zone lies inside; control_status.csv gives a control's status "
     "on one element where it differs, triage.csv the analyst's decisions on findings (accepted, false positive, "
     "being fixed) with the reason, who decided and the dates."),
    ("確認: pia-analysis validate このフォルダ 。Excel で記入するなら pia-analysis convert このフォルダ model.xlsx "
     "でブックにできます。",
     "Check it with: pia-analysis validate THIS_FOLDER. To fill it in Excel, pia-analysis convert THIS_FOLDER "
     "model.xlsx makes a workbook with drop-down lists."),
)


def _id_from_name(path: Path) -> str:
    stem = path.name[: -len(path.suffix)] if path.suffix.lower() == ".xlsx" else path.name
    text = model_cells.ID_FORBIDDEN.sub("-", model_cells.nfkc(stem)).strip("-")
    return text or "new-model"


def blank_model(model_id: str = "new-model", assessed_on: dt.date | None = None) -> Model:
    """A model with no rows and placeholder values for the required keys: what :func:`new_model` writes.

    Its only problems are that ``zones`` and ``systems`` have no rows and that ``target_population`` holds the
    placeholder 0 (refused until the number of people is typed in); the placeholder texts ask for the real
    title, organisation and affairs.
    """
    meta = {
        "id": model_id,
        "title_ja": "新しいモデル（題名を記入してください）",
        "title_en": "New model (type the title)",
        "organisation": "（評価実施機関を記入してください）",
        "affairs": "（事務の名称を記入してください）",
        "assessed_on": assessed_on or dt.date.today(),
        "target_population": 0,
    }
    frames = {t.name: model_cells.empty_table(t) for t in TABLES}
    return Model(meta=meta, path=None, **frames)


def _guide_markdown() -> str:
    lines = ["# pia-analysis モデル / model", "",
             "このフォルダは `pia-analysis new` で作られた空のモデルです。"
             " This folder is a blank model made by `pia-analysis new`.", ""]
    for i, (ja, en) in enumerate(README_POINTS, 1):
        lines += [f"{i}. {ja}", f"   {en}"]
    lines += ["", "## model.yaml", "", "| key | 必須 required | 説明 | description |", "|---|---|---|---|"]
    for key, (required, _kind) in MODEL_KEYS.items():
        ja, en = DIRECTORY_KEY_MEANINGS.get(key, MODEL_KEY_MEANINGS[key])
        lines.append(f"| `{key}` | {'○' if required else ''} | {ja} | {en} |")
    for table in TABLES:
        optional = "（任意のファイル / optional file）" if table.optional_file else ""
        lines += ["", f"## {table.filename}{optional}", "",
                  "| column | 必須 required | 種類 type | 説明 | description |", "|---|---|---|---|---|"]
        for c in table.columns:
            ja, en = c.meaning_in("directory")
            kind = KIND_MEANINGS[c.kind]
            lines.append(f"| `{c.name}` | {'○' if c.required else ''} | {kind[0]} / {kind[1]} | {ja} | {en} |")
    lines += ["", "## model.yaml `document` block（任意 / optional）", "",
              "| key | 種類 type | 説明 | description |", "|---|---|---|---|"]
    for key, (kind, (ja, en), _fills) in DOCUMENT_KEYS.items():
        lines.append(f"| `document.{key}` | {KIND_MEANINGS[kind][0]} / {KIND_MEANINGS[kind][1]} | {ja} | {en} |")
    lines += ["", "## リスク項目の目録 / risk catalogue", "", "| risk_id | stage | 名称 | name |", "|---|---|---|---|"]
    for item in catalog.risk_catalog().itertuples(index=False):
        lines.append(f"| `{item.risk_id}` | {item.stage} | {item.name_ja} | {item.name_en} |")
    lines += ["", "See `docs/model-format.md` for the format and `docs/workbook.md` for the workbook form.", ""]
    return "\n".join(lines)


def _model_yaml_template(meta: dict[str, Any]) -> str:
    import yaml

    lines = ["# pia-analysis model: replace the placeholder values (README.md, docs/model-format.md).",
             "# モデルの基本情報: 仮の値を書き換えてください。任意の項目は先頭の # を外して使います。"]
    for key, (required, _kind) in MODEL_KEYS.items():
        ja, en = DIRECTORY_KEY_MEANINGS.get(key, MODEL_KEY_MEANINGS[key])
        if key in meta:
            value = yaml.safe_dump({key: meta[key]}, allow_unicode=True, sort_keys=False).strip()
            lines += [f"# {ja} / {en}", value]
        elif key == "document":  # every key of the block, without a value (not given): fill the ones known
            lines += [f"# {ja} / {en}",
                      "# 値のないキーは未記入（評価書では【要記入】）/ a key without a value is not given",
                      "document:"]
            for name, (_kind, (key_ja, key_en), _fills) in DOCUMENT_KEYS.items():
                indent = "  " * (name.count(".") + 1)
                lines += [f"{indent}# {key_ja} / {key_en}", f"{indent}{name.rsplit('.', 1)[-1]}:"]
        else:
            lines += [f"# {ja} / {en}", f"# {key}:"]
    return "\n".join(lines) + "\n"


def new_model(path: str | os.PathLike[str], xlsx: bool | None = None, assessed_on: dt.date | None = None,
              force: bool = False) -> Path:
    """Create a blank model at ``path``.

    A workbook when ``xlsx`` (or when ``path`` ends in ``.xlsx``), else a directory. The blank model has every
    table's header and no rows; its model keys hold placeholders (``id`` from the file name, ``assessed_on`` today
    unless given, ``target_population`` 0), so that it fails validation only because ``zones`` and ``systems``
    have no rows and the population is the placeholder 0. A workbook gets the guide sheet and drop-down lists; a
    directory gets a README.md with the same guide and a commented model.yaml. A workbook path without the
    ``.xlsx`` suffix gets it. An existing file, or a directory that is not empty, is never overwritten
    (FileExistsError); ``force`` replaces an existing workbook.

    Parameters
    ----------
    path
        The workbook or directory to create.
    xlsx
        True: a workbook; False: a directory; None: a workbook when ``path`` ends in ``.xlsx``.
    assessed_on
        The ``assessed_on`` placeholder (default: today).
    force
        Whether an existing workbook may be replaced.

    Returns
    -------
    pathlib.Path
        The workbook or directory written.

    Raises
    ------
    FileExistsError
        When ``path`` exists (a workbook without ``force``, or a directory that is not empty).
    OutputRefused
        When ``path`` is a folder but a workbook is asked for, or is refused as a target.
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis.formats.templates import new_model, validate_problems
    >>> import tempfile
    >>> out = new_model(Path(tempfile.mkdtemp()) / "city-juki", xlsx=True)
    >>> out.name, [p.message for p in validate_problems(out)]  # doctest: +NORMALIZE_WHITESPACE
    ('city-juki.xlsx', ["0 is the placeholder that 'pia-analysis new' writes, not a number of people", \
'has a header but no rows: a model needs at least one zone', \
'has a header but no rows: a model needs at least one system'])
    """
    out = Path(path)
    as_workbook = bool(xlsx) or is_workbook_path(out)
    if as_workbook and out.name in ("", ".", ".."):
        raise OutputRefused(f"{path} is a folder, not a workbook name; give a file name such as city-juki.xlsx")
    if as_workbook and out.suffix.lower() != ".xlsx":
        out = out.with_name(out.name + ".xlsx")
    if out.is_file() or (out.is_dir() and any(out.iterdir())) or (as_workbook and out.exists()):
        if not (force and as_workbook and out.is_file()):
            raise FileExistsError(f"{out} already exists; give a new path")
    blank = blank_model(_id_from_name(out), assessed_on)
    if as_workbook:
        write_file(out, workbook_bytes(blank, out), force=force)
        return out
    files = {"model.yaml": _model_yaml_template(blank.meta), "README.md": _guide_markdown()}
    for table in TABLES:
        files[table.filename] = ",".join(table.column_names) + "\n"

    def build(folder: Path) -> None:
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8", newline="\n")

    return write_new_dir(out, build)


def validate_problems(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of the model (directory or workbook) at ``path``; empty when it is valid."""
    try:
        (load_workbook if is_workbook_path(path) else load_model)(path)
    except ModelError as exc:
        return exc.problems
    return []


def convert(src: str | os.PathLike[str], dst: str | os.PathLike[str], overwrite: bool = False,
            option: str | None = None) -> Path:
    """Convert the model at ``src`` to the other form at ``dst`` (``.xlsx`` → workbook, else directory).

    ``src`` is loaded and validated first (ModelError: nothing is written). ``dst`` is written whole or not
    at all: a workbook through a temporary file, a new directory through a temporary directory renamed
    into place. An existing ``dst`` is refused (FileExistsError) unless ``overwrite``; then a workbook is
    replaced, and a model directory (one with ``model.yaml``) gets the source's model: ``model.yaml`` and
    each table are rewritten whole from the loaded model (comments, layout and number formatting of the
    earlier files are not kept), an optional table with no rows in the source (``risks.csv``,
    ``ratings.csv`` …) is removed, and every other file (README.md, scenarios/, notes) is kept. A folder
    that is neither empty nor a model directory is refused even with ``overwrite``. ``dst`` is checked
    before ``src`` is loaded (:mod:`pia_analysis.util.files`: no symlink, ``.``, ``/``, home folder, the
    input itself, a folder inside a pack). ``previous`` is rewritten so that it still names the same model.
    ``option`` is how the command line names ``dst`` in its messages (``DST``).

    Parameters
    ----------
    src
        The model to convert (directory or workbook).
    dst
        Where to write the other form.
    overwrite
        Whether an existing ``dst`` may be replaced (see above).
    option
        How the command line names ``dst``.

    Returns
    -------
    pathlib.Path
        ``dst`` as written.

    Raises
    ------
    ModelError
        When ``src`` is not a valid model (nothing is written).
    FileExistsError
        When ``dst`` exists and ``overwrite`` is not given, or is neither empty nor a model directory.
    ValueError
        When ``src`` and ``dst`` are the same path.
    OutputRefused
        When ``dst`` is refused as a target.
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis.formats.templates import convert, load_workbook
    >>> import tempfile
    >>> from pia_analysis import bundled_model_path
    >>> out = convert(bundled_model_path(), Path(tempfile.mkdtemp()) / "k.xlsx")
    >>> out.suffix, load_workbook(out).id
    ('.xlsx', 'kitakyushu-juki-r3')
    """
    src_p, dst_p = Path(src), Path(dst)
    if src_p.resolve() == dst_p.resolve():
        raise ValueError(f"{src} and {dst} are the same path")
    # The destination is checked before the model is loaded: a refused path costs no work.
    if is_workbook_path(dst_p):
        if dst_p.exists() and not dst_p.is_symlink() and not overwrite:
            raise FileExistsError(f"{dst_p} already exists; add --force to replace it")
        check_file_target(dst_p, force=overwrite, inputs=[src_p])
        model = load_model(src_p)
        # an affair of a city workspace is written standalone, as save_model writes it (docs/city.md): its
        # shared rows inlined and no 'shared'/'shared_systems', else the workbook would name them twice
        return save_model(model, dst_p)
    if dst_p.exists() and not dst_p.is_dir() and not dst_p.is_symlink():
        raise FileExistsError(f"{dst_p} exists and is not a folder; give {option or 'the destination'} as a new "
                              "folder name, or a name ending in .xlsx for a workbook (the file is left as it is)")
    nonempty = dst_p.is_dir() and not dst_p.is_symlink() and any(dst_p.iterdir())
    if nonempty and not overwrite:
        if (dst_p / "model.yaml").is_file():
            raise FileExistsError(f"{dst_p} already exists and is a model directory; add --force to replace its "
                                  "model files (model.yaml and the tables; other files are kept)")
        check_dir_update(dst_p, inputs=[src_p], option=option)  # names what is there
    if nonempty:
        check_dir_update(dst_p, inputs=[src_p], option=option)
    else:
        check_new_dir(dst_p, inputs=[src_p], option=option)
    model = load_model(src_p)
    meta = dict(model.meta)
    if "previous" in meta and model.path is not None:
        meta["previous"] = os.path.relpath((model.path / meta["previous"]).resolve(), dst_p.resolve())
    detached = model.replace(meta=meta, path=None)
    if nonempty:  # --force: only the model's own files are replaced (each whole); nothing else is deleted
        return save_model(detached, dst_p)
    return write_new_dir(dst_p, lambda folder: save_model(detached, folder), inputs=[src_p], option=option)
