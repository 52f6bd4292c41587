"""A local metric frame: azimuthal equidistant projection about an origin, x east
and y north in metres. Distances and azimuths from the origin are exact; elsewhere
the scale error is about (d/R)²/6 (0.01 % at 150 km)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt
from pyproj import Transformer
from pyproj.enums import TransformDirection

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.intp]
#: what a pointwise function of points returns: arrays shaped as the points
T = TypeVar("T", bound=tuple[npt.NDArray[Any], ...])

#: the frame's projection taken backwards (m -> degrees)
_INV = TransformDirection.INVERSE

#: inputs at least this long are projected once per distinct position (the sort
#: costs about what projecting ~16 points does: 512 made a fusion tile of a few
#: hundred reports from ~40 observers project every report)
DEDUP_MIN = 32


def distinct_points(lat: F8, lon: F8) -> tuple[I8, I8]:
    """The index of one of each distinct (lat, lon) pair and, per input, the
    position of its pair among those: ``lat[first][back] == lat`` (NaNs each
    distinct). One sort, shape ``(n,)``."""
    order = np.lexsort((lon, lat))
    la, lo = lat[order], lon[order]
    new = np.empty(order.shape[0], dtype=bool)
    new[:1] = True
    np.logical_or(la[1:] != la[:-1], lo[1:] != lo[:-1], out=new[1:])
    group = new.cumsum() - 1
    back = np.empty(order.shape[0], dtype=np.intp)
    back[order] = group
    return order[new], back


def per_distinct_point(f: Callable[[F8, F8], T], a: F8, b: F8) -> T:
    """``f(a, b)`` for a function pointwise in the points ``(a, b)`` (each of its
    arrays shaped as ``a``): made once per distinct point and spread back when the
    input is long and repeats (at least :data:`DEDUP_MIN` points, at most half of
    them distinct; observations repeat their observers' positions), which gives
    the same numbers."""
    if a.ndim == 1 and a.shape[0] >= DEDUP_MIN and a.shape == b.shape:
        first, back = distinct_points(a, b)
        if first.shape[0] * 2 <= a.shape[0]:
            return cast(T, tuple(v[back] for v in f(a[first], b[first])))
    return f(a, b)


@dataclass(frozen=True)
class LocalFrame:
    """East/north metres about (``lat0``, ``lon0``)."""

    lat0: float
    lon0: float
    _proj: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the aeqd projection alone, used both ways: pyproj turns degrees into
        # radians and back itself around a projection, which gives the numbers of
        # pipelines with PROJ's unit conversion steps (what pyproj builds for
        # EPSG:4326 <-> this aeqd CRS) bit for bit (tests/geo/test_geo_frame.py);
        # one PROJ object a frame, without a CRS database look-up (~140 ms a frame),
        # ~0.03 ms to make against ~0.16 ms for a forward and an inverse pipeline
        # (live windows build a frame every few seconds, a fusion tile two or three)
        object.__setattr__(self, "_proj", Transformer.from_pipeline(self._aeqd))

    @property
    def _aeqd(self) -> str:
        return f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +x_0=0 +y_0=0 +ellps=WGS84"

    def to_xy(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, *, repeats: bool = True
    ) -> tuple[F8, F8]:
        """(x east, y north) in m of WGS84 (lat, lon) in degrees, any equal shapes.

        Observations repeat their observers' positions (a post reports all day
        from one spot): long inputs are projected once per distinct position,
        which gives the same numbers (the projection is pointwise). ``repeats``
        False: the caller knows its points are (nearly all) distinct, so every one
        is projected without that search (its sort would be wasted)."""
        la = np.asarray(lat, float)
        lo = np.asarray(lon, float)
        return per_distinct_point(self._each_xy, la, lo) if repeats else self._each_xy(la, lo)

    def _each_xy(self, la: F8, lo: F8) -> tuple[F8, F8]:
        """:meth:`to_xy` of every point."""
        x, y = self._proj.transform(lo, la)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F8, F8]:
        """WGS84 (lat, lon) in degrees of frame coordinates in m."""
        lon, lat = self._proj.transform(np.asarray(x, float), np.asarray(y, float), direction=_INV)
        return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)

    @staticmethod
    def about(lat: npt.ArrayLike, lon: npt.ArrayLike) -> LocalFrame:
        """A frame about the middle of the bounding box of the given points."""
        la = np.asarray(lat, float)
        lo = np.asarray(lon, float)
        if np.isfinite(la).all() and np.isfinite(lo).all():
            # min/max give nanmin/nanmax's values here, at a fraction of their cost
            lat0, lon0 = (la.min() + la.max()) / 2, (lo.min() + lo.max()) / 2
        else:
            lat0, lon0 = (np.nanmin(la) + np.nanmax(la)) / 2, (np.nanmin(lo) + np.nanmax(lo)) / 2
        key = (float(lat0), float(lon0))
        shared = _SHARED.get()
        if shared is None:
            return LocalFrame(*key)
        frame = shared.get(key)
        if frame is None:
            frame = shared[key] = LocalFrame(*key)
        return frame


#: the frames :meth:`LocalFrame.about` made in :func:`frames_shared`'s scope, by
#: origin (None outside one; per thread: a context variable)
_SHARED: contextvars.ContextVar[dict[tuple[float, float], LocalFrame] | None] = (
    contextvars.ContextVar("ceasefire_shared_frames", default=None)
)


#: values made of frames in :func:`frames_shared`'s scope, by their makers' keys
#: (None outside one)
_MEMO: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar(
    "ceasefire_frames_memo", default=None
)


def frames_memo() -> dict[Hashable, Any] | None:
    """In :func:`frames_shared`'s scope, a dict kept as long as its frames, for what
    callers make of a frame and want once per frame (a key naming the frame by
    its origin: equal frames project alike); None outside one."""
    return _MEMO.get()


@contextlib.contextmanager
def frames_shared() -> Iterator[None]:
    """Within it, :meth:`LocalFrame.about` hands back the frame it made before
    about the same origin (frames are immutable: the same projections), whose
    pipelines are then built once: ~0.2 ms a frame, and a fusion of many tiles
    makes two or more about each origin (its passes, its windows' grids). The
    frames are kept until it ends."""
    token = _SHARED.set({})
    memo = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(memo)
        _SHARED.reset(token)
