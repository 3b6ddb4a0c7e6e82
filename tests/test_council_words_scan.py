"""CouncilWords.text finds ids by substring lookup (issue 17): the same words as the regular expressions it replaced.

The old way compiled one expression per id for every sentence and one alternation of every name and id
(minutes on the national model). The reference below is that old way, kept here to compare: on sentences
made of the models' own ids, names, brackets and glue characters, both give the same text.
"""

from __future__ import annotations

import random
import re

import pytest

from pia_analysis import bundled_model_path, load_model
from pia_analysis.outputs import wording
from pia_analysis.outputs.wording import CouncilWords
from pia_analysis.synthetic import national_model

ROOT_TOWN = "tests/models/town"


def _reference_text(w: CouncilWords, sentence: str) -> str:
    """The id-to-name steps of text() as they were: one regex per id, then one alternation of all."""
    s = sentence
    for i in sorted(w.kinds, key=len, reverse=True):
        s = wording._drop_id_before_parenthesis(s, i, w.risk_names.get(i) or w.names.get(i) or i)
    return s


def _reference_names(w: CouncilWords, s: str) -> str:
    alternatives = [re.escape(n) for n in w._names_pattern] + \
        [rf"{wording._BEFORE_ID}{re.escape(i)}(?![A-Za-z0-9_@\-])" for i in sorted(w.kinds, key=len, reverse=True)]
    token = re.compile("|".join(alternatives))
    return token.sub(lambda m: w.name(m.group()) if m.group() in w.kinds else m.group(), s)


def _sentences(w: CouncilWords, seed: int, n: int = 300) -> list[str]:
    rnd = random.Random(seed)
    ids = sorted(w.kinds)
    names = sorted(w._names_pattern)[:200]
    glue = ["（", "）", " (", ")", "→", " ", "町村CS", "a", "の", ":", "-", "_", "ー"]
    out = []
    for _ in range(n):
        out.append("".join(rnd.choice(ids + names[:20] + glue) for _ in range(rnd.randint(1, 9))))
    # an id with its own name in brackets, and with other words in brackets
    for i in ids[:100]:
        out.append(f"{i}（{w.name(i)}） と {i} (ゾーン {i}) {i}x x{i}")
    return out


@pytest.mark.parametrize("which", ["bundled", "town", "national"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_scan_gives_the_regex_result(which, lang):
    model = {"bundled": lambda: load_model(bundled_model_path()), "town": lambda: load_model(ROOT_TOWN),
             "national": lambda: national_model(seed=0, municipalities=2)}[which]()
    w = CouncilWords(model, lang)
    for sentence in _sentences(w, seed=len(which)):
        dropped = _reference_text(w, sentence)
        assert w._names_for_ids(dropped) == _reference_names(w, dropped), sentence
        present, done, s = w._ids_in(sentence), -1, sentence
        assert present == [i for i in sorted(w.kinds, key=len, reverse=True) if i in sentence]
        while present:  # the loop of text(): the ids found again after each change
            i = present.pop(0)
            changed = wording._drop_id_before_parenthesis(s, i, w.risk_names.get(i) or w.names.get(i) or i)
            done = w._rank[i]
            if changed != s:
                s = changed
                present = [j for j in w._ids_in(s) if w._rank[j] > done]
        assert s == dropped, sentence
