"""A small PDF writer for documents of many pages of Japanese text: the 評価書 (``outputs/assessment.py``).

matplotlib draws the charts and the briefing's pages, but it lays out and embeds every character through
FreeType one by one (about 0.1 ms a character): a 全項目評価書 of a 1,000-system model has some two million
characters, minutes of work. This writer puts text straight into the page's content stream:

* one font, the charts' IPAexGothic (bundled by ``matplotlib-fontja``), embedded as a subset of the characters
  used (``fontTools.subset``, a dependency of matplotlib) as a CIDFontType2 with Identity-H encoding and a
  ToUnicode map, so that the text can be searched, copied and extracted (pypdf);
* text lines, filled rectangles and lines, in points from the page's top left corner;
* widths measured from the font's own advance widths (:meth:`PdfDocument.width`), so that wrapped lines fit;
* the same document gives the same bytes: no dates, no random ids, the subset's tag from the characters used.

Characters the font lacks are drawn as 〓 (the geta mark Japanese typesetting uses for a missing character);
☑ and ☐ (which it also lacks) as ［○］ and ［　］, as published assessments mark a chosen box.
"""

from __future__ import annotations

__all__ = ["A4_POINTS", "PdfDocument"]

import functools
import hashlib
import io
import zlib
from pathlib import Path

#: The A4 page in points (210 × 297 mm).
A4_POINTS = (595.28, 841.89)
_SUBSTITUTES = {"☑": "［○］", "☐": "［　］", "\t": " "}
_MISSING = "〓"


@functools.lru_cache(maxsize=1)
def _font_path() -> str:
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    import matplotlib_fontja  # noqa: F401  (registers the bundled fonts)

    return font_manager.findfont(FontProperties(family="IPAexGothic"), fallback_to_default=False)


@functools.lru_cache(maxsize=1)
def _font_metrics() -> tuple[dict[int, int], dict[int, float]]:
    """The font's character → glyph name index and each character's advance at 1 pt (in points)."""
    from fontTools.ttLib import TTFont

    font = TTFont(_font_path(), lazy=True)
    cmap = font.getBestCmap()
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {code: metrics[name][0] / units for code, name in cmap.items()}
    return {code: 1 for code in cmap}, widths


@functools.lru_cache(maxsize=1)
def _char_widths() -> dict[str, float]:
    _, widths = _font_metrics()
    out = {chr(code): w for code, w in widths.items()}
    missing = out.get(_MISSING, 1.0)
    for ch, sub in _SUBSTITUTES.items():
        out[ch] = sum(out.get(c, missing) for c in sub)
    for code in range(32):
        out.setdefault(chr(code), 0.0)
    return out


def _printable(text: str) -> str:
    known, _ = _font_metrics()
    out = []
    for ch in "".join(_SUBSTITUTES.get(c, c) for c in text):
        if ord(ch) < 32:
            continue
        out.append(ch if ord(ch) in known else _MISSING)
    return "".join(out)


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _rgb(colour: str) -> str:
    colour = colour.lstrip("#")
    return " ".join(_number(int(colour[i:i + 2], 16) / 255) for i in (0, 2, 4))


