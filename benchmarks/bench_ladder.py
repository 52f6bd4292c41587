"""Live escalations on a stress day: the ladder re-run over the day plus its
lookback at each step (before) against the step-by-step run (``LadderRun``).

A store (SQLite) holds a stress day's count of violations (96,481, the stress
day's, seed 1) spread over the day and as many per hour over the ladder's
lookback before it (42 h for the Donbas mandate), in the three sectors, mostly
RU and UA fire in bursts. Each step is what a worker does when the sectors
become final up to ``b``: read the violations and compute the notices in
``[a, b)``. CPU seconds (this process), median of three, measured on a few
steps spread over the day; the step-by-step run over every 600 s step of the
day (with its one read of the lookback) is timed whole.

    .venv/bin/python benchmarks/bench_ladder.py [--violations 96481] [--hours 4,12,20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from ceasefire import pipeline
from ceasefire.assess import escalate
from ceasefire.assess.escalating import LadderRun
from ceasefire.assess.ladder import lookback_h
from ceasefire.mandate import day_bounds, load_mandate
from ceasefire.model import Violation

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
DAY = date(2025, 6, 1)
SECTORS = ("luhansk", "donetsk-north", "donetsk-south")
STEP_S = 600.0


def _hot(rng: random.Random, lo: float, hi: float) -> list[tuple[float, float]]:
    """A sector's hot spells in [lo, hi): 1-5 h of fire, then 2-8 h of quiet."""
    out, t = [], lo + rng.uniform(0, 6) * 3600.0
    while t < hi:
        d = rng.uniform(1, 5) * 3600.0
        out.append((t, t + d))
        t += d + rng.uniform(2, 8) * 3600.0
    return out


def _violations(n_day: int, start_s: float, back_s: float, seed: int) -> list[Violation]:
    """``n_day`` a day over the lookback and the day, in bursts of 4-12, mostly in
    each sector's hot spells (a thousandth outside them), so that the ladder's lines
    engage and stand down during the day."""
    rng = random.Random(seed)
    n = int(n_day * (1 + back_s / 86400.0))
    lo, hi = start_s - back_s, start_s + 86400.0
    hot = {s: _hot(rng, lo, hi) for s in SECTORS}

    def heat(sector: str, t: float) -> bool:
        return any(a <= t < b for a, b in hot[sector])

    out: list[Violation] = []
    t, i = lo, 0
    per_s = 3 * n / (hi - lo) / 8  # bursts a second, before the quiet ones are thinned
    while t < hi:
        t += rng.expovariate(per_s)
        sector = rng.choice(SECTORS)
        if not heat(sector, t) and rng.random() > 0.001:
            continue
        for _ in range(rng.randint(4, 12)):
            party = rng.choices(["RU", "UA", "undetermined"], [0.55, 0.4, 0.05])[0]
            p = rng.choice([0.92, 0.97, 0.99])
            other = "UA" if party != "UA" else "RU"
            likeliest = "RU" if party == "undetermined" else party
            out.append(
                Violation(
                    id=f"v{i:07d}",
                    rule="ceasefire",
                    severity=rng.choice(["medium", "high"]),
                    kind="explosion",
                    time_s=min(t + rng.uniform(0, 120), hi - 1.0),
                    lat=48.5,
                    lon=38.0,
                    cov_m2=None,
                    party=party,
                    party_probability=p,
                    probabilities={likeliest: p, other: 1 - p},
                    event_ids=(f"e{i}",),
                    observation_ids=(),
                    distance_to_line_km=1.0,
                    side="left",
                    response="notify",
                    sector=sector,
                )
            )
            i += 1
    keep = sorted(rng.sample(range(len(out)), min(n, len(out))))
    return [out[k] for k in keep]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--violations", type=int, default=96_481, help="per day")
    ap.add_argument("--hours", default="4,12,20", help="steps timed for the re-run, local h")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    m = load_mandate(MANDATE)
    start, end = day_bounds(m, DAY)
    back_s = lookback_h(m) * 3600.0
    vs = _violations(a.violations, start, back_s, a.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ladder-"))
    store = pipeline.init_store(tmp / "s.db", MANDATE)
    store.replace_violations(start - back_s, end, vs)
    n_day = sum(1 for v in vs if v.time_s >= start)
    print(
        f"{len(vs)} violations stored: {n_day} in the day, the rest in {back_s / 3600:g} h before"
    )

    def rerun(b: float) -> float:
        t0 = time.process_time()
        history = store.violations(start - back_s, b)
        _ = [x for x in escalate(history, m) if b - STEP_S <= x.time_s < b]
        return time.process_time() - t0

    def stepwise() -> tuple[float, list]:
        t0 = time.process_time()
        run = LadderRun(m)
        run.feed(store.violations(start - back_s, start), start)
        got = []
        b = start
        while b < end:
            a_, b = b, min(b + STEP_S, end)
            got += run.feed(store.violations(a_, b), b)
        return time.process_time() - t0, got

    for h in (float(x) for x in a.hours.split(",")):
        b = start + h * 3600.0
        cpu = statistics.median(rerun(b) for _ in range(3))
        print(f"re-run at {h:g} h: {cpu:.2f} CPU-s per step", flush=True)
    runs = [stepwise() for _ in range(3)]
    cpu = statistics.median(r[0] for r in runs)
    steps = round((end - start) / STEP_S)
    print(
        f"step by step: {cpu:.2f} CPU-s for the day's {steps} steps "
        f"({cpu / steps * 1000:.1f} ms per step, the lookback's read included)"
    )
    whole = [x for x in escalate(vs, m) if start <= x.time_s < end]
    same = runs[0][1] == whole
    print(f"notices: {len(whole)} in the day; step by step the same as escalate: {same}")


if __name__ == "__main__":
    main()
