"""Ingest of a file that meets a few stored records, against a clean one, on
SQLite or PostgreSQL, side by side with a base tree (issue 23, hostile input).

    .venv/bin/python benchmarks/bench_ingest_duplicates.py --base /path/to/base-worktree \
        [--backend postgresql|sqlite] [--lines 60000] [--dups 14] [--repeat 3]

The first ``2 * lines`` lines of the stress day (``bench_ingest.stress_day``): the
first half is stored as one batch, then each tree ingests, into a store holding
that batch, the second half with ``dups`` lines of the first spread through it
(a re-sent record every few chunks) and, apart, the second half alone. Each run
is a child process (``PYTHONPATH`` = the tree's ``src``), trees alternated; prints
the main process's CPU seconds and wall seconds of the second ingest, medians,
and the ratio new / base.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from machine import PG_ADMIN  # noqa: E402

_CHILD = r"""
import json, sys, time
from pathlib import Path
from sqlalchemy import create_engine, text
from ceasefire.pipeline import ingest_into
from ceasefire.store import Store

target, first, second, admin, name = sys.argv[1:6]
if admin:
    eng = create_engine(admin, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
st = Store.create(target)
ingest_into(st, [Path(first)], workers=2)
c0, w0 = time.process_time(), time.perf_counter()
r = ingest_into(st, [Path(second)], workers=2)
c1, w1 = time.process_time(), time.perf_counter()
st.close()
if admin:
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
print(json.dumps({"cpu": c1 - c0, "wall": w1 - w0, "counts": r.counts}))
"""


def _files(lines: int, dups: int, folder: Path) -> tuple[Path, Path, Path]:
    """The first half, the second half with ``dups`` of the first's lines, the second half."""
    import bench_ingest

    with open(bench_ingest.stress_day(11), "rb") as fh:
        head = [fh.readline() for _ in range(2 * lines)]
    first, second = head[:lines], head[lines:]
    hostile = list(second)
    step = max(1, len(second) // max(dups, 1))
    for k in range(dups):  # a re-sent record every ``step`` lines
        hostile.insert(k * step + k + 100, first[(k * 4001 + 7) % lines])
    out = []
    for name, part in (("first", first), ("hostile", hostile), ("clean", second)):
        p = folder / f"{name}.ndjson"
        p.write_bytes(b"".join(part))
        out.append(p)
    return out[0], out[1], out[2]


def _run(tree: Path, backend: str, first: Path, second: Path, folder: Path) -> dict[str, float]:
    name = "cf_bench_" + uuid.uuid4().hex[:10]
    if backend == "postgresql":
        target, admin = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", PG_ADMIN
    else:
        target, admin = str(folder / f"{name}.db"), ""
    env = {"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, target, str(first), str(second), admin, name],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    res: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="a base worktree")
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--lines", type=int, default=60_000)
    ap.add_argument("--dups", type=int, default=14)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, hostile, clean = _files(args.lines, args.dups, folder)
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.repeat):
            for label, tree in (("new", ROOT), ("base", args.base)):
                for kind, second in (("hostile", hostile), ("clean", clean)):
                    r = _run(tree, args.backend, first, second, folder)
                    runs.setdefault((label, kind), []).append(r)
    print(f"{args.backend}: {args.lines:,} lines stored, then {args.lines:,} more "
          f"(hostile: with {args.dups} of the first's); main-process CPU-s and wall s, "
          f"median of {args.repeat}")  # fmt: skip
    for kind in ("hostile", "clean"):
        med = {
            (label, key): statistics.median(r[key] for r in runs[(label, kind)])
            for label in ("base", "new")
            for key in ("cpu", "wall")
        }
        counts = runs[("new", kind)][0]["counts"]
        same = all(r["counts"] == counts for lb in ("base", "new") for r in runs[(lb, kind)])
        print(
            f"  {kind:8s} base cpu {med[('base', 'cpu')]:.2f} wall {med[('base', 'wall')]:.2f} | "
            f"new cpu {med[('new', 'cpu')]:.2f} wall {med[('new', 'wall')]:.2f} | "
            f"ratio cpu {med[('new', 'cpu')] / med[('base', 'cpu')]:.2f}x "
            f"wall {med[('new', 'wall')] / med[('base', 'wall')]:.2f}x | "
            f"counts {counts}, the same in every run: {same}"
        )


if __name__ == "__main__":
    main()
