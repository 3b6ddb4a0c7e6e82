"""The on-disk model format, as data.

Each table of a model directory is described by a :class:`Table` of :class:`Column` s. The loader
(:mod:`pia_analysis.formats.directory`) reads, checks and types every cell from these descriptions, and the saver writes
them back, so the format is stated once, here, with the meaning of every column and key in Japanese and
English: the workbook guide sheet, ``new``'s README and the tables of ``docs/model-format.md``
(:func:`format_reference_markdown`; ``python -m pia_analysis.model.schema --doc`` rewrites them) read it.
"""

from __future__ import annotations

__all__ = ["ASSESSMENT_KEYS", "Column", "DIRECTORY_KEY_MEANINGS", "DOCUMENT_KEYS", "FILE_KINDS",
           "NOT_SET", "NOT_SET_WORDS", "PROCEDURE_FILLS",
           "FALSE_WORDS", "KINDS", "KIND_MEANINGS", "MAX_CELLS", "MAX_COLUMNS",
           "MAX_COUNT", "MAX_DATE", "MAX_ID_CHARS", "MAX_NAME_CHARS", "MAX_NOTE_CHARS", "MIN_DATE",
           "CITY_AFFAIR_KEYS", "CITY_KEYS", "CITY_KEY_MEANINGS",
           "MODEL_KEYS", "MODEL_KEY_MEANINGS", "MODEL_KEY_UNITS", "MODEL_TEXT_LIMITS", "OPERATORS",
           "OUTSOURCED_OPERATORS", "CLOUD_OPERATORS", "PROCEDURE_CHOICES", "PROCEDURE_KEYS",
           "RATINGS", "RATING_ALIASES", "RATING_CHOICES", "RATING_RANKS", "RATING_SETS", "RATING_SET_ALIASES",
           "REASONED_DECISIONS", "REFERENCE_BEGIN", "REFERENCE_END", "SHARED_PART_TABLES", "SHARED_TABLES", "STAGES",
           "FINDING_RULE_ELEMENTS", "TRIAGE_DECISIONS",
           "STATUSES", "STATUTORY_OPERATORS", "SUFFICIENT_RATINGS",
           "RowRef", "TABLES", "TABLE_BY_NAME", "TRUE_WORDS", "Table", "TableRef", "Text", "extra_column",
           "format_reference_markdown", "rewrite_reference_markdown"]

import datetime as dt
from dataclasses import dataclass
from typing import Union

from .. import catalog
from ..util.errors import InvalidArgumentError
from .japanese import alias_words, eras

KINDS = ("system", "store", "terminal", "network", "external")
OPERATORS = ("city", "contractor", "subcontractor", "jlis", "national", "other_body", "resident", "cloud_provider")
# The operators a zone or system is entrusted to (委託先 and 再委託先): outsourcing, in the form's sense.
OUTSOURCED_OPERATORS = ("contractor", "subcontractor")
# The bodies that hold data by statute under the national security standard (J-LIS, the state).
STATUTORY_OPERATORS = ("jlis", "national")
# The provider of a cloud platform (ガバメントクラウド等のクラウドサービス事業者): it runs the platform, not the
# application, and under its contract does not handle the data held on it, so it is not an outsourcing
# operator (docs/government-cloud.md: the 個人情報保護委員会's Q&A on cloud services [recalled]). An analyst who
# reads the contract otherwise models the platform as a contractor.
CLOUD_OPERATORS = ("cloud_provider",)
STAGES = ("acquire", "use", "outsource", "provide", "network", "retain")
# ``unknown``: the city could not say (「不明」); it protects nothing, like ``missing``, and is a question to put to
# the city (確認事項, :func:`pia_analysis.open_questions`).
STATUSES = ("implemented", "planned", "missing", "unknown")
#: The analyst's decisions on a finding (triage.csv; their Japanese words 受容, 誤検知, 対応中 in
#: catalog/value_aliases.csv): accepted and false_positive need a reason, fixing a due date (review_on).
TRIAGE_DECISIONS = ("accepted", "false_positive", "fixing")
#: The decisions that need a reason.
REASONED_DECISIONS = ("accepted", "false_positive")
#: Each rule of the findings (:data:`pia_analysis.analysis.findings.rules.RULES`) and the kind of element its
#: finding ids name (``rule@element``): triage.csv is checked against it when a model is read, without running
#: the findings (the model layer cannot import the analyses). tests/test_format_18.py keeps it equal to RULES.
FINDING_RULE_ELEMENTS: dict[str, str] = {
    "unencrypted-crossing": "flow",
    "mn-outside-city": "system",
    "exposed-mn-holder": "system",
    "subcontractor-unapproved": "system",
    "internet-reaches-mn": "zone",
    "media-unencrypted": "flow",
    "mn-store-no-retain-control": "system",
    "rating-not-borne-out": "risk",
    "entry-no-control": "system",
    "orphan-system": "system",
    "mn-on-cloud-platform": "system",
    "cloud-line-unencrypted": "flow",
}

# The self-rating choices are the form's, packaged as data (catalog/choice_sets.csv): Section Ⅲ's
# 「リスクへの対策は十分か」 and Section Ⅳ's rated items each have their set (catalog/rated_items.csv names it).
_CHOICES = catalog.choice_sets()
#: The rating choice sets: name -> its labels (the form's wording), most favourable first.
RATING_SETS: dict[str, tuple[str, ...]] = {
    name: tuple(group.sort_values("order")["label_ja"]) for name, group in _CHOICES.groupby("choice_set", sort=False)
    if name.endswith("_rating")}
RATINGS = RATING_SETS["section3_rating"]
# The ratings that claim the measures are enough (the self-rating check holds them to their coverage).
SUFFICIENT_RATINGS = tuple(_CHOICES.loc[_CHOICES["sufficient"] & _CHOICES["choice_set"].isin(list(RATING_SETS)),
                                        "label_ja"])
#: English spellings accepted in ratings.csv for each rating set: set -> {alias: label}; the loader
#: normalises them to the set's Japanese label (the set is the rated item's).
RATING_SET_ALIASES: dict[str, dict[str, str]] = {
    name: {alias: label for label, aliases in zip(group["label_ja"], group["aliases"]) for alias in aliases}
    for name, group in _CHOICES.groupby("choice_set", sort=False) if name in RATING_SETS}
# English spellings accepted in ratings.csv for a Section Ⅲ item (the first set's aliases).
RATING_ALIASES = RATING_SET_ALIASES["section3_rating"]
#: Every word ratings.csv's rating column may hold (each set's labels and aliases); whether it fits the
#: rated item's set is checked with the references (model.checks).
RATING_CHOICES: tuple[str, ...] = tuple(dict.fromkeys(
    [label for labels in RATING_SETS.values() for label in labels]
    + [alias for aliases in RATING_SET_ALIASES.values() for alias in aliases]))
#: The favourable rank of each rating label (1 = most favourable): a higher rank is a worse rating.
RATING_RANKS: dict[str, int] = {label: int(rank) for label, rank, name in zip(
    _CHOICES["label_ja"], _CHOICES["favourable_rank"], _CHOICES["choice_set"]) if name in RATING_SETS}
del _CHOICES
TRUE_WORDS = ("true", "yes", "1", "はい")
FALSE_WORDS = ("false", "no", "0", "いいえ")


@dataclass(frozen=True)
class TableRef:
    """A table of the model named in a message or hint, as data: each reader renders it in its own words.

    A problem's text names other tables (``use an id listed in zones.csv``); the directory reader says
    ``zones.csv``, the workbook reader ``the zones sheet``. ``str()`` gives the file name of the directory
    format, the default. ``name`` is a table name of :data:`TABLES` or ``"model"`` (the model keys).
    ``place=True`` names where the table is (a location, ``root/zones.csv``), not the table in words.

    Examples
    --------
    >>> from pia_analysis.model.schema import TableRef
    >>> str(TableRef("zones")), str(TableRef("model"))
    ('zones.csv', 'model.yaml')
    """

    name: str
    place: bool = False

    def __str__(self) -> str:
        """The table's file name in a model directory."""
        return "model.yaml" if self.name == "model" else TABLE_BY_NAME[self.name].filename


@dataclass(frozen=True)
class RowRef:
    """A row of a table named in a message (``first on line 3``), as data: each reader says it its own way.

    The directory reader counts the lines of a CSV file (``line 3``), the workbook reader the rows of a
    sheet (``row 3``). ``str()`` gives the directory format's words, the default.

    Examples
    --------
    >>> from pia_analysis.model.schema import RowRef
    >>> str(RowRef(3))
    'line 3'
    """

    number: int | None

    def __str__(self) -> str:
        """The row in the directory format's words."""
        return f"line {self.number}"


#: A message or hint: plain text, or text parts with the tables (:class:`TableRef`) and rows (:class:`RowRef`)
#: it names.
Text = Union[str, tuple[Union[str, TableRef, RowRef], ...]]

# Bounds of values. Anything that validates must render: every chart, the PDF, the Excel and CSV tables,
# the OTM/SARIF exports and the review schedule (assessed_on + 5 years). So text is bounded by the kind of
# thing it names, dates by a range and counts by a maximum, generously: the bundled models' longest name
# is 87 characters and longest source 334 (docs/model-format.md, "Bounds").
MAX_ID_CHARS = 64  # ids and each id of a list of ids: the longest bundled id has 20 characters
MAX_NAME_CHARS = 200  # names, titles, organisation, affairs, channel: shown in charts and table cells
MAX_NOTE_CHARS = 2_000  # sources, record items, extra columns: shown in tables, wrapped
MIN_DATE = dt.date(1990, 1, 1)  # assessed_on: the assessments began in 2014
MAX_DATE = dt.date(2099, 12, 31)  # … and the review schedule adds 5 years to it
MAX_COUNT = 10_000_000_000  # whole numbers count people: more than live on Earth is a typo (and int64 stays safe)
# Columns of a table, extra columns included (a CSV header, a sheet: the last column is IV, as in the old
# .xls format): a table has at most a dozen; beyond, the per-column work makes validation slow.
MAX_COLUMNS = 256
# Cells a model may hold in all its tables (CSV files; a workbook's cells in all its sheets, empty ones
# included): twenty times a model of a hundred municipalities (50,000 cells), above the model of the whole
# country (national_model: about 900,000). Each cell is parsed and checked (some 5 µs): reading stops at
# the first one more, so that any model validates within seconds.
MAX_CELLS = 1_000_000
# The bound of each kind of value in model.yaml (MODEL_KEYS); "path" is bounded by the file system.
MODEL_TEXT_LIMITS = {"id": MAX_ID_CHARS, "text": MAX_NAME_CHARS}

