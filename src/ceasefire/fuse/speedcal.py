"""Each weapon's flight speed measured from a window's clear launch/impact pairs.

Pairing's prior on a weapon class's mean speed is wide (``speed_spread`` 0.15 about
one assumed mean): real mean speeds differ by tens of percent with charge, elevation
and ammunition. Within one stretch of front and day, though, a class's rounds fly
alike (the same guns, the same charges), so the window's own unambiguous pairs
measure its speed. With the measured mean and spread, a burst's launches (one spot,
seconds apart) are told apart by their flight times, which a 15 % spread of a
40 s flight (6 s) cannot do.

Only clear pairs count: a pair with no rival candidate within ``close_margin`` (no
``pair_close_call``) whose weapon a report names (one name on both sides). A class
with fewer than ``speed_min_pairs`` of them keeps the prior.

A window alone rarely holds that many of a class. When observers are registered over
the run, each tile's first association gives its clear pairs too (:class:`SpeedPairs`,
``engine.speed_pairs``), pooled over the run's tiles like the clocks
(``tiles.pooled``): every tile is then paired with the run's measured speeds, in
located and in ray pairing. A pair counts in the tile whose core holds its impact, so
the pool is the same for any cut into parts and any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.model.vocab import WEAPONS

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: 1.4826 x the median absolute deviation: the sd of a normal sample
_MAD_SD = 1.4826


@dataclass(frozen=True)
class SpeedPairs:
    """Clear launch/impact pairs that measure speeds: distance (m), flight time
    (impact minus launch emission, s), weapon code (vocab WEAPONS) and the relative
    sd of the pair's speed from its two fixes' position and time sd, each ``(n,)``."""

    dist_m: F8
    flight_s: F8
    weapon: IP
    rel_sd: F8

    @staticmethod
    def empty() -> SpeedPairs:
        return SpeedPairs(np.zeros(0), np.zeros(0), np.zeros(0, np.intp), np.zeros(0))

    @staticmethod
    def concat(parts: Sequence[SpeedPairs]) -> SpeedPairs:
        """The pairs of many windows, in their order."""
        if not parts:
            return SpeedPairs.empty()
        return SpeedPairs(
            np.concatenate([p.dist_m for p in parts]),
            np.concatenate([p.flight_s for p in parts]),
            np.concatenate([p.weapon for p in parts]).astype(np.intp),
            np.concatenate([p.rel_sd for p in parts]),
        )

    def __len__(self) -> int:
        return int(self.dist_m.shape[0])


def measured(
    cfg: LaunchPairConfig, dist_m: F8, flight_s: F8, weapon: IP, rel_sd: F8 | None = None
) -> LaunchPairConfig:
    """``cfg`` with each named weapon's mean speed (m/s) and relative spread measured
    from clear pairs: ``dist_m`` launch-to-impact distances (m), ``flight_s`` impact
    minus launch emission times (s), ``weapon`` codes (vocab WEAPONS, -1 unknown);
    ``rel_sd``: each pair's speed's relative sd from its fixes (pairs above
    ``speed_pair_sd_max`` do not count: a short flight between fixes a second off
    measures its clocks, not its speed). The speed is the prior's times the median
    ratio of the pairs' speeds to it; the spread the robust sd of the log ratio (at
    least ``speed_spread_floor``, at most ``speed_spread``). A class whose median
    ratio lies beyond ``speed_shift_max`` (log) keeps the prior: no round flies so
    far from its class's speed, the pairs are mispaired. ``cfg`` itself when no
    class is measured."""
    ok = (weapon >= 0) & (flight_s > 0.5) & (dist_m > 0.0)
    if rel_sd is not None:
        ok &= rel_sd <= cfg.speed_pair_sd_max
    speeds = dict(cfg.weapons)
    spread = dict(cfg.weapon_spread or {})
    changed = False
    for w in np.unique(weapon[ok]).tolist():
        name = WEAPONS[int(w)]
        wf = speeds.get(name)
        if wf is None or wf.speed_m_s <= 0:
            continue
        m = ok & (weapon == w)
        if int(m.sum()) < cfg.speed_min_pairs:
            continue
        r = np.log(dist_m[m] / (flight_s[m] * wf.speed_m_s))
        mid = float(np.median(r))
        if abs(mid) > cfg.speed_shift_max:
            continue
        sd = _MAD_SD * float(np.median(np.abs(r - mid)))
        if cfg.speed_spread_of_mean:
            # a new round's spread about the measured mean: its own and the
            # median's error (variance pi/2 sd^2/n)
            sd *= math.sqrt(1.0 + 0.5 * math.pi / int(m.sum()))
        speeds[name] = replace(wf, speed_m_s=wf.speed_m_s * float(np.exp(mid)))
        spread[name] = float(np.clip(sd, cfg.speed_spread_floor, cfg.speed_spread))
        changed = True
    if not changed:
        return cfg
    return replace(cfg, weapons=speeds, weapon_spread=spread)


def clear_pairs(
    margin: F8, cfg: LaunchPairConfig, l_weapon: IP, i_weapon: IP
) -> tuple[npt.NDArray[np.bool_], IP]:
    """Which pairs measure speeds (one weapon named: by either side, the same when
    both name one; with ``speed_clear_only`` also clear: ``margin`` at least
    ``close_margin``) and each pair's weapon code (-1 when none or two)."""
    w = np.where(l_weapon >= 0, l_weapon, i_weapon)
    two = (l_weapon >= 0) & (i_weapon >= 0) & (l_weapon != i_weapon)
    w = np.where(two, -1, w).astype(np.intp)
    ok = w >= 0
    if cfg.speed_clear_only:
        ok &= margin >= cfg.close_margin
    return ok, w


__all__ = ["SpeedPairs", "clear_pairs", "measured"]
