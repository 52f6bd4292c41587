"""Association inputs in the fusion grid (x east, y north, m; time s) for tests
of the association steps: exact reports and fitted events."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.solve import Rows

C = 343.0
Point = tuple[float, float]
Source = tuple[float, float, float]  # x, y (m), emission time (s)


def bearing_rows(reports: list[tuple[Point, Source]]) -> Rows:
    """Exact bearings (camera-like: 1°, 0.2 s) from ``(observer, source)`` pairs."""
    ox = np.array([o[0] for o, _ in reports])
    oy = np.array([o[1] for o, _ in reports])
    sx = np.array([s[0] for _, s in reports])
    sy = np.array([s[1] for _, s in reports])
    st = np.array([s[2] for _, s in reports])
    d = np.hypot(sx - ox, sy - oy)
    n = len(reports)
    return Rows(
        ox, oy, np.arctan2(sx - ox, sy - oy), np.full(n, np.radians(1.0)), st + d / C,
        np.full(n, 0.2), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip


def random_bearing_rows(rng: np.random.Generator, n: int, half_m: float, span_s: float) -> Rows:
    """``n`` bearings of observers uniform within ``half_m`` of the origin (m) in x
    and y, any azimuth, sigma 0.01-0.2 rad, times uniform in [0, ``span_s``] s with
    sigma 0.05-5 s, drawn from ``rng`` in that order; speed factor 1, no range."""
    z = np.zeros(n)
    return Rows(
        rng.uniform(-half_m, half_m, n), rng.uniform(-half_m, half_m, n),
        rng.uniform(-np.pi, np.pi, n), rng.uniform(0.01, 0.2, n),
        rng.uniform(0.0, span_s, n), rng.uniform(0.05, 5.0, n),
        z + 1.0, z + np.nan, z + np.nan,
    )  # fmt: skip


def seeded_rays(n: int, seed: int) -> Rows:
    """``n`` bearings drawn from ``seed``: observers in 60 x 20 km around the origin,
    any azimuth (sigma 0.02 rad), sorted times in [0, 600] s (sigma 0.1 s), one in
    five seen (speed factor 0), no range: the pair offers' tests' rays."""
    rng = np.random.default_rng(seed)
    nan = np.full(n, np.nan)
    return Rows(
        rng.uniform(-30e3, 30e3, n), rng.uniform(-10e3, 10e3, n), rng.uniform(-np.pi, np.pi, n),
        np.full(n, 0.02), np.sort(rng.uniform(0, 600, n)), np.full(n, 0.1),
        rng.choice([0.0, 1.0], n, p=[0.2, 0.8]), nan, nan,
    )  # fmt: skip


def arrival_rows(mics: list[Point], times: list[float]) -> Rows:
    """Microphone arrivals (3 ms) at ``times`` (s)."""
    n = len(mics)
    return Rows(
        np.array([m[0] for m in mics]), np.array([m[1] for m in mics]), np.full(n, np.nan),
        np.full(n, np.nan), np.array(times), np.full(n, 0.003), np.ones(n),
        np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip


def reports(rows: Rows, src: list[int] | np.ndarray, direction: int = 2) -> Reports:
    """The rows as association's input: observer codes ``src``, one phase for all
    (2: undetermined), sound at ``C``, heard out to 30 km."""
    s = np.asarray(src, np.intp)
    return Reports(rows, s, np.full(s.shape[0], direction, np.int8), C, 30_000.0)


def heard(mic: Point, src: Source) -> float:
    """When ``src``'s sound reaches ``mic`` (s)."""
    return src[2] + float(np.hypot(mic[0] - src[0], mic[1] - src[1])) / C


def fitted(events: list[Source], labels: list[int]) -> Clusters:
    """Events fitted at ``events`` (sd 50 m, 0.1 s) holding the rows ``labels`` gives."""
    n = len(events)
    cov = np.zeros((n, 3, 3))
    cov[:, 0, 0] = cov[:, 1, 1] = 50.0**2
    cov[:, 2, 2] = 0.1**2
    return Clusters(
        np.array(labels, np.intp), np.array([e[0] for e in events]),
        np.array([e[1] for e in events]), np.array([e[2] for e in events]), cov,
    )  # fmt: skip