# model.yaml keys: name -> (required, kind)
MODEL_KEYS: dict[str, tuple[bool, str]] = {
    "id": (True, "id"),
    "title_ja": (True, "text"),
    "title_en": (True, "text"),
    "organisation": (True, "text"),
    "affairs": (True, "text"),
    "assessed_on": (True, "date"),
    "target_population": (True, "int"),
    "handlers": (False, "int"),
    "serious_incident": (False, "bool"),
    "previous": (False, "path"),
    "procedure": (False, "procedure"),
    "declared_not_applicable": (False, "declarations"),
    "other_risk_measures": (False, "stage_texts"),
    "document": (False, "document"),
    # last, so that the rows of the workbook's model sheet keep their places
    "organisation_kind": (False, "organisation_kind"),
    # a city workspace's shared part (issue 16), after the older keys for the same reason
    "shared": (False, "path"),
    "shared_systems": (False, "ids"),
}
#: The model.yaml keys that name one assessment: its versions (a model and its ``previous``) share them.
ASSESSMENT_KEYS = ("organisation", "affairs")
#: (ja, en) unit of the model.yaml keys that count something.
MODEL_KEY_UNITS: dict[str, tuple[str, str]] = {"target_population": ("人", "people"), "handlers": ("人", "people")}


#: (ja, en) meaning of every model.yaml key, as a workbook's model sheet states it.
MODEL_KEY_MEANINGS: dict[str, tuple[str, str]] = {
    "id": ("必須。短いID（空白・; , * @ を含まない）。例: city-juki-r6", "required; a short id (no spaces, ; , * @)"),
    "title_ja": ("必須。評価書の題名（日本語）", "required; the title in Japanese"),
    "title_en": ("必須。題名（英語）", "required; the title in English"),
    "organisation": ("必須。評価実施機関。例: 北九州市", "required; the body that runs the assessment"),
    "organisation_kind": ("任意。評価実施機関の種類: 市 / 町 / 村 / 特別区 / 都道府県 / 一部事務組合 / 広域連合 / 団体"
                          "（city / town / village / special_ward / prefecture / association / regional_union / "
                          "body）。省略時は organisation の末尾（…市、…町）から、当てはまらなければ 団体",
                          "optional; the kind of body: 市 / 町 / 村 / 特別区 / 都道府県 / 一部事務組合 / 広域連合 / "
                          "団体 "
                          "(city / town / village / special_ward / prefecture / association / regional_union / "
                          "body); by default from the end of organisation (…市, …町), else 団体 (organisation)"),
    "affairs": ("必須。事務の名称。例: 住民基本台帳に関する事務", "required; the affairs (事務の名称)"),
    "assessed_on": ("必須。評価の日付（2021-11-09、2021/11/9、令和3年11月9日、R3.11.9 のいずれか）",
                    "required; date of the assessment (2021-11-09, 2021/11/9, 令和3年11月9日 or R3.11.9)"),
    "target_population": ("必須。対象人数（1 以上の整数）。pia-analysis new が書く 0 は仮の値で、検証で拒否される。"
                          "My Number を含む最大のファイルの records より小さいと警告",
                          "required; people in the files (a whole number from 1). The 0 that pia-analysis new "
                          "writes is a placeholder that validation refuses; below the records of the largest file "
                          "with My Numbers gives a warning"),
    "handlers": ("任意。取扱者数（委託先を含む）", "optional; people who handle the files, contractors included"),
    "serious_incident": ("任意。しきい値判断の重大事故:「過去1年以内に、評価実施機関において特定個人情報に"
                         "関する重大事故が発生したか」（Ⅲ7 リスク1 ⑨ 過去3年以内の個人情報に関する重大事故とは別。⑨は"
                         "sub_measures の retain-1.serious-incident で答える）",
                         "optional; the threshold input 重大事故: did a serious incident concerning specific personal "
                         "information (特定個人情報) occur at the body within the past year (not the form's Ⅲ7 risk 1 "
                         "⑨, personal information within 3 years, answered as the sub-measure "
                         "retain-1.serious-incident)"),
    "previous": ("任意。前回のモデル（フォルダまたはブック）。このブックのあるフォルダからの相対パス",
                "optional; the previous version's model (folder or workbook), relative to the folder holding this "
                "workbook"),
    "procedure": ("任意。評価実施手続の記録（Ⅵ 評価実施手続）: 下の procedure.… のキーを持つブロック。ブックでは1つの"
                  "セルに {version_kind: assessment, published_on: 2021-12-20} のように書く",
                  "optional; the record of the procedure (Ⅵ 評価実施手続): a block of the procedure.… keys below; "
                  "in a workbook, one cell such as {version_kind: assessment, published_on: 2021-12-20}"),
    "declared_not_applicable": ("任意。様式のチェック欄で対象外と宣言する段階のリスト: outsource 委託しない、"
                                "provide 提供・移転しない、network_acquire 接続しない（入手）、"
                                "network_provide 接続しない（提供）。フローと矛盾すればエラー。"
                                "ブックでは1つのセルに [outsource, provide] のように書く",
                                "optional; the stages declared not applicable with the form's check boxes, a list of "
                                "outsource (委託しない), provide (提供・移転しない), "
                                "network_acquire (接続しない（入手）), network_provide (接続しない（提供）); "
                                "an error when a flow contradicts one; in a workbook, one cell such as "
                                "[outsource, provide]"),
    "other_risk_measures": ("任意。各段階の末尾の「その他のリスク及びそのリスクに対する措置」（自由記述）: "
                            "acquire … retain の段階コードをキーに、Ⅳ 3 その他のリスク対策は other をキーに。"
                            "ブックでは1つのセルに {acquire: …, other: …} のように書く",
                            "optional; the free text that ends each stage "
                            "(その他のリスク及びそのリスクに対する措置), keyed by the stage codes acquire … retain, "
                            "and Ⅳ 3 その他のリスク対策 under the key other; in a workbook, one cell such as "
                            "{acquire: …, other: …}"),
    "document": ("任意。評価書だけに書く事項（事務の内容、法令上の根拠、担当部署、開示請求先 など）: 下の document.… の"
                 "キーを持つブロック。値のないキーは未記入。ブックでは document シートに key と value の行で書く",
                 "optional; what only the 評価書 states (the affair's content, legal bases, department, where to "
                 "request disclosure …): a block of the document.… keys below, a key without a value not given; in a "
                 "workbook, key and value rows "
                 "of the document sheet"),
    "shared": ("任意。市の作業フォルダ（city workspace）の共有部分のフォルダ: 複数の事務が使うゾーン・システム・"
               "ファイル・"
               "フロー・対策を1度だけ定義したもの。モデルのフォルダ（ブックではそのフォルダ）からの相対パス（例: "
               "../../shared）。この事務の行が参照する共有の要素だけが読み込まれる（docs/city.md）",
               "optional; the shared part of a city workspace: the folder defining once the zones, systems, files, "
               "flows and controls several affairs use, relative to the model folder (the workbook's folder), e.g. "
               "../../shared. Only the shared elements this affair's rows reference are loaded (docs/city.md)"),
    "shared_systems": ("任意。この事務が自らのフローなしに使う共有部分のシステムの system_id のリスト（例: [ATENA, "
                       "CONBINI]）。ブックでは1つのセルに [ATENA, CONBINI] のように書く",
                       "optional; the system_ids of shared systems this affair uses without a flow of its own, a list "
                       "such as [ATENA, CONBINI]; in a workbook, one cell such as [ATENA, CONBINI]"),
}

#: The choices of the procedure keys of kind ``enum``.
PROCEDURE_CHOICES: dict[str, tuple[str, ...]] = {
    "version_kind": ("assessment", "revision"),
    "assessment_form": ("basic", "focused", "full"),
}

