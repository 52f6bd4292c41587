"""What the stages produce: events (fusion), violations and escalations (assessment).

Positions are WGS84 degrees; covariances are in a local east/north frame, m²,
as ``(var_east, var_north, cov_east_north)``; times are UTC epoch seconds.
"""

from __future__ import annotations

import math
import operator
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from typing import Any, TypeVar

#: Chi-square quantile, 2 degrees of freedom, 95 %: scales a 1-sigma ellipse to 95 %.
CHI2_2DOF_95 = 5.991464547107979


@dataclass(frozen=True, slots=True)
class Ellipse:
    """An uncertainty ellipse: semi-axes in m, orientation of the major axis in
    degrees clockwise from north (0-180)."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    confidence: float = 0.95

    def to_dict(self) -> dict[str, float]:
        return {
            "semi_major_m": round(self.semi_major_m, 1),
            "semi_minor_m": round(self.semi_minor_m, 1),
            "orientation_deg": round(self.orientation_deg, 1),
            "confidence": self.confidence,
        }


def ellipse_from_cov(cov_m2: tuple[float, float, float], scale2: float = CHI2_2DOF_95) -> Ellipse:
    """The ellipse of ``cov_m2`` = (var_e, var_n, cov_en) scaled by ``scale2`` (χ² quantile)."""
    ve, vn, cen = cov_m2
    tr = ve + vn
    det_term = math.sqrt(max(((ve - vn) / 2.0) ** 2 + cen**2, 0.0))
    l1 = tr / 2.0 + det_term
    l2 = max(tr / 2.0 - det_term, 0.0)
    # direction of the major axis in (east, north); azimuth = atan2(east, north)
    if abs(cen) < 1e-12 and ve >= vn:
        ex, ny = 1.0, 0.0
    elif abs(cen) < 1e-12:
        ex, ny = 0.0, 1.0
    else:
        ex, ny = l1 - vn, cen
    azimuth = math.degrees(math.atan2(ex, ny)) % 180.0
    return Ellipse(math.sqrt(scale2 * l1), math.sqrt(scale2 * l2), azimuth)


def _ellipse_95(cov_m2: tuple[float, float, float]) -> Ellipse:
    """:func:`ellipse_from_cov` at 95 %, remembered for a tuple of nonzero floats:
    equal such covariances hold the same bits (0.0 equals -0.0, whose ellipse
    may differ in a sign; an integer equals its float)."""
    if type(cov_m2) is tuple and set(map(type, cov_m2)) <= _FLOAT and 0.0 not in cov_m2:
        return _remembered_95(cov_m2)
    return ellipse_from_cov(cov_m2)


_FLOAT = frozenset((float,))

_T = TypeVar("_T")


def _pickled_by_fields(cls: type[_T]) -> type[_T]:
    """``cls`` (a slotted frozen dataclass) pickled as its constructor's
    arguments: ``dataclasses``' own state for slots is set back field by field,
    each time asking for the fields again (~2x the CPU of the class's
    ``__init__``): a stress day's parts hand ~90 k violations and their events
    from the fusion pool to the main process."""
    values = operator.attrgetter(*(f.name for f in fields(cls)))  # type: ignore[arg-type]

    def reduce(self: _T) -> tuple[type[_T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]
    return cls


def _set_by_slots(cls: type[_T]) -> type[_T]:
    """``cls`` (a slotted frozen dataclass without default factories) given an
    ``__init__`` of the same signature and defaults that sets each field by its
    slot's descriptor: the dataclass's own calls ``object.__setattr__`` by name
    per field (~2x the CPU; fusion makes every event, the pool unpickles them)."""
    fs = fields(cls)  # type: ignore[arg-type]
    # what the dataclass's own __init__ would do beyond setting the fields
    extra = hasattr(cls, "__post_init__") or any(f.kw_only is True for f in fs)
    if extra or any(f.default_factory is not MISSING or not f.init for f in fs):
        raise TypeError(f"{cls.__name__}: only plain fields are set by slots")
    params = ", ".join(f.name if f.default is MISSING else f"{f.name}=_d_{f.name}" for f in fs)
    body = "".join(f"    _s_{f.name}(self, {f.name})\n" for f in fs)
    ns: dict[str, Any] = {f"_s_{f.name}": getattr(cls, f.name).__set__ for f in fs}
    ns.update({f"_d_{f.name}": f.default for f in fs if f.default is not MISSING})
    exec(f"def __init__(self, {params}) -> None:\n{body}", ns)
    init = ns["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {f.name: f.type for f in fs} | {"return": None}
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


#: a violated event's ellipse is asked for up to five times (its and its
#: violation's store row and GeoJSON feature, the map), each list of a part's
#: rows or features in turn: a part holds up to a few thousand events
_remembered_95 = lru_cache(maxsize=1 << 14)(ellipse_from_cov)


#: flag of a paired round: ``pair_side_doubt:<p>``, the probability (two decimals)
#: that its launch lies across the contact line from the launch point it was paired
#: with (another candidate launch across the line nearly as good)
SIDE_DOUBT = "pair_side_doubt:"


def side_doubt(flags: tuple[str, ...]) -> float:
    """The ``pair_side_doubt`` of an event's flags; 0 when absent."""
    for f in flags:
        if f.startswith(SIDE_DOUBT):
            return float(f[len(SIDE_DOUBT) :])
    return 0.0


