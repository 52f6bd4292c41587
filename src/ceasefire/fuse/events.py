"""Building :class:`~ceasefire.model.results.Event` objects from fused groups:
content-derived ids, consensus labels, covariances in true east/north."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ceasefire.model.results import CHI2_2DOF_95
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, WEAPONS

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int8]


def event_id(keys: Sequence[str], prefix: str = "ev-") -> str:
    """``prefix`` + the first 16 hex digits of the SHA-256 of the sorted keys."""
    h = hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()
    return prefix + h[:16]


def consensus(codes: I8, labels: IP, n_groups: int, n_codes: int, undetermined: int) -> IP:
    """Per group, the most frequent determined code (ties: the lowest code), or
    ``undetermined`` when no member has one."""
    m = (labels >= 0) & (codes != undetermined) & (codes >= 0)
    counts = np.bincount(
        labels[m] * n_codes + codes[m].astype(np.intp), minlength=n_groups * n_codes
    ).reshape(n_groups, n_codes)
    out = np.argmax(counts, axis=1).astype(np.intp)
    out[counts.sum(axis=1) == 0] = undetermined
    return out


def semi_major_95_m(cov_en: F8) -> F8:
    """95 % semi-major axis (m) of covariances ``(n, 2, 2)``."""
    a, d, b = cov_en[:, 0, 0], cov_en[:, 1, 1], cov_en[:, 0, 1]
    l1 = (a + d) / 2 + np.sqrt(np.maximum(((a - d) / 2) ** 2 + b * b, 0.0))
    return np.sqrt(CHI2_2DOF_95 * np.maximum(l1, 0.0))


UND_EVENT = EVENT_KINDS.index("undetermined")
UND_DIR = DIRECTIONS.index("undetermined")
UND_WEAPON = WEAPONS.index("undetermined")
OUTGOING = DIRECTIONS.index("outgoing")
INCOMING = DIRECTIONS.index("incoming")
EXPLOSION = EVENT_KINDS.index("explosion")
FIRING = EVENT_KINDS.index("firing")


#: flag of an event whose kind no report named, taken from its direction class
#: (:func:`kind_name`): attribution weighs such a phase as a direction class, not a kind
KIND_BY_DIRECTION = "kind_by_direction"


def kind_by_direction(kind_code: int, dir_code: int) -> bool:
    """Whether :func:`kind_name` takes the kind from the direction class."""
    return kind_code == UND_EVENT and dir_code in (OUTGOING, INCOMING)


def kind_name(kind_code: int, dir_code: int) -> str:
    """The event kind, defaulting by direction when the reports name none
    (:func:`kind_by_direction`)."""
    if kind_code == UND_EVENT:
        if dir_code == OUTGOING:
            return "firing"
        if dir_code == INCOMING:
            return "explosion"
    return str(EVENT_KINDS[kind_code])
