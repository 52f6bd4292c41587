"""Sparse assignment (``ceasefire.model.assignment.min_cost_matching``, used by
fusion's launch/impact and ray pairing and by the scorer) against its peer and
former solver, scipy's LAPJVsp on the same padded graph.

Random sparse problems: n rows, n columns, m distinct random edges of cost
uniform 0-12, leaving a row or a column alone costs 5. Prints seconds and the
ratio, and checks both give the same matching. ``--quick``: the small sizes only.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from ceasefire.model.assignment import min_cost_matching

U = 5.0


def scipy_lapjvsp(rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, n: int) -> np.ndarray:
    """The former solver: the padded graph (weights + 1) through LAPJVsp; the
    column each row takes (>= n: left alone)."""
    m = rows.shape[0]
    ri = np.concatenate([rows, np.arange(n), n + np.arange(n), n + cols])
    ci = np.concatenate([cols, n + np.arange(n), np.arange(n), n + rows])
    w = np.concatenate([cost, np.full(2 * n, U), np.zeros(m)]) + 1.0
    g = coo_matrix((w, (ri, ci)), shape=(2 * n, 2 * n)).tocsr()
    return np.asarray(min_weight_full_bipartite_matching(g)[1][:n])


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = [(5_000, 15_000), (20_000, 60_000)] + ([] if quick else [(60_000, 200_000)])
    rng = np.random.default_rng(1)
    head = ("rows", "edges", "ours (OR-Tools) s", "scipy LAPJVsp s", "ratio", "same")
    print("{:>8} {:>8} {:>18} {:>16} {:>7} {}".format(*head))
    for n, m in sizes:
        pairs = np.unique(rng.integers(0, n, size=(m, 2)), axis=0)
        rows, cols = pairs[:, 0], pairs[:, 1]
        cost = rng.uniform(0.0, 12.0, rows.shape[0])
        t = time.perf_counter()
        ours = min_cost_matching(rows, cols, cost, n, n, U)
        t_ours = time.perf_counter() - t
        t = time.perf_counter()
        ref = scipy_lapjvsp(rows, cols, cost, n)
        t_ref = time.perf_counter() - t
        ours_col = np.where(ours >= 0, cols[np.maximum(ours, 0)], n)
        same = bool(np.array_equal(np.where(ref < n, ref, n), ours_col))
        ratio = f"{t_ref / t_ours:.1f}x"
        print(f"{n:>8,} {rows.shape[0]:>8,} {t_ours:>18.2f} {t_ref:>16.2f} {ratio:>7} {same}")


if __name__ == "__main__":
    main()
