"""Writing a scenario: ``observations.ndjson`` in the observation contract and
``truth.json``; byte-identical for the same scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.model.arrays import ObservationArrays, default_senses
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, KINDS, OBJECTS, SENSES, WEAPONS


def _times(time_s: np.ndarray, unit: str) -> np.ndarray:
    us = np.round(time_s * 1e6).astype("int64").astype("datetime64[us]")
    return np.asarray(np.datetime_as_string(us, unit=unit, timezone="UTC"))  # type: ignore[call-overload]


def observation_lines(a: ObservationArrays) -> list[str]:
    """One JSON line per observation, in the contract's field names (``sense``
    only where it is not the contract's default)."""
    t_ms = _times(a.time_s, "ms")
    own_sense = a.sense != default_senses(a.kind, a.event)
    t_us = _times(a.time_s, "us")
    out: list[str] = []
    for i in range(len(a)):
        k = KINDS[int(a.kind[i])]
        rec: dict[str, Any] = {"id": a.id[i], "source": a.source[i], "kind": k}
        if k == "sighting":
            rec["time"] = str(t_ms[i])
            rec["position"] = {"lat": round(float(a.lat[i]), 6), "lon": round(float(a.lon[i]), 6)}
            rec["position_sigma_m"] = round(float(a.position_sigma_m[i]), 1)
            rec["object"] = OBJECTS[int(a.object[i])]
            rec["count"] = int(a.count[i])
            if a.party[i] is not None:
                rec["party"] = a.party[i]
        else:
            rec["time"] = str(t_us[i] if k == "arrival" else t_ms[i])
            rec["time_sigma_s"] = float(a.time_sigma_s[i])
            rec["observer"] = {"lat": round(float(a.lat[i]), 6), "lon": round(float(a.lon[i]), 6)}
            if k == "bearing":
                rec["bearing_deg"] = float(a.bearing_deg[i])
                rec["bearing_sigma_deg"] = float(a.bearing_sigma_deg[i])
                if np.isfinite(a.range_m[i]):
                    rec["range_m"] = float(a.range_m[i])
                    rec["range_sigma_m"] = float(max(a.range_sigma_m[i], 1.0))
                rec["direction"] = DIRECTIONS[int(a.direction[i])]
                rec["weapon"] = WEAPONS[int(a.weapon[i])]
            rec["event"] = EVENT_KINDS[int(a.event[i])]
            if own_sense[i]:
                rec["sense"] = SENSES[int(a.sense[i])]
        out.append(json.dumps(rec, separators=(",", ":")))
    return out


def write_scenario(
    out_dir: Path, observations: ObservationArrays, truth: dict[str, Any]
) -> dict[str, Path]:
    """Write ``observations.ndjson`` and ``truth.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    obs_path = out_dir / "observations.ndjson"
    with obs_path.open("w", encoding="utf-8") as fh:
        for line in observation_lines(observations):
            fh.write(line + "\n")
    truth_path = out_dir / "truth.json"
    truth_path.write_text(json.dumps(truth, sort_keys=True, separators=(",", ":")) + "\n")
    return {"observations": obs_path, "truth": truth_path}
