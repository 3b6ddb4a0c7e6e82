"""The move to the government cloud (ガバメントクラウド) as a scenario: named systems into a tenancy zone.

Since the standardisation of the core affairs (基幹業務システムの標準化), a city moves its 標準準拠システム to
a government-cloud tenancy run on a cloud provider's platform and operated by the vendor of the system. In
the model (``docs/government-cloud.md``) that is:

* a zone with ``government_cloud`` TRUE and the operator ``cloud_provider`` (the platform's provider, who
  does not handle the data: no outsourcing);
* the moved systems in that zone, run by the vendor (``contractor``: the outsourcing, Ⅱ 4);
* the flows between a moved system and one left behind going over the connection line (ガバメントクラウド
  接続回線): their ``channel`` names it, and their ``encrypted`` says whether the line is encrypted.

:func:`cloud_migration` writes that change as an ordinary :class:`~pia_analysis.whatif.scenario.Scenario`
(``add`` the zone, ``set`` the systems' ``zone_id`` and ``operator`` and the flows' ``channel`` and
``encrypted``), so that it is applied, compared and classified by the existing machinery
(:func:`~pia_analysis.whatif.apply.apply_scenario`, :func:`~pia_analysis.whatif.compare.compare`,
:func:`~pia_analysis.whatif.versions.diff`); :func:`cloud_migration_yaml` gives the same change as the text
of a scenario file, to keep beside the model (``scenarios/``) and edit.
"""

from __future__ import annotations

__all__ = ["DEFAULT_LINE", "DEFAULT_ZONE_ID", "cloud_migration", "cloud_migration_spec", "cloud_migration_yaml"]

from collections.abc import Iterable
from typing import Any

import yaml

from .. import catalog
from ..model.model import Model, require_model
from ..model.schema import OUTSOURCED_OPERATORS
from ..util.errors import InvalidArgumentError
from .scenario import Scenario, parse_scenario

#: The default id of the tenancy zone the systems move to.
DEFAULT_ZONE_ID = "GOVCLOUD"
#: The default channel of the flows over the connection line.
DEFAULT_LINE = "ガバメントクラウド接続回線"
# The application's operator after the move: the vendor (委託先) or, where the city runs it itself, the city.
_VENDORS = ("city", *OUTSOURCED_OPERATORS)


def _names(systems: str | Iterable[str]) -> list[str]:
    if isinstance(systems, str):
        return [s.strip() for s in systems.split(";") if s.strip()]
    return [str(s).strip() for s in systems]


