"""Fuzz campaign over the observation readers (issue 24): a million mutated lines.

    .venv/bin/python benchmarks/fuzz_campaign.py                # 1,000,000 lines
    .venv/bin/python benchmarks/fuzz_campaign.py --lines 50000  # a quick look

Valid records of the three kinds are written as NDJSON lines (60 %), CSV rows
(30 %) and GeoJSON features (10 %), in files of ``--per-file`` records; about
half of them are mutated: bytes flipped, inserted (NUL, invalid UTF-8, CR, a
BOM, 5,000-digit numbers, 2,000 brackets ...), deleted, cut; values replaced
by ones that were accepted before (booleans, numeric strings, epoch times,
years 1 and 9999, NaN, 1e308, ``../../etc/passwd``, ``javascript:``); lines
repeated as exact and as conflicting duplicates. Each file is ingested and
checked:

- crashes: any exception other than ObservationError (a file-level error
  such as a GeoJSON that is no longer a FeatureCollection, counted apart);
- unaccounted records: NDJSON, the non-blank LF-separated lines of the file
  against the line numbers of accepted + rejected + duplicate records; CSV,
  every non-blank line after the header covered by exactly one record;
  GeoJSON, record numbers 1..n without a gap (a feature whose brackets never
  balance is read up to the next line that opens an object);
- every rejection has a reason, and the quarantine writes as UTF-8 JSON
  with no NUL.

Figures go to ``benchmarks/README.md`` (section "Fuzz campaign").
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import random
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from ceasefire.ingest import IngestResult, ingest_files, write_quarantine
from ceasefire.model.errors import ObservationError

NASTY_BYTES = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",
    b'"',
    b",",
    b"[" * 2000,
    b"{" * 50,
    b"9" * 5000,
    b"NaN",
    b"1e999",
    b"\\u0000",
    b"\\ud800",
    b"\t",
    b"x" * 140_000,
]
NASTY_VALUES: list[Any] = [
    None,
    True,
    False,
    "90",
    720,
    1.7e9,
    "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2025-06-01T07:00:00",
    float("nan"),
    float("inf"),
    1e308,
    -1e308,
    "",
    "x" * 300,
    "a\x00b",
    [[[[[[[[[[1]]]]]]]]]],
    10**60,
    "../../etc/passwd",
    "javascript:alert(1)",
    {"uri": "file:///etc/passwd", "sha256": "0" * 64},
    "95",
    -1,
    0,
]


def base_record(rng: random.Random, i: int) -> dict[str, Any]:
    kind = rng.choice(("bearing", "arrival", "sighting"))
    hms = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    t = f"2025-06-01T{hms}.{rng.randrange(1000):03d}Z"
    rec: dict[str, Any] = {"id": f"o{i}", "source": f"src-{rng.randrange(50)}", "time": t}
    rec["kind"] = kind
    pos = {"lat": round(rng.uniform(47, 49), 6), "lon": round(rng.uniform(37, 39), 6)}
    if kind == "sighting":
        rec.update(position=pos, position_sigma_m=25.0, object="tank", count=rng.randrange(1, 5))
    else:
        rec["observer"] = pos
        if kind == "bearing":
            rec.update(bearing_deg=round(rng.uniform(0, 359), 1), bearing_sigma_deg=4.0)
            if rng.random() < 0.5:
                rec.update(range_m=3000.0, range_sigma_m=300.0)
        if rng.random() < 0.2:
            rec["evidence"] = [{"uri": f"https://e.example/{i}.jpg", "sha256": "ab" * 32}]
    return rec


def mutate_value(rng: random.Random, rec: dict[str, Any]) -> dict[str, Any]:
    rec = json.loads(json.dumps(rec))
    target = rec
    key = rng.choice(list(rec))
    if isinstance(rec[key], dict) and rng.random() < 0.7:
        target = rec[key]
        key = rng.choice(list(target))
    target[key] = rng.choice(NASTY_VALUES)
    return rec


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.3 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op < 0.7:
            b[i:i] = rng.choice(NASTY_BYTES)
        elif op < 0.9:
            del b[i : i + rng.randrange(1, 40)]
        else:
            del b[i:]
    return bytes(b)


def _dumps(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec, allow_nan=True).encode()


def _records(rng: random.Random, n: int, start: int) -> list[tuple[dict[str, Any], str]]:
    """``n`` records and how each was treated: clean, value, bytes, dup, conflict."""
    out: list[tuple[dict[str, Any], str]] = []
    for k in range(n):
        rec = base_record(rng, start + k)
        r = rng.random()
        if r < 0.5:
            out.append((rec, "clean"))
        elif r < 0.7:
            out.append((mutate_value(rng, rec), "value"))
        elif r < 0.95:
            out.append((rec, "bytes"))
        elif out and r < 0.975:
            out.append((out[rng.randrange(len(out))][0], "dup"))
        elif out:
            prev = dict(out[rng.randrange(len(out))][0])
            prev["source"] = prev.get("source", "x")
            prev["time"] = "2025-06-01T12:00:00Z"
            out.append((prev, "conflict"))
        else:
            out.append((rec, "clean"))
    return out


def ndjson_file(rng: random.Random, n: int, start: int) -> bytes:
    lines = []
    for rec, how in _records(rng, n, start):
        line = _dumps(rec)
        lines.append(mutate_bytes(rng, line) if how == "bytes" else line)
    return b"\n".join(lines) + b"\n"


def _flat(rec: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                out[f"{k}_{kk}"] = str(vv)
        elif isinstance(v, list):
            out[k] = json.dumps(v)
        else:
            out[k] = str(v)
    return out


CSV_COLS = [
    "id",
    "source",
    "time",
    "kind",
    "observer_lat",
    "observer_lon",
    "bearing_deg",
    "bearing_sigma_deg",
    "range_m",
    "range_sigma_m",
    "position_lat",
    "position_lon",
    "position_sigma_m",
    "object",
    "count",
    "evidence",
]


def csv_file(rng: random.Random, n: int, start: int) -> bytes:
    rows = []
    for rec, how in _records(rng, n, start):
        flat = _flat(rec)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([flat.get(c, "") for c in CSV_COLS])
        row = buf.getvalue().encode()
        rows.append(mutate_bytes(rng, row) if how == "bytes" else row)
    return (",".join(CSV_COLS) + "\n").encode() + b"\n".join(rows) + b"\n"


def geojson_file(rng: random.Random, n: int, start: int) -> bytes:
    feats = []
    for rec, how in _records(rng, n, start):
        f = _dumps({"type": "Feature", "geometry": None, "properties": rec})
        feats.append(mutate_bytes(rng, f) if how == "bytes" and rng.random() < 0.3 else f)
    return b'{"type": "FeatureCollection", "features": [\n' + b",\n".join(feats) + b"\n]}\n"


def _check_common(result: IngestResult, tmp: Path) -> list[str]:
    problems = []
    c = result.counts
    if c["accepted"] + c["rejected"] + c["duplicate"] != c["input"]:
        problems.append(f"counts do not add up: {c}")
    for r in result.rejected:
        if not r.reason.strip():
            problems.append(f"rejection without a reason at line {r.line}")
        if "\x00" in r.raw:
            problems.append(f"NUL kept in quarantine raw at line {r.line}")
    q = write_quarantine(tmp / "q.ndjson", result)
    for line in q.read_bytes().decode("utf-8").splitlines():
        if not json.loads(line).get("reason"):
            problems.append("quarantine line without a reason")
    return problems


def _spans(result: IngestResult) -> list[tuple[int, int]]:
    return (
        [(r.line, r.end_line or r.line) for r in result.rejected]
        + [(d.line, d.end_line or d.line) for d in result.duplicates]
        + [(a[1], a[2]) for a in result.accepted_from]
    )


def account(fmt: str, data: bytes, result: IngestResult) -> int:
    """Records unaccounted for (0 when every record is in exactly one count)."""
    if fmt == "ndjson":
        physical = data.split(b"\n")[:-1]
        if physical and physical[0].startswith(b"\xef\xbb\xbf"):
            physical[0] = physical[0][3:]
        want = collections.Counter(
            n
            for n, ln in enumerate(physical, start=1)
            if (ln[:-1] if ln.endswith(b"\r") else ln).strip()
        )
        got = collections.Counter(lo for lo, _ in _spans(result))
        return sum(((want - got) + (got - want)).values())
    if fmt == "csv":
        covered = collections.Counter(n for lo, hi in _spans(result) for n in range(lo, hi + 1))
        physical = data.split(b"\n")[:-1]
        want = {n for n, ln in enumerate(physical, start=1) if n > 1 and ln.strip(b"\r")}
        missing = len(want - set(covered))
        twice = sum(v - 1 for v in covered.values() if v > 1)
        return missing + twice
    numbers = sorted(lo for lo, _ in _spans(result))
    return 0 if numbers == list(range(1, len(numbers) + 1)) else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=24)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    stats: collections.Counter[str] = collections.Counter()
    crashes: list[str] = []
    t0 = time.process_time()
    w0 = time.perf_counter()
    done = 0
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        while done < args.lines:
            n = min(args.per_file, args.lines - done)
            r = rng.random()
            fmt = "ndjson" if r < 0.6 else "csv" if r < 0.9 else "geojson"
            maker = {"ndjson": ndjson_file, "csv": csv_file, "geojson": geojson_file}[fmt]
            data = maker(rng, n, done)
            p = tmp / f"f.{fmt}"
            p.write_bytes(data)
            stats[f"{fmt} lines"] += n
            done += n
            try:
                result = ingest_files([p])
            except ObservationError as exc:
                stats[f"{fmt} file-level errors"] += 1
                stats["file-level error records"] += n
                if not str(exc).strip():
                    crashes.append(f"{fmt}: empty file-level error")
                continue
            except Exception:
                crashes.append(f"{fmt} at line {done}: {traceback.format_exc(limit=3)}")
                keep = Path("fuzz-crash-" + str(len(crashes)) + "." + fmt)
                keep.write_bytes(data)
                continue
            for k, v in result.counts.items():
                stats[k] += v
            stats[f"{fmt} records read"] += result.counts["input"]
            stats["conflicting"] += len(result.conflicting)
            problems = _check_common(result, tmp)
            stats["unaccounted"] += account(fmt, data, result)
            stats["problems"] += len(problems)
            for r in result.rejected:
                stats["reason: " + _reason_class(r.reason)] += 1
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    print(f"fuzz campaign: {done:,} lines (seed {args.seed}), {cpu:.0f} CPU s, {wall:.0f} s wall")
    for k in sorted(stats):
        print(f"  {k:45s} {stats[k]:>12,}")
    print(f"  {'crashes':45s} {len(crashes):>12,}")
    for c in crashes[:5]:
        print(c)


def _reason_class(reason: str) -> str:
    for key in (
        "invalid UTF-8",
        "NUL",
        "control character",
        "nested",
        "digits",
        "finite",
        "not JSON",
        "cells",
        "carriage return",
        "longer than",
        "a record of",
        "appears twice",
        "ISO 8601",
        "year",
        "scheme",
        "absolute URI",
        "valid number",
        "valid integer",
        "valid string",
        "Extra inputs",
        "Field required",
        "kind",
        "surrogate",
        "a number of",
        "more after the JSON value",
        "String should",
        "Input should be",
        "less than",
        "greater than",
    ):
        if key in reason:
            return key
    return "other: " + reason[:40]


if __name__ == "__main__":
    main()
