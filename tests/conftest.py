"""Shared test fixtures: the counts of generated cases that the property tests report at the end of the run."""

from __future__ import annotations

from collections import Counter

import pytest

#: How many models the property tests generated, by kind; printed in the terminal summary.
PROPERTY_COUNTS: Counter[str] = Counter()


@pytest.fixture(scope="session")
def property_counts() -> Counter[str]:
    return PROPERTY_COUNTS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest's hook signature
    if PROPERTY_COUNTS:
        c = PROPERTY_COUNTS
        terminalreporter.write_line(
            f"property tests: {c['valid']} valid models, {c['corrupted']} corrupted models, "
            f"{c['fuzzed']} byte-fuzzed models, {c['scenarios']} random scenarios generated")
