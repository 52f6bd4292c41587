"""Property test: a mutated mandate is either a mandate or a MandateError that
names the document; never another exception (bounded budget for `make test`)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.mandate import parse_mandate
from ceasefire.model.errors import MandateError

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "examples" / "donbas-2015" / "mandate.yaml").read_text(encoding="utf-8")

NASTY = [
    "\x00",
    "\ufeff",
    "\r",
    ": ",
    "- ",
    "[",
    "{",
    "*a",
    "&a ",
    "!!python/object:os.system ",
    "9" * 5000,
    ".nan",
    "-.inf",
    "1e999",
    "~",
    "true",
    '"',
    "\t",
    "\n  ",
    "[" * 3000,
]

edit = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, len(TEXT)), st.sampled_from(NASTY)),
    st.tuples(st.just("insert"), st.integers(0, len(TEXT)), st.text(max_size=6)),
    st.tuples(st.just("delete"), st.integers(0, len(TEXT)), st.integers(1, 30).map(str)),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=4))
def test_mutated_mandate_is_a_mandate_or_a_mandate_error(edits: list[tuple[str, int, str]]) -> None:
    text = TEXT
    for kind, at, arg in edits:
        i = at % (len(text) + 1)
        text = text[:i] + arg + text[i:] if kind == "insert" else text[:i] + text[i + int(arg) :]
    try:
        parse_mandate(text, source="fuzzed.yaml")
    except MandateError as exc:
        assert "fuzzed.yaml" in str(exc)
