"""``client.commands``: programs run to completion on the daemon's host, in the shape of E2B's
``sandbox.commands.run``, with a CommandResult (results.py) instead of an ExecResponse.

It is Terminal.Exec: no terminal, the output captured, the program killed at its time limit. A
command line given as one string runs through ``/bin/sh -c`` (pipes, redirections, globbing);
a sequence is the argv itself, run without a shell. Interactive shells are Terminal sessions
(create_session/run/attach, or shell.GrpcInteractiveSession).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from a0ipc.results import CommandResult

if TYPE_CHECKING:
    from a0ipc.client import RuntimeClient

__all__ = ["Commands", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 60.0  # seconds, as E2B's commands.run


def argv_of(cmd: str | Sequence[str]) -> list[str]:
    if isinstance(cmd, str):
        return ["/bin/sh", "-c", cmd]
    argv = list(cmd)
    if not argv:
        raise ValueError("an empty command")
    return argv


class Commands:
    """Programs on the daemon's host, as the daemon's user."""

    def __init__(self, client: "RuntimeClient"):
        self._client = client

    async def run(self, cmd: str | Sequence[str], *, cwd: str = "",
                  envs: Mapping[str, str] | None = None, stdin: str | bytes = b"",
                  timeout: float | None = DEFAULT_TIMEOUT, max_output_bytes: int = 0,
                  check: bool = False) -> CommandResult:
        """Runs cmd to completion and returns what it printed and how it ended.

        ``cwd``: its working directory (empty: the daemon's); ``envs``: variables added to the
        daemon's environment for it; ``stdin``: its input (text as UTF-8). ``timeout``: seconds
        until the daemon kills it (result.timed_out; None or 0: the daemon's default limit).
        ``max_output_bytes``: keep at most this much of stdout and of stderr each (0: the
        daemon's maximum). ``check``: raise CommandExitError unless it exited with status 0.
        """
        argv = argv_of(cmd)
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        timeout_ms = int(timeout * 1000) if timeout else 0
        r = await self._client.exec(argv, cwd=cwd, env=dict(envs or {}), stdin=stdin,
                                    timeout_ms=timeout_ms, max_output_bytes=max_output_bytes)
        result = CommandResult.from_proto(argv, r)
        return result.check() if check else result
