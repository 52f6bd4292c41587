"""Rule overlap (first rule of a kind in mandate order), content-derived ids,
time windows in a zone with daylight saving time, the kind of a sound deciding
launch or impact, and per-sector escalation."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import yaml
from scipy.special import stdtr

from ceasefire.assess import AttributionConfig, assess, escalate, violation_id
from ceasefire.assess.judge import local_minutes
from ceasefire.geo import forward
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event, Violation

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    sectors:
      - {id: north, from_km: 0, to_km: 100}
      - {id: south, from_km: 100, to_km: 222}
    rules:
      - {id: heavy, kind: ceasefire, severity: high, weapons: [artillery, mlrs]}
      - {id: any-fire, kind: ceasefire, severity: medium}
      - {id: night, kind: ceasefire, severity: low, time_window: {start: "22:00", end: "06:00"}}
    reporting: {timezone: Europe/Kyiv}
    """
)


def mandate(**changes: object):  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(DOC)
    doc.update(changes)
    return parse_mandate(yaml.safe_dump(doc))


def shell(
    eid: str, t: float, weapon: str = "mortar", kind: str = "explosion", east_km: float = -3.0
) -> Event:
    """An explosion (or other sound) ``east_km`` east of the meridian line at 48.5 N."""
    la, lo = forward(48.5, 38.0, 90.0 if east_km >= 0 else 270.0, abs(east_km) * 1000.0)
    return Event(
        id=eid,
        kind=kind,
        time_s=t,
        lat=float(la),
        lon=float(lo),
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=(eid + "-a", eid + "-b"),
        n_observers=3,
        direction="incoming",
        weapon=weapon,
    )


T_NOON = datetime(2025, 6, 1, 9, 0, tzinfo=UTC).timestamp()  # 12:00 in Kyiv (UTC+3)


def test_overlapping_rules_of_one_kind_the_first_in_mandate_order_wins() -> None:
    m = mandate()
    art = shell("art", T_NOON, weapon="artillery")
    mor = shell("mor", T_NOON + 60, weapon="mortar")
    got = {(x.event_ids[0], x.rule, x.severity) for x in assess([art, mor], m)}
    # artillery matches 'heavy' and 'any-fire': only the first; the mortar only 'any-fire'
    assert got == {("art", "heavy", "high"), ("mor", "any-fire", "medium")}
    # reordered, the catch-all takes both
    doc = yaml.safe_load(DOC)
    doc["rules"] = [doc["rules"][1], doc["rules"][0]]
    got2 = {
        (x.event_ids[0], x.rule) for x in assess([art, mor], parse_mandate(yaml.safe_dump(doc)))
    }
    assert got2 == {("art", "any-fire"), ("mor", "any-fire")}


def test_violation_ids_are_derived_from_rule_and_event() -> None:
    m = mandate()
    a = assess([shell("x", T_NOON)], m)
    b = assess([shell("other", T_NOON - 5), shell("x", T_NOON)], m)
    vx = [v for v in b if v.event_ids == ("x",)]
    assert a[0].id == vx[0].id == violation_id("any-fire", ["x"])
    assert len({v.id for v in b}) == 2


def test_time_window_follows_daylight_saving_time() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    # 22:30 local in winter (UTC+2) is 20:30 UTC; in summer (UTC+3) 19:30 UTC
    winter = datetime(2025, 1, 15, 22, 30, tzinfo=kyiv).timestamp()
    summer = datetime(2025, 7, 15, 22, 30, tzinfo=kyiv).timestamp()
    # the night of the spring change (30 March 2025, 03:00 -> 04:00 local at 01:00 UTC)
    before = datetime(2025, 3, 30, 0, 59, tzinfo=UTC).timestamp()  # 02:59 local
    after = datetime(2025, 3, 30, 1, 0, tzinfo=UTC).timestamp()  # 04:00 local
    mins = local_minutes(np.array([winter, summer, before, after]), kyiv)
    assert mins.tolist() == [22 * 60 + 30, 22 * 60 + 30, 2 * 60 + 59, 4 * 60]
    m = mandate()
    doc = yaml.safe_load(DOC)
    doc["rules"] = [doc["rules"][2]]  # the night rule alone
    night = parse_mandate(yaml.safe_dump(doc))
    inside = shell("in", summer)
    outside = shell("out", datetime(2025, 7, 15, 21, 59, tzinfo=kyiv).timestamp())
    assert [x.event_ids for x in assess([inside, outside], night)] == [("in",)]
    assert len(assess([inside, outside], m)) == 2


