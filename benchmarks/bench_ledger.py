"""Evidence ledger benchmark: append rate, full-verification rate, proof time on a big log.

Each rate is printed next to the bare cost of SHA-256 over the same bytes on
this machine (one hashlib call per record, in one process), so the ratio
says how much the ledger costs beyond hashing.

    .venv/bin/python benchmarks/bench_ledger.py            # 10M-record proof log
    .venv/bin/python benchmarks/bench_ledger.py --quick    # 1M-record proof log

The big log is built through ``Ledger._append_canonical`` with records that
are canonical JSON by construction (``{"id":"r…","type":"t"}``), which skips
only the canonicalization of dicts; the append rate is measured separately
through the public ``append`` with realistic violation records.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from machine import cpu_model

from ceasefire.ledger import Ledger, verify_bundle
from ceasefire.ledger.canonical import canonical_json, id_digest
from ceasefire.ledger.merkle import levels_of, verify_inclusion


def _violation(i: int) -> dict[str, Any]:
    return {
        "id": f"v-{i:09d}",
        "type": "violation",
        "rule": "heavy-weapons-withdrawal-zone",
        "party": "A" if i % 2 else "B",
        "time_s": 1_700_000_000.0 + i * 0.37,
        "lat": 48.0 + (i % 1000) * 1e-4,
        "lon": 37.5 + (i % 777) * 1e-4,
        "observation_digests": {f"obs/{i}": hashlib.sha256(str(i).encode()).hexdigest()},
    }


def _sha_rate(payloads: list[bytes]) -> float:
    sha = hashlib.sha256
    t = time.perf_counter()
    for p in payloads:
        sha(p).digest()
    return len(payloads) / (time.perf_counter() - t)


def cpu_s() -> float:
    """CPU seconds of this process and of its waited-for children (verify's workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _measured(fn: Any) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    c, t = cpu_s(), time.perf_counter()
    fn()
    return cpu_s() - c, time.perf_counter() - t


def sha_per_record(payloads: list[bytes]) -> None:
    """Anchor: one SHA-256 per record, the least any verifier must do."""
    sha = hashlib.sha256
    for p in payloads:
        sha(p).digest()


def bare_root(payloads: list[bytes]) -> bytes:
    """Anchor: the RFC 9162 root of the records, leaf and node hashes in one process
    (nothing parsed, nothing compared)."""
    sha = hashlib.sha256
    leaves = b"".join([sha(b"\x00" + p).digest() for p in payloads])
    return levels_of(leaves)[-1]


def verify_vs_anchors(path: Path, repeats: int = 3) -> dict[str, float]:
    """Full ``verify`` of the log at ``path`` against its two anchors, each the median
    of ``repeats`` runs in CPU seconds (verify's worker processes included) and wall.

    Returns records per CPU-second and per wall-second of verify and of the anchors.
    """
    led = Ledger.open(path)
    led.verify()  # warm the page cache
    n = led.size
    runs = [_measured(led.verify) for _ in range(repeats)]
    payloads = [led.record_bytes(i) for i in range(n)]
    led.close()
    sha = [_measured(lambda: sha_per_record(payloads)) for _ in range(repeats)]
    root = [_measured(lambda: bare_root(payloads)) for _ in range(repeats)]

    def med(xs: list[tuple[float, float]], k: int) -> float:
        return statistics.median(x[k] for x in xs)

    return {
        "records": n,
        "verify_cpu": n / med(runs, 0),
        "verify_wall": n / med(runs, 1),
        "sha_cpu": n / med(sha, 0),
        "root_cpu": n / med(root, 0),
    }


def bench_append(root: Path, n: int, batch: int) -> tuple[float, float, Path]:
    """Public ``append`` of ``n`` violation records in batches; return rate, SHA rate."""
    recs = [_violation(i) for i in range(n)]
    led = Ledger.open(root / "append")
    t = time.perf_counter()
    for i in range(0, n, batch):
        led.append(recs[i : i + batch])
    rate = n / (time.perf_counter() - t)
    led.sign_head(1_800_000_000.0)
    led.close()
    sha = _sha_rate([canonical_json(r) for r in recs])
    return rate, sha, root / "append"


def bench_verify(path: Path) -> tuple[float, float, int]:
    """Full verification of the log at ``path``; return rate, SHA rate, size."""
    led = Ledger.open(path)
    led.verify()  # warm the page cache
    best = min(_timed(led.verify) for _ in range(3))
    n = led.size
    payloads = [led.record_bytes(i) for i in range(n)]
    led.close()
    return n / best, _sha_rate(payloads), n


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def build_big(path: Path, n: int, batch: int = 100_000) -> float:
    """A log of ``n`` small canonical records; return the build time."""
    led = Ledger.open(path)
    t = time.perf_counter()
    for lo in range(0, n, batch):
        hi = min(lo + batch, n)
        ids = [f"r{i}" for i in range(lo, hi)]
        payloads = [f'{{"id":"{rid}","type":"t"}}'.encode() for rid in ids]
        led._append_canonical(payloads, ids, [id_digest(r) for r in ids])
    led.sign_head(1_900_000_000.0)
    led.close()
    return time.perf_counter() - t


def bench_proofs(path: Path, samples: int = 2000) -> dict[str, float]:
    """Inclusion proof time by leaf index, by record id, and as a bundle, on a big log."""
    t = time.perf_counter()
    led = Ledger.open(path)
    open_s = time.perf_counter() - t
    n = led.size
    head = led.heads()[-1]
    root = bytes.fromhex(head.root_hash)
    rng = random.Random(7)
    idx = [rng.randrange(n) for _ in range(samples)]
    times = []
    for i in idx:
        t = time.perf_counter()
        path_ = led.inclusion_proof(i, head.size)
        times.append(time.perf_counter() - t)
        assert verify_inclusion(i, head.size, led.leaf_hash(i), path_, root)
    by_id = []
    bundles = []
    pem = led.public_key_pem()
    for i in idx[:50]:
        t = time.perf_counter()
        b = led.prove(f"r{i}")
        by_id.append(time.perf_counter() - t)
        bundles.append(b)
    t = time.perf_counter()
    for b in bundles:
        verify_bundle(b, pem)
    check = (time.perf_counter() - t) / len(bundles)
    led.close()
    return {
        "size": n,
        "open_ms": open_s * 1e3,
        "proof_median_ms": statistics.median(times) * 1e3,
        "proof_p99_ms": sorted(times)[int(0.99 * len(times))] * 1e3,
        "proof_max_ms": max(times) * 1e3,
        "prove_by_id_median_ms": statistics.median(by_id) * 1e3,
        "verify_bundle_ms": check * 1e3,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller logs (1M-record proof log)")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a tmp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    n_append = 50_000 if args.quick else 200_000
    n_big = 1_000_000 if args.quick else 10_000_000
    root = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=args.dir))
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"work dir: {root}")
    try:
        rate, sha, path = bench_append(root, n_append, batch=5_000)
        print(
            f"append   {n_append:,} violation records in batches of 5,000: {rate:,.0f} records/s "
            f"(bare SHA-256 over the same bytes: {sha:,.0f}/s, ratio {sha / rate:.1f}x)"
        )
        v = verify_vs_anchors(path)
        print(
            f"verify   {v['records']:,} violation records (median of 3): "
            f"{v['verify_cpu']:,.0f} records per CPU-s ({v['verify_wall']:,.0f}/s wall); "
            f"anchors in CPU-s: one SHA-256 per record {v['sha_cpu']:,.0f}/s "
            f"({v['sha_cpu'] / v['verify_cpu']:.1f}x), bare RFC 9162 root "
            f"{v['root_cpu']:,.0f}/s ({v['root_cpu'] / v['verify_cpu']:.1f}x); target 200,000/s"
        )
        big = root / "big"
        build = build_big(big, n_big)
        size_mb = sum(f.stat().st_size for f in big.iterdir() if f.is_file()) / 1e6
        print(
            f"build    {n_big:,} small records in {build:.1f} s ({n_big / build:,.0f} records/s), "
            f"{size_mb:,.0f} MB on disk"
        )
        p = bench_proofs(big)
        print(
            f"proof    on {p['size']:,} records: open {p['open_ms']:.1f} ms; inclusion proof "
            f"median {p['proof_median_ms']:.3f} ms, p99 {p['proof_p99_ms']:.3f} ms, max "
            f"{p['proof_max_ms']:.3f} ms; prove(id) bundle median "
            f"{p['prove_by_id_median_ms']:.1f} ms; verify_bundle {p['verify_bundle_ms']:.3f} ms"
        )
        if args.quick or n_big <= 2_000_000:
            vrate, vsha, n = bench_verify(big)
            print(
                f"verify   {n:,} small records: {vrate:,.0f} records/s "
                f"(bare SHA-256: {vsha:,.0f}/s, ratio {vsha / vrate:.1f}x)"
            )
        else:
            led = Ledger.open(big)
            t = time.perf_counter()
            rep = led.verify()
            dt = time.perf_counter() - t
            print(f"verify   {rep.size:,} small records: {rep.size / dt:,.0f} records/s")
            led.close()
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
