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
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.model.vocab import WEAPONS

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: 1.4826 x the median absolute deviation: the sd of a normal sample
_MAD_SD = 1.4826


def measured(cfg: LaunchPairConfig, dist_m: F8, flight_s: F8, weapon: IP) -> LaunchPairConfig:
    """``cfg`` with each named weapon's mean speed (m/s) and relative spread measured
    from clear pairs: ``dist_m`` launch-to-impact distances (m), ``flight_s`` impact
    minus launch emission times (s), ``weapon`` codes (vocab WEAPONS, -1 unknown).
    The speed is the prior's times the median ratio of the pairs' speeds to it; the
    spread the robust sd of the log ratio (at least ``speed_spread_floor``, at most
    ``speed_spread``). ``cfg`` itself when no class has enough pairs."""
    ok = (weapon >= 0) & (flight_s > 0.5) & (dist_m > 0.0)
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
        sd = _MAD_SD * float(np.median(np.abs(r - mid)))
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


__all__ = ["clear_pairs", "measured"]
