"""What `aiw run` shows while it works: the running step and how far along.

Fed with the run's Dagster events (an instance event listener). On a terminal
it redraws one line (steps done of all, elapsed time, the running step and,
for dbt, models and tests done of all); elsewhere (a log file, CI) it prints a
plain line when each step starts.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

REDRAW_SECONDS = 0.2


class RunProgress:
    def __init__(self, stream: TextIO, total_steps: int, dbt_nodes: int, tty: bool) -> None:
        self.stream = stream
        self.total_steps = total_steps
        self.dbt_nodes = dbt_nodes
        self.tty = tty
        self.started = time.monotonic()
        self.done_steps = 0
        self.running: list[str] = []
        self.dbt_done = 0
        self._drawn = 0.0
        self._width = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- event intake ------------------------------------------------------
    def __call__(self, entry) -> None:
        event = entry.dagster_event if entry.is_dagster_event else None
        if event is None:
            return
        kind = event.event_type_value
        step = event.step_key
        with self._lock:
            if kind == "STEP_START" and step:
                self.running.append(step)
                if not self.tty:
                    self._line(f"{self._counter()} {self._clock()} {step}")
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED") and step:
                if step in self.running:
                    self.running.remove(step)
                self.done_steps += 1
            elif kind in ("ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION") and step:
                if step == "warehouse_models":
                    self.dbt_done += 1
            else:
                return
            if self.tty:
                self._draw(force=kind != "ASSET_MATERIALIZATION")

    # -- drawing -------------------------------------------------------------
    def _clock(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _counter(self) -> str:
        width = len(str(self.total_steps))
        return f"[{self.done_steps + len(self.running):>{width}}/{self.total_steps}]"

    def _status(self) -> str:
        step = self.running[-1] if self.running else "…"
        detail = ""
        if step == "warehouse_models" and self.dbt_nodes:
            detail = f"  dbt {min(self.dbt_done, self.dbt_nodes)}/{self.dbt_nodes}"
        return f"{self._counter()} {self._clock()} {step}{detail}"

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        text = self._status()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    # -- lifetime ------------------------------------------------------------
    def __enter__(self) -> RunProgress:
        if self.tty:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                self._draw(force=True)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
