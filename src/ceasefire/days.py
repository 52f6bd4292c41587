"""Many reporting days spread over a Dask cluster (``run --days``, ``whatif --days``).

Each day's input goes to a worker (read by the client and shipped, or read by
the worker itself from a store it can reach: ``worker_store``), and the client
takes the results back in day order: the store and the ledger are written by
the client alone, so the ledger stays single-writer and its order and heads are
those of the serial run. A worker runs the pipeline's own day functions
(``pipeline.fuse_day``, ``pipeline.judge_day``) on a :class:`_ShippedDay`, a
store that answers their reads from the day's input and keeps their writes for
the client to replay, so a day computed on a worker is computed by the same
lines as a serial one.

``cluster()`` opens a ``LocalCluster`` (one single-threaded worker process per
core by default) or connects to ``--scheduler tcp://...``; Dask comes in the
``cluster`` extra (``pip install 'ceasefire[cluster]'``).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ceasefire.model.errors import InputError, PipelineError

if TYPE_CHECKING:
    from distributed import Client, Future

    from ceasefire.mandate import Mandate
    from ceasefire.model import Escalation, Event, Violation
    from ceasefire.model.arrays import ObservationArrays
    from ceasefire.pipeline import DayFuser
    from ceasefire.store import Store

__all__ = [
    "DayJudgement",
    "cluster",
    "dask_fuse_days",
    "judge_days",
    "parse_day_range",
]

#: Days in flight per worker: enough to keep workers busy while the client
#: assesses and signs, few enough that the client holds a handful of days' input.
IN_FLIGHT_PER_WORKER = 2
#: The longest range ``--days`` takes (a typo of a year is refused, not run).
MAX_DAYS = 3660


def parse_day_range(text: str) -> list[date]:
    """``YYYY-MM-DD..YYYY-MM-DD`` (both days included; one day alone also) → the days."""
    first, sep, last = text.partition("..")
    try:
        a = date.fromisoformat(first.strip())
        b = date.fromisoformat(last.strip()) if sep else a
    except ValueError:
        raise InputError(
            f"--days {text!r}: expected FROM..TO as YYYY-MM-DD..YYYY-MM-DD (or one day)",
            field="days",
        ) from None
    if b < a:
        raise InputError(f"--days {text!r}: {b} is before {a}; expected FROM..TO", field="days")
    if (b - a).days >= MAX_DAYS:
        raise InputError(
            f"--days {text!r}: {(b - a).days + 1:,} days; expected at most {MAX_DAYS:,}",
            field="days",
        )
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


@contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler`` (``tcp://host:port``), or to a
    ``LocalCluster`` of ``workers`` single-threaded processes (default: one per
    core), closed on exit. Fusion holds the GIL, so workers are processes."""
    import logging
    import os

    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    n = workers if workers is not None else max(1, os.cpu_count() or 1)
    if n < 1:
        raise InputError(f"--workers {n}: expected at least 1", field="workers")
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as lc,
        Client(lc) as client,
    ):
        yield client


@dataclass
class _ShippedDay:
    """The store a worker's day functions see: reads answered from the shipped
    data (only the windows the client shipped), writes kept for the client."""

    observation_window: tuple[float, float] | None = None
    shipped_observations: ObservationArrays | None = None
    event_window: tuple[float, float] | None = None
    shipped_events: list[Event] = field(default_factory=list)
    writes: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)

    def _rows(self, start_s: float, end_s: float, sightings: bool | None) -> Any:
        import numpy as np

        from ceasefire.model.vocab import KINDS

        w, obs = self.observation_window, self.shipped_observations
        if obs is None or w is None or start_s < w[0] or end_s > w[1]:
            raise PipelineError(
                f"a worker's day asked for the observations of [{start_s}, {end_s}); "
                f"the client shipped {w}"
            )
        # the shipped rows are in the store's order (time, source, id)
        t = obs.time_s
        rows = np.arange(int(np.searchsorted(t, start_s)), int(np.searchsorted(t, end_s)))
        if sightings is not None:
            rows = rows[(obs.kind[rows] == KINDS.index("sighting")) == sightings]
        return rows

    def observations(
        self, start_s: float, end_s: float, *, sightings: bool | None = None
    ) -> ObservationArrays:
        assert self.shipped_observations is not None
        return self.shipped_observations.take(self._rows(start_s, end_s, sightings))

    def count_observations(
        self, start_s: float, end_s: float, *, sightings: bool | None = None
    ) -> int:
        return int(self._rows(start_s, end_s, sightings).shape[0])

    def events(self, start_s: float, end_s: float) -> list[Event]:
        w = self.event_window
        if w is None or start_s < w[0] or end_s > w[1]:
            raise PipelineError(
                f"a worker's day asked for the events of [{start_s}, {end_s}); "
                f"the client shipped {w}"
            )
        # the shipped events are in the store's order (time, id): a window keeps it
        return [e for e in self.shipped_events if start_s <= e.time_s < end_s]

    def replace_events(self, *args: Any, **kwargs: Any) -> None:
        self.writes.append(("replace_events", args, kwargs))

    def add_events(self, *args: Any, **kwargs: Any) -> None:
        self.writes.append(("add_events", args, kwargs))


