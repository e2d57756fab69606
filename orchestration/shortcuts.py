"""Every speed shortcut of the pipeline, in one place.

Each one skips or hides work the pipeline never needs to wait for, and the
first two rely on private APIs of CPython and dagster-dbt, so each is kept
only while it pays:
`uv run python benchmarks/speed_tricks.py` measures what each avoids, and
tests/unit/test_shortcuts.py fails when a library change breaks one. Nothing
else in the code base reaches into `_private` names.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.metadata
import os
import sys
import threading
from collections.abc import Sequence


def exit_without_teardown(code: int) -> None:
    """Exit once the work is done, skipping the interpreter's teardown (which
    frees every object of Dagster, dbt, Great Expectations and pandas one by
    one). Everything a normal exit does that matters still happens, in the
    same order: other threads are joined, atexit callbacks run (temporary
    folders, log handlers), and the standard streams are flushed."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


_warming_lock = threading.Lock()
_warming: threading.Thread | None = None


def warm_up_great_expectations_in_background() -> threading.Thread:
    """Import Great Expectations and build its context on a thread, once per
    process, so the quality checks after extraction do not wait for it. Call
    it where the process is about to wait on I/O or DuckDB, which release the
    GIL (the usage load): beside pure-Python work (Dagster's run set-up) the
    import would only take turns with it."""
    global _warming
    with _warming_lock:
        if _warming is None:

            def warm() -> None:
                from data_quality.expectations import warm_up

                # A failure here resurfaces in the first check that needs GE, with its context.
                with contextlib.suppress(Exception):
                    warm_up()

            _warming = threading.Thread(target=warm, name="aiw-warm-ge", daemon=True)
            _warming.start()
        return _warming


@functools.cache
def _dbt_cli_without_probes() -> type:
    from dagster_dbt import DbtCliResource
    from packaging import version

    class DbtCliWithoutProbes(DbtCliResource):
        """dagster-dbt's resource without two start-up costs of every invocation
        that this pipeline never uses.

        - dagster-dbt asks the dbt executable for its version (`dbt --version`, a
          process that imports dbt); dbt runs from this environment, so the
          installed dbt-core's version is the same answer.
        - It builds a dbt adapter in the Dagster process, which is only needed to
          fetch row counts or column metadata; the assets do neither.
        """

        @functools.cached_property
        def _cli_version(self) -> version.Version:
            return version.parse(importlib.metadata.version("dbt-core"))

        def _initialize_dbt_core_adapter(self, args: Sequence[str]):
            return None

    return DbtCliWithoutProbes


def __getattr__(name: str):
    # Built on first use: `aiw` imports this module at exit, also after
    # commands that never load dagster-dbt.
    if name == "DbtCliWithoutProbes":
        return _dbt_cli_without_probes()
    raise AttributeError(name)
