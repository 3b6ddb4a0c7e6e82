"""Bad arguments raise the toolkit's own errors, which are also the built-in types code already catches.

An argument outside what a function accepts raises :class:`InvalidArgumentError` (a ``PiaError`` and a
``ValueError``); an unknown bundled model an :class:`UnknownIdError` naming the bundled models.
"""

from __future__ import annotations

import pytest

import pia_analysis
from pia_analysis.model.errors import InvalidArgumentError, PiaError, UnknownIdError


@pytest.fixture(scope="module")
def model():
    return pia_analysis.load_model(pia_analysis.bundled_model_path())


def test_invalid_argument_error_is_a_pia_error_and_a_value_error():
    assert issubclass(InvalidArgumentError, PiaError) and issubclass(InvalidArgumentError, ValueError)


@pytest.mark.parametrize("call, words", [
    (lambda m: pia_analysis.attack_paths(m, "JUKI_REC", k=0), "k must be at least 1"),
    (lambda m: pia_analysis.simulate_compromise(m, trials=0), "trials must be at least 1"),
    (lambda m: pia_analysis.wilson_interval(0, 0), "trials must be positive"),
    (lambda m: pia_analysis.analyse(m, only=("exposure", "nope")), "unknown analyses: nope"),
    (lambda m: pia_analysis.threshold_judgment(-1), "target_population must be >= 0"),
    (lambda m: pia_analysis.synthetic_model(0), "municipalities must be at least 1"),
    (lambda m: pia_analysis.national_model(municipalities=0), "municipalities must be between 1"),
    (lambda m: pia_analysis.write_section3(m, "s3.txt"), "write_section3 writes .xlsx or .md"),
], ids=["k", "trials", "wilson-trials", "only", "population", "synthetic", "national", "suffix"])
def test_bad_arguments_raise_invalid_argument_error(model, call, words):
    with pytest.raises(InvalidArgumentError, match=words):
        call(model)


def test_chart_lang_is_checked():
    from pia_analysis.charts.style import check_lang

    with pytest.raises(InvalidArgumentError, match="lang must be 'ja' or 'en'"):
        check_lang("fr")


def test_explorer_arguments_are_checked(model):
    from pia_analysis.explorer import system_view

    with pytest.raises(InvalidArgumentError, match="k must be at least 1"):
        system_view(model, "JUKI_REC", k=0)
    with pytest.raises(InvalidArgumentError, match="is not a chart of the explorer"):
        pia_analysis.explore(model, chart="pie")
    with pytest.raises(InvalidArgumentError, match="lang must be"):
        pia_analysis.explore(model, lang="fr")


def test_an_unknown_bundled_model_names_the_bundled_ones():
    with pytest.raises(UnknownIdError) as caught:
        pia_analysis.bundled_model_path("kitakyushu-juki-r")
    message = str(caught.value)
    assert "'kitakyushu-juki-r' is not a bundled model of the package" in message
    assert "did you mean kitakyushu-juki-r3" in message
    assert "known: kitakyushu-juki-h26, kitakyushu-juki-h28, kitakyushu-juki-r3" in message
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("call, words", [
    (lambda m: pia_analysis.fix_first(m, k=0), "k must be at least 1"),
    (lambda m: pia_analysis.fix_first(m, k=-1), "k must be at least 1"),
    (lambda m: pia_analysis.control_importance(m, max_nodes=0), "max_nodes must be at least 1"),
    (lambda m: pia_analysis.flow_importance(m, max_variables=0), "max_variables must be at least 1"),
    (lambda m: pia_analysis.compromise_probability(m, trials=-1), "trials must be at least 0"),
], ids=["fix-first-k0", "fix-first-k-1", "importance-nodes", "flow-importance-variables", "compromise-trials"])
def test_issue_17_arguments_raise_invalid_argument_error(model, call, words):
    # (the command line refuses the same with one line and exit 2: tests/test_cli_compromise.py)
    with pytest.raises(InvalidArgumentError, match=words):
        call(model)


def test_an_unknown_given_id_is_an_unknown_id_error(model):
    with pytest.raises(UnknownIdError, match="'JUKI_RE' is not a system or control of the model; did you mean"):
        pia_analysis.compromise_probability(model, given=["JUKI_RE"])
