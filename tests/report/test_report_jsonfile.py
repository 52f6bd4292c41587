"""Output JSON files (``report.jsonfile``): the bytes of ``json.dumps(indent=2,
sort_keys=True, ensure_ascii=False)`` and a newline, whichever encoder made them."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from ceasefire.report import jsonfile
from ceasefire.report.jsonfile import json_text, write_json


def _stdlib(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


class Rule(StrEnum):
    CEASEFIRE = "ceasefire"


NOTICE = {
    "type": "notice",
    "to": ["UA", "RU", "UN Security Council"],
    "rule": Rule.CEASEFIRE,
    "party_probability": 0.967877,
    "position": {"lon": 37.715324263824826, "lat": 49.397080366894805},
    "time_s": 1748725221.9078908,
    "ellipse_95": None,
    "events": [],
    "extra": {},
    "nested": [[], [{}], [1, 2.5, True, False, None]],
    "text": 'ceasefire violation "burst"\n\t→ attributed to UA (p=0.97) \x00\x1f\x7f\u2028 😀',
    "ints": [0, -1, 2**63 - 1, -(2**63)],
    "floats": [0.0, -0.0, 1e-4, -1e-4, 1e16, 1.5e300, 5e-324 * 0, 0.1, 100.0],
    "keys": {"é": 1, "Z": 2, "a": 3, "😀": 4, "\uffff": 5},
}


def test_plain_data_is_json_dumps_byte_for_byte() -> None:
    data = [NOTICE, NOTICE | {"time_s": 1.0}, (1, "two")]
    assert jsonfile._orjson_safe(data)  # the fast encoder wrote these
    assert json_text(data) == _stdlib(data)
    assert json_text([]) == b"[]\n" == _stdlib([])
    assert json_text({}) == _stdlib({})


@pytest.mark.parametrize(
    "odd",
    [
        1e-5,  # orjson writes 0.00001, json 1e-05
        -2.5e-7,
        9.99e-5,
        1.91671964631013e-09,  # orjson: ...e-9, json: ...e-09
        math.nan,  # orjson writes null, json NaN
        math.inf,
        -math.inf,
    ],
)
def test_floats_orjson_writes_otherwise_go_to_json(odd: float) -> None:
    data = [{"a": [1.0, {"deep": odd}]}]
    assert not jsonfile._orjson_safe(data)
    assert json_text(data) == _stdlib(data)
    assert odd == 0 or json.dumps(odd) in json_text(data).decode()


@pytest.mark.parametrize(
    "data",
    [
        {2: "int key", 1: "b"},  # orjson refuses keys that are not str
        {"x": {2.5: "float key"}},
        {True: 1, False: 0},
        [2**64, -(2**70)],  # beyond 64 bits
    ],
)
def test_what_orjson_refuses_goes_to_json(data: Any) -> None:
    assert jsonfile._orjson_safe(data)  # not for its floats
    assert json_text(data) == _stdlib(data)


def test_a_lone_surrogate_fails_as_before() -> None:
    # json writes it, and the UTF-8 file cannot hold it: the same error as writing json's text
    with pytest.raises(UnicodeEncodeError):
        _stdlib(["\ud800"])
    with pytest.raises(UnicodeEncodeError):
        json_text(["\ud800"])


def test_what_json_cannot_write_is_refused_alike() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text([object()])
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text({"a": {1, 2}})


def test_write_json_writes_the_text(tmp_path: Path) -> None:
    path = write_json(tmp_path / "notices.json", [NOTICE])
    assert path == tmp_path / "notices.json"
    assert path.read_bytes() == _stdlib([NOTICE])
    assert json.loads(path.read_text(encoding="utf-8"))[0]["keys"]["é"] == 1