def test_the_kind_of_sound_decides_launch_or_impact() -> None:
    # 3 km west of the line (UA's side), 100 m spread: the source is surely west.
    # A firing there is UA's gun; an explosion there is a round from RU (across).
    m = mandate()
    cfg = AttributionConfig()
    fire = assess([shell("f", T_NOON, kind="firing")], m, cfg)[0]
    boom = assess([shell("b", T_NOON, kind="explosion")], m, cfg)[0]
    q, err = 1 - cfg.phase_error_p, cfg.position_error_p
    # 3 km from the line an impact is across with a - (a - 1/2) exp(-3 km / short_band_m)
    # (the 100 m spread moves the exponent by 0.5 (100 / short_band_m)^2)
    a = cfg.impact_across_p - (cfg.impact_across_p - 0.5) * np.exp(
        -3000.0 / cfg.short_band_m + 0.5 * (100.0 / cfg.short_band_m) ** 2
    )
    # the source is west but for the tail of the position's Student t at 30 σ (about
    # 4e-6 at 4 degrees of freedom): UA fired when it is the launch, RU (across) when
    # the impact
    west = float(stdtr(cfg.position_dof, 30.0))
    p_ua_fire = q * west + (1 - q) * (1 - a)
    p_ru_boom = (1 - cfg.phase_error_p) * a + cfg.phase_error_p * 0.0
    assert fire.party == "UA"
    assert fire.probabilities["UA"] == pytest.approx(p_ua_fire * (1 - err) + (1 - p_ua_fire) * err)
    # RU the likelier shooter (named or not depends on the mandate's threshold)
    assert boom.probabilities["RU"] > 0.5
    assert boom.probabilities["RU"] == pytest.approx(p_ru_boom * (1 - err) + (1 - p_ru_boom) * err)
    # a flare of undetermined direction says nothing of the phase: undetermined
    flare = assess(
        [
            Event(
                id="fl",
                kind="flare",
                time_s=T_NOON,
                lat=fire.lat,
                lon=fire.lon,
                cov_m2=(1e4, 1e4, 0.0),
                observation_ids=("o",),
                n_observers=2,
            )
        ],
        m,
    )[0]
    assert flare.party == "undetermined"


def _v(i: int, t: float, sector: str, party: str = "RU") -> Violation:
    return Violation(
        id=f"v{i}",
        rule="any-fire",
        severity="medium",
        kind="explosion",
        time_s=t,
        lat=48.5,
        lon=38.1,
        cov_m2=None,
        party=party,
        party_probability=0.9,
        probabilities={party: 0.9},
        event_ids=(f"e{i}",),
        observation_ids=(),
        distance_to_line_km=1.0,
        side="left",
        response="record",
        sector=sector,
    )


def test_sector_trigger_counts_each_sector_apart() -> None:
    m = mandate(
        response={
            "mode": "record",
            "escalation": [
                {
                    "line": 1,
                    "name": "first",
                    "holder": "JCCC",
                    "armed": False,
                    "trigger": {"kind": "count", "threshold": 2, "window_h": 1, "per": "sector"},
                }
            ],
        }
    )
    h = 3600.0
    # north: two 10 min apart (raised at 10 min, cleared when the first leaves
    # the hour, at 60 min); south: one, never raised; both parties count together
    vs = [_v(0, 0.0, "north"), _v(1, 600.0, "north", party="UA"), _v(2, 300.0, "south")]
    esc = escalate(vs, m)
    assert [(x.state, x.sector, x.time_s) for x in esc] == [
        ("raised", "north", 600.0),
        ("cleared", "north", h),
    ]
    assert set(esc[0].violation_ids) == {"v0", "v1"}
