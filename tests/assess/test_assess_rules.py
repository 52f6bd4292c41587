"""Each rule kind at its boundary, the reference-line choice, time windows and
sectors, on a crafted mandate: a meridian line drawn north to south (RU left =
east, UA right = west)."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
import yaml
from scipy.integrate import quad

from ceasefire.assess import AttributionConfig, assess
from ceasefire.geo import forward
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.scoring import system_from_features

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    sectors:
      - {id: north, from_km: 0, to_km: 111.2}
      - {id: south, from_km: 111.2, to_km: 222.4}
    zones:
      - {id: art, kind: buffer, width_km: {UA: 25, RU: 25}}
      - id: da
        kind: polygon
        coordinates: [[37.99, 48.49], [38.01, 48.49], [38.01, 48.51], [37.99, 48.51],
                      [37.99, 48.49]]
    rules:
      - {id: ceasefire, kind: ceasefire, events: [explosion, firing]}
      - {id: art, kind: withdrawal, zone: art, objects: [artillery_ge_100mm]}
      - {id: da, kind: disengagement, zone: da}
      - {id: night-drones, kind: drone, objects: [uav], time_window: {start: "20:00", end: "05:00"}}
    reporting: {timezone: UTC}
    """
)
T = datetime(2025, 6, 1, 12, 0, tzinfo=UTC).timestamp()


def mandate(**changes: object):  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(DOC)
    doc.update(changes)
    return parse_mandate(yaml.safe_dump(doc))


def gun(lat: float, lon: float, party: str | None = "RU", eid: str = "g", t: float = T) -> Event:
    return Event(
        id=eid,
        kind="sighting",
        time_s=t,
        lat=lat,
        lon=lon,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=(eid + "-o",),
        n_observers=1,
        object="artillery_ge_100mm",
        count=1,
        party_marked=party,
        first_seen_s=t,
        last_seen_s=t + 600,
    )


def east(km: float, lat: float = 48.5) -> tuple[float, float]:
    la, lo = forward(lat, 38.0, 90.0, km * 1000.0)
    return float(la), float(lo)


def west(km: float, lat: float = 48.5) -> tuple[float, float]:
    la, lo = forward(lat, 38.0, 270.0, km * 1000.0)
    return float(la), float(lo)


def test_withdrawal_boundary_24_9_and_25_1_km() -> None:
    m = mandate()
    inside, outside = east(24.9), east(25.1)
    v = assess([gun(*inside, eid="in"), gun(*outside, eid="out")], m)
    art = [x for x in v if x.rule == "art"]
    assert [x.event_ids for x in art] == [("in",)]
    assert art[0].party == "RU" and art[0].distance_to_line_km == pytest.approx(24.9, abs=0.01)


def test_withdrawal_of_the_right_party_is_measured_on_its_own_side() -> None:
    m = mandate()
    v = assess(
        [gun(*west(24.9), party="UA", eid="ua-in"), gun(*west(25.1), party="UA", eid="ua-out")], m
    )
    assert [x.event_ids for x in v if x.rule == "art"] == [("ua-in",)]


def test_reference_line_choice_moves_the_boundary() -> None:
    # RU withdraws from its own line 10 km east of the contact line: a RU gun
    # 30 km east of the contact line is 20 km from RU's line: inside 25 km.
    _, lo = east(10.0)
    ref = {"RU": {"coordinates": [[lo, 49.5], [lo, 47.5]]}}
    m = mandate(reference_lines=ref)
    v = assess([gun(*east(30.0), eid="g30"), gun(*east(36.0), eid="g36")], m)
    art = [x for x in v if x.rule == "art"]
    assert [x.event_ids for x in art] == [("g30",)]
    assert art[0].distance_to_line_km == pytest.approx(20.0, abs=0.2)
    # UA still measures from the contact line
    v2 = assess([gun(*west(24.0), party="UA", eid="u")], m)
    assert [x.rule for x in v2] == ["art"]


def test_weapon_on_the_wrong_side_is_reported_as_such() -> None:
    m = mandate()
    v = assess([gun(*west(5.0), party="RU", eid="x")], m)
    art = [x for x in v if x.rule == "art"]
    assert len(art) == 1 and art[0].party == "RU"
    assert any("wrong side" in n for n in art[0].notes)


