"""The on-disk model format, as data.

Each table of a model directory is described by a :class:`Table` of :class:`Column` s. The loader
(:mod:`pia_analysis.formats.directory`) reads, checks and types every cell from these descriptions, and the saver writes
them back, so the format is stated once, here. ``docs/model-format.md`` explains it for analysts.
"""

from __future__ import annotations

__all__ = ["Column", "FALSE_WORDS", "KINDS", "MAX_CELLS", "MAX_COLUMNS", "MAX_COUNT", "MAX_DATE", "MAX_ID_CHARS", "MAX_NAME_CHARS",
           "MAX_NOTE_CHARS", "MIN_DATE", "MODEL_KEYS", "MODEL_TEXT_LIMITS", "OPERATORS", "RATINGS", "RATING_ALIASES",
           "STAGES", "STATUSES", "TABLES", "TABLE_BY_NAME", "TRUE_WORDS", "Table", "extra_column"]

import datetime as dt
from dataclasses import dataclass

KINDS = ("system", "store", "terminal", "network", "external")
OPERATORS = ("city", "contractor", "subcontractor", "jlis", "national", "other_body", "resident")
STAGES = ("acquire", "use", "outsource", "provide", "network", "retain")
STATUSES = ("implemented", "planned", "missing")
RATINGS = ("特に力を入れている", "十分である", "課題が残されている")
# English spellings accepted in ratings.csv; normalised to the official Japanese choices on load.
RATING_ALIASES = {
    "emphasised": "特に力を入れている",
    "emphasized": "特に力を入れている",
    "sufficient": "十分である",
    "remaining": "課題が残されている",
}
TRUE_WORDS = ("true", "yes", "1", "はい")
FALSE_WORDS = ("false", "no", "0", "いいえ")

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
    """

    name: str
    kind: str = "text"
    required: bool = True
    nonempty: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""
    max_chars: int | None = None

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
    """The description of a column a table carries beyond the format's (kept as text, written back)."""
    return Column(name, "text", required=False)


@dataclass(frozen=True)
class Table:
    name: str  # attribute name on Model, e.g. "systems"
    filename: str
    key: str  # the id column
    columns: tuple[Column, ...]
    optional_file: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _enum(name: str, choices: tuple[str, ...], hint: str = "") -> Column:
    return Column(name, "enum", nonempty=True, choices=choices, hint=hint)


TABLES: tuple[Table, ...] = (
    Table(
        "zones",
        "zones.csv",
        "zone_id",
        (
            Column("zone_id", "id", nonempty=True),
            Column("name_ja", max_chars=MAX_NAME_CHARS),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS),
            Column("internet_facing", "bool", nonempty=True),
            _enum("operator", OPERATORS),
            Column("source", required=False),
        ),
    ),
    Table(
        "systems",
        "systems.csv",
        "system_id",
        (
            Column("system_id", "id", nonempty=True),
            Column("name_ja", max_chars=MAX_NAME_CHARS),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS),
            Column("zone_id", "ref", nonempty=True, hint="a zone_id of zones.csv"),
            _enum("kind", KINDS),
            _enum("operator", OPERATORS),
            Column("holds", "reflist", hint="file_ids of files.csv separated by ';'"),
            Column("entry_likelihood", "prob", hint="empty or 0 = not an entry point; else a number in (0, 1]"),
            Column("source", required=False),
        ),
    ),
    Table(
        "files",
        "files.csv",
        "file_id",
        (
            Column("file_id", "id", nonempty=True),
            Column("name_ja", max_chars=MAX_NAME_CHARS),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS),
            Column("records", "int", nonempty=True, hint="a whole number of records (people) >= 0"),
            Column("contains_my_number", "bool", nonempty=True),
            Column("items", "list", required=False),
            Column("source", required=False),
        ),
    ),
    Table(
        "flows",
        "flows.csv",
        "flow_id",
        (
            Column("flow_id", "id", nonempty=True),
            Column("source", "ref", nonempty=True, hint="a system_id of systems.csv"),
            Column("target", "ref", nonempty=True, hint="a system_id of systems.csv"),
            Column("files", "reflist", hint="file_ids of files.csv separated by ';'"),
            _enum("stage", STAGES),
            Column("channel", required=False, max_chars=MAX_NAME_CHARS),
            Column("interactive", "bool", nonempty=True),
            Column("encrypted", "bool", nonempty=True),
            Column("source_ref", required=False),
        ),
    ),
    Table(
        "controls",
        "controls.csv",
        "control_id",
        (
            Column("control_id", "id", nonempty=True),
            Column("name_ja", max_chars=MAX_NAME_CHARS),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS),
            Column("mitigates", "reflist", nonempty=True, hint="risk ids such as acquire-1 separated by ';'"),
            Column("applies_to", "reflist", nonempty=True, hint="system or flow ids separated by ';', or *"),
            Column("effectiveness", "prob", nonempty=True, hint="a number in [0, 1]; 0 for organisational measures"),
            _enum("status", STATUSES),
            Column("source", required=False),
        ),
    ),
    Table(
        "risks",
        "risks.csv",
        "risk_id",
        (
            Column("risk_id", "id", nonempty=True),
            _enum("stage", STAGES),
            Column("name_ja", max_chars=MAX_NAME_CHARS),
            Column("name_en", required=False, max_chars=MAX_NAME_CHARS),
        ),
        optional_file=True,
    ),
    Table(
        "ratings",
        "ratings.csv",
        "risk_id",
        (
            Column("risk_id", "ref", nonempty=True, hint="a risk id of the catalogue or of risks.csv"),
            Column(
                "rating",
                "enum",
                nonempty=True,
                choices=RATINGS + tuple(RATING_ALIASES),
            ),
        ),
        optional_file=True,
    ),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