#: The keys of model.yaml's optional ``procedure`` block, dotted for the nested ones: name -> (kind, (ja, en)).
#: Kinds: ``enum`` (one of :data:`PROCEDURE_CHOICES`), ``date``, ``text``, ``int``, ``dates`` (a list of dates)
#: and ``block`` (a mapping of the keys named below it). Checked by
#: :func:`pia_analysis.analysis.procedure.procedure_check` against ``catalog/procedure_rules.csv``.
PROCEDURE_KEYS: dict[str, tuple[str, tuple[str, str]]] = {
    "version_kind": ("enum", (
        "この版の種類: assessment 評価の実施・再実施（重要な変更を含む）、revision 評価書の修正。省略時は assessment",
        "what this version is: assessment (実施・再実施, a 重要な変更 included) or revision (評価書の修正); "
        "assessment when left out")),
    "assessment_form": ("enum", (
        "提出した評価書の種類: basic 基礎項目評価、focused 重点項目評価、full 全項目評価",
        "the assessment submitted: basic (基礎項目評価), focused (重点項目評価) or full (全項目評価)")),
    "basic_assessment_on": ("date", ("基礎項目評価の実施日（Ⅵ 1 ①）", "date of the basic assessment (Ⅵ 1 ①)")),
    "assessment_published_on": ("date", (
        "revision のとき: 修正する評価（最新の実施・再実施）の公表日。5年以内の再実施はこの日から数える",
        "for a revision: the publication date of the assessment it revises (the latest 実施・再実施); the 5-year "
        "re-run counts from it")),
    "public_comment": ("block", ("国民・住民等からの意見の聴取（Ⅵ 2。全項目評価のみ）",
                                 "the public comment (Ⅵ 2; full assessment only)")),
    "public_comment.start": ("date", ("意見聴取の初日", "first day of the public comment")),
    "public_comment.end": ("date", ("意見聴取の最終日", "last day of the public comment")),
    "public_comment.methods": ("text", ("方法（周知の方法と場所、示した文書。Ⅵ 2 ①）",
                                        "where and how it was announced and the document shown (Ⅵ 2 ①)")),
    "public_comment.comments": ("int", ("寄せられた意見の数", "number of comments received")),
    "public_comment.opinions": ("text", ("主な意見の内容（Ⅵ 2 ④。意見があったとき）",
                                         "the main opinions received (Ⅵ 2 ④; when there were comments)")),
    "public_comment.reflection": ("text", ("評価書への反映（Ⅵ 2 ⑤）", "how comments were reflected (Ⅵ 2 ⑤)")),
    "public_comment.shortening_reason": ("text", (
        "期間を短縮する特段の理由（Ⅵ 2 ③。30日未満のときのみ）",
        "the 特段の理由 for a period shorter than 30 days (Ⅵ 2 ③; only then)")),
    "third_party_check": ("block", ("第三者点検（Ⅵ 3。地方公共団体等）",
                                    "the third-party check (Ⅵ 3; municipalities)")),
    "third_party_check.held_on": ("date", ("実施日（Ⅵ 3 ①）", "date (Ⅵ 3 ①)")),
    "third_party_check.body": ("text", ("点検した機関（例: 個人情報保護審査会）", "the body that checked it")),
    "third_party_check.method": ("text", ("方法（Ⅵ 3 ②）", "method (Ⅵ 3 ②)")),
    "third_party_check.result": ("text", ("結果（Ⅵ 3 ③）", "result (Ⅵ 3 ③)")),
    "submitted_on": ("date", ("個人情報保護委員会への提出日", "date of submission to the Commission")),
    "published_on": ("date", ("公表日", "date of publication")),
    "commission_approved_on": ("date", ("個人情報保護委員会の承認日（表紙。行政機関等のみ。地方公共団体は書かない）",
                                        "date of the Commission's approval (cover; national bodies only, not "
                                        "municipalities)")),
    "reviews": ("dates", ("実施した年1回の見直しの日付（リスト）", "dates of the yearly reviews done (a list)")),
    "source": ("text", ("出典（議事録の箇所など。推定した日付は assumption: … と書く）",
                        "where the record comes from; an assumed date is written assumption: …")),
}

#: The procedure keys that fill an item of the 評価書 layouts on their own: key -> the ``doc:`` key of
#: ``catalog/form_layout.csv``'s ``fill`` they stand for.
PROCEDURE_FILLS: dict[str, str] = {
    "public_comment.opinions": "public_comment_opinions",
    "commission_approved_on": "commission_approved_on",
}

#: The keys of model.yaml's optional ``document`` block: what only the 評価書 states, not the analysis (dotted for
#: the nested ones): name -> (kind, (ja, en), the ``doc:`` key of ``catalog/form_layout.csv``'s ``fill`` it
#: fills, "" for a block). Kinds: ``text`` (at most MAX_NOTE_CHARS), ``date``, ``path`` (a file beside the
#: model) and ``block``. :attr:`pia_analysis.model.model.Model.document` gives them flattened with dots.
DOCUMENT_KEYS: dict[str, tuple[str, tuple[str, str], str]] = {
    "assessment_number": ("text", ("評価書番号（表紙）", "the assessment number (cover)"), "assessment_number"),
    "declaration": ("text", ("個人のプライバシー等の権利利益の保護の宣言（表紙）",
                             "the declaration on the protection of privacy and other rights (cover)"), "declaration"),
    "remarks": ("text", ("特記事項（表紙）", "special notes (cover)"), "remarks"),
    "affair_description": ("text", ("事務の内容（Ⅰ 1 ②。基礎項目評価書では 事務の概要）",
                                    "the content of the affair (Ⅰ 1 ②; 事務の概要 in the basic assessment)"),
                           "affair_description"),
    "affair_diagram": ("path", ("（別添1）事務の内容の図: モデルのフォルダ（ブックではそのフォルダ）からの相対パス"
                                "（絶対パスや .. でフォルダの外に出るパスは不可）。省略するとモデルから描いた図",
                                "(別添1) the diagram of the affair: a path relative to the model folder (the "
                                "workbook's folder), inside it (an absolute path or one leaving it with .. is "
                                "refused); left out, the diagram drawn from the model"), "affair_diagram"),
    "affair_steps": ("text", ("（別添1）事務の流れ（手順の説明）", "(別添1) the steps of the affair"), "affair_steps"),
    "necessity": ("text", ("事務実施上の必要性（Ⅰ 4 ①）", "why the affair needs the file (Ⅰ 4 ①)"), "necessity"),
    "expected_benefits": ("text", ("実現が期待されるメリット（Ⅰ 4 ②）", "the expected benefits (Ⅰ 4 ②)"),
                          "expected_benefits"),
    "legal_basis_number_use": ("text", ("個人番号の利用の法令上の根拠（Ⅰ 5）。条項を正確に",
                                        "the legal basis for using My Numbers (Ⅰ 5), article by article"),
                               "legal_basis_number_use"),
    "legal_basis_linkage": ("text", ("情報提供ネットワークシステムによる情報連携の法令上の根拠（Ⅰ 6 ②）",
                                     "the legal basis for the linkage through the information-provision network "
                                     "(Ⅰ 6 ②)"), "legal_basis_linkage"),
    "department": ("text", ("評価実施機関における担当部署（Ⅰ 7 ①）", "the department in charge (Ⅰ 7 ①)"),
                   "department"),
    "department_head_title": ("text", ("所属長の役職名（Ⅰ 7 ②。氏名は書かない）",
                                       "the title of the department's head (Ⅰ 7 ②; no name)"),
                              "department_head_title"),
    "other_bodies": ("text", ("他の評価実施機関（Ⅰ 8）", "other assessing bodies (Ⅰ 8)"), "other_bodies"),
    "disclosure": ("block", ("特定個人情報の開示・訂正・利用停止請求（Ⅴ 1）",
                             "requests for disclosure, correction or suspension of use (Ⅴ 1)"), ""),
    "disclosure.office": ("text", ("請求先（Ⅴ 1 ①）", "where to request (Ⅴ 1 ①)"), "disclosure_office"),
    "disclosure.method": ("text", ("請求方法（Ⅴ 1 ②）", "how to request (Ⅴ 1 ②)"), "disclosure_method"),
    "disclosure.fee": ("text", ("手数料等（Ⅴ 1 ③）", "fees (Ⅴ 1 ③)"), "disclosure_fee"),
    "disclosure.file_register_publication": ("text", ("個人情報ファイル簿の公表（Ⅴ 1 ④）",
                                                      "publication of the personal information file register "
                                                      "(Ⅴ 1 ④)"), "file_register_publication"),
    "disclosure.special_procedure": ("text", ("法令による特別の手続（Ⅴ 1 ⑤）", "special procedures under laws (Ⅴ 1 ⑤)"),
                                     "special_procedure"),
    "disclosure.file_register_omission": ("text", ("個人情報ファイル簿への不記載等（Ⅴ 1 ⑥）",
                                                   "omissions from the file register (Ⅴ 1 ⑥)"),
                                          "file_register_omission"),
    "inquiry": ("block", ("特定個人情報ファイルの取扱いに関する問合せ（Ⅴ 2）",
                          "inquiries about the handling of the files (Ⅴ 2)"), ""),
    "inquiry.contact": ("text", ("連絡先（Ⅴ 2 ①。部署と電話番号など。個人名は書かない）",
                                 "contact (Ⅴ 2 ①: the office and its telephone; no personal name)"),
                        "inquiry_contact"),
    "inquiry.handling": ("text", ("対応方法（Ⅴ 2 ②）", "how inquiries are handled (Ⅴ 2 ②)"), "inquiry_handling"),
    "population_counted_on": ("date", ("基礎項目評価書 Ⅱ 1 対象人数のいつ時点の計数か",
                                       "the day the basic assessment's Ⅱ 1 対象人数 was counted"),
                              "population_counted_on"),
    "handlers_counted_on": ("date", ("基礎項目評価書 Ⅱ 2 取扱者数のいつ時点の計数か",
                                     "the day the basic assessment's Ⅱ 2 取扱者数 was counted"),
                            "handlers_counted_on"),
    "manual_work_measures": ("text", ("基礎項目評価書 人手を介在させる作業（後の様式の項目。任意。書いたときだけ示す）",
                                      "basic assessment: work done by hand (an item of later forms; optional, "
                                      "shown only when given)"), "manual_work_measures"),
    "top_priority_measure": ("text", ("基礎項目評価書 最も優先度が高いと考えられる対策（後の様式の項目。任意）",
                                      "basic assessment: the measure judged the highest priority (an item of later "
                                      "forms; optional)"), "top_priority_measure"),
    "source": ("text", ("出典: 各キーの記載の根拠（議事録の箇所、公表資料、または assumption: …）",
                        "where the block's values come from: passages of the minutes, public documents, or "
                        "assumption: …"), ""),
}

#: The coded values of ``file_details.csv``'s ``file_kind`` (their words, the form's choices, in
#: catalog/value_aliases.csv): システム用ファイル, その他の電子ファイル（表計算ファイル等）.
FILE_KINDS = ("system", "other")
#: The words of a retention period that is not set (保管期間 定められていない); an empty cell is unanswered.
NOT_SET_WORDS = ("not set", "定められていない", "定めなし")
#: What the loader reads any of :data:`NOT_SET_WORDS` as (a ``years`` cell): one value, whatever word was written.
NOT_SET = "not set"

