"""``DigestIndex``: observation id -> its observations' digests, as the dict of
``str`` -> ``bytes`` it stands in for gives them (the run's day log holds it)."""

from __future__ import annotations

import hashlib
import random

import pytest

from ceasefire.ledger import digest_index
from ceasefire.ledger.digest_index import DIGEST_BYTES, DigestIndex


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _ids(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcxyz0189-/é✓"
    out = {f"o{i:07d}" for i in range(n // 2)}
    while len(out) < n:
        out.add("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
    return sorted(out)


def test_each_id_gives_its_digest_and_an_unknown_id_none() -> None:
    oids = _ids(2000)
    random.Random(5).shuffle(oids)
    index = DigestIndex(oids, b"".join(_digest(o) for o in oids))
    assert len(index) == len(oids)
    asked = [*oids[::7], "nope", "", "o0000000x", oids[0] + "a", *oids[:3]]
    assert index.digests_of(asked) == [[_digest(o)] if o in set(oids) else [] for o in asked]


def test_a_shared_id_gives_each_digest_in_the_order_given() -> None:
    oids = ["a", "b", "a", "c", "a"]
    digests = [_digest(f"{o}{k}") for k, o in enumerate(oids)]
    index = DigestIndex(oids, b"".join(digests))
    got = index.digests_of(["a", "c", "d", "b"])
    assert got == [[digests[0], digests[2], digests[4]], [digests[3]], [], [digests[1]]]


def test_colliding_hashes_give_no_wrong_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id of one length hashes alike here: the ids are told apart by their text."""
    monkeypatch.setattr(digest_index, "hash", len, raising=False)
    oids = ["ab", "cd", "ef", "abc", "x", "cd"]
    digests = [_digest(f"{o}{k}") for k, o in enumerate(oids)]
    index = DigestIndex(oids, b"".join(digests))
    got = index.digests_of(["cd", "ef", "zz", "abc", "abd", "x", "y"])
    assert got == [[digests[1], digests[5]], [digests[2]], [], [digests[3]], [], [digests[4]], []]


def test_empty_and_wrong_sizes() -> None:
    assert DigestIndex([], b"").digests_of(["a", "b"]) == [[], []]
    assert DigestIndex(["a"], _digest("a")).digests_of([]) == []
    with pytest.raises(ValueError, match="bytes of digests"):
        DigestIndex(["a", "b"], b"\0" * (DIGEST_BYTES + 1))
