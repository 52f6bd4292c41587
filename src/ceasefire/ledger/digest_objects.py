"""JSON objects of keys to SHA-256 digests (``{"key":"hex",...}``) written by
arrays: a day's ``observations`` records hold a million such pairs, which a
dict of strings and a JSON encoder make one object at a time."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ceasefire.ledger.digest_index import DIGEST_BYTES, IP, _ragged

__all__ = ["digest_object", "plain_keys"]

#: a pair but its key's bytes: ``"`` key ``":"`` 64 hex digits ``",``
_PAIR_BYTES = 2 * DIGEST_BYTES + 6
#: each byte's two lowercase hex digits, as two bytes in memory
_HEX_PAIRS = np.frombuffer("".join(f"{b:02x}" for b in range(256)).encode("ascii"), dtype=np.uint16)


#: bytes :func:`plain_keys` tests at once (its four masks stay a few MB for a day's keys)
_PLAIN_CHUNK = 1 << 20


def plain_keys(text: npt.NDArray[np.uint8]) -> bool:
    """Whether ``text`` (keys' bytes) is printable ASCII without ``"`` or ``\\``:
    bytes a JSON string holds as they are (RFC 8785 escapes none of them)."""
    for a in range(0, len(text), _PLAIN_CHUNK):
        part = text[a : a + _PLAIN_CHUNK]
        ok = (part >= 0x20) & (part < 0x7F) & (part != ord('"')) & (part != ord("\\"))
        if not ok.all():
            return False
    return True


def digest_object(
    text: npt.NDArray[np.uint8], starts: IP, sizes: IP, rows: npt.NDArray[np.uint8]
) -> bytes:
    """The JSON object of key ``k`` (``text[starts[k] : starts[k] + sizes[k]]``,
    :func:`plain_keys`) to the lowercase hex of ``rows[k]`` (``DIGEST_BYTES``),
    in the order given, without spaces: what RFC 8785 writes of keys given sorted."""
    n = len(starts)
    if n == 0:
        return b"{}"
    # a row a pair, its key ending at one column so that what follows it is in
    # columns: ``"`` key ``":"`` hex ``",``, right-aligned, then the rows'
    # bytes from each pair's opening quote on, in order
    width = int(sizes.max()) + _PAIR_BYTES
    tail = _PAIR_BYTES - 1  # the bytes after a key
    table = np.empty((n, width), np.uint8)
    table[:, width - tail : width - tail + 3] = np.frombuffer(b'":"', np.uint8)
    hex_from = width - tail + 3
    table[:, hex_from : hex_from + 2 * DIGEST_BYTES] = _HEX_PAIRS[rows].view(np.uint8)
    table[:, -2] = ord('"')
    table[:, -1] = ord(",")
    first = width - tail - 1 - sizes  # each pair's opening quote's column
    at = np.arange(n, dtype=np.intp) * width
    flat = table.reshape(-1)
    flat[at + first] = ord('"')
    flat[_ragged(at + first + 1, sizes)] = text[_ragged(starts, sizes)]
    pairs = table[np.arange(width)[None, :] >= first[:, None]]
    # the last pair's comma left out
    return b"{" + pairs[:-1].tobytes() + b"}"
