"""The real simulator (``ceasefire.simulate``) as data for the fusion benchmark.

``load(profile, hours, seed)`` runs the simulator on the Donbas example (start
2025-06-01 00:00 local, as ``ceasefire simulate``) and returns the observations
and a :class:`fuse_scenario.Truth` built from the scenario's truth: per round the
launch/impact positions (x, y in the mandate's local frame, m) and emission
times, and for every observation its round index and phase (0 launch, 1 impact,
-1 clutter or sighting)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuse_scenario import Truth

from ceasefire.geo import LocalFrame
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.simulate import get_profile, simulate

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"


def load(
    profile: str, hours: float = 24.0, seed: int = 1, mandate: Path = MANDATE
) -> tuple[ObservationArrays, Truth, dict]:
    """Simulated observations, the benchmark truth and the simulator's raw truth."""
    m = load_mandate(mandate)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile(profile), t0, hours, seed)
    obs = sc.observations
    rounds = sc.rounds
    frame = LocalFrame.about(obs.lat, obs.lon)
    lx, ly = frame.to_xy(rounds.launch_lat, rounds.launch_lon)
    ix, iy = frame.to_xy(rounds.impact_lat, rounds.impact_lon)
    n = len(obs)
    ids = obs.id.astype(str)
    order = np.argsort(ids)
    sorted_ids = ids[order]

    def rows_of(which: list[str]) -> np.ndarray:
        if not which:
            return np.zeros(0, np.intp)
        pos = np.searchsorted(sorted_ids, np.asarray(which, dtype=str))
        return order[pos]

    round_of = np.full(n, -1, np.intp)
    phase_of = np.full(n, -1, np.int8)
    for k, r in enumerate(sc.truth["rounds"]):
        a = rows_of(r["launch_observations"])
        b = rows_of(r["impact_observations"])
        round_of[a] = k
        phase_of[a] = 0
        round_of[b] = k
        phase_of[b] = 1
    truth = Truth(
        np.column_stack([lx, ly]),
        np.column_stack([ix, iy]),
        rounds.launch_s.astype(float),
        rounds.impact_s.astype(float),
        round_of,
        phase_of,
        frame,
    )
    return obs, truth, sc.truth
