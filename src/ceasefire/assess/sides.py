"""Attribution: the probability of each party, from a position's uncertainty
against the contact line and the evidence of the direction of fire.

For a Gaussian position with covariance Σ, the probability of lying left of
the line is Φ(d / σₙ), with d the signed distance (> 0 left) and σₙ² = nᵀΣn
the variance along the line's normal n (the line is locally straight at the
scale of σₙ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from ceasefire.assess.table import EventTable
from ceasefire.model.vocab import DIRECTIONS

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class AttributionConfig:
    """Evidence weights.

    ``impact_across_p``: for an explosion whose launch is unknown, the
    probability that the round came from across the line from where it landed
    (fire is aimed across the line; some rounds fall short).
    ``marking_p``: the probability that markings name the right party.
    """

    impact_across_p: float = 0.85
    marking_p: float = 0.98
    #: probability that a paired launch point belongs to another round (fusion
    #: pairing across return fire), and that an "outgoing" event is in fact an
    #: impact (misread direction): measured on the simulator's heavy profile
    launch_error_p: float = 0.15
    firing_error_p: float = 0.12
    #: a bearing without range: the source lies on the ray, log-uniformly
    #: between these distances from the observer (m)
    ray_min_m: float = 300.0
    ray_max_m: float = 10_000.0
    ray_samples: int = 16


def p_left(signed_m: F8, sigma_m: F8) -> F8:
    """P(the true position is left of the line), vectorized; NaN where unknown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(ndtr(signed_m / sigma_m), dtype=np.float64)


def shooter_p_left(t: EventTable, cfg: AttributionConfig) -> tuple[F8, npt.NDArray[np.object_]]:
    """For firing and explosion events: P(fired from the left side) and the basis
    of that number (``launch``, ``firing position``, ``impact``, ``none``)."""
    n = len(t)
    p = np.full(n, 0.5)
    basis = np.full(n, "none", dtype=object)
    outgoing = np.array(
        [e.direction == DIRECTIONS[1] or e.kind == "firing" for e in t.events], dtype=bool
    )
    launch = np.isfinite(t.launch_signed_m)
    p[launch] = _blur(
        p_left(t.launch_signed_m[launch], t.launch_sigma_n_m[launch]), cfg.launch_error_p
    )
    basis[launch] = "launch point"
    at_launch = ~launch & outgoing & t.has_pos
    p[at_launch] = _blur(p_left(t.signed_m[at_launch], t.sigma_n_m[at_launch]), cfg.firing_error_p)
    basis[at_launch] = "firing position"
    impact = ~launch & ~outgoing & t.has_pos
    p[impact] = _blur(p_left(t.signed_m[impact], t.sigma_n_m[impact]), cfg.impact_across_p)
    basis[impact] = "impact across the line"
    ray = ~t.has_pos & np.array(
        [e.observer_lat is not None and e.bearing_deg is not None for e in t.events], dtype=bool
    )
    if ray.any():
        on_ray = _ray_p_left(t, np.flatnonzero(ray), cfg)
        p[ray] = np.where(
            outgoing[ray],
            _blur(on_ray, cfg.firing_error_p),
            _blur(on_ray, cfg.impact_across_p),
        )
        basis[ray] = "bearing ray"
    return p, basis


def _blur(p: F8, err: float) -> F8:
    """P(left) when the evidence points the wrong way with probability ``err``."""
    return np.asarray(p * (1.0 - err) + (1.0 - p) * err, dtype=np.float64)


def _ray_p_left(t: EventTable, idx: npt.NDArray[np.intp], cfg: AttributionConfig) -> F8:
    """Share of a bearing ray's prior (log-uniform distance) lying left of the line."""
    from ceasefire.geo import forward

    k = cfg.ray_samples
    q = (np.arange(k) + 0.5) / k
    dist = cfg.ray_min_m * (cfg.ray_max_m / cfg.ray_min_m) ** q
    olat = np.repeat([t.events[i].observer_lat for i in idx], k).astype(np.float64)
    olon = np.repeat([t.events[i].observer_lon for i in idx], k).astype(np.float64)
    az = np.repeat([t.events[i].bearing_deg for i in idx], k).astype(np.float64)
    la, lo = forward(olat, olon, az, np.tile(dist, len(idx)))
    side = t.line.nearest(la, lo).side.reshape(len(idx), k)
    return np.asarray((side > 0).mean(axis=1), dtype=np.float64)


def object_p_left(t: EventTable, marked_left: npt.NDArray[np.int8], cfg: AttributionConfig) -> F8:
    """For sightings: P(the object belongs to the left party). ``marked_left`` is
    +1 when markings name the left party, -1 the right one, 0 when unmarked.
    Markings decide when present (a marked weapon across the line is a crossing,
    not evidence of the other owner); otherwise the side where it stands."""
    p_side = np.where(t.has_pos, p_left(t.signed_m, t.sigma_n_m), 0.5)
    m = cfg.marking_p
    p = np.where(marked_left > 0, m, np.where(marked_left < 0, 1.0 - m, p_side))
    return np.asarray(p, dtype=np.float64)
