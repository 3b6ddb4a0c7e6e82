"""The characters the charts can draw: those of the fonts that ship with the project.

The charts set Japanese in IPAexGothic (bundled by ``matplotlib-fontja``) and fall back to DejaVu Sans
(bundled by matplotlib) for what IPAexGothic lacks. A character neither has — 𠮷 (U+20BB7) in a name, say,
outside JIS X 0213 — would be drawn as an empty box, with matplotlib's ``Glyph … missing`` warning for each
draw. :func:`missing_characters` finds such characters, so that validation can warn where they are (the
model's file, row and column) and the charts can draw the Japanese replacement mark 〓 (geta) instead
and say so once (:mod:`pia_analysis.charts.style`).

* :data:`CHART_FONTS` — the fonts, in fallback order; :func:`font_paths` — where they are;
* :func:`missing_characters` — the characters of a text no chart font has;
* :data:`REPLACEMENT` — the mark drawn instead.
"""

from __future__ import annotations

__all__ = ["CHART_FONTS", "REPLACEMENT", "font_paths", "missing_characters"]

import functools
import unicodedata
from pathlib import Path

#: The fonts the charts draw with, in fallback order (family names as matplotlib knows them).
CHART_FONTS = ("IPAexGothic", "DejaVu Sans")
#: What a chart draws for a character no chart font has: 〓 (geta), the customary Japanese mark for it.
REPLACEMENT = "〓"


@functools.lru_cache(maxsize=1)
def font_paths() -> tuple[Path, ...]:
    """The font files of :data:`CHART_FONTS` that ship with the project's dependencies.

    Returns
    -------
    tuple of pathlib.Path
        IPAexGothic (``matplotlib-fontja``) and DejaVu Sans (matplotlib), those present.

    Examples
    --------
    >>> from pia_analysis.util.glyphs import font_paths
    >>> [p.name for p in font_paths()]
    ['ipaexg.ttf', 'DejaVuSans.ttf']
    """
    import matplotlib as mpl
    import matplotlib_fontja

    candidates = (Path(matplotlib_fontja.get_font_ttf_path()),
                  Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    return tuple(p for p in candidates if p.is_file())


@functools.lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    codes: set[int] = set()
    for path in font_paths():
        codes.update(FT2Font(str(path)).get_charmap())
    return frozenset(codes)


def missing_characters(text: str) -> list[str]:
    """The characters of ``text`` that no chart font has, each once, in the order they first occur.

    White space and control characters are never missing (they draw nothing).

    Parameters
    ----------
    text
        Any text (a name, a title).

    Returns
    -------
    list of str
        The characters (empty when every one can be drawn).

    Examples
    --------
    >>> from pia_analysis.util.glyphs import missing_characters
    >>> missing_characters("𠮷田出張所"), missing_characters("吉田出張所 (J-LIS)")
    (['𠮷'], [])
    """
    drawable = _drawable()
    out: list[str] = []
    for ch in str(text):
        if ord(ch) in drawable or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or ch in out:
            continue
        out.append(ch)
    return out
