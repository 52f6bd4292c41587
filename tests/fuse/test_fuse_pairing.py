"""Launch/impact pairing (fuse/pairing.py): an impact dated a little before its
launch, within the emission times' own σ, still pairs (a tank flies 2-4 s, and
emission times are a second off: clocks, fixes); one dated before it by many σ
does not, and no round flies faster than its class allows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ceasefire.fuse.pairing import LaunchPairConfig, pair_launches
from ceasefire.model.vocab import WEAPONS

TANK = np.array([WEAPONS.index("tank")])
CFG = LaunchPairConfig()


def _pair(dt_s: float, sd_s: float, cfg: LaunchPairConfig = CFG, dist_m: float = 2_500.0) -> int:
    """How many pairs a tank launch at 0 and its impact ``dist_m`` east, dated
    ``dt_s`` after it, make, each emission time with sd ``sd_s``."""
    sd = np.array([sd_s])
    pl, _, _ = pair_launches(
        np.array([0.0]), np.array([0.0]), np.array([0.0]),
        np.array([dist_m]), np.array([0.0]), np.array([dt_s]),
        cfg, TANK, TANK, l_sd_t_s=sd, i_sd_t_s=sd,
    )  # fmt: skip
    return int(pl.shape[0])


def test_an_impact_dated_before_its_launch_within_its_sigma_pairs() -> None:
    # 2,500 m at 1,200 m/s: 2.1 s; dated 0.5 s early with each time known to 1 s
    assert _pair(-0.5, 1.0) == 1
    # the former rule (the impact must follow the launch) lost it: two events
    assert _pair(-0.5, 1.0, replace(CFG, early_sd=0.0)) == 0
    assert _pair(2.1, 1.0, replace(CFG, early_sd=0.0)) == 1


def test_an_impact_far_before_its_launch_or_too_soon_does_not_pair() -> None:
    # 1 s early with times known to 0.1 s: 7 sigma, another round
    assert _pair(-1.0, 0.1) == 0
    # 0.5 s after the launch with times to 0.1 s: 5,000 m/s, no tank's round
    assert _pair(0.5, 0.1) == 0
    # ... the same 0.5 s with times to 1 s: within 2 sigma of a tank's 2.1 s
    assert _pair(0.5, 1.0) == 1