class PdfDocument:
    """An A4 document of pages with text in IPAexGothic, rectangles and lines, written byte-identically.

    Coordinates are in points from the top left corner of the page. Call :meth:`new_page` before drawing, then
    :meth:`text`, :meth:`rect`, :meth:`line`; :meth:`save` writes the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pypdf import PdfReader
    >>> from pia_analysis.outputs.pdf_writer import PdfDocument
    >>> doc = PdfDocument(title="試験")
    >>> doc.new_page()
    >>> doc.text(72, 72, "特定個人情報保護評価書", 12)
    >>> path = doc.save(pathlib.Path(tempfile.mkdtemp()) / "t.pdf")
    >>> PdfReader(path).pages[0].extract_text()
    '特定個人情報保護評価書'
    """

    def __init__(self, title: str = "", size: tuple[float, float] = A4_POINTS):
        self.title = title
        self.size = size
        self.pages: list[list[str]] = []
        self._chars: set[str] = set()
        #: each character's advance at 1 pt, as drawn (a substitute's width for ☑ ☐, 〓's for a missing one)
        self.char_widths = _char_widths()
        #: what a caller measured once (wrapped lines), kept with the document
        self.memo: dict = {}

    # ------------------------------------------------------------------ drawing

    def new_page(self) -> None:
        """Start a new page; what is drawn next goes on it."""
        self.pages.append([])

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` in points at font ``size``."""
        widths = self.char_widths
        return size * sum(widths.get(c, 1.0) for c in text)

    def text(self, x: float, y: float, text: str, size: float, colour: str = "#111111") -> None:
        """One line of text whose top is ``y`` points below the page's top (the baseline 0.88 em lower)."""
        text = _printable(text)
        if not text:
            return
        self._chars.update(text)
        base = self.size[1] - y - 0.88 * size
        # the glyph ids are filled in at save time, when the subset is known: keep the text for now
        self.pages[-1].append(("T", x, base, size, colour, text))

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        """A filled rectangle, its top left corner at (``x``, ``y``)."""
        self.pages[-1].append(f"{_rgb(fill)} rg {_number(x)} {_number(self.size[1] - y - h)} {_number(w)} "
                              f"{_number(h)} re f")

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = "#999999", width: float = 0.5) -> None:
        """A straight line."""
        h = self.size[1]
        self.pages[-1].append(f"{_rgb(colour)} RG {_number(width)} w {_number(x1)} {_number(h - y1)} m "
                              f"{_number(x2)} {_number(h - y2)} l S")

    # ------------------------------------------------------------------ writing

    def _subset(self) -> tuple[bytes, dict[str, int], dict[int, int], dict[str, object]]:
        """The embedded font: a subset of the characters used, each character's glyph id and each glyph's width."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        font = TTFont(_font_path(), recalcTimestamp=False)  # no date in the file: the same bytes every run
        options = subset.Options()
        options.layout_features = []
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.recalc_timestamp = False
        sub = subset.Subsetter(options)
        sub.populate(unicodes=sorted(ord(c) for c in self._chars))
        sub.subset(font)
        cmap = font.getBestCmap()
        order = {name: i for i, name in enumerate(font.getGlyphOrder())}
        gids = {c: order[cmap[ord(c)]] for c in self._chars if ord(c) in cmap}
        units = font["head"].unitsPerEm
        widths = {gid: round(font["hmtx"].metrics[name][0] * 1000 / units) for name, gid in order.items()}
        head, hhea = font["head"], font["hhea"]
        info = {"bbox": [round(v * 1000 / units) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
                "ascent": round(hhea.ascent * 1000 / units), "descent": round(hhea.descent * 1000 / units)}
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue(), gids, widths, info

    def save(self, path: str | Path) -> Path:
        """Write the document to ``path``; the same drawing gives the same bytes."""
        path = Path(path)
        path.write_bytes(self.to_bytes())
        return path

    def to_bytes(self) -> bytes:
        """The PDF file."""
        font_bytes, gids, widths, info = self._subset()
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256("".join(sorted(self._chars)).encode()).digest()[:6])
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        def stream(data: bytes, extra: str = "") -> bytes:
            packed = zlib.compress(data, 6)
            return (f"<< /Length {len(packed)} /Filter /FlateDecode {extra}>>\nstream\n".encode() + packed
                    + b"\nendstream")

        catalog = add(b"")  # filled in last
        pages_id = add(b"")
        font_file = add(stream(font_bytes, f"/Length1 {len(font_bytes)} "))
        bbox = " ".join(map(str, info["bbox"]))
        descriptor = add(
            (f"<< /Type /FontDescriptor /FontName /{tag}+IPAexGothic /Flags 4 /FontBBox [{bbox}]"
             f" /ItalicAngle 0 /Ascent {info['ascent']} /Descent {info['descent']} /CapHeight {info['ascent']}"
             f" /StemV 80 /FontFile2 {font_file} 0 R >>").encode())
        used = sorted(set(gids.values()))
        w_array = " ".join(f"{g} [{widths.get(g, 1000)}]" for g in used)
        cid_font = add((f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{tag}+IPAexGothic /CIDSystemInfo "
                        f"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R "
                        f"/W [{w_array}] /CIDToGIDMap /Identity >>").encode())
        to_unicode = add(stream(_to_unicode(gids)))
        font_id = add((f"<< /Type /Font /Subtype /Type0 /BaseFont /{tag}+IPAexGothic /Encoding /Identity-H "
                       f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>").encode())
        page_ids = []
        for ops in self.pages:
            content = "\n".join(_op(op, gids) for op in ops).encode("ascii")
            content_id = add(stream(content))
            page_ids.append(add((f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_number(self.size[0])} "
                                 f"{_number(self.size[1])}] /Resources << /Font << /F1 {font_id} 0 R >> >> "
                                 f"/Contents {content_id} 0 R >>").encode()))
        objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
        objects[pages_id - 1] = (f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
                                 f"/Count {len(page_ids)} >>").encode()
        title = self.title.encode("utf-16-be").hex().upper()
        info_id = add(f"<< /Title <FEFF{title}> >>".encode())
        out = io.BytesIO()
        out.write(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objects, 1):
            offsets.append(out.tell())
            out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
        for offset in offsets:
            out.write(f"{offset:010d} 00000 n \n".encode())
        out.write(f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info_id} 0 R >>\n"
                  f"startxref\n{xref}\n%%EOF\n".encode())
        return out.getvalue()


def _op(op, gids: dict[str, int]) -> str:
    if isinstance(op, str):
        return op
    _t, x, base, size, colour, text = op
    glyphs = "".join(f"{gids.get(c, 0):04X}" for c in text)
    return f"BT {_rgb(colour)} rg /F1 {_number(size)} Tf {_number(x)} {_number(base)} Td <{glyphs}> Tj ET"


def _to_unicode(gids: dict[str, int]) -> bytes:
    """The ToUnicode CMap: each glyph id back to its character (what copying and text extraction read)."""
    pairs = sorted((g, c) for c, g in gids.items())
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def", "1 begincodespacerange", "<0000> <FFFF>",
             "endcodespacerange"]
    for i in range(0, len(pairs), 100):
        chunk = pairs[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{g:04X}> <{c.encode('utf-16-be').hex().upper()}>" for g, c in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")