def test_one_violation_per_weapon_track() -> None:
    m = mandate()
    v = assess([gun(*east(10.0), eid="track-1")], m)
    art = [x for x in v if x.rule == "art"]
    assert len(art) == 1 and art[0].first_seen_s == T and art[0].last_seen_s == T + 600


def test_disengagement_area_just_inside_and_just_outside() -> None:
    m = mandate()
    # the square spans lon 37.99-38.01; 37.9905 is inside, 37.9895 outside
    ins = Event(
        id="i",
        kind="explosion",
        time_s=T,
        lat=48.5,
        lon=37.9905,
        cov_m2=(400.0, 400.0, 0.0),
        observation_ids=("a",),
        n_observers=3,
    )
    out = Event(
        id="o",
        kind="explosion",
        time_s=T,
        lat=48.5,
        lon=37.9895,
        cov_m2=(400.0, 400.0, 0.0),
        observation_ids=("b",),
        n_observers=3,
    )
    v = assess([ins, out], m)
    assert [x.event_ids for x in v if x.rule == "da"] == [("i",)]
    assert sorted(x.event_ids for x in v if x.rule == "ceasefire") == [("i",), ("o",)]


def test_drone_time_window_wraps_midnight() -> None:
    m = mandate()
    day = datetime(2025, 6, 1, tzinfo=UTC).timestamp()

    def uav(eid: str, hour: float) -> Event:
        la, lo = east(3.0)
        return Event(
            id=eid,
            kind="sighting",
            time_s=day + hour * 3600,
            lat=la,
            lon=lo,
            cov_m2=(900.0, 900.0, 0.0),
            observation_ids=(eid,),
            n_observers=1,
            object="uav",
            count=1,
            party_marked="RU",
        )

    v = assess([uav("h02", 2), uav("h12", 12), uav("h2230", 22.5), uav("h0500", 5.0)], m)
    assert sorted(x.event_ids[0] for x in v if x.rule == "night-drones") == ["h02", "h2230"]


def test_sector_filter_uses_chainage() -> None:
    doc = yaml.safe_load(DOC)
    doc["rules"][0]["sectors"] = ["south"]
    m = parse_mandate(yaml.safe_dump(doc))
    north = Event(
        id="n",
        kind="explosion",
        time_s=T,
        lat=49.2,
        lon=38.1,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=("n",),
        n_observers=2,
    )
    south = Event(
        id="s",
        kind="explosion",
        time_s=T,
        lat=47.8,
        lon=38.1,
        cov_m2=(100.0, 100.0, 0.0),
        observation_ids=("s",),
        n_observers=2,
    )
    v = [x for x in assess([north, south], m) if x.rule == "ceasefire"]
    assert [x.event_ids for x in v] == [("s",)] and v[0].sector == "south"


def _ray_event(eid: str, km_west: float) -> Event:
    la, lo = west(km_west)
    return Event(
        id=eid,
        kind="explosion",
        time_s=T,
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=(eid,),
        n_observers=1,
        observer_lat=la,
        observer_lon=lo,
        bearing_deg=90.0,
        direction="incoming",
        flags=("no_position",),
    )


def _ray_shooter_ru(km_west: float, ray_error_p: float = AttributionConfig().ray_error_p) -> float:
    """P(RU fired) for an explosion heard due east by an observer ``km_west`` of
    the meridian line, by quadrature of the ray's source density (AttributionConfig):
    d/(1 + (d/L)^4) * exp(-|d - x| / band) per metre of ray, L = 5 km (weapon
    undetermined), band = ``ray_band_m``, 150 m <= d <= 40 km; the source (an
    impact, the kind says so with 0.98) lies left (east, RU) beyond the crossing at x.
    An impact |d - x| from the line came from across with a - (a - 1/2) exp(-|d - x| / B),
    B = ``short_band_m``."""
    d0 = AttributionConfig()
    x, lo_m, hi_m, l50, band = km_west * 1000.0, 150.0, 40_000.0, 5_000.0, d0.ray_band_m

    def dens(d: float) -> float:
        return d / (1.0 + (d / l50) ** 4) * np.exp(-abs(d - x) / band)

    def across(d: float) -> float:
        a = d0.impact_across_p
        return a - (a - 0.5) * np.exp(-abs(d - x) / d0.short_band_m)

    near = quad(dens, lo_m, x, limit=200)[0]
    far = quad(dens, x, hi_m, limit=200)[0]
    s = far / (near + far)  # P(source left of the line)
    # an impact on the near (UA) side is RU's when it came from across, on the far side
    # when it did not
    ru_near = quad(lambda d: dens(d) * across(d), lo_m, x, limit=200)[0]
    ru_far = quad(lambda d: dens(d) * (1.0 - across(d)), x, hi_m, limit=200)[0]
    q = 0.02  # P(source is the launch)
    shooter = q * s + (1 - q) * (ru_near + ru_far) / (near + far)
    # a lone bearing is wrong (another round, or elsewhere on its ray) with ray_error_p
    return shooter * (1 - ray_error_p) + (1 - shooter) * ray_error_p


