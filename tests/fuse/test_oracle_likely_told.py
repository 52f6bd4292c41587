"""``oracle_likely.noise_told``: a draw's reports as observers who knew their own
noise would make them (clock errors out, the true σ stated), for ``bench_family.py
--ceilings perfect,oracle_perfect``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ceasefire.geo import inverse
from ceasefire.mandate import load_mandate
from ceasefire.model.vocab import KINDS, SENSES, SPEED_OF_SOUND_M_S
from ceasefire.simulate.family import get_family, simulate_draw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from oracle_likely import noise_told

MANDATE = Path(__file__).resolve().parents[2] / "examples" / "donbas-2015" / "mandate.yaml"


def _z(sc: object, ids: dict[str, float]) -> np.ndarray:
    """Each camera launch report's time error in its stated σ (a camera sees with no
    delay: its report's true time is the launch's)."""
    o = sc.observations  # type: ignore[attr-defined]
    j = np.array([i for i in range(len(o)) if str(o.id[i]) in ids], dtype=np.intp)
    t_true = np.array([ids[str(x)] for x in o.id[j]])
    return np.asarray((o.time_s[j] - t_true) / o.time_sigma_s[j])


def test_told_reports_lie_within_their_stated_sigma_of_the_truth() -> None:
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, 1006)  # a tuning draw: clocks off by ~1.7 s, cameras
    sc = simulate_draw(m, d)
    told = noise_told(sc)
    o, t = sc.observations, told.observations
    # the same reports (ids, kinds), still in time order
    assert sorted(o.id.tolist()) == sorted(t.id.tolist())
    assert bool(np.all(np.diff(t.time_s) >= 0))
    cams = {
        str(x): r["launch"]["time"]
        for r in sc.truth["rounds"]
        for x in r["launch_observations"]
        if str(x) in set(o.id[o.sense == SENSES.index("seen")].tolist())
    }
    assert len(cams) > 100
    before, after = _z(sc, cams), _z(told, cams)
    # as drawn, the camera clocks put reports many stated σ off; told, they are
    # standard normal: sd near 1, none past 5 σ
    assert float(np.abs(before).max()) > 10.0
    assert float(np.abs(after).max()) < 5.0
    assert 0.85 < float(np.std(after)) < 1.15
    # sightings are not the observers' acoustic reports: untouched
    s_o = {str(i): x for i, x in zip(o.id, o.time_s, strict=True)}
    sighting = t.kind == KINDS.index("sighting")
    assert sighting.any()
    assert all(s_o[str(i)] == x for i, x in zip(t.id[sighting], t.time_s[sighting], strict=True))


def test_a_heard_report_keeps_the_sound_s_travel() -> None:
    # a post hears an impact: told, its time is emission + travel within its stated σ
    m = load_mandate(MANDATE)
    sc = simulate_draw(m, get_family("varied").draw(m, 1006))
    told = noise_told(sc).observations
    where = {str(i): k for k, i in enumerate(told.id)}
    z = []
    for r in sc.truth["rounds"][:400]:
        for x in r["impact_observations"]:
            k = where[x]
            if told.sense[k] == SENSES.index("seen"):
                continue
            _, dist = inverse(told.lat[k], told.lon[k], r["impact"]["lat"], r["impact"]["lon"])
            heard = r["impact"]["time"] + float(dist) / SPEED_OF_SOUND_M_S
            z.append((told.time_s[k] - heard) / told.time_sigma_s[k])
    assert len(z) > 200
    assert float(np.abs(z).max()) < 5.5
    assert 0.8 < float(np.std(z)) < 1.2


def test_a_draw_without_faults_is_told_as_it_is() -> None:
    m = load_mandate(MANDATE)
    sc = simulate_draw(m, get_family("quiet").draw(m, 1))
    assert noise_told(sc) is sc
