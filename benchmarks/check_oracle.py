"""Check that the oracle association (``oracle.py``) is right under any tiling.

    .venv/bin/python benchmarks/check_oracle.py [--draws 1000 1001 1002 1003]

On tuning draws of the ``varied`` family (never the test draws), fused as
shipped (the batch's tiles, observers registered over the draw) and as one
window (``tile_s`` None):

- the oracle is called once per window with acoustic reports (more when
  registration runs a second association; a window of sightings alone has none),
  every window in its own grid (a wrong frame raises ``FrameError`` inside fusion);
- tiled, the oracle's F1 is at least the system's on every draw (association told
  the truth cannot lose to association guessing by more than ``SLACK``);
- one window: the oracle's one grid is the grid about all of the draw's
  observations, the frame session 9's oracle used for every call (so its scores
  are the same as before).

Exit status 1 when a check fails. Takes ~1 CPU-min a draw (tiled fusion, twice).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from oracle import SHIPPED, Oracle, patched, scored

from ceasefire.fuse.frame import Grid
from ceasefire.mandate import load_mandate
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
#: how far below the system's F1 the oracle's may fall on one draw (downstream of
#: association the two fusions differ, so a tie can break either way by a match)
SLACK = 0.002


def check_draw(k: int) -> list[str]:
    """The failed checks of tuning draw ``k`` (printing its figures)."""
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = write_scenario(Path(tmp), sc.observations, sc.truth)["observations"]
        for tile_s in (SHIPPED, None):
            s_sys, _ = scored(sc, m, t0, t1, path, tile_s)
            oracle = Oracle(sc.truth)
            undo = patched(oracle)
            try:
                s_orc, _ = scored(sc, m, t0, t1, path, tile_s)
            finally:
                undo()
            windows = oracle.windows
            print(
                f"draw {k}, tiles {tile_s}: system F1 {s_sys['f1']:.4f}, oracle "
                f"{s_orc['f1']:.4f}; {len(oracle.grids)} windows, {windows} with acoustic "
                f"reports, {oracle.calls} association calls"
            )
            if windows == 0 or not windows <= oracle.calls <= 2 * windows:
                bad.append(f"draw {k} {tile_s}: {oracle.calls} calls for {windows} windows")
            if tile_s == SHIPPED and s_orc["f1"] < s_sys["f1"] - SLACK:
                bad.append(f"draw {k}: oracle F1 {s_orc['f1']:.4f} < system {s_sys['f1']:.4f}")
            whole = Grid.about(sc.observations.lat, sc.observations.lon)
            if tile_s is None and oracle.grids != [whole]:
                bad.append(f"draw {k}: one window fused in another grid than about all reports")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, nargs="+", default=[1000, 1001, 1002, 1003])
    a = ap.parse_args()
    if any(0 <= k < 1000 for k in a.draws):
        ap.error("check on tuning draws (K >= 1000): the test draws are for measuring only")
    bad = [b for k in a.draws for b in check_draw(k)]
    for b in bad:
        print("FAILED:", b)
    print("oracle checks: " + ("FAILED" if bad else "all passed"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