#: The meanings that differ for a model directory's model.yaml.
DIRECTORY_KEY_MEANINGS: dict[str, tuple[str, str]] = {
    "document": ("任意。評価書だけに書く事項（事務の内容、法令上の根拠、担当部署、開示請求先 など）: 下の document.… の"
                 "キーを持つブロック。値のないキーは未記入",
                 "optional; what only the 評価書 states (the affair's content, legal bases, department, where to "
                 "request disclosure …): a block of the document.… keys below, a key without a value not given"),
    "previous": ("任意。前回のモデルのフォルダ。このフォルダからの相対パス（例: ../city-juki-r5）",
                "optional; the previous version's model directory, relative to this directory"),
    "shared": ("任意。市の作業フォルダ（city workspace）の共有部分のフォルダ: 複数の事務が使うゾーン・システム・"
               "ファイル・"
               "フロー・対策を1度だけ定義したもの。このフォルダからの相対パス（例: ../../shared）。この事務の行が参照"
               "する共有の要素だけが読み込まれる（docs/city.md）",
               "optional; the shared part of a city workspace: the folder defining once the zones, systems, files, "
               "flows and controls several affairs use, relative to this directory, e.g. ../../shared. Only the "
               "shared elements this affair's rows reference are loaded (docs/city.md)"),
}

