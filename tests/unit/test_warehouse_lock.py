"""The WORK database's lock: a second process waits (or refuses when asked),
the holder is named, the lock is re-entrant and dies with its holder."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from orchestration.settings import REPO_ROOT
from orchestration.warehouse_lock import WarehouseBusy, lock_path_for, warehouse_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.warehouse_lock import warehouse_lock

    with warehouse_lock(Path(sys.argv[1]), what="holder"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def hold_in_child(work: Path, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(work), str(seconds)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_second_process_waits_and_refuses_when_asked(tmp_path):
    work = tmp_path / "warehouse.duckdb"
    child = hold_in_child(work, 2.0)
    try:
        with pytest.raises(WarehouseBusy, match=rf"since .*\(pid {child.pid}\)") as busy:  # noqa: SIM117
            with warehouse_lock(work, wait=False):
                pass
        assert busy.value.what == "holder"
        waits: list[str] = []
        started = time.monotonic()
        with warehouse_lock(work, on_wait=waits.append):
            waited = time.monotonic() - started
        assert waited > 1.0  # the holder kept it for 2 s after we first asked
        assert waits and f"pid {child.pid}" in waits[0]
    finally:
        child.kill()
        child.wait()


def test_a_killed_holder_releases_the_lock(tmp_path):
    work = tmp_path / "warehouse.duckdb"
    child = hold_in_child(work, 600)
    child.kill()
    child.wait()
    with warehouse_lock(work, wait=False) as path:
        assert path == lock_path_for(work)


def test_reentrant_within_a_process_and_released_after_the_outermost(tmp_path):
    work = tmp_path / "warehouse.duckdb"
    with warehouse_lock(work), warehouse_lock(work, wait=False):  # noqa: SIM117
        # unless asked to treat this process's own hold as another run's
        with pytest.raises(WarehouseBusy), warehouse_lock(work, reentrant=False):
            pass
    # released: another process can take it without waiting
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; "
            "from orchestration.warehouse_lock import warehouse_lock\n"
            "with warehouse_lock(Path(sys.argv[1]), wait=False): print('free')",
            str(work),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "free", probe.stderr


def test_progress_line_updates_in_place_on_a_terminal_and_prints_lines_elsewhere():
    from orchestration.progress import RunProgress

    class Event:
        def __init__(self, kind, step):
            self.is_dagster_event = True
            self.dagster_event = type("E", (), {"event_type_value": kind, "step_key": step})()

    events = [
        Event("STEP_START", "raw__usage_requests"),
        Event("STEP_SUCCESS", "raw__usage_requests"),
        Event("STEP_START", "warehouse_models"),
        *[Event("ASSET_MATERIALIZATION", "warehouse_models")] * 3,
        Event("STEP_SUCCESS", "warehouse_models"),
        Event("STEP_START", "publish__serving_warehouse"),
    ]
    plain = io.StringIO()
    with RunProgress(plain, total_steps=3, dbt_nodes=4, tty=False) as progress:
        for event in events:
            progress(event)
    lines = plain.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]
    assert [line.split()[-1] for line in lines] == [
        "raw__usage_requests",
        "warehouse_models",
        "publish__serving_warehouse",
    ]

    terminal = io.StringIO()
    with RunProgress(terminal, total_steps=3, dbt_nodes=4, tty=True) as progress:
        for event in events[:6]:
            progress(event)
        time.sleep(1.5)  # model counts are redrawn by the once-a-second clock
        assert "\n" not in terminal.getvalue()
        assert terminal.getvalue().rsplit("\r", 1)[-1].strip().endswith("dbt 3/4")
    # the line is cleared at the end, before the run's summary prints
    assert terminal.getvalue().endswith("\r")
