"""The fixed days of the identity test (``data/association_days.npz``): a day's
reports and its pinned association, for tests that compare two codes on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire.fuse import FuseConfig
from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.solve import Rows

DATA = Path(__file__).with_name("data") / "association_days.npz"
FIELDS = ("ox", "oy", "az", "sigma_az", "t", "sigma_t", "speed_factor", "rng", "sigma_rng")


def pinned_day(key: str = "heavy2015") -> tuple[Reports, Clusters]:
    """Day ``key``'s reports and a fresh copy of its pinned clusters."""
    with np.load(DATA) as d:
        a = {k.split("/", 1)[1]: d[k] for k in d.files if k.startswith(key + "/")}
    cfg = FuseConfig()
    rep = Reports(
        Rows(*(a[f"rows/{f}"] for f in FIELDS)), a["src"], a["phase"], cfg.speed_of_sound_m_s,
        cfg.max_range_m, cfg.min_tdoa_sensors,
    )  # fmt: skip
    cl = Clusters(a["labels"].copy(), a["x"].copy(), a["y"].copy(), a["T"].copy(), a["cov"].copy())
    return rep, cl
