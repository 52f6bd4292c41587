"""GeoJSON's times: ISO 8601 at millisecond precision, remembered or not."""

from __future__ import annotations

from datetime import UTC, datetime

from ceasefire.report.geojson import iso


def test_iso_is_the_datetimes_text_each_time_it_is_asked() -> None:
    iso.cache_clear()
    times = [1748725221.9078908, 1748725221.9995, 0.0, -1.25, 1748725222]
    want = [datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds") for t in times]
    assert [iso(t) for t in times] == want
    assert want[0] == "2025-05-31T21:00:21.907+00:00"
    # a violation's time is its event's: asked again, the same text
    assert [iso(t) for t in reversed(times)] == want[::-1]
    assert iso.cache_info().hits == len(times)
    assert iso(None) is None
