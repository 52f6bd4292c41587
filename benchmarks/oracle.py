"""The oracle association: fusion with association told the truth.

Shared by ``bench_ceiling.py`` (the profiles' days) and ``bench_family.py`` (a
scenario family's draws). Every report of a real round's phase is grouped with
the others of that phase, clutter is left free, and a group is kept when it can
fix a position with a check (two bearings; one bearing and two arrivals; four
arrivals), as association's own rule. Everything after it is the system's:
arrival-only groups, late attachment, lone bearings, launch/impact and ray
pairing, corroboration, assessment. :func:`patched` routes
``ceasefire.fuse.engine.associate`` to the oracle in this process only; a caller
checks ``Oracle.calls`` to know the replacement was used.

Fusion calls association once per window it fuses: the whole input (``tile_s``
None), or each tile with its margins (``fuse/tiles.py``; and once more per tile
for a registration pooled over the tiles), each window in a grid of its own
(``Grid.about`` its reports). So the oracle reads, per call, the window's
observations (``_reports`` is wrapped to hand them over) and its grid
(``fuse_whole`` and ``registration_residuals`` are wrapped to build the same
``Grid.about``), and places
each group's true point in that grid. A call whose rows are not that grid's
positions of those observations is an error (``FrameError``), not a quiet ceiling
in the wrong frame (session 9's oracle used one grid for every tile and scored
below the system).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.assess import assess
from ceasefire.fuse import engine
from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.solve import Rows
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import KINDS
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.scoring import score, system_from_features

#: ``scored``'s ``tile_s`` meaning "as the mandate's shipped fusion config"
SHIPPED = "shipped"
#: how far a call's rows may lie from the grid's positions of its observations, m
FRAME_TOL_M = 1e-6


class FrameError(RuntimeError):
    """An association call whose rows are not in the grid the oracle placed its points in."""


class Oracle:
    """Association by the truth: ``group`` maps an observation id to its round's
    phase group; ``lat``, ``lon``, ``T`` are each group's true point (the fit's
    start), placed in the grid of the window being fused at each call."""

    def __init__(self, truth: dict[str, Any]) -> None:
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
        arr = np.array(pts, float).reshape(-1, 3)
        self.lat, self.lon, self.T = arr[:, 0], arr[:, 1], arr[:, 2]
        self.calls = 0
        self.obs: ObservationArrays | None = None
        self.grid: Grid | None = None
        #: the grid of each window fused, in order, and how many of them had acoustic
        #: reports to associate (check_oracle.py reads them)
        self.grids: list[Grid] = []
        self.windows = 0

    def window(self, obs: ObservationArrays, rows: Rows) -> None:
        """The next calls associate ``obs`` (rows ``rows``) in ``self.grid``: checked."""
        if self.grid is None:
            raise FrameError("association was called outside fuse_whole: no grid known")
        x, y = self.grid.to_xy(obs.lat, obs.lon)
        off = np.hypot(np.asarray(x, float) - rows.ox, np.asarray(y, float) - rows.oy)
        if off.shape[0] != len(obs) or (off.shape[0] and float(off.max()) > FRAME_TOL_M):
            raise FrameError(
                f"the window's rows are not its observations in the oracle's grid "
                f"(off by up to {float(off.max()) if off.shape[0] else 0.0:.3g} m)"
            )
        self.obs = obs
        self.windows += 1

    def associate(self, rep: Reports, cfg: Any) -> tuple[Clusters, Any]:
        """Stands in for :func:`ceasefire.fuse.association.associate`."""
        if self.obs is None or self.grid is None:
            raise FrameError("association was called before the oracle saw its window")
        self.calls += 1
        rows = rep.rows
        n = rows.ox.shape[0]
        if n != len(self.obs):
            raise FrameError(f"{n} rows to associate, the window has {len(self.obs)} reports")
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
        x, y = self.grid.to_xy(self.lat[used], self.lon[used])
        cl = Clusters(
            labels, np.asarray(x, float).copy(), np.asarray(y, float).copy(),
            self.T[used].copy(), np.full((G, 3, 3), np.nan),
        )  # fmt: skip
        return cl, cl.settle(rep)


def patched(oracle: Oracle) -> Callable[[], None]:
    """Route fusion's association to ``oracle`` in this process; returns the undo.
    A window is fused by ``fuse_whole`` (grid about its reports), or associated
    once for a registration over many tiles by ``registration_residuals`` (grid
    about its acoustic reports); both build the association's reports with
    ``_reports``, which hands the oracle the window's observations."""
    orig = (engine.associate, engine._reports, engine.fuse_whole, engine.registration_residuals)

    def in_grid(grid_obs: ObservationArrays, call: Callable[[], Any]) -> Any:
        # the wrapped function builds this grid itself: the same call on the same rows
        oracle.grid, oracle.obs = Grid.about(grid_obs.lat, grid_obs.lon), None
        oracle.grids.append(oracle.grid)
        try:
            return call()
        finally:
            oracle.grid = oracle.obs = None

    def fuse_whole(obs: ObservationArrays, *args: Any) -> Any:
        return in_grid(obs, lambda: orig[2](obs, *args))

    def registration_residuals(obs: ObservationArrays, *args: Any) -> Any:
        ac = obs.take(np.flatnonzero(obs.kind != KINDS.index("sighting")))
        return in_grid(ac, lambda: orig[3](obs, *args))

    def reports(obs: ObservationArrays, rows: Rows, cfg: Any) -> Any:
        oracle.window(obs, rows)
        return orig[1](obs, rows, cfg)

    engine.associate = oracle.associate  # type: ignore[assignment]
    engine._reports = reports  # type: ignore[assignment]
    engine.fuse_whole = fuse_whole  # type: ignore[assignment]
    engine.registration_residuals = registration_residuals  # type: ignore[assignment]

    def undo() -> None:
        engine.associate, engine._reports, engine.fuse_whole = orig[0], orig[1], orig[2]  # type: ignore[assignment]
        engine.registration_residuals = orig[3]  # type: ignore[assignment]

    return undo


