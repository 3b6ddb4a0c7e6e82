"""The PDF appendix of a very large model (issue 17): the names the other pages show, and how many are left out.

The national model has ~110,000 elements: listing them all took thousands of PDF pages (most of the
national pack's time). Up to APPENDIX_MAX_ROWS rows every element is listed, as before.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from pia_analysis.outputs import briefing


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({"区分": ["システム"] * n, "名称": [f"システム{i:05d}" for i in range(n)],
                         "ID": [f"S{i:05d}" for i in range(n)]})


def test_a_small_appendix_is_whole():
    rows = _rows(briefing.APPENDIX_MAX_ROWS)
    assert briefing._appendix(rows, [], "ja") is rows


def test_a_large_appendix_lists_the_names_the_pages_show(monkeypatch):
    rows = _rows(briefing.APPENDIX_MAX_ROWS + 500)
    page = Figure()
    page.text(0.1, 0.5, "最も曝露が大きいのは システム00007 と システム01200")
    out = briefing._appendix(rows, [page], "ja")
    assert out["名称"].tolist()[:2] == ["システム00007", "システム01200"]
    assert out["ID"].tolist()[:2] == ["S00007", "S01200"]
    assert out["名称"].iloc[-1] == f"ほか {len(rows) - 2:,} 件（この資料の他の頁に現れない名称）"
    assert len(out) == 3
    english = briefing._appendix(rows, [page], "en")
    assert english["名称"].iloc[-1] == f"{len(rows) - 2:,} more (names no other page of this briefing shows)"


def test_at_most_the_cap_even_when_the_pages_name_more(monkeypatch):
    monkeypatch.setattr(briefing, "APPENDIX_MAX_ROWS", 3)
    rows = _rows(10)
    page = Figure()
    page.text(0.1, 0.5, " ".join(rows["名称"]))
    out = briefing._appendix(rows, [page], "ja")
    assert out["ID"].tolist() == ["S00000", "S00001", "S00002", ""]
    assert out["名称"].iloc[-1].startswith("ほか 7 件")
