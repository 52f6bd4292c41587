"""Assessment throughput: a day of N fused events judged against the Donbas mandate.

    .venv/bin/python benchmarks/bench_assess.py [--events 1000000] [--quick]

Prints events/s for ``assess`` (every rule kind, attribution) and ``escalate``,
against the issue's aim of a million events assessed in seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ceasefire.assess import assess, escalate
from ceasefire.mandate import load_mandate
from ceasefire.model import Event
from ceasefire.simulate.along import line_length_m, offset_point

ROOT = Path(__file__).resolve().parents[1]


def events(n: int, seed: int = 1) -> list[Event]:
    """``n`` events along the Donbas line: 90 % explosions/firing, 10 % sightings."""
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    rng = np.random.default_rng(seed)
    length = line_length_m(m.contact)
    lat, lon = offset_point(
        m.contact, rng.uniform(0, length, n), rng.choice([-1, 1], n), rng.exponential(4_000.0, n)
    )
    t = 1_748_725_200.0 + np.sort(rng.uniform(0, 86_400, n))
    sight = rng.random(n) < 0.1
    objs = np.array(["tank", "artillery_ge_100mm", "mlrs", "apc", "uav"])[rng.integers(0, 5, n)]
    out = []
    for i in range(n):
        if sight[i]:
            out.append(
                Event(
                    id=f"t{i}",
                    kind="sighting",
                    time_s=float(t[i]),
                    lat=float(lat[i]),
                    lon=float(lon[i]),
                    cov_m2=(900.0, 900.0, 0.0),
                    observation_ids=(f"o{i}",),
                    n_observers=1,
                    object=str(objs[i]),
                    count=1,
                    first_seen_s=float(t[i]),
                    last_seen_s=float(t[i]) + 600,
                )
            )
        else:
            out.append(
                Event(
                    id=f"e{i}",
                    kind="explosion",
                    time_s=float(t[i]),
                    lat=float(lat[i]),
                    lon=float(lon[i]),
                    cov_m2=(4e4, 9e4, 1e4),
                    observation_ids=(f"o{i}",),
                    n_observers=3,
                    direction="incoming",
                )
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 events")
    a = ap.parse_args()
    n = 100_000 if a.quick else a.events
    m = load_mandate(ROOT / "examples" / "frontline-2025" / "mandate.yaml")
    m_d = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    evs = events(n)
    for name, mandate in (("donbas-2015 (record)", m_d), ("frontline-2025 (notify, ladder)", m)):
        t0 = time.perf_counter()
        v = assess(evs, mandate)
        t1 = time.perf_counter()
        esc = escalate(v, mandate, events=evs)
        t2 = time.perf_counter()
        print(
            f"{name}: {n:,} events -> {len(v):,} violations in {t1 - t0:.1f} s "
            f"({n / (t1 - t0):,.0f} events/s); escalate {len(esc)} notices in {t2 - t1:.2f} s"
        )


if __name__ == "__main__":
    main()