@_pickled_by_fields
@_set_by_slots
@dataclass(frozen=True, slots=True)
class Event:
    """A physical event (a round fired or exploding) or an object track, fused
    from one or more observations.

    ``lat``/``lon`` is None when no position could be estimated (a single
    bearing without range); then ``observer_lat``/``observer_lon`` say who
    reported it, ``bearing_deg`` its bearing, and ``flags`` contains
    ``"no_position"``. A located impact joined by a lone bearing of its launch
    (flag ``"launch_ray"``) carries that bearing and its observer the same way.
    """

    id: str
    kind: str
    time_s: float
    lat: float | None
    lon: float | None
    cov_m2: tuple[float, float, float] | None
    observation_ids: tuple[str, ...]
    n_observers: int
    direction: str = "undetermined"
    weapon: str = "undetermined"
    object: str | None = None
    count: int = 0
    party_marked: str | None = None
    first_seen_s: float | None = None
    last_seen_s: float | None = None
    launch_lat: float | None = None
    launch_lon: float | None = None
    launch_cov_m2: tuple[float, float, float] | None = None
    observer_lat: float | None = None
    observer_lon: float | None = None
    bearing_deg: float | None = None
    flags: tuple[str, ...] = ()

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def ellipse(self) -> Ellipse | None:
        return _ellipse_95(self.cov_m2) if self.cov_m2 is not None else None


@_pickled_by_fields
@_set_by_slots
@dataclass(frozen=True, slots=True)
class Violation:
    """A breach of a mandate rule, with its evidence and attribution.

    ``party`` is a party id or ``"undetermined"``; ``party_probability`` is the
    probability of the named party (of the likeliest one when undetermined);
    ``probabilities`` maps every party id to its probability.
    """

    id: str
    rule: str
    severity: str
    kind: str
    time_s: float
    lat: float | None
    lon: float | None
    cov_m2: tuple[float, float, float] | None
    party: str
    party_probability: float
    probabilities: dict[str, float]
    event_ids: tuple[str, ...]
    observation_ids: tuple[str, ...]
    distance_to_line_km: float | None
    side: str | None
    response: str
    object: str | None = None
    weapon: str | None = None
    sector: str | None = None
    first_seen_s: float | None = None
    last_seen_s: float | None = None
    notes: tuple[str, ...] = ()
    #: the launch point of a round whose launch and impact fusion paired (``lat``,
    #: ``lon`` are then the impact's)
    launch_lat: float | None = None
    launch_lon: float | None = None

    @property
    def ellipse(self) -> Ellipse | None:
        return _ellipse_95(self.cov_m2) if self.cov_m2 is not None else None


@dataclass(frozen=True, slots=True)
class Escalation:
    """A notice that a line of defence's trigger was crossed (``raised``) or
    that its condition cleared (``cleared``)."""

    id: str
    state: str
    line: int
    line_name: str
    holder: str
    trigger: str
    time_s: float
    party: str | None
    sector: str | None
    violation_ids: tuple[str, ...]
    message: str
    details: dict[str, Any] = field(default_factory=dict)
