"""A burst sibling's located launch speaks for a round whose launch is not located
(assess/siblings.py, through ``shooter_p_left``): an impact alone beside a named
paired round's impact, or a launch bearing through its launch point, takes its side;
not when the sibling is too far in time or space, names another weapon, or when
siblings disagree; and not at all with ``sibling_error_p`` 0.5."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ceasefire.assess.sides import AttributionConfig, shooter_p_left
from ceasefire.assess.table import build_table
from ceasefire.geo import azimuth_deg
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event

DOC = """\
mission: {name: t, authority: {body: UNSC, resolution: x}}
parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
contact_line: {left: RU, right: UA, coordinates: [[37.0, 49.0], [38.0, 48.6], [38.2, 47.8]]}
rules: [{id: ceasefire, kind: ceasefire}]
"""
M = parse_mandate(DOC)
#: ~5 km either side of the line's first leg, across it (lat, lon)
LAUNCH = (48.8387, 37.5356)
IMPACT = (48.7613, 37.4644)
MIRROR_LAUNCH = (48.7613 - 0.05, 37.4644 - 0.05)
SD2 = (1.0e4, 1.0e4, 0.0)  # 100 m sd


def _paired(k: int, t: float, launch: tuple[float, float], impact: tuple[float, float],
            weapon: str = "mortar") -> Event:  # fmt: skip
    return Event(
        id=f"p{k}", kind="explosion", time_s=t, lat=impact[0], lon=impact[1], cov_m2=SD2,
        observation_ids=(f"o{k}a", f"o{k}b", f"o{k}c"), n_observers=3, direction="incoming",
        weapon=weapon, launch_lat=launch[0], launch_lon=launch[1], launch_cov_m2=SD2,
        flags=("paired",),
    )  # fmt: skip


def _impact(k: int, t: float, at: tuple[float, float], weapon: str = "mortar") -> Event:
    return Event(
        id=f"i{k}", kind="explosion", time_s=t, lat=at[0], lon=at[1], cov_m2=SD2,
        observation_ids=(f"o{k}",), n_observers=2, direction="incoming", weapon=weapon,
    )  # fmt: skip


def _ray(k: int, t: float, post: tuple[float, float], bearing: float) -> Event:
    return Event(
        id=f"r{k}", kind="firing", time_s=t, lat=None, lon=None, cov_m2=None,
        observation_ids=(f"o{k}",), n_observers=1, direction="outgoing", weapon="mortar",
        flags=("no_position",), observer_lat=post[0], observer_lon=post[1], bearing_deg=bearing,
    )  # fmt: skip


def _read(events: list[Event], cfg: AttributionConfig | None = None) -> tuple[np.ndarray, list]:
    p, basis = shooter_p_left(build_table(events, M), cfg or AttributionConfig())
    return p, basis.tolist()


def _off(events: list[Event]) -> tuple[np.ndarray, list]:
    return _read(events, replace(AttributionConfig(), sibling_error_p=0.5))


def test_an_impact_alone_takes_its_named_siblings_side() -> None:
    near = (IMPACT[0] + 0.006, IMPACT[1] + 0.004)  # ~800 m from the sibling's impact
    events = [_paired(0, 100.0, LAUNCH, IMPACT), _impact(1, 112.0, near)]
    p, basis = _read(events)
    p0, basis0 = _off(events)
    assert basis0[1] == "impact across the line" and max(p0[1], 1 - p0[1]) < 0.9
    assert basis[1] == "impact across the line and a sibling's launch"
    # the sibling's side, now past the naming threshold; the sibling itself unchanged
    assert (p[1] >= 0.5) == (p[0] >= 0.5) and max(p[1], 1 - p[1]) >= 0.9
    assert p[0] == p0[0] and basis[0] == basis0[0] == "launch point"


def test_no_sibling_too_late_too_far_another_weapon_or_sides_disagreeing() -> None:
    near = (IMPACT[0] + 0.006, IMPACT[1] + 0.004)
    far = (IMPACT[0] + 0.05, IMPACT[1] - 0.05)  # ~6.7 km away
    cases = [
        [_paired(0, 100.0, LAUNCH, IMPACT), _impact(1, 145.0, near)],  # 45 s apart
        [_paired(0, 100.0, LAUNCH, IMPACT), _impact(1, 110.0, far)],
        [_paired(0, 100.0, LAUNCH, IMPACT, "artillery"), _impact(1, 110.0, near)],
    ]
    for events in cases:
        p, basis = _read(events)
        p0, basis0 = _off(events)
        assert basis == basis0
        np.testing.assert_array_equal(p, p0)
    # two siblings on either side of the line, both beside the impact (the second a
    # short round: every launch point counts as a sibling here)
    both = [
        _paired(0, 100.0, LAUNCH, IMPACT),
        _paired(2, 104.0, MIRROR_LAUNCH, (IMPACT[0] + 0.003, IMPACT[1])),
        _impact(1, 110.0, near),
    ]
    cfg = replace(AttributionConfig(), sibling_anchor_p=0.5)
    p, basis = _read(both, cfg)
    assert (p[0] - 0.5) * (p[1] - 0.5) < 0.0  # on opposite sides
    assert basis[2] == "impact across the line"
    assert p[2] == _off(both)[0][2]
    # either alone speaks
    for k in (0, 1):
        p, basis = _read([both[k], both[2]], cfg)
        assert basis[1] == "impact across the line and a sibling's launch"


def test_a_launch_bearing_through_a_siblings_launch_point() -> None:
    post = (48.70, 37.20)  # on the impact's side, ~20 km off
    towards = float(azimuth_deg(post[0], post[1], LAUNCH[0], LAUNCH[1]))
    on = [_paired(0, 100.0, LAUNCH, IMPACT), _ray(1, 108.0, post, towards + 1.0)]
    off = [_paired(0, 100.0, LAUNCH, IMPACT), _ray(1, 108.0, post, towards + 10.0)]
    p, basis = _read(on)
    p0, basis0 = _off(on)
    assert basis0[1] == "bearing ray" and basis[1] == "bearing ray and a sibling's launch"
    # pulled towards the sibling's side
    assert abs(p[1] - p[0]) < abs(p0[1] - p[0])
    p, basis = _read(off)
    p0, basis0 = _off(off)
    assert basis == basis0 and p[1] == p0[1]
