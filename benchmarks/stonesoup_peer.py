"""Peer (b) of the fusion benchmark: Stone Soup (UKF + global nearest neighbour).

Runs in Stone Soup's own virtual environment (``/tmp/ss/bin/python``), not the
project's: ``stonesoup_peer.py DATA.npz [GATE]`` reads bearing reports (observer
x, y in m, perceived time s, grid azimuth rad clockwise from north, its sd rad,
source code) and prints, as the last line, a JSON list: the track index of each
report (-1: none).

Each explosion is a static target (2-D random walk with a small noise); a report
is a bearing measurement (``Cartesian2DToBearing``, whose angle is counter-
clockwise from east: theta = pi/2 - azimuth) from its observer's position.
Reports are processed in time order in scans of one second; GNN (2-D assignment,
Mahalanobis gate) associates them to live tracks, a UKF updates; an unassociated
report starts a track on its ray at 8 km with a wide covariance along the ray;
a track not updated for 100 s (sound travel over ~30 km) is closed. Stone Soup
has no arrival-time (TDOA) model and no one-shot event localizer, so timing is
not used: this is how a general tracking framework does on this problem.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta

import numpy as np
from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.nonlinear import Cartesian2DToBearing
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel,
    RandomWalk,
)
from stonesoup.predictor.kalman import UnscentedKalmanPredictor
from stonesoup.types.angle import Bearing
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.types.track import Track
from stonesoup.types.update import Update
from stonesoup.updater.kalman import UnscentedKalmanUpdater

INIT_RANGE_M = 8_000.0
MAX_AGE_S = 100.0


def main() -> None:
    d = np.load(sys.argv[1])
    gate = float(sys.argv[2]) if len(sys.argv) > 2 else 9.0
    x, y, t, az, saz = d["x"], d["y"], d["t"], d["az"], d["saz"]
    n = x.shape[0]
    epoch = datetime(2025, 1, 1)
    t0 = float(t.min()) if n else 0.0
    transition = CombinedLinearGaussianTransitionModel([RandomWalk(0.5), RandomWalk(0.5)])
    predictor = UnscentedKalmanPredictor(transition)
    updater = UnscentedKalmanUpdater(measurement_model=None)
    hyp = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate)
    assoc = GNNWith2DAssignment(hyp)
    labels = np.full(n, -1, np.int64)
    tracks: set[Track] = set()
    track_id: dict[int, int] = {}
    last_update: dict[int, float] = {}
    order = np.argsort(t, kind="stable")
    scan = np.floor((t[order] - t0) / 1.0).astype(np.int64)
    bounds = np.flatnonzero(np.diff(scan)) + 1
    for chunk in np.split(order, bounds):
        now_s = float(t[chunk[-1]])
        now = epoch + timedelta(seconds=now_s - t0)
        for tr in list(tracks):
            if now_s - last_update[id(tr)] > MAX_AGE_S:
                tracks.discard(tr)
        dets = set()
        det_row: dict[int, int] = {}
        for k in chunk.tolist():
            mm = Cartesian2DToBearing(
                ndim_state=2,
                mapping=(0, 1),
                noise_covar=np.array([[float(saz[k]) ** 2]]),
                translation_offset=np.array([[float(x[k])], [float(y[k])]]),
            )
            theta = np.pi / 2 - float(az[k])
            det = Detection(np.array([[Bearing(theta)]]), timestamp=now, measurement_model=mm)
            dets.add(det)
            det_row[id(det)] = k
        hyps = assoc.associate(tracks, dets, now) if tracks else {}
        used: set[int] = set()
        for tr, h in hyps.items():
            if h.measurement is None or not h:
                continue
            post = updater.update(h)
            tr.append(post)
            last_update[id(tr)] = now_s
            k = det_row[id(h.measurement)]
            labels[k] = track_id[id(tr)]
            used.add(id(h.measurement))
        for det in dets:
            if id(det) in used:
                continue
            k = det_row[id(det)]
            ux, uy = np.sin(az[k]), np.cos(az[k])
            px, py = x[k] + INIT_RANGE_M * ux, y[k] + INIT_RANGE_M * uy
            along, across = INIT_RANGE_M**2, (INIT_RANGE_M * float(saz[k])) ** 2
            u = np.array([ux, uy])
            v = np.array([uy, -ux])
            cov = along * np.outer(u, u) + across * np.outer(v, v)
            prior = GaussianState(np.array([[px], [py]]), cov, timestamp=now)
            tr = Track([prior])
            h0 = hyp.hypothesise(tr, {det}, now)
            real = [hh for hh in h0 if hh]
            if real:
                tr.append(updater.update(real[0]))
            tracks.add(tr)
            track_id[id(tr)] = len(track_id)
            last_update[id(tr)] = now_s
            labels[k] = track_id[id(tr)]
    _ = Update
    print(json.dumps(labels.tolist()))


if __name__ == "__main__":
    main()
