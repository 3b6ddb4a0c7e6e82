"""Side by side with OWASP pytm: the same topology, both tools timed as whole processes (issue 17).

A synthetic topology of N nodes in trust zones of 20, with three flows leaving every node (3N flows), is
written twice:

* as a pytm 1.4.0 model script (``TM``, ``Boundary``, ``Actor``/``Server``/``Process``/``Datastore``,
  ``Dataflow`` with ``Data``), run with ``python tm.py --json out.json``: pytm's threat pass (every threat
  of its library tested against every element) and its JSON output;
* as a pia-analysis model directory (zones, systems, files, flows, controls, model.yaml) with the same
  nodes, zones and flows, and the controls pytm's elements declare (authentication and access control on
  the data stores, encrypted flows) written as controls, plus a firewall per zone on the flows entering it.

Each size times three whole processes, imports included, in alternation (pytm, findings, analysis; again):

* ``pytm``: ``python tm.py --json out.json`` in pytm's own environment;
* ``findings``: ``pia-analysis findings MODEL --format json`` — the counterpart of pytm's threat pass;
* ``analysis``: ``load_model`` + ``analyse`` (every analysis of the briefing: exposure, exact or bounded
  compromise probabilities, the Monte Carlo and loss exceedance, hardening and the minimum cut, coverage,
  findings, judgments) in one ``python -c`` process.

It prints, per size and command, the median wall and CPU (user + sys) seconds and peak RSS, the median of
the per-pair ratios pytm / ours (CPU and wall), the load average before and after, and what each side
found (pytm's findings by threat; our findings by rule and level, and the analysis' measures).

pytm is never a dependency of the project: install it in an environment of its own and point the
benchmark at that environment's python (``--pytm-python`` or ``PIA_BENCH_PYTM_PYTHON``; default
``/tmp/pytm-venv/bin/python``)::

    python3 -m venv /tmp/pytm-venv && /tmp/pytm-venv/bin/pip install pytm==1.4.0

Without it the benchmark says how to get it and times our side alone (exit status 0). Run it from the
repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_vs_pytm.py                    # 1,000 and 10,000 nodes
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_vs_pytm.py --sizes 1000 --repeat 5 --check

With ``--check`` the exit status is 1 when a goal (findings ≥ 8× faster than pytm in CPU seconds at 1,000
nodes, ≥ 20× at 10,000) is missed; the default only reports. ``--keep DIR`` leaves the generated models and
outputs in DIR.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Goals of issue 17: pytm's threat pass CPU seconds / ours, by number of nodes.
GOALS = {1_000: 8.0, 10_000: 20.0}
#: Nodes per trust zone (pytm ``Boundary``).
ZONE_SIZE = 20
#: Flows leaving each node.
FLOWS_PER_NODE = 3
#: Where the benchmark looks for pytm's interpreter unless told.
DEFAULT_PYTM_PYTHON = "/tmp/pytm-venv/bin/python"
PYTM_VERSION = "1.4.0"
INSTALL_HINT = f"python3 -m venv /tmp/pytm-venv && /tmp/pytm-venv/bin/pip install pytm=={PYTM_VERSION}"


# --------------------------------------------------------------------------------------------------
# the topology


@dataclass
class Node:
    """One node: ``role`` is pytm's class name (Actor, Server, Process, Datastore)."""

    ident: str
    zone: int
    role: str
    entry: float = 0.0  # a foothold likelihood per year (Actors only)
    file: str = ""  # the file a Datastore holds


@dataclass
class Flow:
    """One flow from ``source`` to ``target``; ``crossing`` when it leaves the source's zone."""

    ident: str
    source: str
    target: str
    stage: str
    crossing: bool
    encrypted: bool
    file: str = ""  # the file carried (one held at the source or the target), or ""


@dataclass
class Topology:
    """Zones (index → internet facing), nodes and flows of the benchmark model."""

    zones: list[bool]
    nodes: list[Node] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)

    def node(self, ident: str) -> Node:
        """The node called ``ident``."""
        return self._by_id[ident]

    def __post_init__(self) -> None:
        self._by_id: dict[str, Node] = {}


