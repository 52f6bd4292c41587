"""Calibrating a mandate's attribution allowances on simulated days.

Each day is simulated on the mandate (the simulator's truth knows every round's
shooter), fused and judged as ``ceasefire run`` does (in memory: the simulated
observations do not go through files and a store); the violations the scorer
matches to a true round are the outcomes; :func:`ceasefire.assess.calibration.
fit_allowances` fits the allowances on the training days, and the validation days
show whether the fit holds on days it did not see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.assess import AttributionConfig, assess
from ceasefire.assess.calibration import (
    BOUNDS,
    Outcomes,
    at_threshold,
    fit_allowances,
    log_loss,
    reliability,
)
from ceasefire.assess.table import build_table
from ceasefire.fuse import fuse
from ceasefire.mandate import Mandate, load_mandate
from ceasefire.model.errors import InputError
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.scoring import matched_truth, system_from_features


@dataclass(frozen=True)
class Day:
    """One simulated day: ``profile``, ``seed``, ``hours`` from 2025-06-01 00:00 local."""

    profile: str
    seed: int
    hours: float = 24.0

    @property
    def name(self) -> str:
        return f"{self.profile} seed {self.seed}" + (
            f" ({self.hours:g} h)" if self.hours != 24.0 else ""
        )


@dataclass(frozen=True)
class DayScore:
    """A day's attribution under the mandate's allowances (before) and the fit (after)."""

    day: Day
    role: str  # "train" or "validate"
    n: int
    log_loss: tuple[float, float]
    right_at_threshold: tuple[float, float]
    given_at_threshold: tuple[int, int]
    reliability: tuple[list[dict[str, float]], list[dict[str, float]]]


@dataclass(frozen=True)
class Calibration:
    """The fitted allowances (rounded as printed) and every day's scores."""

    threshold: float
    before: AttributionConfig
    after: AttributionConfig
    days: list[DayScore] = field(default_factory=list)

    def allowances(self) -> dict[str, float]:
        """The fitted allowances, as the mandate's ``attribution.allowances``."""
        return {n: getattr(self.after, n) for n in AttributionConfig.FITTED}

    def yaml_block(self) -> str:
        """The block to paste into the mandate."""
        lines = ["attribution:", "  allowances:"]
        lines += [f"    {k}: {v:g}" for k, v in self.allowances().items()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "allowances": self.allowances(),
            "days": [
                {
                    "day": d.day.name,
                    "role": d.role,
                    "violations": d.n,
                    "log_loss": {"before": d.log_loss[0], "after": d.log_loss[1]},
                    "right_at_threshold": {  # None: no party named
                        "before": _num(d.right_at_threshold[0]),
                        "after": _num(d.right_at_threshold[1]),
                    },
                    "named_at_threshold": {
                        "before": d.given_at_threshold[0],
                        "after": d.given_at_threshold[1],
                    },
                    "reliability": {"before": d.reliability[0], "after": d.reliability[1]},
                }
                for d in self.days
            ],
        }


def _num(x: float) -> float | None:
    """``x``, or None for NaN (JSON has no NaN)."""
    return None if x != x else x


def simulated_outcomes(m: Mandate, day: Day) -> Outcomes:
    """Simulate ``day`` on ``m``, fuse and judge it, and keep the firing and
    explosion events of the violations matched to a true round."""
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    t1 = t0 + day.hours * 3600.0
    sc = simulate(m, get_profile(day.profile), t0, day.hours, day.seed)
    events = [e for e in fuse(sc.observations, fuse_config(m)) if t0 <= e.time_s < t1]
    violations = assess(events, m)
    system = system_from_features([violation_feature(v) for v in violations])
    by_id = {e.id: e for e in events}
    left = m.doc.contact_line.left
    chosen: dict[str, bool] = {}
    for i, truth in matched_truth(sc.truth, system):
        if truth.get("kind") != "round" or "party" not in truth:
            continue
        e = by_id.get(violations[i].event_ids[0])
        if e is not None and e.kind != "sighting":
            chosen.setdefault(e.id, truth["party"] == left)
    evs = [by_id[k] for k in chosen]
    return Outcomes(build_table(evs, m), np.array(list(chosen.values()), dtype=bool))


def _rounded(cfg: AttributionConfig) -> AttributionConfig:
    """Probabilities to 0.01, the band to 100 m (as printed and pasted)."""
    vals: dict[str, Any] = {}
    for n in AttributionConfig.FITTED:
        v = float(getattr(cfg, n))
        v = round(v, -2) if n.endswith("_m") else round(v, 2)
        vals[n] = min(max(v, BOUNDS[n][0]), BOUNDS[n][1])
    return dataclasses.replace(cfg, **vals)


def calibrate(
    mandate_path: Path,
    train: Sequence[Day],
    validate: Sequence[Day] = (),
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit ``mandate_path``'s allowances on ``train`` days; score every day before
    (the mandate's allowances) and after (the fit, rounded)."""
    say = progress or (lambda _s: None)
    m = load_mandate(mandate_path)
    before = AttributionConfig.for_mandate(m)
    thr = m.doc.attribution.threshold
    outs: dict[Day, Outcomes] = {}
    for d in [*train, *validate]:
        say(f"simulating, fusing and judging {d.name}")
        outs[d] = simulated_outcomes(m, d)
    if not any(len(outs[d].table) for d in train):
        raise InputError(
            f"the training days ({', '.join(d.name for d in train)}) gave no violation "
            "matched to a true round: nothing to fit on; expected a mandate with a "
            "ceasefire rule and days with fire (e.g. heavy:2015)",
            file=str(mandate_path),
        )
    say(f"fitting {len(AttributionConfig.FITTED)} allowances on {len(train)} day(s)")
    after = _rounded(fit_allowances([outs[d] for d in train], before))
    days = []
    for role, group in (("train", train), ("validate", validate)):
        for d in group:
            o = outs[d]
            (ra, ga), (rb, gb) = at_threshold(before, o, thr), at_threshold(after, o, thr)
            days.append(
                DayScore(
                    d,
                    role,
                    len(o.table),
                    (log_loss(before, o), log_loss(after, o)),
                    (ra, rb),
                    (ga, gb),
                    (reliability(before, o), reliability(after, o)),
                )
            )
    return Calibration(thr, before, after, days)
