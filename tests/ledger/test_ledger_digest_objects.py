"""``digest_object``: a JSON object of keys to digests' hex written by arrays, the
bytes RFC 8785 writes for the same keys given sorted (``canonical_json``)."""

from __future__ import annotations

import hashlib

import numpy as np

from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.digest_index import DIGEST_BYTES
from ceasefire.ledger.digest_objects import digest_object, plain_keys


def _arrays(keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    text = np.frombuffer("".join(keys).encode("ascii"), np.uint8)
    sizes = np.fromiter(map(len, keys), np.intp, len(keys))
    starts = np.cumsum(sizes) - sizes
    rows = np.frombuffer(
        b"".join(hashlib.sha256(k.encode()).digest() for k in keys), np.uint8
    ).reshape(-1, DIGEST_BYTES)
    return text, starts, sizes, rows


def test_the_object_is_the_canonical_json_of_the_dict() -> None:
    # keys of several lengths (one, and longer than the rest), given sorted
    keys = sorted(["a/1", "mic-006a/o0000001", "cam-7/x", "z", "b/" + "k" * 90, "a/10"])
    text, starts, sizes, rows = _arrays(keys)
    got = digest_object(text, starts, sizes, rows)
    want = canonical_json({k: hashlib.sha256(k.encode()).hexdigest() for k in keys})
    assert got == want
    # a slice of the keys, taken where they lie in a longer text (not from its start)
    assert digest_object(text, starts[2:4], sizes[2:4], rows[2:4]) == canonical_json(
        {k: hashlib.sha256(k.encode()).hexdigest() for k in keys[2:4]}
    )


def test_one_pair_and_none() -> None:
    text, starts, sizes, rows = _arrays(["s/i"])
    assert digest_object(text, starts, sizes, rows) == (
        b'{"s/i":"' + hashlib.sha256(b"s/i").hexdigest().encode() + b'"}'
    )
    assert digest_object(text[:0], starts[:0], sizes[:0], rows[:0]) == b"{}"


def test_plain_keys_are_printable_ascii_but_quote_and_backslash() -> None:
    def plain(s: str) -> bool:
        return plain_keys(np.frombuffer(s.encode("utf-8"), np.uint8))

    assert plain("mic-006a/o0000001 ~!{}")
    for bad in ('a"b', "a\\b", "a\nb", "a\tb", "a\x7fb", "é"):
        assert not plain(bad), bad