@functools.lru_cache(maxsize=8)
def _mandate(text: str, base_dir: str | None = None) -> Mandate:
    """A worker parses each mandate text once (the client ships text, not objects;
    ``base_dir`` resolves the line files a mandate file names)."""
    from ceasefire.mandate import parse_mandate

    return parse_mandate(
        text,
        source="<mandate shipped to a worker>",
        base_dir=Path(base_dir) if base_dir is not None else None,
    )


def _fuse_shipped(
    mandate_text: str, day: date, window: tuple[float, float], obs: ObservationArrays
) -> tuple[int, list[Event], list[tuple[str, tuple[Any, ...], dict[str, Any]]]]:
    """Worker: ``pipeline.fuse_day`` on the shipped observations; its store writes."""
    from ceasefire import pipeline

    shipped = _ShippedDay(observation_window=window, shipped_observations=obs)
    n, events = pipeline.fuse_day(cast("Store", shipped), _mandate(mandate_text), day)
    return n, events, shipped.writes


def _bounded(
    items: Sequence[Any], submit: Callable[[Any], Future], in_flight: int
) -> Iterator[tuple[Any, Any]]:
    """``(item, result)`` in the order of ``items``, at most ``in_flight`` submitted
    and not yet taken (bounds what the client has read and not consumed)."""
    queue: deque[tuple[Any, Future]] = deque()
    it = iter(items)
    for item in it:
        queue.append((item, submit(item)))
        if len(queue) >= in_flight:
            break
    while queue:
        item, fut = queue.popleft()
        result = fut.result()
        fut.release()
        nxt = next(it, None)
        if nxt is not None:
            queue.append((nxt, submit(nxt)))
        yield item, result


