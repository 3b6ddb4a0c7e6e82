"""The broken city workspaces of the tests: one mistake each, made from ``tests/workspaces/good``.

``python tests/workspace_cases.py`` rewrites the committed folders ``tests/workspaces/<case>/`` from these
definitions; ``tests/test_workspace.py`` fails if they drift, and checks that each gives its located message.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKSPACES = HERE / "workspaces"
GOOD = WORKSPACES / "good"


@dataclass(frozen=True)
class WorkspaceCase:
    name: str
    file: str  # the file edited, relative to the workspace
    old: str  # text replaced ('' with new '' appends nothing: the file is written as new)
    new: str
    expect: tuple[str, ...]  # substrings of the located messages, "file:line: column: message"
    what: str = ""


CASES = (
    WorkspaceCase("defined_twice", "affairs/juki/systems.csv", "",
                  "ATENA,宛名システム（重複）,Addressee system (again),JUKI_Z,system,city,,,assumption: test\n",
                  ("affairs/juki/systems.csv:4: system_id: [juki] 'ATENA' is also defined in the shared part "
                   "(tests/workspaces/defined_twice/shared/systems.csv:2)",),
                  "an id defined both in the shared part and in an affair"),
    WorkspaceCase("missing_shared", "affairs/zei/flows.csv", "T2,TAX,ATENA,", "T2,TAX,ATENA2,",
                  ("affairs/zei/flows.csv:3: target: [zei] 'ATENA2' is not a known system_id",),
                  "an affair's flow to a shared system that does not exist"),
    WorkspaceCase("organisation_mismatch", "affairs/zei/model.yaml", "organisation: テスト市",
                  "organisation: 試験市",
                  ("affairs/zei/model.yaml:4: organisation: [zei] '試験市' is not the workspace's organisation "
                   "'テスト市'",),
                  "an affair of another organisation"),
    WorkspaceCase("duplicate_affair", "city.yaml", "  - id: zei\n", "  - id: juki\n",
                  ("city.yaml:11: affairs.id: duplicate affair id 'juki' (first on line 7)",),
                  "two affairs with one id"),
    WorkspaceCase("missing_model", "city.yaml", "model: affairs/zei", "model: affairs/zeimu",
                  ("city.yaml:13: affairs.model: [zei] 'affairs/zeimu' does not exist",),
                  "an affair's model path that does not exist"),
    WorkspaceCase("holdings_own_system", "affairs/juki/holdings.csv", "ATENA,REG_FILE", "REG,REG_FILE",
                  ("affairs/juki/holdings.csv:2: system_id: [juki] 'REG' is one of this affair's own systems",),
                  "holdings.csv naming an affair's own system"),
    WorkspaceCase("two_mistakes", "affairs/zei/flows.csv", "T2,TAX,ATENA,", "T2,TAX,ATENA2,",
                  ("affairs/zei/flows.csv:3: target: [zei] 'ATENA2' is not a known system_id",
                   "affairs/juki/model.yaml:4: organisation: [juki] '試験市' is not the workspace's organisation"),
                  "two affairs, a mistake each: both reported at once"),
)
# the second edit of the case of two mistakes
EXTRA = {"two_mistakes": ("affairs/juki/model.yaml", "organisation: テスト市", "organisation: 試験市")}

# Valid later versions of the good workspace, one change to the shared part each: the cross-affair impact of a
# shared change (tests/test_city_analysis.py, docs/city.md "Across the affairs").
CHANGED = (
    WorkspaceCase("shared_system_changed", "shared/systems.csv",
                  "ATENA,団体内統合宛名システム,Integrated addressee system,CORE,system,city,",
                  "ATENA,団体内統合宛名システム,Integrated addressee system,DC,system,contractor,", (),
                  "the shared addressee system moved to the contractor's data centre, run by the contractor"),
    WorkspaceCase("shared_control_removed", "shared/controls.csv",
                  "SC1,宛名システムのアクセス制御,Access control on the addressee system,use-2;use-3,ATENA;UNUSED,"
                  "0.5,implemented,assumption: test\n", "", (),
                  "the shared access control of the addressee system removed"),
)

# A hand-made city for the migration (tests/test_city_migration.py): the register keeps a copy at the shared
# convenience-store system, which only juki takes; moving that system to the government cloud touches juki alone.
MIGRATION = (
    WorkspaceCase("register_at_conbini", "affairs/juki/holdings.csv", "",
                  "CONBINI,REG_FILE,assumption: test: a copy of the register for the certificates\n", (),
                  "the register keeps a copy at the shared convenience-store system"),
)


def build(case: WorkspaceCase, root: Path) -> Path:
    """Write the case's workspace under ``root`` (a copy of the good one, edited); returns its folder."""
    out = root / case.name
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(GOOD, out)
    edits = [(case.file, case.old, case.new)] + ([EXTRA[case.name]] if case.name in EXTRA else [])
    for file, old, new in edits:
        path = out / file
        text = path.read_text(encoding="utf-8")
        if old:
            assert old in text, (case.name, old)
            text = text.replace(old, new, 1)
        else:
            text += new
        path.write_text(text, encoding="utf-8")
    return out


if __name__ == "__main__":
    for case in CASES + CHANGED + MIGRATION:
        print(build(case, WORKSPACES), file=sys.stderr)
