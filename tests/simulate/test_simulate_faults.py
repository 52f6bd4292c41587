"""``Scenario.faults``: the observer faults a draw's simulation drew (true / stated
σ, clocks), kept beside the observations for the benchmarks' likelihood oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire.mandate import load_mandate
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.observers import SENSOR_INDEX

MANDATE = Path(__file__).resolve().parents[2] / "examples" / "donbas-2015" / "mandate.yaml"


def test_a_draw_keeps_the_faults_its_reports_were_drawn_with() -> None:
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, 1006)  # a tuning draw: clocks off, many cameras
    sc = simulate_draw(m, d)
    f = sc.faults
    assert f is not None and f.sigma_mult.shape == (len(sc.observers),)
    assert f.t_ref_s == d.start_s
    # one person, one watch: every row of a source shares its draw
    for src in set(sc.observers.source.tolist()):
        rows = sc.observers.source == src
        assert np.unique(f.clock_offset_s[rows]).shape == (1,)
    # a camera sees a launch with no delay: its report lies its clock's error (offset
    # and drift) off the true time, within its true time σ (stated 0.2 s × sigma_mult)
    launch = {o: r["launch"]["time"] for r in sc.truth["rounds"] for o in r["launch_observations"]}
    cams = np.flatnonzero(sc.observers.sensor == SENSOR_INDEX["camera"])
    row = {(str(sc.observers.source[i]), float(sc.observers.lat[i])): i for i in cams}
    o = sc.observations
    seen = [
        (j, row[(str(o.source[j]), float(o.lat[j]))])
        for j in range(len(o))
        if (str(o.source[j]), float(o.lat[j])) in row and str(o.id[j]) in launch
    ]
    assert len(seen) > 100
    j, r = (np.array(x) for x in zip(*seen, strict=True))
    t_true = np.array([launch[str(x)] for x in o.id[j]])
    clock = f.clock_error_s(r, t_true)
    sd = 0.2 * f.sigma_mult[r]
    assert float(np.abs(clock / sd).max()) > 5.0  # the clocks matter here...
    assert float(np.abs((o.time_s[j] - t_true - clock) / sd).max()) < 5.0  # ...and are these


def test_a_profile_day_draws_no_faults() -> None:
    m = load_mandate(MANDATE)
    d = get_family("quiet").draw(m, 1)
    assert simulate_draw(m, d).faults is None
