"""One run at a time per warehouse, across processes.

DuckDB lets one process open a database file for writing; a second one fails
at once with "Could not set lock on file". Every Dagster run (launched by the
UI, the schedule, the sensor or a backfill) and every step of a run takes this
lock through the `warehouse` resource before it opens the WORK file, so runs
and steps wait their turn instead of failing; `aiw run` takes it first, without
waiting, and refuses when another run holds it (orchestration/run_guard.py).

The lock is an advisory `flock` on `.<serving name>.lock` beside the serving
file: the kernel releases it when the holding process ends, however it ends,
so a killed run never leaves a stale lock. It is re-entrant within a process
(`aiw run` holds it around a run whose resource takes it again), and the file
names its holder: "<pid> <since> <what>".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

# Between two tries while another process holds the lock, and between two
# "still waiting" messages.
POLL_SECONDS = 0.5
REPORT_EVERY_SECONDS = 60.0

_held: dict[Path, list] = {}  # lock path -> [open file, depth]
_guard = threading.RLock()


class WarehouseBusy(Exception):
    """Another process holds the warehouse (raised only when not waiting)."""

    def __init__(self, lock_path: Path, pid: str, since: str, what: str) -> None:
        super().__init__(f"another run is using the warehouse since {since} (pid {pid})")
        self.lock_path, self.pid, self.since, self.what = lock_path, pid, since, what


def lock_path_for(serving: Path) -> Path:
    serving = Path(serving).resolve()
    return serving.with_name(f".{serving.name}.lock")


def _holder(lock_path: Path) -> tuple[str, str, str]:
    """pid, since and what of the holder (or last holder), as it wrote them."""
    try:
        words = lock_path.read_text(errors="replace").split(maxsplit=2)
    except OSError:
        words = []
    words += ["?", "an unknown time", ""][len(words) :]
    return words[0], words[1], words[2].strip()


def holder_of(lock_path: Path) -> str:
    pid, since, what = _holder(lock_path)
    return f"pid {pid} since {since}" + (f", {what}" if what else "")


@contextlib.contextmanager
def warehouse_lock(
    serving: Path,
    *,
    wait: bool = True,
    reentrant: bool = True,
    what: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[Path]:
    """Hold the WORK database's lock for the block.

    wait=True blocks until the lock is free (calling on_wait with the holder
    once at first and then every minute); wait=False raises WarehouseBusy.
    reentrant=False treats a holder in this very process as another run.
    """
    path = lock_path_for(serving)
    with _guard:
        entry = _held.get(path)
        if entry is not None and not reentrant:
            raise WarehouseBusy(path, *_holder(path))
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield path
        finally:
            with _guard:
                entry[1] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    # Not truncated before it is held: the holder's note stays readable to waiters.
    handle = open(path, "a+")  # noqa: SIM115 (closed below, or kept open while held)
    try:
        reported = None
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise WarehouseBusy(path, *_holder(path)) from None
                now = time.monotonic()
                if on_wait and (reported is None or now - reported >= REPORT_EVERY_SECONDS):
                    on_wait(holder_of(path))
                    reported = now
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        handle.write(f"{os.getpid()} {since} {what}\n")
        handle.flush()
        with _guard:
            _held[path] = entry = [handle, 1]
        try:
            yield path
        finally:
            with _guard:
                entry[1] -= 1
                last = entry[1] == 0
                if last:
                    del _held[path]
            if last:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        with _guard:
            still_held = path in _held and _held[path][0] is handle
        if not still_held:
            handle.close()
