"""Self-contained proof bundles, and their offline verification with the public key alone.

An inclusion bundle carries the record, its leaf index and hash, the RFC 9162
inclusion path and the signed tree head it leads to; a consistency bundle
carries two signed heads and the RFC 9162 consistency proof between them.
Both name the key id of the mission key. A party's analyst verifies them
with ``verify_bundle(bundle, public_key_pem)`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ceasefire.ledger.canonical import canonical_json, check_record
from ceasefire.ledger.heads import SignedTreeHead, verify_head
from ceasefire.ledger.keys import key_id, load_public_key
from ceasefire.ledger.merkle import leaf_hash, root_from_inclusion, verify_consistency
from ceasefire.ledger.report import ProofCheck
from ceasefire.model.errors import LedgerError, VerificationError

if TYPE_CHECKING:
    from ceasefire.ledger.log import Ledger

__all__ = ["BUNDLE_FORMAT", "consistency_bundle", "inclusion_bundle", "verify_bundle"]

BUNDLE_FORMAT = "ceasefire-ledger-proof/v1"

_ABOUT = {
    "hash": "SHA-256",
    "tree": "RFC 9162 section 2.1 (leaf = H(0x00||record), node = H(0x01||l||r))",
    "record_encoding": "RFC 8785 JSON canonicalization of 'record', UTF-8",
    "head_signature": "Ed25519 over b'ceasefire-ledger/sth/v1\\x00' || u64be size || "
    "u64be timestamp_ms || root_hash",
}


def _covering_head(led: Ledger, index: int, head: SignedTreeHead | None) -> SignedTreeHead:
    heads = led.heads()
    if head is not None:
        if head not in heads:
            raise LedgerError(f"the head of size {head.size} is not one of this ledger's heads")
        if head.size <= index:
            raise LedgerError(f"the head of size {head.size} does not cover record {index}")
        return head
    if not heads or heads[-1].size <= index:
        raise LedgerError(
            f"record {index} is not yet covered by a signed head (latest head size "
            f"{heads[-1].size if heads else 0}); sign a head first (ceasefire ledger head --sign)"
        )
    return heads[-1]


def inclusion_bundle(
    led: Ledger, record_id: str, head: SignedTreeHead | None = None
) -> dict[str, Any]:
    """The inclusion bundle of ``record_id`` under ``head`` (default: the latest head)."""
    index = led.index_of(record_id)
    sth = _covering_head(led, index, head)
    path = led.inclusion_proof(index, sth.size)
    return {
        "format": BUNDLE_FORMAT,
        "kind": "inclusion",
        "record": led.record(index),
        "leaf_index": index,
        "leaf_hash": led.leaf_hash(index).hex(),
        "tree_size": sth.size,
        "inclusion_path": [p.hex() for p in path],
        "signed_head": sth.to_dict(),
        "key_id": sth.key_id,
        "about": dict(_ABOUT),
    }


def consistency_bundle(
    led: Ledger, old: SignedTreeHead, new: SignedTreeHead | None = None
) -> dict[str, Any]:
    """The consistency bundle from signed head ``old`` to ``new`` (default: the latest)."""
    heads = led.heads()
    new = new if new is not None else (heads[-1] if heads else None)
    if new is None or new not in heads:
        raise LedgerError("the new head must be a signed head of this ledger")
    # ``old`` may be a head a party kept and the log no longer lists: the
    # proof is computed from its size, and fails to verify if the log forked.
    if old.size > new.size:
        raise LedgerError(f"old head size {old.size} exceeds new head size {new.size}")
    proof = led.consistency_proof(old.size, new.size)
    return {
        "format": BUNDLE_FORMAT,
        "kind": "consistency",
        "old_head": old.to_dict(),
        "new_head": new.to_dict(),
        "consistency_path": [p.hex() for p in proof],
        "key_id": new.key_id,
        "about": dict(_ABOUT),
    }


def _hexlist(bundle: Mapping[str, Any], name: str) -> list[bytes]:
    value = bundle.get(name)
    if not isinstance(value, list):
        raise VerificationError(f"bundle: field '{name}' is missing; expected a list of hashes")
    out = []
    for i, item in enumerate(value):
        try:
            h = bytes.fromhex(item)
        except (TypeError, ValueError) as exc:
            raise VerificationError(f"bundle: {name}[{i}] is not hex") from exc
        if len(h) != 32:
            raise VerificationError(f"bundle: {name}[{i}] has {len(h)} bytes; expected 32")
        out.append(h)
    return out


def _int(bundle: Mapping[str, Any], name: str) -> int:
    value = bundle.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise VerificationError(f"bundle: field '{name}' is {value!r}; expected an integer >= 0")
    return value


def verify_bundle(
    bundle: Mapping[str, Any], public_key_pem: bytes, kept: SignedTreeHead | None = None
) -> ProofCheck:
    """Verify a proof bundle offline with the mission public key; VerificationError if not.

    ``kept``: a head the verifier kept; a consistency bundle must start from it
    (so the log is shown to extend what the party saw before).
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        found = bundle.get("format") if isinstance(bundle, Mapping) else type(bundle).__name__
        raise VerificationError(f"bundle: format {found!r}; expected {BUNDLE_FORMAT!r}")
    key = load_public_key(public_key_pem)
    kid = key_id(key)
    if bundle.get("key_id") != kid:
        raise VerificationError(
            f"bundle: made under mission key {str(bundle.get('key_id'))[:16]}…, but the key "
            f"given is {kid[:16]}…; expected the key that signed the log (wrong key?)"
        )
    kind = bundle.get("kind")
    if kind == "inclusion":
        return _verify_inclusion(bundle, key, kid)
    if kind == "consistency":
        check = _verify_consistency(bundle, key, kid)
        if kept is not None and check.old_head is not None:
            verify_head(kept, key, f"kept head (size {kept.size}, time {kept.time})")
            if (check.old_head.size, check.old_head.root_hash) != (kept.size, kept.root_hash):
                raise VerificationError(
                    f"bundle: proves consistency from the head of size {check.old_head.size} "
                    f"(root {check.old_head.root_hash[:16]}…), not from the kept head of size "
                    f"{kept.size} (root {kept.root_hash[:16]}…); ask for a proof from the kept head"
                )
        return check
    raise VerificationError(f"bundle: kind {kind!r}; expected 'inclusion' or 'consistency'")


