"""The finding rules: each rule's predicates directly above its :class:`~.engine.Rule`.

A rule's texts, risk ids and metadata sit in its ``Rule(...)``; :data:`RULES` lists the rules in the order
of the findings table and of ``docs/findings.md``.

To add a rule, write its predicates as functions of ``(ctx, element)`` (:class:`~.engine.FindingContext`
offers the tables as dicts, the My Number files, the records reachable by moves, the implemented controls,
the exposure tables and the rating check), then its ``Rule(...)`` below them, and add it to :data:`RULES`.
Texts that name risk ids are written from the rule's own tuple of ids.
"""

from __future__ import annotations

__all__ = ["RULES"]

import functools

import pandas as pd

from ... import catalog
from ...model.schema import CLOUD_OPERATORS, RATING_RANKS, STAGES, STATUTORY_OPERATORS
from ...util.words import operator_word, percent, status_word
from .engine import FindingContext, Rule

_CITY = "city"


def _ids_ja(risk_ids: tuple[str, ...]) -> str:
    """Risk ids as a Japanese list: ``retain-1、retain-3``."""
    return "、".join(risk_ids)


def _ids_en(risk_ids: tuple[str, ...]) -> str:
    """Risk ids as an English list: ``retain-1, retain-3 or outsource-1``."""
    return risk_ids[0] if len(risk_ids) == 1 else ", ".join(risk_ids[:-1]) + " or " + risk_ids[-1]


# -- shared helpers of the predicates --------------------------------------------------------------


def _sys_ja(ctx: FindingContext, sid: str) -> str:
    return f"{sid}（{ctx.systems[sid]['name_ja']}）"


def _sys_en(ctx: FindingContext, sid: str) -> str:
    name = ctx.systems[sid].get("name_en") or ""
    return f"{sid} ({name})" if name else sid


def _flow_stage(ctx: FindingContext, fid: str) -> str:
    return str(ctx.flows[fid]["stage"])


def _flow_mn(ctx: FindingContext, fid: str) -> list[str]:
    # once per flow and context: several rules ask, and a national model's flows carry hundreds of files
    key = ("flow_mn", fid)
    if key not in ctx._cache:
        ctx._cache[key] = tuple(sorted(f for f in ctx.flows[fid]["files"] if f in ctx.mn_files))
    return list(ctx._cache[key])


def _flow_records(ctx: FindingContext, fid: str, my_number_only: bool = True) -> int:
    key = ("flow_records", fid, my_number_only)
    if key not in ctx._cache:
        files = _flow_mn(ctx, fid) if my_number_only else ctx.flows[fid]["files"]
        ctx._cache[key] = max((ctx.records[f] for f in files), default=0)
    return ctx._cache[key]


