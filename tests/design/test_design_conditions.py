"""The condition language: parsing, three-valued evaluation, errors with positions."""

from __future__ import annotations

import pytest

from ceasefire.design.conditions import parse_condition
from ceasefire.model.errors import DesignError

ENV = {
    "iso3": "AUT",
    "nato": False,
    "eu": True,
    "nuclear_armed": False,
    "un_peacekeepers": 194,
    "continent": "Europe",
    "gave_military_aid_to": {"UKR": True},
    "gave_lethal_aid_to": {"UKR": False},
    "csto": None,  # unknown
    "un_mandate": None,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not nato and not nuclear_armed", True),
        ("nato or eu", True),
        ("gave_military_aid_to:UKR", True),
        ("gave_lethal_aid_to:UKR", False),
        ("gave_military_aid_to:RUS", None),  # no fact about aid to Russia
        ("continent:Europe", True),
        ("continent:europe", True),
        ('continent:"Latin America"', False),
        ("iso3 in {DEU, TUR}", False),
        ("iso3 in {AUT}", True),
        ("un_peacekeepers >= 194", True),
        ("un_peacekeepers > 194", False),
        ("not (nato or csto)", None),  # false or unknown = unknown
        ("eu or csto", True),  # true or unknown = true
        ("nato and csto", False),  # false and unknown = false
        ("not csto", None),
        ("un_mandate", None),
        ("true and not false", True),
        ("not nato and (eu or csto) and un_peacekeepers < 1000", True),
    ],
)
def test_three_valued_evaluation(text: str, expected: bool | None) -> None:
    assert parse_condition(text).evaluate(ENV) is expected


def test_precedence_not_binds_tighter_than_and_than_or() -> None:
    # "nato or eu and nuclear_armed" = nato or (eu and nuclear_armed) = False or False
    assert parse_condition("nato or eu and nuclear_armed").evaluate(ENV) is False
    assert parse_condition("(nato or eu) and not nuclear_armed").evaluate(ENV) is True
    assert str(parse_condition("not (nato or csto)")) == "not (nato or csto)"


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("not nato and", 13, "expected an attribute name"),
        ("natoo", 1, "did you mean 'nato'"),
        ("nato >= 3", 6, "only numbers compare"),
        ("(nato", 6, "expected ')' to close the '(' at column 1"),
        ("nato nuclear_armed", 6, "join tests with 'and' or 'or'"),
        ("un_peacekeepers", 1, "un_peacekeepers >= 1000"),
        ("nato & eu", 6, "unexpected character '&'"),
        ("iso3 in {DEU TUR}", 14, "expected ',' or '}'"),
        ("gave_military_aid_to:", 22, "expected a value after"),
        ("nato)", 5, "no matching '('"),
        ("", 1, "empty condition"),
    ],
)
def test_syntax_errors_name_the_column_with_a_caret(text: str, column: int, fragment: str) -> None:
    with pytest.raises(DesignError) as ei:
        parse_condition(text, file="d.yaml", line=7, field="parties[0]")
    msg = str(ei.value)
    assert f"at column {column}:" in msg
    assert fragment in msg
    caret_line = msg.splitlines()[-1]
    assert caret_line.index("^") - 4 == column - 1  # 4 spaces of indent
    assert ei.value.line == 7 and ei.value.file == "d.yaml"
