"""A day's two report maps drawn by a fresh interpreter (``python -m
ceasefire.report.maps_process``), fed by its parent through standard input.

A process forked from the run's main process shares the main's whole heap
(~1 GB on a stress day), which its resident set counts again; this one holds
its imports, the day's layers and the drawing only. It reads two pickles from
standard input: ``(mandate, layers, out_dir)`` first, whereupon it draws the
published map (no observers), then the observers ``(source, lat, lon)`` for
the internal map, which it draws next. It exits with 0 once both files are
written, 1 when its input ends before them or a map cannot be drawn: the
parent then draws them itself and meets the error there, where it is reported
(here it would only print a traceback beside the run's own messages).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import BinaryIO

from ceasefire.report.mapplot import render_map
from ceasefire.report.render import map_file


def draw_fed(stream: BinaryIO) -> dict[str, Path]:
    """The published map, then the internal one, of what ``stream`` feeds (the
    two pickles of the module's docstring); the same files, byte for byte, as
    :func:`~ceasefire.report.render.render_maps` writes. Raises ``EOFError``
    when the stream ends before a pickle."""
    mandate, layers, out_dir = pickle.load(stream)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = {"map": render_map(mandate, layers, [], map_file(out_dir, internal=False))}
    observers = pickle.load(stream)
    drawn["internal_map"] = render_map(mandate, layers, observers, map_file(out_dir, internal=True))
    return drawn


def main() -> int:
    """The process's entry: 0 with both maps drawn; 1 if its parent stopped
    feeding it or drawing failed (the parent draws them and reports why)."""
    try:
        draw_fed(sys.stdin.buffer)
    except Exception:  # the parent meets the error and reports it
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
