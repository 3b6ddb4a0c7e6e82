"""The body's own word: 市, 町, 村, 特別区, 都道府県, 一部事務組合・広域連合, or the neutral 団体.

A council sentence names the body the way the body names itself: a town's pack says 「町が運用する…」, not
「市が運用する…」. The kind comes from ``model.yaml``'s ``organisation_kind`` when it is given (a kind such as
``town`` or a Japanese word such as 町 or 都道府県), else from the suffix of ``organisation`` (緑川町 → 町),
else it is the neutral 団体 ("organisation"). The words are data: ``catalog/organisation_kinds.csv``.
"""

from __future__ import annotations

__all__ = ["OrganisationKind", "organisation_kind", "organisation_kind_choices"]

from dataclasses import dataclass
from typing import Any, Mapping

from ..catalog import read_table


@dataclass(frozen=True)
class OrganisationKind:
    """The kind of the body that runs the assessment, and the words a council sentence uses for it.

    ``word_ja`` is the body's own word (市, 町, 県 …, 団体); ``word_en`` the English noun (city, town,
    prefecture …, organisation), used as "the town" or "town-run".
    """

    kind: str
    word_ja: str
    word_en: str
    label_ja: str
    label_en: str

    def the(self) -> str:
        """``"the town"``: the body in an English sentence."""
        return f"the {self.word_en}"


def _rows() -> list[dict[str, str]]:
    return read_table("organisation_kinds.csv").to_dict("records")


def organisation_kind_choices() -> dict[str, str]:
    """Every value ``organisation_kind`` accepts (kinds and their Japanese words) → the kind.

    Returns
    -------
    dict of str to str
        ``{"city": "city", "市": "city", "town": "town", "町": "town", …, "団体": "body"}``.

    Examples
    --------
    >>> from pia_analysis.model.organisation import organisation_kind_choices
    >>> choices = organisation_kind_choices()
    >>> choices["町"], choices["都道府県"], choices["一部事務組合"], choices["body"]
    ('town', 'prefecture', 'association', 'body')
    """
    out: dict[str, str] = {}
    for row in _rows():
        out.setdefault(row["kind"], row["kind"])
        for alias in row["aliases"].split():
            out.setdefault(alias, row["kind"])
    return out


def organisation_kind(meta: Mapping[str, Any]) -> OrganisationKind:
    """The kind of the body of a model's ``meta`` (``model.yaml``), with its words.

    ``organisation_kind`` wins when given; otherwise the longest suffix of ``organisation`` that the
    catalogue knows; otherwise the neutral 団体.

    Parameters
    ----------
    meta
        The model's ``model.yaml`` values (``organisation`` and, optionally, ``organisation_kind``).

    Returns
    -------
    OrganisationKind
        The kind and its words.

    Examples
    --------
    >>> from pia_analysis.model.organisation import organisation_kind
    >>> organisation_kind({"organisation": "緑川町"}).word_ja, organisation_kind({"organisation": "緑川町"}).the()
    ('町', 'the town')
    >>> organisation_kind({"organisation": "東京都"}).word_ja, organisation_kind({"organisation": "○○広域連合"}).word_ja
    ('都', '広域連合')
    >>> organisation_kind({"organisation": "北九州市", "organisation_kind": "body"}).word_ja
    '団体'
    >>> organisation_kind({"organisation": "福岡県", "organisation_kind": "都道府県"}).word_ja
    '県'
    >>> organisation_kind({"organisation": "デジタル庁"}).word_en
    'organisation'
    """
    rows = _rows()
    explicit = str(meta.get("organisation_kind") or "").strip()
    name = str(meta.get("organisation") or "").strip()
    if explicit:
        kind = organisation_kind_choices().get(explicit, "body")
        # a Japanese word names its own row (県 → 県); a kind code the first row of the kind
        of_kind = [r for r in rows if r["kind"] == kind]
        # the row the word names (県), else the one the name's suffix picks (都道府県 for 福岡県 → 県), else the first
        row = next((r for r in of_kind if explicit in (r["suffix"], r["word_ja"])), None) or \
            next((r for r in of_kind if r["suffix"] and name.endswith(r["suffix"])), None) or of_kind[0]
    else:
        suffixed = sorted((r for r in rows if r["suffix"] and name.endswith(r["suffix"])),
                          key=lambda r: -len(r["suffix"]))
        row = suffixed[0] if suffixed else next(r for r in rows if r["kind"] == "body")
    return OrganisationKind(row["kind"], row["word_ja"], row["word_en"], row["label_ja"], row["label_en"])
