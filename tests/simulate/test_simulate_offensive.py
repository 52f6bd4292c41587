"""The ``offensive`` scenario: a surge of one party's fire in one sector, its
spread, armour across the line, tasked drone sorties, and the engagements its
truth expects; and the ladder's scoring against them."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest

from ceasefire.mandate import parse_mandate
from ceasefire.simulate import simulate
from ceasefire.simulate.ladder_score import CROSSING_ALLOWANCE_H, score_ladder
from ceasefire.simulate.offensive import Offensive, expected_engagements, offensive_profile

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("simulate-offensive")

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    sectors:
      - {id: north, from_km: 0, to_km: 70}
      - {id: middle, from_km: 70, to_km: 150}
      - {id: south, from_km: 150, to_km: 222.5}
    rules: [{id: ceasefire, kind: ceasefire, severity: high}]
    response:
      mode: notify
      notify: [UNSC]
      escalation:
        - line: 1
          name: first
          holder: UA
          trigger: {kind: count, by: [RU], threshold: 50, window_h: 6, per: party_sector}
        - line: 2
          name: second
          holder: EU
          defends: UA
          trigger: {kind: count, by: [RU], threshold: 200, window_h: 24, after_below_h: 2}
        - line: 3
          name: third
          holder: US
          defends: UA
          trigger: {kind: crossing, by: [RU], objects: [tank, apc]}
    """
)
T0 = 1_748_736_000.0
H = 3600.0
OFF = Offensive(onset_h=1.0, spread_h=2.0, armour_h=3.0, surge_rounds_per_h=400.0)


@pytest.fixture(scope="module")
def scene() -> Any:
    m = parse_mandate(DOC)
    plain = simulate(m, offensive_profile(), T0, 5.0, 3)
    sc = simulate(m, offensive_profile(), T0, 5.0, 3, addition=OFF.bind(3))
    return m, plain, sc


def test_the_truth_names_the_offensive_and_the_engagements_it_calls_for(scene: Any) -> None:
    m, _, sc = scene
    off = sc.truth["offensive"]
    # RU holds the left side; the only sector with two neighbours is attacked
    assert off["party"] == "RU" and off["sector"] == "middle"
    assert off["spread_to"] == ["north", "south"]
    assert sc.truth["profile"] == "offensive"
    got = [
        (e["line"], e["party"], e["sector"], e["phase"], e["onset"] - T0)
        for e in sc.truth["expected_engagements"]
    ]
    assert got == [
        (1, "RU", "middle", "surge", 1 * H),
        (1, "RU", "north", "spread", 2 * H),
        (1, "RU", "south", "spread", 2 * H),
        (2, "RU", None, "surge", 1 * H),
        (3, "RU", None, "armour", 3 * H),
    ]
    # the same truth from the mandate alone
    assert expected_engagements(m, sc.truth) == sc.truth["expected_engagements"]


def test_fire_surges_in_the_attacked_sector_from_the_onset_then_spreads(scene: Any) -> None:
    m, plain, sc = scene
    r = sc.rounds
    sector = m.sector_of_chainage(r.chainage_m)
    ru = r.side == m.party_side("RU")
    t = r.launch_s - T0

    def per_h(sel: np.ndarray, a: float, b: float) -> float:
        return float(np.sum(sel & (t >= a * H) & (t < b * H))) / (b - a)

    # a quiet day gives a few rounds an hour on the whole line; the surge hundreds
    before = per_h(ru & (sector == "middle"), 0, 1)
    during = per_h(ru & (sector == "middle"), 1, 5)
    assert before < 20 and during > 250
    # the attacker fires most of it: 85 % of the surge's rounds
    surge = (sector == "middle") & (t >= 1 * H)
    assert 0.8 < np.mean(ru[surge]) < 0.9
    # neighbours: little before the spread, ~300 an hour each after it
    for s in ("north", "south"):
        assert per_h(ru & (sector == s), 1, 2) < 20
        assert per_h(ru & (sector == s), 2, 5) > 150
    # the quiet day beneath is the same: its rounds are all there
    assert np.isin(plain.rounds.launch_s, r.launch_s).all()


def test_armour_crosses_the_line_and_tasked_drones_sight_it(scene: Any) -> None:
    m, _, sc = scene
    armour = [t for t in sc.things if "offensive" in t.id]
    assert len(armour) == OFF.armour_units and {t.cls for t in armour} == {"tank", "apc"}
    for th in armour:
        (_, la0, lo0), (t1, la1, lo1) = th.track
        sides = m.contact.nearest([la0, la1], [lo0, lo1]).side
        assert sides[0] == m.party_side("RU") and sides[1] != m.party_side("RU")
        assert 3 * H <= t1 - T0 < 3 * H + 600
    # every crossing vehicle is sighted by a tasked sortie after it crossed
    obs = sc.observations
    when = {
        str(i): (float(t), str(src))
        for i, t, src in zip(obs.id, obs.time_s, obs.source, strict=True)
    }
    seen = {t["id"]: [when[o] for o in t["sightings"]] for t in sc.truth["things"]}
    for th in armour:
        assert any(t >= th.track[1][0] and src.startswith("uav-tasked-") for t, src in seen[th.id])


def esc(line: int, party: str | None, t_h: float, sector: str | None = None) -> dict[str, Any]:
    return {
        "line": line,
        "party": party,
        "sector": sector,
        "state": "raised",
        "time_s": T0 + t_h * H,
        "id": f"e{line}{party}{sector}{t_h}",
    }


def test_the_ladder_score_measures_delays_and_false_engagements(scene: Any) -> None:
    m, _, sc = scene
    truth = sc.truth
    got = [
        esc(1, "RU", 1.5, "middle"),
        esc(1, "RU", 2.25, "north"),
        # south never engages: a miss
        esc(2, "RU", 20.0),  # 19 h after the onset: within 24 + 2 h
        esc(3, "RU", 3.0 + CROSSING_ALLOWANCE_H + 0.5),  # too late
        esc(1, "RU", 0.5, "middle"),  # before the offensive: false
        esc(1, "UA", 2.0, "middle"),  # the holder's own side: false
        esc(1, "undetermined", 2.0, "north"),  # false
        {**esc(1, "RU", 4.0, "middle"), "state": "cleared"},
    ]
    s = score_ladder(truth, got, m)
    rows = {(r["line"], r["sector"]): r for r in s["engagements"]}
    assert rows[(1, "middle")]["delay_h"] == pytest.approx(0.5) and rows[(1, "middle")]["in_time"]
    assert rows[(1, "north")]["delay_h"] == pytest.approx(0.25)
    assert rows[(1, "south")]["delay_h"] is None and not rows[(1, "south")]["in_time"]
    assert (
        rows[(2, None)]["delay_h"] == pytest.approx(19.0) and rows[(2, None)]["allowed_h"] == 26.0
    )
    assert rows[(3, None)]["in_time"] is False
    assert s["met_in_time"] == 3 and s["expected"] == 5
    assert s["false_engagements"] == 3
    assert s["false_against_own_side"] == 1 and s["false_against_undetermined"] == 1
