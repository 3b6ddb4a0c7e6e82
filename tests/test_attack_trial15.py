"""What the attack trial of issue 15 found in the 評価書 writer and its document data, one test per finding."""

from __future__ import annotations



from pia_analysis import load_model, save_model
from pia_analysis.model.checks import band_number
from pia_analysis.outputs.assessment_answers import assessment_answers
from test_assessment_answers import _at
from test_document_data import _model, _problems


def test_form_answers_override_one_item_per_unit_in_both_formats(tmp_path):
    # the same item answered for two files is two answers; the same item and unit twice stays an error
    two = ("item_id,unit,answer\nfull.II.2.1,JUKI_FILE,システム用ファイル\n"
           "full.II.2.1,HONNIN_FILE,システム用ファイル\n")
    model = load_model(_model(tmp_path / "a", form_answers=two))
    assert model.form_answers["unit"].tolist() == ["JUKI_FILE", "HONNIN_FILE"]
    book = tmp_path / "m.xlsx"
    save_model(model, book)
    assert load_model(book).form_answers["unit"].tolist() == ["JUKI_FILE", "HONNIN_FILE"]
    problems = _problems(_model(tmp_path / "b", form_answers=two + "full.II.2.1,HONNIN_FILE,その他\n"))
    assert len(problems) == 1 and problems[0].endswith(
        "form_answers.csv:4: item_id: full.II.2.1 for HONNIN_FILE is answered twice (first on line 3) "
        "(hint: keep one answer)")


def test_band_answers_take_digit_commas_and_the_count_word(tmp_path):
    # docs/assessment.md: a band item takes a number (1,000人 accepted) or a band label
    answers = ("item_id,unit,answer\n"
               'full.II.3.7.users,JUKI_FILE,"1,000人"\nfull.II.2.2,JUKI_FILE,1000人\nfull.II.6.2,JUKI_FILE,10年\n')
    model = load_model(_model(tmp_path, form_answers=answers))
    a = assessment_answers(model, form="full")
    assert _at(a, "full.II.3.7.users", "JUKI_FILE")["answer"] == "1,000人以上"
    assert _at(a, "full.II.2.2", "JUKI_FILE")["answer"] == "1万人未満"
    assert _at(a, "full.II.6.2", "JUKI_FILE")["answer"] == "10年以上20年未満"
    assert band_number("-3人") is None and band_number("1.5年") is None


def test_choice_overrides_give_the_other_text_fold_repeats_and_take_the_full_width_separator(tmp_path):
    answers = ("item_id,unit,answer\n"
               "full.II.3.2,JUKI_FILE,紙；その他（USB）;紙\nfull.II.3.1,JUKI_FILE,その他(窓口)\n")
    model = load_model(_model(tmp_path, form_answers=answers))
    a = assessment_answers(model, form="full")
    methods = _at(a, "full.II.3.2", "JUKI_FILE")
    assert methods["answer"] == "紙、その他（USB）" and list(methods["chosen"]) == ["紙", "その他"]
    assert _at(a, "full.II.3.1", "JUKI_FILE")["answer"] == "その他（窓口）"
    # その他 text only where the set has その他; a choice that is no choice stays an error
    problems = _problems(_model(tmp_path / "b", form_answers="item_id,unit,answer\nfull.II.2.1,JUKI_FILE,その他（x）\n"))
    assert len(problems) == 1 and "'その他（x）' is not a choice of full.II.2.1" in problems[0]
