"""Issue 21's failing targets on a scenario family: which draws make the worst decile,
what drawn values mark them, and what each ceiling reaches there.

    .venv/bin/python benchmarks/family_worst.py RUN.json [RUN.json ...] [--top 8]

Reads ``bench_family.py --json`` runs of one set (a later file adds the ceilings it
ran to the same draws; the system's and the oracle's figures must agree). For each
per-draw measure of a target (:data:`MEASURES`: F1 / oracle F1, the double-count
rate, the undetermined share minus the oracle's):

- the draws of its worst decile (the ``ceil(n / 10) + 1`` worst: ``bench_family``'s
  worst decile interpolates between the last two), with their drawn values and the
  measure under every ceiling the runs hold;
- the rank correlation (Spearman) of the measure with each drawn value
  (:data:`DRAWN`; and the draw's size and fire density, :data:`DERIVED`) over
  the draws, the strongest first;
- per draw class (``bench_family.CLASSES``) the median and worst decile of the
  system and of each ceiling, so that a class's shortfall splits into what the
  reports allow (the likelihood oracle: the true rounds, the true noise), what the
  system's knowledge of the noise allows (``registered``, ``perfect``) and what
  association and the stages after it lose.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_family import CLASSES, LIKELY_NAMES, TOLD_NAMES
from scipy.stats import spearmanr

Row = dict[str, Any]


def ratio(r: Row, who: str) -> float | None:
    """F1 of ``who`` over the oracle's F1 (1 when the oracle's is 0)."""
    o = r["oracle"]["f1"]
    return r[who]["f1"] / o if o else 1.0


def doubles(r: Row, who: str) -> float | None:
    """Double counts over ``who``'s violations, %."""
    return 100.0 * r[who]["double_rate"]


def undetermined_gap(r: Row, who: str) -> float | None:
    """``who``'s undetermined share minus the oracle's, points (None: nothing matched)."""
    a, b = r[who]["undetermined"], r["oracle"]["undetermined"]
    return None if a is None or b is None else 100.0 * (a - b)


#: name, the per-draw measure, whether larger is worse, the issue's targets
#: (median, worst decile), and its format
Measure = Callable[[Row, str], float | None]
MEASURES: tuple[tuple[str, Measure, bool, tuple[float, float], str], ...] = (
    ("F1 / oracle F1", ratio, False, (0.97, 0.93), ".3f"),
    ("double counts %", doubles, True, (1.0, 3.0), ".1f"),
    ("undetermined - oracle's, points", undetermined_gap, True, (3.0, 3.0), "+.1f"),
)  # fmt: skip
#: the drawn values (``Draw.params``) read for what marks a worst decile, and their names
DRAWN = {
    "rounds_per_hour": "rounds/h",
    "burst_mean": "burst rounds",
    "burst_spacing_s": "burst spacing s",
    "battery_sigma_m": "battery spread m",
    "clutter_mult": "clutter x",
    "clutter_burst_mean": "clutter burst",
    "sigma_true_mult": "true/stated sigma",
    "sigma_observer_spread": "sigma spread",
    "clock_offset_s": "clock sd s",
    "clock_drift_ppm": "drift ppm",
    "dropout_share": "silent share",
    "misreport_mult": "misreports x",
    "posts_per_100km": "posts",
    "cameras_per_100km": "cameras",
    "patrols_per_100km": "patrols",
    "arrays_per_100km": "arrays",
    "hours": "hours",
    "span_km": "span km",
    "share_small_arms": "small-arms share",
    "return_share": "return fire",
    "short_share": "short rounds",
    "speed_spread": "speed spread",
}


#: values derived per draw, read beside :data:`DRAWN`
DERIVED = {"size": "true violations", "density": "rounds/h per 100 km"}


def merged(docs: list[dict[str, Any]]) -> list[Row]:
    """The draws of the runs ``docs``, each draw's ceilings from every run; the
    system's and the oracle's matched counts must be the same in every run."""
    by: dict[int, Row] = {}
    for doc in docs:
        for r in doc["draws"]:
            k = r["draw"]
            if k not in by:
                by[k] = dict(r)
                continue
            for who in ("system", "oracle"):
                if by[k][who]["matched"] != r[who]["matched"]:
                    raise ValueError(f"draw {k}: the runs' {who} differ (not one tree's runs)")
            by[k].update({w: v for w, v in r.items() if w not in by[k]})
    return [by[k] for k in sorted(by)]


def ceilings_of(rows: list[Row]) -> list[str]:
    """The ceilings every row holds, in ``bench_family``'s order."""
    names = [*LIKELY_NAMES, *TOLD_NAMES]
    return [w for w in names if rows and all(w in r for r in rows)]


def _values(rows: list[Row], f: Callable[[Row, str], float | None], who: str) -> np.ndarray:
    return np.array([np.nan if (v := f(r, who)) is None else v for r in rows], dtype=float)