def test_bearing_only_event_is_counted_and_weighed_along_its_ray() -> None:
    m = mandate()
    cfg = AttributionConfig(ray_samples=4000)  # fine sampling: close to the integral
    far = assess([_ray_event("far", 7.37)], m, cfg)[0]
    assert far.lat is None
    assert far.probabilities["RU"] == pytest.approx(_ray_shooter_ru(7.37), abs=3e-3)
    # 7.4 km from the line most of the density lies on the observer's (UA) side:
    # the impact is in UA's area, RU the likelier shooter, yet below 0.8
    assert 0.5 < far.probabilities["RU"] < 0.8 and far.party == "undetermined"
    # 1 km from the line most of the density lies past it: the impact is in RU's
    # area, UA the likelier shooter
    near = assess([_ray_event("near", 1.0)], m, cfg)[0]
    assert near.probabilities["RU"] == pytest.approx(_ray_shooter_ru(1.0), abs=3e-3)
    assert near.probabilities["UA"] > 0.5 and near.party == "undetermined"


def test_a_lone_burst_ray_is_weighed_with_its_own_allowance() -> None:
    # a burst (small arms) heard due east by an observer 1 km west of the line: a
    # launch (the kind says so with 0.98), so P(RU fired) is about the share of the
    # ray's density past the line (RU's side), blurred by burst_ray_error_p, not
    # ray_error_p
    m = mandate(rules=[{"id": "ceasefire", "kind": "ceasefire", "events": ["firing", "burst"]}])
    cfg = AttributionConfig(ray_samples=4000, ray_error_p=0.04, burst_ray_error_p=0.25)
    firing = assess([replace(_ray_event("f", 1.0), kind="firing", direction="outgoing")], m, cfg)
    burst = assess([replace(_ray_event("b", 1.0), kind="burst", direction="outgoing")], m, cfg)
    p_f, p_b = firing[0].probabilities["RU"], burst[0].probabilities["RU"]
    # both blur the same unblurred value x: p = x (1 - e) + (1 - x) e
    x = (p_f - 0.04) / (1 - 2 * 0.04)
    assert p_b == pytest.approx(x * (1 - 0.25) + (1 - x) * 0.25, abs=1e-5)
    assert 0.5 < p_b < p_f


