"""The contract's time check by shape (a set lookup) accepts exactly what its
regular expression accepts."""

from __future__ import annotations

import random
from datetime import datetime

from ceasefire.model.observation import _ISO_TIME, _iso_shape

BASES = [
    "2025-05-31T21:00:00.671447Z",
    "2025-05-31T21:00:00Z",
    "2025-05-31T21:00:00+03:00",
    "2025-05-31T21:00:00.123456789-01:30",
    "2025-05-31T21:00:00Z\n",
]


def test_shape_and_pattern_agree_on_mutated_times() -> None:
    rnd = random.Random(23)
    alphabet = "0123456789-T:.Z+ zé\n\u0663x\x00"
    agreed = accepted = 0
    for base in BASES:
        for _ in range(2000):
            s = list(base)
            for _ in range(rnd.randint(0, 3)):
                i = rnd.randrange(len(s) + 1)
                op = rnd.randrange(3)
                if op == 0 and s:
                    s[min(i, len(s) - 1)] = rnd.choice(alphabet)
                elif op == 1:
                    s.insert(i, rnd.choice(alphabet))
                elif s:
                    del s[min(i, len(s) - 1)]
            text = "".join(s)
            want = _ISO_TIME.match(text) is not None
            assert _iso_shape(text) == want, text
            agreed += 1
            accepted += want
    # both kinds were tried: the unmutated bases and many broken ones
    assert 0 < accepted < agreed


def test_shape_examples() -> None:
    assert _iso_shape("2025-06-01T07:00:00Z")
    assert _iso_shape("2025-06-01T07:00:00.5+02:00")
    assert not _iso_shape("2025-06-01T07:00:00.1234567890Z")  # ten fraction digits
    assert not _iso_shape("2025-06-01T07:00Z")  # no seconds
    assert not _iso_shape("2025-06-01T07:00:00")  # no zone
    assert not _iso_shape("\u0662025-06-01T07:00:00Z")  # an Arabic-Indic digit


def test_every_time_of_the_shape_that_parses_has_a_zone() -> None:
    """The validator skips the zone check for text of the shape: it must not need it."""
    rnd = random.Random(18)
    parsed = 0
    for _ in range(5000):
        date = f"{rnd.randint(1, 9999):04d}-{rnd.randint(0, 13):02d}-{rnd.randint(0, 32):02d}"
        clock = f"{rnd.randint(0, 25):02d}:{rnd.randint(0, 61):02d}:{rnd.randint(0, 61):02d}"
        frac = rnd.choice(["", "." + "7" * rnd.randint(1, 9)])
        zone = rnd.choice(
            ["Z", f"{rnd.choice('+-')}{rnd.randint(0, 25):02d}:{rnd.randint(0, 61):02d}"]
        )
        text = f"{date}T{clock}{frac}{zone}"
        assert _iso_shape(text), text
        try:
            t = datetime.fromisoformat(text)
        except ValueError:
            continue
        parsed += 1
        assert t.tzinfo is not None and t.utcoffset() is not None, text
    assert parsed > 500  # the test saw many valid times
