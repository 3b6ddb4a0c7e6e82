"""The table of rules in ``docs/findings.md``, generated from :data:`~pia_analysis.analysis.findings.rules.RULES`.

A rule's id, element, stage, risk ids, LINDDUN category and its "applies" and "mitigated" texts are stated
once, in its :class:`~pia_analysis.analysis.findings.engine.Rule`; the documentation's table is written from
them (``python -m pia_analysis.analysis.findings --doc`` rewrites it) and ``tests/test_findings_docs.py`` fails
when the two drift or when a rule has no section of its own in the document.
"""

from __future__ import annotations

__all__ = ["RULES_BEGIN", "RULES_END", "rewrite_rules_markdown", "rules_markdown"]

from collections.abc import Iterable

from .engine import Rule
from .rules import RULES

RULES_BEGIN = ("<!-- generated from pia_analysis/analysis/findings/rules.py by "
               "`python -m pia_analysis.analysis.findings --doc`: edit the rules, not this part -->")
RULES_END = "<!-- end of the generated part -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def rules_markdown(rule_set: Iterable[Rule] = RULES) -> str:
    """The table of rules as Markdown: one row per rule, in the order the engine runs them.

    Parameters
    ----------
    rule_set : iterable of Rule, default RULES
        The rules to list.

    Returns
    -------
    str
        A Markdown table with the columns rule id, element, stage, risk ids, LINDDUN, applies when and
        mitigated when (the English texts of each rule), ending with a newline.

    Examples
    --------
    >>> from pia_analysis.analysis.findings.reference import rules_markdown
    >>> print(rules_markdown().splitlines()[2].split(" | ")[:3])
    ['| `unencrypted-crossing`', 'flow', "the element's"]
    """
    lines = ["| rule_id | element | stage | risk ids | LINDDUN | applies when | mitigated when |",
             "|---|---|---|---|---|---|---|"]
    for rule in rule_set:
        if rule.risk_ids_of is not None:
            risks = "the element's own"
        elif not rule.stage:
            risks = ", ".join(rule.risk_ids) + " (those of the element's stage)"
        else:
            risks = ", ".join(rule.risk_ids)
        mitigated = rule.mitigated_by_en if rule.mitigated is not None else "— (only a correction of the model)"
        lines.append(" | ".join([
            f"| `{rule.rule_id}`", rule.element_type, rule.stage or "the element's", risks, rule.linddun or "—",
            _cell(rule.applicability_en), _cell(mitigated)]) + " |")
    return "\n".join(lines) + "\n"


def rewrite_rules_markdown(text: str, rule_set: Iterable[Rule] = RULES) -> str:
    r"""``text`` (docs/findings.md) with its generated table replaced by :func:`rules_markdown`.

    Parameters
    ----------
    text : str
        The document, holding :data:`RULES_BEGIN` and :data:`RULES_END` on lines of their own.
    rule_set : iterable of Rule, default RULES
        The rules to list.

    Returns
    -------
    str
        The document with the part between the two markers rewritten.

    Raises
    ------
    ValueError
        If the markers are missing.

    Examples
    --------
    >>> from pia_analysis.analysis.findings.reference import RULES_BEGIN, RULES_END, rewrite_rules_markdown
    >>> out = rewrite_rules_markdown(f"# Rules\n{RULES_BEGIN}\nSTALE\n{RULES_END}\n")
    >>> "STALE" in out, "`orphan-system`" in out
    (False, True)
    """
    begin, end = text.find(RULES_BEGIN), text.find(RULES_END)
    if begin < 0 or end < begin:
        raise ValueError("the document lacks the markers of its generated part")
    return text[:begin] + RULES_BEGIN + "\n\n" + rules_markdown(rule_set) + "\n" + text[end:]