def _workers(client: Client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _fuse_read(
    target: str, mandate_text: str, day: date, window: tuple[float, float]
) -> tuple[int, list[Event], list[tuple[str, tuple[Any, ...], dict[str, Any]]]]:
    """Worker: the day's observations read from the store ``target`` by the worker
    itself, then :func:`_fuse_shipped`."""
    obs = _worker_store(target).observations(*window)
    return _fuse_shipped(mandate_text, day, window, obs)


def dask_fuse_days(
    client: Client | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    worker_store: str | None = None,
) -> DayFuser:
    """A day fuser for ``pipeline.run(fuse_days=...)`` that fuses each day on a
    worker of ``client`` (default: a :func:`cluster` of ``scheduler``/``workers``,
    opened when the first day is fused and closed after the last); the events
    are stored by the client in day order. ``worker_store``: the store as the
    workers can open it (see :func:`judge_days`); they then read each day's
    observations themselves (SQLite's WAL lets them read while the client writes)."""

    def fuse_days(
        store: Store, mandate: Mandate, days: Sequence[date], progress: Any = None
    ) -> Iterator[tuple[int, list[Event]]]:
        if client is not None:
            yield from _fuse_on(client, store, mandate, days, progress, worker_store)
            return
        with cluster(scheduler, workers) as own:
            yield from _fuse_on(own, store, mandate, days, progress, worker_store)

    return fuse_days


def _fuse_on(
    client: Client,
    store: Store,
    mandate: Mandate,
    days: Sequence[date],
    progress: Any,
    worker_store: str | None,
) -> Iterator[tuple[int, list[Event]]]:
    """Each day fused on ``client``'s workers; its writes replayed into ``store``."""
    from ceasefire import pipeline

    # workers parse the store's mandate text: ``run`` judges under that one
    text = store.mandate_text()
    if text is None:
        raise PipelineError("the store has no mandate; run `ceasefire init` first")

    def submit(day: date) -> Future:
        window = pipeline.fuse_read_window(mandate, day)
        if worker_store is not None:
            return client.submit(_fuse_read, worker_store, text, day, window, pure=False)
        # scattered, not embedded in the task: a day's arrays may be large
        obs = client.scatter(store.observations(*window), hash=False)
        return client.submit(_fuse_shipped, text, day, window, obs, pure=False)

    in_flight = IN_FLIGHT_PER_WORKER * _workers(client)
    for k, (day, (n, events, writes)) in enumerate(_bounded(days, submit, in_flight)):
        if progress is not None:
            progress(f"{day}: fused on the cluster (day)", k, len(days))
        for name, args, kwargs in writes:
            getattr(store, name)(*args, **kwargs)
        yield n, events


@dataclass
class DayJudgement:
    """One day judged under two mandates (``whatif``): events, then violations
    and escalations under the current mandate (``a``) and the alternative (``b``)."""

    day: date
    events: int
    violations_a: list[Violation]
    escalations_a: list[Escalation]
    violations_b: list[Violation]
    escalations_b: list[Escalation]


def _judge_shipped(
    current_text: str,
    alt: tuple[str, str],
    day: date,
    window: tuple[float, float],
    events: list[Event],
    back_h: float,
) -> DayJudgement:
    """Worker: ``pipeline.judge_day`` under both mandates on the shipped events."""
    from ceasefire import pipeline
    from ceasefire.mandate import day_bounds

    shipped = cast("Store", _ShippedDay(event_window=window, shipped_events=events))
    current = _mandate(current_text)
    start, end = day_bounds(current, day)
    a, esc_a = pipeline.judge_day(shipped, current, day, back_h=back_h)
    b, esc_b = pipeline.judge_day(shipped, _mandate(*alt), day, back_h=back_h)
    return DayJudgement(day, len(shipped.events(start, end)), a, esc_a, b, esc_b)


@functools.lru_cache(maxsize=4)
def _worker_store(target: str) -> Store:
    """A worker's own connection to a store it can reach (kept for its next days)."""
    from ceasefire.store import Store

    return Store.open(target)


def _judge_read(
    target: str,
    current_text: str,
    alt: tuple[str, str],
    day: date,
    window: tuple[float, float],
    back_h: float,
) -> DayJudgement:
    """Worker: the day's events read from the store ``target`` by the worker itself
    (parsed there, in parallel), then :func:`_judge_shipped`."""
    events = _worker_store(target).events(*window)
    return _judge_shipped(current_text, alt, day, window, events, back_h)


def judge_days(
    store: Store,
    alt_path: Path,
    days: Sequence[date],
    client: Client | None = None,
    *,
    worker_store: str | None = None,
) -> Iterator[DayJudgement]:
    """Each of ``days`` judged under the store's mandate and under the mandate
    file ``alt_path``, in day order: on ``client``'s workers, or here when None.

    Both mandates look back over the longer of their ladders' windows, as
    ``whatif`` of one day does. ``worker_store``: the same store as the workers
    can open it (an absolute SQLite path on a local cluster, a database URL);
    they then read each day's events themselves instead of the client shipping
    them (reading the events is most of a re-judgement's cost).
    """
    from ceasefire import pipeline
    from ceasefire.assess.ladder import lookback_h
    from ceasefire.mandate import day_bounds, load_mandate
    from ceasefire.model.yamlpath import decode_utf8

    current_text = store.mandate_text()
    if current_text is None:
        raise PipelineError("the store has no mandate; run `ceasefire init` first")
    current = pipeline.mandate_of(store)
    alt_m = load_mandate(alt_path)  # a bad file is named with its line here, not on a worker
    alt = (decode_utf8(alt_path.read_bytes(), str(alt_path)), str(alt_path.resolve().parent))
    back_h = max(lookback_h(current), lookback_h(alt_m))

    def read(day: date) -> tuple[tuple[float, float], list[Event]]:
        start, end = day_bounds(current, day)
        window = (start - back_h * 3600.0, end)
        return window, store.events(*window)

    if client is None:
        for day in days:
            window, events = read(day)
            yield _judge_shipped(current_text, alt, day, window, events, back_h)
        return

    def submit(day: date) -> Future:
        if worker_store is not None:
            start, end = day_bounds(current, day)
            window = (start - back_h * 3600.0, end)
            return client.submit(
                _judge_read, worker_store, current_text, alt, day, window, back_h, pure=False
            )
        window, events = read(day)
        # one object (a list alone would be scattered item by item)
        (shipped,) = client.scatter([events], hash=False)
        return client.submit(
            _judge_shipped, current_text, alt, day, window, shipped, back_h, pure=False
        )

    in_flight = IN_FLIGHT_PER_WORKER * _workers(client)
    for _, judged in _bounded(days, submit, in_flight):
        yield judged
