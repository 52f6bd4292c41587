"""An event whose reports disagree more than their noise gets a wider ellipse
(``FuseConfig.inflate_cov``: covariance x the fit's chi-square per dof when > 1)."""

from __future__ import annotations

from dataclasses import replace

from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.model.results import Event

OBSERVERS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]
ON, OFF = FuseConfig(), replace(FuseConfig(), inflate_cov=False)


def _one_event(noise_deg: list[float]) -> tuple[Event, Event]:
    sc = Scene()
    for k, (o, n) in enumerate(zip(OBSERVERS, noise_deg, strict=True)):
        sc.bearing(f"b{k}", f"obs{k}", o, (300.0, 200.0), T0, noise_deg=n)
    on, off = fuse(sc.arrays(), ON), fuse(sc.arrays(), OFF)
    assert len(on) == len(off) == 1 and on[0].cov_m2 is not None and off[0].cov_m2 is not None
    return on[0], off[0]


def test_reports_that_agree_keep_the_fits_covariance() -> None:
    on, off = _one_event([0.0, 0.0, 0.0, 0.0])
    assert on.cov_m2 == off.cov_m2


def test_reports_that_disagree_widen_the_ellipse_and_keep_the_position() -> None:
    # bearings of sd 2 deg, three of them 4-5 deg off: chi-square per dof well above 1
    on, off = _one_event([4.5, -4.0, 4.0, 0.0])
    assert on.lat == off.lat and on.lon == off.lon
    assert on.cov_m2 is not None and off.cov_m2 is not None
    ratio = on.cov_m2[0] / off.cov_m2[0]
    assert ratio > 2.0
    # the same factor on every term
    assert abs(on.cov_m2[1] / off.cov_m2[1] - ratio) < 1e-6 * ratio