def cloud_migration_spec(model: Model, systems: str | Iterable[str], *, zone_id: str = DEFAULT_ZONE_ID,
                         vendor: str = "contractor", line: str = DEFAULT_LINE, encrypted: bool | None = None,
                         scenario_id: str = "cloud-migration",
                         source: str = "assumption: the move of the named systems to the government cloud "
                                       "(docs/government-cloud.md)") -> dict[str, Any]:
    """The scenario of moving ``systems`` to a government-cloud tenancy, as the mapping of a scenario file.

    Parameters
    ----------
    model
        The model before the move.
    systems
        The ids of the systems to move (a list, or ``;``-separated).
    zone_id
        The tenancy zone. Added (operator ``cloud_provider``, ``government_cloud`` TRUE) unless the model
        has it already, in which case it must be a government-cloud zone.
    vendor
        Who operates the application after the move: ``contractor`` (the vendor of the 標準準拠システム, the
        standard set-up), ``subcontractor``, or ``city`` (the city runs it itself on the platform).
    line
        The connection line: the ``channel`` of every flow between a moved system and one left outside the
        tenancy (flows handed over in person or on removable media keep theirs).
    encrypted
        Whether those flows are encrypted over the line; None keeps each flow's own value (the question is
        then the analyst's, and ``cloud-line-unencrypted`` shows the flows still in clear).
    scenario_id
        The scenario's id.
    source
        The ``source`` of the added zone and of the scenario (start it with ``assumption:`` until a document
        says it).

    Returns
    -------
    dict
        ``id, title_ja, title_en, source, description_ja, description_en`` and the ``add`` / ``set`` entries, with
        plain values (as :func:`~pia_analysis.whatif.scenario.as_scenario` and a YAML file take them).

    Raises
    ------
    InvalidArgumentError
        When no system is named, a system is unknown, ``vendor`` is not one of city, contractor,
        subcontractor, or ``zone_id`` names a zone of the model that is not a government-cloud zone.
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.cloud import cloud_migration_spec
    >>> spec = cloud_migration_spec(load_model(bundled_model_path()), ["JUKI_REC"], encrypted=True)
    >>> spec["add"]["zones"][0]["operator"], spec["set"]["systems"]["JUKI_REC"]
    ('cloud_provider', {'zone_id': 'GOVCLOUD', 'operator': 'contractor'})
    >>> sorted(spec["set"]["flows"])[:3]
    ['F02', 'F03', 'F04']
    """
    require_model(model, "cloud_migration_spec")
    moved = list(dict.fromkeys(_names(systems)))
    if not moved:
        raise InvalidArgumentError("name at least one system to move to the government cloud")
    known = set(model.systems["system_id"])
    unknown = [s for s in moved if s not in known]
    if unknown:
        raise InvalidArgumentError(f"no system {', '.join(map(repr, unknown))} in the model "
                                   f"(its systems: {', '.join(sorted(known)[:12])}{' …' if len(known) > 12 else ''})")
    if vendor not in _VENDORS:
        raise InvalidArgumentError(f"vendor must be one of {', '.join(_VENDORS)}, not {vendor!r} (the operator of "
                                   "the application; the platform's provider is the zone's cloud_provider)")
    zones = model.zones.set_index("zone_id")
    add_zone = zone_id not in zones.index
    if not add_zone and not (bool(zones.at[zone_id, "government_cloud"]) if "government_cloud" in zones else False):
        raise InvalidArgumentError(f"zone {zone_id!r} is in the model but is not a government-cloud zone "
                                   "(government_cloud TRUE): name another zone_id, or mark that zone")
    words = catalog.read_table("channel_keywords.csv")
    by_hand = tuple(words.loc[words["kind"].isin(["in_person", "removable_media"]), "keyword"])
    zone_of = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
    after = {s: (zone_id if s in moved else z) for s, z in zone_of.items()}
    flows: dict[str, dict[str, Any]] = {}
    for fid, src, dst, channel, enc in zip(model.flows["flow_id"], model.flows["source"], model.flows["target"],
                                          model.flows["channel"], model.flows["encrypted"]):
        crosses = (after[src] == zone_id) != (after[dst] == zone_id)
        if not crosses or any(w in str(channel) for w in by_hand):
            continue
        cells: dict[str, Any] = {}
        if channel != line:
            cells["channel"] = line
        if encrypted is not None and bool(enc) != encrypted:
            cells["encrypted"] = encrypted
        if cells:
            flows[fid] = cells
    spec: dict[str, Any] = {
        "id": scenario_id,
        "title_ja": "ガバメントクラウドへの移行（" + "、".join(moved) + "）",
        "title_en": "Move to the government cloud (" + ", ".join(moved) + ")",
        "source": source,
        "description_ja": (f"{'、'.join(moved)} をガバメントクラウドの利用領域 {zone_id}（基盤はクラウドサービス"
                           f"事業者、アプリケーションは {vendor}）へ移し、残るシステムとの間のフローを {line} "
                           "経由とする。"),
        "description_en": (f"Moves {', '.join(moved)} to the government-cloud tenancy {zone_id} (platform: the cloud "
                           f"provider; application: {vendor}); the flows to the systems left behind go over {line}."),
    }
    if add_zone:
        spec["add"] = {"zones": [{"zone_id": zone_id, "name_ja": "ガバメントクラウド（標準準拠システムの利用領域）",
                                  "name_en": "Government cloud (tenancy of the standard systems)",
                                  "internet_facing": False, "operator": "cloud_provider", "government_cloud": True,
                                  "source": source}]}
    changes: dict[str, Any] = {"systems": {s: {"zone_id": zone_id, "operator": vendor} for s in moved}}
    if flows:
        changes["flows"] = flows
    spec["set"] = changes
    return spec


