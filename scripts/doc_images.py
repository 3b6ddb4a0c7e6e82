"""Draw the images of docs/charts.md (and the README) from the bundled model and the town test model.

Every image is a page of a real pack, drawn by the same code as the PDF: the briefing pack's pages are the
figures ``build_report`` hands to the PDF writer (caught on their way there, so the pictures are the PDF's
pages, in its order, without a PDF rasteriser), and the scenario's delta charts are those of
``scenario --report``. Each is saved as a PNG at a modest resolution and reduced to a 256-colour palette,
so that the images stay small (< 150 KB each, < 1.5 MB together; ``tests/test_doc_images.py`` checks it).

Usage (from the repository root; ``make doc-images`` runs it)::

    PYTHONHASHSEED=0 python scripts/doc_images.py docs/images

The output is deterministic: the same code and models give the same bytes (no date, no software tag).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from PIL import Image  # noqa: E402

from pia_analysis import bundled_model_path, load_model  # noqa: E402
from pia_analysis.charts.delta import coverage_delta_figure, exposure_delta_figure  # noqa: E402
from pia_analysis.outputs import briefing  # noqa: E402
from pia_analysis.whatif.apply import apply_scenario  # noqa: E402
from pia_analysis.whatif.compare import compare  # noqa: E402
from pia_analysis.whatif.scenario import load_scenario  # noqa: E402

TOWN = ROOT / "tests" / "models" / "town"
DPI = 110  # an A4-landscape page is 1,286 × 910 pixels: 7 pt labels stay legible, the files stay small

#: (file name, model, language, page of the pack): the pages docs/charts.md shows, in the pack's order.
PAGES = (
    ("page_cover_town_ja.png", "town", "ja", "cover"),
    ("page_messages_town_ja.png", "town", "ja", "messages"),
    ("page_questions_town_ja.png", "town", "ja", "questions"),
    ("chart_dataflow_ja.png", "bundled", "ja", "dataflow"),
    ("chart_exposure_ja.png", "bundled", "ja", "exposure"),
    ("chart_stage_coverage_ja.png", "bundled", "ja", "stage_coverage"),
    ("chart_risk_map_en.png", "bundled", "en", "risk_map"),
    ("page_findings_town_en.png", "town", "en", "findings"),
    ("chart_coverage_heatmap_ja.png", "bundled", "ja", "coverage_heatmap"),
    ("chart_rating_check_town_ja.png", "town", "ja", "rating_check"),
    ("page_appendix_town_ja.png", "town", "ja", "appendix"),
)
#: The delta charts of the remote-work scenario on the bundled model.
DELTA = (("delta_exposure_ja.png", exposure_delta_figure), ("delta_coverage_ja.png", coverage_delta_figure))


class _Pages:
    """Stands in for PdfPages while a pack is built: keeps each page's figure, writes no PDF."""

    caught: list = []

    def __init__(self, *_args, **_kwargs):
        _Pages.caught = []

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False

    def savefig(self, fig, **_kwargs):
        _Pages.caught.append(fig)


def pack_pages(model, lang: str) -> dict[str, object]:
    """The PDF pages of ``model``'s briefing pack in ``lang``, by page name (cover, then PDF_PAGES)."""
    with tempfile.TemporaryDirectory() as work, mock.patch.object(briefing, "PdfPages", _Pages):
        briefing.build_report(model, Path(work), lang=lang)
    names = ("cover", *briefing.PDF_PAGES)
    # the appendix, last, may continue over further pages: its first page is the one shown
    assert len(_Pages.caught) >= len(names), (len(_Pages.caught), names)
    return dict(zip(names, _Pages.caught))


def save_small(fig, path: Path, dpi: int = DPI) -> int:
    """Write ``fig`` as a palette PNG (256 colours, no metadata) and return its size in bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png", metadata={"Software": None})
    buffer.seek(0)
    with Image.open(buffer) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(path, format="PNG", optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder of the images (docs/images)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    bundled = load_model(bundled_model_path())
    models = {"bundled": bundled, "town": load_model(TOWN)}
    pages: dict[tuple[str, str], dict] = {}
    written = []
    for name, key, lang, page in PAGES:
        if (key, lang) not in pages:
            pages[key, lang] = pack_pages(models[key], lang)
        written.append((name, save_small(pages[key, lang][page], args.out / name)))
    scenario = load_scenario(Path(bundled_model_path()) / "scenarios" / "remote-work.yaml")
    comparison = compare(bundled, apply_scenario(bundled, scenario), label_before=bundled.id,
                         label_after=scenario.id)
    for name, make in DELTA:
        fig = make(comparison, lang="ja", title=scenario.title("ja"))
        written.append((name, save_small(fig, args.out / name, dpi=100)))
        matplotlib.pyplot.close(fig)
    for name, size in written:
        print(f"{args.out / name}: {size / 1024:.0f} KB")
    print(f"total {sum(size for _n, size in written) / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