def _zones_of_flow(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    return ctx.systems[f["source"]]["zone_id"], ctx.systems[f["target"]]["zone_id"]


def _all_systems(ctx: FindingContext) -> list[str]:
    return sorted(ctx.systems)


def _all_flows(ctx: FindingContext) -> list[str]:
    return sorted(ctx.flows)


def _cloud_zone(ctx: FindingContext, zid: str) -> bool:
    """A zone on a cloud platform: marked a government-cloud tenancy, or run by a cloud provider."""
    zone = ctx.zones[zid]
    return bool(zone.get("government_cloud")) or zone["operator"] in CLOUD_OPERATORS


def _on_cloud(ctx: FindingContext, sid: str) -> bool:
    """A system on a platform the body does not run: in a cloud zone, or itself run by a cloud provider."""
    return _cloud_zone(ctx, ctx.systems[sid]["zone_id"]) or ctx.systems[sid]["operator"] in CLOUD_OPERATORS


def _cloud_crossing(ctx: FindingContext, fid: str) -> bool:
    """The flow carries a file into or out of a cloud zone (exactly one of its ends is in one)."""
    src, dst = _zones_of_flow(ctx, fid)
    return (src != dst and _cloud_zone(ctx, src) != _cloud_zone(ctx, dst) and len(ctx.flows[fid]["files"]) > 0
            and not ctx.channel_is(fid, "in_person"))



# -- rule 1: a flow carrying a My Number file across zones without encryption -----------------------


def _crossing_applies(ctx: FindingContext, fid: str) -> bool:
    src, dst = _zones_of_flow(ctx, fid)
    # Paper and in-person channels (窓口, 対面 …) cannot be encrypted: their risk is the counter's
    # identity check and handling, which other rules and the acquire coverage look at.
    # A flow into or out of a cloud zone is the cloud rule's (cloud-line-unencrypted): one finding per flow.
    return (bool(_flow_mn(ctx, fid)) and src != dst and not ctx.channel_is(fid, "in_person")
            and not _cloud_crossing(ctx, fid))


def _crossing_score(ctx: FindingContext, fid: str) -> tuple[int, int]:
    src, dst = _zones_of_flow(ctx, fid)
    internet = ctx.zones[src]["internet_facing"] or ctx.zones[dst]["internet_facing"]
    other_operator = ctx.zones[src]["operator"] != ctx.zones[dst]["operator"]
    likelihood = 4 if internet else 3 if other_operator else 2
    return likelihood, ctx.scale.impact(_flow_records(ctx, fid))


def _crossing_detail(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    src, dst = _zones_of_flow(ctx, fid)
    files = "、".join(_flow_mn(ctx, fid)) or "なし"
    enc_ja = "暗号化あり" if f["encrypted"] else "暗号化なし"
    enc_en = "encrypted" if f["encrypted"] else "not encrypted"
    channel = f.get("channel") or "-"
    ja = (f"{fid}: {f['source']}→{f['target']}（ゾーン {src}→{dst}、経路 {channel}）が個人番号を含む {files} を"
          f"運ぶ（{enc_ja}、最大 {_flow_records(ctx, fid):,} 件）。")
    en = (f"{fid}: {f['source']}→{f['target']} (zones {src}→{dst}, channel {channel}) carries "
          f"{', '.join(_flow_mn(ctx, fid)) or 'none'} with My Numbers ({enc_en}; "
          f"up to {_flow_records(ctx, fid):,} records).")
    return ja, en


UNENCRYPTED_CROSSING = Rule(
    rule_id="unencrypted-crossing",
    title_ja="個人番号を含むファイルを暗号化せずにゾーンを越えて運ぶフロー",
    title_en="Flow carrying a My Number file across zones without encryption",
    explanation_ja="ネットワーク区画の境界を越える通信は、盗聴・なりすまし・誤送信の機会が増える。閉域網であっても"
                   "暗号化しなければ、経路上の機器や委託先の回線で漏えいしうる。",
    explanation_en="A flow that leaves its zone passes devices and lines the zone does not control; on a closed "
                   "network too, data sent in clear can leak on the way.",
    stage="",
    risk_ids=("acquire-4", "use-2", "outsource-1", "provide-2", "network-2", "network-4", "network-6", "retain-1"),
    linddun="Data disclosure",
    element_type="flow",
    applicability_ja="フローが個人番号を含むファイルを運び、送信元と送信先のゾーンが異なり、経路が窓口・対面・紙など"
                     "（catalog/channel_keywords.csv の in_person）でないこと。クラウドのゾーンに出入りするフローは "
                     "cloud-line-unencrypted が扱う。",
    applicability_en="The flow carries a file with My Numbers, its two ends are in different zones, and its "
                     "channel is not in-person or paper (in_person words of catalog/channel_keywords.csv); a flow "
                     "into or out of a cloud zone is cloud-line-unencrypted's.",
    mitigated_by_ja="フローの encrypted が true。",
    mitigated_by_en="The flow is marked encrypted.",
    elements=_all_flows,
    applies=_crossing_applies,
    mitigated=lambda ctx, fid: bool(ctx.flows[fid]["encrypted"]),
    detail=_crossing_detail,
    score=_crossing_score,
    stage_of=_flow_stage,
)


# -- rule 2: a My Number file held in a zone not operated by the city --------------------------------

_OUTSIDE_RISKS = ("retain-1", "retain-3", "outsource-1", "outsource-3")


def _outside_applies(ctx: FindingContext, sid: str) -> bool:
    # A system on a cloud platform is the cloud rule's (mn-on-cloud-platform): one finding per holder.
    return bool(ctx.mn_held(sid)) and ctx.zone_operator(sid) != _CITY and not _on_cloud(ctx, sid)


def _outside_mitigated(ctx: FindingContext, sid: str) -> bool:
    # An organisation-wide (*) measure of the city does not bind another operator: only a control that
    # names this system counts.
    return bool(ctx.controls_on(sid, _OUTSIDE_RISKS, star=False))


def _outside_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    likelihood = 2 if ctx.zone_operator(sid) in STATUTORY_OPERATORS else 3
    return likelihood, ctx.scale.impact(ctx.mn_records_held(sid))


def _outside_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    zone = ctx.systems[sid]["zone_id"]
    op = ctx.zone_operator(sid)
    controls = ctx.controls_on(sid, _OUTSIDE_RISKS, star=False)
    files = ctx.mn_held(sid)
    ja = (f"{_sys_ja(ctx, sid)} がゾーン {zone}（運用: {operator_word(op)}）で {'、'.join(files)} を保有する。"
          f"保管・委託の対策: {'、'.join(controls) or 'なし'}。")
    en = (f"{_sys_en(ctx, sid)} holds {', '.join(files)} in zone {zone} (operated by {operator_word(op, 'en')}). "
          f"Storage/outsourcing controls naming it: {', '.join(controls) or 'none'}.")
    return ja, en


MN_OUTSIDE_CITY = Rule(
    rule_id="mn-outside-city",
    title_ja="{body}が運用しないゾーンに保有される個人番号ファイル",
    title_en="My Number file held in a zone {the_body} does not operate",
    explanation_ja="委託先・他団体・機構などのゾーンにある特定個人情報は、{body}の直接の管理が及ばない。保管と消去の"
                   "対策がそのシステムについて評価書に記載されている必要がある。",
    explanation_en="Specific personal information in a contractor's, another body's or J-LIS's zone is out of "
                   "{the_body}'s direct control; the assessment must state the storage and erasure measures there.",
    stage="retain",
    risk_ids=_OUTSIDE_RISKS,
    linddun="Data disclosure",
    element_type="system",
    applicability_ja="システムが個人番号を含むファイルを保有し、そのゾーンの運用者が city でないこと（クラウド基盤上の"
                     "システムは mn-on-cloud-platform が扱う）。",
    applicability_en="The system holds a file with My Numbers and its zone's operator is not the city (a system on "
                     "a cloud platform is mn-on-cloud-platform's).",
    mitigated_by_ja=f"このシステムを名指しする（* でない）実施済み対策が {_ids_ja(_OUTSIDE_RISKS)} "
                    "のいずれかを軽減すること。",
    mitigated_by_en=f"An implemented control naming the system (not *) mitigates {_ids_en(_OUTSIDE_RISKS)}.",
    elements=_all_systems,
    applies=_outside_applies,
    mitigated=_outside_mitigated,
    detail=_outside_detail,
    score=_outside_score,
)


# -- rule 3: a path from an entry point to a My Number holder above the threshold --------------------


def _exposed_applies(ctx: FindingContext, sid: str) -> bool:
    return bool(ctx.mn_held(sid)) and ctx.raw_exposure_values[sid] > ctx.exposure_threshold


def _exposed_mitigated(ctx: FindingContext, sid: str) -> bool:
    return ctx.exposure_values(ctx.exposure)[sid] <= ctx.exposure_threshold


def _exposed_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    return ctx.scale.likelihood(ctx.exposure_values(ctx.exposure)[sid]), ctx.scale.impact(ctx.mn_records_held(sid))


def _exposed_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    value = ctx.exposure_values(ctx.exposure)[sid]
    raw = ctx.raw_exposure_values[sid]
    path = " → ".join(ctx.exposure_paths(ctx.exposure)[sid]) or "-"
    # probabilities as percentages at the source: the detail is read in notebooks and on the terminal too
    ja = (f"{_sys_ja(ctx, sid)} への最も起こりやすい経路 {path}: 年間確率 {percent(value)}"
          f"（対策なしでは {percent(raw)}、しきい値 {percent(ctx.exposure_threshold)}）。")
    en = (f"Most likely path to {_sys_en(ctx, sid)}: {path}, probability {percent(value, 'en')} a year "
          f"({percent(raw, 'en')} without controls; threshold {percent(ctx.exposure_threshold, 'en')}).")
    return ja, en


def _exposed_evidence(ctx: FindingContext, sid: str) -> list[str]:
    # the systems of the most likely path (its entry point's likelihood first) and the flows between them
    path = list(ctx.exposure_paths(ctx.exposure)[sid])
    between = ctx.flows_between
    flows = {fid for step in zip(path, path[1:]) for fid in between.get(step, ())}
    return path + sorted(flows)


EXPOSED_MN_HOLDER = Rule(
    rule_id="exposed-mn-holder",
    title_ja="入口から個人番号保有システムへの経路の確率がしきい値を超える",
    title_en="Path from an entry point to a My Number holder above the threshold",
    explanation_ja="攻撃グラフ上で、入口から個人番号を保有するシステムまでの最も起こりやすい経路の確率が"
                   "しきい値（既定 0.01/年）を超えている。",
    explanation_en="On the attack graph, the most likely path from an entry point to a system holding My Numbers "
                   "has a probability above the threshold (default 0.01 a year).",
    stage="retain",
    risk_ids=("use-2", "retain-1"),
    linddun="Data disclosure",
    element_type="system",
    applicability_ja="個人番号を保有するシステムで、対策をすべて除いた場合の曝露（最も起こりやすい経路の確率）が"
                     "しきい値を超えること。",
    applicability_en="A system holding My Numbers whose exposure with every control removed is above the threshold.",
    mitigated_by_ja="実施済み対策を含めた曝露がしきい値以下であること。",
    mitigated_by_en="Its exposure with the implemented controls is at or below the threshold.",
    elements=_all_systems,
    applies=_exposed_applies,
    mitigated=_exposed_mitigated,
    evidence_of=_exposed_evidence,
    detail=_exposed_detail,
    score=_exposed_score,
)


# -- rule 4: a subcontractor with access and no prior-approval control -------------------------------


_SUBCON_RISKS = ("outsource-5",)  # prior approval of re-outsourcing


def _is_subcontractor(ctx: FindingContext, sid: str) -> bool:
    return ctx.systems[sid]["operator"] == "subcontractor" or ctx.zone_operator(sid) == "subcontractor"


def _subcon_applies(ctx: FindingContext, sid: str) -> bool:
    # "access": a flow touches the system or it holds a file; an idle subcontractor system reaches nothing.
    return _is_subcontractor(ctx, sid) and bool(ctx.flows_of[sid] or len(ctx.systems[sid]["holds"]))


def _subcon_mitigated(ctx: FindingContext, sid: str) -> bool:
    return bool(ctx.controls_on(sid, _SUBCON_RISKS))


def _subcon_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    return 2, ctx.scale.impact(ctx.mn_records_reachable(sid))


def _subcon_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = ctx.controls_on(sid, _SUBCON_RISKS)
    flows = ctx.flows_of[sid]
    ja = (f"再委託先 {_sys_ja(ctx, sid)}（フロー: {'、'.join(flows) or 'なし'}、到達しうる個人番号 "
          f"{ctx.mn_records_reachable(sid):,} 件）。再委託の事前許可（{_ids_ja(_SUBCON_RISKS)}）: "
          f"{'、'.join(controls) or 'なし'}。")
    en = (f"Subcontractor system {_sys_en(ctx, sid)} (flows: {', '.join(flows) or 'none'}; My Number records "
          f"reachable: {ctx.mn_records_reachable(sid):,}). Prior approval ({_ids_en(_SUBCON_RISKS)}): "
          f"{', '.join(controls) or 'none'}.")
    return ja, en


SUBCONTRACTOR_UNAPPROVED = Rule(
    rule_id="subcontractor-unapproved",
    title_ja="事前許可の対策がない再委託先のアクセス",
    title_en="Subcontractor with access and no prior-approval control",
    explanation_ja="再委託は委託元（{body}）の事前許可を条件とし、再委託先にも委託先と同等の安全管理を求める必要がある"
                   "（委託リスク5）。",
    explanation_en="Re-outsourcing needs {the_body}'s prior approval and the same safeguards as the contractor "
                   "(outsourcing risk 5).",
    stage="outsource",
    risk_ids=_SUBCON_RISKS,
    linddun="Non-compliance",
    element_type="system",
    applicability_ja="システムまたはそのゾーンの運用者が subcontractor で、フローが接続しているか"
                     "ファイルを保有すること。",
    applicability_en="The system or its zone is operated by a subcontractor, and a flow touches it or it holds a file.",
    mitigated_by_ja=f"{_ids_ja(_SUBCON_RISKS)} を軽減する実施済み対策がこのシステム（または *）に適用されていること。",
    mitigated_by_en=f"An implemented control mitigating {_ids_en(_SUBCON_RISKS)} applies to the system (or to *).",
    elements=_all_systems,
    applies=_subcon_applies,
    mitigated=_subcon_mitigated,
    detail=_subcon_detail,
    score=_subcon_score,
)


# -- rule 5: an internet-facing zone that reaches a My Number holder ---------------------------------


def _zone_has_systems(ctx: FindingContext, zid: str) -> bool:
    return zid in ctx.zones_with_systems


def _zone_best(ctx: FindingContext, zid: str, with_controls: bool) -> tuple[float, str | None]:
    """The highest exposure of a My Number holder when zone ``zid`` is compromised, and that holder."""
    return ctx.zone_best(zid, with_controls)


def _internet_applies(ctx: FindingContext, zid: str) -> bool:
    return (bool(ctx.zones[zid]["internet_facing"]) and _zone_has_systems(ctx, zid)
            and _zone_best(ctx, zid, False)[0] > 0)


def _internet_mitigated(ctx: FindingContext, zid: str) -> bool:
    return _zone_best(ctx, zid, True)[0] <= ctx.exposure_threshold


def _internet_score(ctx: FindingContext, zid: str) -> tuple[int, int]:
    best, _who = _zone_best(ctx, zid, True)
    return ctx.scale.likelihood(best), ctx.scale.impact(ctx.zone_records_reached(zid))


def _internet_detail(ctx: FindingContext, zid: str) -> tuple[str, str]:
    best, _who = _zone_best(ctx, zid, True)
    raw, _raw_who = _zone_best(ctx, zid, False)
    # the path to the holder reached with the controls; one reached only without them has none
    path = " → ".join(ctx.zone_best_path(zid))
    ja = (f"インターネットに面したゾーン {zid}（{ctx.zones[zid]['name_ja']}）から個人番号保有システムに到達しうる。"
          f"ゾーンが侵害された場合に最も起こりやすい経路の確率（下限） {percent(best)}（対策なしでは {percent(raw)}）: "
          f"{path or '-'}。")
    # the measure said (issue 17): the most likely path's probability is a lower bound of any path's
    en = (f"Internet-facing zone {zid} reaches a My Number holder. If the zone is compromised, the most likely "
          f"path (a lower bound) has probability {percent(best, 'en')} ({percent(raw, 'en')} without controls): "
          f"{path or '-'}.")
    return ja, en


INTERNET_REACHES_MN = Rule(
    rule_id="internet-reaches-mn",
    title_ja="インターネットに面したゾーンから個人番号保有システムに到達できる",
    title_en="Internet-facing zone that reaches a My Number holder",
    explanation_ja="インターネットに面したゾーンは侵害を前提に考える。そこから個人番号保有システムへフローで"
                   "到達できるなら、その経路の対策が十分に確率を下げている必要がある。",
    explanation_en="An internet-facing zone is assumed compromised; if flows lead from it to a My Number holder, "
                   "the controls on the way must bring the probability down.",
    stage="retain",
    risk_ids=("use-2", "retain-1"),
    linddun="Data disclosure",
    element_type="zone",
    applicability_ja="ゾーンがインターネットに面し、そのシステムを入口（確率1）としたとき、対策を除いて個人番号保有"
                     "システムに到達できること。",
    applicability_en="The zone is internet-facing and, taking its systems as entry points of likelihood 1, a My "
                     "Number holder is reachable with the controls removed.",
    mitigated_by_ja="同じ条件で実施済み対策を含めた最大到達確率が曝露しきい値以下であること。",
    mitigated_by_en="Under the same assumption, the highest probability with the implemented controls is at or "
                    "below the exposure threshold.",
    elements=lambda ctx: sorted(ctx.zones),
    applies=_internet_applies,
    mitigated=_internet_mitigated,
    detail=_internet_detail,
    score=_internet_score,
)


# -- rule 6: removable media without encryption ------------------------------------------------------

_MEDIA_RISKS = ("acquire-4", "use-4", "outsource-3", "provide-2", "retain-1")


def _media_applies(ctx: FindingContext, fid: str) -> bool:
    return ctx.channel_is(fid, "removable_media") and len(ctx.flows[fid]["files"]) > 0


def _media_detail(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    records = _flow_records(ctx, fid, my_number_only=False)
    ja = (f"{fid}: {f['source']}→{f['target']} は媒体（{f.get('channel')}）で {'、'.join(f['files'])} を運ぶ"
          f"（{'暗号化あり' if f['encrypted'] else '暗号化なし'}、最大 {records:,} 件）。")
    en = (f"{fid}: {f['source']}→{f['target']} carries {', '.join(f['files'])} on removable media ({f.get('channel')}; "
          f"{'encrypted' if f['encrypted'] else 'not encrypted'}; up to {records:,} records).")
    return ja, en


MEDIA_UNENCRYPTED = Rule(
    rule_id="media-unencrypted",
    title_ja="暗号化されていない可搬媒体",
    title_en="Removable media without encryption",
    explanation_ja="可搬媒体は紛失・盗難が起こりやすい。暗号化されていなければ、紛失がそのまま漏えいになる。",
    explanation_en="Removable media get lost or stolen; unencrypted, a loss is a leak.",
    stage="",
    risk_ids=_MEDIA_RISKS,
    linddun="Data disclosure",
    element_type="flow",
    applicability_ja="フローの経路が媒体を示し（catalog/channel_keywords.csv の removable_media、例: 媒体）、"
                     "ファイルを運ぶこと。",
    applicability_en="The flow's channel names removable media (removable_media words of "
                     "catalog/channel_keywords.csv, e.g. 媒体) and it carries a file.",
    mitigated_by_ja="フローの encrypted が true。",
    mitigated_by_en="The flow is marked encrypted.",
    elements=_all_flows,
    applies=_media_applies,
    mitigated=lambda ctx, fid: bool(ctx.flows[fid]["encrypted"]),
    detail=_media_detail,
    likelihood=3,
    score=lambda ctx, fid: (3, ctx.scale.impact(_flow_records(ctx, fid, my_number_only=False))),
    stage_of=_flow_stage,
)


# -- rule 7: a My Number store with no control on the retain risks -----------------------------------


def _retain_risks(ctx: FindingContext) -> list[str]:
    return ctx.risk_ids_of_stage("retain")


def _store_mitigated(ctx: FindingContext, sid: str) -> bool:
    # Only controls that name the store count: an organisation-wide (*) control, such as publishing a
    # leak, says nothing about how this store keeps and erases its file.
    return bool(ctx.controls_on(sid, _retain_risks(ctx), star=False))


def _store_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = ctx.controls_on(sid, _retain_risks(ctx), star=False)
    ja = (f"{_sys_ja(ctx, sid)} は {'、'.join(ctx.mn_held(sid))} を保有する。保管・消去リスクの対策（このシステムを"
          f"名指しするもの）: {'、'.join(controls) or 'なし'}。")
    en = (f"{_sys_en(ctx, sid)} holds {', '.join(ctx.mn_held(sid))}. Controls on the retain risks naming it: "
          f"{', '.join(controls) or 'none'}.")
    return ja, en


MN_STORE_NO_RETAIN_CONTROL = Rule(
    rule_id="mn-store-no-retain-control",
    title_ja="保管・消去リスクの対策がない個人番号の保管先",
    title_en="My Number store with no control on the retain risks",
    explanation_ja="個人番号を保有するシステムごとに、漏えい・滅失・毀損、古い情報、消去の対策が必要である。",
    explanation_en="Every system that keeps My Numbers needs measures against leaks, outdated data and "
                   "data never erased.",
    stage="retain",
    risk_ids=("retain-1", "retain-2", "retain-3"),
    linddun="Non-compliance",
    element_type="system",
    applicability_ja="システムが個人番号を含むファイルを保有すること。",
    applicability_en="The system holds a file with My Numbers.",
    mitigated_by_ja="このシステムを名指しする（* でない）実施済み対策が保管・消去段階のリスク（追加リスクを含む）の"
                    "いずれかを軽減すること。",
    mitigated_by_en="An implemented control naming the system (not *) mitigates one of the retain-stage risks "
                    "(extra risks included).",
    elements=_all_systems,
    applies=lambda ctx, sid: bool(ctx.mn_held(sid)),
    mitigated=_store_mitigated,
    detail=_store_detail,
    score=lambda ctx, sid: (2, ctx.scale.impact(ctx.mn_records_held(sid))),
)


# -- rule 8: a self-rating not borne out by coverage -------------------------------------------------


def _rating_applies(ctx: FindingContext, rid: str) -> bool:
    return ctx.rating_rows[rid]["status"] in ("consistent", "overclaimed", "underclaimed")


def _rating_mitigated(ctx: FindingContext, rid: str) -> bool:
    return ctx.rating_rows[rid]["status"] == "consistent"


def _rating_score(ctx: FindingContext, rid: str) -> tuple[int, int]:
    row = ctx.rating_rows[rid]
    if row["status"] == "underclaimed":
        return 1, 1  # paperwork out of date; no protection is missing
    coverage = float(row["coverage"]) if pd.notna(row["coverage"]) else 0.0
    likelihood = 3 if coverage < 0.5 else 2
    impact = 3 if RATING_RANKS.get(row["rating"]) == 1 else 2  # the set's most favourable claim: 特に力を入れて…
    return likelihood, impact


@functools.lru_cache(maxsize=1)
def _rating_words() -> dict[str, str]:
    """The form's rating words (十分である …) → their English (sufficient …), from catalog/choice_sets.csv.

    Read once per process (the packaged catalogue does not change; only ``.get`` is called on the result).
    """
    choices = catalog.read_table("choice_sets.csv")
    return dict(zip(choices["label_ja"], choices["label_en"]))


def _rating_detail(ctx: FindingContext, rid: str) -> tuple[str, str]:
    row = ctx.rating_rows[rid]
    rating = row["rating"] if pd.notna(row["rating"]) else "未評価"
    # the English detail says the rating in English, as the form's Japanese words are said in the Japanese one
    rating_en = _rating_words().get(rating, rating) if pd.notna(row["rating"]) else "not rated"
    ja = (f"{rid}（{row['form_item_ja']} {row['name_ja']}）: 自己評価「{rating}」、対象 {row['pairs']} 組のうち"
          f"実施済み対策 {row['covered']}、"
          f"計画中 {row['planned']}、未対策 {row['gaps']}（判定: {status_word(row['status'])}）。")
    pairs = f"{row['pairs']} pair{'' if row['pairs'] == 1 else 's'}"
    en = (f"{rid}: self-rating \"{rating_en}\"; of {pairs} {row['covered']} covered, {row['planned']} planned, "
          f"{row['gaps']} gaps ({status_word(row['status'], 'en')}).")
    return ja, en


RATING_NOT_BORNE_OUT = Rule(
    rule_id="rating-not-borne-out",
    title_ja="対策の網羅状況に裏付けられない自己評価",
    title_en="Self-rating not borne out by coverage",
    explanation_ja="「十分である」「特に力を入れている」（Ⅳ は「十分に行っている」「特に力を入れて行っている」）と"
                   "した評価項目に対策のない要素が残る（過大評価）、または「課題が残されている」（Ⅳ は「十分に行って"
                   "いない」）とした評価項目がすべて対策済み（評価書かモデルが古い）。委託は5つのリスクをまとめた"
                   "1つの評価項目、Ⅳ の項目は組織を1つの要素として、その項目を名指す対策で判定する。",
    explanation_en="A rated item rated 十分である or 特に力を入れている (Section Ⅳ: 十分に行っている or 特に力を入れて"
                   "行っている) has elements with no control (overclaimed), or one rated 課題が残されている (Ⅳ: 十分に"
                   "行っていない) is fully covered (the rating or the model is out of date). 委託 is one rated item "
                   "over its five risks; a Section Ⅳ item is judged on the organisation, by the controls naming it.",
    stage="",
    risk_ids=(),
    linddun="Non-compliance",
    element_type="risk",
    applicability_ja="評価項目に自己評価があり、その段階の対象要素が1つ以上あること（rating_check の status が "
                     "consistent、overclaimed、underclaimed）。",
    applicability_en="The item is rated and its stage has an element in scope (rating_check status consistent, "
                     "overclaimed or underclaimed).",
    mitigated_by_ja="rating_check の status が consistent。",
    mitigated_by_en="rating_check status consistent.",
    elements=lambda ctx: list(ctx.model.rated_items["rated_item_id"]),
    applies=_rating_applies,
    mitigated=_rating_mitigated,
    detail=_rating_detail,
    score=_rating_score,
    stage_of=lambda ctx, rid: str(ctx.rating_rows[rid]["stage"]),
    # the finding bears on the risks the item rates (the five of the 委託 block; a Ⅳ item's own id)
    risk_ids_of=lambda ctx, rid: list(ctx.rating_rows[rid]["risks"]),
)


# -- rule 9: an entry point with no control at all ---------------------------------------------------


def _entry_controls(ctx: FindingContext, sid: str) -> list[str]:
    # Controls that name the entry point or a flow touching it (they lower its entering or passing
    # probability); organisation-wide (*) controls are not counted, or every entry would look guarded.
    out = set(ctx.controls_on(sid, star=False))
    for fid in ctx.flows_of[sid]:
        out |= set(ctx.controls_on(fid, star=False))
    return sorted(out)


def _entry_stage(ctx: FindingContext, sid: str) -> str:
    order = {s: i for i, s in enumerate(STAGES)}
    stages = sorted({ctx.flows[f]["stage"] for f in ctx.flows_of[sid]}, key=order.get)
    return stages[0] if stages else ""


def _entry_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = _entry_controls(ctx, sid)
    p = float(ctx.systems[sid]["entry_likelihood"])
    ja = (f"入口 {_sys_ja(ctx, sid)}（年間の発生確率 {percent(p)}、"
          f"到達しうる個人番号 {ctx.mn_records_reachable(sid):,} 件）。"
          f"入口またはそのフローを名指しする実施済み対策: {'、'.join(controls) or 'なし'}。")
    en = (f"Entry point {_sys_en(ctx, sid)} (yearly likelihood {percent(p, 'en')}; My Number records reachable "
          f"{ctx.mn_records_reachable(sid):,}). Implemented controls naming it or its flows: "
          f"{', '.join(controls) or 'none'}.")
    return ja, en


ENTRY_NO_CONTROL = Rule(
    rule_id="entry-no-control",
    title_ja="対策がまったくない入口",
    title_en="Entry point with no control at all",
    explanation_ja="攻撃や不正の起点となりうる入口に、入口自体にもその通信にも対策が記載されていない。",
    explanation_en="An entry point where misuse or attack can start has no control on itself or on its flows.",
    stage="",
    risk_ids=("acquire-2", "use-2", "outsource-1", "provide-1", "network-5", "retain-1"),
    linddun="Data disclosure",
    element_type="system",
    applicability_ja="システムの entry_likelihood が 0 より大きいこと。",
    applicability_en="The system's entry_likelihood is above 0.",
    mitigated_by_ja="このシステム、またはこれに接続するフローを名指しする（* でない）実施済み対策があること。",
    mitigated_by_en="An implemented control names the system or a flow touching it (not *).",
    elements=_all_systems,
    applies=lambda ctx, sid: float(ctx.systems[sid]["entry_likelihood"]) > 0,
    mitigated=lambda ctx, sid: bool(_entry_controls(ctx, sid)),
    detail=_entry_detail,
    score=lambda ctx, sid: (ctx.scale.likelihood(float(ctx.systems[sid]["entry_likelihood"])),
                            ctx.scale.impact(ctx.mn_records_reachable(sid))),
    stage_of=_entry_stage,
)


# -- rule 10: a system no flow touches ---------------------------------------------------------------


def _orphan_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    held = max((ctx.records[f] for f in ctx.systems[sid]["holds"]), default=0)
    return 1, ctx.scale.impact(held)


def _orphan_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    holds = list(ctx.systems[sid]["holds"])
    ja = f"{_sys_ja(ctx, sid)} にはどのフローも接続していない（保有ファイル: {'、'.join(holds) or 'なし'}）。"
    en = f"No flow touches {_sys_en(ctx, sid)} (files held: {', '.join(holds) or 'none'})."
    return ja, en


ORPHAN_SYSTEM = Rule(
    rule_id="orphan-system",
    title_ja="どのフローにも接続していないシステム",
    title_en="System no flow touches (orphan)",
    explanation_ja="フローのないシステムは、モデルの記載漏れか、使われずに残ったデータ（古いまま・消去されない）の"
                   "可能性がある。",
    explanation_en="A system without flows is either a gap in the model or a leftover whose data is kept "
                   "outdated and never erased.",
    stage="retain",
    risk_ids=("retain-2", "retain-3"),
    linddun="Non-compliance",
    element_type="system",
    applicability_ja="どのフローの送信元・送信先にもならないシステムであること。",
    applicability_en="No flow has the system as its source or target.",
    mitigated_by_ja="なし（モデルを正すか、システムを廃止して閉じる）。",
    mitigated_by_en="Nothing in the model: correct the model or retire the system.",
    elements=_all_systems,
    applies=lambda ctx, sid: not ctx.flows_of[sid],
    mitigated=None,
    detail=_orphan_detail,
    likelihood=1,
    score=_orphan_score,
)


# -- rule 11: a My Number file held on a cloud platform the city does not run ------------------------

_CLOUD_SOURCE = ("デジタル庁「ガバメントクラウド」の利用方針・地方公共団体情報システムの標準化 (the tenancy model: the "
                 "platform's provider does not access the data, the vendor of the 標準準拠システム operates the "
                 "application); 個人情報保護委員会 Q&A on cloud services (a provider that does not handle the data "
                 "is not entrusted with it); 指針 別表: 保管場所 (ppc_form_structure.md §3); docs/government-cloud.md")


def _cloud_holder_mitigated(ctx: FindingContext, sid: str) -> bool:
    # As for another operator's zone: only a control naming the system binds the platform and the vendor.
    return bool(ctx.controls_on(sid, _OUTSIDE_RISKS, star=False))


def _cloud_holder_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    zone_id = ctx.systems[sid]["zone_id"]
    zone = ctx.zones[zone_id]
    kind_ja = "ガバメントクラウド" if zone.get("government_cloud") else "クラウド基盤"
    kind_en = "government-cloud tenancy" if zone.get("government_cloud") else "cloud platform"
    app, platform = ctx.systems[sid]["operator"], zone["operator"]
    controls = ctx.controls_on(sid, _OUTSIDE_RISKS, star=False)
    files = ctx.mn_held(sid)
    ja = (f"{_sys_ja(ctx, sid)} が{kind_ja}のゾーン {zone_id}（基盤の運用: {operator_word(platform)}、"
          f"アプリケーションの運用: {operator_word(app)}）で {'、'.join(files)} を保有する。"
          f"保管・委託の対策: {'、'.join(controls) or 'なし'}。")
    en = (f"{_sys_en(ctx, sid)} holds {', '.join(files)} in {kind_en} zone {zone_id} (platform run by "
          f"{operator_word(platform, 'en')}, application by {operator_word(app, 'en')}). Storage/outsourcing controls "
          f"naming it: {', '.join(controls) or 'none'}.")
    return ja, en


MN_ON_CLOUD_PLATFORM = Rule(
    rule_id="mn-on-cloud-platform",
    title_ja="{body}が運用しないクラウド基盤（ガバメントクラウド等）に保有される個人番号ファイル",
    title_en="My Number file held on a cloud platform {the_body} does not run (government cloud)",
    explanation_ja="ガバメントクラウド等のクラウド基盤では、基盤はクラウドサービス事業者が、アプリケーションは標準準拠"
                   "システムの事業者（委託先）が運用し、{body}はどちらも直接には管理しない。保管場所・アクセス制御・"
                   "暗号化・契約終了時の消去の対策が、そのシステムについて評価書に記載されている必要がある。",
    explanation_en="On a cloud platform such as the government cloud, the provider runs the platform and the vendor "
                   "of the standard system (a contractor) runs the application; {the_body} runs neither. The "
                   "assessment must state, for that system, where the file is kept, who can reach it, its "
                   "encryption and its erasure when the contract ends.",
    stage="retain",
    risk_ids=_OUTSIDE_RISKS,
    linddun="Data disclosure",
    element_type="system",
    applicability_ja="システムが個人番号を含むファイルを保有し、そのゾーンがガバメントクラウドの利用領域"
                     "（government_cloud が TRUE）か運用者が cloud_provider であるか、システム自体の運用者が "
                     "cloud_provider であること。",
    applicability_en="The system holds a file with My Numbers, and its zone is a government-cloud tenancy "
                     "(government_cloud TRUE) or run by a cloud_provider, or the system itself is run by a "
                     "cloud_provider.",
    mitigated_by_ja=f"このシステムを名指しする（* でない）実施済み対策が {_ids_ja(_OUTSIDE_RISKS)} "
                    "のいずれかを軽減すること。",
    mitigated_by_en=f"An implemented control naming the system (not *) mitigates {_ids_en(_OUTSIDE_RISKS)}.",
    elements=_all_systems,
    applies=lambda ctx, sid: bool(ctx.mn_held(sid)) and _on_cloud(ctx, sid),
    mitigated=_cloud_holder_mitigated,
    detail=_cloud_holder_detail,
    # the platform meets the state's security standard (ISMAP), as the statutory bodies' do: likelihood 2
    score=lambda ctx, sid: (2, ctx.scale.impact(ctx.mn_records_held(sid))),
    source=_CLOUD_SOURCE,
    confidence="recalled",
)


# -- rule 12: a flow into or out of a cloud zone without encryption ----------------------------------


def _cloud_line_score(ctx: FindingContext, fid: str) -> tuple[int, int]:
    src, dst = _zones_of_flow(ctx, fid)
    internet = ctx.zones[src]["internet_facing"] or ctx.zones[dst]["internet_facing"]
    # the data leaves the body's premises over a line it does not run (the connection line, a carrier's)
    return (4 if internet else 3), ctx.scale.impact(_flow_records(ctx, fid, my_number_only=False))


def _cloud_line_detail(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    src, dst = _zones_of_flow(ctx, fid)
    way_ja, way_en = ("へ", "into") if _cloud_zone(ctx, dst) else ("から", "out of")
    cloud = dst if _cloud_zone(ctx, dst) else src
    channel = f.get("channel") or "-"
    records = _flow_records(ctx, fid, my_number_only=False)
    mn = _flow_mn(ctx, fid)
    ja = (f"{fid}: {f['source']}→{f['target']} がクラウドのゾーン {cloud}{way_ja}（ゾーン {src}→{dst}、経路 {channel}）"
          f"{'、'.join(f['files'])} を運ぶ（{'暗号化あり' if f['encrypted'] else '暗号化なし'}、個人番号を含むもの "
          f"{'、'.join(mn) or 'なし'}、最大 {records:,} 件）。")
    en = (f"{fid}: {f['source']}→{f['target']} carries {', '.join(f['files'])} {way_en} cloud zone {cloud} (zones "
          f"{src}→{dst}, channel {channel}; {'encrypted' if f['encrypted'] else 'not encrypted'}; with My Numbers: "
          f"{', '.join(mn) or 'none'}; up to {records:,} records).")
    return ja, en


CLOUD_LINE_UNENCRYPTED = Rule(
    rule_id="cloud-line-unencrypted",
    title_ja="クラウド基盤（ガバメントクラウド等）に出入りする暗号化されていないフロー",
    title_en="Flow into or out of a cloud platform (government cloud) without encryption",
    explanation_ja="ガバメントクラウドへの接続回線は{body}の庁舎の外を通り、{body}が運用しない機器を経由する。"
                   "専用線・閉域網であっても、暗号化しなければ経路上で漏えいしうる。個人番号を含まないファイル"
                   "（宛名番号、税・保険の情報）も標準準拠システムとの間で同じ回線を通る。",
    explanation_en="The line to the government cloud leaves {the_body}'s premises and passes devices {the_body} does "
                   "not run; on a dedicated or closed line too, data sent in clear can leak on the way. Files "
                   "without My Numbers (internal numbers, tax or insurance data) pass the same line.",
    stage="",
    risk_ids=("acquire-4", "use-2", "outsource-1", "provide-2", "network-2", "network-4", "network-6", "retain-1"),
    linddun="Data disclosure",
    element_type="flow",
    applicability_ja="フローが一方の端だけクラウドのゾーン（government_cloud が TRUE、または運用者が cloud_provider）"
                     "にあり、ファイルを運び、経路が窓口・対面・紙などでないこと。",
    applicability_en="Exactly one end of the flow is in a cloud zone (government_cloud TRUE, or run by a "
                     "cloud_provider), it carries a file, and its channel is not in-person or paper.",
    mitigated_by_ja="フローの encrypted が true。",
    mitigated_by_en="The flow is marked encrypted.",
    elements=_all_flows,
    applies=_cloud_crossing,
    mitigated=lambda ctx, fid: bool(ctx.flows[fid]["encrypted"]),
    detail=_cloud_line_detail,
    likelihood=3,
    score=_cloud_line_score,
    stage_of=_flow_stage,
    source=("デジタル庁 ガバメントクラウドへの接続 (a dedicated connection line or closed network, encrypted "
            "communication expected); 指針 Ⅲ 7 リスク1 ⑥技術的対策 (ppc_form_structure.md); docs/government-cloud.md"),
    confidence="recalled",
)


#: Every rule, in the order of the findings table and of docs/findings.md.
RULES: tuple[Rule, ...] = (
    UNENCRYPTED_CROSSING,
    MN_OUTSIDE_CITY,
    EXPOSED_MN_HOLDER,
    SUBCONTRACTOR_UNAPPROVED,
    INTERNET_REACHES_MN,
    MEDIA_UNENCRYPTED,
    MN_STORE_NO_RETAIN_CONTROL,
    RATING_NOT_BORNE_OUT,
    ENTRY_NO_CONTROL,
    ORPHAN_SYSTEM,
    MN_ON_CLOUD_PLATFORM,
    CLOUD_LINE_UNENCRYPTED,
)
