"""The API's GeoJSON writer: store rows straight to FeatureCollection JSON bytes.

The shape is that of ``models.ViolationCollection``, ``EventCollection`` and
``ObservationCollection`` (the OpenAPI schema still documents those models), but
the features are plain dicts written with the standard library's JSON encoder:
validating and serializing every feature through the pydantic response models
cost ~1.2 ms a violation, two minutes for a stress day's 117k
(``benchmarks/bench_dashboard.py`` measures both paths side by side). The
features come from the same writer as the files and the live stream
(``report.geojson``), so what the models would check holds by construction;
``tests/service/test_service_features.py`` checks that both paths give the same
parsed JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from ceasefire.model.codec import event_from_dict, violation_from_dict
from ceasefire.report.geojson import event_feature, violation_feature

__all__ = [
    "GeoJSONBytes",
    "collection_bytes",
    "event_row_feature",
    "observation_row_feature",
    "violation_row_feature",
]


class GeoJSONBytes(Response):
    """A FeatureCollection already encoded; ``application/json`` as the models' routes."""

    media_type = "application/json"


def observation_row_feature(row: dict[str, Any]) -> dict[str, Any]:
    """An observation row (``body`` the contract's JSON) as a Point feature whose
    properties are the record plus ``sector`` and ``submitted_by``."""
    props = json.loads(row["body"])
    props["sector"] = row["sector"]
    props["submitted_by"] = row["submitted_by"]
    return {
        "type": "Feature",
        "id": f"{row['source']}/{row['id']}",
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": props,
    }


def event_row_feature(row: dict[str, Any]) -> dict[str, Any]:
    """An event row as the GeoJSON files write it, with ``day`` and ``sector``."""
    f = event_feature(event_from_dict(json.loads(row["body"])))
    f["properties"].update(day=row["day"], sector=row["sector"])
    return f


def violation_row_feature(row: dict[str, Any], observers: bool) -> dict[str, Any]:
    """A violation row as the GeoJSON files write it, with ``day``; ``observations``
    null unless the reader may see observers (their ids name them)."""
    f = violation_feature(violation_from_dict(json.loads(row["body"])))
    f["properties"]["day"] = row["day"]
    if not observers:
        f["properties"]["observations"] = None
    return f


def _finite(x: Any) -> Any:
    # JSON has no NaN or infinity; null is what the response models wrote for them
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def _dumps(x: Any) -> str:
    try:
        return json.dumps(x, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError:  # a non-finite float somewhere: rare, so checked only then
        return json.dumps(_finite(x), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def collection_bytes(features: Iterable[dict[str, Any]], next_offset: int | None) -> bytes:
    """A FeatureCollection with the paging members ``numberReturned`` and
    ``next_offset``, as UTF-8 JSON bytes (one feature encoded at a time, so one
    odd float costs only its own feature a second pass)."""
    parts = [_dumps(f) for f in features]
    nxt = "null" if next_offset is None else str(int(next_offset))
    head = f'{{"type":"FeatureCollection","numberReturned":{len(parts)},"next_offset":{nxt},'
    return (head + '"features":[' + ",".join(parts) + "]}").encode("utf-8")
