"""``DigestIndex``: observation id -> its observations' digests, as the dict of
``str`` -> ``bytes`` it stands in for gives them (the run's day log holds it)."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from ceasefire.ledger import digest_index
from ceasefire.ledger.digest_index import DIGEST_BYTES, DigestIndex, quoted_sets


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


def _by_dict(oids: list[str], digests: list[bytes], asked: list[str]) -> list[list[bytes]]:
    """What a dict of each id's digests (in the order given) answers."""
    held: dict[str, list[bytes]] = {}
    for o, d in zip(oids, digests, strict=True):
        held.setdefault(o, []).append(d)
    return [held.get(o, []) for o in asked]


def test_ids_of_other_bytes_and_lone_surrogates_are_told_apart() -> None:
    # "é" is two bytes and "e" one: ids of one text length but not one byte size;
    # a lone surrogate (JSON may carry one) is an id too
    oids = ["e1", "é1", "\ud800x", "abc", "e"]
    digests = [_digest(f"{k}") for k in range(len(oids))]
    index = DigestIndex(oids, b"".join(digests))
    asked = ["é1", "e1", "\ud800x", "\ud801x", "ab", "abcd", "e", "é"]
    assert index.digests_of(asked) == _by_dict(oids, digests, asked)
    ascii_only = DigestIndex(["ab", "cd"], _digest("ab") + _digest("cd"))
    assert ascii_only.digests_of(["cd", "ɑb", "ab"]) == [[_digest("cd")], [], [_digest("ab")]]


def test_rows_of_in_chunks_gives_what_one_look_up_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    oids = _ids(500, seed=8)
    shared = oids[:40] + oids[10:30]  # 20 ids held twice
    digests = [_digest(f"{o}{k}") for k, o in enumerate(shared + oids[40:])]
    index = DigestIndex(shared + oids[40:], b"".join(digests))
    asked = [*oids[::3], "none", *oids[5:35], "none"]
    whole = index.rows_of(asked)
    monkeypatch.setattr(digest_index, "LOOKUP_CHUNK", 7)
    chunked = index.rows_of(asked)
    assert whole[0].tolist() == chunked[0].tolist() and whole[1].tolist() == chunked[1].tolist()
    assert index.digests_of(asked) == _by_dict(shared + oids[40:], digests, asked)
    # each row is a digest of the id asked
    for k, r in zip(*whole, strict=True):
        assert index.digests[r].tobytes() in _by_dict(shared + oids[40:], digests, [asked[k]])[0]


def _quoted(digests: set[bytes]) -> bytes:
    """The JSON strings of ``digests``' hex, sorted, comma separated."""
    return ",".join(f'"{d.hex()}"' for d in sorted(digests)).encode()


def test_quoted_sets_are_each_owners_distinct_digests_sorted() -> None:
    rng = random.Random(11)
    pool = [_digest(str(k)) for k in range(60)]
    # two digests alike in their first 8 bytes: sorted by the bytes after
    pool[1] = pool[0][:8] + bytes(24)
    pool[2] = pool[0][:8] + b"\xff" * 24
    n = 25
    owner = sorted(rng.randrange(n) for _ in range(300))  # some owners have none
    picked = [pool[rng.randrange(len(pool))] if k % 9 else pool[k % 3] for k in range(300)]
    rows = np.frombuffer(b"".join(picked), np.uint8).reshape(-1, DIGEST_BYTES)
    texts, counts = quoted_sets(np.asarray(owner, np.intp), rows, n)
    for k in range(n):
        mine = {d for o, d in zip(owner, picked, strict=True) if o == k}
        assert texts[k] == _quoted(mine)
        assert counts[k] == len(mine)
    assert quoted_sets(np.zeros(0, np.intp), rows[:0], 3)[0] == [b"", b"", b""]


def test_the_ids_bytes_moved_in_chunks_are_the_index_made_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ids of one and several bytes a character, some held twice, given unsorted
    oids = _ids(600, seed=4)
    given = oids[:50] + oids + oids[20:30]
    random.Random(6).shuffle(given)
    digests = [_digest(f"{o}{k}") for k, o in enumerate(given)]
    whole = DigestIndex(given, b"".join(digests))
    monkeypatch.setattr(digest_index, "REORDER_CHUNK", 7)
    chunked = DigestIndex(given, b"".join(digests))
    assert whole._text.tobytes() == chunked._text.tobytes()
    assert whole._ends.tolist() == chunked._ends.tolist()
    # each id's text in the index is the id the hash order put there
    order = sorted(range(len(given)), key=lambda k: hash(given[k]))
    held = [given[k] for k in order]
    assert chunked._text.tobytes() == "".join(held).encode("utf-8", "surrogatepass")
    asked = [*oids[::5], "none", *oids[20:30]]
    assert chunked.digests_of(asked) == _by_dict(given, digests, asked)
