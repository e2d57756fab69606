"""Run a command that ends with the process that started it.

`python -m orchestration.child_guard COMMAND [ARGS...]` asks Linux to send
SIGTERM to this process when its parent dies (PR_SET_PDEATHSIG), then replaces
itself with COMMAND: the setting survives exec. dbt is started this way, so a
SIGKILLed `aiw run` (which can run no clean-up of its own) does not leave dbt
running and holding the WORK database's lock.

The parent's pid comes from `PARENT_PID_ENV` when the parent set it, so a
parent that died between starting this process and the prctl call is noticed
too. Elsewhere than Linux the command simply runs (no such guarantee).
"""

from __future__ import annotations

import os
import signal
import sys

PARENT_PID_ENV = "AIW_CHILD_GUARD_PARENT"
PR_SET_PDEATHSIG = 1


def command(executable: str) -> list[str]:
    """The argv prefix that starts `executable` under this guard."""
    return [sys.executable, "-m", "orchestration.child_guard", executable]


def _die_with_parent() -> None:
    import ctypes

    parent = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not permitted here: run unguarded rather than not at all
    if os.getppid() != parent:  # the parent died before the prctl took effect
        sys.exit(128 + signal.SIGTERM)


def main(argv: list[str]) -> None:
    if not argv:
        sys.exit("usage: python -m orchestration.child_guard COMMAND [ARGS...]")
    if sys.platform.startswith("linux"):
        _die_with_parent()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