def test_paired_round_is_attributed_to_the_launch_side() -> None:
    m = mandate()
    la, lo = east(6.0)
    ia, io = west(3.0)
    e = Event(
        id="r",
        kind="explosion",
        time_s=T,
        lat=ia,
        lon=io,
        cov_m2=(2500.0, 2500.0, 0.0),
        observation_ids=("a", "b"),
        n_observers=4,
        direction="incoming",
        launch_lat=la,
        launch_lon=lo,
        launch_cov_m2=(10000.0, 10000.0, 0.0),
        flags=("paired",),
    )
    v = assess([e], m)
    cfg = AttributionConfig()
    err, close_err = cfg.launch_error_p, cfg.close_launch_error_p
    # 3 km from the line (50 m spread) the impact came from across with
    # a - (a - 1/2) E[exp(-s / short_band_m)], E[...] = exp(-3 km / B + (50 m / B)^2 / 2)
    a, big_b = cfg.impact_across_p, cfg.short_band_m
    across = a - (a - 0.5) * np.exp(-3000.0 / big_b + 0.5 * (50.0 / big_b) ** 2)
    # both points geometrically certain: the launch names RU, wrong with launch_error_p,
    # and the impact across the line names the far side's party, wrong with
    # 1 - across: the odds multiply
    odds = ((1 - err) / err) * (across / (1 - across))
    assert v[0].party == "RU"
    assert v[0].party_probability == pytest.approx(odds / (1 + odds), abs=1e-6)
    # the violation states both points: the impact as its position, and the launch
    assert (v[0].lat, v[0].lon, v[0].launch_lat, v[0].launch_lon) == (ia, io, la, lo)
    feat = violation_feature(v[0])
    assert feat["properties"]["launch"]["coordinates"] == [round(lo, 6), round(la, 6)]
    # ... and the scorer reads it back from the GeoJSON
    assert system_from_features([feat])[0].launch == (round(la, 6), round(lo, 6))
    # a close call in pairing weighs the launch less
    close = assess([replace(e, id="r-close", flags=("paired", "pair_close_call"))], m)[0]
    odds_close = ((1 - close_err) / close_err) * (across / (1 - across))
    assert close.probabilities["RU"] == pytest.approx(odds_close / (1 + odds_close), abs=1e-6)
    assert close.probabilities["RU"] < v[0].probabilities["RU"]
    # a candidate launch across the line as good as the chosen one (fusion's side
    # doubt 0.5): the launch point says nothing, the impact alone decides, as for an
    # unpaired impact across the line
    toss = assess([replace(e, id="r-toss", flags=("paired", "pair_side_doubt:0.50"))], m)[0]
    assert toss.probabilities["RU"] == pytest.approx(across, abs=1e-6)
    # ... a fifth of the likelihood across: the launch is wrong with err blurred by 0.2
    e_d = err * 0.8 + (1 - err) * 0.2
    odds_d = ((1 - e_d) / e_d) * (across / (1 - across))
    fifth = assess([replace(e, id="r-d", flags=("paired", "pair_side_doubt:0.20"))], m)[0]
    assert fifth.probabilities["RU"] == pytest.approx(odds_d / (1 + odds_d), abs=1e-6)
    # ... most of it across: still a coin toss at most (the impact decides)
    most = assess([replace(e, id="r-most", flags=("paired", "pair_side_doubt:0.90"))], m)[0]
    assert most.probabilities["RU"] == pytest.approx(across, abs=1e-6)
    # an impact on the launch's own side speaks against the pairing: the odds divide
    sa, so = east(3.0)
    same = assess([replace(e, id="r-same", lat=sa, lon=so)], m)[0]
    odds_same = ((1 - err) / err) / (across / (1 - across))
    assert same.probabilities["RU"] == pytest.approx(odds_same / (1 + odds_same), abs=1e-6)
    # ... and after a close call the launch weighs less against the impact
    same_close = assess(
        [replace(e, id="r-sc", lat=sa, lon=so, flags=("paired", "pair_close_call"))], m
    )[0]
    odds_sc = ((1 - close_err) / close_err) / (across / (1 - across))
    assert same_close.probabilities["RU"] == pytest.approx(odds_sc / (1 + odds_sc), abs=1e-6)
    assert same_close.probabilities["RU"] < same.probabilities["RU"]
    # with the impact's evidence stronger than a close call's launch, the impact wins
    ev_cfg = AttributionConfig(close_launch_error_p=0.19, impact_across_p=0.85)
    flip = assess(
        [replace(e, id="r-sc2", lat=sa, lon=so, flags=("paired", "pair_close_call"))], m,
        config=ev_cfg,
    )[0]  # fmt: skip
    assert flip.probabilities["RU"] < 0.5
    # a rival launch across the line of a pair whose impact lies on its own side (a
    # short round if the pair is right) would name the rival's party through the
    # impact: the doubt is not weighed there, the odds are those without it
    for doubt in ("0.20", "0.90"):
        flags = ("paired", f"pair_side_doubt:{doubt}")
        short = assess([replace(e, id=f"r-s{doubt}", lat=sa, lon=so, flags=flags)], m)[0]
        assert short.probabilities["RU"] == pytest.approx(same.probabilities["RU"], abs=1e-12)
    # ... while a pair across the line still weighs it, as above
    assert fifth.probabilities["RU"] < v[0].probabilities["RU"]
    # a launch 100 m from the line with 300 m spread is undetermined
    la2, lo2 = east(0.1)
    e2 = Event(
        id="r2",
        kind="firing",
        time_s=T,
        lat=la2,
        lon=lo2,
        cov_m2=(300.0**2, 300.0**2, 0.0),
        observation_ids=("c",),
        n_observers=2,
        direction="outgoing",
    )
    v2 = assess([e2], m)
    assert v2[0].party == "undetermined"
    # source left with the position's Student t at 100 / 300 σ (Φ(1/3) = 0.6306 for a
    # Gaussian; 0.6222 at 4 degrees of freedom); a firing is the launch with 0.98 (else
    # an impact, fired from across with impact_across_p); a fused position is wrong
    # with position_error_p
    d0 = AttributionConfig()
    assert d0.position_dof == 4.0
    s, q, a, e = 0.6222, 0.98, d0.impact_across_p, d0.position_error_p
    shooter = q * s + (1 - q) * (a * (1 - s) + (1 - a) * s)
    assert v2[0].probabilities["RU"] == pytest.approx(
        shooter * (1 - e) + (1 - shooter) * e, abs=1e-3
    )


