"""`aiw` exits without the interpreter's teardown, but not without its duties."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.settings import REPO_ROOT

PROBE = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from pathlib import Path
    from orchestration.cli import exit_without_teardown

    out = Path(sys.argv[1])
    atexit.register(lambda: (out / "atexit").write_text("ran"))

    def late_writer():
        time.sleep(0.3)
        (out / "thread").write_text("joined")

    threading.Thread(target=late_writer).start()
    sys.stdout.write("buffered, no newline")
    exit_without_teardown(3)
    """
)


def test_exit_keeps_code_output_threads_and_atexit(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=REPO_ROOT,
        # buffered streams, so a missing flush would lose the output
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == "buffered, no newline"
    assert (tmp_path / "thread").read_text() == "joined"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_console_script_reports_bad_input_in_one_line(tmp_path: Path):
    aiw = Path(sys.executable).with_name("aiw")
    result = subprocess.run(
        [
            str(aiw),
            "run",
            "--landing",
            str(tmp_path / "missing"),
            "--warehouse",
            str(tmp_path / "w.duckdb"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("aiw run: error:"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
