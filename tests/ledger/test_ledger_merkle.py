"""Known-answer vectors (RFC 6962 / Certificate Transparency reference test data) and
properties of the tree, the node file layout and the canonical encoder."""

from __future__ import annotations

import hashlib
import os

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.merkle import (
    EMPTY_ROOT,
    consistency_path,
    inclusion_path,
    leaf_hash,
    levels_of,
    mth,
    node_hash,
    root_from_inclusion,
    subtree_from_levels,
    verify_consistency,
    verify_inclusion,
)
from ceasefire.ledger.nodes import NodeFile, entries_for, extend, leaves_for_entries, peaks_of
from ceasefire.model.errors import LedgerError

# The eight leaves of the CT reference tests (certificate-transparency merkle_tree_test).
CT_LEAVES = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
HASHES = [leaf_hash(x) for x in CT_LEAVES]


def _ref(hashes: list[bytes]):  # subtree oracle from the plain recursion
    return lambda lo, hi: mth(hashes[lo:hi])


def test_leaf_and_node_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert leaf_hash(a + b) != node_hash(a, b)
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]


@pytest.mark.parametrize("n", range(9))
def test_ct_roots(n: int) -> None:
    assert mth(HASHES[:n]).hex() == CT_ROOTS[n]
    assert subtree_from_levels(levels_of(b"".join(HASHES[:n])), 0, n).hex() == CT_ROOTS[n]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_ct_inclusion(index: int, size: int, expected: list[str]) -> None:
    path = inclusion_path(index, size, _ref(HASHES))
    assert [p.hex() for p in path] == expected
    assert verify_inclusion(index, size, HASHES[index], path, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "expected"), CT_CONSISTENCY)
def test_ct_consistency(old: int, new: int, expected: list[str]) -> None:
    proof = consistency_path(old, new, _ref(HASHES))
    assert [p.hex() for p in proof] == expected
    assert verify_consistency(
        old, bytes.fromhex(CT_ROOTS[old]), new, bytes.fromhex(CT_ROOTS[new]), proof
    )


def test_verifiers_refuse_lies() -> None:
    root8 = bytes.fromhex(CT_ROOTS[8])
    path = inclusion_path(5, 8, _ref(HASHES))
    assert not verify_inclusion(4, 8, HASHES[5], path, root8)
    assert not verify_inclusion(5, 8, HASHES[4], path, root8)
    assert not verify_inclusion(5, 8, HASHES[5], path[:-1], root8)
    assert not verify_inclusion(5, 8, HASHES[5], [*path, root8], root8)
    assert not verify_inclusion(8, 8, HASHES[5], path, root8)
    assert root_from_inclusion(5, 8, HASHES[5], [b"short"]) is None
    root6 = bytes.fromhex(CT_ROOTS[6])
    proof = consistency_path(6, 8, _ref(HASHES))
    assert not verify_consistency(6, root8, 8, root8, proof)
    assert not verify_consistency(6, root6, 8, root8, proof[:-1])
    assert not verify_consistency(8, root8, 6, root6, [])
    assert verify_consistency(0, EMPTY_ROOT, 8, root8, [])
    assert not verify_consistency(0, root6, 8, root8, [])
    assert not verify_consistency(8, root6, 8, root8, [])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 70), st.data())
def test_proofs_match_the_rfc_recursion(n: int, data: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    root = mth(hashes)
    levels = levels_of(b"".join(hashes))
    fast = lambda lo, hi: subtree_from_levels(levels, lo, hi)  # noqa: E731
    i = data.draw(st.integers(0, n - 1))
    path = inclusion_path(i, n, fast)
    assert path == inclusion_path(i, n, _ref(hashes))
    assert verify_inclusion(i, n, hashes[i], path, root)
    m = data.draw(st.integers(0, n))
    proof = consistency_path(m, n, fast)
    assert proof == consistency_path(m, n, _ref(hashes))
    assert verify_consistency(m, mth(hashes[:m]), n, root, proof)
    if proof:
        bad = [bytes(32), *proof[1:]]
        assert not verify_consistency(m, mth(hashes[:m]), n, root, bad)


def test_node_file_layout(tmp_path) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(300)]
    out, peaks = extend([], hashes[:123])
    out2, peaks = extend(peaks, hashes[123:])
    data = out + out2
    assert len(data) == 32 * entries_for(300)
    path = tmp_path / "nodes.bin"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        nodes = NodeFile(fd)
        for n in (1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300):
            assert nodes.root(n) == mth(hashes[:n])
        assert [h for _, h in peaks] == [h for _, h in nodes.peaks(300)]
        assert [k for k, _ in peaks_of(300)] == [8, 5, 3, 2]
    finally:
        os.close(fd)
    for n in range(200):
        assert leaves_for_entries(entries_for(n)) == n
        assert (
            leaves_for_entries(entries_for(n) + 1) == n or entries_for(n + 1) == entries_for(n) + 1
        )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_json_equals_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        with pytest.raises(LedgerError):
            canonical_json(value)
        return
    except UnicodeEncodeError:
        with pytest.raises(LedgerError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "x", [1e21, 1e20, 1e-6, 1e-7, 5e-324, 2.0**60, -0.0, 0.1, 123456789.125, 1.7976931348623157e308]
)
def test_canonical_numbers(x: float) -> None:
    assert canonical_json(x) == rfc8785.dumps(x)


def test_canonical_refuses_non_json() -> None:
    for bad in (float("nan"), {1: 2}, 2**60, b"x", object()):
        with pytest.raises(LedgerError):
            canonical_json(bad)
    # keys sort by UTF-16 code units (RFC 8785 §3.2.3), not by code points
    doc = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical_json(doc) == rfc8785.dumps(doc)


#: Objects and arrays of strings only (the fast pass writes them in one join).
string_containers = st.dictionaries(st.text(), st.text(), max_size=6) | st.lists(
    st.text(), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(string_containers)
def test_canonical_string_containers_equal_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except UnicodeEncodeError:
        with pytest.raises(LedgerError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_canonical_other_mappings_sequences_and_error_paths() -> None:
    """Other mappings, tuples and escapes give rfc8785's bytes; errors name their path."""
    from collections import OrderedDict

    digests = {f"src/{i}": f"{i:064x}" for i in range(50)}
    doc = {"type": "violation", "id": "v-1", "t": 1.5, "n": 3, "d": digests, "l": ["b", "a"]}
    assert canonical_json(doc) == rfc8785.dumps(doc)
    assert canonical_json(OrderedDict(doc)) == rfc8785.dumps(doc)  # a Mapping, not a dict
    assert canonical_json(("x", 1.0, [])) == b'["x",1,[]]'  # a tuple is an array
    assert canonical_json({"k": 'q"\\\n\x01é'}) == rfc8785.dumps({"k": 'q"\\\n\x01é'})
    with pytest.raises(LedgerError, match=r"\$\.a\.b\[1\]: integer"):
        canonical_json({"a": {"b": [1, 2**60]}})
    with pytest.raises(LedgerError, match=r"\$\.a: object key 1"):
        canonical_json({"a": {1: "x"}})
    with pytest.raises(LedgerError, match=r"\$\.a\[0\]\.x\[2\]: nan is not a JSON number"):
        canonical_json({"a": [{"x": [1.0, 2.0, float("nan")]}]})
    with pytest.raises(LedgerError, match=r"\$\.b: bytes is not JSON"):
        canonical_json(OrderedDict({"a": 1, "b": b"x"}))
