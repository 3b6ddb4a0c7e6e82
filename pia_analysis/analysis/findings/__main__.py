"""``python -m pia_analysis.analysis.findings --doc [path]``: rewrite the table of rules in docs/findings.md."""

import sys
from pathlib import Path

from .reference import rewrite_rules_markdown

if sys.argv[1:2] != ["--doc"]:
    raise SystemExit("usage: python -m pia_analysis.analysis.findings --doc [docs/findings.md]")
doc = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/findings.md")
doc.write_text(rewrite_rules_markdown(doc.read_text(encoding="utf-8")), encoding="utf-8")
