"""The evidence ledger: an append-only transparency log every party can verify.

Records (violations, escalation notices, digests of observations) are stored
in RFC 8785 canonical JSON, hashed as RFC 9162 Merkle leaves, and committed
by Ed25519-signed tree heads. Inclusion and consistency proofs are written as
self-contained bundles that ``verify_bundle`` checks offline with the public
key alone. There is no update or delete path. See ``docs/ledger.md``.
"""

from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.heads import SignedTreeHead
from ceasefire.ledger.keys import generate_key, key_id, load_private_key, load_public_key
from ceasefire.ledger.log import Ledger, TornTail
from ceasefire.ledger.proofs import verify_bundle
from ceasefire.ledger.report import ProofCheck, VerifyReport

__all__ = [
    "Ledger",
    "ProofCheck",
    "SignedTreeHead",
    "TornTail",
    "VerifyReport",
    "canonical_json",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "verify_bundle",
]
