"""Writes ``association_days.npz``: the inputs and outputs of association on fixed
simulated days, the reference of ``tests/fuse/test_fuse_association_days.py``.

    .venv/bin/python tests/fuse/data/make_association_days.py

For each day below, the simulator's observations (Donbas example mandate, from
2025-06-01 00:00 local) are fused once with the mandate's settings; the arguments
handed to association are captured at ``ceasefire.fuse.engine.associate``, and
association's labels and estimates, and what the late offer of free bearings to
its events gives, are stored beside them. The inputs are stored (not regenerated
in the test) so that the reference holds whatever later happens to the simulator
or the observation model: it pins association alone.

The file in the repository was written by this script at commit
1a2c4a06b33264652666bf7d9ee33e41e54a1731 (main before association was split by
role, where association was ``ceasefire.fuse.associate``: this script speaks both
that and the split API), i.e. by the code the split replaced. Running it again
re-pins association to the code of the day: do that only when association is
meant to change, and say so in the commit.

    .venv/bin/python tests/fuse/data/make_association_days.py --outputs-only

re-pins the outputs only (labels, estimates, late labels) on the stored inputs
(fusion now cuts these days into several tiles, so the full run above no longer
captures one association per day). Session 12 did this once: the reassignment
passes stop when they only swap bearings back and forth (issue 23), which moved
one event of heavy2015 (624 -> 623 events); the inputs are those of 1a2c4a0.
Session 19 did it again: the fit's 3×3 inverse tells singular from regular by the
determinant's rounding error (``cofactor.regular3``), not a floor of 1e-10, so fits the
floor dropped stand (heavy2015: 623 -> 622 events; quiet2: two events take a row each).
Session 28 again: far ray seeds (``SeedConfig.far_m`` 30 km, three arrivals, the
detection law's check; heavy2015: 622 -> 629 events, quiet2: 80 -> 81).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.fuse import engine
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import get_profile, simulate

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("association_days.npz")
#: (profile, seed, hours): a heavy-day slice and a quiet day
DAYS = (("heavy", 2015, 6.0), ("quiet", 2, 24.0))
ROW_FIELDS = ("ox", "oy", "az", "sigma_az", "t", "sigma_t", "speed_factor", "rng", "sigma_rng")


def _late_labels(cl: Any, args: tuple[Any, ...], cfg: Any) -> Any:
    """Labels after the late offer of free bearings to association's events."""
    labels = cl.labels.copy()
    est = (cl.x, cl.y, cl.T, cl.cov[:, :2, :2], np.sqrt(cl.cov[:, 2, 2]))
    try:
        split = importlib.import_module("ceasefire.fuse.association")
    except ImportError:  # before the split
        old = importlib.import_module("ceasefire.fuse.associate")
        rows, src, phase, _ = args
        old.late_attach(rows, src, phase, labels, *est, cfg)
        return labels
    a = cfg.association
    split.late_attach(args[0], labels, *est, a.gates, a.attach, cfg.wide_fix_m)
    return labels


def main() -> int:
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    cfg = replace(fuse_config(m), workers=1)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    out: dict[str, Any] = {}
    orig = engine.associate
    got: list[tuple[Any, ...]] = []

    def capture(*args: Any) -> Any:
        got.append(args)
        return orig(*args)

    for profile, seed, hours in DAYS:
        sc = simulate(m, get_profile(profile), t0, hours, seed)
        got.clear()
        engine.associate = capture  # type: ignore[assignment]
        try:
            engine.fuse(sc.observations, cfg)
        finally:
            engine.associate = orig  # type: ignore[assignment]
        assert len(got) == 1, "one tile expected"
        args = got[0]
        cl, _ = orig(*args)
        if len(args) == 4:  # before the split: (rows, src, phase, FuseConfig)
            rows, src, phase = args[:3]
        else:  # (Reports, AssociationConfig)
            rows, src, phase = args[0].rows, args[0].src, args[0].direction
        late = _late_labels(cl, args, cfg)
        key = f"{profile}{seed}"
        for name in ROW_FIELDS:
            out[f"{key}/rows/{name}"] = getattr(rows, name)
        out[f"{key}/src"] = src
        out[f"{key}/phase"] = phase
        out[f"{key}/labels"] = cl.labels
        out[f"{key}/x"], out[f"{key}/y"], out[f"{key}/T"] = cl.x, cl.y, cl.T
        out[f"{key}/cov"] = cl.cov
        out[f"{key}/late_labels"] = late
        n_late = int((late >= 0).sum() - (cl.labels >= 0).sum())
        print(f"{key}: {rows.ox.shape[0]} rows, {cl.n} events, {n_late} late")
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


def outputs_only() -> int:
    """Association and the late offer run again on the stored inputs; the outputs
    replace the stored ones (the inputs stay as they are)."""
    from ceasefire.fuse import FuseConfig
    from ceasefire.fuse.association import Reports, associate, late_attach
    from ceasefire.fuse.solve import Rows

    cfg = FuseConfig()
    with np.load(OUT) as d:
        out: dict[str, Any] = {k: d[k] for k in d.files}
    for profile, seed, _ in DAYS:
        key = f"{profile}{seed}"
        rows = Rows(*(out[f"{key}/rows/{f}"] for f in ROW_FIELDS))
        rep = Reports(
            rows, out[f"{key}/src"], out[f"{key}/phase"], cfg.speed_of_sound_m_s,
            cfg.max_range_m, cfg.min_tdoa_sensors,
        )  # fmt: skip
        cl, _ = associate(rep, cfg.association)
        # the late offer as the reference was made: the attach gate, one phase
        a = cfg.association
        then = replace(a.attach, late_gate_p=0.999, late_any_phase=False)
        late = cl.labels.copy()
        cov = cl.cov
        late_attach(
            rep, late, cl.x, cl.y, cl.T, cov[:, :2, :2], np.sqrt(cov[:, 2, 2]), a.gates, then,
            cfg.wide_fix_m,
        )  # fmt: skip
        out[f"{key}/labels"] = cl.labels
        out[f"{key}/x"], out[f"{key}/y"], out[f"{key}/T"] = cl.x, cl.y, cl.T
        out[f"{key}/cov"] = cl.cov
        out[f"{key}/late_labels"] = late
        print(f"{key}: {rows.ox.shape[0]} rows, {cl.n} events (outputs only)")
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(outputs_only() if "--outputs-only" in sys.argv[1:] else main())