def _verify_inclusion(bundle: Mapping[str, Any], key: Any, kid: str) -> ProofCheck:
    head = SignedTreeHead.from_dict(bundle.get("signed_head"), "bundle: signed_head")
    verify_head(head, key, f"bundle: signed head (size {head.size}, time {head.time})")
    record = bundle.get("record")
    try:
        rid = check_record(record, "bundle: record")
        data = canonical_json(record)
    except LedgerError as exc:
        raise VerificationError(str(exc)) from exc
    leaf = leaf_hash(data)
    claimed = bundle.get("leaf_hash")
    if claimed is not None and claimed != leaf.hex():
        raise VerificationError(
            f"bundle: the record hashes to leaf {leaf.hex()[:16]}…, but the bundle says "
            f"{str(claimed)[:16]}…; the record was altered"
        )
    index = _int(bundle, "leaf_index")
    size = _int(bundle, "tree_size") if "tree_size" in bundle else head.size
    if size != head.size:
        raise VerificationError(
            f"bundle: tree_size {size} differs from the signed head's size {head.size}"
        )
    path = _hexlist(bundle, "inclusion_path")
    root = root_from_inclusion(index, head.size, leaf, path)
    if root is None or root.hex() != head.root_hash:
        got = "a malformed path" if root is None else f"root {root.hex()[:16]}…"
        raise VerificationError(
            f"bundle: record {rid!r} at leaf index {index} with its inclusion path leads to "
            f"{got}; the signed head of size {head.size} has root {head.root_hash[:16]}… "
            "(record, index or path altered)"
        )
    assert isinstance(record, Mapping)
    return ProofCheck(
        kind="inclusion",
        key_id=kid,
        head=head,
        record_id=rid,
        record_type=str(record.get("type")),
        leaf_index=index,
    )


def _verify_consistency(bundle: Mapping[str, Any], key: Any, kid: str) -> ProofCheck:
    old = SignedTreeHead.from_dict(bundle.get("old_head"), "bundle: old_head")
    new = SignedTreeHead.from_dict(bundle.get("new_head"), "bundle: new_head")
    verify_head(old, key, f"bundle: old head (size {old.size}, time {old.time})")
    verify_head(new, key, f"bundle: new head (size {new.size}, time {new.time})")
    proof = _hexlist(bundle, "consistency_path")
    if not verify_consistency(
        old.size, bytes.fromhex(old.root_hash), new.size, bytes.fromhex(new.root_hash), proof
    ):
        raise VerificationError(
            f"bundle: the consistency proof does not show the tree of size {old.size} (root "
            f"{old.root_hash[:16]}…) to be a prefix of the tree of size {new.size} (root "
            f"{new.root_hash[:16]}…); the log was rewritten or the proof altered"
        )
    return ProofCheck(kind="consistency", key_id=kid, head=new, old_head=old)
