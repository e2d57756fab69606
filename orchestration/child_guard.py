"""Run a command that ends with the process that started it.

`python -m orchestration.child_guard [--env K=V]... [--env-default K=V]... [--cwd DIR] COMMAND [ARGS...]`
sets the given environment variables (`--env-default` only where unset) and
working directory, asks Linux to send
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


def command(
    executable: str,
    env: dict[str, str] | None = None,
    env_defaults: dict[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
) -> list[str]:
    """The argv prefix that starts `executable` under this guard, with `env`
    set, `env_defaults` set where its environment does not say otherwise, and
    in directory `cwd` when given."""
    options = [f"--env={k}={v}" for k, v in (env or {}).items()]
    options += [f"--env-default={k}={v}" for k, v in (env_defaults or {}).items()]
    if cwd is not None:
        options.append(f"--cwd={os.fspath(cwd)}")
    return [sys.executable, "-m", "orchestration.child_guard", *options, executable]


def _apply_options(argv: list[str]) -> list[str]:
    """Apply the --env/--env-default/--cwd options leading `argv`; the rest is the command."""
    while argv and argv[0].startswith(("--env=", "--env-default=", "--cwd=")):
        option, _, assignment = argv.pop(0).partition("=")
        if option == "--cwd":
            os.chdir(assignment)
            continue
        name, _, value = assignment.partition("=")
        if option == "--env":
            os.environ[name] = value
        else:
            os.environ.setdefault(name, value)
    return argv


def _die_with_parent() -> None:
    import ctypes

    parent = int(os.environ.get(PARENT_PID_ENV) or os.getppid())
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        return  # not permitted here: run unguarded rather than not at all
    if os.getppid() != parent:  # the parent died before the prctl took effect
        sys.exit(128 + signal.SIGTERM)


def main(argv: list[str]) -> None:
    argv = _apply_options(list(argv))
    if not argv:
        sys.exit(
            "usage: python -m orchestration.child_guard [--env K=V]... [--env-default K=V]... "
            "[--cwd DIR] COMMAND [ARGS...]"
        )
    if sys.platform.startswith("linux"):
        _die_with_parent()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