def test_response_mode_is_carried() -> None:
    m = mandate(
        response={"mode": "intervene", "notify": ["UNSC"], "intervene": {"default": "force"}}
    )
    v = assess([gun(*east(5.0))], m)
    assert {x.response for x in v} == {"intervene"}


def test_many_events_assess_fast_enough_for_a_test() -> None:
    m = mandate()
    rng = np.random.default_rng(0)
    n = 20_000
    lat = rng.uniform(47.6, 49.4, n)
    lon = rng.uniform(37.6, 38.4, n)
    evs = [
        Event(
            id=f"e{i}",
            kind="explosion",
            time_s=T + i,
            lat=float(a),
            lon=float(b),
            cov_m2=(1e4, 1e4, 0.0),
            observation_ids=(f"o{i}",),
            n_observers=3,
        )
        for i, (a, b) in enumerate(zip(lat, lon, strict=True))
    ]
    v = assess(evs, m)
    assert sum(x.rule == "ceasefire" for x in v) == n
    inside_da = (lat > 48.49) & (lat < 48.51) & (lon > 37.99) & (lon < 38.01)
    assert sum(x.rule == "da" for x in v) == int(inside_da.sum())


def test_event_without_position_takes_the_observers_sector() -> None:
    m = mandate()
    # observer at 47.8 N: 188 km down a line of 222 km drawn from 49.5 N: sector "south"
    e = Event(
        id="b",
        kind="explosion",
        time_s=T,
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=("x",),
        n_observers=1,
        observer_lat=47.8,
        observer_lon=37.95,
        bearing_deg=90.0,
        flags=("no_position",),
    )
    assert assess([e], m)[0].sector == "south"


def test_uncorroborated_lone_reports_count_only_where_the_rule_says_so() -> None:
    lone = replace(_ray_event("lone", 3.0), flags=("no_position", "uncorroborated"))
    heard = _ray_event("heard", 3.0)
    default = mandate()
    got = {v.event_ids[0] for v in assess([lone, heard], default) if v.rule == "ceasefire"}
    assert got == {"heard"}
    doc = yaml.safe_load(DOC)
    doc["rules"][0]["uncorroborated"] = True
    counting = parse_mandate(yaml.safe_dump(doc))
    got = {v.event_ids[0] for v in assess([lone, heard], counting) if v.rule == "ceasefire"}
    assert got == {"lone", "heard"}


def test_a_lone_report_explained_by_an_event_counts_under_no_rule() -> None:
    # fuse/explain.py flags a lone bearing a located event accounts for: it stays an
    # event, but no rule counts it, not even one that counts uncorroborated reports
    flags = ("explained", "explained_by:located-1", "no_position")
    lone = replace(_ray_event("lone", 3.0), flags=flags)
    heard = _ray_event("heard", 3.0)
    doc = yaml.safe_load(DOC)
    doc["rules"][0]["uncorroborated"] = True
    for m in (mandate(), parse_mandate(yaml.safe_dump(doc))):
        got = {v.event_ids[0] for v in assess([lone, heard], m) if v.rule == "ceasefire"}
        assert got == {"heard"}
