"""The server-side aggregation of violations (``service.summary``): counts of every
row, cells of the located ones only, and a grid that never grows past its cap."""

from __future__ import annotations

from ceasefire.service.summary import MAX_CELLS_ACROSS, summarize

ROWS = [
    # rule, party, severity, response, lon, lat
    ("ceasefire", "RU", "high", "record", 37.01, 48.01),
    ("ceasefire", "UA", "high", "record", 37.03, 48.03),
    ("drones", "RU", "medium", "notify", 37.04, 48.02),
    ("ceasefire", "undetermined", "high", "record", 37.51, 48.51),
    ("ceasefire", "RU", "high", "record", None, None),  # heard on one bearing: no position
]


def test_counts_cover_every_row_and_cells_only_the_located() -> None:
    s = summarize(ROWS, 0.1, (37.0, 48.0, 38.0, 49.0))
    assert s["total"] == 5 and s["located"] == 4
    assert s["rule"] == {"ceasefire": 4, "drones": 1}
    assert s["party"] == {"RU": 3, "UA": 1, "undetermined": 1}
    assert s["severity"] == {"high": 4, "medium": 1}
    assert s["response"] == {"notify": 1, "record": 4}
    # 0.1 deg cells from (37.0, 48.0): the first three share cell (0, 0), the fourth is (5, 5)
    cells = sorted(s["cells"], key=lambda c: c["n"])
    assert [c["n"] for c in cells] == [1, 3]
    assert cells[1]["party"] == {"RU": 2, "UA": 1}
    assert cells[0]["party"] == {"undetermined": 1}
    assert (cells[0]["lon"], cells[0]["lat"]) == (37.51, 48.51)
    # the mean of its three violations
    assert abs(cells[1]["lon"] - (37.01 + 37.03 + 37.04) / 3) < 1e-6
    assert abs(cells[1]["lat"] - (48.01 + 48.03 + 48.02) / 3) < 1e-6
    assert s["cell_deg"] == 0.1


def test_no_cells_unless_asked_and_none_of_nothing() -> None:
    assert summarize(ROWS)["cells"] == [] and summarize(ROWS)["cell_deg"] is None
    empty = summarize([], 0.1, (37.0, 48.0, 38.0, 49.0))
    assert empty["total"] == 0 and empty["cells"] == [] and empty["rule"] == {}


def test_a_tiny_cell_on_a_wide_box_is_widened_to_the_cap() -> None:
    s = summarize(ROWS, 1e-6, (-180.0, -90.0, 180.0, 90.0))
    assert s["cell_deg"] == 360.0 / MAX_CELLS_ACROSS
    # 1.40625 deg cells from -180: every located violation of the example falls in one
    assert [c["n"] for c in s["cells"]] == [4]