#: (ja, en) name of every kind of value (Column.kind and the kinds of MODEL_KEYS).
KIND_MEANINGS: dict[str, tuple[str, str]] = {
    "id": ("ID", "id"),
    "ref": ("ID（参照）", "id (reference)"),
    "text": ("文字", "text"),
    "enum": ("選択", "choice"),
    "bool": ("TRUE/FALSE", "TRUE/FALSE"),
    "int": ("整数", "whole number"),
    "prob": ("0〜1の数", "number in [0, 1]"),
    "list": ("; 区切りの文字", "text items separated by ;"),
    "reflist": ("; 区切りのID", "ids separated by ;"),
    "date": ("日付", "date"),
    "path": ("パス", "path"),
    "procedure": ("手続の記録（ブロック）", "procedure record (a block)"),
    "block": ("ブロック", "block"),
    "dates": ("日付のリスト", "list of dates"),
    "declarations": ("宣言のリスト", "list of declarations"),
    "ids": ("IDのリスト", "list of ids"),
    "affairs": ("事務のブロックのリスト", "list of affair blocks"),
    "note": ("文字（長文可）", "text (long)"),
    "organisation_kind": ("団体の種類", "kind of body"),
    "stage_texts": ("段階ごとの文字（ブロック）", "text per stage (a block)"),
    "document": ("評価書の記載事項（ブロック）", "document data (a block)"),
    "count": ("整数（空欄は未記入）", "whole number (empty: not given)"),
    "years": ("年数、または 定められていない", "whole years, or not set"),
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``kind`` decides how a cell is parsed: ``id`` (unique key), ``ref`` (an id of another table),
    ``text``, ``enum`` (one of ``choices``), ``bool``, ``int`` (>= 0), ``prob`` (a number in [0, 1]),
    ``list`` (``;``-separated text) or ``reflist`` (``;``-separated ids).
    ``required``: the column must be present in the header. ``nonempty``: a cell may not be blank.
    ``max_chars``: the longest value, in characters (of each id for ``id``, ``ref`` and ``reflist``);
    by default :data:`MAX_ID_CHARS` for ids and :data:`MAX_NOTE_CHARS` for text (see :attr:`limit`).
    ``meaning``: what the column holds, (Japanese, English), as the workbook guide sheet, its input
    messages and ``new``'s README state it; text that names a table names it as a :class:`TableRef`, which
    each form words its own way (:meth:`meaning_in`). ``unit``: (Japanese, English) unit of a number, where
    it has one. ``fills``: the item of the 評価書 layouts (its ``doc:`` key) the column gives, if any.
    Kinds of the document-only tables: ``date`` (a date, empty allowed), ``count`` (a whole number >= 0, or
    empty: not given, never 0) and ``years`` (a whole number of years, or 定められていない / ``not set``;
    empty: not given).
    ``omit_empty``: an optional column the directory saver leaves out when no row fills it (issue 18's
    ``processes`` and ``parent_zone``), so that a model not using it is written as before; a workbook, a form to
    fill in, keeps it.
    """

    name: str
    kind: str = "text"
    required: bool = True
    nonempty: bool = False
    choices: tuple[str, ...] = ()
    hint: Text = ""
    max_chars: int | None = None
    meaning: tuple[Text, Text] = ("", "")
    unit: tuple[str, str] | None = None
    # the ``doc:`` key of catalog/form_layout.csv's ``fill`` the column gives (document-only data), or ""
    fills: str = ""
    # an optional column the savers leave out when every row leaves it empty (issue 18's processes and
    # parent_zone): a model that does not use it is written as it was before the column existed
    omit_empty: bool = False

    def meaning_in(self, form: str) -> tuple[str, str]:
        """The meaning (Japanese, English) in the words of a model directory or of a workbook.

        Parameters
        ----------
        form
            ``"directory"`` (the tables named as files, ``zones.csv``: ``docs/model-format.md``, ``new``'s
            README) or ``"workbook"`` (as sheets, ``zones シート``, ``the zones sheet``: the guide sheet and
            the input messages).

        Returns
        -------
        (str, str)
            The Japanese and English text.

        Examples
        --------
        >>> from pia_analysis.model.schema import TABLE_BY_NAME
        >>> zone = TABLE_BY_NAME["systems"].column("zone_id")
        >>> zone.meaning_in("directory")[1], zone.meaning_in("workbook")[1]
        ('its zone: a zone_id of zones.csv', 'its zone: a zone_id of the zones sheet')
        """
        if form not in ("directory", "workbook"):
            raise ValueError(f"form must be 'directory' or 'workbook', not {form!r}")

        def words(text: Text, ja: bool) -> str:
            if isinstance(text, str):
                return text
            if form == "directory":
                return "".join(map(str, text))
            return "".join(part if isinstance(part, str) else f"{part.name} シート" if ja
                           else f"{part.name} sheet" if part.place else f"the {part.name} sheet"
                           for part in text)

        return words(self.meaning[0], True), words(self.meaning[1], False)

    @property
    def limit(self) -> int | None:
        """The longest value allowed, in characters (None: the kind bounds it, as enum, bool, numbers)."""
        if self.max_chars is not None:
            return self.max_chars
        if self.kind in ("id", "ref", "reflist"):
            return MAX_ID_CHARS
        if self.kind in ("text", "list"):
            return MAX_NOTE_CHARS
        return None

    @property
    def limit_kind(self) -> str:
        """What the limit is for, in words (for messages)."""
        if self.kind in ("id", "ref", "reflist"):
            return "an id"
        return "a name" if self.limit == MAX_NAME_CHARS else "a text cell"


def extra_column(name: str) -> Column:
    """The description of a column a table carries beyond the format's (kept as text, written back).

    Parameters
    ----------
    name
        The column's name in the header.

    Returns
    -------
    Column
        An optional text column.

    Examples
    --------
    >>> from pia_analysis.model.schema import extra_column
    >>> extra_column("memo").kind, extra_column("memo").required
    ('text', False)
    """
    return Column(name, "text", required=False)


@dataclass(frozen=True)
class Table:
    """One table of a model: its name, file, id column and columns, in format order.

    ``optional_file``: a model directory may leave the file out (the table is then empty); ``title``: what
    the rows are, in English (the headings of ``docs/model-format.md``); ``unique``: the columns that together
    identify a row when the key alone does not (empty: the key).
    """

    name: str  # attribute name on Model, e.g. "systems"
    filename: str
    key: str  # the id column
    columns: tuple[Column, ...]
    optional_file: bool = False
    title: str = ""  # what the rows are, in English (docs/model-format.md's headings)
    # form_answers: one row per item *and unit*, so the id column alone is not unique (the pair is checked
    # with the document tables, model/checks.py)
    unique_key: bool = True
    # the columns whose values together identify a row, when the key alone does not (holdings: a shared system
    # keeps several files of the affair); empty: the key
    unique: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        """The names of the format's columns, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name`` (StopIteration when there is none)."""
        return next(c for c in self.columns if c.name == name)

    def omitted_columns(self, frame) -> list[str]:  # noqa: ANN001 - a DataFrame (no pandas in the schema)
        """The columns marked ``omit_empty`` that ``frame`` holds and leaves empty in every row (not written)."""
        return [c.name for c in self.columns if c.omit_empty and c.name in frame
                and not any(value not in (None, "") and not (isinstance(value, list) and not value)
                            for value in frame[c.name])]


def _enum(name: str, choices: tuple[str, ...], hint: Text = "", meaning: tuple[Text, Text] = ("", "")) -> Column:
    return Column(name, "enum", nonempty=True, choices=choices, hint=hint, meaning=meaning)


def _name_columns() -> tuple[Column, Column]:
    """``name_ja`` and ``name_en``, the same pair in every table whose rows are named."""
    return (
        Column("name_ja", max_chars=MAX_NAME_CHARS,
               meaning=("名称（日本語）", "name in Japanese")),
        Column("name_en", required=False, max_chars=MAX_NAME_CHARS,
               meaning=("名称（英語、任意）", "name in English (optional)")),
    )


TABLES: tuple[Table, ...] = (
    Table(
        "zones",
        "zones.csv",
        "zone_id",
        (
            Column("zone_id", "id", nonempty=True,
                meaning=("ゾーンのID（一意）",
                         "zone id (unique)"),
            ),
            *_name_columns(),
            Column("internet_facing", "bool", nonempty=True,
                meaning=("インターネットから到達できるゾーンか",
                         "the zone is reachable from the internet"),
            ),
            _enum("operator", OPERATORS,
                meaning=("運用者: city 市、contractor 委託先、subcontractor 再委託先、jlis J-LIS、national 国、"
                         "other_body 他の団体・機関、resident 住民、cloud_provider クラウドサービス事業者"
                         "（ガバメントクラウド等の基盤の提供者。委託先ではない）",
                         "who runs it: city, contractor, subcontractor, jlis, national, other_body, resident, "
                         "cloud_provider (the provider of a cloud platform such as the government cloud; not a "
                         "contractor)"),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
            Column("government_cloud", "bool", required=False,
                meaning=("ガバメントクラウドの利用領域（テナント）か（任意。空欄・列なしは FALSE。TRUE なら運用者は "
                         "cloud_provider）",
                         "the zone is a government-cloud tenancy (ガバメントクラウド; optional, empty or no column = "
                         "FALSE; when TRUE its operator is cloud_provider)"),
            ),
            # issue 18: nested trust boundaries (Threagile, OTM trustZone.parent), kept as data, analysed flat
            Column("parent_zone", "ref", required=False, omit_empty=True, hint=("a zone_id of ", TableRef("zones")),
                meaning=(("このゾーンを内側に含むゾーン（", TableRef("zones"), " の zone_id。任意。空欄は最も外側）。"
                          "入れ子は図に描かれ、分析では各ゾーンを別々に扱う: 親子のゾーンの間のフローも境界を越える。"
                          "internet_facing・operator は親から引き継がない。循環はエラー"),
                         ("the zone this zone lies inside: a zone_id of ", TableRef("zones"), " (optional; empty: "
                          "outermost). Nesting is drawn; the analyses treat each zone on its own: a flow between a "
                          "zone and its parent crosses a boundary; internet_facing and operator are not inherited; "
                          "a cycle is an error")),
            ),
        ),
        title="trust zones",
    ),
    Table(
        "systems",
        "systems.csv",
        "system_id",
        (
            Column("system_id", "id", nonempty=True,
                meaning=("システムのID（一意。flow_id とも重複不可）",
                         "system id (unique; also differs from every flow_id)"),
            ),
            *_name_columns(),
            Column("zone_id", "ref", nonempty=True, hint=("a zone_id of ", TableRef("zones")),
                meaning=(("所属するゾーン（", TableRef("zones"), "の zone_id）"),
                         ("its zone: a zone_id of ", TableRef("zones"))),
            ),
            _enum("kind", KINDS,
                meaning=("種類: system システム、store 保管先、terminal 端末、network ネットワーク、"
                         "external 外部の主体",
                         "kind: system, store, terminal, network, external"),
            ),
            _enum("operator", OPERATORS,
                meaning=("運用者（zones と同じ選択肢）",
                         "who runs it (the choices of zones)"),
            ),
            Column("holds", "reflist", hint=("file_ids of ", TableRef("files"), " separated by ';'"),
                meaning=("保有するファイルの file_id（; 区切り。なければ空欄）",
                         "file_ids of the files kept here, separated by ; (empty: none)"),
            ),
            Column("entry_likelihood", "prob", hint="empty or 0 = not an entry point; else a number in (0, 1]",
                meaning=("1年間に攻撃者・不正な内部者がここを足場にする確率（0超〜1）。空欄または0は入口でない",
                         "likelihood that an adversary gets a foothold here within a year, in (0, 1]; empty or 0 = not "
                         "an entry point"),
                unit=("年間の確率", "probability per year"),
            ),
            Column("source", required=False,
                meaning=("出典",
                         "source of the row"),
            ),
            Column("functions", required=False, fills="system_functions",
                meaning=("システムの機能（評価書 Ⅰ 2 ②。任意）",
                         "what the system does (the 評価書's Ⅰ 2 ②; optional)"),
            ),
            # issue 18: files that pass through without being kept (pytm's web server relaying a token)
            Column("processes", "reflist", required=False, omit_empty=True,
                hint=("file_ids of ", TableRef("files"), " separated by ';'"),
                meaning=(("経由のみで保管しないファイルの file_id（; 区切り。任意）。フローはどちらかの端が保有"
                          "または経由するファイルを運べる。対象人数・保管の指摘・保管場所は holds だけを数える。"
                          "holds にもあるファイルは保有として扱う（警告）"),
                         ("file_ids of the files passing through, not kept, separated by ; (optional): a flow may "
                          "carry a file held or processed at either end; records at stake, retention findings and "
                          "保管場所 count held files only; a file also in holds is treated as held (a warning)")),
            ),
        ),
        title="systems, stores, terminals, networks, outside parties",
    ),
    Table(
        "files",
        "files.csv",
        "file_id",
        (
            Column("file_id", "id", nonempty=True,
                meaning=("特定個人情報ファイルのID（一意）",
                         "file id (unique)"),
            ),
            *_name_columns(),
            Column("records", "int", nonempty=True, hint="a whole number of records (people) >= 0",
                meaning=("記録される人数（整数）",
                         "people in the file (a whole number)"),
                unit=("人", "people"),
            ),
            Column("contains_my_number", "bool", nonempty=True,
                meaning=("個人番号を含むファイルか",
                         "the file holds My Numbers"),
            ),
            Column("items", "list", required=False,
                meaning=("記録項目（; 区切り、任意）",
                         "record items separated by ; (optional)"),
            ),
            Column("source", required=False,
                meaning=("出典",
                         "source of the row"),
            ),
        ),
        title="specific personal information files (特定個人情報ファイル)",
    ),
    Table(
        "flows",
        "flows.csv",
        "flow_id",
        (
            Column("flow_id", "id", nonempty=True,
                meaning=("フローのID（一意。system_id とも重複不可）",
                         "flow id (unique; also differs from every system_id)"),
            ),
            Column("source", "ref", nonempty=True, hint=("a system_id of ", TableRef("systems")),
                meaning=(("送信元のシステム（", TableRef("systems"), "の system_id）"),
                         ("the sending system: a system_id of ", TableRef("systems"))),
            ),
            Column("target", "ref", nonempty=True, hint=("a system_id of ", TableRef("systems")),
                meaning=("送信先のシステム（source と異なるもの）",
                         "the receiving system (not the source)"),
            ),
            Column("files", "reflist", hint=("file_ids of ", TableRef("files"), " separated by ';'"),
                meaning=("運ぶファイルの file_id（; 区切り。送信元か送信先が保有するもの）",
                         "file_ids carried, separated by ; (each held at the source or the target)"),
            ),
            _enum("stage", STAGES,
                meaning=("段階: acquire 入手、use 使用、outsource 委託、provide 提供・移転、"
                         "network 情報提供ネットワークシステムとの接続、retain 保管・消去",
                         "process stage: acquire, use, outsource, provide, network, retain"),
            ),
            Column("channel", required=False, max_chars=MAX_NAME_CHARS,
                meaning=("経路（庁内LAN、LGWAN、住基ネット、専用回線、媒体 など。任意）",
                         "channel (LAN, LGWAN, Juki-net, leased line, media …; optional)"),
            ),
            Column("interactive", "bool", nonempty=True,
                meaning=("送信先から応答できるか（照会・応答なら TRUE、一方向の一括送信なら FALSE）",
                         "the target can talk back (request/response TRUE; one-way batch FALSE)"),
            ),
            Column("encrypted", "bool", nonempty=True,
                meaning=("暗号化されているか",
                         "the flow is encrypted"),
            ),
            Column("source_ref", required=False,
                meaning=("出典",
                         "source of the row"),
            ),
        ),
        title="data flows",
    ),
    Table(
        "controls",
        "controls.csv",
        "control_id",
        (
            Column("control_id", "id", nonempty=True,
                meaning=("対策のID（一意）",
                         "control id (unique)"),
            ),
            *_name_columns(),
            Column("mitigates", "reflist", nonempty=True, hint="risk ids such as acquire-1 separated by ';'",
                meaning=(("軽減するリスクのID（acquire-1 … retain-3、Ⅳ の self-check・audit・training、または ",
                          TableRef("risks"), "のID。; 区切り）"),
                         ("risk ids mitigated (acquire-1 … retain-3, Section Ⅳ's self-check, audit, training, "
                          "or ids of ",
                          TableRef("risks"), "), separated by ;")),
            ),
            Column("applies_to", "reflist", nonempty=True, hint="system or flow ids separated by ';', or *",
                meaning=("適用先の system_id・flow_id（; 区切り）。組織全体なら * のみ",
                         "system or flow ids it applies to, separated by ;, or * alone for the whole organisation"),
            ),
            Column("effectiveness", "prob", nonempty=True, hint="a number in [0, 1]; 0 for organisational measures",
                meaning=("要素を通過する確率をどれだけ下げるか（0〜1。組織的な対策は0）",
                         "how much it lowers an adversary's chance of passing the element, in [0, 1]; 0 for "
                         "organisational measures"),
            ),
            _enum("status", STATUSES,
                meaning=("状況: implemented 実施済み、planned 予定、missing 未実施、unknown 不明（実施の有無を"
                          "確認できない。未実施と同じく何も守らず、確認事項として示す）",
                         "status: implemented, planned, missing, unknown (the city could not say whether it "
                         "is in place: protects nothing, like missing, and is listed as a question to put to "
                         "the city)"),
            ),
            Column("source", required=False,
                meaning=("出典",
                         "source of the row"),
            ),
            Column("sub_measures", "reflist", required=False,
                hint="sub-measure ids of the catalogue such as use-2.user-auth separated by ';'",
                meaning=("この対策が実施する評価書 Ⅲ の細目（目録の sub_measure_id。例: use-2.user-auth。"
                         "; 区切り、任意）",
                         "the sub-measures of the form's Ⅲ this control implements (catalogue sub_measure_ids such "
                         "as use-2.user-auth, separated by ;; optional)"),
            ),
        ),
        title="security and organisational measures",
    ),
    Table(
        "risks",
        "risks.csv",
        "risk_id",
        (
            Column("risk_id", "id", nonempty=True,
                meaning=("追加するリスクのID（目録のIDと重複不可。例: use-x1）",
                         "id of an extra risk (not a catalogue id; e.g. use-x1)"),
            ),
            _enum("stage", STAGES,
                meaning=("段階（flows の stage と同じ選択肢）",
                         "process stage (the choices of flows' stage)"),
            ),
            Column("name_ja", max_chars=MAX_NAME_CHARS,
                meaning=("リスクの名称（日本語）",
                         "name in Japanese"),
            ),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS,
                meaning=("リスクの名称（英語、任意）",
                         "name in English (optional)"),
            ),
        ),
        optional_file=True,
        title="extra risk items",
    ),
    Table(
        "ratings",
        "ratings.csv",
        "risk_id",
        (
            Column("risk_id", "ref", nonempty=True,
                hint=("a rated item: acquire-1 … use-4, outsource, provide-1 … retain-3, self-check, audit, training, "
                      "or a risk id of ", TableRef("risks")),
                meaning=(("自己評価する項目（評価項目）のID: Ⅲ のリスク（acquire-1 … retain-3。委託は5つのリスクを"
                          "まとめた1つの欄 outsource）、Ⅳ の self-check 自己点検・audit 監査・training 従業者に対する"
                          "教育・啓発、または ", TableRef("risks"), " のID"),
                         # where the ids are: the file, or the sheet without an article
                         ("the rated item: a risk of Section Ⅲ (acquire-1 … retain-3; the five outsourcing risks are "
                          "one block, outsource), Section Ⅳ's self-check, audit and training, or a risk id of ",
                          TableRef("risks", place=True))),
            ),
            Column(
                "rating",
                "enum",
                nonempty=True,
                choices=RATING_CHOICES,
                meaning=("評価: Ⅲ は 特に力を入れている、十分である、課題が残されている。"
                         "Ⅳ は 特に力を入れて行っている、十分に行っている、十分に行っていない",
                         "rating: for Section Ⅲ 特に力を入れている, 十分である, 課題が残されている; for Section Ⅳ "
                         "特に力を入れて行っている, 十分に行っている, 十分に行っていない (emphasised, sufficient, "
                         "remaining are accepted for both)"),
            ),
            Column("source", required=False,
                meaning=("出典（評価書の記載、議事録の箇所、または assumption: …。仮定の評価に基づく指摘は"
                         "その旨が示される）",
                         "where the rating comes from: the 評価書, a passage of the minutes, or assumption: … "
                         "(a finding on an assumed rating is marked as resting on an assumption)"),
            ),
        ),
        optional_file=True,
        title="the assessor's self-ratings",
    ),
    Table(
        "sub_measures",
        "sub_measures.csv",
        "sub_measure_id",
        (
            Column("sub_measure_id", "id", nonempty=True,
                meaning=("回答する細目のID（目録の sub_measure_id。例: use-2.user-auth、retain-1.serious-incident）",
                         "the sub-measure answered: a catalogue sub_measure_id such as use-2.user-auth or "
                         "retain-1.serious-incident"),
            ),
            Column("answer", max_chars=MAX_NAME_CHARS,
                hint="one of the sub-measure's choices; empty for a text sub-measure",
                meaning=("選択肢の細目の回答（例: 行っている。目録の選択肢のいずれか）。文字の細目（…の内容）では空欄。"
                         "Ⅲ7 リスク1 ⑨（過去3年以内の個人情報に関する重大事故: 発生あり／発生なし）もここで答える。"
                         "⑨はしきい値判断の serious_incident（過去1年以内の特定個人情報に関する重大事故）とは別",
                         "the answer of a choice sub-measure (e.g. 行っている: one of its catalogue choices); "
                         "empty for a text sub-measure (…の内容). Ⅲ7 risk 1 ⑨ (a serious incident concerning "
                         "personal information in the past 3 years: 発生あり / 発生なし) is answered here; "
                         "it is not the threshold input serious_incident (specific personal information, past year)"),
            ),
            Column("detail",
                meaning=("記載する文章: 選択肢に付く文章（具体的な方法、手順の内容 など）、または文字の細目の内容",
                         "the text written: the text attached to a choice (具体的な方法, 手順の内容 …), or the content "
                         "of a text sub-measure"),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the answer comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="the answers to the sub-measures of Section Ⅲ",
    ),
    Table(
        "file_details",
        "file_details.csv",
        "file_id",
        (
            Column("file_id", "ref", nonempty=True, hint=("a file_id of ", TableRef("files")),
                meaning=(("記述するファイル（", TableRef("files"), "の file_id。1ファイル1行）"),
                         ("the file described: a file_id of ", TableRef("files"), " (one row per file)")),
            ),
            Column("file_kind", "enum", required=False, choices=FILE_KINDS, fills="file_kind",
                meaning=("ファイルの種類（Ⅱ 2 ①）: system システム用ファイル、"
                         "other その他の電子ファイル（表計算ファイル等）",
                         "kind of file (Ⅱ 2 ①): system (システム用ファイル) or other (その他の電子ファイル, "
                         "spreadsheets and the like)"),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("subject_scope", "subject_scope", ("対象となる本人の範囲（Ⅱ 2 ③）", "the people in the file (Ⅱ 2 ③)")),
                ("subject_scope_necessity", "subject_scope_necessity",
                 ("その必要性（Ⅱ 2 ③）", "why they are needed (Ⅱ 2 ③)")),
                ("record_items_validity", "record_items_validity",
                 ("主な記録項目 その妥当性（Ⅱ 2 ④）", "why the record items are appropriate (Ⅱ 2 ④)")),
            )),
            Column("holding_start", "date", required=False, fills="holding_start",
                meaning=("保有開始日（Ⅱ 2 ⑤）", "the day the file began to be held (Ⅱ 2 ⑤)"),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("department", "file_department", ("事務担当部署（Ⅱ 2 ⑥）", "the department in charge (Ⅱ 2 ⑥)")),
                ("acquisition_timing", "acquisition_timing",
                 ("入手の時期・頻度（Ⅱ 3 ③）", "when and how often it is acquired (Ⅱ 3 ③)")),
                ("acquisition_validity", "acquisition_validity",
                 ("入手に係る妥当性（Ⅱ 3 ④）", "why the acquisition is appropriate (Ⅱ 3 ④)")),
                ("notice_to_subjects", "notice_to_subjects",
                 ("本人への明示（Ⅱ 3 ⑤）", "how the people concerned are told (Ⅱ 3 ⑤)")),
                ("purpose", "purpose", ("使用目的（Ⅱ 3 ⑥）", "purpose of use (Ⅱ 3 ⑥)")),
                ("using_departments", "using_departments", ("使用部署（Ⅱ 3 ⑦）", "departments using it (Ⅱ 3 ⑦)")),
            )),
            Column("user_count", "count", required=False, fills="user_count", unit=("人", "people"),
                hint="a whole number of people >= 0, or empty when not known",
                meaning=("使用者数（Ⅱ 3 ⑦。人数。評価書には区分で書かれる。空欄は未記入）",
                         "number of users (Ⅱ 3 ⑦; the 評価書 shows its band; empty: not given)"),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("usage_method", "usage_method", ("使用方法（Ⅱ 3 ⑧）", "how it is used (Ⅱ 3 ⑧)")),
                ("matching", "matching", ("情報の突合（Ⅱ 3 ⑧）", "matching of information (Ⅱ 3 ⑧)")),
                ("statistical_analysis", "statistical_analysis",
                 ("情報の統計分析（Ⅱ 3 ⑧）", "statistical analysis (Ⅱ 3 ⑧)")),
                ("decisions", "decisions", ("権利利益に影響を与え得る決定（Ⅱ 3 ⑧）",
                                            "decisions that may affect rights and interests (Ⅱ 3 ⑧)")),
            )),
            Column("use_start", "date", required=False, fills="use_start",
                meaning=("使用開始日（Ⅱ 3 ⑨）", "the day use began (Ⅱ 3 ⑨)"),
            ),
            Column("retention", "years", required=False, fills="retention_years",
                hint="a whole number of years (e.g. 5 or 5年), or 定められていない / not set; empty when not given",
                meaning=("保管期間（Ⅱ 6 ②）: 年数（整数。例: 5 または 5年）、または 定められていない（not set）。"
                         "空欄は未記入（定められていない とは別）",
                         "retention period (Ⅱ 6 ②): whole years (e.g. 5 or 5年), or 定められていない (not set); "
                         "empty: not given (not the same as not set)"),
                unit=("年", "years"),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("retention_validity", "retention_validity",
                 ("保管期間 その妥当性（Ⅱ 6 ②）", "why the period is appropriate (Ⅱ 6 ②)")),
                ("erasure_method", "erasure_method", ("消去方法（Ⅱ 6 ③）", "how it is erased (Ⅱ 6 ③)")),
                ("remarks", "file_remarks", ("備考（Ⅱ 7）", "remarks (Ⅱ 7)")),
            )),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="what the 評価書's Ⅱ states of each file",
    ),
    Table(
        "outsourcing",
        "outsourcing.csv",
        "outsourcing_id",
        (
            Column("outsourcing_id", "id", nonempty=True,
                meaning=("委託事項のID（一意）", "id of the 委託事項 (unique)"),
            ),
            Column("name_ja", max_chars=MAX_NAME_CHARS,
                meaning=("委託事項の名称（Ⅱ 4 委託事項）", "the 委託事項 (what is entrusted), in Japanese"),
            ),
            Column("covers", "reflist", required=False,
                hint=("system_ids of contractor- or subcontractor-run systems and flow_ids of outsource flows, "
                      "separated by ';'"),
                meaning=(("この委託事項にまとめる委託先・再委託先のシステム（", TableRef("systems"),
                          "）と委託のフロー（", TableRef("flows"), " の outsource）の ID（; 区切り）。"
                          "1つのIDは1つの委託事項にだけ。空欄なら評価書はシステム・フローごとに委託事項を分ける"),
                         ("the contractor- or subcontractor-run systems (", TableRef("systems"), ") and outsource "
                          "flows (", TableRef("flows"), ") this 委託事項 groups, ids separated by ;; each id in one "
                          "row at most; empty: the 評価書 has one 委託事項 per system or flow")),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("content", "outsourcing_content", ("委託内容（Ⅱ 4 ①）", "what is outsourced (Ⅱ 4 ①)")),
                ("scope", "outsourced_scope", ("対象となる本人の範囲（Ⅱ 4 ②）", "the people concerned (Ⅱ 4 ②)")),
                ("validity", "outsourced_validity", ("その妥当性（Ⅱ 4 ②）", "why it is appropriate (Ⅱ 4 ②)")),
            )),
            Column("contractor_handlers", "count", required=False, fills="contractor_handlers", unit=("人", "people"),
                hint="a whole number of people >= 0, or empty when not known",
                meaning=("委託先における取扱者数（Ⅱ 4 ③。人数。空欄は未記入）",
                         "handlers at the contractor (Ⅱ 4 ③; empty: not given)"),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning, max_chars=limit)
              for name, fills, meaning, limit in (
                ("contractor_name_check", "contractor_name_check",
                 ("委託先名の確認方法（Ⅱ 4 ⑤）", "how the contractor's name can be checked (Ⅱ 4 ⑤)"), None),
                ("contractor_name", "contractor_name",
                 ("委託先名（Ⅱ 4 ⑥。法人名）", "the contractor (Ⅱ 4 ⑥; a company)"), MAX_NAME_CHARS),
                ("subcontract_permission", "subcontract_permission",
                 ("再委託の許諾方法（Ⅱ 4 ⑧）", "how subcontracting is permitted (Ⅱ 4 ⑧)"), None),
            )),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="the 委託事項 of the 評価書's Ⅱ 4",
    ),
    Table(
        "recipients",
        "recipients.csv",
        "system_id",
        (
            Column("system_id", "ref", nonempty=True, hint=("the target system_id of a provide flow of ",
                                                            TableRef("flows")),
                meaning=(("提供先・移転先: provide のフローの送信先（", TableRef("systems"), " の system_id）"),
                         ("the recipient: the target of a provide flow (a system_id of ", TableRef("systems"), ")")),
            ),
            *(Column(name, required=False, fills=fills, meaning=meaning) for name, fills, meaning in (
                ("legal_basis", "recipient_legal_basis", ("法令上の根拠（Ⅱ 5 ①）", "legal basis (Ⅱ 5 ①)")),
                ("use", "recipient_use", ("提供先・移転先における用途（Ⅱ 5 ②）", "its use at the recipient (Ⅱ 5 ②)")),
                ("scope", "recipient_scope", ("対象となる本人の範囲（Ⅱ 5 ⑤）", "the people concerned (Ⅱ 5 ⑤)")),
                ("timing", "provision_timing", ("時期・頻度（Ⅱ 5 ⑦）", "when and how often (Ⅱ 5 ⑦)")),
            )),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="the 提供先・移転先 of the 評価書's Ⅱ 5",
    ),
    Table(
        "form_answers",
        "form_answers.csv",
        "item_id",
        (
            Column("item_id", "ref", nonempty=True, hint="an item_id of catalog/form_layout.csv such as full.II.3.1",
                meaning=("答える評価書の項目（catalog/form_layout.csv の item_id。例: full.II.3.1）",
                         "the 評価書 item answered: an item_id of catalog/form_layout.csv such as full.II.3.1"),
            ),
            Column("unit", "ref", required=False,
                hint="the file_id, system_id, outsourcing_id or recipient system_id of the item's block; empty for "
                     "an item of the whole document",
                meaning=("項目が繰り返されるときの単位: ファイル（file_id）、システム（system_id）、"
                         "委託事項（outsourcing_id、または委託先のシステム・委託のフローのID）、提供先（system_id）。文書に1つの項目では空欄",
                         "for an item repeated per unit, its unit: the file (file_id), the system (system_id), the "
                         "委託事項 (an outsourcing_id, or the id of the contractor-run system or outsource flow) or "
                         "the recipient (system_id); empty for an item of the whole document"),
            ),
            Column("answer", nonempty=True,
                hint="a choice of the item's set, a number or band label for a band, a date, or text",
                meaning=("回答（モデルから導く値に代えて書く）: 選択の項目は選択肢（複数は ; 区切り）、"
                         "区分の項目は数または区分名、日付の項目は日付、文字の項目は文章",
                         "the answer, written instead of what the model derives: a choice of the item's set (several "
                         "separated by ; where the item takes several), a number or a band label for a band item, a "
                         "date for a date item, text for a text item"),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the answer comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="answers to items of the 評価書 written instead of the derived ones",
        unique_key=False,
    ),
    # issue 16: an affair of a city workspace keeps its own files at the shared systems (docs/city.md)
    Table(
        "holdings",
        "holdings.csv",
        "system_id",
        (
            Column("system_id", "ref", nonempty=True, hint="a system_id of the shared part (model.yaml shared)",
                meaning=("ファイルを置く共有部分のシステム（model.yaml の shared のフォルダの systems.csv の "
                         "system_id）。"
                         "この事務自身のシステムには書かない（その systems.csv の holds に書く）",
                         "the shared system keeping the file: a system_id of the shared part's systems.csv (model.yaml "
                         "shared); not one of this affair's own systems (list the file in its holds instead)"),
            ),
            Column("file_id", "ref", nonempty=True, hint=("a file_id of this affair's ", TableRef("files")),
                meaning=(("共有のシステムに置くこの事務のファイル（", TableRef("files"), " の file_id）"),
                         ("this affair's file kept there: a file_id of ", TableRef("files"))),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="this affair's files kept at systems of the shared part (a city workspace)",
        unique=("system_id", "file_id"),
    ),
    # issue 18: a control's status on one element (an OTM mitigation implemented here, required there)
    Table(
        "control_status",
        "control_status.csv",
        "control_id",
        (
            Column("control_id", "ref", nonempty=True, hint=("a control_id of ", TableRef("controls")),
                meaning=(("状況を要素ごとに書く対策（", TableRef("controls"), " の control_id）"),
                         ("the control: a control_id of ", TableRef("controls"))),
            ),
            Column("element", "ref", nonempty=True,
                hint="a system_id or flow_id of the control's applies_to (any, when it applies to *)",
                meaning=("その要素: 対策の applies_to にある system_id・flow_id（applies_to が * なら任意の"
                         "システム・フロー）",
                         "the element: a system_id or flow_id of the control's applies_to (any system or flow "
                         "when it applies to *)"),
            ),
            _enum("status", STATUSES,
                meaning=("この要素での状況（controls の status と同じ選択肢: implemented 実施済み、planned 予定、"
                         "missing 未実施、unknown 不明）。書かれていない要素は対策の status に従う",
                         "the status on that element (the choices of controls' status: implemented, planned, "
                         "missing, unknown); elements not listed take the control's status"),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、公表資料、または assumption: …）",
                         "where the row comes from: a passage of the minutes, a public document, or assumption: …"),
            ),
        ),
        optional_file=True,
        title="a control's status on one element, where it differs from the control's own",
        unique=("control_id", "element"),
    ),
    # issue 18: the analyst's decision on a finding, keyed by the finding's stable id
    Table(
        "triage",
        "triage.csv",
        "finding_id",
        (
            Column("finding_id", nonempty=True, max_chars=2 * MAX_ID_CHARS + 1,
                hint="a finding id, rule@element, such as exposed-mn-holder@WEB",
                meaning=("判断する指摘のID（ルールID@要素ID。例: exposed-mn-holder@WEB。pia-analysis findings の"
                         "finding_id）",
                         "the finding decided: its id, rule@element such as exposed-mn-holder@WEB (the finding_id "
                         "of pia-analysis findings)"),
            ),
            _enum("decision", TRIAGE_DECISIONS,
                meaning=("判断: accepted 受容（理由を書く）、false_positive 誤検知（理由を書く）、fixing 対応中"
                         "（review_on に期限を書く）",
                         "the decision: accepted (a reason required), false_positive (a reason required), fixing "
                         "(review_on, its due date, required)"),
            ),
            Column("reason",
                meaning=("理由（accepted・false_positive では必須）",
                         "why (required for accepted and false_positive)"),
            ),
            Column("decided_by", nonempty=True, max_chars=MAX_NAME_CHARS,
                meaning=("判断した者（役職・部署など）", "who decided (a title or an office)"),
            ),
            Column("decided_on", "date", nonempty=True,
                meaning=("判断した日", "the day of the decision"),
            ),
            Column("review_on", "date", required=False,
                meaning=("見直す日（任意。fixing では対応の期限として必須。decided_on より前は不可）。"
                         "この日を過ぎた判断は未対応に戻る",
                         "the day to review the decision (optional; required for fixing, its due date; not before "
                         "decided_on); past it, the finding shows as open again"),
            ),
            Column("source", required=False,
                meaning=("出典（議事録の箇所、会議の記録など）",
                         "where the decision is recorded: a passage of the minutes, a meeting's record …"),
            ),
        ),
        optional_file=True,
        title="the analyst's decisions on findings (triage)",
    ),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: The element tables a city workspace's shared part may hold (``shared/zones.csv`` …; each optional): docs/city.md.
SHARED_TABLES = ("zones", "systems", "files", "flows", "controls")
#: Every table a shared part may hold: the element tables, and the status of its controls on its elements
#: (issue 18; rows taken with their control). Not ``triage.csv``: finding ids are an affair's own.
SHARED_PART_TABLES = (*SHARED_TABLES, "control_status")

#: city.yaml keys (a city workspace's index, docs/city.md): name -> (required, kind). ``affairs`` is a list of
#: blocks of the keys :data:`CITY_AFFAIR_KEYS`.
CITY_KEYS: dict[str, tuple[bool, str]] = {
    "organisation": (True, "text"),
    "organisation_kind": (False, "organisation_kind"),
    "shared": (False, "path"),
    "affairs": (True, "affairs"),
}
#: The keys of each block of city.yaml's ``affairs`` list: name -> (required, kind).
CITY_AFFAIR_KEYS: dict[str, tuple[bool, str]] = {
    "id": (True, "id"),
    "name": (True, "text"),
    "model": (True, "path"),
    "source": (False, "note"),
}
#: (ja, en) meaning of every city.yaml key, the keys of an affair block as ``affairs.<key>``.
CITY_KEY_MEANINGS: dict[str, tuple[str, str]] = {
    "organisation": ("必須。評価実施機関（市町村など）。各事務の model.yaml の organisation と同じであること",
                     "required; the body that runs the assessments; every affair's model.yaml organisation must "
                     "equal it"),
    "organisation_kind": ("任意。団体の種類（model.yaml と同じ選択肢）。各事務の model.yaml に書かれていれば"
                          "同じであること",
                          "optional; the kind of body (the choices of model.yaml); an affair's model.yaml that "
                          "gives one must agree"),
    "shared": ("任意。共有部分のフォルダ（city.yaml からの相対パス。例: shared）。各事務の model.yaml の shared は"
               "同じフォルダを指すこと",
               "optional; the shared part's folder, relative to city.yaml (e.g. shared); every affair's model.yaml "
               "shared that is given must name the same folder"),
    "affairs": ("必須。事務の一覧（1つ以上）: id、name、model、source のブロックのリスト",
                "required; the affairs, at least one: a list of blocks of id, name, model, source"),
    "affairs.id": ("必須。事務のID（一意。空白・; , * @ を含まない）。例: juki",
                   "required; the affair's id (unique; no spaces, ; , * @), e.g. juki"),
    "affairs.name": ("必須。事務の名称。モデルの affairs と異なれば警告",
                     "required; the affair's name; a warning when it differs from its model's affairs"),
    "affairs.model": ("必須。事務のモデル（フォルダまたは .xlsx のブック）。city.yaml からの相対パス",
                      "required; the affair's model (a folder or an .xlsx workbook), relative to city.yaml"),
    "affairs.source": ("任意。出典（assumption: … など）", "optional; where the row comes from (assumption: …)"),
}

#: The lines of docs/model-format.md between which :func:`format_reference_markdown` is written.
REFERENCE_BEGIN = ("<!-- generated from pia_analysis/model/schema.py by `python -m pia_analysis.model.schema --doc`: "
                   "edit the schema, not this part -->")
REFERENCE_END = "<!-- end of the generated part -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _bounds(kind: str, limit: int | None, unit: tuple[str, str] | None) -> str:
    if kind in ("id", "ref", "reflist"):
        text = f"at most {limit:,} characters" + (" each" if kind == "reflist" else "")
    elif kind in ("text", "list"):
        text = f"at most {limit:,} characters"
    elif kind in ("int", "count"):
        text = f"0 to {MAX_COUNT:,}" + ("; empty: not given" if kind == "count" else "")
    elif kind == "years":
        text = "0 to 9,999 whole years, or 定められていない / not set; empty: not given"
    elif kind == "prob":
        text = "0 to 1"
    elif kind == "date":
        text = (f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}; 2021-11-09, 2021/11/9 or 和暦 "
                "(令和3年11月9日, R3.11.9)")
    else:
        text = ""
    if unit is not None:
        text += f"; unit: {unit[1]} ({unit[0]})"
    return text


def _with_words(field: str, choices: tuple[str, ...]) -> str:
    # each coded value beside the Japanese words accepted for it (catalog/value_aliases.csv)
    return ", ".join(f"`{c}`" + (f" ({' / '.join(alias_words(field, c))})" if alias_words(field, c) else "")
                     for c in choices)


def _values(column: Column) -> str:
    if column.kind == "enum":
        return _with_words(column.name, column.choices)
    if column.kind == "bool":
        return " / ".join(f"`{t}`/`{f}`" for t, f in zip(TRUE_WORDS, FALSE_WORDS)) + (
            f"; also {' '.join(alias_words('bool', 'true'))} (true) and {' '.join(alias_words('bool', 'false'))} "
            "(false)")
    return _cell(column.hint if isinstance(column.hint, str) else "".join(map(str, column.hint)))


def _required(column: Column) -> str:
    if not column.required:
        return "no"
    return "yes, not empty" if column.nonempty else "yes"


def format_reference_markdown() -> str:
    """The reference tables of ``docs/model-format.md``: the model.yaml keys and every table's columns.

    Each column is listed with its kind, whether the header must have it (and the cell be non-empty), its
    enumeration values or reference, its bounds and unit, and its meaning in Japanese and English, all
    read from :data:`MODEL_KEYS`, :data:`TABLES` and the meanings beside them; a test keeps the doc equal.

    Returns
    -------
    str
        Markdown, ending with a newline, without the markers :data:`REFERENCE_BEGIN` and :data:`REFERENCE_END`.

    Examples
    --------
    >>> from pia_analysis.model.schema import format_reference_markdown
    >>> text = format_reference_markdown()
    >>> text.splitlines()[0]
    '### `model.yaml`'
    >>> "| `entry_likelihood` | number in [0, 1] |" in text
    True
    """
    lines = ["### `model.yaml`", "", "| key | type | required | bounds | 説明 | meaning |", "|---|---|---|---|---|---|"]
    for key, (required, kind) in MODEL_KEYS.items():
        ja, en = DIRECTORY_KEY_MEANINGS.get(key, MODEL_KEY_MEANINGS[key])
        limit = MODEL_TEXT_LIMITS.get(kind)
        lines.append(f"| `{key}` | {KIND_MEANINGS[kind][1]} | {'yes' if required else 'no'} | "
                     f"{_bounds(kind, limit, MODEL_KEY_UNITS.get(key))} | {_cell(ja)} | {_cell(en)} |")
    lines += ["", "### `model.yaml` `procedure` block (optional)", "",
              "| key | type | values | bounds | 説明 | meaning |", "|---|---|---|---|---|---|"]
    for key, (kind, (ja, en)) in PROCEDURE_KEYS.items():
        values = _with_words(key, PROCEDURE_CHOICES.get(key, ()))
        bounds = _bounds("text", MAX_NOTE_CHARS, None) if kind == "text" else _bounds(
            "date" if kind == "dates" else kind, None, None)
        name = KIND_MEANINGS["enum" if kind == "enum" else kind][1]
        lines.append(f"| `{key}` | {name} | {values} | {bounds} | {_cell(ja)} | {_cell(en)} |")
    lines += ["", "### `model.yaml` `document` block (optional)", "",
              "What only the 評価書 states; a key without a value is not given (【要記入】). `fills`: the `doc:` key "
              "of `catalog/form_layout.csv` the key gives.", "",
              "| key | type | fills | bounds | 説明 | meaning |", "|---|---|---|---|---|---|"]
    for key, (kind, (ja, en), fills) in DOCUMENT_KEYS.items():
        bounds = (_bounds("text", MAX_NOTE_CHARS if kind == "text" else MAX_NAME_CHARS, None)
                  if kind in ("text", "path") else _bounds(kind, None, None))
        lines.append(f"| `{key}` | {KIND_MEANINGS[kind][1]} | {f'`doc:{fills}`' if fills else ''} | {bounds} | "
                     f"{_cell(ja)} | {_cell(en)} |")
    lines += ["", "### `city.yaml` — the index of a city workspace (docs/city.md)", "",
              "| key | type | required | 説明 | meaning |", "|---|---|---|---|---|"]
    for key, (required, kind) in [*CITY_KEYS.items(), *((f"affairs.{k}", v) for k, v in CITY_AFFAIR_KEYS.items())]:
        ja, en = CITY_KEY_MEANINGS[key]
        lines.append(f"| `{key}` | {KIND_MEANINGS[kind][1]} | {'yes' if required else 'no'} | {_cell(ja)} | "
                     f"{_cell(en)} |")
    for table in TABLES:
        optional = " (optional file)" if table.optional_file else ""
        lines += ["", f"### `{table.filename}`{optional} — {table.title}", "",
                  "| column | type | required | values | bounds | 説明 | meaning |", "|---|---|---|---|---|---|---|"]
        for c in table.columns:
            ja, en = c.meaning_in("directory")
            lines.append(f"| `{c.name}` | {KIND_MEANINGS[c.kind][1]} | {_required(c)} | {_values(c)} | "
                         f"{_bounds(c.kind, c.limit, c.unit)} | {_cell(ja)} | {_cell(en)} |")
    era_rows = eras()
    lines += ["", "### Dates in 和暦 (catalog/eras.csv)", "",
              "A date is written `2021-11-09`, `2021-11-9`, `2021/11/9`, `2021年11月9日`, or in an era: "
              "`令和3年11月9日`, `R3.11.9`, `令和元年5月1日`; an Excel date cell (time 00:00) is read as its day. "
              "A time of day, a day the month lacks or a year outside its era is refused, located.", "",
              "| era | letter | first day | last day | source |", "|---|---|---|---|---|"]
    for era, letter, first, last, source in era_rows[["era", "letter", "first_day", "last_day", "source"]].itertuples(
            index=False):
        lines.append(f"| {era} | {letter} | {first.isoformat()} | {last.isoformat() if last else ''} | "
                     f"{_cell(source)} |")
    return "\n".join(lines) + "\n"


def rewrite_reference_markdown(text: str) -> str:
    r"""``text`` (docs/model-format.md) with its generated part replaced by :func:`format_reference_markdown`.

    Parameters
    ----------
    text : str
        The document, holding the lines :data:`REFERENCE_BEGIN` and :data:`REFERENCE_END`.

    Returns
    -------
    str
        The document with the part between the markers regenerated; equal to ``text`` when it is up to date.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When a marker is missing.

    Examples
    --------
    >>> from pia_analysis.model.schema import REFERENCE_BEGIN, REFERENCE_END, rewrite_reference_markdown
    >>> doc = "intro\n" + REFERENCE_BEGIN + "\nold\n" + REFERENCE_END + "\nrest\n"
    >>> new = rewrite_reference_markdown(doc)
    >>> new.startswith("intro\n") and new.endswith(REFERENCE_END + "\nrest\n") and "### `zones.csv`" in new
    True
    """
    if REFERENCE_BEGIN + "\n" not in text or REFERENCE_END not in text:
        raise InvalidArgumentError("the document lacks the markers of its generated part")
    head, rest = text.split(REFERENCE_BEGIN + "\n", 1)
    _old, tail = rest.split(REFERENCE_END, 1)
    return head + REFERENCE_BEGIN + "\n\n" + format_reference_markdown() + "\n" + REFERENCE_END + tail


if __name__ == "__main__":  # python -m pia_analysis.model.schema --doc [path]: rewrite docs/model-format.md
    import sys
    from pathlib import Path

    if sys.argv[1:2] != ["--doc"]:
        raise SystemExit("usage: python -m pia_analysis.model.schema --doc [docs/model-format.md]")
    doc = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/model-format.md")
    doc.write_text(rewrite_reference_markdown(doc.read_text(encoding="utf-8")), encoding="utf-8")
