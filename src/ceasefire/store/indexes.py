"""The observations' secondary indexes made by another process after a large batch.

A large first batch into a SQLite store drops the observations' secondary
indexes and makes them again at its end (sorting the table beats a random
insert per row and index). The time index is made in the batch's transaction:
the day's reads select by time. The others (sector, submitter, place: the
service's and the reports' selections) are made by a child process once the
batch has committed (:class:`IndexBuild`), while this one goes on reading the
day (WAL: a writer does not hold readers), in one transaction of their own.
The batch's commit leaves the checkpoint of its write-ahead log (~its size
written again) to the child's commit too.

The child is a fresh interpreter running only :mod:`sqlite3` (``subprocess``:
safe beside threads, unlike a fork). Whoever writes next waits for it
(``IndexBuild.wait``); should it fail, the indexes it did not make are made in
this process then.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["READ_INDEXES", "IndexBuild"]

#: The observations' indexes a day's reads need (made inside the batch).
READ_INDEXES = frozenset({"ix_observations_time"})

#: The child: ``argv`` = database path, busy timeout (s), then CREATE statements.
_CHILD = """
import sqlite3, sys
path, timeout, *statements = sys.argv[1:]
con = sqlite3.connect(path, timeout=float(timeout), isolation_level=None)
con.execute("PRAGMA synchronous=NORMAL")
con.execute("BEGIN IMMEDIATE")
for s in statements:
    con.execute(s)
con.execute("COMMIT")
con.close()
"""


@dataclass
class IndexBuild:
    """Indexes ``(name, CREATE statement)`` of the SQLite database at ``path``
    being made by a child process (started by :meth:`start`)."""

    path: str
    indexes: Sequence[tuple[str, str]]
    timeout_s: float
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    #: the child's standard error, once it ended
    _said: str | None = field(default=None, init=False)

    def start(self) -> IndexBuild:
        """Start the child; returns ``self``."""
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, self.path, str(self.timeout_s)]
            + [sql for _, sql in self.indexes],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self

    def wait(self) -> str | None:
        """Wait for the child; None when it made every index, else what it said."""
        if self._proc is None:
            return "not started"
        if self._said is None:
            _, err = self._proc.communicate()
            self._said = err.decode(errors="replace").strip()
        if self._proc.returncode == 0:
            return None
        return self._said or f"exit status {self._proc.returncode}"
