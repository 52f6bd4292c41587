"""The oracle association: fusion with association told the truth.

Shared by ``bench_ceiling.py`` (the profiles' days) and ``bench_family.py`` (a
scenario family's draws). Every report of a real round's phase is grouped with
the others of that phase, clutter is left free, and a group is kept when it can
fix a position with a check (two bearings; one bearing and two arrivals; four
arrivals), as association's own rule. Everything after it is the system's:
arrival-only groups, late attachment, lone bearings, launch/impact and ray
pairing, corroboration, assessment. :func:`patched` routes
``ceasefire.fuse.engine.associate`` to the oracle in this process only
(``_fuse_acoustic`` is wrapped to hand it the observations); a caller checks
``Oracle.calls`` to know the replacement was used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.assess import assess
from ceasefire.fuse import engine
from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.solve import Rows
from ceasefire.model.arrays import ObservationArrays
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.scoring import score, system_from_features


class Oracle:
    """Association by the truth: ``phase_of`` maps an observation id to its round's
    phase group, ``point_of`` a group to its true (lat, lon, time) (the fit's start)."""

    def __init__(self, truth: dict[str, Any], grid: Grid) -> None:
        self.group: dict[str, int] = {}
        pts: list[tuple[float, float, float]] = []
        for r in truth["rounds"]:
            for phase in ("launch", "impact"):
                ids = r[f"{phase}_observations"]
                if ids:
                    for o in ids:
                        self.group[o] = len(pts)
                    p = r[phase]
                    pts.append((p["lat"], p["lon"], p["time"]))
        arr = np.array(pts).reshape(-1, 3)
        x, y = grid.to_xy(arr[:, 0], arr[:, 1])
        self.x, self.y, self.T = np.asarray(x, float), np.asarray(y, float), arr[:, 2]
        self.calls = 0
        self.obs: ObservationArrays | None = None

    def associate(self, rep: Reports, cfg: Any) -> tuple[Clusters, Any]:
        """Stands in for :func:`ceasefire.fuse.association.associate`."""
        assert self.obs is not None
        self.calls += 1
        rows = rep.rows
        n = rows.ox.shape[0]
        ids = self.obs.id.astype(str)
        truth_g = np.array([self.group.get(o, -1) for o in ids], np.intp)
        used, labels_in = np.unique(truth_g[truth_g >= 0], return_inverse=True)
        labels = np.full(n, -1, np.intp)
        labels[truth_g >= 0] = labels_in
        G = used.shape[0]
        m = labels >= 0
        is_b = np.isfinite(rows.az)
        nb = np.bincount(labels[m], weights=is_b[m].astype(float), minlength=G)
        na = np.bincount(labels[m], weights=(~is_b[m]).astype(float), minlength=G)
        ok = (nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= rep.min_tdoa_sensors)
        labels[m] = np.where(ok[labels[m]], labels[m], -1)
        cl = Clusters(
            labels, self.x[used].copy(), self.y[used].copy(), self.T[used].copy(),
            np.full((G, 3, 3), np.nan),
        )  # fmt: skip
        return cl, cl.settle(rep)


def patched(oracle: Oracle) -> Callable[[], None]:
    """Route fusion's association to ``oracle``; returns the undo."""
    orig_assoc, orig_fa = engine.associate, engine._fuse_acoustic

    def fuse_acoustic(obs: ObservationArrays, rows: Rows, cfg: Any) -> Any:
        oracle.obs = obs
        return orig_fa(obs, rows, cfg)

    engine.associate = oracle.associate  # type: ignore[assignment]
    engine._fuse_acoustic = fuse_acoustic  # type: ignore[assignment]

    def undo() -> None:
        engine.associate = orig_assoc  # type: ignore[assignment]
        engine._fuse_acoustic = orig_fa  # type: ignore[assignment]

    return undo


def scored(sc: Any, m: Any, t0: float, t1: float, obs_path: Path) -> tuple[dict[str, Any], float]:
    """Fuse ``sc``'s observations in this process (so that a patched association
    is the one used), keep the events of [t0, t1), assess them against ``m`` and
    score them (``ceasefire score``'s scorer); the fusion's wall time, s."""
    cfg = replace(fuse_config(m), workers=1)  # in this process: the oracle is patched here
    a = time.perf_counter()
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    took = time.perf_counter() - a
    vs = assess(events, m)
    system = system_from_features([violation_feature(v) for v in vs])
    return score(sc.truth, system, obs_path), took
