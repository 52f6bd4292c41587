"""Fitting the attribution allowances to known outcomes (maximum likelihood).

The allowances of :class:`~ceasefire.assess.sides.AttributionConfig` say how often
each piece of evidence points the wrong way. They depend on the theatre (how
dense the fire is, how the line runs, how far the sensors hear), so a mission
fits them on simulated days of its own mandate, where the shooter of every
round is known (``ceasefire calibrate``). The fit minimises the mean log loss of
``party_probability`` over the matched violations, each day weighted alike, by
bounded Nelder-Mead; a well-fitted model is calibrated: of the violations given
0.8, about 80 % are right.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from ceasefire.assess.sides import AttributionConfig, RayCache, shooter_p_left
from ceasefire.assess.table import EventTable
from ceasefire.model.reliability import reliability_bins

F8 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

#: the range each fitted allowance may take
BOUNDS = AttributionConfig.BOUNDS
_P_MIN = 1e-6


@dataclass(frozen=True)
class Outcomes:
    """Violations whose shooter is known: ``table`` holds their events (one row
    each, firing or explosion events), ``truth_left`` whether the shooter is the
    contact line's left party, shape ``(len(table),)``."""

    table: EventTable
    truth_left: B
    #: the table's ray geometry, sampled once for all the fit's evaluations
    cache: RayCache = field(default_factory=dict, compare=False, repr=False)


def p_truth(cfg: AttributionConfig, o: Outcomes) -> F8:
    """The probability ``cfg`` gives to the true shooter of each violation."""
    p, _ = shooter_p_left(o.table, cfg, o.cache)
    p = np.where(np.isfinite(p), p, 0.5)  # no evidence: even odds
    return np.where(o.truth_left, p, 1.0 - p)


def log_loss(cfg: AttributionConfig, o: Outcomes) -> float:
    """Mean −ln P(true shooter), nats (0.693 for coin flips)."""
    if len(o.table) == 0:
        return 0.0
    return float(-np.mean(np.log(np.clip(p_truth(cfg, o), _P_MIN, 1.0))))


def _stated(cfg: AttributionConfig, o: Outcomes) -> tuple[F8, B]:
    """Each violation's stated probability (its likelier party's) and whether that
    party is the true shooter."""
    pt = p_truth(cfg, o)
    return np.maximum(pt, 1.0 - pt), pt >= 0.5


def at_threshold(cfg: AttributionConfig, o: Outcomes, threshold: float) -> tuple[float, int]:
    """(share right, how many) of the violations that would name a party at
    ``threshold``."""
    stated, right = _stated(cfg, o)
    given = stated >= threshold
    n = int(given.sum())
    return (float(right[given].mean()) if n else float("nan")), n


def reliability(cfg: AttributionConfig, o: Outcomes) -> list[dict[str, float]]:
    """Per bin of the stated probability: n, mean stated, share right."""
    return [
        {"lo": lo, "hi": hi, "n": n, "mean_p": mean_p, "right": share}
        for lo, hi, n, mean_p, share in reliability_bins(*_stated(cfg, o))
    ]


def fit_allowances(
    outcomes: Sequence[Outcomes],
    start: AttributionConfig | None = None,
    names: Sequence[str] = AttributionConfig.FITTED,
    max_iter: int = 600,
) -> AttributionConfig:
    """The allowances ``names`` that minimise the mean over ``outcomes`` of each
    one's log loss, from ``start`` (default: the defaults), within :data:`BOUNDS`;
    the other fields stay as in ``start``."""
    cfg0 = start or AttributionConfig()
    sets = [o for o in outcomes if len(o.table)]
    if not sets:
        raise ValueError("no violation with a known shooter to fit the allowances on")
    lo = np.array([BOUNDS[n][0] for n in names])
    hi = np.array([BOUNDS[n][1] for n in names])
    # search in units of each bound's width: Nelder-Mead's steps are relative
    x0 = (np.array([float(getattr(cfg0, n)) for n in names]) - lo) / (hi - lo)

    def cfg_at(u: F8) -> AttributionConfig:
        v = lo + np.clip(u, 0.0, 1.0) * (hi - lo)
        vals: dict[str, Any] = {n: float(x) for n, x in zip(names, v, strict=True)}
        return dataclasses.replace(cfg0, **vals)

    def loss(u: F8) -> float:
        c = cfg_at(u)
        return float(np.mean([log_loss(c, o) for o in sets]))

    res = minimize(
        loss,
        np.clip(x0, 0.0, 1.0),
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(names),
        options={"maxiter": max_iter, "xatol": 1e-4, "fatol": 1e-6},
    )
    return cfg_at(np.asarray(res.x, dtype=np.float64))
