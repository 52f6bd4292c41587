"""Live operations: the bus (NATS JetStream), sector windows, workers, TAK in and out.

A shell like ``cli`` and ``service``: it may import the pipeline and every room
below it; nothing imports it (an import-linter contract holds this).
"""

from ceasefire.stream.bus import Bus, Delivery, MemoryBus, Subjects
from ceasefire.stream.replay import ReplayResult, publish_observations
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import LiveState, LiveWindow, Step, WindowConfig, horizon_s
from ceasefire.stream.worker import Worker, WorkerStats

__all__ = [
    "Bus",
    "Delivery",
    "LiveState",
    "LiveWindow",
    "MemoryBus",
    "ReplayResult",
    "SectorMap",
    "Step",
    "Subjects",
    "WindowConfig",
    "Worker",
    "WorkerStats",
    "horizon_s",
    "publish_observations",
]
