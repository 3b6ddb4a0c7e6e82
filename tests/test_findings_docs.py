"""docs/findings.md says what the rules say: its table is generated from RULES and each rule has a section."""

from __future__ import annotations

import re
from pathlib import Path

from pia_analysis.analysis.findings import RULES
from pia_analysis.analysis.findings.reference import rewrite_rules_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "findings.md"


def test_the_table_of_rules_is_generated_from_the_rules():
    text = DOC.read_text(encoding="utf-8")
    assert rewrite_rules_markdown(text) == text, (
        "docs/findings.md is out of date: python -m pia_analysis.analysis.findings --doc")


def test_every_rule_has_its_own_section_and_every_section_a_rule():
    sections = re.findall(r"^### `([^`]+)`", DOC.read_text(encoding="utf-8"), flags=re.M)
    assert sections == [rule.rule_id for rule in RULES], "a ### `rule_id` section per rule, in RULES' order"


def test_a_rule_changed_in_code_shows_as_drift():
    # the check can fail: a rule whose text changes no longer matches the document
    import dataclasses

    changed = [dataclasses.replace(RULES[0], applicability_en="Something else.")] + list(RULES[1:])
    text = DOC.read_text(encoding="utf-8")
    assert rewrite_rules_markdown(text, changed) != text