def topology(nodes: int, seed: int = 0) -> Topology:
    """N nodes in zones of :data:`ZONE_SIZE`, three flows leaving each node.

    In each zone the first node is an Actor (a terminal; an entry point with a small yearly likelihood, a
    larger one in the internet-facing zones, one zone in ten), two are Datastores (each holding a file,
    one in two with My Numbers), the others alternate Server and Process. Every node sends a flow to the
    next node of its zone and to the third next, and a third to a random node of another zone; the flows
    between zones are encrypted but for one in five.
    """
    rng = random.Random(seed)
    zone_count = -(-nodes // ZONE_SIZE)
    topo = Topology(zones=[z % 10 == 0 for z in range(zone_count)])
    roles = ("Server", "Process")
    for i in range(nodes):
        zone, k = divmod(i, ZONE_SIZE)
        ident = f"N{i:05d}"
        if k == 0:
            node = Node(ident, zone, "Actor", entry=0.2 if topo.zones[zone] else 0.01)
        elif k in (1, 2):
            node = Node(ident, zone, "Datastore", file=f"FILE{i:05d}")
        else:
            node = Node(ident, zone, roles[k % 2])
        topo.nodes.append(node)
        topo._by_id[ident] = node
    stages = ("acquire", "use", "provide", "retain")
    for i, node in enumerate(topo.nodes):
        first = node.zone * ZONE_SIZE
        size = min(ZONE_SIZE, nodes - first)
        k = i - first
        targets = [first + (k + 1) % size, first + (k + 3) % size]
        other = rng.randrange(zone_count - 1) if zone_count > 1 else node.zone
        other += other >= node.zone and zone_count > 1
        other_first = other * ZONE_SIZE
        targets.append(other_first + rng.randrange(min(ZONE_SIZE, nodes - other_first)))
        for n, t in enumerate(targets):
            target = topo.nodes[t]
            if target.ident == node.ident:  # a zone of one or three nodes: skip the loop
                continue
            crossing = target.zone != node.zone
            carried = node.file or target.file
            topo.flows.append(Flow(
                f"F{i:05d}_{n}", node.ident, target.ident, stages[(i + n) % len(stages)], crossing,
                encrypted=crossing and (i + n) % 5 != 0, file=carried))
    return topo


# --------------------------------------------------------------------------------------------------
# the two models


def write_pytm(topo: Topology, path: Path) -> None:
    """The topology as a pytm model script (run it with ``--json FILE``)."""
    lines = [
        "# Generated by benchmarks/bench_vs_pytm.py: the benchmark topology as a pytm model.",
        "from pytm import TM, Actor, Boundary, Classification, Data, Dataflow, Datastore, Process, Server",
        "",
        f'tm = TM("bench {len(topo.nodes)} nodes")',
        'tm.description = "Synthetic topology of bench_vs_pytm.py: nodes in zones, three flows per node"',
        "tm.isOrdered = False",
        "B = [Boundary(f'Z{z:04d}') for z in range(%d)]" % len(topo.zones),
        "D = {}",
        "E = {}",
    ]
    for node in topo.nodes:
        if node.file:
            lines.append(f"D[{node.file!r}] = Data({node.file!r}, classification=Classification."
                         f"{'SENSITIVE' if int(node.file[4:]) % 2 else 'RESTRICTED'})")
        lines.append(f"e = E[{node.ident!r}] = {node.role}({node.ident!r})")
        lines.append(f"e.inBoundary = B[{node.zone}]")
        if node.role == "Datastore":
            # the controls our model writes as C-AUTH-<zone> on the stores
            lines.append("e.controls.authenticatesSource = True")
            lines.append("e.controls.hasAccessControl = True")
            lines.append("e.storesPII = True")
        elif node.role != "Actor":
            lines.append("e.controls.sanitizesInput = True")
    for flow in topo.flows:
        lines.append(f"f = Dataflow(E[{flow.source!r}], E[{flow.target!r}], {flow.ident!r})")
        if flow.encrypted:
            lines.append("f.controls.isEncrypted = True")
        if flow.file:
            lines.append(f"f.data = D[{flow.file!r}]")
    lines += ["", 'if __name__ == "__main__":', "    tm.process()", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_ours(topo: Topology, folder: Path) -> None:
    """The topology as a pia-analysis model directory (the tables of ``docs/model-format.md``)."""
    folder.mkdir(parents=True)
    _csv(folder / "zones.csv", ["zone_id", "name_ja", "name_en", "internet_facing", "operator", "source"],
         [[f"Z{z:04d}", f"ゾーン{z}", f"zone {z}", str(facing).lower(), "contractor" if facing else "city",
           "synthetic"] for z, facing in enumerate(topo.zones)])
    kinds = {"Actor": "terminal", "Server": "system", "Process": "system", "Datastore": "store"}
    _csv(folder / "systems.csv",
         ["system_id", "name_ja", "name_en", "zone_id", "kind", "operator", "holds", "entry_likelihood", "source"],
         [[n.ident, f"ノード{n.ident}", f"node {n.ident} ({n.role})", f"Z{n.zone:04d}", kinds[n.role],
           "contractor" if topo.zones[n.zone] else "city", n.file, n.entry or "", "synthetic"]
          for n in topo.nodes])
    stores = [n for n in topo.nodes if n.file]
    _csv(folder / "files.csv", ["file_id", "name_ja", "name_en", "records", "contains_my_number", "source"],
         [[n.file, f"ファイル{n.file}", f"file {n.file}", 1_000 + 10 * int(n.file[4:]),
           str(int(n.file[4:]) % 2 == 1).lower(), "synthetic"] for n in stores])
    _csv(folder / "flows.csv",
         ["flow_id", "source", "target", "files", "stage", "channel", "interactive", "encrypted", "source_ref"],
         [[f.ident, f.source, f.target, f.file, f.stage, "WAN" if f.crossing else "LAN",
           str(not f.crossing).lower(), str(f.encrypted).lower(), "synthetic"] for f in topo.flows])
    controls = []
    entering: dict[int, list[str]] = collections.defaultdict(list)
    for f in topo.flows:
        if f.crossing:
            entering[topo.node(f.target).zone].append(f.ident)
    for z in range(len(topo.zones)):
        zone_stores = [n.ident for n in stores if n.zone == z]
        if zone_stores:  # pytm: authenticatesSource and hasAccessControl on each Datastore
            controls.append([f"C-AUTH-{z:04d}", f"ゾーン{z}の保管先の認証・アクセス制御",
                             f"authentication and access control on zone {z}'s stores", "use-2;retain-1",
                             ";".join(zone_stores), 0.6, "implemented", "synthetic"])
        if entering[z]:  # one firewall guards every flow into the zone: one shared draw (issue 17)
            controls.append([f"C-FW-{z:04d}", f"ゾーン{z}のファイアウォール", f"zone {z}'s firewall",
                             "use-4;provide-1", ";".join(entering[z]), 0.5,
                             "missing" if z % 7 == 3 else "implemented", "synthetic"])
    encrypted = [f.ident for f in topo.flows if f.encrypted]
    if encrypted:
        controls.append(["C-ENC", "通信の暗号化", "encrypted transmission", "provide-1", ";".join(encrypted),
                         0.3, "implemented", "synthetic"])
    controls.append(["C-TRAINING", "従業者への教育", "staff training", "training", "*", 0, "implemented",
                     "synthetic"])
    _csv(folder / "controls.csv", ["control_id", "name_ja", "name_en", "mitigates", "applies_to", "effectiveness",
                                   "status", "source"], controls)
    population = sum(1_000 + 10 * int(n.file[4:]) for n in stores)
    (folder / "model.yaml").write_text(
        f"id: bench-vs-pytm-{len(topo.nodes)}\n"
        f"title_ja: pytm比較用の合成モデル（{len(topo.nodes)}ノード）\n"
        f"title_en: Synthetic model of bench_vs_pytm.py ({len(topo.nodes)} nodes)\n"
        "organisation: synthetic\n"
        "affairs: 合成の事務\n"
        "assessed_on: 2026-04-01\n"
        f"target_population: {population}\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# timing


@dataclass
class Run:
    """One whole process: wall and CPU seconds, peak RSS (MB), exit status."""

    wall: float
    user: float
    sys: float
    rss_mb: float
    status: int

    @property
    def cpu(self) -> float:
        """User + system seconds."""
        return self.user + self.sys


def run(command: list[str], cwd: Path, out: Path, env: dict[str, str]) -> Run:
    """Run ``command`` as a whole process (stdout to ``out``) and read the kernel's accounting of it."""
    with out.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.PIPE, env=env)
        # wait4 gives this child's own rusage (not every child's, as RUSAGE_CHILDREN would)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    err = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if process.returncode not in (0, 1):  # findings exit 1 when there are findings
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{err[-2000:]}")
    return Run(wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def pytm_python(given: str | None) -> str | None:
    """The interpreter that has pytm, or None (with the reason printed)."""
    candidate = given or os.environ.get("PIA_BENCH_PYTM_PYTHON") or DEFAULT_PYTM_PYTHON
    try:
        version = subprocess.run(
            [candidate, "-c", "import importlib.metadata as m; print(m.version('pytm'))"],
            capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        print(f"pytm not found with {candidate}: install it in an environment of its own —\n    {INSTALL_HINT}\n"
              "then pass --pytm-python /tmp/pytm-venv/bin/python (or set PIA_BENCH_PYTM_PYTHON). "
              "Timing our side alone.")
        return None
    if version != PYTM_VERSION:
        print(f"note: pytm {version} found with {candidate}; the figures of RESULTS.md are pytm {PYTM_VERSION}")
    return candidate


def ours_commands(model: Path) -> dict[str, list[str]]:
    """Our two whole processes on ``model``: the findings (CLI) and the whole analysis."""
    cli = ("import sys; from pia_analysis.entry import run; sys.argv[0] = 'pia-analysis'; sys.exit(run())")
    # prints what the analysis found (rows of each result table, how each compromise value was computed)
    whole = ("import sys; from pia_analysis import analyse, load_model; a = analyse(load_model(sys.argv[1])); "
             "print('rows', {n: len(f) for n, f in a.tables().items()}, 'compromise', "
             "a.compromise['method'].value_counts().to_dict(), 'min cut', len(a.min_cut))")
    return {"findings": [sys.executable, "-c", cli, "findings", str(model), "--format", "json"],
            "analysis": [sys.executable, "-c", whole, str(model)]}


def load() -> str:
    """The load average, as uptime prints it."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------------------------------
# what each side found


def pytm_summary(path: Path) -> str:
    """pytm's findings: how many, on how many elements, of how many threats, the commonest."""
    data = json.loads(path.read_text(encoding="utf-8"))
    findings = data.get("findings", [])
    by_threat = collections.Counter(f.get("threat_id") or f.get("id") for f in findings)
    targets = {f.get("target") for f in findings}
    common = ", ".join(f"{t} {n}" for t, n in by_threat.most_common(4))
    return (f"{len(findings):,} findings on {len(targets):,} elements, {len(by_threat)} threat kinds "
            f"(commonest: {common}); each a threat class from its library whose condition the element's "
            "attributes meet — no path, likelihood or records at stake")


def ours_summary(path: Path) -> str:
    """Our findings: how many, by rule and level."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    rows = rows.get("findings", rows) if isinstance(rows, dict) else rows
    by_rule = collections.Counter(r["rule_id"] for r in rows)
    by_status = collections.Counter(r["status"] for r in rows)
    by_level = collections.Counter(int(r["risk_level"]) for r in rows)
    common = ", ".join(f"{t} {n}" for t, n in by_rule.most_common(4))
    return (f"{len(rows):,} findings of {len(by_rule)} rules, {dict(sorted(by_status.items()))}, risk levels "
            f"{dict(sorted(by_level.items()))} (commonest: {common}); each on one element, with the form's risk "
            "items, a likelihood × impact level, the controls that name it and, for exposure rules, the path "
            "probability and the My Number records at stake")


# --------------------------------------------------------------------------------------------------


def bench(nodes: int, repeat: int, python_pytm: str | None, work: Path) -> dict[str, float]:
    """Time the commands on a topology of ``nodes`` nodes; print the table; return the CPU ratios."""
    topo = topology(nodes)
    folder = work / f"n{nodes}"
    write_ours(topo, folder / "model")
    commands = ours_commands(folder / "model")
    # an installed package has its bytecode: let both sides write theirs (the warm-up round does), so neither
    # compiles its sources in the counted runs
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONHASHSEED"] = "0"
    if python_pytm:
        write_pytm(topo, folder / "tm.py")
        commands = {"pytm": [python_pytm, "tm.py", "--json", "pytm.json"], **commands}
    print(f"\n{nodes:,} nodes in {len(topo.zones)} zones, {len(topo.flows):,} flows "
          f"({nodes + len(topo.flows):,} elements with the flows); load average {load()}")
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for round_ in range(repeat + 1):  # alternation: a drift of the machine's speed hits every command alike
        for name, command in commands.items():
            result = run(command, folder, folder / f"{name}.out", env)
            if round_:  # round 0 warms the caches (bytecode, the model's files) and is not counted
                runs[name].append(result)
    print(f"{'command':<10} {'wall s':>8} {'cpu s':>8} {'user s':>8} {'sys s':>7} {'peak MB':>8}   (medians of {repeat})")
    for name, rs in runs.items():
        med = {k: statistics.median(getattr(r, k) for r in rs) for k in ("wall", "cpu", "user", "sys", "rss_mb")}
        print(f"{name:<10} {med['wall']:8.2f} {med['cpu']:8.2f} {med['user']:8.2f} {med['sys']:7.2f} "
              f"{med['rss_mb']:8.0f}")
    ratios = {}
    if "pytm" in runs:
        for name in ("findings", "analysis"):
            cpu = statistics.median(p.cpu / o.cpu for p, o in zip(runs["pytm"], runs[name]))
            wall = statistics.median(p.wall / o.wall for p, o in zip(runs["pytm"], runs[name]))
            ratios[name] = cpu
            goal = GOALS.get(nodes)
            verdict = "" if goal is None else f" (goal ≥ {goal:g}×: {'met' if cpu >= goal else 'MISSED'})"
            print(f"pytm / {name}: {cpu:.1f}× CPU, {wall:.1f}× wall (median of the pairs){verdict}")
        print(f"pytm:     {pytm_summary(folder / 'pytm.json')}")
    print(f"findings: {ours_summary(folder / 'findings.out')}")
    print(f"analysis: {(folder / 'analysis.out').read_text(encoding='utf-8').strip()}")
    print(f"load average after: {load()}")
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000], help="nodes of each topology")
    parser.add_argument("--repeat", type=int, default=3, help="alternations (medians reported)")
    parser.add_argument("--pytm-python", help="python of pytm's own environment (or PIA_BENCH_PYTM_PYTHON; "
                                              f"default {DEFAULT_PYTM_PYTHON})")
    parser.add_argument("--keep", type=Path, help="write the models and outputs here and keep them")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"whole processes, {args.repeat} alternation(s)")
    python_pytm = pytm_python(args.pytm_python)
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-vs-pytm-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        for nodes in args.sizes:
            ratios = bench(nodes, args.repeat, python_pytm, work.resolve())
            if nodes in GOALS and ratios:
                ok &= ratios["findings"] >= GOALS[nodes]
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