def worst_draws(rows: list[Row], f: Callable[[Row, str], float | None], larger: bool) -> list[Row]:
    """The ``ceil(n / 10) + 1`` draws worst by ``f`` for the system, worst first."""
    v = _values(rows, f, "system")
    ok = np.flatnonzero(np.isfinite(v))
    order = ok[np.argsort(-v[ok] if larger else v[ok], kind="stable")]
    return [rows[i] for i in order[: math.ceil(len(rows) / 10) + 1]]


def correlations(
    rows: list[Row],
    f: Callable[[Row, str], float | None],
    who: str = "system",
    minus: str | None = None,
) -> list[tuple[str, float, float]]:
    """Spearman's rank correlation of ``f`` (for ``who``; less the ceiling ``minus``'s,
    when given: the shortfall from it) with each drawn value of :data:`DRAWN` and
    :data:`DERIVED`: (name, rho, p), the strongest first."""
    v = _values(rows, f, who)
    if minus is not None:
        v = v - _values(rows, f, minus)
    ok = np.isfinite(v)
    out = []
    cols = {**{k: [r["params"].get(k, np.nan) for r in rows] for k in DRAWN}}
    cols["size"] = [r["system"]["truth"] for r in rows]
    cols["density"] = [
        100.0 * r["params"]["rounds_per_hour"] / r["params"]["span_km"]
        if "rounds_per_hour" in r["params"] and r["params"].get("span_km")
        else np.nan
        for r in rows
    ]
    for k, x in cols.items():
        xa = np.array(x, dtype=float)
        m = ok & np.isfinite(xa)
        if m.sum() < 4 or np.ptp(xa[m]) == 0:
            continue
        rho, p = spearmanr(xa[m], v[m])
        out.append((DRAWN.get(k, DERIVED.get(k, k)), float(rho), float(p)))
    return sorted(out, key=lambda t: -abs(t[1]))


def _pct(v: np.ndarray, q: float) -> float:
    v = v[np.isfinite(v)]
    return float(np.percentile(v, q)) if v.size else float("nan")


def by_class(
    rows: list[Row], f: Callable[[Row, str], float | None], larger: bool, who: list[str]
) -> list[tuple[str, int, dict[str, tuple[float, float]]]]:
    """Per draw class: its draws, and per ``who`` the median and worst decile of ``f``."""
    out = []
    for name, pred in CLASSES:
        rs = [r for r in rows if pred(r["params"])]
        if not rs:
            continue
        fig = {}
        for w in who:
            v = _values(rs, f, w)
            fig[w] = (_pct(v, 50), _pct(v, 90 if larger else 10))
        out.append((name, len(rs), fig))
    return out


