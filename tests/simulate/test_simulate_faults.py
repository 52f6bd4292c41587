"""``Scenario.faults``: the observer faults a draw's simulation drew (true / stated
σ, clocks), kept beside the observations for the benchmarks' likelihood oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire.mandate import load_mandate
from ceasefire.model.vocab import KINDS
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.observers import SENSOR_INDEX

MANDATE = Path(__file__).resolve().parents[2] / "examples" / "donbas-2015" / "mandate.yaml"


def test_a_draw_keeps_the_faults_its_reports_were_drawn_with() -> None:
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, 1003)  # a tuning draw with clocks off
    sc = simulate_draw(m, d)
    f = sc.faults
    assert f is not None and f.sigma_mult.shape == (len(sc.observers),)
    assert f.t_ref_s == d.start_s
    # one person, one watch: every row of a source shares its draw
    for src in set(sc.observers.source.tolist()):
        rows = sc.observers.source == src
        assert np.unique(f.clock_offset_s[rows]).shape == (1,)
    # a camera's report of a seen launch lies its clock's error off the true time
    launch = {o: r["launch"]["time"] for r in sc.truth["rounds"] for o in r["launch_observations"]}
    cams = np.flatnonzero(sc.observers.sensor == SENSOR_INDEX["camera"])
    assert cams.size and float(np.abs(f.clock_offset_s[cams]).max()) > 0.05
    o = sc.observations
    row = {(str(sc.observers.source[i]), float(sc.observers.lat[i])): i for i in cams}
    offs = [
        (o.time_s[j] - launch[str(o.id[j])], f.clock_offset_s[row[(str(o.source[j]), o.lat[j])]])
        for j in range(len(o))
        if o.kind[j] == KINDS.index("bearing") and (str(o.source[j]), float(o.lat[j])) in row
        and str(o.id[j]) in launch
    ]  # fmt: skip
    assert offs
    err, clock = np.array(offs).T
    # the camera's stated time σ is 0.2 s (× its true / stated σ); the clock offsets are larger
    assert np.corrcoef(err, clock)[0, 1] > 0.9


def test_a_profile_day_draws_no_faults() -> None:
    m = load_mandate(MANDATE)
    d = get_family("quiet").draw(m, 1)
    assert simulate_draw(m, d).faults is None
