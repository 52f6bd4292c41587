"""The seen-time gate (``fuse/association/seentime.py``, ``GateConfig.seen_time_sd``):
a camera's bearing is dated at the emission, so an event's other reports tell,
by its time alone, a camera's bearing of this round from one of a round seconds
apart; and seen launch rays sampled without a sound delay in ray pairing
(``RayPairConfig.seen_rays``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, RayPairConfig, fuse
from ceasefire.fuse.association import GateConfig, Reports
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.association.seentime import (
    release_seen,
    seen_late_misfits,
    seen_outliers,
    seen_time_z,
)
from ceasefire.fuse.raypairs import Rays, _sample
from ceasefire.fuse.solve import Rows
from ceasefire.model.vocab import SENSES, WEAPONS

C = 343.0
SOURCE = (1_000.0, 2_000.0)
#: three posts (bearings σ 1°, times σ 0.5 s) around SOURCE, then a camera
POSTS = np.array([[-5_000.0, 0.0], [6_000.0, -1_000.0], [0.0, 8_000.0]])
CAMERA = (-3_000.0, -4_000.0)
EMIT = 100.0


def _reports(camera_off_s: float, post_sd_s: float = 0.5) -> Reports:
    """The posts' bearings of SOURCE emitted at EMIT (heard: their sound's delay)
    and the camera's bearing of it (seen), dated ``camera_off_s`` from EMIT."""
    xy = np.vstack([POSTS, CAMERA])
    dx, dy = SOURCE[0] - xy[:, 0], SOURCE[1] - xy[:, 1]
    f = np.r_[1.0, 1.0, 1.0, 0.0]
    t = EMIT + f * np.hypot(dx, dy) / C + np.r_[0.0, 0.0, 0.0, camera_off_s]
    n = 4
    rows = Rows(
        xy[:, 0], xy[:, 1], np.arctan2(dx, dy), np.full(n, np.radians(1.0)), t,
        np.r_[post_sd_s, post_sd_s, post_sd_s, 1.0], f, np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    order = np.argsort(t, kind="stable")
    return Reports(rows.take(order), np.arange(n)[order], np.full(n, DIR_UNDET, np.int8), C,
                   30_000.0)  # fmt: skip


def _one_event(rep: Reports) -> Clusters:
    cl = Clusters(np.zeros(rep.n, np.intp), np.r_[SOURCE[0]], np.r_[SOURCE[1]], np.r_[EMIT],
                  np.full((1, 3, 3), np.nan))  # fmt: skip
    cl.refit(rep)
    return cl


def _camera(rep: Reports) -> int:
    return int(np.flatnonzero(rep.rows.speed_factor == 0.0)[0])


def test_a_camera_dated_at_the_emission_is_no_outlier() -> None:
    rep = _reports(0.0)
    cl = _one_event(rep)
    z = seen_time_z(rep, cl, np.r_[_camera(rep)])
    assert abs(z[0]) < 0.5
    assert seen_outliers(rep, cl, 3.0).shape[0] == 0


def test_a_camera_five_seconds_off_is_an_outlier_its_own_fit_hides() -> None:
    rep = _reports(5.0)
    cl = _one_event(rep)
    k = _camera(rep)
    # the posts fix the emission to ~0.5 / sqrt(3) ~ 0.29 s (weight ~12 against
    # the camera's 1 at 1 s), so the fit moves T ~5 / 13 ~ 0.38 s toward the
    # camera: its in-sample residual is ~4.6 s ...
    assert cl.T[0] - EMIT == pytest.approx(5.0 / 13.0, abs=0.1)
    # ... and its deleted residual that over sqrt(1 - 1 / 13), ~4.8 sd
    z = seen_time_z(rep, cl, np.r_[k])[0]
    assert 4.0 < z < 5.5
    assert seen_outliers(rep, cl, 3.0).tolist() == [k]
    assert seen_outliers(rep, cl, 6.0).shape[0] == 0


def test_the_gate_frees_the_camera_and_keeps_the_event() -> None:
    rep = _reports(5.0)
    cl = _one_event(rep)
    k = _camera(rep)
    assert release_seen(rep, cl, GateConfig()) is None  # off by default
    assert (cl.labels >= 0).all()
    assert release_seen(rep, cl, GateConfig(seen_time_sd=3.0)) is not None
    assert cl.labels[k] == -1
    assert cl.n == 1 and (np.delete(cl.labels, k) == 0).all()
    # the event refitted without it: its emission time is the posts'
    assert cl.T[0] == pytest.approx(EMIT, abs=0.3)


def test_heard_reports_are_not_judged_by_the_seen_gate() -> None:
    # a post 5 s late is a heard report: its time carries its sound's delay, and the
    # member gate (not this one) judges it
    rep = _reports(0.0)
    t = rep.rows.t.copy()
    post = int(np.flatnonzero(rep.rows.speed_factor == 1.0)[0])
    t[post] += 5.0
    rep = replace(rep, rows=replace(rep.rows, t=t))
    cl = _one_event(rep)
    assert seen_outliers(rep, cl, 3.0).shape[0] == 0


def test_late_misfits_are_the_seen_rows_beyond_the_gate() -> None:
    rep = _reports(0.0)
    rows = rep.rows
    k = _camera(rep)
    post = int(np.flatnonzero(rows.speed_factor == 1.0)[0])
    joined = np.r_[k, post]
    g = np.r_[0, 0]
    # event dated 2.5 s before the camera's time, sd 2 s: z = 2.5 / sqrt(1 + 4) ~ 1.1
    T = np.r_[rows.t[k] - 2.5]
    assert seen_late_misfits(rep, joined, g, T, np.r_[2.0], 1.0).tolist() == [True, False]
    assert seen_late_misfits(rep, joined, g, T, np.r_[2.0], 1.2).tolist() == [False, False]
    # unknown event time sd: the camera's own σ alone (2.5 sd)
    assert seen_late_misfits(rep, joined, g, T, np.r_[np.nan], 2.4).tolist() == [True, False]


MORTAR_M_S = 180.0  # FuseConfig's mean speed of a mortar round
LAUNCH, IMPACT = (-1_500.0, 2_500.0), (1_800.0, 3_500.0)
FLIGHT_S = float(np.hypot(IMPACT[0] - LAUNCH[0], IMPACT[1] - LAUNCH[1])) / MORTAR_M_S
OBSERVERS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]


