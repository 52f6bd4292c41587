"""Heads a party kept: checking a log against them catches rollback and forks.

A party that kept a signed head (the JSON of ``ledger head --json``) or a
checkpoint (``ledger head --checkpoint``) holds the mission's signed word
that the log had ``size`` records with ``root``. A log cut back below that
size (rollback), a log whose first ``size`` records hash to another root (a
fork or rewrite, even one re-signed with the same key), a log that no longer
lists the head (a head removed), or a head not signed by the key the party
trusts (a replaced key) all fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ceasefire.ledger.checkpoint import origin_for, parse_checkpoint
from ceasefire.ledger.heads import SignedTreeHead, verify_head
from ceasefire.ledger.keys import key_id
from ceasefire.model.errors import VerificationError

__all__ = ["KeptHead", "check_kept", "load_kept"]


@dataclass(frozen=True)
class KeptHead:
    """A head as a party kept it: a full signed head, or a checkpoint note."""

    source: str
    head: SignedTreeHead | None = None
    note: str | None = None


def load_kept(path: Path) -> list[KeptHead]:
    """The heads in ``path``: a head's JSON object, a list of them, or a checkpoint."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationError(f"{where}: cannot read the kept head ({exc})") from exc
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise VerificationError(f"{where}: not JSON ({exc}); expected a signed head") from exc
        items = data if isinstance(data, list) else [data]
        if not items:
            raise VerificationError(f"{where}: an empty list; expected at least one head")
        return [
            KeptHead(f"{where} head {i + 1}", head=SignedTreeHead.from_dict(d, f"{where}[{i}]"))
            for i, d in enumerate(items)
        ]
    return [KeptHead(where, note=text)]


def check_kept(
    kept: KeptHead,
    trusted: Ed25519PublicKey,
    heads: list[SignedTreeHead],
    size: int,
    root_of: Callable[[int], str],
) -> None:
    """VerificationError unless the log (``size`` records, ``root_of(n)`` the hex
    root of its first ``n``, ``heads`` its signed heads) agrees with ``kept``."""
    label = f"kept head {kept.source}"
    if kept.head is not None:
        verify_head(kept.head, trusted, label)
        n, root = kept.head.size, kept.head.root_hash
    else:
        assert kept.note is not None
        n, raw = parse_checkpoint(kept.note, trusted, origin_for(key_id(trusted)), label)
        root = raw.hex()
    if n > size:
        raise VerificationError(
            f"{label}: signed {n} records, but the log holds only {size}; the log was rolled "
            "back (records removed after the head was published)"
        )
    have = root_of(n)
    if have != root:
        raise VerificationError(
            f"{label}: signed root {root[:16]}… for the first {n} records, but the log's first "
            f"{n} records hash to {have[:16]}…; the log was rewritten (a fork of the history "
            "the party was shown)"
        )
    if kept.head is not None:
        listed = any(h.stored() == kept.head.stored() for h in heads) or any(
            (h.size, h.root_hash, h.timestamp_ms, h.signature)
            == (n, root, kept.head.timestamp_ms, kept.head.signature)
            for h in heads
        )
    else:
        listed = any((h.size, h.root_hash) == (n, root) for h in heads)
    if not listed:
        raise VerificationError(
            f"{label}: the head of size {n} is no longer among the log's signed heads "
            "(heads.ndjson); a signed head was removed"
        )