def cloud_migration(model: Model, systems: str | Iterable[str], *, zone_id: str = DEFAULT_ZONE_ID,
                    vendor: str = "contractor", line: str = DEFAULT_LINE, encrypted: bool | None = None,
                    scenario_id: str = "cloud-migration") -> Scenario:
    """The scenario moving ``systems`` to a government-cloud tenancy (:func:`cloud_migration_spec`), checked.

    Parameters
    ----------
    model
        The model before the move.
    systems
        The ids of the systems to move (a list, or ``;``-separated).
    zone_id, vendor, line, encrypted, scenario_id
        As for :func:`cloud_migration_spec`.

    Returns
    -------
    Scenario
        The scenario, read from the text :func:`cloud_migration_yaml` writes (so a file written from it is the
        same change); apply it with :func:`pia_analysis.whatif.apply.apply_scenario`.

    Raises
    ------
    InvalidArgumentError
        As :func:`cloud_migration_spec`.
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.apply import apply_scenario
    >>> from pia_analysis.whatif.cloud import cloud_migration
    >>> model = load_model(bundled_model_path())
    >>> moved = apply_scenario(model, cloud_migration(model, ["JUKI_REC", "ATENA"], encrypted=True))
    >>> moved.systems.set_index("system_id").loc[["JUKI_REC", "ATENA"], ["zone_id", "operator"]].values.tolist()
    [['GOVCLOUD', 'contractor'], ['GOVCLOUD', 'contractor']]
    """
    require_model(model, "cloud_migration")
    text = cloud_migration_yaml(model, systems, zone_id=zone_id, vendor=vendor, line=line, encrypted=encrypted,
                                scenario_id=scenario_id)
    return parse_scenario(text, label=f"<{scenario_id}>", default_id=scenario_id)


def cloud_migration_yaml(model: Model, systems: str | Iterable[str], *, zone_id: str = DEFAULT_ZONE_ID,
                         vendor: str = "contractor", line: str = DEFAULT_LINE, encrypted: bool | None = None,
                         scenario_id: str = "cloud-migration") -> str:
    """The scenario moving ``systems`` to a government-cloud tenancy, as the text of a scenario file.

    Parameters
    ----------
    model
        The model before the move.
    systems
        The ids of the systems to move (a list, or ``;``-separated).
    zone_id, vendor, line, encrypted, scenario_id
        As for :func:`cloud_migration_spec`.

    Returns
    -------
    str
        YAML in the format of ``docs/scenarios.md``, with a comment saying where it comes from; save it as
        ``scenarios/<id>.yaml`` beside the model and run ``pia-analysis scenario MODEL FILE``.

    Raises
    ------
    InvalidArgumentError
        As :func:`cloud_migration_spec`.
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path, parse_scenario
    >>> from pia_analysis.whatif.cloud import cloud_migration_yaml
    >>> text = cloud_migration_yaml(load_model(bundled_model_path()), "JUKI_REC")
    >>> text.splitlines()[0]
    '# written by pia_analysis.whatif.cloud.cloud_migration_yaml: the move to the government cloud'
    >>> parse_scenario(text).set[0].values
    {'zone_id': 'GOVCLOUD', 'operator': 'contractor'}
    """
    require_model(model, "cloud_migration_yaml")
    spec = cloud_migration_spec(model, systems, zone_id=zone_id, vendor=vendor, line=line, encrypted=encrypted,
                                scenario_id=scenario_id)
    head = ("# written by pia_analysis.whatif.cloud.cloud_migration_yaml: the move to the government cloud\n"
            "# (docs/government-cloud.md). Edit it as any scenario: the zone, the operators, the line's encryption.\n")
    return head + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100)