def doubles_noise(
    rows: list[Row], rate: float | None = None, who: str = "system", samples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:  # fmt: skip
    """The double counts' worst decile (90th percentile of the per-draw rates, %) that
    sampling alone gives: each draw's count redrawn as Binomial(its violations,
    ``rate``; default ``who``'s pooled rate). Returns (the rate, %, the mean and sd of
    the worst decile over ``samples``). Double counts come in bunches (a burst's), so
    this is the least the draws' noise adds."""
    n = np.array([r[who]["system"] for r in rows], dtype=np.int64)
    if rate is None:
        rate = sum(r[who]["double_counts"] for r in rows) / max(int(n.sum()), 1)
    rng = np.random.default_rng(seed)
    ok = n > 0
    got = [float(np.percentile(rng.binomial(n[ok], rate) / n[ok], 90)) for _ in range(samples)]
    return 100.0 * rate, 100.0 * float(np.mean(got)), 100.0 * float(np.std(got))


def rate_for_worst_decile(rows: list[Row], target: float = 3.0) -> float:
    """The pooled double-count rate, %, whose sampling noise alone
    (:func:`doubles_noise`) puts the worst decile at ``target`` % over these draws'
    sizes (bisection)."""
    lo, hi = 0.0, target / 100.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if doubles_noise(rows, mid, samples=300)[1] > target:
            hi = mid
        else:
            lo = mid
    return 100.0 * lo


#: the ladder of ceilings a limit is read from, the most knowing last: the reports as
#: made with the noise known perfectly, the true rounds with the noise as the system
#: registered it, the true rounds and the true noise
LADDER = ("perfect", "registered", "likely")


def limit(value: float, target: float, larger: bool, ceil: dict[str, float]) -> str:
    """Which limit holds a figure ``value`` against ``target`` (``larger``: larger is
    worse), given the same figure under the ceilings ``ceil`` (:data:`LADDER`'s):
    ``met``; ``downstream`` (the oracle, association told the truth, misses it:
    given only for the double counts, of which the oracle is a ceiling);
    ``information`` (the likelihood oracle misses it: the true rounds and noise do
    not allow it); ``noise`` (the system fed the true noise, ``perfect``,
    meets it: registration loses it); ``association`` (the true rounds with the
    noise as registered reach it and the system, even with the true noise, does not:
    finding the rounds loses it); ``association and noise`` (the true rounds reach it
    only with the true noise, and the system with the true noise does not)."""

    def bad(x: float) -> bool:
        return x > target if larger else x < target

    if not bad(value):
        return "met"
    if "oracle" in ceil and bad(ceil["oracle"]):
        return "downstream"
    if "likely" in ceil and bad(ceil["likely"]):
        return "information"
    if "perfect" in ceil and not bad(ceil["perfect"]):
        return "noise"
    if "registered" in ceil and bad(ceil["registered"]):
        return "association and noise"
    return "association"


def limits(rows: list[Row]) -> list[dict[str, Any]]:
    """Per draw class and target (median, worst decile): the system's figure, each
    ceiling's of :data:`LADDER`, and :func:`limit`'s verdict."""
    ladder = ["system", *(w for w in LADDER if rows and all(w in r for r in rows))]
    out = []
    for title, f, larger, targets, fmt in MEASURES:
        who = ladder + (["oracle"] if f is doubles else [])
        for name, n, fig in by_class(rows, f, larger, who):
            for i, which in enumerate(("median", "worst decile")):
                ceil = {w: fig[w][i] for w in who[1:]}
                out.append({
                    "measure": title, "class": name, "draws": n, "which": which,
                    "format": fmt, "system": fig["system"][i], **ceil,
                    "limit": limit(fig["system"][i], targets[i], larger, ceil),
                })  # fmt: skip
    return out


def report(rows: list[Row], top: int) -> None:
    """Print, per measure, the worst draws, the correlations and the per-class table."""
    names = {"system": "system", **LIKELY_NAMES, **TOLD_NAMES, "oracle": "oracle"}
    for title, f, larger, (t_med, t_worst), fmt in MEASURES:
        # the oracle is the reference of the ratio and the gap; of the doubles, a ceiling
        who = ["system", *ceilings_of(rows)] + (["oracle"] if f is doubles else [])
        print(f"\n## {title} (targets {t_med:{fmt}} median / {t_worst:{fmt}} worst decile)")
        print("\nworst draws: " + " | ".join(["draw", *(names[w] for w in who), "drawn"]))
        for r in worst_draws(rows, f, larger):
            vals = []
            for w in who:
                v = f(r, w)
                vals.append("-" if v is None else f"{v:{fmt}}")
            p = r["params"]
            drawn = ", ".join(f"{DRAWN[k]} {p[k]:.3g}" for k in list(DRAWN)[:12] if k in p)
            size = r["system"]["truth"]
            print(f"  {r['draw']} | " + " | ".join(vals) + f" | {size} true; {drawn}")
        print(f"\nrank correlation with the system's {title} (rho, p), the {top} strongest:")
        got = correlations(rows, f)[:top]
        print("  " + "; ".join(f"{n} {rho:+.2f} ({p:.2f})" for n, rho, p in got))
        for c in (c for c in ("registered", "perfect") if c in who):
            print(f"... of the system's shortfall from {names[c]}:")
            got = correlations(rows, f, minus=c)[:top]
            print("  " + "; ".join(f"{n} {rho:+.2f} ({p:.2f})" for n, rho, p in got))
        if f is doubles:
            for w in (w for w in ("system", "registered", "oracle") if w in who):
                pooled, mean, sd = doubles_noise(rows, who=w)
                print(
                    f"{names[w]}: pooled {pooled:.2f} %; the worst decile sampling alone gives "
                    f"at that rate {mean:.1f} % (sd {sd:.1f})"
                )
            print(
                f"the pooled rate whose sampling alone gives a {t_worst:.0f} % worst decile: "
                f"{rate_for_worst_decile(rows, t_worst):.2f} %"
            )
        print("\n| class | draws | " + " | ".join(names[w] for w in who) + " |")
        print("|---|---|" + "---|" * len(who))
        for name, n, fig in by_class(rows, f, larger, who):
            cells = [f"{fig[w][0]:{fmt}} / {fig[w][1]:{fmt}}" for w in who]
            print(f"| {name} | {n} | " + " | ".join(cells) + " |")
    got = limits(rows)
    ladder = [w for w in LADDER if got and w in got[0]]
    print(
        "\n## the limit of each class's figures (system / "
        + " / ".join(names[w] for w in ladder)
        + "; of the double counts also / oracle)"
    )
    print(
        "\n| class | draws | "
        + " | ".join(f"{t} {w}" for t, *_ in MEASURES for w in ("median", "worst decile"))
        + " |"
    )
    print("|---|---|" + "---|" * 2 * len(MEASURES))
    for name, _ in CLASSES:
        cells = [x for x in got if x["class"] == name]
        if not cells:
            continue
        print(
            f"| {name} | {cells[0]['draws']} | "
            + " | ".join(
                " / ".join(f"{x[w]:{x['format']}}" for w in ("system", *ladder, "oracle") if w in x)
                + f": {x['limit']}"
                for x in cells
            )
            + " |"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", type=Path, nargs="+", help="bench_family.py --json files of one set")
    ap.add_argument("--top", type=int, default=8, help="correlations printed per measure")
    a = ap.parse_args()
    rows = merged([json.loads(p.read_text()) for p in a.runs])
    print(f"{len(rows)} draws; ceilings: {', '.join(ceilings_of(rows)) or 'none'}")
    report(rows, a.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