def _camera_launch_ray(seen_rays: bool) -> list[set[str]]:
    """Four posts locate a mortar's impact; a far camera sees only its firing (a
    lone seen bearing, dated at the launch)."""
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"I{k}", f"obs{k}", o, IMPACT, T0 + FLIGHT_S, weapon="undetermined")
    sc.bearing("L", "cam", (-9_000.0, -9_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=1.0, time_sigma_s=1.0,
               light=True)  # fmt: skip
    arr = sc.arrays()
    sense = np.array([SENSES.index("seen" if i == "L" else "heard") for i in arr.id], np.int8)
    cfg = FuseConfig(rays=RayPairConfig(seen_rays=seen_rays))
    return [set(e.observation_ids) for e in fuse(replace(arr, sense=sense), cfg)]


def test_a_seen_launch_ray_pairs_with_its_impact_when_dated_at_the_launch() -> None:
    assert {"L", "I0", "I1", "I2", "I3"} in _camera_launch_ray(True)


def test_a_seen_rays_samples_carry_its_own_time_and_a_heard_rays_its_sounds() -> None:
    # a camera's and a post's launch bearings, both dated 100 s
    rows = Rows(
        np.zeros(2), np.zeros(2), np.zeros(2), np.full(2, np.radians(1.0)), np.full(2, 100.0),
        np.full(2, 0.5), np.r_[0.0, 1.0], np.full(2, np.nan), np.full(2, np.nan),
    )  # fmt: skip
    rays = Rays(rows, np.full(2, -1, np.intp), np.arange(2))
    hear = np.full(len(WEAPONS), 5_000.0)
    on = _sample(rays, RayPairConfig(seen_rays=True), hear, C, 20_000.0, None)
    off = _sample(rays, RayPairConfig(), hear, C, 20_000.0, None)
    d = np.hypot(on.x[0], on.y[0])  # each sample's distance along the ray
    assert on.T[0] == pytest.approx(np.full(d.shape, 100.0))
    assert on.var_t[0] == pytest.approx(np.full(d.shape, 0.25))
    assert on.T[1] == pytest.approx(100.0 - d / C)
    # as a heard ray (off), the camera's launch is dated its distance's sound early
    assert off.T[0] == pytest.approx(100.0 - d / C)
    assert off.T[1] == pytest.approx(on.T[1]) and off.var_t[1] == pytest.approx(on.var_t[1])