def overridden(cfg: Any, sets: Sequence[tuple[str, Any]]) -> Any:
    """``cfg`` (a frozen dataclass) with each ``(dotted.field.path, value)`` of
    ``sets`` replaced, e.g. ``("association.registration.mixture", True)``. An
    unknown field is a ``ValueError`` naming it."""
    for path, value in sets:
        names = path.split(".")
        chain = [cfg]
        for name in names:
            here = chain[-1]
            if not is_dataclass(here) or name not in {f.name for f in fields(here)}:
                raise ValueError(f"{path}: {type(here).__name__} has no field {name!r}")
            chain.append(getattr(here, name))
        new = value
        for here, name in zip(reversed(chain[:-1]), reversed(names), strict=True):
            new = replace(here, **{name: new})
        cfg = new
    return cfg


def scored(
    sc: Any,
    m: Any,
    t0: float,
    t1: float,
    obs_path: Path,
    tile_s: float | str | None = SHIPPED,
    sets: Sequence[tuple[str, Any]] = (),
) -> tuple[dict[str, Any], float]:
    """Fuse ``sc``'s observations in this process (so that a patched association
    is the one used), keep the events of [t0, t1), assess them against ``m`` and
    score them (``ceasefire score``'s scorer); the fusion's wall time, s.
    ``tile_s``: fusion's tile length, s (None: one window; ``SHIPPED``: as shipped);
    ``sets``: fusion config fields changed (:func:`overridden`)."""
    cfg = replace(overridden(fuse_config(m), sets), workers=1)  # the oracle is patched here
    if tile_s != SHIPPED:
        cfg = replace(cfg, tile_s=tile_s)
    a = time.perf_counter()
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    took = time.perf_counter() - a
    vs = assess(events, m)
    system = system_from_features([violation_feature(v) for v in vs])
    return score(sc.truth, system, obs_path), took
